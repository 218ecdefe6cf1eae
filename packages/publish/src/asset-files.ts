import path from 'node:path';
import { describeFile, expandFilePatterns, FactoryError, type FileRecord } from '@packaging-factory/core';
import { compareNames } from './checksums.ts';

/** Names the publish stage writes itself beside the assets. */
export const RESERVED_NAMES = ['SHA256SUMS', 'release.json'] as const;

/**
 * Expands the `files` input (paths and globs, relative to `workDir`) into described files, sorted
 * by name. Fails naming the entry when a path is missing, a glob matches nothing, two files would
 * share a release asset name, or a name is one GitHub would silently rewrite.
 */
export async function resolveAssetFiles(patterns: readonly string[], workDir: string, input = 'files'): Promise<FileRecord[]> {
  const found = await expandFilePatterns(patterns, workDir, input);

  const byName = new Map<string, string>();
  for (const file of found) {
    const name = path.basename(file);
    assetNameProblem(name, input);
    const other = byName.get(name);
    if (other !== undefined) {
      throw new FactoryError('INPUT_INVALID', `input '${input}': ${other} and ${file} would both be the release asset '${name}'`, {
        subject: name,
        hint: 'a release is a flat set of names: rename one of them or publish them separately',
      });
    }
    byName.set(name, file);
  }
  const records: FileRecord[] = [];
  for (const name of [...byName.keys()].sort(compareNames)) {
    records.push(await describeFile(byName.get(name) ?? '', 'artifact', workDir));
  }
  return records;
}

/**
 * GitHub renames uploaded assets whose names contain special characters or leading/trailing
 * periods ("About releases": asset names), so the uploaded name would no longer match what
 * SHA256SUMS and the evidence pack say. Such names are refused up front.
 */
function assetNameProblem(name: string, input: string): void {
  if ((RESERVED_NAMES as readonly string[]).includes(name)) {
    throw new FactoryError('INPUT_INVALID', `input '${input}': '${name}' is written by the publish stage itself and cannot be an asset`, {
      subject: name,
      hint: 'leave it out of the files list',
    });
  }
  if (!/^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/.test(name) || name.endsWith('.')) {
    throw new FactoryError('INPUT_INVALID', `input '${input}': the asset name '${name}' has characters GitHub would rewrite`, {
      subject: name,
      hint: 'use letters, digits, and . _ + - only, not starting or ending with a period',
    });
  }
}
