import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Shared plumbing for the Python tests: where fixtures live, and a Python that can build wheels offline. */

const here = path.dirname(fileURLToPath(import.meta.url));
export const FIXTURES = path.resolve(here, '../../../shared/fixtures');
export const run = promisify(execFile);

/**
 * A Python with pip, setuptools and wheel (Debian: python3-pip python3-setuptools python3-wheel):
 * `pip wheel --no-build-isolation --no-index` builds a local project without reaching PyPI.
 * Debian's /usr/bin/python3 first, since a pyenv or venv python3 on PATH may lack `wheel`.
 */
async function findBuildPython(): Promise<string | undefined> {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    try {
      await run(candidate, ['-c', 'import setuptools, wheel, pip']);
      return candidate;
    } catch {
      // try the next one
    }
  }
  return undefined;
}

export const buildPython = await findBuildPython();
if (buildPython === undefined) {
  if (process.env['CI'] !== undefined && process.env['CI'] !== '') {
    throw new Error(
      'no python3 with pip, setuptools and wheel but CI is set: apt-get install python3-pip python3-setuptools python3-wheel',
    );
  }
  console.warn('SKIPPED: no python3 with pip, setuptools and wheel (apt-get install python3-pip python3-setuptools python3-wheel)');
}
export const describeWithPython = buildPython === undefined ? describe.skip : describe;
