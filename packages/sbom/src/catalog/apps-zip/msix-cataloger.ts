import { digestFile } from '@packaging-factory/core';
import {
  appxPackageFamilyName,
  appxPackageFullName,
  appxPublisherId,
  readMsixPackage,
  type AppxIdentity,
  type AppxManifest,
  type AppxPackageDependency,
  type MsixPackage,
} from '@packaging-factory/formats';
import { formatPurl, type PurlParts } from '../../purl/package-url.ts';
import { newComponent, type SbomComponent } from '../sbom-component.ts';
import { sortComponents } from './component-order.ts';

/**
 * The Package URL of an MSIX/APPX package or bundle.
 *
 * purl-spec registers no type for Windows app packages (its issue "App Stores" only discusses
 * one), so the registered catch-all `generic` is used. The purl mirrors the package's own identity,
 * the package full name Name_Version_Architecture_ResourceId_PublisherId that Windows installs by:
 * name = Identity Name, version = Identity Version, and qualifiers
 * - `arch`: ProcessorArchitecture ('neutral' when unset, as in the full name), the qualifier key the
 *   deb/rpm/apk types use for an architecture;
 * - `publisher_id`: the 13-character hash of the Publisher DN. Windows treats Name alone as
 *   ambiguous (two publishers may both ship 'Contoso.App'); the family name Name_PublisherId is
 *   the unique identity, so the purl carries it too;
 * - `resource_id`: ResourceId when the package has one (resource packages of a bundle share name,
 *   version and architecture and differ only there); a bundle's full name uses '~'.
 * Built with formatPurl, the purl-spec canonical string form (':' and '~' stay unencoded).
 */
export function msixPurl(identity: AppxIdentity, bundle = false): string {
  const qualifiers: Record<string, string> = {
    arch: bundle ? 'neutral' : (identity.ProcessorArchitecture ?? 'neutral'),
    publisher_id: appxPublisherId(identity.Publisher),
  };
  const resourceId = bundle ? '~' : identity.ResourceId;
  if (resourceId !== undefined && resourceId !== '') qualifiers['resource_id'] = resourceId;
  return formatPurl({ type: 'generic', name: identity.Name, version: identity.Version, qualifiers });
}

/** A PackageDependency by name and publisher only (purl without version: it names the family). */
function dependencyPurl(dependency: AppxPackageDependency): string {
  const parts: PurlParts = { type: 'generic', name: dependency.Name };
  if (dependency.Publisher !== undefined) parts.qualifiers = { publisher_id: appxPublisherId(dependency.Publisher) };
  return formatPurl(parts);
}

function identityProperties(component: SbomComponent, identity: AppxIdentity, fullName: string): void {
  const p = component.properties;
  p.push(['packaging-factory:windows:Name', identity.Name], ['packaging-factory:windows:Publisher', identity.Publisher]);
  p.push(['packaging-factory:windows:Version', identity.Version]);
  if (identity.ProcessorArchitecture !== undefined)
    p.push(['packaging-factory:windows:ProcessorArchitecture', identity.ProcessorArchitecture]);
  if (identity.ResourceId !== undefined) p.push(['packaging-factory:windows:ResourceId', identity.ResourceId]);
  p.push(
    ['packaging-factory:windows:PackageFamilyName', appxPackageFamilyName(identity)],
    ['packaging-factory:windows:PackageFullName', fullName],
  );
}

/** 'CN=Contoso Ltd, O=Contoso, C=US' → 'Contoso Ltd' (the supplier when no display name is given). */
function commonName(dn: string): string {
  const match = /(?:^|,)\s*CN=("(?:[^"]|"")*"|[^,]*)/i.exec(dn);
  const value = match?.[1]?.trim() ?? dn;
  return value.startsWith('"') ? value.slice(1, -1).replace(/""/g, '"') : value;
}

export interface MsixCatalog {
  components: SbomComponent[];
  package: SbomComponent;
  msix: MsixPackage;
  notes: string[];
}

function manifestComponent(manifest: AppxManifest, shown: string, placeholders: Map<string, SbomComponent>): SbomComponent {
  const identity = manifest.identity;
  const purl = msixPurl(identity);
  const component = newComponent({
    ref: purl,
    purl,
    type: manifest.framework ? 'library' : 'application',
    ecosystem: 'windows',
    name: identity.Name,
    version: identity.Version,
  });
  const p = component.properties;
  p.push(['packaging-factory:source', shown]);
  identityProperties(component, identity, appxPackageFullName(identity));
  // 'ms-resource:' names live in resources.pri, a binary index this reader does not parse.
  if (manifest.displayName !== undefined) p.push(['packaging-factory:windows:DisplayName', manifest.displayName]);
  if (manifest.publisherDisplayName !== undefined)
    p.push(['packaging-factory:windows:PublisherDisplayName', manifest.publisherDisplayName]);
  if (manifest.description !== undefined && !manifest.description.startsWith('ms-resource:')) component.description = manifest.description;
  const publisherName =
    manifest.publisherDisplayName !== undefined && !manifest.publisherDisplayName.startsWith('ms-resource:')
      ? manifest.publisherDisplayName
      : commonName(identity.Publisher);
  if (publisherName !== '') component.supplier = { name: publisherName };
  if (manifest.framework) p.push(['packaging-factory:windows:Framework', 'true']);
  if (manifest.resourcePackage) p.push(['packaging-factory:windows:ResourcePackage', 'true']);
  for (const family of manifest.targetDeviceFamilies) {
    const range = [
      family.MinVersion && `MinVersion=${family.MinVersion}`,
      family.MaxVersionTested && `MaxVersionTested=${family.MaxVersionTested}`,
    ].filter(Boolean);
    p.push(['packaging-factory:windows:TargetDeviceFamily', [family.Name, ...range].join(' ')]);
  }
  for (const application of manifest.applications) {
    p.push([
      'packaging-factory:windows:Application',
      application.Executable === undefined ? application.Id : `${application.Id} ${application.Executable}`,
    ]);
  }
  for (const capability of manifest.capabilities) p.push(['packaging-factory:windows:Capability', capability]);
  for (const dependency of manifest.packageDependencies) {
    const text = [
      dependency.Name,
      dependency.MinVersion && `MinVersion=${dependency.MinVersion}`,
      dependency.Publisher && `Publisher=${dependency.Publisher}`,
    ]
      .filter(Boolean)
      .join(' ');
    p.push(['packaging-factory:windows:PackageDependency', text]);
    // The dependency (a framework such as Microsoft.VCLibs) is not inside this package: a
    // placeholder component stands for it, marked declared-only (SBOM-CATALOGERS conventions).
    const ref = dependencyPurl(dependency);
    let placeholder = placeholders.get(ref);
    if (placeholder === undefined) {
      placeholder = newComponent({ ref, purl: ref, type: 'library', ecosystem: 'windows', name: dependency.Name });
      placeholder.description = 'Declared MSIX package dependency; not part of the catalogued packages';
      placeholder.properties.push(['packaging-factory:declared-only', 'true']);
      if (dependency.Publisher !== undefined) {
        placeholder.properties.push(['packaging-factory:windows:Publisher', dependency.Publisher]);
        placeholder.supplier = { name: commonName(dependency.Publisher) };
      }
      placeholders.set(ref, placeholder);
    }
    if (
      dependency.MinVersion !== undefined &&
      !placeholder.properties.some(([n, v]) => n === 'packaging-factory:windows:MinVersion' && v === dependency.MinVersion)
    ) {
      placeholder.properties.push(['packaging-factory:windows:MinVersion', dependency.MinVersion]);
    }
    component.dependsOn.add(ref);
  }
  return component;
}

/**
 * Catalogues an .msix/.appx package (one component, plus declared-only placeholders for its
 * PackageDependency frameworks) or a bundle (the bundle, with the packages its manifest lists as
 * children).
 */
export async function catalogMsix(file: string, shown: string): Promise<MsixCatalog> {
  const msix = await readMsixPackage(file, shown);
  const placeholders = new Map<string, SbomComponent>();
  const notes: string[] = [];
  let pkg: SbomComponent;
  if (msix.kind === 'package') {
    pkg = manifestComponent(msix.manifest, shown, placeholders);
  } else {
    const identity = msix.manifest.identity;
    const purl = msixPurl(identity, true);
    pkg = newComponent({ ref: purl, purl, type: 'application', ecosystem: 'windows', name: identity.Name, version: identity.Version });
    pkg.properties.push(['packaging-factory:source', shown]);
    const publisherId = appxPublisherId(identity.Publisher);
    identityProperties(pkg, identity, `${identity.Name}_${identity.Version}_neutral_~_${publisherId}`);
    pkg.properties.push(['packaging-factory:windows:PackageType', 'bundle']);
    const publisherName = commonName(identity.Publisher);
    if (publisherName !== '') pkg.supplier = { name: publisherName };
    // Every package in a bundle shares the bundle's Name and Publisher (MakeAppx enforces it); the
    // bundle manifest gives each one's version, architecture and resource id.
    for (const inner of msix.manifest.packages) {
      const innerIdentity: AppxIdentity = { Name: identity.Name, Publisher: identity.Publisher, Version: inner.Version };
      if (inner.Architecture !== undefined) innerIdentity.ProcessorArchitecture = inner.Architecture;
      if (inner.ResourceId !== undefined) innerIdentity.ResourceId = inner.ResourceId;
      const innerPurl = msixPurl(innerIdentity);
      const child = newComponent({
        ref: innerPurl,
        purl: innerPurl,
        type: 'application',
        ecosystem: 'windows',
        name: identity.Name,
        version: inner.Version,
      });
      child.properties.push(
        ['packaging-factory:source', `${shown}:${inner.FileName}`],
        ['packaging-factory:windows:PackageType', inner.Type],
      );
      identityProperties(child, innerIdentity, appxPackageFullName(innerIdentity));
      for (const language of inner.languages) child.properties.push(['packaging-factory:windows:Language', language]);
      if (inner.Offset === '0' || inner.Offset === undefined) child.properties.push(['packaging-factory:windows:external', 'true']);
      if (pkg.supplier !== undefined) child.supplier = { ...pkg.supplier };
      pkg.children.push(child);
    }
    notes.push(`${shown}: bundle packages are listed from AppxBundleManifest.xml; their own manifests are not opened`);
  }
  pkg.hashes.set('SHA-256', await digestFile(file));
  // Presence only: Authenticode verification of the .p7x and the block map hashes is the verify stage's job.
  pkg.properties.push(
    ['packaging-factory:windows:AppxSignature.p7x', msix.signed ? 'present' : 'absent'],
    ['packaging-factory:windows:AppxBlockMap.xml', msix.hasBlockMap ? 'present' : 'absent'],
  );
  return { components: sortComponents([pkg, ...placeholders.values()]), package: pkg, msix, notes };
}
