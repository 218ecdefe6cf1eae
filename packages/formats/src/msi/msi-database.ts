import { FactoryError } from '@packaging-factory/core';
import type { CompoundFile, CompoundFileEntry } from './compound-file.ts';
import { codePageDecoder } from './msi-code-page.ts';
import { decodeMsiStreamName } from './msi-stream-name.ts';

/**
 * The Windows Installer relational database inside a compound file. Microsoft documents the
 * tables (Windows Installer SDK, "Database Tables") but not their storage; this follows the layout
 * Wine's and msitools' libmsi read and write:
 * - `_StringPool` + `_StringData`: every string once, referenced by 1-based id (0 = null);
 * - `_Tables`: the table names; `_Columns`: each table's columns, numbered, with a type word;
 * - each table in its own stream, stored column by column (all rows of column 1, then column 2...).
 */

// Column type bits (msidefs.h / libmsi).
const TYPE_WIDTH = 0x00ff;
const TYPE_VALID = 0x0100;
const TYPE_LOCALIZABLE = 0x0200;
const TYPE_STRING = 0x0800;
const TYPE_NULLABLE = 0x1000;
const TYPE_KEY = 0x2000;
const TYPE_TEMPORARY = 0x4000;

export interface MsiColumn {
  /** 1-based position. */
  number: number;
  name: string;
  /** The type word from `_Columns`. */
  type: number;
  /**
   * The column definition as Windows Installer's export (and `msiinfo export`) writes it: 's72',
   * 'l0', 'i2', 'I4', 'v0'; an upper-case letter means nullable.
   */
  definition: string;
  key: boolean;
  nullable: boolean;
  kind: 'string' | 'integer' | 'binary';
}

export interface MsiTableSchema {
  name: string;
  columns: MsiColumn[];
}

/** A cell: a string, an integer, null, or for a binary (stream) column the stream's name. */
export type MsiValue = string | number | null;

export interface MsiDatabaseLimits {
  /** Strings in the pool. */
  maxStrings: number;
  /** Rows read from one table. */
  maxRows: number;
}

export const DEFAULT_MSI_DATABASE_LIMITS: MsiDatabaseLimits = { maxStrings: 2_000_000, maxRows: 1_000_000 };

/** Persisted tables' schemas that `_Columns` does not describe: they describe the others. */
const SYSTEM_TABLES = new Set(['_Tables', '_Columns', '_StringPool', '_StringData', '_Streams', '_Storages']);

export class MsiDatabase {
  private constructor(
    private readonly cfb: CompoundFile,
    /** The database code page from the string pool header. */
    readonly codePage: number,
    /** Bytes of a string reference in table streams: 2, or 3 when the pool says so. */
    readonly stringRefBytes: 2 | 3,
    private readonly strings: readonly string[],
    private readonly schemas: ReadonlyMap<string, MsiTableSchema>,
    private readonly tableStreams: ReadonlyMap<string, CompoundFileEntry>,
    private readonly limits: MsiDatabaseLimits,
  ) {}

  get file(): string {
    return this.cfb.file;
  }

  /** Reads the string pool and the schema; tables are read on demand. */
  static async open(cfb: CompoundFile, limits: MsiDatabaseLimits = DEFAULT_MSI_DATABASE_LIMITS): Promise<MsiDatabase> {
    const file = cfb.file;
    const tableStreams = new Map<string, CompoundFileEntry>();
    for (const entry of cfb.entries) {
      if (entry.type !== 'stream' || entry.parents.length > 0) continue;
      const decoded = decodeMsiStreamName(entry.name);
      if (decoded.table) tableStreams.set(decoded.name, entry);
    }
    const poolEntry = tableStreams.get('_StringPool');
    const dataEntry = tableStreams.get('_StringData');
    if (poolEntry === undefined || dataEntry === undefined) {
      throw notMsi(file, 'it has no string pool (_StringPool/_StringData streams)');
    }
    const pool = await cfb.read(poolEntry);
    const data = await cfb.read(dataEntry);
    const { codePage, refBytes, strings } = parseStringPool(file, pool, data, limits);

    const tablesEntry = tableStreams.get('_Tables');
    const columnsEntry = tableStreams.get('_Columns');
    if (tablesEntry === undefined || columnsEntry === undefined) throw notMsi(file, 'it has no _Tables or _Columns table');
    const lookup = (id: number, where: string): string => {
      const value = strings[id];
      if (id === 0 || value === undefined) throw corrupt(file, `${where} refers to string ${id}, which the pool does not hold`);
      return value;
    };

    const tablesData = await cfb.read(tablesEntry);
    if (tablesData.length % refBytes !== 0)
      throw corrupt(file, `the _Tables stream's size (${tablesData.length}) is not a whole number of rows`);
    const tableNames: string[] = [];
    for (let offset = 0; offset < tablesData.length; offset += refBytes) {
      tableNames.push(lookup(readRef(tablesData, offset, refBytes), '_Tables'));
    }

    // _Columns: Table (string), Number (i2), Name (string), Type (i2), stored column by column.
    const columnsData = await cfb.read(columnsEntry);
    const rowBytes = refBytes * 2 + 4;
    if (columnsData.length % rowBytes !== 0)
      throw corrupt(file, `the _Columns stream's size (${columnsData.length}) is not a whole number of rows`);
    const rows = columnsData.length / rowBytes;
    const byTable = new Map<string, MsiColumn[]>();
    for (let row = 0; row < rows; row++) {
      const table = lookup(readRef(columnsData, row * refBytes, refBytes), '_Columns.Table');
      const numberRaw = columnsData.readUInt16LE(rows * refBytes + row * 2);
      const name = lookup(readRef(columnsData, rows * (refBytes + 2) + row * refBytes, refBytes), '_Columns.Name');
      const typeRaw = columnsData.readUInt16LE(rows * (2 * refBytes + 2) + row * 2);
      if (numberRaw === 0 || typeRaw === 0) throw corrupt(file, `_Columns row ${row + 1} (${table}.${name}) has a null number or type`);
      // Integers are stored with their sign bit flipped, so that 0 can mean null.
      const number = numberRaw ^ 0x8000;
      const type = typeRaw ^ 0x8000;
      if ((type & TYPE_TEMPORARY) !== 0) continue;
      const columns = byTable.get(table) ?? [];
      columns.push(describeColumn(number, name, type));
      byTable.set(table, columns);
    }
    const schemas = new Map<string, MsiTableSchema>();
    for (const name of tableNames) {
      if (SYSTEM_TABLES.has(name)) continue;
      const columns = (byTable.get(name) ?? []).sort((a, b) => a.number - b.number);
      if (columns.length === 0) throw corrupt(file, `table ${name} is listed in _Tables but has no columns in _Columns`);
      columns.forEach((column, i) => {
        if (column.number !== i + 1) throw corrupt(file, `table ${name}'s columns are not numbered 1..${columns.length}`);
      });
      schemas.set(name, { name, columns });
    }
    return new MsiDatabase(cfb, codePage, refBytes, strings, schemas, tableStreams, limits);
  }

  /** The names of the tables `_Tables` lists, sorted. */
  tableNames(): string[] {
    return [...this.schemas.keys()].sort();
  }

  schema(table: string): MsiTableSchema | undefined {
    return this.schemas.get(table);
  }

  /** Every row of a table, each cell in column order. A table without a stream has no rows. */
  async rows(table: string): Promise<MsiValue[][]> {
    const schema = this.schemas.get(table);
    if (schema === undefined) throw new FactoryError('ARCHIVE_CORRUPT', `${this.file} has no ${table} table`, { subject: this.file });
    const entry = this.tableStreams.get(table);
    if (entry === undefined) return [];
    const data = await this.cfb.read(entry);
    const widths = schema.columns.map((c) => this.columnBytes(c));
    const rowBytes = widths.reduce((a, b) => a + b, 0);
    if (data.length % rowBytes !== 0) {
      throw corrupt(this.file, `table ${table}'s stream (${data.length} bytes) is not a whole number of ${rowBytes}-byte rows`);
    }
    const count = data.length / rowBytes;
    if (count > this.limits.maxRows) {
      throw new FactoryError(
        'ARCHIVE_LIMIT',
        `${this.file}: table ${table} has ${count} rows, more than the ${this.limits.maxRows} allowed`,
        {
          subject: this.file,
        },
      );
    }
    const rows: MsiValue[][] = Array.from({ length: count }, () => []);
    let columnStart = 0;
    schema.columns.forEach((column, index) => {
      const width = widths[index] as number;
      for (let row = 0; row < count; row++) {
        const offset = columnStart + row * width;
        (rows[row] as MsiValue[]).push(this.cell(table, column, data, offset, width));
      }
      columnStart += width * count;
    });
    // Binary cells name their stream '<Table>.<key1>.<key2>...' (libmsi's naming of stream columns).
    const keyIndexes = schema.columns.flatMap((c, i) => (c.key ? [i] : []));
    for (const row of rows) {
      schema.columns.forEach((column, i) => {
        if (column.kind === 'binary' && row[i] !== null) row[i] = [table, ...keyIndexes.map((k) => String(row[k] ?? ''))].join('.');
      });
    }
    return rows;
  }

  /** Rows as objects keyed by column name. */
  async records(table: string): Promise<Record<string, MsiValue>[]> {
    const schema = this.schemas.get(table);
    const rows = await this.rows(table);
    return rows.map((row) => Object.fromEntries((schema?.columns ?? []).map((c, i) => [c.name, row[i] ?? null])));
  }

  private columnBytes(column: MsiColumn): number {
    if (column.kind === 'binary') return 2;
    if (column.kind === 'string') return this.stringRefBytes;
    return (column.type & TYPE_WIDTH) <= 2 ? 2 : 4;
  }

  private cell(table: string, column: MsiColumn, data: Buffer, offset: number, width: number): MsiValue {
    if (column.kind === 'string') {
      const id = readRef(data, offset, width);
      if (id === 0) return null;
      const value = this.strings[id];
      if (value === undefined) throw corrupt(this.file, `${table}.${column.name} refers to string ${id}, which the pool does not hold`);
      return value;
    }
    const raw = width === 2 ? data.readUInt16LE(offset) : data.readUInt32LE(offset);
    if (raw === 0) return null;
    if (column.kind === 'binary') return 1;
    return width === 2 ? raw - 0x8000 : raw - 0x80000000;
  }
}

function describeColumn(number: number, name: string, type: number): MsiColumn {
  const binary = (type & ~TYPE_NULLABLE) === (TYPE_STRING | TYPE_VALID);
  const kind = binary ? 'binary' : (type & TYPE_STRING) !== 0 ? 'string' : 'integer';
  const nullable = (type & TYPE_NULLABLE) !== 0;
  // The letters of Windows Installer's export format (MsiViewGetColumnInfo MSICOLINFO_TYPES).
  let letter = kind === 'binary' ? 'v' : (type & TYPE_LOCALIZABLE) !== 0 ? 'l' : kind === 'string' ? 's' : 'i';
  if (nullable) letter = letter.toUpperCase();
  return { number, name, type, definition: `${letter}${type & TYPE_WIDTH}`, key: (type & TYPE_KEY) !== 0, nullable, kind };
}

function readRef(data: Buffer, offset: number, bytes: number): number {
  return bytes === 2 ? data.readUInt16LE(offset) : data.readUIntLE(offset, 3);
}

/**
 * `_StringPool` is a list of (length, reference count) pairs of 16-bit words; the first pair is the
 * header: the code page, with bit 15 of the second word set when string references take 3 bytes.
 * A string of 64 KiB or more takes two pairs: (0, refs) then (low length, high length).
 * Pair n (from 1) is string id n; `_StringData` holds the strings back to back, in the code page.
 */
function parseStringPool(
  file: string,
  pool: Buffer,
  data: Buffer,
  limits: MsiDatabaseLimits,
): { codePage: number; refBytes: 2 | 3; strings: string[] } {
  if (pool.length < 4 || pool.length % 4 !== 0)
    throw corrupt(file, `the string pool's size (${pool.length}) is not a whole number of entries`);
  const count = pool.length / 4;
  if (count > limits.maxStrings) {
    throw new FactoryError('ARCHIVE_LIMIT', `${file}: the string pool holds ${count} entries, more than the ${limits.maxStrings} allowed`, {
      subject: file,
    });
  }
  const low = pool.readUInt16LE(0);
  const high = pool.readUInt16LE(2);
  const codePage = low | ((high & 0x7fff) << 16);
  const refBytes = (high & 0x8000) !== 0 ? 3 : 2;
  const decoder = codePageDecoder(codePage, file);
  const strings: string[] = [''];
  let offset = 0;
  for (let i = 1; i < count;) {
    const length = pool.readUInt16LE(i * 4);
    const refs = pool.readUInt16LE(i * 4 + 2);
    let size: number;
    if (length === 0 && refs === 0) {
      strings.push('');
      i += 1;
      continue;
    }
    if (length === 0) {
      if (i + 1 >= count) throw corrupt(file, 'the string pool ends inside a long string entry');
      size = pool.readUInt16LE((i + 1) * 4) + pool.readUInt16LE((i + 1) * 4 + 2) * 0x10000;
      i += 2;
    } else {
      size = length;
      i += 1;
    }
    if (offset + size > data.length) throw corrupt(file, `string ${strings.length} runs past the end of _StringData`);
    strings.push(decoder.decode(data.subarray(offset, offset + size)));
    offset += size;
  }
  return { codePage, refBytes, strings };
}

function notMsi(file: string, reason: string): FactoryError {
  return new FactoryError('ARCHIVE_CORRUPT', `${file} is a compound file but not a Windows Installer database: ${reason}`, {
    subject: file,
    hint: 'only .msi installation packages are read; check that the file is one (Word documents and other OLE files share the container)',
  });
}

function corrupt(file: string, reason: string): FactoryError {
  return new FactoryError('ARCHIVE_CORRUPT', `${file} is not a readable Windows Installer database: ${reason}`, {
    subject: file,
    hint: 'the package is damaged; rebuild or re-download it',
  });
}
