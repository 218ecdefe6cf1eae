import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Shared test plumbing for Debian tools: where fixtures live and whether dpkg-deb can run. */

const here = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURES = path.resolve(here, '../../../shared/fixtures');
export const DEB_FIXTURES = path.join(FIXTURES, 'binary-packages');
export const HELLO_PKGROOT = path.resolve(here, '../../examples/hello/pkgroot');

export const run = promisify(execFile);

async function has(tool: string): Promise<boolean> {
  try {
    await run(tool, ['--version']);
    return true;
  } catch {
    return false;
  }
}

/** True when dpkg-deb is installed. In CI a missing tool is a failure, not a skip (TESTING.md). */
export async function requireDpkgDeb(): Promise<boolean> {
  if (await has('dpkg-deb')) return true;
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    throw new Error('dpkg-deb is not installed but CI is set: install dpkg (apt-get install dpkg dpkg-dev)');
  }
  console.warn('SKIPPED: dpkg-deb is not installed; these tests need it (apt-get install dpkg dpkg-dev)');
  return false;
}

/** `describe` that runs only when dpkg-deb exists (and fails in CI when it does not). */
export const dpkgAvailable = await requireDpkgDeb();
export const describeWithDpkg = dpkgAvailable ? describe : describe.skip;
