import { stat } from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { FactoryError } from './errors.ts';

/**
 * Expands a `paths` input the same way in every stage: plain paths must name existing files, glob
 * patterns (`dist/*.deb`) must match at least one file; both resolved from the working directory.
 * Returns absolute paths, sorted, without duplicates. An empty list is an error naming the input.
 */
export async function expandFilePatterns(patterns: readonly string[], workDir: string, input: string): Promise<string[]> {
  if (patterns.length === 0) {
    throw new FactoryError('INPUT_MISSING', `input '${input}' lists no files`, {
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
          subject: input,
          hint: 'check the pattern; globs are resolved from the working directory',
        });
      }
      for (const match of matches) found.add(path.resolve(match));
      continue;
    }
    const file = path.resolve(workDir, pattern);
    const info = await stat(file).catch(() => undefined);
    if (info === undefined || !info.isFile()) {
      throw new FactoryError('FILE_NOT_FOUND', `input '${input}': ${pattern} ${info === undefined ? 'does not exist' : 'is not a file'}`, {
        subject: input,
        hint:
          info === undefined
            ? 'check the path; it is resolved from the working directory'
            : 'list files, not directories (a glob like dir/* works)',
      });
    }
    found.add(file);
  }
  return [...found].sort();
}
