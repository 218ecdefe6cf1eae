import { FactoryError } from '@packaging-factory/core';

/**
 * The chunk framing shared by Android's compiled XML (AndroidManifest.xml in an APK) and its
 * resource table (resources.arsc), as laid out in AOSP's frameworks/base/libs/androidfw/include/
 * androidfw/ResourceTypes.h. Every structure starts with a ResChunk_header
 * { uint16 type; uint16 headerSize; uint32 size } in little-endian order. These files come from
 * untrusted packages: every read here is bounds-checked and a bad offset is ARCHIVE_CORRUPT naming
 * the file, never a RangeError or an out-of-range read.
 */

export const RES_NULL_TYPE = 0x0000;
export const RES_STRING_POOL_TYPE = 0x0001;
export const RES_TABLE_TYPE = 0x0002;
export const RES_XML_TYPE = 0x0003;
export const RES_XML_START_NAMESPACE_TYPE = 0x0100;
export const RES_XML_END_NAMESPACE_TYPE = 0x0101;
export const RES_XML_START_ELEMENT_TYPE = 0x0102;
export const RES_XML_END_ELEMENT_TYPE = 0x0103;
export const RES_XML_CDATA_TYPE = 0x0104;
export const RES_XML_RESOURCE_MAP_TYPE = 0x0180;
export const RES_TABLE_PACKAGE_TYPE = 0x0200;
export const RES_TABLE_TYPE_TYPE = 0x0201;
export const RES_TABLE_TYPE_SPEC_TYPE = 0x0202;

/** The bytes of one compiled resource file, with reads that refuse to leave them. */
export class ResBuffer {
  constructor(
    readonly bytes: Buffer,
    /** Shown in errors: the APK and the entry ('app.apk:AndroidManifest.xml'). */
    readonly subject: string,
  ) {}

  get length(): number {
    return this.bytes.length;
  }

  corrupt(message: string): FactoryError {
    return new FactoryError('ARCHIVE_CORRUPT', `${this.subject}: ${message}`, {
      subject: this.subject,
      hint: 'the compiled resource is damaged or was not written by aapt/aapt2; rebuild the APK',
    });
  }

  /** Throws unless [offset, offset + size) lies inside the buffer (and inside `limit` when given). */
  check(offset: number, size: number, what: string, limit = this.bytes.length): void {
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(size) ||
      offset < 0 ||
      size < 0 ||
      offset + size > Math.min(limit, this.bytes.length)
    ) {
      throw this.corrupt(
        `${what} at offset ${offset} (+${size} bytes) lies outside the data (${Math.min(limit, this.bytes.length)} bytes)`,
      );
    }
  }

  u8(offset: number, what: string): number {
    this.check(offset, 1, what);
    return this.bytes.readUInt8(offset);
  }

  u16(offset: number, what: string): number {
    this.check(offset, 2, what);
    return this.bytes.readUInt16LE(offset);
  }

  u32(offset: number, what: string): number {
    this.check(offset, 4, what);
    return this.bytes.readUInt32LE(offset);
  }

  slice(offset: number, size: number, what: string): Buffer {
    this.check(offset, size, what);
    return this.bytes.subarray(offset, offset + size);
  }
}

export interface ResChunk {
  /** Offset of the chunk header in the buffer. */
  offset: number;
  type: number;
  headerSize: number;
  size: number;
}

/**
 * Reads the chunk header at `offset` and checks that the chunk fits inside its parent (`end`):
 * a header smaller than 8 bytes, larger than the chunk, or a chunk running past its parent is corrupt.
 */
export function readChunk(buf: ResBuffer, offset: number, end: number, what: string): ResChunk {
  buf.check(offset, 8, `${what} header`, end);
  const type = buf.u16(offset, what);
  const headerSize = buf.u16(offset + 2, what);
  const size = buf.u32(offset + 4, what);
  if (headerSize < 8 || size < headerSize) {
    throw buf.corrupt(`${what} at offset ${offset} has header size ${headerSize} and chunk size ${size}`);
  }
  buf.check(offset, size, what, end);
  return { offset, type, headerSize, size };
}

/** The chunks laid end to end in [start, end), each checked against `end`. */
export function* childChunks(buf: ResBuffer, start: number, end: number, what: string): Generator<ResChunk> {
  let offset = start;
  // Like androidfw's ResXMLTree::setTo, stop when fewer bytes than a chunk header remain (padding).
  while (end - offset >= 8) {
    const chunk = readChunk(buf, offset, end, what);
    yield chunk;
    offset += chunk.size;
  }
}
