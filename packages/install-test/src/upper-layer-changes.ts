import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { digestFile } from '@packaging-factory/core';
import type { SandboxChange } from './sandbox.ts';

/**
 * Paths where dpkg, its triggers and the sandbox itself keep state that legitimately outlives a
 * purge: dpkg's database and logs, debconf's cache, the copied .deb (/var/cache/factory-install),
 * and the caches that the libc-bin (ldconfig) and man-db triggers regenerate after any package
 * with libraries or manual pages comes or goes. Scratch space (/tmp, /run, /root, ...) is an empty
 * tmpfs in every sandbox run (hidden-host-paths.ts), so nothing written there reaches the upper
 * layer; it stays listed for sandboxes where the host has no such directory to cover.
 */
export const DPKG_BOOKKEEPING_PATHS = [
  '/etc/ld.so.cache',
  '/root/.cache',
  '/run',
  '/tmp',
  '/var/cache/debconf',
  '/var/cache/factory-install',
  '/var/cache/ldconfig',
  '/var/cache/man',
  '/var/lib/dpkg',
  '/var/log',
] as const;

export interface UpperLayerScanOptions {
  /** Path prefixes (absolute, inside the sandbox) whose contents are not reported. */
  ignore: readonly string[];
  /** The overlay's lower layer as the host sees it (default '/'). */
  lowerRoot?: string;
}

/** True when `p` is one of the prefixes or lies under one. */
export function isUnderAny(p: string, prefixes: readonly string[]): boolean {
  return prefixes.some((prefix) => p === prefix || p.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
}

/**
 * Lists what an overlay's upper layer holds that the lower layer does not: new entries, entries
 * that differ from the lower one (content, link target, type, mode or owner), and whiteouts
 * (character devices 0/0, overlayfs' mark for a deleted lower entry). Directories that merely
 * exist in the upper layer because something below them changed (copy-up) are not changes.
 * A new directory is reported only when nothing under it is, so a leftover tree names its files.
 */
export async function scanUpperLayer(upperDir: string, options: UpperLayerScanOptions): Promise<SandboxChange[]> {
  const lowerRoot = options.lowerRoot ?? '/';
  const changes: SandboxChange[] = [];
  await walk(upperDir, '/', lowerRoot, options.ignore, changes);
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function walk(
  upperDir: string,
  sandboxDir: string,
  lowerRoot: string,
  ignore: readonly string[],
  out: SandboxChange[],
): Promise<number> {
  const entries = await readdir(path.join(upperDir, sandboxDir), { withFileTypes: true });
  let reported = 0;
  for (const entry of entries) {
    const sandboxPath = path.posix.join(sandboxDir, entry.name);
    if (isUnderAny(sandboxPath, ignore)) continue;
    const upper = await lstat(path.join(upperDir, sandboxPath));
    const lower = await lstatOrUndefined(path.join(lowerRoot, sandboxPath));
    if (upper.isCharacterDevice() && upper.rdev === 0) {
      if (lower !== undefined) {
        out.push({ path: sandboxPath, kind: 'removed', type: typeOf(lower) });
        reported += 1;
      }
      continue;
    }
    if (upper.isDirectory()) {
      const below = await walk(upperDir, sandboxPath, lowerRoot, ignore, out);
      reported += below;
      if (lower === undefined) {
        if (below === 0) {
          out.push({ path: sandboxPath, kind: 'new', type: 'directory' });
          reported += 1;
        }
      } else if (!lower.isDirectory() || !sameOwnerAndMode(upper, lower)) {
        out.push({ path: sandboxPath, kind: 'modified', type: 'directory' });
        reported += 1;
      }
      continue;
    }
    if (lower === undefined) {
      out.push({ path: sandboxPath, kind: 'new', type: typeOf(upper) });
      reported += 1;
    } else if (!(await sameEntry(path.join(upperDir, sandboxPath), upper, path.join(lowerRoot, sandboxPath), lower))) {
      out.push({ path: sandboxPath, kind: 'modified', type: typeOf(upper) });
      reported += 1;
    }
  }
  return reported;
}

async function lstatOrUndefined(file: string): Promise<Stats | undefined> {
  try {
    return await lstat(file);
  } catch {
    return undefined;
  }
}

function typeOf(info: Stats): string {
  if (info.isFile()) return 'file';
  if (info.isDirectory()) return 'directory';
  if (info.isSymbolicLink()) return 'symlink';
  return 'other';
}

function sameOwnerAndMode(a: Stats, b: Stats): boolean {
  return a.mode === b.mode && a.uid === b.uid && a.gid === b.gid;
}

/** A copied-up file that was rewritten with the same bytes (ldconfig, a trigger) is no change. */
async function sameEntry(upperFile: string, upper: Stats, lowerFile: string, lower: Stats): Promise<boolean> {
  if (!sameOwnerAndMode(upper, lower)) return false;
  if (upper.isSymbolicLink()) return (await readlink(upperFile)) === (await readlink(lowerFile));
  if (upper.isFile()) return upper.size === lower.size && (await digestFile(upperFile)) === (await digestFile(lowerFile));
  return upper.rdev === lower.rdev;
}
