import { createHash } from 'node:crypto';
import { FactoryError } from '@packaging-factory/core';
import { manifestChild, manifestChildren, type XmlElement } from './xml-document.ts';

/**
 * The package manifest of an MSIX/APPX package, AppxManifest.xml (learn.microsoft.com/uwp/schemas/
 * appxpackage/uapmanifestschema/schema-root). Its core elements live in the foundation namespace:
 * Windows 10+ ('.../appx/manifest/foundation/windows10') or Windows 8/8.1 ('.../appx/2010/manifest').
 */

export const APPX_FOUNDATION_NAMESPACES = [
  'http://schemas.microsoft.com/appx/manifest/foundation/windows10',
  'http://schemas.microsoft.com/appx/2010/manifest',
] as const;

export interface AppxIdentity {
  Name: string;
  /** The publisher's X.500 distinguished name ('CN=Contoso, O=Contoso, C=US'). */
  Publisher: string;
  /** Four-part version 'major.minor.build.revision'. */
  Version: string;
  ProcessorArchitecture?: string;
  ResourceId?: string;
}

export interface AppxTargetDeviceFamily {
  Name: string;
  MinVersion?: string;
  MaxVersionTested?: string;
}

export interface AppxPackageDependency {
  Name: string;
  Publisher?: string;
  MinVersion?: string;
  MaxMajorVersionTested?: string;
}

export interface AppxManifest {
  /** The foundation namespace the manifest uses. */
  namespace: string;
  identity: AppxIdentity;
  /** Properties/DisplayName (may be an 'ms-resource:' reference into resources.pri). */
  displayName?: string;
  publisherDisplayName?: string;
  description?: string;
  /** Properties/Framework = true: a framework package other packages depend on. */
  framework: boolean;
  /** Properties/ResourcePackage = true: a resource-only package. */
  resourcePackage: boolean;
  targetDeviceFamilies: AppxTargetDeviceFamily[];
  packageDependencies: AppxPackageDependency[];
  /** Applications/Application: Id and Executable. */
  applications: { Id: string; Executable?: string }[];
  /** Capability names from Capabilities (any namespace: uap, rescap, DeviceCapability...). */
  capabilities: string[];
}

function invalid(subject: string, message: string): FactoryError {
  return new FactoryError('ARCHIVE_CORRUPT', `${subject}: ${message}`, {
    subject,
    hint: 'the package manifest does not follow the AppxManifest schema; rebuild the package with MakeAppx or the MSIX Packaging Tool',
  });
}

function required(element: XmlElement, attribute: string, subject: string): string {
  const value = element.attributes.get(attribute);
  if (value === undefined || value.trim() === '') throw invalid(subject, `<${element.name}> has no ${attribute} attribute`);
  return value;
}

function optional<T extends object, K extends string>(target: T, key: K, value: string | undefined): void {
  if (value !== undefined && value !== '') (target as Record<string, unknown>)[key] = value;
}

/** Reads an <Identity> element (package or bundle manifest alike). */
export function readIdentity(element: XmlElement, subject: string, architectureAttribute = 'ProcessorArchitecture'): AppxIdentity {
  const identity: AppxIdentity = {
    Name: required(element, 'Name', subject),
    Publisher: required(element, 'Publisher', subject),
    Version: required(element, 'Version', subject),
  };
  // Version is four dot-separated 16-bit numbers (ST_VersionQuad).
  if (!/^(\d{1,5})(\.\d{1,5}){3}$/.test(identity.Version) || identity.Version.split('.').some((p) => Number(p) > 65535)) {
    throw invalid(subject, `<Identity Version="${identity.Version}"> is not a four-part version (major.minor.build.revision)`);
  }
  optional(identity, 'ProcessorArchitecture', element.attributes.get(architectureAttribute));
  optional(identity, 'ResourceId', element.attributes.get('ResourceId'));
  return identity;
}

/** Reads AppxManifest.xml's parsed root. */
export function readAppxManifest(root: XmlElement, subject: string): AppxManifest {
  const ns = root.namespace;
  if (root.name !== 'Package' || ns === undefined || !(APPX_FOUNDATION_NAMESPACES as readonly string[]).includes(ns)) {
    throw invalid(
      subject,
      `the root element is <${root.name}> in namespace '${ns ?? ''}', not <Package> in ${APPX_FOUNDATION_NAMESPACES[0]}`,
    );
  }
  const nss = [ns];
  const identityElement = manifestChild(root, 'Identity', nss);
  if (identityElement === undefined) throw invalid(subject, '<Package> has no <Identity>');
  const manifest: AppxManifest = {
    namespace: ns,
    identity: readIdentity(identityElement, subject),
    framework: false,
    resourcePackage: false,
    targetDeviceFamilies: [],
    packageDependencies: [],
    applications: [],
    capabilities: [],
  };
  const properties = manifestChild(root, 'Properties', nss);
  if (properties !== undefined) {
    optional(manifest, 'displayName', manifestChild(properties, 'DisplayName', nss)?.text);
    optional(manifest, 'publisherDisplayName', manifestChild(properties, 'PublisherDisplayName', nss)?.text);
    optional(manifest, 'description', manifestChild(properties, 'Description', nss)?.text);
    manifest.framework = manifestChild(properties, 'Framework', nss)?.text.toLowerCase() === 'true';
    manifest.resourcePackage = manifestChild(properties, 'ResourcePackage', nss)?.text.toLowerCase() === 'true';
  }
  const dependencies = manifestChild(root, 'Dependencies', nss);
  if (dependencies !== undefined) {
    for (const family of manifestChildren(dependencies, 'TargetDeviceFamily', nss)) {
      const entry: AppxTargetDeviceFamily = { Name: required(family, 'Name', subject) };
      optional(entry, 'MinVersion', family.attributes.get('MinVersion'));
      optional(entry, 'MaxVersionTested', family.attributes.get('MaxVersionTested'));
      manifest.targetDeviceFamilies.push(entry);
    }
    for (const dependency of manifestChildren(dependencies, 'PackageDependency', nss)) {
      const entry: AppxPackageDependency = { Name: required(dependency, 'Name', subject) };
      optional(entry, 'Publisher', dependency.attributes.get('Publisher'));
      optional(entry, 'MinVersion', dependency.attributes.get('MinVersion'));
      optional(entry, 'MaxMajorVersionTested', dependency.attributes.get('MaxMajorVersionTested'));
      manifest.packageDependencies.push(entry);
    }
  }
  const applications = manifestChild(root, 'Applications', nss);
  for (const application of applications === undefined ? [] : manifestChildren(applications, 'Application', nss)) {
    const entry: { Id: string; Executable?: string } = { Id: required(application, 'Id', subject) };
    optional(entry, 'Executable', application.attributes.get('Executable'));
    manifest.applications.push(entry);
  }
  const capabilities = manifestChild(root, 'Capabilities', nss);
  for (const capability of capabilities?.children ?? []) {
    const name = capability.attributes.get('Name');
    if (name !== undefined && /Capability$/.test(capability.name) && !manifest.capabilities.includes(name))
      manifest.capabilities.push(name);
  }
  return manifest;
}

// Crockford-style base32 without i, l, o, u: the alphabet Windows uses for publisher ids.
const PUBLISHER_ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/**
 * The 13-character publisher id of a package family name ('8wekyb3d8bbwe' for Microsoft): the first
 * 8 bytes of SHA-256 over the Publisher string in UTF-16LE, read as 65 bits (one zero bit appended)
 * in 5-bit groups through the alphabet above.
 */
export function appxPublisherId(publisher: string): string {
  const digest = createHash('sha256').update(Buffer.from(publisher, 'utf16le')).digest();
  let bits = (digest.readBigUInt64BE(0) << 1n) & ((1n << 65n) - 1n);
  let id = '';
  for (let i = 0; i < 13; i += 1) {
    id = (PUBLISHER_ID_ALPHABET[Number(bits & 31n)] ?? '') + id;
    bits >>= 5n;
  }
  return id;
}

/** Package family name: '<Name>_<publisher id>'. */
export function appxPackageFamilyName(identity: Pick<AppxIdentity, 'Name' | 'Publisher'>): string {
  return `${identity.Name}_${appxPublisherId(identity.Publisher)}`;
}

/** Package full name: '<Name>_<Version>_<arch>_<ResourceId>_<publisher id>' (architecture 'neutral' when unset). */
export function appxPackageFullName(identity: AppxIdentity): string {
  return [
    identity.Name,
    identity.Version,
    identity.ProcessorArchitecture ?? 'neutral',
    identity.ResourceId ?? '',
    appxPublisherId(identity.Publisher),
  ].join('_');
}
