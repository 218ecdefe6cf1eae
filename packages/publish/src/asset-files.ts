import { stat } from 'node:fs/promises';
import path from 'node:path';
import { describeFile, FactoryError, type FileRecord } from '@packaging-factory/core';
import { glob, isDynamicPattern } from 'tinyglobby';
import { compareNames } from './checksums.ts';

/** Names the publish stage writes itself beside the assets. */
export const RESERVED_NAMES = ['SHA256SUMS', 'release.json'] as const;

/**
 * Expands the `files` input (paths and globs, relative to `workDir`) into described files, sorted
 * by name. Fails naming the entry when a path is missing, a glob matches nothing, two files would
 * share a release asset name, or a name is one GitHub would silently rewrite.
 */
export async function resolveAssetFiles(patterns: readonly string[], workDir: string, input = 'files'): Promise<FileRecord[]> {
  if (patterns.length === 0) {
    throw new FactoryError('INPUT_MISSING', `input '${input}' lists no files to publish`, {
      subject: input,
      hint: 'give one or more paths or globs, one per line',
    });
  }
  const found = new Set<string>();
  for (const pattern of patterns) {
    if (isDynamicPattern(pattern)) {
      const matches = await glob(pattern, { cwd: workDir, absolute: true, onlyFiles: true, dot: false, expandDirectories: false });
      if (matches.length === 0) {
        throw new FactoryError('FILE_NOT_FOUND', `input '${input}': the pattern '${pattern}' matches no file under ${workDir}`, {
          subject: pattern,
          hint: 'check the pattern; globs are resolved from the working directory',
        });
      }
      for (const match of matches) found.add(path.resolve(match));
      continue;
    }
    const file = path.resolve(workDir, pattern);
    const info = await stat(file).catch(() => undefined);
    if (info === undefined || !info.isFile()) {
      throw new FactoryError('FILE_NOT_FOUND', `input '${input}': ${pattern} is not a file`, {
        subject: pattern,
        hint:
          info === undefined
            ? 'check the path; it is resolved from the working directory'
            : 'list files, not directories (a glob like dir/* works)',
      });
    }
    found.add(file);
  }

  const byName = new Map<string, string>();
  for (const file of [...found].sort()) {
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
