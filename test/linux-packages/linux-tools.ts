import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

/** Shared plumbing for the Linux package tests: fixture locations and the real tools used as oracles. */

const here = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURES = path.resolve(here, '../../../shared/fixtures');
export const INVENTORY = path.join(FIXTURES, 'package-inventory');
export const BINARY_PACKAGES = path.join(FIXTURES, 'binary-packages');

export const run = promisify(execFile);

async function has(tool: string, args: string[]): Promise<boolean> {
  try {
    await run(tool, args);
    return true;
  } catch {
    return false;
  }
}

/**
 * True when `tool` runs. In CI a missing tool is a failure, not a skip (TESTING.md); elsewhere the
 * tests that need it skip with a message naming the Debian package.
 */
export async function requireTool(tool: string, aptPackage: string, args = ['--version']): Promise<boolean> {
  if (await has(tool, args)) return true;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    throw new Error(`${tool} is not installed but CI is set: apt-get install ${aptPackage}`);
  }
  console.warn(`SKIPPED: ${tool} is not installed; these tests need it (apt-get install ${aptPackage})`);
  return false;
}

/** A FIXTURE line for the closing note, printed once per suite. */
export function fixtureLine(topic: string, passed: number, total: number): string {
  return `FIXTURE ${topic}: ${passed}/${total}`;
}
