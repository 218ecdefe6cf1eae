import { digestBytes, FactoryError, type Logger } from '@packaging-factory/core';
import { addMemoryRecord, loadRecords, type DatabaseSourceFile, type LoadOptions } from './database/database-loader.ts';
import { RecordStore, RecordTable } from './database/record-store.ts';
import { parseEcosystem, type EcosystemName } from './ecosystem.ts';
import { ecosystemSupport } from './ecosystems.ts';
import type { OsvAffected, OsvRecord } from './osv-record.ts';

/** Facts about a loaded database, enough to repeat a scan against the same data. */
export interface OsvDatabaseInfo {
  /** The directory or archive, absolute (for the OSV API: its base URL). */
  path: string;
  /** Records read: `.json` files and ZIP entries (for the OSV API: records fetched). */
  files: number;
  /** Bytes of those records as the source holds them (inflated for ZIP entries). */
  bytes: number;
  /** Records in use (withdrawn and superseded duplicates excluded). */
  records: number;
  /** Records skipped because they carry `withdrawn`. */
  withdrawn: number;
  /** Records whose id appeared more than once; the newest `modified` was kept. */
  duplicates: number;
  /**
   * sha256 over the sorted `id\tmodified\tsha256` lines of every record read, the last field being
   * the sha256 of the record's bytes: the same records give the same digest in any layout (one
   * directory, per-ecosystem folders, all.zip dumps).
   */
  sha256: string;
  /** The newest `modified` of any record: the data's point in time. */
  snapshot: string;
  /** Schema vocabulary warnings (new id prefixes or ecosystems), one line per record. */
  warnings: string[];
  /** What the records were read from; absent for databases built in memory. */
  kind?: 'directory' | 'zip' | 'osv-api' | 'memory';
  /** The archives and directories read (see databaseProvenance). */
  sources?: DatabaseSourceFile[];
  /** When records are checked against the full OSV schema (see RecordValidation). */
  validation?: RecordStore['validation'];
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

/** One record's identity in the database digest. */
export interface RecordDigest {
  id: string;
  modified: string;
  sha256: string;
}

/**
 * An OSV database indexed by (base ecosystem, normalised package name). Only the index stays in
 * memory: a record is parsed (and, by default, validated against the full schema) the first time a
 * lookup names its package, then kept. For 200,000 records that is the difference between about
 * 1.1 GB of parsed objects and the compressed dumps plus an index (bench/scan).
 */
export class OsvDatabase {
  private readonly store: RecordStore;
  private readonly index = new Map<string, number[]>();
  private readonly byId = new Map<string, number>();
  private readonly entries = new Map<string, AffectedEntry[]>();
  private readonly recordsByEcosystem = new Map<string, { count: number; releases: Set<string> }>();

  /**
   * `records`: parsed records (all in use), or the store of a loaded database with the indices of
   * the records in use.
   */
  constructor(
    readonly info: OsvDatabaseInfo,
    records: readonly OsvRecord[] | { store: RecordStore; inUse: readonly number[] },
  ) {
    let inUse: readonly number[];
    if (Array.isArray(records)) {
      const table = new RecordTable();
      inUse = (records as readonly OsvRecord[]).map((record) => addMemoryRecord(table, record, record.id));
      this.store = new RecordStore(table, [], 'on-use', info.warnings, info.path);
    } else {
      ({ store: this.store, inUse } = records as { store: RecordStore; inUse: readonly number[] });
    }
    const table = this.store.table;
    for (const index of inUse) {
      this.byId.set(table.ids[index]!, index);
      const bases = new Set<string>();
      const keys = new Set<string>();
      for (const pkg of table.packagesOf(index)) {
        const ecosystem = parseEcosystem(pkg.ecosystem);
        keys.add(indexKey(ecosystem.base, pkg.name));
        const counted = this.recordsByEcosystem.get(ecosystem.base) ?? { count: 0, releases: new Set<string>() };
        if (!bases.has(ecosystem.base)) counted.count++;
        bases.add(ecosystem.base);
        if (ecosystem.release !== undefined) counted.releases.add(ecosystem.release);
        this.recordsByEcosystem.set(ecosystem.base, counted);
      }
      for (const key of keys) {
        const list = this.index.get(key);
        if (list === undefined) this.index.set(key, [index]);
        else list.push(index);
      }
    }
  }

  /**
   * The affected entries naming this package in this base ecosystem (any release). Throws
   * SCAN_DB_UNAVAILABLE when a candidate record cannot be read again or breaks the OSV schema.
   */
  lookup(baseEcosystem: string, name: string): readonly AffectedEntry[] {
    const key = indexKey(baseEcosystem, name);
    const known = this.entries.get(key);
    if (known !== undefined) return known;
    const found: AffectedEntry[] = [];
    for (const index of this.index.get(key) ?? []) {
      const record = this.store.record(index);
      for (const affected of record.affected ?? []) {
        if (affected.package === undefined) continue;
        const ecosystem = parseEcosystem(affected.package.ecosystem);
        if (ecosystem.base === baseEcosystem && indexKey(ecosystem.base, affected.package.name) === key)
          found.push({ record, affected, ecosystem });
      }
    }
    this.entries.set(key, found);
    return found;
  }

  /** Records in use naming a package of this base ecosystem; 0 when the database does not cover it. */
  recordCount(baseEcosystem: string): number {
    return this.recordsByEcosystem.get(baseEcosystem)?.count ?? 0;
  }

  /**
   * Whether an empty answer for this base ecosystem means "no known vulnerability": true when the
   * records name it, and always for the OSV API (which was asked about exactly these packages).
   */
  covers(baseEcosystem: string): boolean {
    return this.info.kind === 'osv-api' || this.recordCount(baseEcosystem) > 0;
  }

  /** Every base ecosystem the records name, with counts: what the database can actually answer for. */
  ecosystems(): DatabaseEcosystem[] {
    const order = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
    return [...this.recordsByEcosystem.entries()]
      .map(([ecosystem, { count, releases }]) => ({ ecosystem, records: count, releases: [...releases].sort(compareReleases) }))
      .sort((a, b) => order(a.ecosystem, b.ecosystem));
  }

  record(id: string): OsvRecord | undefined {
    const index = this.byId.get(id);
    return index === undefined ? undefined : this.store.record(index);
  }

  /** Ids of the records in use, sorted. */
  ids(): string[] {
    return [...this.byId.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** Every record read (in use or not) as the digest sees it, sorted by id then digest. */
  recordDigests(): RecordDigest[] {
    const table = this.store.table;
    return table.ids
      .map((id, i) => ({ id, modified: table.modified[i]!, sha256: table.sha256[i]! }))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : a.sha256 < b.sha256 ? -1 : a.sha256 > b.sha256 ? 1 : 0));
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

/**
 * The key a package is indexed under: the base ecosystem and the name as the ecosystem normalises
 * it (`Debian:12` and `Debian` share one). Also the key of LoadOptions.preload.
 */
export function packageKey(ecosystem: string, name: string): string {
  return indexKey(parseEcosystem(ecosystem).base, name);
}

function indexKey(baseEcosystem: string, name: string): string {
  const support = ecosystemSupport(baseEcosystem);
  return `${baseEcosystem}\u0000${support === undefined ? name : support.normaliseName(name)}`;
}

function unavailable(message: string, subject: string, hint: string, cause?: unknown): FactoryError {
  return new FactoryError('SCAN_DB_UNAVAILABLE', message, { subject, hint, cause });
}

/** The digest over `id\tmodified\tsha256` lines, sorted, one per record (see OsvDatabaseInfo.sha256). */
export function databaseDigest(table: RecordTable): string {
  const lines = table.ids.map((id, i) => `${id}\t${table.modified[i]!}\t${table.sha256[i]!}\n`);
  lines.sort();
  return digestBytes(lines.join(''));
}

/**
 * Which stored records are in use: withdrawn ones are left out, and of an id stored twice the copy
 * with the newest `modified` wins (identical copies, as the per-ecosystem dumps hold for an advisory
 * naming two ecosystems, are counted but not reported).
 */
export function resolveRecords(
  table: RecordTable,
  warnings: string[],
): { inUse: number[]; withdrawn: number; duplicates: number; snapshot: string } {
  const active = new Map<string, number>();
  let withdrawn = 0;
  let duplicates = 0;
  let snapshot: string | undefined;
  for (let index = 0; index < table.length; index++) {
    const id = table.ids[index]!;
    const modified = table.modified[index]!;
    if (snapshot === undefined || compareTimestamps(modified, snapshot) > 0) snapshot = modified;
    if (table.isWithdrawn(index)) {
      withdrawn++;
      continue;
    }
    const earlier = active.get(id);
    if (earlier === undefined) {
      active.set(id, index);
      continue;
    }
    duplicates++;
    const keepLater = compareTimestamps(modified, table.modified[earlier]!) > 0;
    const kept = keepLater ? index : earlier;
    const dropped = keepLater ? earlier : index;
    if (table.sha256[earlier] !== table.sha256[index]) {
      warnings.push(
        `${id} appears in ${table.origin(earlier)} and ${table.origin(index)}; using ${table.origin(kept)} (modified ${table.modified[kept]!}), ignoring ${table.origin(dropped)}`,
      );
    }
    if (keepLater) active.set(id, index);
  }
  const inUse = [...active.values()].sort((a, b) => a - b);
  return { inUse, withdrawn, duplicates, snapshot: snapshot ?? '' };
}

export type LoadOsvDatabaseOptions = LoadOptions;

/**
 * Loads an OSV database: a directory of OSV JSON records (searched recursively), an osv.dev
 * per-ecosystem `all.zip`, or a directory holding several of either. Fails closed with
 * SCAN_DB_UNAVAILABLE when it is missing or unreadable, a record does not parse or lacks what the
 * index needs, or no usable record remains: a scan against a database we could not read would pass
 * by default. See RecordValidation for when the rest of the OSV schema is checked.
 */
export async function loadOsvDatabase(source: string, logger?: Logger, options: LoadOsvDatabaseOptions = {}): Promise<OsvDatabase> {
  const loaded = await loadRecords(source, { ...options, packageKey });
  const root = loaded.root;
  const warnings = loaded.warnings;
  const resolved = resolveRecords(loaded.records, warnings);
  if (resolved.inUse.length === 0) {
    throw unavailable(
      `OSV database ${root} has no usable records (${loaded.records.length} read, ${resolved.withdrawn} withdrawn)`,
      root,
      'pass a database that holds current (not withdrawn) OSV records',
    );
  }
  for (const warning of warnings) logger?.warn(`OSV database: ${warning}`, root);
  const validation = options.validation ?? 'on-use';
  const info: OsvDatabaseInfo = {
    path: root,
    files: loaded.files,
    bytes: loaded.bytes,
    records: resolved.inUse.length,
    withdrawn: resolved.withdrawn,
    duplicates: resolved.duplicates,
    sha256: databaseDigest(loaded.records),
    snapshot: resolved.snapshot,
    warnings,
    kind: loaded.kind,
    sources: loaded.sources,
    validation,
  };
  const store = new RecordStore(loaded.records, loaded.archives, validation, warnings, root);
  return new OsvDatabase(info, { store, inUse: resolved.inUse });
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
