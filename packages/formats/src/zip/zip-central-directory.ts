import { inflateRawSync } from 'node:zlib';

/**
 * Reads the central directory of a ZIP archive held in memory, for archives of very many small
 * entries (osv.dev's `all.zip` dumps, read by the scan's database loader).
 *
 * Why not the yauzl reader beside it (zip-archive.ts): measured on a 200,000-entry dump (bench/scan), yauzl spends
 * 1.7–2.3 s of CPU just enumerating entries (its RandomAccessReader opens a stream for each 46-byte
 * header read) and 15–20 s when each entry is read through `openReadStream`, against a 5 s budget for
 * the whole load. Walking the directory here takes tens of milliseconds, and each entry is then
 * inflated with zlib in one call. Everything is bounds-checked: a truncated or hostile archive throws
 * a ZipFormatError rather than reading outside the buffer.
 *
 * Format: PKWARE APPNOTE.TXT 6.3.10 — §4.3.16 end of central directory record, §4.3.14/4.3.15 ZIP64
 * end of central directory record and locator, §4.3.12 central directory header, §4.3.7 local file
 * header, §4.5.3 ZIP64 extended information extra field, §4.4.4 general purpose bit flag.
 */

export class ZipFormatError extends Error {
  override readonly name = 'ZipFormatError';
}

export interface ZipDirectoryEntry {
  /** Entry name as stored ('/'-separated). */
  name: string;
  /** 0 stored, 8 deflated; others are refused when read. */
  method: number;
  /** Bit 0 of the general purpose flag: encrypted entries are refused when read. */
  encrypted: boolean;
  compressedSize: number;
  uncompressedSize: number;
  /** Offset of the local file header. */
  localHeaderOffset: number;
  /** Last modification as MS-DOS date and time, read as UTC (the format has no zone). */
  modified: Date;
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

function readUint64(buffer: Buffer, offset: number): number {
  const value = buffer.readBigUInt64LE(offset);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipFormatError(`a 64-bit field at offset ${offset} is too large`);
  return Number(value);
}

function need(buffer: Buffer, offset: number, length: number, what: string): void {
  if (offset < 0 || length < 0 || offset + length > buffer.length) {
    throw new ZipFormatError(`${what} lies outside the file (offset ${offset}, ${length} bytes, file ${buffer.length} bytes)`);
  }
}

/** MS-DOS date/time (APPNOTE §4.4.6) → Date; the fields are local time of an unknown zone, read as UTC. */
function dosTime(date: number, time: number): Date {
  const year = 1980 + (date >>> 9);
  const month = ((date >>> 5) & 0x0f) - 1;
  const day = date & 0x1f;
  return new Date(Date.UTC(year, month, day, time >>> 11, (time >>> 5) & 0x3f, (time & 0x1f) * 2));
}

/** Every central directory entry, in stored order. */
export function readZipDirectory(buffer: Buffer, maxEntries: number): ZipDirectoryEntry[] {
  // §4.3.16: the end record is the last 22 bytes plus a comment of up to 65,535 bytes; search backwards.
  const floor = Math.max(0, buffer.length - EOCD_SIZE - MAX_COMMENT);
  let eocd = -1;
  for (let i = buffer.length - EOCD_SIZE; i >= floor; i--) {
    if (buffer.readUInt32LE(i) === EOCD_SIGNATURE && i + EOCD_SIZE + buffer.readUInt16LE(i + 20) === buffer.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('no end of central directory record: not a ZIP archive, or truncated');
  if (buffer.readUInt16LE(eocd + 4) !== 0 || buffer.readUInt16LE(eocd + 6) !== 0)
    throw new ZipFormatError('multi-disk archives are not supported');
  let count = buffer.readUInt16LE(eocd + 10);
  let size = buffer.readUInt32LE(eocd + 12);
  let offset = buffer.readUInt32LE(eocd + 16);
  // §4.4.1.4: a field at its maximum means the real value is in the ZIP64 end record (more than 65,535 entries).
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator >= 0 && buffer.readUInt32LE(locator) === ZIP64_LOCATOR_SIGNATURE) {
      const record = readUint64(buffer, locator + 8);
      need(buffer, record, 56, 'the ZIP64 end of central directory record');
      if (buffer.readUInt32LE(record) !== ZIP64_EOCD_SIGNATURE)
        throw new ZipFormatError('the ZIP64 end of central directory record is missing');
      count = readUint64(buffer, record + 32);
      size = readUint64(buffer, record + 40);
      offset = readUint64(buffer, record + 48);
    }
  }
  if (count > maxEntries) throw new ZipFormatError(`the archive lists ${count} entries, more than the ${maxEntries} allowed`);
  need(buffer, offset, size, 'the central directory');
  const entries: ZipDirectoryEntry[] = [];
  let at = offset;
  const end = offset + size;
  for (let i = 0; i < count; i++) {
    need(buffer, at, 46, `central directory entry ${i}`);
    if (at + 46 > end || buffer.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw new ZipFormatError(`central directory entry ${i} is damaged`);
    const flags = buffer.readUInt16LE(at + 8);
    const method = buffer.readUInt16LE(at + 10);
    const time = buffer.readUInt16LE(at + 12);
    const date = buffer.readUInt16LE(at + 14);
    let compressedSize = buffer.readUInt32LE(at + 20);
    let uncompressedSize = buffer.readUInt32LE(at + 24);
    const nameLength = buffer.readUInt16LE(at + 28);
    const extraLength = buffer.readUInt16LE(at + 30);
    const commentLength = buffer.readUInt16LE(at + 32);
    let localHeaderOffset = buffer.readUInt32LE(at + 42);
    need(buffer, at + 46, nameLength + extraLength + commentLength, `central directory entry ${i}'s name and extra fields`);
    // Bit 11: the name is UTF-8; otherwise IBM 437, which agrees with ASCII for the names OSV uses.
    const name = buffer.toString((flags & 0x800) !== 0 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLength);
    if (uncompressedSize === 0xffffffff || compressedSize === 0xffffffff || localHeaderOffset === 0xffffffff) {
      // §4.5.3: the ZIP64 extra field holds, in this order, only the fields whose 32-bit value is at its maximum.
      let extra = at + 46 + nameLength;
      const extraEnd = extra + extraLength;
      while (extra + 4 <= extraEnd) {
        const id = buffer.readUInt16LE(extra);
        const length = buffer.readUInt16LE(extra + 2);
        if (extra + 4 + length > extraEnd) throw new ZipFormatError(`central directory entry ${name}: damaged extra field`);
        if (id === 0x0001) {
          let field = extra + 4;
          const take = (): number => {
            if (field + 8 > extra + 4 + length) throw new ZipFormatError(`central directory entry ${name}: short ZIP64 extra field`);
            const value = readUint64(buffer, field);
            field += 8;
            return value;
          };
          if (uncompressedSize === 0xffffffff) uncompressedSize = take();
          if (compressedSize === 0xffffffff) compressedSize = take();
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
          break;
        }
        extra += 4 + length;
      }
    }
    entries.push({
      name,
      method,
      encrypted: (flags & 0x1) !== 0,
      compressedSize,
      uncompressedSize,
      localHeaderOffset,
      modified: dosTime(date, time),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Where an entry's data starts: after its local header, whose name and extra lengths may differ from the central copy (§4.3.7). */
export function entryDataStart(buffer: Buffer, entry: ZipDirectoryEntry): number {
  need(buffer, entry.localHeaderOffset, 30, `the local header of ${entry.name}`);
  if (buffer.readUInt32LE(entry.localHeaderOffset) !== LOCAL_SIGNATURE)
    throw new ZipFormatError(`the local header of ${entry.name} is damaged`);
  const start =
    entry.localHeaderOffset + 30 + buffer.readUInt16LE(entry.localHeaderOffset + 26) + buffer.readUInt16LE(entry.localHeaderOffset + 28);
  need(buffer, start, entry.compressedSize, `the data of ${entry.name}`);
  return start;
}

/**
 * An entry's bytes, inflated in one zlib call and checked against the declared size; refuses
 * encrypted entries, methods other than stored and deflate, and entries over `maxBytes` before
 * inflating anything (zlib stops at the declared size, so a bomb cannot grow past it).
 */
export function readZipEntry(
  buffer: Buffer,
  entry: Pick<ZipDirectoryEntry, 'name' | 'method' | 'compressedSize' | 'uncompressedSize'> & { encrypted?: boolean },
  dataStart: number,
  maxBytes: number,
): Buffer {
  if (entry.encrypted === true) throw new ZipFormatError(`${entry.name} is encrypted`);
  if (entry.uncompressedSize > maxBytes) {
    throw new ZipFormatError(`${entry.name} declares ${entry.uncompressedSize} bytes, more than the ${maxBytes} allowed for one record`);
  }
  const data = buffer.subarray(dataStart, dataStart + entry.compressedSize);
  let bytes: Buffer;
  if (entry.method === 0) bytes = data;
  else if (entry.method === 8) {
    try {
      // One byte more than declared, so an entry that inflates past its declared size is caught below.
      bytes = inflateRawSync(data, { maxOutputLength: Math.max(1, entry.uncompressedSize + 1) });
    } catch (error) {
      throw new ZipFormatError(`${entry.name} does not inflate: ${error instanceof Error ? error.message : String(error)}`);
    }
  } else throw new ZipFormatError(`${entry.name} uses compression method ${entry.method}; only stored (0) and deflate (8) are read`);
  if (bytes.length !== entry.uncompressedSize) {
    throw new ZipFormatError(`${entry.name} inflates to ${bytes.length} bytes but declares ${entry.uncompressedSize}`);
  }
  return bytes;
}
