import { FactoryError } from '@packaging-factory/core';
import { readIdentity, type AppxIdentity } from './appx-manifest.ts';
import { manifestChild, manifestChildren, type XmlElement } from './xml-document.ts';

/**
 * The bundle manifest of an .msixbundle/.appxbundle, AppxMetadata/AppxBundleManifest.xml
 * (learn.microsoft.com/uwp/schemas/bundlemanifestschema/bundle-manifest). Its root namespace is the
 * 2013 bundle schema, or the 2016/2017 revisions MakeAppx picks for bundles with external or
 * neutral resource packages; later revisions (2018 b4, 2019 b5) only add prefixed extensions.
 */

export const APPX_BUNDLE_NAMESPACES = [
  'http://schemas.microsoft.com/appx/2013/bundle',
  'http://schemas.microsoft.com/appx/2016/bundle',
  'http://schemas.microsoft.com/appx/2017/bundle',
] as const;

export interface AppxBundlePackage {
  /** 'application' or 'resource'. */
  Type: string;
  Version: string;
  Architecture?: string;
  ResourceId?: string;
  FileName: string;
  /** Offset of the package inside the bundle (0 for an external package). */
  Offset?: string;
  Size?: string;
  /** Resources/Resource Language values. */
  languages: string[];
}

export interface AppxBundleManifest {
  namespace: string;
  /** The bundle identity (Name, Publisher, Version; no architecture). */
  identity: AppxIdentity;
  packages: AppxBundlePackage[];
}

function invalid(subject: string, message: string): FactoryError {
  return new FactoryError('ARCHIVE_CORRUPT', `${subject}: ${message}`, {
    subject,
    hint: 'the bundle manifest does not follow the AppxBundleManifest schema; rebuild the bundle with MakeAppx',
  });
}

/** Reads AppxBundleManifest.xml's parsed root. */
export function readAppxBundleManifest(root: XmlElement, subject: string): AppxBundleManifest {
  const ns = root.namespace;
  if (root.name !== 'Bundle' || ns === undefined || !(APPX_BUNDLE_NAMESPACES as readonly string[]).includes(ns)) {
    throw invalid(subject, `the root element is <${root.name}> in namespace '${ns ?? ''}', not <Bundle> in ${APPX_BUNDLE_NAMESPACES[0]}`);
  }
  const nss = [ns];
  const identityElement = manifestChild(root, 'Identity', nss);
  if (identityElement === undefined) throw invalid(subject, '<Bundle> has no <Identity>');
  const manifest: AppxBundleManifest = { namespace: ns, identity: readIdentity(identityElement, subject), packages: [] };
  const packages = manifestChild(root, 'Packages', nss);
  for (const element of packages === undefined ? [] : manifestChildren(packages, 'Package', nss)) {
    const fileName = element.attributes.get('FileName');
    const version = element.attributes.get('Version');
    if (fileName === undefined || version === undefined) throw invalid(subject, '<Package> in <Packages> needs FileName and Version');
    const entry: AppxBundlePackage = {
      Type: element.attributes.get('Type') ?? 'application',
      Version: version,
      FileName: fileName,
      languages: [],
    };
    for (const key of ['Architecture', 'ResourceId', 'Offset', 'Size'] as const) {
      const value = element.attributes.get(key);
      if (value !== undefined && value !== '') entry[key] = value;
    }
    const resources = manifestChild(element, 'Resources', nss);
    for (const resource of resources === undefined ? [] : manifestChildren(resources, 'Resource', nss)) {
      const language = resource.attributes.get('Language');
      if (language !== undefined) entry.languages.push(language);
    }
    manifest.packages.push(entry);
  }
  return manifest;
}
