import { FactoryError } from '@packaging-factory/core';

/**
 * Reads every key/value pair of a Berkeley DB hash database file (what rpm < 4.16 kept in
 * /var/lib/rpm/Packages), in TypeScript, without libdb. Layout from Berkeley DB's dbinc/db_page.h:
 *
 * - page 0 is the hash metadata page: the generic DBMETA (magic 0x061561 at byte 12, page size at
 *   20, metaflags at 26, last page at 32), then max_bucket at 72 and the 32 `spares` at 96; bucket
 *   B lives on page B + spares[ceil(log2(B + 1))] (the BUCKET_TO_PAGE macro);
 * - every page starts with a 26-byte header (pgno at 8, next_pgno at 16, entries at 20,
 *   hf_offset at 22, type at 25), 6 more bytes when pages carry checksums, then the 16-bit item
 *   offsets; hash pages hold key/data pairs, each item starting with its kind: H_KEYDATA (bytes
 *   inline, length = previous item's offset minus this one's) or H_OFFPAGE (first overflow page
 *   and total length), whose bytes continue on a chain of overflow pages holding hf_offset bytes each.
 *
 * Files are in the byte order of the machine that wrote them; the magic tells which. Every offset,
 * length and page number is checked and every chain is loop-guarded.
 */

const HASH_MAGIC = 0x061561;
const P_HASH_UNSORTED = 2;
const P_OVERFLOW = 7;
const P_HASHMETA = 8;
const P_HASH = 13;
const H_KEYDATA = 1;
const H_DUPLICATE = 2;
const H_OFFPAGE = 3;
const H_OFFDUP = 4;
const SIZEOF_PAGE = 26;
const DBMETA_CHKSUM = 0x01;
const DB_HASH_SUBDB = 0x02;
// An item larger than this is not an rpm header (rpm caps headers at 256 MiB of data).
const MAX_ITEM_BYTES = 0x10000000 + 0x100000;

export interface BerkeleyHashEntry {
  key: Buffer;
  value: Buffer;
}

export interface BerkeleyHashContents {
  entries: BerkeleyHashEntry[];
  littleEndian: boolean;
  pageSize: number;
  /** Items skipped because this reader does not follow them (off-page duplicate sets). */
  skipped: string[];
}

function corrupt(subject: string, message: string): FactoryError {
  return new FactoryError('ARCHIVE_CORRUPT', `${subject}: not a readable Berkeley DB hash database: ${message}`, {
    subject,
    hint: 'the rpm database is damaged or not a Berkeley DB hash file; run `rpm --rebuilddb` on the system it came from',
  });
}

/** True when `head` is the metadata page of a Berkeley DB hash database (either byte order). */
export function isBerkeleyHashHead(head: Buffer): boolean {
  if (head.length < 26) return false;
  const le = head.readUInt32LE(12) === HASH_MAGIC;
  const be = head.readUInt32BE(12) === HASH_MAGIC;
  return (le || be) && head.readUInt8(25) === P_HASHMETA;
}

/** ceil(log2(n)) for n ≥ 1: Berkeley DB's __db_log2. */
function log2Ceil(n: number): number {
  let i = 0;
  while (2 ** i < n) i += 1;
  return i;
}

/** Reads all pairs of a hash database held in `bytes`. */
export function readBerkeleyHash(bytes: Buffer, subject: string): BerkeleyHashContents {
  if (!isBerkeleyHashHead(bytes)) throw corrupt(subject, 'no hash metadata page (magic 0x061561, type 8)');
  const littleEndian = bytes.readUInt32LE(12) === HASH_MAGIC;
  const u16 = (at: number): number => (littleEndian ? bytes.readUInt16LE(at) : bytes.readUInt16BE(at));
  const u32 = (at: number): number => (littleEndian ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at));
  if (bytes.length < 512) throw corrupt(subject, 'the metadata page is truncated');
  const version = u32(16);
  if (version < 8 || version > 10) throw corrupt(subject, `unsupported hash version ${version} (Berkeley DB 4.x-6.x write 8-10)`);
  const pageSize = u32(20);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw corrupt(subject, `invalid page size ${pageSize}`);
  if (bytes.readUInt8(24) !== 0) throw corrupt(subject, 'the database is encrypted');
  const overhead = SIZEOF_PAGE + ((bytes.readUInt8(26) & DBMETA_CHKSUM) !== 0 ? 6 : 0);
  if ((u32(48) & DB_HASH_SUBDB) !== 0) throw corrupt(subject, 'the file holds sub-databases, which rpm never writes');
  const pageCount = Math.floor(bytes.length / pageSize);
  const maxBucket = u32(72);
  const spares = Array.from({ length: 32 }, (_, i) => u32(96 + i * 4));
  if (maxBucket >= pageCount) throw corrupt(subject, `max_bucket ${maxBucket} exceeds the ${pageCount} pages in the file`);

  const pageAt = (pgno: number, what: string): number => {
    if (!Number.isInteger(pgno) || pgno <= 0 || pgno >= pageCount)
      throw corrupt(subject, `${what} refers to page ${pgno}, outside the file (${pageCount} pages)`);
    return pgno * pageSize;
  };

  const readOverflow = (first: number, total: number): Buffer => {
    if (total > MAX_ITEM_BYTES) throw corrupt(subject, `an overflow item claims ${total} bytes`);
    const out = Buffer.alloc(total);
    let filled = 0;
    let pgno = first;
    const seen = new Set<number>();
    while (filled < total) {
      if (seen.has(pgno)) throw corrupt(subject, `the overflow chain loops at page ${pgno}`);
      seen.add(pgno);
      const base = pageAt(pgno, 'an overflow chain');
      if (bytes.readUInt8(base + 25) !== P_OVERFLOW) throw corrupt(subject, `page ${pgno} in an overflow chain is not an overflow page`);
      const length = u16(base + 22);
      if (length > pageSize - overhead || filled + length > total)
        throw corrupt(subject, `overflow page ${pgno} holds an impossible ${length} bytes`);
      bytes.copy(out, filled, base + overhead, base + overhead + length);
      filled += length;
      const next = u32(base + 16);
      if (filled < total && next === 0) throw corrupt(subject, `the overflow chain ends after ${filled} of ${total} bytes`);
      pgno = next;
    }
    return out;
  };

  const entries: BerkeleyHashEntry[] = [];
  const skipped: string[] = [];
  const visited = new Set<number>();

  const readItem = (base: number, pgno: number, offsets: number[], index: number): Buffer[] | undefined => {
    const start = offsets[index] as number;
    const end = index === 0 ? pageSize : (offsets[index - 1] as number);
    if (end <= start || end > pageSize) throw corrupt(subject, `item ${index} on page ${pgno} has an impossible extent ${start}-${end}`);
    const kind = bytes.readUInt8(base + start);
    switch (kind) {
      case H_KEYDATA:
        return [Buffer.from(bytes.subarray(base + start + 1, base + end))];
      case H_OFFPAGE: {
        if (end - start < 12) throw corrupt(subject, `item ${index} on page ${pgno} is a truncated overflow reference`);
        return [readOverflow(u32(base + start + 4), u32(base + start + 8))];
      }
      case H_DUPLICATE: {
        // On-page duplicates: repeated (len16, bytes, len16) elements.
        const values: Buffer[] = [];
        let at = base + start + 1;
        while (at < base + end) {
          if (at + 2 > base + end) throw corrupt(subject, `a duplicate set on page ${pgno} is truncated`);
          const length = u16(at);
          if (at + 4 + length > base + end) throw corrupt(subject, `a duplicate set on page ${pgno} is truncated`);
          values.push(Buffer.from(bytes.subarray(at + 2, at + 2 + length)));
          at += 4 + length;
        }
        return values;
      }
      case H_OFFDUP:
        skipped.push(`page ${pgno} item ${index}: an off-page duplicate set`);
        return undefined;
      default:
        throw corrupt(subject, `item ${index} on page ${pgno} has unknown kind ${kind}`);
    }
  };

  for (let bucket = 0; bucket <= maxBucket; bucket += 1) {
    let pgno = bucket + (spares[log2Ceil(bucket + 1)] ?? 0);
    while (pgno !== 0) {
      if (visited.has(pgno)) throw corrupt(subject, `the chain of bucket ${bucket} loops at page ${pgno}`);
      visited.add(pgno);
      const base = pageAt(pgno, `bucket ${bucket}`);
      const type = bytes.readUInt8(base + 25);
      if (type !== P_HASH && type !== P_HASH_UNSORTED)
        throw corrupt(subject, `page ${pgno} of bucket ${bucket} is not a hash page (type ${type})`);
      const count = u16(base + 20);
      if (count % 2 !== 0 || overhead + count * 2 > pageSize) throw corrupt(subject, `page ${pgno} claims ${count} items`);
      const offsets = Array.from({ length: count }, (_, i) => u16(base + overhead + i * 2));
      for (const offset of offsets) {
        if (offset < overhead + count * 2 || offset >= pageSize)
          throw corrupt(subject, `an item offset ${offset} on page ${pgno} lies outside the item area`);
      }
      for (let i = 0; i < count; i += 2) {
        const key = readItem(base, pgno, offsets, i);
        const values = readItem(base, pgno, offsets, i + 1);
        if (key === undefined || values === undefined) continue;
        const keyBytes = key[0] as Buffer;
        for (const value of values) entries.push({ key: keyBytes, value });
      }
      pgno = u32(base + 16);
    }
  }
  return { entries, littleEndian, pageSize, skipped };
}
