import semver from 'semver';
import { FactoryError } from '@packaging-factory/core';
import { licensesOf } from './npm-lockfile.ts';

/**
 * What is really installed: the package.json of each package in a node_modules tree. A lockfile
 * says what npm meant to install; these files are what Node loads at run time (and what a scanner
 * must see), so the catalogue takes its names and versions from them.
 */

/** One installed package, read from `<dir>/node_modules/<name>/package.json`. */
export interface InstalledNpmPackage {
  /** Absolute path of the package directory ('/usr/lib/app/node_modules/@s/x'). */
  dir: string;
  /** Absolute path of the package.json the facts come from (through links, the real file). */
  manifest: string;
  /** The package name: package.json `name`, else the directory name (npm does the same). */
  name: string;
  /** The directory name it is installed under; differs from `name` for aliases (`npm:x@1`). */
  installedAs: string;
  /** package.json `version`, cleaned the way npm normalises it ('v1.2.3' → '1.2.3'); '' when absent. */
  version: string;
  licenses: string[];
  dependencies: string[];
  optionalDependencies: string[];
  peerDependencies: string[];
}

/**
 * Splits `<project>/node_modules/<name>[/node_modules/<name>...]` into the project directory and
 * the install path ('node_modules/a/node_modules/@s/b'), or undefined when `dir` is no package
 * directory npm would create. Names are `name` or `@scope/name`; names starting with '.' are npm's
 * own bookkeeping (`.bin`, `.cache`), and anything else between node_modules levels (a package's
 * `test/fixtures/node_modules/x`) is not part of the install tree Node resolves from the project.
 */
export function npmInstallLocation(dir: string): { project: string; installPath: string } | undefined {
  const first = dir.indexOf('/node_modules/');
  if (first === -1) return undefined;
  const project = first === 0 ? '/' : dir.slice(0, first);
  const installPath = dir.slice(first + 1);
  const segments = installPath.split('/');
  let i = 0;
  while (i < segments.length) {
    if (segments[i] !== 'node_modules') return undefined;
    const head = segments[i + 1];
    if (head === undefined || head === '' || head.startsWith('.')) return undefined;
    if (head.startsWith('@')) {
      const bare = segments[i + 2];
      if (head.length === 1 || bare === undefined || bare === '' || bare.startsWith('.')) return undefined;
      i += 3;
    } else {
      i += 2;
    }
  }
  return { project, installPath };
}

/** True for the package.json of an installed package (what the .deb scan captures; bounded on purpose). */
export function isInstalledNpmManifest(installedPath: string): boolean {
  if (!installedPath.endsWith('/package.json')) return false;
  return npmInstallLocation(installedPath.slice(0, -'/package.json'.length)) !== undefined;
}

/** The directory name(s) after the last node_modules: 'x' or '@s/x'. */
function nameFromDir(dir: string): string {
  return dir.slice(dir.lastIndexOf('/node_modules/') + '/node_modules/'.length);
}

function dependencyNames(manifest: Record<string, unknown>, key: string): string[] {
  const value = manifest[key];
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? Object.keys(value).sort() : [];
}

/**
 * Licenses from package.json: `license`, or the deprecated `licenses: [{ type }]` array some old
 * packages still carry (npm documents both; read-package-json folds the old one in).
 */
function manifestLicenses(manifest: Record<string, unknown>): string[] {
  const declared = licensesOf(manifest);
  if (declared.length > 0) return declared;
  const old = manifest['licenses'];
  if (!Array.isArray(old)) return [];
  return old.flatMap((entry: unknown) => {
    if (typeof entry === 'string' && entry.trim() !== '') return [entry.trim()];
    if (typeof entry === 'object' && entry !== null) {
      const type = (entry as Record<string, unknown>)['type'];
      if (typeof type === 'string' && type.trim() !== '') return [type.trim()];
    }
    return [];
  });
}

/**
 * npm cleans versions when it reads a package.json (normalize-package-data: `semver.clean`, loose):
 * 'v1.2.3' and '=1.2.3' are 1.2.3. Anything semver cannot read is kept as written.
 */
export function cleanNpmVersion(version: string): string {
  return semver.clean(version, { loose: true }) ?? version.trim();
}

/**
 * Parses an installed package.json. `origin` names it in errors ('pkg.deb:/usr/lib/app/node_modules/x/package.json').
 * Unreadable JSON fails: Node itself cannot load such a package, and we will not guess what it is.
 */
export function parseInstalledNpmManifest(text: string, dir: string, manifest: string, origin: string): InstalledNpmPackage {
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new FactoryError('INPUT_INVALID', `${origin} is not valid JSON: the installed npm package cannot be identified`, {
      subject: origin,
      cause: error,
      hint: 'rebuild the package from a clean npm install; a damaged package.json also breaks the package at run time',
    });
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new FactoryError('INPUT_INVALID', `${origin} is not a JSON object: the installed npm package cannot be identified`, {
      subject: origin,
      hint: 'rebuild the package from a clean npm install',
    });
  }
  const fields = document as Record<string, unknown>;
  const installedAs = nameFromDir(dir);
  const declaredName = typeof fields['name'] === 'string' ? fields['name'].trim() : '';
  const declaredVersion = typeof fields['version'] === 'string' ? fields['version'] : '';
  return {
    dir,
    manifest,
    name: declaredName === '' ? installedAs : declaredName,
    installedAs,
    version: declaredVersion === '' ? '' : cleanNpmVersion(declaredVersion),
    licenses: manifestLicenses(fields),
    dependencies: dependencyNames(fields, 'dependencies'),
    optionalDependencies: dependencyNames(fields, 'optionalDependencies'),
    peerDependencies: dependencyNames(fields, 'peerDependencies'),
  };
}
