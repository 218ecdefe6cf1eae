import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { digestBytes, digestFile, FactoryError } from '@packaging-factory/core';
import { CHECKSUMS_NAME, compareNames, formatSha256Sums } from './checksums.ts';
import type { LocalAsset } from './local-asset.ts';
import type { AssetOutcome, PublishReport } from './publish-report.ts';

export interface DirectoryReleaseRequest {
  /** The directory that holds one sub-directory per release tag. */
  root: string;
  tag: string;
  releaseName: string;
  releaseNotes?: string;
  prerelease: boolean;
  correlationId: string;
  /** ISO time recorded as the publication time (from SOURCE_DATE_EPOCH when set). */
  publishedAt: string;
  /** The assets without SHA256SUMS (written here from their digests). */
  assets: readonly LocalAsset[];
}

/** The manifest written beside the assets. */
export interface ReleaseManifest {
  tag: string;
  name: string;
  prerelease: boolean;
  notes?: string;
  correlationId: string;
  publishedAt: string;
  checksums: 'SHA256SUMS';
  assets: { name: string; sha256: string; size: number }[];
}

export const MANIFEST_NAME = 'release.json';

/**
 * Publishes to `<root>/<tag>/`, an immutable release directory. Everything is written into a
 * temporary directory beside it, fsynced, made read-only (0444) and renamed into place in one
 * step, so readers see no release or the whole release, never part of one. An existing release
 * directory is never written to: identical assets → skip; anything else → PUBLISH_ASSET_CONFLICT.
 */
export async function publishToDirectory(request: DirectoryReleaseRequest): Promise<PublishReport> {
  const finalDir = path.join(path.resolve(request.root), ...request.tag.split('/'));
  const assets = [...request.assets].sort((a, b) => compareNames(a.name, b.name));
  const checksumsText = formatSha256Sums(assets);
  const expected = new Map<string, string>(assets.map((a) => [a.name, a.sha256]));
  expected.set(CHECKSUMS_NAME, digestBytes(checksumsText));
  const releaseId = digestBytes(checksumsText);
  const report = (action: AssetOutcome['action'], decision: PublishReport['decision'], notes: string[]): PublishReport => ({
    target: 'dir',
    decision,
    releaseUrl: pathToFileURL(finalDir).href,
    // A content-derived id: the sha256 of SHA256SUMS names exactly this set of files and bytes.
    releaseId,
    assets: [...assets.map((a) => ({ name: a.name, sha256: a.sha256, size: a.size })), checksumsOutcome(checksumsText)]
      .sort((a, b) => compareNames(a.name, b.name))
      .map((a) => ({ ...a, action })),
    notes,
  });

  if (await exists(finalDir)) {
    await compareExisting(finalDir, expected, request.tag);
    return report('skipped', 'skip', [`release directory ${finalDir} already holds these assets`]);
  }

  const parent = path.dirname(finalDir);
  await mkdir(parent, { recursive: true });
  const staging = path.join(parent, `.${path.basename(finalDir)}.${randomUUID().slice(0, 8)}.partial`);
  await mkdir(staging);
  try {
    for (const asset of assets) await copyVerified(asset, path.join(staging, asset.name));
    await writeSynced(path.join(staging, CHECKSUMS_NAME), checksumsText);
    const manifest: ReleaseManifest = {
      tag: request.tag,
      name: request.releaseName,
      prerelease: request.prerelease,
      ...(request.releaseNotes === undefined ? {} : { notes: request.releaseNotes }),
      correlationId: request.correlationId,
      publishedAt: request.publishedAt,
      checksums: CHECKSUMS_NAME,
      assets: assets.map((a) => ({ name: a.name, sha256: a.sha256, size: a.size })),
    };
    await writeSynced(path.join(staging, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
    for (const name of await readdir(staging)) await chmod(path.join(staging, name), 0o444);
    await syncDirectory(staging);
    try {
      // rename(2) onto an existing non-empty directory fails (ENOTEMPTY/EEXIST): a concurrent
      // publisher that got there first is never overwritten.
      await rename(staging, finalDir);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      await compareExisting(finalDir, expected, request.tag);
      return report('skipped', 'skip', [`release directory ${finalDir} was published concurrently with the same assets`]);
    }
    await syncDirectory(parent);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return report('written', 'published', [`wrote release directory ${finalDir}`]);
}

function checksumsOutcome(text: string): { name: string; sha256: string; size: number } {
  return { name: CHECKSUMS_NAME, sha256: digestBytes(text), size: Buffer.byteLength(text) };
}

/** An existing release must hold exactly the expected files with the expected digests. */
async function compareExisting(finalDir: string, expected: Map<string, string>, tag: string): Promise<void> {
  const info = await lstat(finalDir);
  if (!info.isDirectory()) {
    throw new FactoryError('PUBLISH_ASSET_CONFLICT', `${finalDir} exists and is not a release directory`, {
      subject: finalDir,
      hint: 'choose another tag or directory',
    });
  }
  const present = new Set(await readdir(finalDir));
  const conflicts: string[] = [];
  // Map order: the assets by name, then SHA256SUMS, so conflicts name the real files first.
  for (const [name, sha256] of expected) {
    if (!present.has(name)) {
      conflicts.push(`${name} (missing from the release, local sha256:${sha256})`);
      continue;
    }
    const existing = await digestFile(path.join(finalDir, name));
    if (existing !== sha256) conflicts.push(`${name} (release has sha256:${existing}, local file has sha256:${sha256})`);
  }
  const extra = [...present].filter((name) => !expected.has(name) && name !== MANIFEST_NAME).sort(compareNames);
  for (const name of extra) conflicts.push(`${name} (in the release, not among the files to publish)`);
  if (!present.has(MANIFEST_NAME)) conflicts.push(`${MANIFEST_NAME} (missing: not a release directory written by publish)`);
  if (conflicts.length > 0) {
    throw new FactoryError(
      'PUBLISH_ASSET_CONFLICT',
      `release ${tag} in ${finalDir} already exists with other content: ${conflicts.join('; ')}. Nothing was changed.`,
      {
        subject: conflicts.map((c) => c.split(' ')[0]).join(', '),
        hint: 'a published release is immutable: publish the changed files under a new tag',
      },
    );
  }
}

/**
 * Copies a file while hashing what was read, and refuses the copy when the bytes are not the ones
 * digested earlier (the file changed after it was checked against the evidence pack).
 */
async function copyVerified(asset: LocalAsset, target: string): Promise<void> {
  const hash = createHash('sha256');
  const out = await open(target, 'wx', 0o644);
  try {
    for await (const chunk of createReadStream(asset.file, { highWaterMark: 1 << 20 })) {
      const bytes = chunk as Buffer;
      hash.update(bytes);
      await out.write(bytes);
    }
    await out.sync();
  } finally {
    await out.close();
  }
  const copied = hash.digest('hex');
  if (copied !== asset.sha256) {
    throw new FactoryError(
      'PUBLISH_DIGEST_MISMATCH',
      `${asset.name} changed while publishing: it was digested as sha256:${asset.sha256}, the bytes copied have sha256:${copied}`,
      { subject: asset.file, hint: 'do not modify files while they are being published; re-run' },
    );
  }
}

async function writeSynced(file: string, text: string): Promise<void> {
  const handle = await open(file, 'wx', 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync on a directory makes its entries (a rename into it) durable (POSIX fsync, Linux ext4). */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    // Windows cannot open a directory for fsync; NTFS journals the rename itself.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EACCES') throw error;
  } finally {
    await handle?.close();
  }
}

async function exists(file: string): Promise<boolean> {
  return lstat(file).then(
    () => true,
    () => false,
  );
}
