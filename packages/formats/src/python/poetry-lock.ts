import { parse as parseToml, TomlError } from 'smol-toml';
import { FactoryError } from '@packaging-factory/core';
import { normalizePythonName } from './python-names.ts';

/**
 * Poetry's poetry.lock (TOML). Each `[[package]]` is one locked distribution: `name`, `version`,
 * `optional`, and its group membership: `category = "main" | "dev"` in lock format 1.x, `groups =
 * [...]` from lock format 2.1 (Poetry 2); older 2.0 locks carry neither (everything is main).
 * `[package.dependencies]` maps names to a constraint string, a table (`version`, `optional`,
 * `markers`, `extras`) or an array of such tables (different constraints per environment).
 * `[package.source]` says where a non-PyPI package came from (`git` with `resolved_reference` =
 * the commit, `legacy` for another index, `directory`, `file`, `url`). The lock has no root project.
 */

export interface PoetryDependency {
  /** The name as written; `normalized` is its PEP 503 form. */
  name: string;
  normalized: string;
  /** Constraint(s) as written ('>=3.19.0,<5.0.0dev'; several joined with ' || '). */
  constraint: string;
  optional: boolean;
  markers?: string;
}

export interface PoetrySource {
  type: string;
  url?: string;
  reference?: string;
  resolvedReference?: string;
}

export interface PoetryPackage {
  name: string;
  normalized: string;
  version: string;
  description?: string;
  /** Lock 1.x category. */
  category?: string;
  /** Lock 2.1+ groups. */
  groups?: string[];
  optional: boolean;
  pythonVersions?: string;
  dependencies: PoetryDependency[];
  source?: PoetrySource;
  /** Hashes of the distribution files ('sha256:...'), from `files` (2.x) or `[metadata.files]` (1.x). */
  fileHashes: string[];
}

export interface PoetryLock {
  lockVersion?: string;
  packages: PoetryPackage[];
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function str(table: Table, key: string): string | undefined {
  const value = table[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function invalid(file: string, message: string, cause?: unknown): FactoryError {
  return new FactoryError('INPUT_INVALID', `could not extract from ${file}: ${message}`, {
    subject: file,
    cause,
    hint: 'pass a poetry.lock written by Poetry (run `poetry lock` to regenerate it)',
  });
}

function dependencyOf(name: string, value: unknown): PoetryDependency {
  const base = { name, normalized: normalizePythonName(name) };
  if (typeof value === 'string') return { ...base, constraint: value, optional: false };
  const tables = (Array.isArray(value) ? value : [value]).filter(isTable);
  const constraints = tables.map((t) => str(t, 'version') ?? str(t, 'git') ?? str(t, 'path') ?? str(t, 'url') ?? '*');
  const markers = tables.flatMap((t) => str(t, 'markers') ?? []);
  const dependency: PoetryDependency = {
    ...base,
    constraint: [...new Set(constraints)].join(' || '),
    // Optional only when every alternative is: one required alternative makes it required somewhere.
    optional: tables.length > 0 && tables.every((t) => t['optional'] === true),
  };
  if (markers.length > 0) dependency.markers = markers.join(' || ');
  return dependency;
}

function hashesOf(files: unknown): string[] {
  if (!Array.isArray(files)) return [];
  return files.flatMap((f) => (isTable(f) && typeof f['hash'] === 'string' ? [f['hash']] : [])).sort();
}

/** Parses poetry.lock text; `file` names it in errors. */
export function parsePoetryLock(text: string, file: string): PoetryLock {
  let document: Table;
  try {
    document = parseToml(text);
  } catch (error) {
    const where = error instanceof TomlError ? ` (line ${error.line}, column ${error.column})` : '';
    throw invalid(file, `not valid TOML${where}`, error);
  }
  const list = document['package'] ?? [];
  if (!Array.isArray(list)) throw invalid(file, "'package' is not an array of tables");
  const metadata = isTable(document['metadata']) ? document['metadata'] : {};
  const legacyFiles = isTable(metadata['files']) ? metadata['files'] : {};
  const lock: PoetryLock = { packages: [] };
  const lockVersion = str(metadata, 'lock-version');
  if (lockVersion !== undefined) lock.lockVersion = lockVersion;
  list.forEach((entry: unknown, index: number) => {
    if (!isTable(entry)) throw invalid(file, `package #${index + 1} is not a table`);
    const name = str(entry, 'name');
    const version = str(entry, 'version');
    if (name === undefined || version === undefined)
      throw invalid(file, `package #${index + 1} has no ${name === undefined ? 'name' : 'version'}`);
    const pkg: PoetryPackage = {
      name,
      normalized: normalizePythonName(name),
      version,
      optional: entry['optional'] === true,
      dependencies: [],
      fileHashes: hashesOf(entry['files'] ?? legacyFiles[name]),
    };
    const description = str(entry, 'description');
    if (description !== undefined) pkg.description = description;
    const category = str(entry, 'category');
    if (category !== undefined) pkg.category = category;
    if (Array.isArray(entry['groups'])) pkg.groups = entry['groups'].filter((g): g is string => typeof g === 'string');
    const pythonVersions = str(entry, 'python-versions');
    if (pythonVersions !== undefined) pkg.pythonVersions = pythonVersions;
    const deps = entry['dependencies'];
    if (isTable(deps)) {
      pkg.dependencies = Object.keys(deps)
        .sort()
        .map((dep) => dependencyOf(dep, deps[dep]));
    }
    const source = entry['source'];
    if (isTable(source) && str(source, 'type') !== undefined) {
      const parsed: PoetrySource = { type: str(source, 'type') as string };
      const url = str(source, 'url');
      if (url !== undefined) parsed.url = url;
      const reference = str(source, 'reference');
      if (reference !== undefined) parsed.reference = reference;
      const resolved = str(source, 'resolved_reference');
      if (resolved !== undefined) parsed.resolvedReference = resolved;
      pkg.source = parsed;
    }
    lock.packages.push(pkg);
  });
  return lock;
}

/**
 * Whether a locked package is installed for production: lock 2.1 groups include 'main'; lock 1.x
 * category is 'main'; a lock with neither puts everything in main.
 */
export function isPoetryMainPackage(pkg: PoetryPackage): boolean {
  if (pkg.groups !== undefined) return pkg.groups.includes('main');
  if (pkg.category !== undefined) return pkg.category === 'main';
  return true;
}
