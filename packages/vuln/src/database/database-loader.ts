import { hash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { digestBytes, FactoryError } from '@packaging-factory/core';
import type { OsvRecord } from '../osv-record.ts';
import { validateOsvRecord } from '../osv-schema-validator.ts';
import { recordFacts, type RecordFacts } from './record-facts.ts';
import { RecordTable, type RecordLocation, type RecordValidation } from './record-store.ts';
import { entryDataStart, readZipDirectory, readZipEntry, ZipFormatError } from '@packaging-factory/formats';

/** Bounds for reading databases from untrusted places. */
export interface DatabaseLimits {
  /** Entries in one ZIP archive's central directory (osv.dev's largest dumps hold a few hundred thousand). */
  maxEntries: number;
  /** Bytes of one record, inflated. */
  maxRecordBytes: number;
}

export const DEFAULT_DATABASE_LIMITS: DatabaseLimits = { maxEntries: 5_000_000, maxRecordBytes: 64 * 1024 * 1024 };

export interface LoadOptions {
  validation?: RecordValidation;
  limits?: Partial<DatabaseLimits>;
  /**
   * Packages the caller will look up (e.g. an SBOM's components): records naming one are kept
   * parsed (and validated) while loading, so their lookups cost nothing more. Others are parsed
   * again on first use. A key is the base ecosystem and the normalised name (see `packageKey`).
   */
  preload?: ReadonlySet<string>;
  /** The key of a package in `preload`; supplied by the database (ecosystem-specific name normalisation). */
  packageKey?: (ecosystem: string, name: string) => string;
}

/** Where records came from: a ZIP archive (with its digest), a directory of JSON records, or the OSV API. */
export interface DatabaseSourceFile {
  /** Absolute path (for the OSV API: its base URL). */
  path: string;
  kind: 'zip' | 'json-directory' | 'osv-api';
  /** ZIP archives: sha256 of the archive file. */
  sha256?: string;
  /** ZIP archives: size in bytes. */
  size?: number;
  /** ZIP archives: entries read as records. */
  entries?: number;
  /** ZIP archives: the newest entry time in the central directory (ISO 8601; DOS times carry no zone, read as UTC). */
  newestEntryTime?: string;
}

export interface LoadedRecords {
  root: string;
  /** `directory` or `zip` (a single archive given directly). */
  kind: 'directory' | 'zip';
  records: RecordTable;
  /** Paths of the ZIP archives read, by archive number. */
  archives: string[];
  sources: DatabaseSourceFile[];
  /** Files (JSON) and entries (ZIP) read as records. */
  files: number;
  bytes: number;
  warnings: string[];
}

const READ_CONCURRENCY = 32;

function unavailable(message: string, subject: string, hint: string, cause?: unknown): FactoryError {
  return new FactoryError('SCAN_DB_UNAVAILABLE', message, { subject, hint, cause });
}

const HINT =
  'pass a directory of OSV records (one .json per record), an osv.dev per-ecosystem all.zip, or a directory of such zips in the db input';

/**
 * Reads every record of a database: a directory (searched recursively for `*.json` records and
 * `*.zip` dumps) or a single `.zip` in the layout of osv.dev's `gs://osv-vulnerabilities/<ECOSYSTEM>/all.zip`
 * (flat `<ID>.json` entries). Each record is parsed once for its index facts and digested; nothing
 * more of it stays in memory. Fails closed (SCAN_DB_UNAVAILABLE) on a missing or unreadable
 * source, a damaged archive, a record that is not JSON or lacks what the index needs, or no records.
 */
export async function loadRecords(source: string, options: LoadOptions = {}): Promise<LoadedRecords> {
  const root = path.resolve(source);
  const limits = { ...DEFAULT_DATABASE_LIMITS, ...options.limits };
  let info;
  try {
    info = await stat(root);
  } catch (error) {
    throw unavailable(`OSV database ${root} does not exist or cannot be read`, root, HINT, error);
  }
  const loaded: LoadedRecords = {
    root,
    kind: info.isDirectory() ? 'directory' : 'zip',
    records: new RecordTable(),
    archives: [],
    sources: [],
    files: 0,
    bytes: 0,
    warnings: [],
  };
  const shown = (file: string): string => (loaded.kind === 'directory' ? path.relative(root, file) : path.basename(file));
  if (info.isDirectory()) {
    const { json, zips } = await listDatabaseFiles(root);
    if (json.length === 0 && zips.length === 0) {
      throw unavailable(`OSV database directory ${root} contains no .json records and no .zip dumps`, root, HINT);
    }
    if (json.length > 0) {
      loaded.sources.push({ path: root, kind: 'json-directory' });
      await readJsonFiles(json, root, options, loaded);
    }
    for (const zip of zips) await readArchive(zip, shown(zip), options, limits, loaded);
  } else if (info.isFile() && root.toLowerCase().endsWith('.zip')) {
    await readArchive(root, shown(root), options, limits, loaded);
  } else {
    throw unavailable(`OSV database ${root} is neither a directory nor a .zip archive`, root, HINT);
  }
  if (loaded.records.length === 0) throw unavailable(`OSV database ${root} holds no .json records`, root, HINT);
  return loaded;
}

/** Every regular `*.json` and `*.zip` below root, sorted; symlinked directories are not followed (no loops). */
async function listDatabaseFiles(root: string): Promise<{ json: string[]; zips: string[] }> {
  const json: string[] = [];
  const zips: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw unavailable(`cannot list OSV database directory ${dir}`, dir, 'check the directory permissions', error);
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(full);
        continue;
      }
      const lower = entry.name.toLowerCase();
      const list = lower.endsWith('.json') ? json : lower.endsWith('.zip') ? zips : undefined;
      if (list !== undefined && (entry.isFile() || (entry.isSymbolicLink() && (await isFile(full))))) list.push(full);
    }
  };
  await walk(root);
  const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return { json: json.sort(order), zips: zips.sort(order) };
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function readJsonFiles(files: string[], root: string, options: LoadOptions, loaded: LoadedRecords): Promise<void> {
  const validation = options.validation ?? 'on-use';
  const results = new Array<Parsed & { origin: string; file: string }>(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const index = next++;
      const file = files[index]!;
      let data: Buffer;
      try {
        data = await readFile(file);
      } catch (error) {
        throw unavailable(`cannot read OSV record ${file}`, file, 'check the file permissions', error);
      }
      const origin = path.relative(root, file);
      results[index] = { ...parseRecord(data, file, origin, validation, loaded.warnings, options), origin, file };
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, worker));
  // Added in file order once all are read, so the table's order does not depend on read timing.
  for (const result of results) {
    const location: RecordLocation =
      result.kept === undefined ? { kind: 'file', file: result.file } : { kind: 'memory', record: result.kept };
    loaded.records.add(result.facts, result.sha256, result.bytes, result.origin, location);
    loaded.bytes += result.bytes;
  }
  loaded.files += files.length;
}

async function readArchive(
  file: string,
  shown: string,
  options: LoadOptions,
  limits: DatabaseLimits,
  loaded: LoadedRecords,
): Promise<void> {
  const validation = options.validation ?? 'on-use';
  let buffer: Buffer;
  try {
    buffer = await readFile(file);
  } catch (error) {
    throw unavailable(`cannot read OSV database archive ${file}`, file, 'check the file permissions', error);
  }
  const archive = loaded.archives.length;
  let entries = 0;
  let newest: number | undefined;
  try {
    for (const entry of readZipDirectory(buffer, limits.maxEntries)) {
      // osv.dev's dumps are flat `<ID>.json`; other entries (a directory, a README) are not records.
      if (entry.name.endsWith('/') || !entry.name.toLowerCase().endsWith('.json')) continue;
      const dataStart = entryDataStart(buffer, entry);
      const data = readZipEntry(buffer, entry, dataStart, limits.maxRecordBytes);
      const origin = `${shown}!${entry.name}`;
      const parsed = parseRecord(data, file, origin, validation, loaded.warnings, options);
      const location: RecordLocation =
        parsed.kept !== undefined
          ? { kind: 'memory', record: parsed.kept }
          : {
              kind: 'zip',
              archive,
              name: entry.name,
              method: entry.method,
              dataStart,
              compressedSize: entry.compressedSize,
              uncompressedSize: entry.uncompressedSize,
            };
      loaded.records.add(parsed.facts, parsed.sha256, parsed.bytes, origin, location);
      loaded.bytes += parsed.bytes;
      entries++;
      const time = entry.modified.getTime();
      if (newest === undefined || time > newest) newest = time;
    }
  } catch (error) {
    if (error instanceof ZipFormatError) {
      throw unavailable(
        `OSV database archive ${file} is not a readable ZIP archive: ${error.message}`,
        file,
        'download the dump again',
        error,
      );
    }
    throw error;
  }
  if (entries === 0) throw unavailable(`OSV database archive ${file} holds no .json records`, file, HINT);
  loaded.archives.push(file);
  loaded.files += entries;
  const source: DatabaseSourceFile = { path: file, kind: 'zip', sha256: digestBytes(buffer), size: buffer.length, entries };
  if (newest !== undefined) source.newestEntryTime = new Date(newest).toISOString();
  loaded.sources.push(source);
}

/**
 * Parses one record's bytes for its facts and digests them. A record that is not JSON or lacks
 * what the index needs fails the load, described by the OSV schema validator; with `all`
 * validation every record is checked against the full schema here.
 */
function parseRecord(
  data: Buffer,
  subject: string,
  origin: string,
  validation: RecordValidation,
  warnings: string[],
  options: LoadOptions = {},
): Parsed {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw unavailable(
      `OSV record ${origin === subject ? subject : `${subject} (${origin})`} is not valid JSON`,
      subject,
      `repair or remove ${origin}`,
      error,
    );
  }
  const facts = recordFacts(parsed);
  let problems: string[] = [];
  if (typeof facts === 'string' || validation === 'all') {
    const result = validateOsvRecord(parsed);
    problems = result.errors;
    for (const warning of result.warnings) warnings.push(`${origin}: ${warning}`);
    if (typeof facts === 'string' && problems.length === 0) problems = [facts];
  }
  if (problems.length > 0 || typeof facts === 'string') {
    throw unavailable(
      `OSV record ${origin === subject ? subject : `${subject} (${origin})`} does not match the OSV schema: ${problems.slice(0, 5).join('; ')}`,
      subject,
      `repair or remove ${origin}; every record must follow https://ossf.github.io/osv-schema/`,
    );
  }
  // crypto.hash: the one-shot form, measurably cheaper than a Hash object per record over 200,000 records.
  const result: Parsed = { facts, sha256: hash('sha256', data), bytes: data.length };
  const { preload, packageKey } = options;
  if (preload !== undefined && packageKey !== undefined && facts.packages.some((p) => preload.has(packageKey(p.ecosystem, p.name)))) {
    if (validation === 'on-use') {
      const checked = validateOsvRecord(parsed);
      if (checked.errors.length > 0) {
        throw unavailable(
          `OSV record ${origin === subject ? subject : `${subject} (${origin})`} does not match the OSV schema: ${checked.errors.slice(0, 5).join('; ')}`,
          subject,
          `repair or remove ${origin}; every record must follow https://ossf.github.io/osv-schema/`,
        );
      }
      for (const warning of checked.warnings) warnings.push(`${origin}: ${warning}`);
    }
    result.kept = parsed as OsvRecord;
  }
  return result;
}

interface Parsed {
  facts: RecordFacts;
  sha256: string;
  bytes: number;
  /** The parsed record, when `preload` names one of its packages. */
  kept?: OsvRecord;
}

/** Adds a record already parsed in memory; its digest is over `bytes`, or its JSON serialisation. */
export function addMemoryRecord(table: RecordTable, record: OsvRecord, origin: string, bytes?: Buffer): number {
  const data = bytes ?? Buffer.from(JSON.stringify(record));
  const checked = recordFacts(record);
  // Records built in memory (tests, API answers already validated) are indexed by what they carry.
  const facts: RecordFacts =
    typeof checked !== 'string'
      ? checked
      : {
          id: String(record.id),
          modified: String(record.modified),
          withdrawn: record.withdrawn !== undefined,
          packages: (record.affected ?? []).flatMap((a) =>
            a.package === undefined ? [] : [{ ecosystem: a.package.ecosystem, name: a.package.name }],
          ),
        };
  return table.add(facts, digestBytes(data), data.length, origin, { kind: 'memory', record });
}
