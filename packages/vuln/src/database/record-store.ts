import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { digestBytes, FactoryError } from '@packaging-factory/core';
import type { OsvRecord } from '../osv-record.ts';
import { validateOsvRecord } from '../osv-schema-validator.ts';
import type { RecordFacts } from './record-facts.ts';
import { readZipEntry } from '@packaging-factory/formats';

/** Where a record's bytes live until a lookup needs the record. */
export type RecordLocation =
  /** A `.json` file of a database directory, read again on use and checked against its digest. */
  | { kind: 'file'; file: string }
  /** An entry of a ZIP archive, read again from the archive file on use and checked against its digest. */
  | { kind: 'zip'; archive: number; name: string; method: number; dataStart: number; compressedSize: number; uncompressedSize: number }
  /** A record already parsed (the API client's, or one built in memory). */
  | { kind: 'memory'; record: OsvRecord };

/**
 * When a record is checked against the full OSV JSON Schema. `all`: while loading, every record
 * (about 23 µs a record: 4.7 s for 200,000, measured in bench/scan). `on-use`: when a lookup first
 * needs it; loading still checks what the index relies on (id, modified, withdrawn, affected
 * packages), so a record that is malformed only where no component looks is never reported.
 */
export type RecordValidation = 'all' | 'on-use';

const FILE = -1;
const MEMORY = -2;
const PACKAGE_SEPARATOR = '\u0001';
const FIELD_SEPARATOR = '\u0000';

/**
 * The records read from a source, one column per fact. Columns of strings and small integers
 * instead of an object per record: measured on 200,000 records (bench/scan), an object graph per
 * record made the garbage collector re-mark millions of objects during the load and cost more CPU
 * than inflating and parsing together.
 */
export class RecordTable {
  readonly ids: string[] = [];
  readonly modified: string[] = [];
  /** sha256 (hex) of each record's bytes as the source holds them (file, ZIP entry, API response body). */
  readonly sha256: string[] = [];
  readonly bytes: number[] = [];
  private readonly withdrawn: number[] = [];
  private readonly packages: string[] = [];
  /** The file, or the archive's shown name `!` the entry name, for messages. */
  private readonly origins: string[] = [];
  private readonly archive: number[] = [];
  private readonly method: number[] = [];
  private readonly dataStart: number[] = [];
  private readonly compressedSize: number[] = [];
  private readonly uncompressedSize: number[] = [];
  private readonly files = new Map<number, string>();
  private readonly memory = new Map<number, OsvRecord>();

  get length(): number {
    return this.ids.length;
  }

  /** Appends a record; returns its index. */
  add(facts: RecordFacts, sha256: string, bytes: number, origin: string, location: RecordLocation): number {
    const index = this.ids.length;
    this.ids.push(facts.id);
    this.modified.push(facts.modified);
    this.withdrawn.push(facts.withdrawn ? 1 : 0);
    this.packages.push(facts.packages.map((p) => `${p.ecosystem}${FIELD_SEPARATOR}${p.name}`).join(PACKAGE_SEPARATOR));
    this.sha256.push(sha256);
    this.bytes.push(bytes);
    this.origins.push(origin);
    if (location.kind === 'zip') {
      this.archive.push(location.archive);
      this.method.push(location.method);
      this.dataStart.push(location.dataStart);
      this.compressedSize.push(location.compressedSize);
      this.uncompressedSize.push(location.uncompressedSize);
    } else {
      this.archive.push(location.kind === 'file' ? FILE : MEMORY);
      this.method.push(0);
      this.dataStart.push(0);
      this.compressedSize.push(0);
      this.uncompressedSize.push(0);
      if (location.kind === 'file') this.files.set(index, location.file);
      else this.memory.set(index, location.record);
    }
    return index;
  }

  isWithdrawn(index: number): boolean {
    return this.withdrawn[index] === 1;
  }

  /** The (ecosystem, name) pairs of the record's `affected[].package`, each once. */
  packagesOf(index: number): { ecosystem: string; name: string }[] {
    const joined = this.packages[index] ?? '';
    if (joined === '') return [];
    return joined.split(PACKAGE_SEPARATOR).map((pair) => {
      const cut = pair.indexOf(FIELD_SEPARATOR);
      return { ecosystem: pair.slice(0, cut), name: pair.slice(cut + 1) };
    });
  }

  origin(index: number): string {
    return this.origins[index] ?? '';
  }

  location(index: number): RecordLocation {
    const archive = this.archive[index]!;
    if (archive === FILE) return { kind: 'file', file: this.files.get(index)! };
    if (archive === MEMORY) return { kind: 'memory', record: this.memory.get(index)! };
    const origin = this.origin(index);
    return {
      kind: 'zip',
      archive,
      name: origin.slice(origin.indexOf('!') + 1),
      method: this.method[index]!,
      dataStart: this.dataStart[index]!,
      compressedSize: this.compressedSize[index]!,
      uncompressedSize: this.uncompressedSize[index]!,
    };
  }
}

/** Records of one loaded database, parsed and validated on first use and kept once parsed. */
export class RecordStore {
  private readonly parsed = new Map<number, OsvRecord>();

  constructor(
    readonly table: RecordTable,
    /** The ZIP archives' paths, by the archive numbers of the table's locations. */
    private readonly archives: readonly string[],
    readonly validation: RecordValidation,
    /** Vocabulary warnings found while validating on use are appended here. */
    private readonly warnings: string[],
    /** Names the database in error messages. */
    private readonly databaseName: string,
  ) {}

  /** The parsed record at `index`; throws SCAN_DB_UNAVAILABLE when it can no longer be read or breaks the schema. */
  record(index: number): OsvRecord {
    const cached = this.parsed.get(index);
    if (cached !== undefined) return cached;
    const location = this.table.location(index);
    let record: OsvRecord;
    if (location.kind === 'memory') record = location.record;
    else {
      const bytes = this.bytesOf(index, location);
      let parsed: unknown;
      try {
        parsed = JSON.parse(bytes.toString('utf8'));
      } catch (error) {
        throw this.unusable(index, 'is not valid JSON', error);
      }
      if (this.validation === 'on-use') {
        const result = validateOsvRecord(parsed);
        if (result.errors.length > 0) throw this.unusable(index, `does not match the OSV schema: ${result.errors.slice(0, 5).join('; ')}`);
        for (const warning of result.warnings) this.warnings.push(`${this.table.origin(index)}: ${warning}`);
      }
      record = parsed as OsvRecord;
    }
    this.parsed.set(index, record);
    return record;
  }

  /** The bytes of a file or ZIP entry record, checked against the digest taken while loading. */
  private bytesOf(index: number, location: Exclude<RecordLocation, { kind: 'memory' }>): Buffer {
    let bytes: Buffer;
    if (location.kind === 'file') {
      try {
        bytes = readFileSync(location.file);
      } catch (error) {
        throw this.unusable(index, 'can no longer be read', error);
      }
    } else {
      // Only the entry's compressed bytes are read: keeping whole dumps in memory would cost their size in RSS.
      const file = this.archives[location.archive]!;
      const data = Buffer.alloc(location.compressedSize);
      let fd: number | undefined;
      try {
        fd = openSync(file, 'r');
        if (readSync(fd, data, 0, data.length, location.dataStart) !== data.length) throw new Error('short read');
      } catch (error) {
        throw this.unusable(index, 'can no longer be read', error);
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
      try {
        bytes = readZipEntry(data, location, 0, Number.MAX_SAFE_INTEGER);
      } catch (error) {
        throw this.unusable(index, 'changed after the database was loaded', error);
      }
    }
    // A directory may change between loading and matching: the scan must use what it digested.
    if (digestBytes(bytes) !== this.table.sha256[index]) throw this.unusable(index, 'changed after the database was loaded');
    return bytes;
  }

  private unusable(index: number, problem: string, cause?: unknown): FactoryError {
    const origin = this.table.origin(index);
    return new FactoryError('SCAN_DB_UNAVAILABLE', `OSV record ${origin} ${problem}`, {
      subject: origin,
      hint: `repair or remove it from the OSV database ${this.databaseName}; every record must follow https://ossf.github.io/osv-schema/`,
      cause,
    });
  }
}
