import { FactoryError } from '@packaging-factory/core';

/**
 * npm's package-lock.json / npm-shrinkwrap.json (https://docs.npmjs.com/cli/configuring-npm/package-lock-json).
 * Version 1 (npm 5-6) nests `dependencies` objects; versions 2 and 3 (npm 7+) key a flat `packages`
 * object by install path ("node_modules/a/node_modules/b"), v2 also carrying the v1 tree. Both are read
 * into one path-keyed model so the rest of the code handles a single shape.
 */

export type NpmDepGroup = 'dev' | 'optional';

export interface NpmLockPackage {
  /** Install path relative to the lockfile's directory ('node_modules/a'); '' is the root project. */
  path: string;
  /** The real package name (aliases resolved: `"name"` in v2/v3, `npm:` versions in v1). */
  name: string;
  /** Version as locked; '' when the lock gives none usable (file: or git URLs in v1). */
  version: string;
  resolved?: string;
  integrity?: string;
  /** License(s) declared in the lock (v2/v3 only). */
  licenses: string[];
  /** Git commit when the package comes from a git URL. */
  commit?: string;
  dev: boolean;
  optional: boolean;
  /** Installed only for development, or optional: npm's `devOptional`. */
  devOptional: boolean;
  /** A symlink to another path in the lock (workspaces, `file:` links). */
  link?: string;
  /** Bundled inside its parent's tarball (`inBundle`, v1 `bundled`). */
  bundled: boolean;
  /** Present in node_modules but required by nothing (`extraneous`, v2/v3 only). */
  extraneous: boolean;
  /** Names this package depends on, by kind, as declared (names, not yet resolved). */
  dependencies: string[];
  optionalDependencies: string[];
  peerDependencies: string[];
  devDependencies: string[];
}

export interface NpmLockfile {
  lockfileVersion: number;
  /** The root project (name and version may be empty). */
  root: NpmLockPackage;
  /** Every package except the root, sorted by path. */
  packages: NpmLockPackage[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringField(entry: Json, key: string): string | undefined {
  const value = entry[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function names(entry: Json, key: string): string[] {
  const value = entry[key];
  return isObject(value) ? Object.keys(value).sort() : [];
}

/** Declared licenses of a lock entry or a package.json: `license` (string, array, or the old `{ type }` object). */
export function licensesOf(entry: Json): string[] {
  const value = entry['license'];
  if (typeof value === 'string' && value.trim() !== '') return [value.trim()];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim());
  // Old package.json style `{ "type": "MIT" }` occasionally leaks into locks.
  if (isObject(value) && typeof value['type'] === 'string') return [value['type']];
  return [];
}

/** The commit of a git-sourced package: the fragment of a git URL (`git+ssh://...#<sha>`, `github:u/r#<sha>`). */
export function gitCommitOf(spec: string | undefined): string | undefined {
  if (spec === undefined) return undefined;
  const hash = spec.lastIndexOf('#');
  if (hash === -1) return undefined;
  const isGit = /^(git\+|git:|github:|gitlab:|bitbucket:|gist:)/.test(spec) || /\.git#/.test(spec) || /^[\w.-]+\/[\w.-]+#/.test(spec);
  if (!isGit) return undefined;
  const fragment = spec.slice(hash + 1);
  return /^[0-9a-f]{7,40}$/i.test(fragment) ? fragment : undefined;
}

/** The package name at an install path: the segment(s) after the last 'node_modules/' or the last path segment(s). */
export function packageNameFromPath(installPath: string): string {
  const index = installPath.lastIndexOf('node_modules/');
  const tail = index === -1 ? installPath : installPath.slice(index + 'node_modules/'.length);
  const segments = tail.split('/');
  if (index !== -1 && segments[0]?.startsWith('@') === true && segments.length >= 2) return `${segments[0]}/${segments[1]}`;
  const last = segments[segments.length - 1] ?? tail;
  const parent = segments[segments.length - 2];
  return parent?.startsWith('@') === true ? `${parent}/${last}` : last;
}

function invalid(file: string, message: string, cause?: unknown): FactoryError {
  return new FactoryError('INPUT_INVALID', `could not extract from ${file}: ${message}`, {
    subject: file,
    cause,
    hint: 'pass a package-lock.json written by npm (lockfileVersion 1, 2 or 3)',
  });
}

/** A lock entry with no facts beyond its path and name (every flag off, no dependencies). */
export function basePackage(path: string, name: string): NpmLockPackage {
  return {
    path,
    name,
    version: '',
    licenses: [],
    dev: false,
    optional: false,
    devOptional: false,
    bundled: false,
    extraneous: false,
    dependencies: [],
    optionalDependencies: [],
    peerDependencies: [],
    devDependencies: [],
  };
}

function fromV2Entry(path: string, entry: Json): NpmLockPackage {
  const pkg = basePackage(path, stringField(entry, 'name') ?? (path === '' ? '' : packageNameFromPath(path)));
  pkg.version = stringField(entry, 'version') ?? '';
  const resolved = stringField(entry, 'resolved');
  if (resolved !== undefined) pkg.resolved = resolved;
  const integrity = stringField(entry, 'integrity');
  if (integrity !== undefined) pkg.integrity = integrity;
  pkg.licenses = licensesOf(entry);
  const commit = gitCommitOf(resolved);
  if (commit !== undefined) pkg.commit = commit;
  pkg.dev = entry['dev'] === true;
  pkg.optional = entry['optional'] === true;
  pkg.devOptional = entry['devOptional'] === true;
  pkg.bundled = entry['inBundle'] === true;
  pkg.extraneous = entry['extraneous'] === true;
  if (entry['link'] === true && resolved !== undefined) pkg.link = resolved;
  pkg.dependencies = names(entry, 'dependencies');
  pkg.optionalDependencies = names(entry, 'optionalDependencies');
  pkg.peerDependencies = names(entry, 'peerDependencies');
  pkg.devDependencies = names(entry, 'devDependencies');
  return pkg;
}

/**
 * Reads the v1 tree: nested `dependencies` become install paths, `requires` the declared
 * dependencies. A package nested under a dev (or optional) one is installed only with it, so it
 * inherits the flag when npm 5 left it off.
 */
function readV1Tree(
  deps: Json,
  parentPath: string,
  inherited: { dev: boolean; optional: boolean },
  out: NpmLockPackage[],
  file: string,
): void {
  for (const key of Object.keys(deps).sort()) {
    const entry = deps[key];
    if (!isObject(entry)) throw invalid(file, `dependency '${key}' is not an object`);
    const path = parentPath === '' ? `node_modules/${key}` : `${parentPath}/node_modules/${key}`;
    let name = key;
    let version = stringField(entry, 'version') ?? '';
    // Aliases: "string-width-cjs": { "version": "npm:string-width@4.2.0" }.
    const alias = /^npm:((?:@[^/@]+\/)?[^@]+)@(.+)$/.exec(version);
    if (alias !== null) {
      name = alias[1] ?? key;
      version = alias[2] ?? '';
    }
    const pkg = basePackage(path, name);
    const commit = gitCommitOf(version) ?? gitCommitOf(stringField(entry, 'resolved'));
    if (commit !== undefined) pkg.commit = commit;
    // v1 writes git and file dependencies' URL in "version": that is no version.
    pkg.version =
      /^(git\+|git:|github:|gitlab:|bitbucket:|gist:|file:|link:|https?:)/.test(version) || /\.git#/.test(version) ? '' : version;
    const resolved = stringField(entry, 'resolved');
    if (resolved !== undefined) pkg.resolved = resolved;
    const integrity = stringField(entry, 'integrity');
    if (integrity !== undefined) pkg.integrity = integrity;
    pkg.dev = entry['dev'] === true || inherited.dev;
    pkg.optional = entry['optional'] === true || inherited.optional;
    pkg.bundled = entry['bundled'] === true;
    pkg.dependencies = names(entry, 'requires');
    out.push(pkg);
    const nested = entry['dependencies'];
    if (isObject(nested)) readV1Tree(nested, path, { dev: pkg.dev, optional: pkg.optional }, out, file);
  }
}

/** Parses package-lock.json text; `file` names it in errors. */
export function parseNpmLockfile(text: string, file: string): NpmLockfile {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw invalid(file, 'not valid JSON', error);
  }
  if (!isObject(document)) throw invalid(file, 'the top level is not a JSON object');
  const lockfileVersion = document['lockfileVersion'];
  if (typeof lockfileVersion !== 'number' || ![1, 2, 3].includes(lockfileVersion)) {
    throw invalid(file, `unsupported lockfileVersion ${JSON.stringify(lockfileVersion)} (expected 1, 2 or 3)`);
  }
  const packages: NpmLockPackage[] = [];
  let root = basePackage('', stringField(document, 'name') ?? '');
  root.version = stringField(document, 'version') ?? '';
  // v2 carries both shapes; `packages` is the authoritative one (npm 7+ reads it first).
  const flat = document['packages'];
  if (isObject(flat)) {
    for (const key of Object.keys(flat).sort()) {
      const entry = flat[key];
      if (!isObject(entry)) throw invalid(file, `packages['${key}'] is not an object`);
      const pkg = fromV2Entry(key, entry);
      if (key === '') {
        root = pkg;
        if (root.name === '') root.name = stringField(document, 'name') ?? '';
        if (root.version === '') root.version = stringField(document, 'version') ?? '';
      } else {
        packages.push(pkg);
      }
    }
  } else {
    const tree = document['dependencies'];
    if (tree !== undefined && !isObject(tree)) throw invalid(file, "'dependencies' is not an object");
    if (isObject(tree)) readV1Tree(tree, '', { dev: false, optional: false }, packages, file);
    // v1 has no root dependency list: the top-level entries nobody else requires are the direct ones.
    const required = new Set(packages.flatMap((p) => p.dependencies));
    root.dependencies = packages.filter((p) => !p.path.includes('/node_modules/') && !required.has(p.name)).map((p) => p.name);
  }
  packages.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { lockfileVersion, root, packages };
}

/** The groups npm puts a package in: [] for production, ['dev'], ['optional'] or both. */
export function depGroupsOf(pkg: NpmLockPackage): NpmDepGroup[] {
  if (pkg.devOptional) return ['dev', 'optional'];
  const groups: NpmDepGroup[] = [];
  if (pkg.dev) groups.push('dev');
  if (pkg.optional) groups.push('optional');
  return groups;
}

/**
 * Resolves a dependency name from an install path the way Node does: look in `<dir>/node_modules`
 * for the package's own directory, then each ancestor directory up to the root. Links are followed.
 */
export function resolveNpmDependency(
  byPath: ReadonlyMap<string, NpmLockPackage>,
  fromPath: string,
  name: string,
): NpmLockPackage | undefined {
  let dir = fromPath;
  for (;;) {
    const candidate = dir === '' ? `node_modules/${name}` : `${dir}/node_modules/${name}`;
    const found = byPath.get(candidate);
    if (found !== undefined) return found.link !== undefined ? (byPath.get(found.link) ?? found) : found;
    if (dir === '') return undefined;
    const slash = dir.lastIndexOf('/');
    dir = slash === -1 ? '' : dir.slice(0, slash);
  }
}

/** Installed packages (links skipped: their targets are listed under their own path). */
export function installedNpmPackages(lock: NpmLockfile): NpmLockPackage[] {
  return lock.packages.filter((p) => p.link === undefined);
}

export interface DistinctNpmPackage {
  name: string;
  version: string;
  commit?: string;
  /** [] when any copy is a production dependency; else the union of the copies' groups. */
  depGroups: NpmDepGroup[];
  paths: string[];
}

/** Collapses copies of the same name, version and commit installed at several paths. */
export function distinctNpmPackages(lock: NpmLockfile): DistinctNpmPackage[] {
  const byKey = new Map<string, DistinctNpmPackage & { prod: boolean }>();
  for (const pkg of installedNpmPackages(lock)) {
    const key = `${pkg.name}@${pkg.version}#${pkg.commit ?? ''}`;
    const groups = depGroupsOf(pkg);
    let entry = byKey.get(key);
    if (entry === undefined) {
      entry = { name: pkg.name, version: pkg.version, depGroups: [], paths: [], prod: false };
      if (pkg.commit !== undefined) entry.commit = pkg.commit;
      byKey.set(key, entry);
    }
    entry.paths.push(pkg.path);
    if (groups.length === 0) entry.prod = true;
    for (const group of groups) if (!entry.depGroups.includes(group)) entry.depGroups.push(group);
  }
  return [...byKey.values()]
    .map(({ prod, ...rest }) => ({ ...rest, depGroups: prod ? [] : rest.depGroups.sort() }))
    .sort((a, b) => (a.name === b.name ? (a.version < b.version ? -1 : 1) : a.name < b.name ? -1 : 1));
}
