import { spawnSync } from 'node:child_process';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DPKG_BOOKKEEPING_PATHS, isUnderAny, scanUpperLayer } from '@packaging-factory/install-test';
import { tempDir } from '../support/context.ts';

/**
 * mknod of a character device needs root. Without root the test skips with a message, except under
 * CI, where it fails like the other sandbox tests: CI must run everything.
 */
const notRoot = process.getuid?.() === 0 ? undefined : 'mknod of a whiteout needs root';
const inCi = process.env['CI'] !== undefined && process.env['CI'] !== '';
if (notRoot !== undefined && !inCi) console.warn(`skipping the whiteout test: ${notRoot}`);
const rootOnly: (name: string, fn: () => Promise<void>) => void =
  notRoot === undefined
    ? test
    : inCi
      ? (name) =>
          test(name, () => {
            throw new Error(`${notRoot} (CI is set: run the tests as root, e.g. sudo -E npm test)`);
          })
      : test.skip;

let dir: string;
let lower: string;
let upper: string;

async function put(root: string, file: string, content: string, mode = 0o644): Promise<void> {
  const target = path.join(root, file);
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, content);
  await chmod(target, mode);
}

beforeEach(async () => {
  dir = await tempDir('factory-upper-');
  lower = path.join(dir, 'lower');
  upper = path.join(dir, 'upper');
  await put(lower, 'etc/shells', '/bin/sh\n');
  await put(lower, 'etc/hostname', 'box\n');
  await put(lower, 'usr/bin/tool', '#!/bin/sh\n', 0o755);
  await mkdir(path.join(lower, 'var/lib/dpkg'), { recursive: true });
  await mkdir(path.join(lower, 'var/cache'), { recursive: true });
  await mkdir(path.join(upper), { recursive: true });
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('scanUpperLayer', () => {
  test('an upper layer holding only copied-up directories and bookkeeping has no changes', async () => {
    await mkdir(path.join(upper, 'usr/bin'), { recursive: true });
    await put(upper, 'var/lib/dpkg/status', 'Package: x\n');
    await put(upper, 'var/log/dpkg.log', 'log\n');
    await put(upper, 'var/cache/factory-install/x.deb', 'deb');
    await put(upper, 'etc/hostname', 'box\n'); // rewritten with the same bytes and mode
    expect(await scanUpperLayer(upper, { ignore: DPKG_BOOKKEEPING_PATHS, lowerRoot: lower })).toEqual([]);
  });

  test('new files, new empty directories, changed content, mode and link targets are reported, sorted', async () => {
    await put(upper, 'var/lib/leftover/state', 'x');
    await mkdir(path.join(upper, 'opt/empty'), { recursive: true });
    await put(upper, 'etc/shells', '/bin/sh\n/usr/bin/extra\n');
    await put(upper, 'usr/bin/tool', '#!/bin/sh\n', 0o777);
    await symlink('/nowhere', path.join(upper, 'etc/link'));
    const changes = await scanUpperLayer(upper, { ignore: DPKG_BOOKKEEPING_PATHS, lowerRoot: lower });
    expect(changes).toEqual([
      { path: '/etc/link', kind: 'new', type: 'symlink' },
      { path: '/etc/shells', kind: 'modified', type: 'file' },
      { path: '/opt/empty', kind: 'new', type: 'directory' },
      { path: '/usr/bin/tool', kind: 'modified', type: 'file' },
      { path: '/var/lib/leftover/state', kind: 'new', type: 'file' },
    ]);
  });

  rootOnly('an overlayfs whiteout (char device 0/0) over a host file is a removal', async () => {
    await mkdir(path.join(upper, 'etc'), { recursive: true });
    expect(spawnSync('mknod', [path.join(upper, 'etc/hostname'), 'c', '0', '0']).status).toBe(0);
    expect(await scanUpperLayer(upper, { ignore: [], lowerRoot: lower })).toEqual([
      { path: '/etc/hostname', kind: 'removed', type: 'file' },
    ]);
  });

  test('prefix matching is by path component', () => {
    expect(isUnderAny('/var/log', ['/var/log'])).toBe(true);
    expect(isUnderAny('/var/log/apt/x', ['/var/log'])).toBe(true);
    expect(isUnderAny('/var/logs/x', ['/var/log'])).toBe(false);
    expect(isUnderAny('/tmpfile', ['/tmp'])).toBe(false);
  });
});
