import path from 'node:path';
import { digestFile } from '@packaging-factory/core';
import { readMacosPackage, type MacosComponentPackage, type MacosPackage, type MacosPkgRef } from '@packaging-factory/formats';
import { formatPurl } from '../../purl/package-url.ts';
import type { CatalogOutput } from '../cataloger.ts';
import { newComponent, type SbomComponent } from '../sbom-component.ts';
import { sortProperties } from '../sbom-component.ts';

/**
 * macOS installer packages (.pkg/.mpkg, xar). Each component package becomes a component named by
 * its package identifier (the reverse-DNS id `pkgutil --pkgs` lists after install, and the id
 * Installer uses for upgrades); a product archive adds a component for the product that depends on
 * the component packages its Distribution installs.
 *
 * purl: no purl type is registered for macOS installer packages (purl-spec issues #255, #327), so
 * `pkg:generic/<identifier>@<version>`: the identifier is globally unique by Apple's convention and
 * is what an inventory of a Mac reports. A product without a <product id> falls back to its title,
 * then to the file name. Bundles the payload installs (apps with CFBundleIdentifier and
 * CFBundleShortVersionString) are properties of the component package that carries them.
 */

function genericPurl(name: string, version: string | undefined): string {
  return formatPurl(version === undefined ? { type: 'generic', name } : { type: 'generic', name, version });
}

function bundleProperty(bundle: MacosComponentPackage['bundles'][number]): string {
  const parts = [`id=${bundle.id}`];
  if (bundle.shortVersion !== undefined) parts.push(`version=${bundle.shortVersion}`);
  if (bundle.version !== undefined) parts.push(`build=${bundle.version}`);
  if (bundle.path !== undefined) parts.push(`path=${bundle.path}`);
  return parts.join(';');
}

function componentPackage(pkg: MacosPackage, component: MacosComponentPackage, shown: string): SbomComponent {
  const purl = genericPurl(component.identifier, component.version);
  const result = newComponent({
    ref: purl,
    type: 'application',
    ecosystem: 'macos',
    name: component.identifier,
    version: component.version,
    purl,
    scope: 'required',
  });
  const where = component.archivePath === '' ? shown : `${shown}:${component.archivePath}/PackageInfo`;
  const properties: [string, string][] = [
    ['packaging-factory:source', where],
    ['packaging-factory:macos:identifier', component.identifier],
  ];
  if (component.installLocation !== undefined) properties.push(['packaging-factory:macos:install-location', component.installLocation]);
  if (component.auth !== undefined) properties.push(['packaging-factory:macos:auth', component.auth]);
  if (component.payloadFiles !== undefined) properties.push(['packaging-factory:macos:payload-files', String(component.payloadFiles)]);
  if (component.installKBytes !== undefined) properties.push(['packaging-factory:macos:install-kbytes', String(component.installKBytes)]);
  for (const script of component.scripts) properties.push(['packaging-factory:macos:script', script]);
  for (const bundle of component.bundles) properties.push(['packaging-factory:macos:bundle', bundleProperty(bundle)]);
  if (component.archivePath === '') addArchiveProperties(properties, pkg);
  result.properties = properties;
  return result;
}

function addArchiveProperties(properties: [string, string][], pkg: MacosPackage): void {
  properties.push(['packaging-factory:macos:toc-checksum', pkg.tocChecksum ?? 'none']);
  if (pkg.signatureStyle !== undefined) properties.push(['packaging-factory:macos:signature-style', pkg.signatureStyle]);
}

/** A pkg-ref the Distribution names but the archive does not carry (or we could not read). */
function declaredOnly(ref: MacosPkgRef, shown: string): SbomComponent {
  const purl = genericPurl(ref.id, ref.version);
  const component = newComponent({ ref: purl, type: 'application', ecosystem: 'macos', name: ref.id, purl });
  if (ref.version !== undefined) component.version = ref.version;
  component.description = 'Component package named by the Distribution; its PackageInfo was not read';
  component.properties = sortProperties([
    ['packaging-factory:source', `${shown}:Distribution`],
    ['packaging-factory:declared-only', 'true'],
    ...(ref.href === undefined ? [] : ([['packaging-factory:macos:pkg-ref', ref.href]] as [string, string][])),
  ]);
  return component;
}

/** Catalogues one .pkg: its component packages and, for a product archive, the product. */
export async function catalogMacosPackage(file: string, shown: string): Promise<CatalogOutput> {
  const pkg = await readMacosPackage(file);
  const sha256 = await digestFile(file);
  const notes: string[] = [];
  const unreadable = pkg.unreadable.map((u) => ({ file: `${shown}:${u.path}`, reason: u.reason }));
  const components = new Map<string, SbomComponent>();
  const byArchivePath = new Map<string, SbomComponent>();
  const byIdentifier = new Map<string, SbomComponent>();
  for (const component of pkg.components) {
    const sbom = componentPackage(pkg, component, shown);
    components.set(sbom.ref, sbom);
    byArchivePath.set(component.archivePath, sbom);
    byIdentifier.set(component.identifier, sbom);
  }

  const distribution = pkg.distribution;
  if (distribution === undefined) {
    // A flat component package: the file is the component.
    const only = byArchivePath.get('');
    if (only !== undefined) only.hashes.set('SHA-256', sha256);
  } else {
    const name = distribution.productId ?? distribution.title ?? path.basename(file).replace(/\.m?pkg$/i, '');
    const purl = genericPurl(name, distribution.productVersion);
    const product = newComponent({ ref: purl, type: 'application', ecosystem: 'macos', name, purl, scope: 'required' });
    if (distribution.productVersion !== undefined) product.version = distribution.productVersion;
    if (distribution.title !== undefined) product.description = distribution.title;
    product.hashes.set('SHA-256', sha256);
    const properties: [string, string][] = [['packaging-factory:source', shown]];
    if (distribution.productId === undefined)
      properties.push(['packaging-factory:macos:name-from', distribution.title !== undefined ? 'title' : 'file-name']);
    if (distribution.title !== undefined) properties.push(['packaging-factory:macos:title', distribution.title]);
    if (distribution.minSpecVersion !== undefined)
      properties.push(['packaging-factory:macos:min-spec-version', distribution.minSpecVersion]);
    for (const arch of distribution.hostArchitectures) properties.push(['packaging-factory:macos:host-architecture', arch]);
    addArchiveProperties(properties, pkg);
    const referenced = new Set<SbomComponent>();
    for (const ref of distribution.pkgRefs) {
      properties.push(['packaging-factory:macos:pkg-ref', ref.version === undefined ? ref.id : `${ref.id}@${ref.version}`]);
      const found = (ref.archivePath !== undefined ? byArchivePath.get(ref.archivePath) : undefined) ?? byIdentifier.get(ref.id);
      if (found !== undefined) {
        referenced.add(found);
        if (found.ref !== product.ref) product.dependsOn.add(found.ref);
        if (found.name !== ref.id) notes.push(`${shown}: pkg-ref ${ref.id} points at a package whose PackageInfo says ${found.name}`);
        if (ref.version !== undefined && ref.version !== found.version) {
          notes.push(`${shown}: pkg-ref ${ref.id} declares version ${ref.version} but its PackageInfo says ${found.version ?? '(none)'}`);
        }
        for (const bundle of ref.bundles) {
          const value = bundleProperty(bundle);
          if (!found.properties.some(([n, v]) => n === 'packaging-factory:macos:bundle' && v === value))
            found.properties.push(['packaging-factory:macos:bundle', value]);
        }
        continue;
      }
      const placeholder = declaredOnly(ref, shown);
      if (!components.has(placeholder.ref)) components.set(placeholder.ref, placeholder);
      product.dependsOn.add(placeholder.ref);
      notes.push(`${shown}: the Distribution installs ${ref.id}, which the archive does not carry readably`);
    }
    for (const component of byArchivePath.values()) {
      if (!referenced.has(component))
        notes.push(`${shown}: component package ${component.name} is not named by any pkg-ref of the Distribution`);
    }
    product.properties = properties;
    if (!components.has(product.ref)) components.set(product.ref, product);
    else notes.push(`${shown}: the product id ${name} is also a component package identifier; listed once`);
  }
  const list = [...components.values()];
  for (const component of list) component.properties = sortProperties(component.properties);
  list.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  return { components: list, notes: notes.sort(), unreadable };
}
