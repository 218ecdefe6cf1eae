import { RES_STRING_POOL_TYPE, type ResBuffer, type ResChunk } from './res-chunk.ts';

/** ResStringPool_header.flags: strings are UTF-8 (else UTF-16LE). */
const UTF8_FLAG = 0x100;
/** ResStringPool_ref value meaning "no string". */
export const NO_STRING = 0xffffffff;

/**
 * A ResStringPool (ResourceTypes.h): header { chunk; stringCount; styleCount; flags; stringsStart;
 * stylesStart }, then stringCount uint32 offsets relative to stringsStart. Strings are decoded on
 * demand, so a hostile pool declaring millions of entries costs nothing until one is used.
 */
export class StringPool {
  private readonly cache = new Map<number, string>();
  readonly count: number;
  private readonly utf8: boolean;
  private readonly offsetsAt: number;
  private readonly stringsAt: number;
  private readonly stringsEnd: number;

  constructor(
    private readonly buf: ResBuffer,
    chunk: ResChunk,
  ) {
    if (chunk.type !== RES_STRING_POOL_TYPE)
      throw buf.corrupt(`expected a string pool at offset ${chunk.offset}, found chunk type 0x${chunk.type.toString(16)}`);
    if (chunk.headerSize < 28) throw buf.corrupt(`string pool header at offset ${chunk.offset} is ${chunk.headerSize} bytes, less than 28`);
    const end = chunk.offset + chunk.size;
    this.count = buf.u32(chunk.offset + 8, 'string count');
    const styleCount = buf.u32(chunk.offset + 12, 'style count');
    this.utf8 = (buf.u32(chunk.offset + 16, 'string pool flags') & UTF8_FLAG) !== 0;
    const stringsStart = buf.u32(chunk.offset + 20, 'strings start');
    const stylesStart = buf.u32(chunk.offset + 24, 'styles start');
    this.offsetsAt = chunk.offset + chunk.headerSize;
    buf.check(this.offsetsAt, (this.count + styleCount) * 4, 'string pool offsets', end);
    this.stringsAt = chunk.offset + stringsStart;
    // The string data runs to the styles, or to the end of the chunk when there are none.
    this.stringsEnd = styleCount > 0 && stylesStart !== 0 ? chunk.offset + stylesStart : end;
    if (this.count > 0) {
      if (stringsStart === 0 || this.stringsAt > this.stringsEnd || this.stringsEnd > end) {
        throw buf.corrupt(
          `string pool at offset ${chunk.offset} places its strings at ${stringsStart}..${this.stringsEnd - chunk.offset}, outside the pool`,
        );
      }
    }
  }

  /** The string at `index`; throws ARCHIVE_CORRUPT for an index or offset outside the pool. */
  get(index: number): string {
    const cached = this.cache.get(index);
    if (cached !== undefined) return cached;
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw this.buf.corrupt(`string index ${index} is outside the string pool (${this.count} strings)`);
    }
    const start = this.stringsAt + this.buf.u32(this.offsetsAt + index * 4, 'string offset');
    const value = this.utf8 ? this.decodeUtf8(start) : this.decodeUtf16(start);
    this.cache.set(index, value);
    return value;
  }

  /** A ResStringPool_ref: undefined for NO_STRING (0xffffffff). */
  ref(index: number): string | undefined {
    return index === NO_STRING ? undefined : this.get(index);
  }

  // UTF-8 pools store two lengths, each one byte or, with the high bit set, two bytes (big-endian
  // 15-bit value): the length in UTF-16 units, then the length in bytes, then the bytes and a NUL.
  private length8(offset: number): [number, number] {
    const first = this.buf.u8(offset, 'string length');
    if ((first & 0x80) === 0) return [first, 1];
    return [((first & 0x7f) << 8) | this.buf.u8(offset + 1, 'string length'), 2];
  }

  private decodeUtf8(start: number): string {
    const [, skip16] = this.length8(start);
    const [bytes, skip8] = this.length8(start + skip16);
    const at = start + skip16 + skip8;
    this.buf.check(at, bytes, 'UTF-8 string', this.stringsEnd);
    return this.buf.bytes.toString('utf8', at, at + bytes);
  }

  // UTF-16 pools store the length in code units: one uint16, or with the high bit set two uint16s
  // (high 15 bits first), then the units and a NUL unit.
  private decodeUtf16(start: number): string {
    let units = this.buf.u16(start, 'string length');
    let skip = 2;
    if ((units & 0x8000) !== 0) {
      units = ((units & 0x7fff) << 16) | this.buf.u16(start + 2, 'string length');
      skip = 4;
    }
    const at = start + skip;
    this.buf.check(at, units * 2, 'UTF-16 string', this.stringsEnd);
    return this.buf.bytes.toString('utf16le', at, at + units * 2);
  }
}
