import type { FileHandle } from 'node:fs/promises';
import { openReader } from '../open-reader.ts';
import { FactoryError } from '@packaging-factory/core';

/**
 * A reader for the Compound File Binary format ([MS-CFB], "OLE2" structured storage), the container
 * of Windows Installer databases. It reads through a file handle and only the sectors it is asked
 * for, so a 2 GiB MSI full of cabinets costs its FAT and the few small streams we need, not its size
 * in memory. Every sector number, chain and size comes from the file and is checked before use:
 * a chain that loops, leaves the file or ends before its stream does is an ARCHIVE_CORRUPT naming
 * the file, never a hang.
 *
 * Why not SheetJS `cfb`: it parses the whole file into memory (Node cannot even load a file over
 * 2 GiB into one Buffer) and its sector-chain walk has no cycle check, so a crafted FAT loop grows
 * an array until the process dies of heap exhaustion, which no caller can catch.
 */

/** [MS-CFB] 2.2: the header signature. */
const SIGNATURE = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

// [MS-CFB] 2.1: special sector numbers (REGSECT values are below MAXREGSECT).
const MAXREGSECT = 0xfffffffa;
const ENDOFCHAIN = 0xfffffffe;
const FREESECT = 0xffffffff;
const NOSTREAM = 0xffffffff;

const HEADER_BYTES = 512;
const DIRECTORY_ENTRY_BYTES = 128;
const MINI_SECTOR_BYTES = 64;
/** [MS-CFB] 2.2: streams below this size live in the mini stream. */
const MINI_STREAM_CUTOFF = 4096;
/** [MS-CFB] 2.2: the header holds the first 109 DIFAT entries. */
const HEADER_DIFAT_ENTRIES = 109;
/** Nesting of storages we follow: MSI uses one level (embedded transforms); more is hostile. */
const MAX_STORAGE_DEPTH = 32;

/** True when the bytes start with the compound file signature D0 CF 11 E0 A1 B1 1A E1. */
export function hasCompoundFileMagic(head: Buffer): boolean {
  return head.length >= SIGNATURE.length && head.subarray(0, SIGNATURE.length).equals(SIGNATURE);
}

export interface CompoundFileLimits {
  /** Bytes of one stream read into memory. */
  maxStreamBytes: number;
  /** Directory entries (streams and storages) in the file. */
  maxDirectoryEntries: number;
}

export const DEFAULT_COMPOUND_FILE_LIMITS: CompoundFileLimits = { maxStreamBytes: 64 * 1024 * 1024, maxDirectoryEntries: 100_000 };

export interface CompoundFileEntry {
  /** Directory entry number (stream id). */
  id: number;
  /** The entry's name as stored (UTF-16, up to 31 code units). */
  name: string;
  type: 'storage' | 'stream';
  /** Names of the storages above it, outermost first (empty for children of the root). */
  parents: string[];
  /** Stream size in bytes (0 for storages). */
  size: number;
}

interface RawEntry {
  name: string;
  type: number;
  left: number;
  right: number;
  child: number;
  start: number;
  size: number;
}

/** An open compound file; `close()` it when done (or use `withCompoundFile`). */
export class CompoundFile {
  /** Every stream and storage reachable from the root, in directory-tree order. */
  readonly entries: readonly CompoundFileEntry[];
  private readonly raw: RawEntry[];
  private miniStream: Buffer | undefined;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    private readonly fileSize: number,
    private readonly sectorSize: number,
    private readonly fat: Uint32Array,
    private readonly miniFat: Uint32Array,
    raw: RawEntry[],
    entries: CompoundFileEntry[],
    private readonly limits: CompoundFileLimits,
  ) {
    this.raw = raw;
    this.entries = entries;
  }

  /** Opens and checks the header, FAT, mini FAT and directory; streams are read on demand. */
  static async open(file: string, limits: CompoundFileLimits = DEFAULT_COMPOUND_FILE_LIMITS): Promise<CompoundFile> {
    return openReader(file, (handle) => CompoundFile.load(file, handle, limits));
  }

  private static async load(file: string, handle: FileHandle, limits: CompoundFileLimits): Promise<CompoundFile> {
    const fileSize = (await handle.stat()).size;
    if (fileSize < HEADER_BYTES) throw corrupt(file, `the file is ${fileSize} bytes, shorter than a compound file header (512)`);
    const header = await readExactly(handle, file, 0, HEADER_BYTES, 'the header');
    if (!hasCompoundFileMagic(header)) throw corrupt(file, 'the compound file signature (D0 CF 11 E0 A1 B1 1A E1) is missing');
    // [MS-CFB] 2.2: byte order mark FFFE (little-endian), version 3 with 512-byte sectors or 4 with 4096.
    if (header.readUInt16LE(28) !== 0xfffe) throw corrupt(file, 'the byte order mark is not FFFE');
    const major = header.readUInt16LE(26);
    const sectorShift = header.readUInt16LE(30);
    if (!((major === 3 && sectorShift === 9) || (major === 4 && sectorShift === 12))) {
      throw corrupt(file, `unsupported version ${major} with sector shift ${sectorShift} (expected 3/9 or 4/12)`);
    }
    if (header.readUInt16LE(32) !== 6) throw corrupt(file, 'the mini sector shift is not 6');
    if (header.readUInt32LE(56) !== MINI_STREAM_CUTOFF) throw corrupt(file, 'the mini stream cutoff is not 4096');
    const sectorSize = 1 << sectorShift;
    // Sector n starts at (n + 1) * sectorSize: the header takes sector "-1". A last partial sector counts.
    const sectorCount = Math.ceil(Math.max(0, fileSize - sectorSize) / sectorSize);
    const fatSectorCount = header.readUInt32LE(44);
    const firstDirectorySector = header.readUInt32LE(48);
    const firstMiniFatSector = header.readUInt32LE(60);
    const miniFatSectorCount = header.readUInt32LE(64);
    const firstDifatSector = header.readUInt32LE(68);
    const difatSectorCount = header.readUInt32LE(72);
    if (fatSectorCount > sectorCount)
      throw corrupt(file, `the header declares ${fatSectorCount} FAT sectors in a file of ${sectorCount} sectors`);
    if (miniFatSectorCount > sectorCount)
      throw corrupt(file, `the header declares ${miniFatSectorCount} mini FAT sectors in a file of ${sectorCount} sectors`);
    if (difatSectorCount > sectorCount)
      throw corrupt(file, `the header declares ${difatSectorCount} DIFAT sectors in a file of ${sectorCount} sectors`);

    // [MS-CFB] 2.5: the DIFAT lists the FAT's sectors, 109 in the header then a chain of DIFAT sectors
    // each ending with the next one's number.
    const fatSectors: number[] = [];
    for (let i = 0; i < HEADER_DIFAT_ENTRIES && fatSectors.length < fatSectorCount; i++) fatSectors.push(header.readUInt32LE(76 + i * 4));
    let difatSector = firstDifatSector;
    const seenDifat = new Set<number>();
    while (fatSectors.length < fatSectorCount) {
      if (difatSector === ENDOFCHAIN || difatSector === FREESECT)
        throw corrupt(file, `the DIFAT lists ${fatSectors.length} of ${fatSectorCount} FAT sectors`);
      if (difatSector >= sectorCount || seenDifat.has(difatSector) || seenDifat.size >= difatSectorCount) {
        throw corrupt(file, `the DIFAT chain is broken at sector ${difatSector}`);
      }
      seenDifat.add(difatSector);
      const block = await readExactly(handle, file, (difatSector + 1) * sectorSize, sectorSize, `DIFAT sector ${difatSector}`);
      const perSector = sectorSize / 4 - 1;
      for (let i = 0; i < perSector && fatSectors.length < fatSectorCount; i++) fatSectors.push(block.readUInt32LE(i * 4));
      difatSector = block.readUInt32LE(perSector * 4);
    }
    for (const sector of fatSectors) {
      if (sector >= sectorCount) throw corrupt(file, `a FAT sector number (${sector}) lies outside the file`);
    }
    const fatBytes = await readSectorList(handle, file, fatSectors, sectorSize, fatSectors.length * sectorSize, 'the FAT');
    const fat = toEntries(fatBytes);

    const reader = new ChainWalker(file, fat, Math.min(fat.length, sectorCount));
    // Walk one sector past what the limit allows, so a longer chain is reported rather than followed.
    const maxDirectorySectors = Math.ceil((limits.maxDirectoryEntries * DIRECTORY_ENTRY_BYTES) / sectorSize);
    const directorySectors = reader.walk(firstDirectorySector, maxDirectorySectors + 1, 'the directory');
    if (directorySectors.length === 0) throw corrupt(file, 'the directory is empty');
    const directoryBytes = directorySectors.length * sectorSize;
    if (directorySectors.length > maxDirectorySectors) {
      throw new FactoryError('ARCHIVE_LIMIT', `${file}: the compound file directory has more than ${limits.maxDirectoryEntries} entries`, {
        subject: file,
      });
    }
    const directory = await readSectorList(handle, file, directorySectors, sectorSize, directoryBytes, 'the directory');
    const raw = parseDirectory(file, directory, major);
    const root = raw[0];
    if (root?.type !== 5) throw corrupt(file, 'the first directory entry is not the root storage');

    const miniFatSectors = miniFatSectorCount === 0 ? [] : reader.walk(firstMiniFatSector, miniFatSectorCount, 'the mini FAT');
    const miniFat = toEntries(
      await readSectorList(handle, file, miniFatSectors, sectorSize, miniFatSectors.length * sectorSize, 'the mini FAT'),
    );

    const entries = walkTree(file, raw);
    return new CompoundFile(file, handle, fileSize, sectorSize, fat, miniFat, raw, entries, limits);
  }

  /** The stream called `name` directly under the storage path `parents` (root by default). */
  stream(name: string, parents: readonly string[] = []): CompoundFileEntry | undefined {
    return this.entries.find(
      (e) => e.type === 'stream' && e.name === name && e.parents.length === parents.length && e.parents.every((p, i) => p === parents[i]),
    );
  }

  /** The bytes of a stream, checked against its declared size and the limits. */
  async read(entry: CompoundFileEntry): Promise<Buffer> {
    const raw = this.raw[entry.id];
    if (raw === undefined || raw.type !== 2) throw corrupt(this.file, `entry ${entry.id} is not a stream`);
    const what = `stream '${printable(raw.name)}'`;
    if (raw.size > this.limits.maxStreamBytes) {
      throw new FactoryError(
        'ARCHIVE_LIMIT',
        `${this.file}: ${what} is ${raw.size} bytes, over the ${this.limits.maxStreamBytes} bytes allowed`,
        {
          subject: this.file,
        },
      );
    }
    if (raw.size === 0) return Buffer.alloc(0);
    if (raw.size >= MINI_STREAM_CUTOFF) return this.readRegular(raw.start, raw.size, what);
    // [MS-CFB] 2.4: a small stream is a chain of 64-byte mini sectors inside the root's mini stream.
    const mini = await this.loadMiniStream();
    const needed = Math.ceil(raw.size / MINI_SECTOR_BYTES);
    const walker = new ChainWalker(this.file, this.miniFat, Math.floor(mini.length / MINI_SECTOR_BYTES));
    const sectors = walker.walk(raw.start, needed, what, needed);
    const out = Buffer.alloc(raw.size);
    sectors.forEach((sector, i) => {
      const from = sector * MINI_SECTOR_BYTES;
      mini.copy(out, i * MINI_SECTOR_BYTES, from, from + Math.min(MINI_SECTOR_BYTES, raw.size - i * MINI_SECTOR_BYTES));
    });
    return out;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async loadMiniStream(): Promise<Buffer> {
    if (this.miniStream !== undefined) return this.miniStream;
    const root = this.raw[0] as RawEntry;
    if (root.size > this.limits.maxStreamBytes) {
      throw new FactoryError(
        'ARCHIVE_LIMIT',
        `${this.file}: the mini stream is ${root.size} bytes, over the ${this.limits.maxStreamBytes} bytes allowed`,
        {
          subject: this.file,
        },
      );
    }
    this.miniStream = root.size === 0 ? Buffer.alloc(0) : await this.readRegular(root.start, root.size, 'the mini stream');
    return this.miniStream;
  }

  private async readRegular(start: number, size: number, what: string): Promise<Buffer> {
    const needed = Math.ceil(size / this.sectorSize);
    const sectorCount = Math.ceil(Math.max(0, this.fileSize - this.sectorSize) / this.sectorSize);
    const walker = new ChainWalker(this.file, this.fat, Math.min(this.fat.length, sectorCount));
    const sectors = walker.walk(start, needed, what, needed);
    return readSectorList(this.handle, this.file, sectors, this.sectorSize, size, what);
  }
}

/** Opens a compound file, runs `use`, and closes it whatever happens. */
export async function withCompoundFile<T>(
  file: string,
  use: (cfb: CompoundFile) => Promise<T>,
  limits: CompoundFileLimits = DEFAULT_COMPOUND_FILE_LIMITS,
): Promise<T> {
  const cfb = await CompoundFile.open(file, limits);
  try {
    return await use(cfb);
  } finally {
    await cfb.close();
  }
}

/** Follows sector chains through a FAT (or mini FAT), refusing loops and numbers out of range. */
class ChainWalker {
  constructor(
    private readonly file: string,
    private readonly table: Uint32Array,
    /** Sector numbers at or above this do not exist. */
    private readonly limit: number,
  ) {}

  /**
   * The sectors of the chain starting at `start`, at most `max` of them. With `exact`, the chain
   * must hold at least that many sectors (a stream's declared size); the rest is not followed.
   */
  walk(start: number, max: number, what: string, exact?: number): number[] {
    const sectors: number[] = [];
    const seen = new Set<number>();
    let sector = start;
    while (sector !== ENDOFCHAIN && sectors.length < max) {
      if (sector > MAXREGSECT || sector >= this.limit)
        throw corrupt(this.file, `${what} refers to sector ${hex(sector)}, outside the file`);
      if (seen.has(sector)) throw corrupt(this.file, `${what} loops back to sector ${sector}`);
      seen.add(sector);
      sectors.push(sector);
      sector = this.table[sector] ?? ENDOFCHAIN;
    }
    if (exact !== undefined && sectors.length < exact) {
      throw corrupt(this.file, `${what} ends after ${sectors.length} sectors, before the ${exact} its size needs`);
    }
    return sectors;
  }
}

/** [MS-CFB] 2.6.1: 128-byte directory entries. */
function parseDirectory(file: string, directory: Buffer, major: number): RawEntry[] {
  const entries: RawEntry[] = [];
  for (let offset = 0; offset + DIRECTORY_ENTRY_BYTES <= directory.length; offset += DIRECTORY_ENTRY_BYTES) {
    const nameBytes = directory.readUInt16LE(offset + 64);
    const type = directory[offset + 66] ?? 0;
    if (type === 0) {
      entries.push({ name: '', type: 0, left: NOSTREAM, right: NOSTREAM, child: NOSTREAM, start: 0, size: 0 });
      continue;
    }
    if (![1, 2, 5].includes(type)) throw corrupt(file, `directory entry ${entries.length} has unknown type ${type}`);
    if (nameBytes > 64 || nameBytes % 2 !== 0 || nameBytes < 2)
      throw corrupt(file, `directory entry ${entries.length} has a bad name length (${nameBytes})`);
    // Version 3 files may leave garbage in the size's high half ([MS-CFB] 2.6.3): only the low half counts.
    const low = directory.readUInt32LE(offset + 120);
    const high = major === 3 ? 0 : directory.readUInt32LE(offset + 124);
    const size = high * 0x1_0000_0000 + low;
    if (!Number.isSafeInteger(size)) throw corrupt(file, `directory entry ${entries.length} declares an impossible size`);
    entries.push({
      name: directory.toString('utf16le', offset, offset + nameBytes - 2),
      type,
      left: directory.readUInt32LE(offset + 68),
      right: directory.readUInt32LE(offset + 72),
      child: directory.readUInt32LE(offset + 76),
      start: directory.readUInt32LE(offset + 116),
      size: type === 1 ? 0 : size,
    });
  }
  return entries;
}

/**
 * [MS-CFB] 2.6.4: each storage's children form a red-black tree through left/right sibling ids;
 * the tree's shape is not trusted, only that each id is valid and visited once.
 */
function walkTree(file: string, raw: RawEntry[]): CompoundFileEntry[] {
  const out: CompoundFileEntry[] = [];
  const visited = new Set<number>([0]);
  const visitStorage = (childRoot: number, parents: string[]): void => {
    if (parents.length > MAX_STORAGE_DEPTH) throw corrupt(file, `storages nest deeper than ${MAX_STORAGE_DEPTH} levels`);
    const stack = childRoot === NOSTREAM ? [] : [childRoot];
    const members: number[] = [];
    while (stack.length > 0) {
      const id = stack.pop() as number;
      const entry = raw[id];
      if (entry === undefined || entry.type === 0 || entry.type === 5)
        throw corrupt(file, `the directory tree refers to an invalid entry (${id})`);
      if (visited.has(id)) throw corrupt(file, `the directory tree visits entry ${id} twice`);
      visited.add(id);
      members.push(id);
      if (entry.left !== NOSTREAM) stack.push(entry.left);
      if (entry.right !== NOSTREAM) stack.push(entry.right);
    }
    members.sort((a, b) => a - b);
    for (const id of members) {
      const entry = raw[id] as RawEntry;
      out.push({ id, name: entry.name, type: entry.type === 1 ? 'storage' : 'stream', parents, size: entry.size });
      if (entry.type === 1) visitStorage(entry.child, [...parents, entry.name]);
    }
  };
  visitStorage((raw[0] as RawEntry).child, []);
  return out;
}

function toEntries(bytes: Buffer): Uint32Array {
  const entries = new Uint32Array(bytes.length / 4);
  for (let i = 0; i < entries.length; i++) entries[i] = bytes.readUInt32LE(i * 4);
  return entries;
}

/** Reads `length` bytes spread over `sectors` in order, one read per run of adjacent sectors. */
async function readSectorList(
  handle: FileHandle,
  file: string,
  sectors: readonly number[],
  sectorSize: number,
  length: number,
  what: string,
): Promise<Buffer> {
  const out = Buffer.alloc(length);
  let written = 0;
  let i = 0;
  while (i < sectors.length && written < length) {
    let run = 1;
    while (i + run < sectors.length && sectors[i + run] === (sectors[i] as number) + run) run++;
    const bytes = Math.min(run * sectorSize, length - written);
    const chunk = await readExactly(handle, file, ((sectors[i] as number) + 1) * sectorSize, bytes, what);
    chunk.copy(out, written);
    written += bytes;
    i += run;
  }
  if (written < length) throw corrupt(file, `${what} is shorter than declared`);
  return out;
}

async function readExactly(handle: FileHandle, file: string, position: number, length: number, what: string): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw corrupt(file, `the file ends inside ${what} (offset ${position + done})`);
    done += bytesRead;
  }
  return buffer;
}

function hex(n: number): string {
  return `0x${n.toString(16).toUpperCase()}`;
}

/** Stream names of MSI tables are mostly CJK-range code units: show them escaped. */
function printable(name: string): string {
  return [...name].map((c) => (/[\x20-\x7e]/.test(c) ? c : `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`)).join('');
}

function corrupt(file: string, reason: string): FactoryError {
  return new FactoryError('ARCHIVE_CORRUPT', `${file} is not a readable compound file (OLE2/MSI): ${reason}`, {
    subject: file,
    hint: 'the file is damaged or not a Windows Installer package; rebuild or re-download it',
  });
}
