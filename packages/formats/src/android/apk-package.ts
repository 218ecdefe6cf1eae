import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import { listZipEntries, readZipEntries, type ZipLimits, DEFAULT_ZIP_LIMITS } from '../zip/zip-archive.ts';
import { readAndroidManifest, type AndroidManifest } from './android-manifest.ts';
import { readApkSigningBlock, type ApkSigningBlock } from './apk-signing-block.ts';
import { parseBinaryXml } from './binary-xml.ts';
import { ResourceTable } from './resource-table.ts';

/**
 * An Android application package: a ZIP holding the compiled AndroidManifest.xml and (usually)
 * resources.arsc, signed with JAR signing (v1: META-INF/*.SF plus a PKCS#7 block *.RSA/*.DSA/*.EC)
 * and/or the APK Signature Scheme v2/v3 block before the central directory.
 */

export const APK_MANIFEST = 'AndroidManifest.xml';
export const APK_RESOURCES = 'resources.arsc';

/** META-INF/<name>.RSA|DSA|EC: the PKCS#7 signature block of JAR signing (JAR File Specification, "Signed JAR File"). */
const V1_SIGNATURE_BLOCK = /^META-INF\/[^/]+\.(rsa|dsa|ec)$/i;

export interface ApkSigning {
  /** Schemes present (not verified): 'v1' (JAR), 'v2', 'v3', 'v3.1'; empty when unsigned. */
  schemes: string[];
  /** The v1 signature block files (META-INF/CERT.RSA...). */
  v1SignatureFiles: string[];
  block?: ApkSigningBlock;
}

export interface ApkPackage {
  manifest: AndroidManifest;
  signing: ApkSigning;
  /** Whether resources.arsc was present (references resolve only with it). */
  hasResources: boolean;
}

/** Reads an APK's manifest (resolving references through resources.arsc) and its signing schemes. */
export async function readApk(
  file: string,
  displayName = path.basename(file),
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Promise<ApkPackage> {
  const names = (await listZipEntries(file, limits)).map((e) => e.name);
  const parts = await readZipEntries(file, (name) => name === APK_MANIFEST || name === APK_RESOURCES, limits);
  const manifestBytes = parts.get(APK_MANIFEST);
  if (manifestBytes === undefined) {
    throw new FactoryError('ARCHIVE_CORRUPT', `${displayName} has no ${APK_MANIFEST}: it is not an Android application package`, {
      subject: displayName,
      hint: 'an APK carries its compiled manifest at the archive root; rebuild it with the Android build tools',
    });
  }
  const doc = parseBinaryXml(manifestBytes, `${displayName}:${APK_MANIFEST}`);
  const resources = parts.get(APK_RESOURCES);
  const table = resources === undefined ? undefined : new ResourceTable(resources, `${displayName}:${APK_RESOURCES}`);
  const manifest = readAndroidManifest(doc, table, `${displayName}:${APK_MANIFEST}`);

  const v1SignatureFiles = names.filter((n) => V1_SIGNATURE_BLOCK.test(n)).sort();
  const block = await readApkSigningBlock(file);
  const schemes: string[] = [];
  if (v1SignatureFiles.length > 0) schemes.push('v1');
  for (const scheme of ['v2', 'v3', 'v3.1']) if (block?.entries.includes(scheme) === true) schemes.push(scheme);
  const signing: ApkSigning = { schemes, v1SignatureFiles };
  if (block !== undefined) signing.block = block;
  return { manifest, signing, hasResources: table !== undefined };
}
