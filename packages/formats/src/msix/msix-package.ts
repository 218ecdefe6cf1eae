import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import { DEFAULT_ZIP_LIMITS, listZipEntries, readZipEntries, type ZipLimits } from '../zip/zip-archive.ts';
import { readAppxBundleManifest, type AppxBundleManifest } from './appx-bundle-manifest.ts';
import { readAppxManifest, type AppxManifest } from './appx-manifest.ts';
import { parseXmlDocument } from './xml-document.ts';

/**
 * MSIX/APPX packages and bundles are OPC ZIP archives (learn.microsoft.com/windows/msix/package/
 * packaging-uwp-apps): a package has AppxManifest.xml at its root, a bundle has
 * AppxMetadata/AppxBundleManifest.xml. Both carry AppxBlockMap.xml (the hash of every block) and,
 * when signed, AppxSignature.p7x (an Authenticode PKCS#7 over the block map and the ZIP records).
 */

export const APPX_MANIFEST = 'AppxManifest.xml';
export const APPX_BUNDLE_MANIFEST = 'AppxMetadata/AppxBundleManifest.xml';
export const APPX_BLOCK_MAP = 'AppxBlockMap.xml';
export const APPX_SIGNATURE = 'AppxSignature.p7x';
export const APPX_CONTENT_TYPES = '[Content_Types].xml';

/** Manifests are kilobytes; a megabyte-scale one is refused before it is inflated. */
const MANIFEST_LIMITS: ZipLimits = { ...DEFAULT_ZIP_LIMITS, maxEntryBytes: 8 * 1024 * 1024, maxTotalBytes: 16 * 1024 * 1024 };

interface MsixCommon {
  /** AppxSignature.p7x is present (not verified). */
  signed: boolean;
  hasBlockMap: boolean;
  hasContentTypes: boolean;
}

export type MsixPackage = ({ kind: 'package'; manifest: AppxManifest } | { kind: 'bundle'; manifest: AppxBundleManifest }) & MsixCommon;

/** Reads an .msix/.appx package or an .msixbundle/.appxbundle, whichever manifest it carries. */
export async function readMsixPackage(
  file: string,
  displayName = path.basename(file),
  limits: ZipLimits = MANIFEST_LIMITS,
): Promise<MsixPackage> {
  const names = new Set((await listZipEntries(file, limits)).map((e) => e.name));
  const common: MsixCommon = {
    signed: names.has(APPX_SIGNATURE),
    hasBlockMap: names.has(APPX_BLOCK_MAP),
    hasContentTypes: names.has(APPX_CONTENT_TYPES),
  };
  if (names.has(APPX_BUNDLE_MANIFEST)) {
    const bytes = (await readZipEntries(file, (n) => n === APPX_BUNDLE_MANIFEST, limits)).get(APPX_BUNDLE_MANIFEST) ?? Buffer.alloc(0);
    const subject = `${displayName}:${APPX_BUNDLE_MANIFEST}`;
    return { kind: 'bundle', manifest: readAppxBundleManifest(parseXmlDocument(bytes, subject), subject), ...common };
  }
  if (names.has(APPX_MANIFEST)) {
    const bytes = (await readZipEntries(file, (n) => n === APPX_MANIFEST, limits)).get(APPX_MANIFEST) ?? Buffer.alloc(0);
    const subject = `${displayName}:${APPX_MANIFEST}`;
    return { kind: 'package', manifest: readAppxManifest(parseXmlDocument(bytes, subject), subject), ...common };
  }
  throw new FactoryError(
    'ARCHIVE_CORRUPT',
    `${displayName} has neither ${APPX_MANIFEST} nor ${APPX_BUNDLE_MANIFEST}: it is not an MSIX/APPX package or bundle`,
    {
      subject: displayName,
      hint: 'an MSIX package carries AppxManifest.xml at its root; rebuild it with MakeAppx or the MSIX Packaging Tool',
    },
  );
}
