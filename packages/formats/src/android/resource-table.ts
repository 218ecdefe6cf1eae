import {
  childChunks,
  readChunk,
  RES_STRING_POOL_TYPE,
  RES_TABLE_PACKAGE_TYPE,
  RES_TABLE_TYPE,
  RES_TABLE_TYPE_TYPE,
  ResBuffer,
  type ResChunk,
} from './res-chunk.ts';
import { formatResourceId, formatResValue, makeResValue, readResValue, type ResValue } from './res-value.ts';
import { StringPool } from './string-pool.ts';

/**
 * Android's compiled resource table, resources.arsc (ResourceTypes.h: ResTable_header,
 * ResTable_package, ResTable_typeSpec, ResTable_type, ResTable_entry). A resource id is
 * 0xPPTTEEEE: package, type (1-based) and entry index. Each type chunk holds one configuration's
 * entries (default, -hdpi, -fr...). Only what the manifest's references need is read: simple
 * (non-bag) values, by id, in every configuration; a chunk is located once and its entries are
 * decoded on demand.
 */

/** ResTable_type.flags */
const FLAG_SPARSE = 0x01;
const FLAG_OFFSET16 = 0x02;
/** ResTable_entry.flags */
const ENTRY_FLAG_COMPLEX = 0x0001;
const ENTRY_FLAG_COMPACT = 0x0008;
const NO_ENTRY = 0xffffffff;
const NO_ENTRY16 = 0xffff;
/** ResTable_config.density values that are not a density: any (vector) and none. */
const DENSITY_ANY = 0xfffe;
const DENSITY_NONE = 0xffff;
/** References followed before giving up (a resource pointing at itself is a loop). */
const MAX_REFERENCE_DEPTH = 8;

export interface ResourceConfig {
  /** True for the default configuration (every qualifier unset). */
  isDefault: boolean;
  /** Screen density in dpi (0 when unset; 0xfffe anydpi; 0xffff nodpi). */
  density: number;
  /** Two- or three-letter language, '' when unset. */
  language: string;
  /** Minimum SDK qualifier (-v4), 0 when unset. */
  sdkVersion: number;
}

export interface ResourceCandidate {
  config: ResourceConfig;
  /** Undefined for a bag (style, array, plural): not a single value. */
  value?: ResValue;
}

interface TypeChunk {
  chunk: ResChunk;
  config: ResourceConfig;
  flags: number;
  entryCount: number;
  entriesStart: number;
}

interface PackageInfo {
  name: string;
  types: Map<number, TypeChunk[]>;
}

function readConfig(buf: ResBuffer, at: number, available: number): ResourceConfig {
  const size = buf.u32(at, 'config size');
  if (size < 4 || size > available)
    throw buf.corrupt(`resource configuration at offset ${at} declares ${size} bytes, ${available} available`);
  const bytes = buf.slice(at, size, 'resource configuration');
  const byte = (i: number): number => (i < size ? (bytes[i] ?? 0) : 0);
  const u16 = (i: number): number => byte(i) | (byte(i + 1) << 8);
  const lang = [byte(8), byte(9)];
  let language = '';
  if ((lang[0] ?? 0) & 0x80) {
    // Packed three-letter language: 5 bits per letter (ResTable_config::packLanguageOrRegion).
    const packed = ((lang[0] ?? 0) << 8) | (lang[1] ?? 0);
    language = [packed & 0x1f, (packed >> 5) & 0x1f, (packed >> 10) & 0x1f].map((c) => String.fromCharCode(0x61 + c)).join('');
  } else if ((lang[0] ?? 0) !== 0) {
    language = String.fromCharCode(lang[0] ?? 0, lang[1] ?? 0);
  }
  return {
    isDefault: bytes.subarray(4).every((b) => b === 0),
    density: u16(14),
    language,
    sdkVersion: u16(24),
  };
}

export class ResourceTable {
  private readonly packages = new Map<number, PackageInfo>();
  private readonly strings: StringPool;
  private readonly buf: ResBuffer;

  /** Parses resources.arsc; `subject` names it in errors. */
  constructor(bytes: Buffer, subject: string) {
    const buf = new ResBuffer(bytes, subject);
    this.buf = buf;
    const top = readChunk(buf, 0, bytes.length, 'resource table');
    if (top.type !== RES_TABLE_TYPE) {
      throw buf.corrupt(`not a resource table: the first chunk has type 0x${top.type.toString(16)}, expected 0x0002 (RES_TABLE_TYPE)`);
    }
    let strings: StringPool | undefined;
    for (const chunk of childChunks(buf, top.offset + top.headerSize, top.offset + top.size, 'resource table chunk')) {
      if (chunk.type === RES_STRING_POOL_TYPE && strings === undefined) strings = new StringPool(buf, chunk);
      else if (chunk.type === RES_TABLE_PACKAGE_TYPE) this.readPackage(chunk);
    }
    if (strings === undefined) throw buf.corrupt('the resource table has no value string pool');
    this.strings = strings;
  }

  private readPackage(chunk: ResChunk): void {
    const buf = this.buf;
    // ResTable_package: id (uint32), name (char16[128]), typeStrings, lastPublicType, keyStrings,
    // lastPublicKey, typeIdOffset: 288 bytes; older tables end before typeIdOffset (284).
    if (chunk.headerSize < 284) throw buf.corrupt(`package header at offset ${chunk.offset} is ${chunk.headerSize} bytes, less than 284`);
    const id = buf.u32(chunk.offset + 8, 'package id');
    const nameBytes = buf.slice(chunk.offset + 12, 256, 'package name');
    const name = nameBytes.toString('utf16le').replace(/\0[\s\S]*$/, '');
    const info: PackageInfo = this.packages.get(id) ?? { name, types: new Map() };
    this.packages.set(id, info);
    const end = chunk.offset + chunk.size;
    for (const child of childChunks(buf, chunk.offset + chunk.headerSize, end, 'package chunk')) {
      if (child.type !== RES_TABLE_TYPE_TYPE) continue;
      // ResTable_type: id (uint8), flags (uint8), reserved (uint16), entryCount, entriesStart, config.
      if (child.headerSize < 24) throw buf.corrupt(`type chunk at offset ${child.offset} has a ${child.headerSize}-byte header`);
      const typeId = buf.u8(child.offset + 8, 'type id');
      const flags = buf.u8(child.offset + 9, 'type flags');
      const entryCount = buf.u32(child.offset + 12, 'entry count');
      const entriesStart = buf.u32(child.offset + 16, 'entries start');
      const config = readConfig(buf, child.offset + 20, child.headerSize - 20);
      const indexBytes = (flags & FLAG_OFFSET16) !== 0 ? 2 : 4;
      buf.check(child.offset + child.headerSize, entryCount * indexBytes, 'entry offsets', child.offset + child.size);
      if (entriesStart > child.size)
        throw buf.corrupt(`type chunk at offset ${child.offset} starts its entries at ${entriesStart}, past its ${child.size} bytes`);
      const list = info.types.get(typeId) ?? [];
      list.push({ chunk: child, config, flags, entryCount, entriesStart });
      info.types.set(typeId, list);
    }
  }

  /** The package's name (its application id) for a package id (0x7f for an app). */
  packageName(packageId: number): string | undefined {
    return this.packages.get(packageId)?.name;
  }

  /** The entry's offset inside the type chunk's entry data, or undefined when this config lacks it. */
  private entryOffset(type: TypeChunk, index: number): number | undefined {
    const buf = this.buf;
    const base = type.chunk.offset + type.chunk.headerSize;
    if ((type.flags & FLAG_SPARSE) !== 0) {
      // ResTable_sparseTypeEntry { uint16 idx; uint16 offset / 4 }, sorted by idx.
      for (let i = 0; i < type.entryCount; i += 1) {
        const idx = buf.u16(base + i * 4, 'sparse entry index');
        if (idx === index) return buf.u16(base + i * 4 + 2, 'sparse entry offset') * 4;
        if (idx > index) return undefined;
      }
      return undefined;
    }
    if (index >= type.entryCount) return undefined;
    if ((type.flags & FLAG_OFFSET16) !== 0) {
      const offset = buf.u16(base + index * 2, 'entry offset');
      return offset === NO_ENTRY16 ? undefined : offset * 4;
    }
    const offset = buf.u32(base + index * 4, 'entry offset');
    return offset === NO_ENTRY ? undefined : offset;
  }

  private readEntry(type: TypeChunk, offset: number): ResValue | undefined {
    const buf = this.buf;
    const end = type.chunk.offset + type.chunk.size;
    const at = type.chunk.offset + type.entriesStart + offset;
    buf.check(at, 8, 'resource entry', end);
    const sizeOrKey = buf.u16(at, 'entry size');
    const flags = buf.u16(at + 2, 'entry flags');
    // Compact entries (Android 14+) keep the value type in the flags' high byte and the data inline.
    if ((flags & ENTRY_FLAG_COMPACT) !== 0) return makeResValue(flags >> 8, buf.u32(at + 4, 'entry data'), this.strings);
    if ((flags & ENTRY_FLAG_COMPLEX) !== 0) return undefined;
    if (sizeOrKey < 8) throw buf.corrupt(`resource entry at offset ${at} declares ${sizeOrKey} bytes`);
    buf.check(at + sizeOrKey, 8, 'resource value', end);
    return readResValue(buf, at + sizeOrKey, this.strings);
  }

  /** Every configuration's value for the resource id (empty when the table does not define it). */
  lookup(id: number): ResourceCandidate[] {
    const pkg = this.packages.get(id >>> 24);
    const types = pkg?.types.get((id >>> 16) & 0xff);
    if (types === undefined) return [];
    const index = id & 0xffff;
    const found: ResourceCandidate[] = [];
    for (const type of types) {
      const offset = this.entryOffset(type, index);
      if (offset === undefined) continue;
      const value = this.readEntry(type, offset);
      found.push(value === undefined ? { config: type.config } : { config: type.config, value });
    }
    return found;
  }

  /**
   * The value the default configuration gives the resource, following references: what a device
   * with no matching qualifier (and `aapt dump badging`) shows. Without a default, a language-neutral
   * configuration, then the first one. Undefined when the id is not in the table.
   */
  resolveDefault(id: number): ResValue | undefined {
    let current = id;
    for (let depth = 0; depth < MAX_REFERENCE_DEPTH; depth += 1) {
      const candidates = this.lookup(current).filter((c) => c.value !== undefined);
      const chosen = candidates.find((c) => c.config.isDefault) ?? candidates.find((c) => c.config.language === '') ?? candidates[0];
      const value = chosen?.value;
      if (value === undefined) return undefined;
      if (value.kind !== 'reference' || value.data === 0) return value;
      current = value.data;
    }
    throw this.buf.corrupt(`resource ${formatResourceId(id)} refers through more than ${MAX_REFERENCE_DEPTH} references (a loop?)`);
  }

  /** The default configuration's value as text, or undefined when the id is not in the table. */
  resolveText(id: number): string | undefined {
    const value = this.resolveDefault(id);
    return value === undefined ? undefined : formatResValue(value);
  }

  /**
   * For a file resource (drawable, mipmap): every density's path, highest density first. Paths
   * for anydpi/nodpi and the default configuration come after the bitmap densities.
   */
  resolveFiles(id: number): { density: number; path: string }[] {
    const files: { density: number; path: string }[] = [];
    for (const candidate of this.lookup(id)) {
      let value = candidate.value;
      if (value?.kind === 'reference' && value.data !== 0) value = this.resolveDefault(value.data);
      if (value?.kind === 'string' && value.string !== undefined) files.push({ density: candidate.config.density, path: value.string });
    }
    const rank = (d: number): number => (d === DENSITY_ANY || d === DENSITY_NONE || d === 0 ? -1 : d);
    return files.sort((a, b) => rank(b.density) - rank(a.density) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}
