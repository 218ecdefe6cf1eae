import { createHash, getHashes } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { inflateSync, unzipSync } from 'node:zlib';
import { openReader } from '../open-reader.ts';
import { FactoryError } from '@packaging-factory/core';
import { parseXmlDocument, type XmlElement } from '../msix/xml-document.ts';

/**
 * Reading xar archives (macOS flat installer packages, .pkg/.mpkg) through a file handle: a
 * big-endian header, a zlib-compressed XML table of contents, then the heap the TOC points into.
 * Layout per xar's include/xar.h and the format notes of the xar project (mackyle/xar wiki
 * "xarformat"); Apple's xar numbers sha256 = 3 and sha512 = 4 in a 28-byte header, where the
 * original xar used 3 = "other" with the algorithm's name after the header. Nothing is written to
 * disk; only the entries asked for are read, each bounded and checksum-verified.
 */

const MAGIC = 0x78617221; // 'xar!'
const MIN_HEADER_BYTES = 28;

/** True when the bytes start with 'xar!'. */
export function hasXarMagic(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32BE(0) === MAGIC;
}

export interface XarLimits {
  /** Bytes of the table of contents, compressed or not. */
  maxTocBytes: number;
  /** Bytes of one entry read into memory, stored or extracted. */
  maxEntryBytes: number;
  /** Entries in the table of contents. */
  maxEntries: number;
}

export const DEFAULT_XAR_LIMITS: XarLimits = { maxTocBytes: 64 * 1024 * 1024, maxEntryBytes: 64 * 1024 * 1024, maxEntries: 500_000 };

export interface XarHeader {
  headerSize: number;
  version: number;
  tocCompressedLength: number;
  tocUncompressedLength: number;
  /** 'none', 'sha1', 'md5', 'sha256', 'sha512', or the name an "other" header carries. */
  checksumAlgorithm: string;
}

export interface XarChecksum {
  /** Digest name as the TOC writes it ('sha1', 'md5', 'sha256'...). */
  style: string;
  /** Lower-case hex. */
  value: string;
}

export interface XarData {
  /** Offset in the heap. */
  offset: number;
  /** Bytes stored in the heap. */
  length: number;
  /** Bytes once decoded. */
  size: number;
  /** MIME type of the stored form ('application/octet-stream', 'application/x-gzip', 'application/x-bzip2'...). */
  encoding: string;
  archivedChecksum?: XarChecksum;
  extractedChecksum?: XarChecksum;
}

export interface XarEntry {
  /** The TOC's file id. */
  id: string;
  /** '/'-joined names from the top of the archive. */
  path: string;
  name: string;
  /** 'file', 'directory', 'symlink', 'hardlink'... */
  type: string;
  data?: XarData;
}

const DIGEST_BYTES: Record<string, number> = { md5: 16, sha1: 20, sha224: 28, sha256: 32, sha384: 48, sha512: 64 };
const APPLE_ALGORITHMS: Record<number, string> = { 0: 'none', 1: 'sha1', 2: 'md5', 3: 'sha256', 4: 'sha512' };

/** An open xar archive; `close()` it (or use `withXarArchive`). */
export class XarArchive {
  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    readonly header: XarHeader,
    /** Every entry of the TOC, directories included, in TOC order. */
    readonly entries: readonly XarEntry[],
    /** The TOC checksum's algorithm when one was verified; undefined when the archive carries none. */
    readonly tocChecksum: string | undefined,
    /** The TOC's signature style ('RSA', 'CMS') when the archive is signed; the signature is not verified here. */
    readonly signatureStyle: string | undefined,
    private readonly heapStart: number,
    private readonly fileSize: number,
    private readonly limits: XarLimits,
  ) {}

  /** Reads the header and TOC and verifies the TOC checksum. */
  static async open(file: string, limits: XarLimits = DEFAULT_XAR_LIMITS): Promise<XarArchive> {
    return openReader(file, (handle) => XarArchive.load(file, handle, limits));
  }

  private static async load(file: string, handle: FileHandle, limits: XarLimits): Promise<XarArchive> {
    const fileSize = (await handle.stat()).size;
    if (fileSize < MIN_HEADER_BYTES) throw corrupt(file, `the file is ${fileSize} bytes, shorter than a xar header (28)`);
    const fixed = await readExactly(handle, file, 0, MIN_HEADER_BYTES, 'the header');
    if (!hasXarMagic(fixed)) throw corrupt(file, "the xar magic 'xar!' is missing");
    const headerSize = fixed.readUInt16BE(4);
    const version = fixed.readUInt16BE(6);
    if (headerSize < MIN_HEADER_BYTES || headerSize > fileSize) throw corrupt(file, `the header size ${headerSize} is impossible`);
    if (version !== 1) throw corrupt(file, `unsupported xar version ${version} (expected 1)`);
    const tocCompressedLength = toSafe(file, fixed.readBigUInt64BE(8), 'the TOC length');
    const tocUncompressedLength = toSafe(file, fixed.readBigUInt64BE(16), 'the TOC length');
    const algorithmNumber = fixed.readUInt32BE(24);
    let checksumAlgorithm = APPLE_ALGORITHMS[algorithmNumber];
    // Original xar: 3 = "other", the digest's name NUL-terminated after the fixed header.
    if (algorithmNumber === 3 && headerSize >= 32 && headerSize % 4 === 0 && headerSize > MIN_HEADER_BYTES) {
      const rest = await readExactly(handle, file, MIN_HEADER_BYTES, headerSize - MIN_HEADER_BYTES, 'the header');
      const nul = rest.indexOf(0);
      const name = rest.toString('latin1', 0, nul < 0 ? rest.length : nul).toLowerCase();
      if (name !== '' && name !== 'none') checksumAlgorithm = name;
    }
    if (checksumAlgorithm === undefined)
      throw unsupported(file, `the header names checksum algorithm ${algorithmNumber}, which this reader does not know`);
    const header: XarHeader = { headerSize, version, tocCompressedLength, tocUncompressedLength, checksumAlgorithm };

    if (headerSize + tocCompressedLength > fileSize) {
      throw corrupt(
        file,
        `the TOC (${tocCompressedLength} bytes after the ${headerSize}-byte header) runs past the end of the ${fileSize}-byte file`,
      );
    }
    if (tocCompressedLength > limits.maxTocBytes || tocUncompressedLength > limits.maxTocBytes) {
      throw new FactoryError('ARCHIVE_LIMIT', `${file}: the xar TOC is larger than the ${limits.maxTocBytes} bytes allowed`, {
        subject: file,
      });
    }
    const compressedToc = await readExactly(handle, file, headerSize, tocCompressedLength, 'the TOC');
    let tocBytes: Buffer;
    try {
      tocBytes = inflateSync(compressedToc, { maxOutputLength: Math.max(1, tocUncompressedLength) });
    } catch (error) {
      throw corrupt(file, `the TOC does not inflate (${error instanceof Error ? error.message : String(error)})`);
    }
    if (tocBytes.length !== tocUncompressedLength) {
      throw corrupt(file, `the TOC inflates to ${tocBytes.length} bytes, not the ${tocUncompressedLength} the header declares`);
    }
    const root = parseXmlDocument(tocBytes, `${file} (xar TOC)`);
    const toc = root.name === 'xar' ? child(root, 'toc') : undefined;
    if (toc === undefined) throw corrupt(file, 'the TOC has no <xar><toc> element');
    const heapStart = headerSize + tocCompressedLength;

    const tocChecksum = await verifyTocChecksum(file, handle, header, toc, compressedToc, heapStart, fileSize);
    const signatureStyle = child(toc, 'signature')?.attributes.get('style');
    const entries = collectEntries(file, toc, limits);
    return new XarArchive(file, handle, header, entries, tocChecksum, signatureStyle, heapStart, fileSize, limits);
  }

  /** The entry at `path` ('/'-joined names), if any. */
  entry(path: string): XarEntry | undefined {
    return this.entries.find((e) => e.path === path);
  }

  /** An entry's bytes, decoded and checked against both its checksums and its declared size. */
  async read(entry: XarEntry): Promise<Buffer> {
    const data = entry.data;
    const what = `entry '${entry.path}'`;
    if (data === undefined) return Buffer.alloc(0);
    if (data.length > this.limits.maxEntryBytes || data.size > this.limits.maxEntryBytes) {
      throw new FactoryError('ARCHIVE_LIMIT', `${this.file}: ${what} is larger than the ${this.limits.maxEntryBytes} bytes allowed`, {
        subject: this.file,
      });
    }
    const start = this.heapStart + data.offset;
    if (start + data.length > this.fileSize)
      throw corrupt(this.file, `${what}'s data (heap offset ${data.offset}, ${data.length} bytes) runs past the end of the file`);
    const stored = await readExactly(this.handle, this.file, start, data.length, what);
    if (data.archivedChecksum !== undefined) verifyDigest(this.file, `${what} (archived)`, stored, data.archivedChecksum);
    const decoded = decode(this.file, what, stored, data);
    if (data.extractedChecksum !== undefined) verifyDigest(this.file, `${what} (extracted)`, decoded, data.extractedChecksum);
    return decoded;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Opens a xar archive, runs `use`, and closes it whatever happens. */
export async function withXarArchive<T>(
  file: string,
  use: (xar: XarArchive) => Promise<T>,
  limits: XarLimits = DEFAULT_XAR_LIMITS,
): Promise<T> {
  const xar = await XarArchive.open(file, limits);
  try {
    return await use(xar);
  } finally {
    await xar.close();
  }
}

/**
 * The TOC's <checksum> names where in the heap the digest of the compressed TOC is stored; its
 * style must be the header's algorithm (xar's archive.c refuses a mismatch, and so do we).
 */
async function verifyTocChecksum(
  file: string,
  handle: FileHandle,
  header: XarHeader,
  toc: XmlElement,
  compressedToc: Buffer,
  heapStart: number,
  fileSize: number,
): Promise<string | undefined> {
  const element = child(toc, 'checksum');
  const style = element?.attributes.get('style')?.toLowerCase();
  if (header.checksumAlgorithm === 'none') {
    if (style !== undefined && style !== 'none') throw corrupt(file, `the TOC has a ${style} checksum but the header declares none`);
    return undefined;
  }
  if (element === undefined || style === undefined)
    throw corrupt(file, `the header declares a ${header.checksumAlgorithm} TOC checksum but the TOC locates none`);
  if (style !== header.checksumAlgorithm)
    throw corrupt(file, `the TOC checksum style ${style} differs from the header's ${header.checksumAlgorithm}`);
  const algorithm = digestName(file, style);
  const offset = integerText(file, child(element, 'offset'), 'the TOC checksum offset');
  const size = integerText(file, child(element, 'size'), 'the TOC checksum size');
  if (size !== DIGEST_BYTES[algorithm]) throw corrupt(file, `the TOC checksum is ${size} bytes, not a ${algorithm} digest`);
  if (heapStart + offset + size > fileSize) throw corrupt(file, 'the TOC checksum lies past the end of the file');
  const stored = await readExactly(handle, file, heapStart + offset, size, 'the TOC checksum');
  const actual = createHash(algorithm).update(compressedToc).digest();
  if (!actual.equals(stored)) {
    throw corrupt(
      file,
      `the TOC's ${algorithm} checksum does not match (stored ${stored.toString('hex')}, computed ${actual.toString('hex')})`,
    );
  }
  return algorithm;
}

function collectEntries(file: string, toc: XmlElement, limits: XarLimits): XarEntry[] {
  const entries: XarEntry[] = [];
  const paths = new Set<string>();
  // Depth-first with an explicit stack: directory depth comes from the file, not our call stack.
  const stack: { element: XmlElement; prefix: string }[] = toc.children
    .filter((c) => c.name === 'file')
    .reverse()
    .map((element) => ({ element, prefix: '' }));
  while (stack.length > 0) {
    const { element, prefix } = stack.pop() as { element: XmlElement; prefix: string };
    if (entries.length >= limits.maxEntries) {
      throw new FactoryError('ARCHIVE_LIMIT', `${file}: the xar TOC lists more than ${limits.maxEntries} entries`, { subject: file });
    }
    const name = child(element, 'name')?.text ?? '';
    if (name === '' || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
      throw new FactoryError('ARCHIVE_UNSAFE', `${file}: the xar TOC names an entry '${name}', which is not a plain file name`, {
        subject: file,
        hint: 'rebuild the package with pkgbuild/productbuild',
      });
    }
    const path = prefix === '' ? name : `${prefix}/${name}`;
    // Two entries at one path could show us one PackageInfo and the installer another.
    if (paths.has(path)) throw new FactoryError('ARCHIVE_UNSAFE', `${file}: the xar TOC lists '${path}' twice`, { subject: file });
    paths.add(path);
    const entry: XarEntry = { id: element.attributes.get('id') ?? '', path, name, type: child(element, 'type')?.text ?? 'file' };
    const data = child(element, 'data');
    if (data !== undefined) entry.data = parseData(file, path, data);
    entries.push(entry);
    const children = element.children.filter((c) => c.name === 'file');
    for (let i = children.length - 1; i >= 0; i--) stack.push({ element: children[i] as XmlElement, prefix: path });
  }
  return entries;
}

function parseData(file: string, path: string, data: XmlElement): XarData {
  const parsed: XarData = {
    offset: integerText(file, child(data, 'offset'), `${path}'s data offset`),
    length: integerText(file, child(data, 'length'), `${path}'s data length`),
    size: integerText(file, child(data, 'size'), `${path}'s data size`),
    encoding: child(data, 'encoding')?.attributes.get('style') ?? 'application/octet-stream',
  };
  const archived = checksumOf(child(data, 'archived-checksum'));
  const extracted = checksumOf(child(data, 'extracted-checksum'));
  if (archived !== undefined) parsed.archivedChecksum = archived;
  if (extracted !== undefined) parsed.extractedChecksum = extracted;
  return parsed;
}

function checksumOf(element: XmlElement | undefined): XarChecksum | undefined {
  const style = element?.attributes.get('style')?.toLowerCase();
  if (element === undefined || style === undefined || style === 'none') return undefined;
  return { style, value: element.text.trim().toLowerCase() };
}

/** Decodes stored bytes per the entry's encoding; bzip2 and xz are refused (no maintained Node decoder is a dependency here). */
function decode(file: string, what: string, stored: Buffer, data: XarData): Buffer {
  let decoded: Buffer;
  switch (data.encoding) {
    case 'application/octet-stream':
      decoded = stored;
      break;
    case 'application/x-gzip':
      // xar's "gzip" is a zlib stream (deflate with the zlib header); unzip also takes a real gzip one.
      try {
        decoded = unzipSync(stored, { maxOutputLength: Math.max(1, data.size) });
      } catch (error) {
        throw corrupt(
          file,
          `${what} does not inflate to its declared ${data.size} bytes (${error instanceof Error ? error.message : String(error)})`,
        );
      }
      break;
    default:
      throw unsupported(
        file,
        `${what} is stored with ${data.encoding}, which this reader does not decode (zlib and uncompressed data only)`,
      );
  }
  if (decoded.length !== data.size)
    throw corrupt(file, `${what} decodes to ${decoded.length} bytes, not the ${data.size} the TOC declares`);
  return decoded;
}

function verifyDigest(file: string, what: string, bytes: Buffer, checksum: XarChecksum): void {
  const actual = createHash(digestName(file, checksum.style)).update(bytes).digest('hex');
  if (actual !== checksum.value) {
    throw corrupt(file, `${what} fails its ${checksum.style} checksum (TOC says ${checksum.value}, content is ${actual})`);
  }
}

function digestName(file: string, style: string): string {
  if (DIGEST_BYTES[style] === undefined || !getHashes().includes(style))
    throw unsupported(file, `it uses the ${style} checksum, which this reader does not know`);
  return style;
}

function child(element: XmlElement, name: string): XmlElement | undefined {
  return element.children.find((c) => c.name === name);
}

function integerText(file: string, element: XmlElement | undefined, what: string): number {
  const text = element?.text.trim() ?? '';
  if (!/^\d{1,16}$/.test(text)) throw corrupt(file, `${what} is missing or not a number ('${text}')`);
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw corrupt(file, `${what} is too large`);
  return value;
}

function toSafe(file: string, value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(file, `${what} (${value}) is impossible`);
  return Number(value);
}

async function readExactly(handle: FileHandle, file: string, position: number, length: number, what: string): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw corrupt(file, `the file ends inside ${what}`);
    done += bytesRead;
  }
  return buffer;
}

function corrupt(file: string, reason: string): FactoryError {
  return new FactoryError('ARCHIVE_CORRUPT', `${file} is not a readable xar archive: ${reason}`, {
    subject: file,
    hint: 'the package is damaged or was altered after it was built; rebuild or re-download it',
  });
}

function unsupported(file: string, reason: string): FactoryError {
  return new FactoryError('ARCHIVE_UNSUPPORTED', `${file}: ${reason}`, {
    subject: file,
    hint: 'rebuild the package with zlib-compressed or uncompressed entries (pkgbuild/productbuild default)',
  });
}
