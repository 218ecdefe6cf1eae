import semver from 'semver';
import { basePackage, resolveNpmDependency, type NpmLockfile, type NpmLockPackage } from '../npm/npm-lockfile.ts';
import type { InstalledNpmPackage } from '../npm/npm-installed.ts';
import { catalogNpmLockfile, type NpmCatalog } from './npm-cataloger.ts';

/**
 * One npm project shipped inside a package: its installed node_modules tree and, when present, the
 * lockfile beside it. The installed package.json files are the truth (they are what runs and what a
 * scanner must see); the lockfile adds what only it knows (integrity, resolved URL, dev/optional
 * flags, the root project) and is cross-checked against the tree.
 */
export interface NpmProjectInput {
  /** Project directory inside the package ('/usr/lib/app'). */
  dir: string;
  /** The lockfile of the project, when it ships one: where it is, and its parsed content. */
  lock?: { file: string; lockfile: NpmLockfile };
  /** Installed packages, keyed by install path relative to `dir` ('node_modules/a/node_modules/b'). */
  installed: ReadonlyMap<string, InstalledNpmPackage>;
  /**
   * Install paths that are symlinks leading out of the package (Debian links node_modules entries to
   * /usr/share/nodejs, shipped by other packages), with their targets: present, but not readable here.
   */
  external: ReadonlyMap<string, string>;
  /** Value of each component's `packaging-factory:source` property. */
  source: string;
}

/** An installed package whose name or version differs from the lockfile's entry for the same path. */
export interface NpmLockMismatch {
  /** Absolute install path ('/usr/lib/app/node_modules/minimist'). */
  path: string;
  installedName: string;
  installedVersion: string;
  lockedName: string;
  lockedVersion: string;
}

export interface NpmPackageAt {
  path: string;
  name: string;
  version: string;
}

/** What the cross-check of one project found. Every list is sorted by path. */
export interface NpmProjectReport {
  dir: string;
  /** The lockfile compared against (absolute path inside the package), if any. */
  lockfile?: string;
  /** Packages read from installed package.json files. */
  installed: number;
  /** Gate: the package ships something else than its lockfile says. */
  mismatches: NpmLockMismatch[];
  /** Installed, but the lockfile has no entry for the path: catalogued from the package.json. */
  notInLockfile: NpmPackageAt[];
  /** Locked as a production dependency but not installed (dev, optional and extraneous entries are left out). */
  notInstalled: NpmPackageAt[];
  /** Installed as symlinks out of the package: their versions cannot be checked here. */
  external: { path: string; target: string }[];
}

function join(dir: string, relative: string): string {
  return `${dir.replace(/\/$/, '')}/${relative}`;
}

/**
 * Same package? Names must match exactly; versions match as strings or, when both are semver, as
 * equal versions. A lock entry without a version (v1 git/file dependencies) states none to contradict.
 */
function agrees(installed: InstalledNpmPackage, locked: NpmLockPackage): boolean {
  if (installed.name !== locked.name) return false;
  if (locked.version === '' || installed.version === locked.version) return true;
  const a = semver.valid(installed.version, { loose: true });
  const b = semver.valid(locked.version, { loose: true });
  return a !== null && b !== null && semver.eq(a, b, { loose: true });
}

/** A lock-model entry describing an installed package: its own package.json facts, plus the lock's when they agree. */
function entryFor(path: string, installed: InstalledNpmPackage, locked: NpmLockPackage | undefined, lockAgrees: boolean): NpmLockPackage {
  const own = {
    name: installed.name,
    version: installed.version,
    dependencies: installed.dependencies,
    optionalDependencies: installed.optionalDependencies,
    peerDependencies: installed.peerDependencies,
  };
  if (locked !== undefined && lockAgrees) {
    const { link: _link, ...rest } = locked;
    return { ...rest, ...own, path, licenses: installed.licenses.length > 0 ? installed.licenses : locked.licenses };
  }
  // No lock entry, or one describing another package: its integrity and resolved URL are not this
  // package's. npm's dev/optional marks are about the path, so they stay.
  return {
    ...own,
    path,
    licenses: installed.licenses,
    dev: locked?.dev ?? false,
    optional: locked?.optional ?? false,
    devOptional: locked?.devOptional ?? false,
    bundled: locked?.bundled ?? false,
    extraneous: locked?.extraneous ?? false,
    devDependencies: [],
  };
}

/**
 * Direct dependencies of a project without a lockfile (its package.json is not read): the top-level
 * packages nothing else installed requires. When everything is required by something (a cycle),
 * every top-level package is direct.
 */
function topLevelRoots(packages: readonly NpmLockPackage[]): string[] {
  const byPath = new Map(packages.map((p) => [p.path, p]));
  const required = new Set<string>();
  for (const pkg of packages) {
    for (const name of [...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies]) {
      const target = resolveNpmDependency(byPath, pkg.path, name);
      if (target !== undefined && target !== pkg) required.add(target.path);
    }
  }
  const topLevel = packages.filter((p) => /^node_modules\/(@[^/]+\/)?[^/]+$/.test(p.path));
  const roots = topLevel.filter((p) => !required.has(p.path));
  return [...new Set((roots.length > 0 ? roots : topLevel).map((p) => p.path.slice('node_modules/'.length)))].sort();
}

function byPathOrder<T extends { path: string }>(list: T[]): T[] {
  return list.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Catalogues one shipped npm project from what is installed, cross-checked against its lockfile.
 * Decisions (the stage turns the report into its gate, notes and summary):
 * - name or version differs between package.json and the lock entry for that path → a mismatch
 *   (the stage fails: the package lies about what it ships); the component is the installed one;
 * - installed, no lock entry → the installed package is a component (`packaging-factory:npm:lockfile`
 *   = `absent`) and the report lists it;
 * - locked, not installed → an `excluded` component (as for any lock entry missing from the tree);
 *   the report lists it unless npm marks it dev, optional or extraneous (those may rightly be absent);
 * - no lockfile → components from package.json files alone.
 */
export function catalogInstalledNpmProject(input: NpmProjectInput): NpmCatalog & { report: NpmProjectReport } {
  const lock = input.lock?.lockfile;
  const lockByPath = new Map((lock?.packages ?? []).map((p) => [p.path, p]));
  const report: NpmProjectReport = {
    dir: input.dir,
    installed: input.installed.size,
    mismatches: [],
    notInLockfile: [],
    notInstalled: [],
    external: [],
  };
  if (input.lock !== undefined) report.lockfile = input.lock.file;

  const entries = new Map<string, NpmLockPackage>();
  const presentPaths = new Set<string>();
  const unlocked = new Set<string>();
  const externalTargets = new Map<string, string>();

  for (const [relative, installed] of [...input.installed].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let locked = lockByPath.get(relative);
    let path = relative;
    // A lock `link` entry (workspaces, file: links) is a symlink in the tree: compare with its target's entry.
    if (locked?.link !== undefined) {
      path = locked.link;
      locked = lockByPath.get(locked.link);
    }
    const lockAgrees = locked !== undefined && agrees(installed, locked);
    if (lock !== undefined && locked === undefined) {
      report.notInLockfile.push({ path: join(input.dir, relative), name: installed.name, version: installed.version });
      unlocked.add(path);
    } else if (locked !== undefined && !lockAgrees) {
      report.mismatches.push({
        path: join(input.dir, relative),
        installedName: installed.name,
        installedVersion: installed.version,
        lockedName: locked.name,
        lockedVersion: locked.version,
      });
    }
    entries.set(path, entryFor(path, installed, locked, lockAgrees));
    presentPaths.add(path);
  }
  for (const [relative, target] of [...input.external].sort(([a], [b]) => (a < b ? -1 : 1))) {
    report.external.push({ path: join(input.dir, relative), target });
    const locked = lockByPath.get(relative);
    const path = locked?.link ?? relative;
    presentPaths.add(path);
    externalTargets.set(path, target);
  }

  const packages: NpmLockPackage[] = [];
  for (const locked of lock?.packages ?? []) {
    const replaced = entries.get(locked.path);
    if (replaced !== undefined) {
      packages.push(replaced);
      entries.delete(locked.path);
      continue;
    }
    packages.push(locked);
    if (locked.link !== undefined || presentPaths.has(locked.path)) continue;
    if (!locked.dev && !locked.optional && !locked.devOptional && !locked.extraneous) {
      report.notInstalled.push({ path: join(input.dir, locked.path), name: locked.name, version: locked.version });
    }
  }
  packages.push(...entries.values());
  byPathOrder(packages);

  let root = lock?.root;
  if (root === undefined) {
    root = basePackage('', '');
    root.dependencies = topLevelRoots(packages);
  }
  const model: NpmLockfile = { lockfileVersion: lock?.lockfileVersion ?? 3, root, packages };
  const catalog = catalogNpmLockfile(model, {
    source: input.source,
    installDir: input.dir,
    isInstalled: (installPath) => presentPaths.has(installPath.slice(input.dir.replace(/\/$/, '').length + 1)),
    annotate: (pkg) => {
      const notes: [string, string][] = [];
      if (lock === undefined || unlocked.has(pkg.path)) notes.push(['packaging-factory:npm:lockfile', 'absent']);
      const target = externalTargets.get(pkg.path);
      if (target !== undefined) notes.push(['packaging-factory:npm:link-target', target], ['packaging-factory:npm:verified', 'false']);
      return notes;
    },
  });
  byPathOrder(report.mismatches);
  byPathOrder(report.notInLockfile);
  byPathOrder(report.notInstalled);
  byPathOrder(report.external);
  return { ...catalog, report };
}
