import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { digestBytes, FactoryError, type Logger } from '@packaging-factory/core';
import { parseEcosystem, type EcosystemName } from './ecosystem.ts';
import { ecosystemSupport } from './ecosystems.ts';
import type { OsvAffected, OsvRecord } from './osv-record.ts';
import { validateOsvRecord } from './osv-schema-validator.ts';

/** Facts about a loaded database, enough to repeat a scan against the same data. */
export interface OsvDatabaseInfo {
  /** The directory, absolute. */
  path: string;
  /** `*.json` files read. */
  files: number;
  /** Bytes read from those files. */
  bytes: number;
  /** Records in use (withdrawn and superseded duplicates excluded). */
  records: number;
  /** Records skipped because they carry `withdrawn`. */
  withdrawn: number;
  /** Records whose id appeared in another file too; the newest `modified` was kept. */
  duplicates: number;
  /** sha256 over the sorted `id\tmodified\tfile-sha256` lines of every file read. */
  sha256: string;
  /** The newest `modified` of any record: the data's point in time. */
  snapshot: string;
  /** Schema vocabulary warnings (new id prefixes or ecosystems), one line per record. */
  warnings: string[];
}

/** How much of one base ecosystem a database holds. */
export interface DatabaseEcosystem {
  /** The OSV base ecosystem (`Debian`, not `Debian:12`). */
  ecosystem: string;
  /** Records in use with at least one `affected[]` entry of this ecosystem (a record counts once). */
  records: number;
  /** The releases those entries are scoped to (`9` for `Debian:9`), sorted; empty when none is. */
  releases: string[];
}

/** One `affected[]` entry of a record, as the index holds it. */
export interface AffectedEntry {
  record: OsvRecord;
  affected: OsvAffected;
  ecosystem: EcosystemName;
}

interface LoadedFile {
  file: string;
  record: OsvRecord;
  sha256: string;
  bytes: number;
  warnings: string[];
}

const READ_CONCURRENCY = 32;

/** An OSV database loaded from a directory, indexed by (base ecosystem, normalised package name). */
export class OsvDatabase {
  private readonly index = new Map<string, AffectedEntry[]>();
  private readonly byId = new Map<string, OsvRecord>();
  private readonly recordsByEcosystem = new Map<string, { ids: Set<string>; releases: Set<string> }>();

  constructor(
    readonly info: OsvDatabaseInfo,
    records: readonly OsvRecord[],
  ) {
    for (const record of records) {
      this.byId.set(record.id, record);
      for (const affected of record.affected ?? []) {
        if (affected.package === undefined) continue;
        const ecosystem = parseEcosystem(affected.package.ecosystem);
        const key = indexKey(ecosystem.base, affected.package.name);
        const entries = this.index.get(key) ?? [];
        entries.push({ record, affected, ecosystem });
        this.index.set(key, entries);
        const counted = this.recordsByEcosystem.get(ecosystem.base) ?? { ids: new Set<string>(), releases: new Set<string>() };
        counted.ids.add(record.id);
        if (ecosystem.release !== undefined) counted.releases.add(ecosystem.release);
        this.recordsByEcosystem.set(ecosystem.base, counted);
      }
    }
  }

  /** The affected entries naming this package in this base ecosystem (any release). */
  lookup(baseEcosystem: string, name: string): readonly AffectedEntry[] {
    return this.index.get(indexKey(baseEcosystem, name)) ?? [];
  }

  /** Records in use naming a package of this base ecosystem; 0 when the database does not cover it. */
  recordCount(baseEcosystem: string): number {
    return this.recordsByEcosystem.get(baseEcosystem)?.ids.size ?? 0;
  }

  /** Every base ecosystem the records name, with counts: what the database can actually answer for. */
  ecosystems(): DatabaseEcosystem[] {
    const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    return [...this.recordsByEcosystem.entries()]
      .map(([ecosystem, { ids, releases }]) => ({ ecosystem, records: ids.size, releases: [...releases].sort(compareReleases) }))
      .sort((a, b) => order(a.ecosystem, b.ecosystem));
  }

  record(id: string): OsvRecord | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }
}

/** Numbered releases by number (`9` before `10`), then the rest (`sid`, `v3.18`) in code-unit order. */
function compareReleases(a: string, b: string): number {
  const x = /^\d+(\.\d+)?$/.test(a) ? Number(a) : undefined;
  const y = /^\d+(\.\d+)?$/.test(b) ? Number(b) : undefined;
  if (x !== undefined && y !== undefined && x !== y) return x - y;
  if (x !== undefined && y === undefined) return -1;
  if (x === undefined && y !== undefined) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function indexKey(baseEcosystem: string, name: string): string {
  const support = ecosystemSupport(baseEcosystem);
  return `${baseEcosystem}\u0000${support === undefined ? name : support.normaliseName(name)}`;
}

function unavailable(message: string, subject: string, hint: string, cause?: unknown): FactoryError {
  return new FactoryError('SCAN_DB_UNAVAILABLE', message, { subject, hint, cause });
}

/**
 * Loads every `*.json` OSV record under `dir` (recursively). Fails closed with SCAN_DB_UNAVAILABLE
 * when the directory is missing or unreadable, a record does not parse or breaks the schema, or no
 * usable record remains: a scan against a database we could not read would pass by default.
 */
export async function loadOsvDatabase(dir: string, logger?: Logger): Promise<OsvDatabase> {
  const root = path.resolve(dir);
  const hint = 'pass the directory of an unpacked OSV export (one record per .json file) in the db input';
  let info;
  try {
    info = await stat(root);
  } catch (error) {
    throw unavailable(`OSV database directory ${root} does not exist or cannot be read`, root, hint, error);
  }
  if (!info.isDirectory()) throw unavailable(`OSV database ${root} is not a directory`, root, hint);

  const files = await listJsonFiles(root);
  if (files.length === 0) throw unavailable(`OSV database directory ${root} contains no .json records`, root, hint);

  const loaded: LoadedFile[] = new Array<LoadedFile>(files.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const index = next++;
      loaded[index] = await loadRecordFile(files[index]!, root);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, files.length) }, worker));

  const warnings: string[] = [];
  let withdrawn = 0;
  let duplicates = 0;
  let bytes = 0;
  const lines: string[] = [];
  const active = new Map<string, LoadedFile>();
  let snapshot: string | undefined;
  for (const file of loaded) {
    bytes += file.bytes;
    lines.push(`${file.record.id}\t${file.record.modified}\t${file.sha256}`);
    for (const warning of file.warnings) warnings.push(`${path.relative(root, file.file)}: ${warning}`);
    if (snapshot === undefined || compareTimestamps(file.record.modified, snapshot) > 0) snapshot = file.record.modified;
    if (file.record.withdrawn !== undefined) {
      withdrawn++;
      continue;
    }
    const earlier = active.get(file.record.id);
    if (earlier !== undefined) {
      duplicates++;
      const keepLater = compareTimestamps(file.record.modified, earlier.record.modified) > 0;
      const kept = keepLater ? file : earlier;
      const dropped = keepLater ? earlier : file;
      warnings.push(
        `${file.record.id} appears in ${path.relative(root, earlier.file)} and ${path.relative(root, file.file)}; using ${path.relative(root, kept.file)} (modified ${kept.record.modified}), ignoring ${path.relative(root, dropped.file)}`,
      );
      if (keepLater) active.set(file.record.id, file);
      continue;
    }
    active.set(file.record.id, file);
  }
  if (active.size === 0) {
    throw unavailable(`OSV database directory ${root} has no usable records (${loaded.length} read, ${withdrawn} withdrawn)`, root, hint);
  }
  for (const warning of warnings) logger?.warn(`OSV database: ${warning}`, root);
  lines.sort();
  const records = [...active.values()].map((f) => f.record).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return new OsvDatabase(
    {
      path: root,
      files: loaded.length,
      bytes,
      records: records.length,
      withdrawn,
      duplicates,
      sha256: digestBytes(lines.map((line) => `${line}\n`).join('')),
      snapshot: snapshot ?? '',
      warnings,
    },
    records,
  );
}

/** Every regular `*.json` file below root, sorted; symlinked directories are not followed (no loops). */
async function listJsonFiles(root: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      throw unavailable(`cannot list OSV database directory ${dir}`, dir, 'check the directory permissions', error);
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.name.endsWith('.json') && (entry.isFile() || (entry.isSymbolicLink() && (await isFile(full))))) found.push(full);
    }
  };
  await walk(root);
  return found.sort();
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

async function loadRecordFile(file: string, root: string): Promise<LoadedFile> {
  const shown = path.relative(root, file);
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch (error) {
    throw unavailable(`cannot read OSV record ${file}`, file, 'check the file permissions', error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch (error) {
    throw unavailable(`OSV record ${file} is not valid JSON`, file, `repair or remove ${shown} from the database directory`, error);
  }
  const validation = validateOsvRecord(parsed);
  if (validation.errors.length > 0) {
    throw unavailable(
      `OSV record ${file} does not match the OSV schema: ${validation.errors.slice(0, 5).join('; ')}`,
      file,
      `repair or remove ${shown}; every record must follow https://ossf.github.io/osv-schema/`,
    );
  }
  return { file, record: parsed as OsvRecord, sha256: digestBytes(data), bytes: data.length, warnings: validation.warnings };
}

/**
 * Orders RFC 3339 UTC timestamps as OSV writes them (`2025-08-12T21:55:57.719943Z`): fractions of any
 * length compare by value, which plain string order gets wrong (`…31.1Z` vs `…31Z`).
 */
export function compareTimestamps(a: string, b: string): number {
  const x = timestampKey(a);
  const y = timestampKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function timestampKey(value: string): string {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(value);
  if (match !== null) return `${match[1]}.${(match[2] ?? '').padEnd(12, '0')}`;
  const time = Date.parse(value);
  if (Number.isNaN(time)) return '';
  const iso = new Date(time).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23).padEnd(12, '0')}`;
}
