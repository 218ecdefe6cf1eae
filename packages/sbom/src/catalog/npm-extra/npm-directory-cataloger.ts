import { statSync } from 'node:fs';
import { lstat, readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError, isFactoryError } from '@packaging-factory/core';
import { parseInstalledNpmManifest, type InstalledNpmPackage } from '../../npm/npm-installed.ts';
import { parseNpmLockfile, type NpmLockfile } from '../../npm/npm-lockfile.ts';
import type { Cataloger, CatalogContext, CatalogOutput, CatalogTarget } from '../cataloger.ts';
import { catalogNpmProject, type NpmProjectCatalog } from './npm-project-catalog.ts';

/**
 * A project installed on disk: package.json with a node_modules tree beside it (what `npm install`
 * or `npm ci` leaves, what a container image or a Lambda bundle ships). The directory walk never
 * enters node_modules; this cataloger reads the tree itself, package.json by package.json, the way
 * Node resolves it: `node_modules/<name>` and `node_modules/@scope/<name>`, nested node_modules
 * below each package, dot-entries (.bin, .cache, .package-lock.json) being npm's bookkeeping.
 */

/** Bounds on one tree: far above real projects (a large monorepo installs ~5,000 packages). */
const MAX_PACKAGES = 200_000;

export interface NodeModulesTree {
  /** Packages keyed by install path ('node_modules/a/node_modules/@s/b'). */
  installed: Map<string, InstalledNpmPackage>;
  /** Install paths that are dangling symlinks, with their targets. */
  external: Map<string, string>;
  /** Package directories without a package.json: code Node may load that nothing identifies. */
  unidentified: string[];
  /** package.json files that exist but cannot be read or parsed. */
  unreadable: { file: string; reason: string }[];
}

/**
 * Reads `<projectDir>/node_modules`. Symlinked packages (workspaces, `file:` links, pnpm-style
 * layouts) are read through the link but not descended into: their own node_modules belong to the
 * linked project and a link cycle would never end.
 */
export async function readNodeModulesTree(projectDir: string, shownDir: string): Promise<NodeModulesTree> {
  const tree: NodeModulesTree = { installed: new Map(), external: new Map(), unidentified: [], unreadable: [] };
  const pending: { dir: string; prefix: string }[] = [{ dir: path.join(projectDir, 'node_modules'), prefix: 'node_modules' }];
  const shownOf = (installPath: string): string => `${shownDir.replace(/\/$/, '')}/${installPath}`;
  while (pending.length > 0) {
    const { dir, prefix } = pending.pop() as { dir: string; prefix: string };
    const packageDirs: { full: string; installPath: string }[] = [];
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(dir, entry.name);
      if (entry.name.startsWith('@')) {
        for (const scoped of await readdir(full, { withFileTypes: true }).catch(() => [])) {
          if (!scoped.name.startsWith('.'))
            packageDirs.push({ full: path.join(full, scoped.name), installPath: `${prefix}/${entry.name}/${scoped.name}` });
        }
      } else {
        packageDirs.push({ full, installPath: `${prefix}/${entry.name}` });
      }
    }
    for (const { full, installPath } of packageDirs.sort((a, b) => (a.installPath < b.installPath ? -1 : 1))) {
      if (tree.installed.size >= MAX_PACKAGES) {
        throw new FactoryError('ARCHIVE_LIMIT', `${shownDir}/node_modules holds more than ${MAX_PACKAGES} packages`, { subject: shownDir });
      }
      const info = await lstat(full).catch(() => undefined);
      if (info === undefined) continue;
      const isLink = info.isSymbolicLink();
      const target = isLink ? await stat(full).catch(() => undefined) : info;
      if (target === undefined) {
        // A dangling link: the package it names is not on this disk.
        tree.external.set(installPath, await readlink(full).catch(() => ''));
        continue;
      }
      if (!target.isDirectory()) continue;
      const manifestPath = path.join(full, 'package.json');
      let text: string;
      try {
        text = await readFile(manifestPath, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') tree.unidentified.push(shownOf(installPath));
        else tree.unreadable.push({ file: `${shownOf(installPath)}/package.json`, reason: String((error as Error).message) });
        continue;
      }
      try {
        const real = isLink ? await realpath(manifestPath) : manifestPath;
        tree.installed.set(installPath, parseInstalledNpmManifest(text, full, real, `${shownOf(installPath)}/package.json`));
      } catch (error) {
        if (!isFactoryError(error)) throw error;
        tree.unreadable.push({ file: `${shownOf(installPath)}/package.json`, reason: error.message });
        continue;
      }
      if (!isLink) pending.push({ dir: path.join(full, 'node_modules'), prefix: `${installPath}/node_modules` });
    }
  }
  tree.unidentified.sort();
  return tree;
}

/**
 * The lockfile npm itself would trust for the project: npm-shrinkwrap.json, else package-lock.json,
 * else the hidden lockfile npm 7+ writes at node_modules/.package-lock.json (a record of the tree).
 */
async function projectLock(
  projectDir: string,
  shownDir: string,
): Promise<{ lock?: { file: string; shown: string; lockfile: NpmLockfile }; note?: string }> {
  for (const relative of ['npm-shrinkwrap.json', 'package-lock.json', 'node_modules/.package-lock.json']) {
    const file = path.join(projectDir, relative);
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    const shown = `${shownDir.replace(/\/$/, '')}/${relative}`;
    try {
      return { lock: { file: shown, shown, lockfile: parseNpmLockfile(text, shown) } };
    } catch (error) {
      if (!isFactoryError(error)) throw error;
      // The lockfile cataloger reports the broken file itself; the tree is still what is installed.
      return { note: `${shown} cannot be read (${error.message}): the tree is catalogued without it` };
    }
  }
  return {};
}

export interface NpmDirectoryCatalog extends NpmProjectCatalog {
  unreadable: { file: string; reason: string }[];
  unidentified: string[];
}

/** Catalogues the project in `projectDir` (package.json + node_modules + lockfile); `shownDir` names it to users. */
export async function catalogNpmProjectDirectory(projectDir: string, shownDir: string): Promise<NpmDirectoryCatalog> {
  const tree = await readNodeModulesTree(projectDir, shownDir);
  const { lock, note } = await projectLock(projectDir, shownDir);
  const manifestFile = path.join(projectDir, 'package.json');
  const manifestText = await readFile(manifestFile, 'utf8').catch(() => undefined);
  const catalog = catalogNpmProject({
    dir: shownDir,
    source: `${shownDir.replace(/\/$/, '')}/package.json`,
    treeSource: `${shownDir.replace(/\/$/, '')}/node_modules`,
    ...(manifestText === undefined ? {} : { manifest: { text: manifestText, origin: `${shownDir.replace(/\/$/, '')}/package.json` } }),
    installed: tree.installed,
    external: tree.external,
    ...(lock === undefined ? {} : { lock }),
    treeIsComplete: true,
  });
  if (note !== undefined) catalog.notes.push(note);
  if (tree.unidentified.length > 0) {
    catalog.notes.push(`${tree.unidentified.length} directory(ies) in node_modules have no package.json: ${tree.unidentified.join(', ')}`);
  }
  return { ...catalog, unreadable: tree.unreadable, unidentified: tree.unidentified };
}

function shownProjectDir(target: CatalogTarget, projectDir: string): string {
  // target.shown names the matched file; its project directory is shown the same way.
  const depth = path.relative(projectDir, target.file).split(path.sep).length;
  let shown = target.shown;
  for (let i = 0; i < depth; i += 1) shown = path.posix.dirname(shown);
  return shown;
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

async function catalogDirectoryTarget(target: CatalogTarget, _ctx: CatalogContext): Promise<CatalogOutput> {
  // package.json → its directory; node_modules/.package-lock.json → the directory above node_modules.
  const projectDir = path.basename(target.file) === 'package.json' ? path.dirname(target.file) : path.dirname(path.dirname(target.file));
  const catalog = await catalogNpmProjectDirectory(projectDir, shownProjectDir(target, projectDir));
  return { components: catalog.components, notes: catalog.notes, unreadable: catalog.unreadable };
}

/**
 * Installed npm projects: a package.json outside node_modules with a node_modules directory beside
 * it, or the hidden lockfile node_modules/.package-lock.json when node_modules itself is walked.
 */
export const npmInstalledCataloger: Cataloger = {
  kind: 'npm-installed',
  role: 'manifest',
  matches: (c) => {
    const parts = c.path.split(path.sep);
    if (c.name === 'package.json')
      return !parts.slice(0, -1).includes('node_modules') && isDirectory(path.join(path.dirname(c.path), 'node_modules'));
    return c.name === '.package-lock.json' && parts[parts.length - 2] === 'node_modules' && !parts.slice(0, -2).includes('node_modules');
  },
  catalog: catalogDirectoryTarget,
};
