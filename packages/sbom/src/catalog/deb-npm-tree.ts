import path from 'node:path';
import type { ExecRunner } from '@packaging-factory/core';
import { scanDebData, type DebDataScan, type DebFileEntry } from '@packaging-factory/formats';
import { npmInstallLocation, parseInstalledNpmManifest, type InstalledNpmPackage } from '../npm/npm-installed.ts';

/** The npm packages installed in a .deb's data tree, read from their package.json files. */
export interface DebNpmTree {
  /** Installed packages by package directory ('/usr/lib/app/node_modules/@s/x'). */
  installed: Map<string, InstalledNpmPackage>;
  /**
   * Package directories that are symlinks leading out of this package (Debian's node-* packages
   * link node_modules entries to /usr/share/nodejs), with the resolved target.
   */
  external: Map<string, string>;
  /** Package directories with no package.json at all: code Node may load, that no one can identify. */
  unidentified: string[];
}

// Linux's limit on symlinks followed in one lookup (path_resolution(7): MAXSYMLINKS = 40).
const MAX_SYMLINK_HOPS = 40;

/**
 * Resolves a path the way the kernel would once the package is installed, using only the package's
 * own listing: each symlink component is replaced by its target (relative to its directory, or
 * absolute), '..' climbs. `undefined` on a loop. `viaLink` says whether any symlink was followed.
 */
function resolveInListing(start: string, entries: ReadonlyMap<string, DebFileEntry>): { path: string; viaLink: boolean } | undefined {
  let pending = start.split('/').filter((s) => s !== '');
  let resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const [part, ...rest] = pending;
    pending = rest;
    if (part === undefined || part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const entry = entries.get(`/${[...resolved, part].join('/')}`);
    if (entry?.type === 'symlink' && entry.linkTarget !== undefined) {
      hops += 1;
      if (hops > MAX_SYMLINK_HOPS) return undefined;
      if (entry.linkTarget.startsWith('/')) resolved = [];
      pending = [...entry.linkTarget.split('/').filter((s) => s !== ''), ...pending];
      continue;
    }
    resolved.push(part);
  }
  return { path: `/${resolved.join('/')}`, viaLink: hops > 0 };
}

/**
 * Finds every installed npm package in a scanned .deb and reads its package.json. The scan
 * captured the package.json files stored as regular files directly in package directories; the
 * few reached through links (a symlinked package directory, a symlinked or hard-linked
 * package.json) are resolved over the listing and read in one more, exactly targeted pass.
 */
export async function readDebNpmTree(file: string, exec: ExecRunner, scan: DebDataScan, displayName: string): Promise<DebNpmTree> {
  const entries = new Map(scan.files.map((f) => [f.path, f]));
  const packageDirs = new Set<string>();
  for (const entry of scan.files) {
    // A directory, or a symlink standing in for one, where npm puts a package.
    if ((entry.type === 'directory' || entry.type === 'symlink') && npmInstallLocation(entry.path) !== undefined) {
      packageDirs.add(entry.path);
    } else if (entry.path.endsWith('/package.json')) {
      const dir = path.posix.dirname(entry.path);
      if (npmInstallLocation(dir) !== undefined) packageDirs.add(dir);
    }
  }

  const tree: DebNpmTree = { installed: new Map(), external: new Map(), unidentified: [] };
  const manifests = new Map<string, string>();
  for (const dir of [...packageDirs].sort()) {
    const resolved = resolveInListing(`${dir}/package.json`, entries);
    if (resolved === undefined) {
      tree.external.set(dir, '(symlink loop)');
      continue;
    }
    let real = resolved.path;
    let entry = entries.get(real);
    // Hard links in a tar name an earlier member: its content is theirs.
    if (entry?.type === 'hardlink' && entry.linkTarget !== undefined) {
      real = entry.linkTarget;
      entry = entries.get(real);
    }
    if (entry?.type === 'file') {
      manifests.set(dir, real);
    } else if (entry === undefined && resolved.viaLink) {
      tree.external.set(dir, path.posix.dirname(real));
    } else {
      tree.unidentified.push(dir);
    }
  }

  const missing = new Set([...manifests.values()].filter((real) => !scan.captured.has(real)));
  const captured = new Map(scan.captured);
  if (missing.size > 0) {
    for (const [p, content] of (await scanDebData(file, exec, (p) => missing.has(p))).captured) captured.set(p, content);
  }
  for (const [dir, real] of manifests) {
    const content = captured.get(real);
    if (content === undefined) {
      tree.unidentified.push(dir);
      continue;
    }
    tree.installed.set(dir, parseInstalledNpmManifest(content.toString('utf8'), dir, real, `${displayName}:${real}`));
  }
  tree.unidentified.sort();
  return tree;
}
