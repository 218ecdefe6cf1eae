import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FactoryError } from '@packaging-factory/core';

/**
 * Shared plumbing for the ZIP-based application package tests: where the fixtures live, which
 * real tools are installed, and building archives with Info-ZIP `zip` from a file map.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURES = path.resolve(here, '../../../shared/fixtures');
export const APK_FIXTURES = path.join(FIXTURES, 'binary-packages');

export const run = promisify(execFile);

async function has(tool: string, args: string[]): Promise<boolean> {
  try {
    await run(tool, args);
    return true;
  } catch (error) {
    // Tools that print usage exit non-zero yet exist: only ENOENT means missing.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

/**
 * True when the tool runs. In CI a missing tool is a failure, not a skip (TESTING.md); locally the
 * suite that needs it is skipped with a message naming the Debian package.
 */
export async function requireTool(tool: string, args: string[], aptPackage: string): Promise<boolean> {
  if (await has(tool, args)) return true;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    throw new Error(`${tool} is not installed but CI is set: apt-get install ${aptPackage}`);
  }
  console.warn(`SKIPPED: ${tool} is not installed; these tests need it (apt-get install ${aptPackage})`);
  return false;
}

/** Writes `files` (relative path → content) under `dir` and zips them, in the given order, with Info-ZIP zip. */
export async function zipFiles(
  dir: string,
  archive: string,
  files: Record<string, string | Buffer>,
  options: string[] = [],
): Promise<string> {
  for (const [name, content] of Object.entries(files)) {
    const target = path.join(dir, name);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
  // -X: no extra attributes (uid/gid, timestamps) so the archives are the same on every machine.
  await run('zip', ['-q', '-X', ...options, archive, ...Object.keys(files)], { cwd: dir });
  return archive;
}

/** Runs `action` and returns the FactoryError it throws (fails the test if it resolves or throws something else). */
export async function factoryError(action: () => Promise<unknown>): Promise<FactoryError> {
  try {
    await action();
  } catch (error) {
    if (error instanceof FactoryError) return error;
    throw new Error(`expected a FactoryError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a FactoryError, but the call succeeded');
}

/** Same for synchronous code. */
export function factoryErrorSync(action: () => unknown): FactoryError {
  try {
    action();
  } catch (error) {
    if (error instanceof FactoryError) return error;
    throw new Error(`expected a FactoryError, got ${String(error)}`, { cause: error });
  }
  throw new Error('expected a FactoryError, but the call succeeded');
}
