import { copyFile, mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FactoryError } from '@packaging-factory/core';
import { readBerkeleyHash } from './berkeley-hash.ts';
import { parseRpmHeader, rpmPackageInfo, type RpmHeader, type RpmPackageInfo } from './rpm-header.ts';

/**
 * Installed-package databases of rpm. Each keeps one header image per installed package, without
 * the 8-byte header preamble ("header blob"): rpm ≥ 4.16 in SQLite (`rpmdb.sqlite`, table
 * Packages(hnum INTEGER PRIMARY KEY, blob BLOB)), older releases in a Berkeley DB hash file
 * (`Packages`, keyed by the 32-bit instance number).
 */

export interface RpmdbPackage {
  /** rpm's instance number (hnum). */
  instance: number;
  header: RpmHeader;
  info: RpmPackageInfo;
}

export interface RpmdbContents {
  packages: RpmdbPackage[];
  /** Records that could not be read, and why: the rest are still reported. */
  problems: string[];
}

// The SQLite header string every database file starts with (sqlite.org/fileformat.html §1.3).
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export function hasSqliteMagic(head: Buffer): boolean {
  return head.length >= 16 && head.subarray(0, 16).equals(SQLITE_MAGIC);
}

function readBlobs(records: { instance: number; blob: Buffer }[], subject: string): RpmdbContents {
  const packages: RpmdbPackage[] = [];
  const problems: string[] = [];
  for (const { instance, blob } of records) {
    try {
      const { header } = parseRpmHeader(blob, `${subject} record ${instance}`, { withMagic: false });
      packages.push({ instance, header, info: rpmPackageInfo(header, `${subject} record ${instance}`) });
    } catch (error) {
      if (!(error instanceof FactoryError)) throw error;
      problems.push(error.message);
    }
  }
  packages.sort((a, b) => a.instance - b.instance);
  return { packages, problems };
}

type SqliteModule = typeof import('node:sqlite');

async function loadSqlite(file: string): Promise<SqliteModule> {
  try {
    return await import('node:sqlite');
  } catch (error) {
    throw new FactoryError(
      'TOOL_MISSING',
      `${file}: reading an rpm SQLite database needs node:sqlite, which this Node.js (${process.version}) lacks`,
      {
        subject: file,
        hint: 'run the factory on Node.js 22.13 or later (the actions use Node 24)',
        cause: error,
      },
    );
  }
}

async function readHead(file: string, length: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

function queryPackages(sqlite: SqliteModule, location: string | URL, file: string): RpmdbContents {
  let db;
  try {
    db = new sqlite.DatabaseSync(location, { readOnly: true });
  } catch (error) {
    throw new FactoryError('FILE_UNREADABLE', `${file} cannot be opened as an SQLite database`, { subject: file, cause: error });
  }
  try {
    let rows: unknown[];
    try {
      rows = db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').all();
    } catch (error) {
      throw new FactoryError('ARCHIVE_CORRUPT', `${file} has no readable Packages(hnum, blob) table: not an rpm database`, {
        subject: file,
        hint: 'point at rpm’s rpmdb.sqlite (rpm ≥ 4.16)',
        cause: error,
      });
    }
    const records = rows.map((row) => {
      const { hnum, blob } = row as { hnum: unknown; blob: unknown };
      return { instance: Number(hnum), blob: blob instanceof Uint8Array ? Buffer.from(blob) : Buffer.alloc(0) };
    });
    return readBlobs(records, file);
  } finally {
    db.close();
  }
}

/**
 * Reads an rpmdb.sqlite through node:sqlite without touching the scanned tree: SQLite would
 * otherwise create -shm/-wal files beside the database (even "read-only", and as root even in a
 * read-only directory). The `immutable=1` URI parameter (sqlite.org/uri.html) turns that off. rpm
 * runs the database in WAL mode, so when a non-empty -wal file holds transactions not yet
 * checkpointed, the database and its WAL are copied to a temp dir and read there instead.
 */
export async function readRpmdbSqlite(file: string, tempRoot: string = os.tmpdir()): Promise<RpmdbContents> {
  if (!hasSqliteMagic(await readHead(file, 16))) {
    throw new FactoryError('ARCHIVE_CORRUPT', `${file} is not an SQLite database`, { subject: file, hint: 'point at rpm’s rpmdb.sqlite' });
  }
  const sqlite = await loadSqlite(file);
  const walSize = (await stat(`${file}-wal`).catch(() => undefined))?.size ?? 0;
  if (walSize === 0) {
    const url = pathToFileURL(file);
    url.searchParams.set('immutable', '1');
    return queryPackages(sqlite, url, file);
  }
  const scratch = await mkdtemp(path.join(tempRoot, 'rpmdb-'));
  try {
    const copy = path.join(scratch, 'rpmdb.sqlite');
    await copyFile(file, copy);
    await copyFile(`${file}-wal`, `${copy}-wal`);
    return queryPackages(sqlite, copy, file);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// A Packages file beyond this is not something we load into memory in one piece.
const MAX_BDB_BYTES = 2 * 1024 * 1024 * 1024 - 1;

/** Reads a Berkeley DB `Packages` file (rpm < 4.16). */
export async function readRpmdbBerkeley(file: string): Promise<RpmdbContents> {
  const info = await stat(file);
  if (info.size > MAX_BDB_BYTES) throw new FactoryError('ARCHIVE_LIMIT', `${file} is larger than 2 GiB`, { subject: file });
  const bytes = await readFile(file);
  const contents = readBerkeleyHash(bytes, file);
  const records: { instance: number; blob: Buffer }[] = [];
  const problems = [...contents.skipped];
  for (const { key, value } of contents.entries) {
    if (key.length !== 4) {
      problems.push(`${file}: a record with a ${key.length}-byte key is not an rpm instance`);
      continue;
    }
    const instance = contents.littleEndian ? key.readUInt32LE(0) : key.readUInt32BE(0);
    // Instance 0 holds rpm's next-instance counter, not a header.
    if (instance === 0) continue;
    records.push({ instance, blob: value });
  }
  const result = readBlobs(records, file);
  result.problems.unshift(...problems);
  return result;
}
