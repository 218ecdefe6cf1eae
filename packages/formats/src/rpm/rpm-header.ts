import { FactoryError } from '@packaging-factory/core';
import { RPM_SENSE, RPM_TAG, RPM_TYPE } from './rpm-tags.ts';

/**
 * The RPM header structure (rpm docs/manual/format.md, "Header"): an optional 8-byte preamble
 * (magic 8e ad e8, version 01, 4 reserved bytes), then the index entry count and the data store
 * size (big-endian uint32 each), the index entries (tag, type, offset, count: 4 big-endian int32
 * each) and the data store. rpmdb keeps header images without the preamble ("header blobs").
 * Everything read from the bytes is bounds-checked: a hostile header must not make us read out of
 * range or allocate without limit.
 */

export const RPM_HEADER_MAGIC = Buffer.from([0x8e, 0xad, 0xe8, 0x01]);

// rpm's own limits (lib/header_internal.h): at most 0xffff index entries and 256 MiB of data.
const MAX_INDEX_ENTRIES = 0xffff;
const MAX_DATA_BYTES = 0x0fffffff;

export interface RpmIndexEntry {
  tag: number;
  type: number;
  offset: number;
  count: number;
}

export function rpmCorrupt(subject: string, message: string, cause?: unknown): FactoryError {
  return new FactoryError('ARCHIVE_CORRUPT', `${subject}: not a valid RPM header: ${message}`, {
    subject,
    hint: 'the file is truncated, damaged or not an RPM package/database; rebuild or download it again',
    cause,
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** RPM strings are bytes: UTF-8 in modern packages, often Latin-1 in old ones. */
function decodeString(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** One parsed header: its index and data store; values are decoded (and checked) on demand. */
export class RpmHeader {
  private readonly byTag = new Map<number, RpmIndexEntry>();

  constructor(
    readonly entries: readonly RpmIndexEntry[],
    private readonly store: Buffer,
    private readonly subject: string,
  ) {
    for (const entry of entries) if (!this.byTag.has(entry.tag)) this.byTag.set(entry.tag, entry);
  }

  has(tag: number): boolean {
    return this.byTag.has(tag);
  }

  private fail(entry: RpmIndexEntry, message: string): never {
    throw rpmCorrupt(this.subject, `tag ${entry.tag}: ${message}`);
  }

  private span(entry: RpmIndexEntry, width: number): Buffer {
    const bytes = entry.count * width;
    if (entry.offset + bytes > this.store.length)
      this.fail(entry, `${entry.count} values at offset ${entry.offset} run past the data store`);
    return this.store.subarray(entry.offset, entry.offset + bytes);
  }

  private strings(entry: RpmIndexEntry): string[] {
    const out: string[] = [];
    let at = entry.offset;
    for (let i = 0; i < entry.count; i += 1) {
      const end = this.store.indexOf(0, at);
      if (end < 0) this.fail(entry, 'a string is not NUL-terminated within the data store');
      out.push(decodeString(this.store.subarray(at, end)));
      at = end + 1;
    }
    return out;
  }

  /** A STRING value, or the first (untranslated 'C' locale) of an I18NSTRING / STRING_ARRAY. */
  string(tag: number): string | undefined {
    const entry = this.byTag.get(tag);
    if (entry === undefined) return undefined;
    if (entry.type !== RPM_TYPE.STRING && entry.type !== RPM_TYPE.I18NSTRING && entry.type !== RPM_TYPE.STRING_ARRAY) {
      this.fail(entry, `expected a string, found type ${entry.type}`);
    }
    return this.strings({ ...entry, count: Math.min(entry.count, 1) })[0];
  }

  /** A STRING_ARRAY (or a single STRING as a one-element list); [] when absent. */
  stringArray(tag: number): string[] {
    const entry = this.byTag.get(tag);
    if (entry === undefined) return [];
    if (entry.type === RPM_TYPE.STRING) return this.strings({ ...entry, count: 1 });
    if (entry.type !== RPM_TYPE.STRING_ARRAY && entry.type !== RPM_TYPE.I18NSTRING)
      this.fail(entry, `expected a string array, found type ${entry.type}`);
    return this.strings(entry);
  }

  /** Integer values of CHAR/INT8/INT16/INT32/INT64 entries (unsigned, as rpm prints them); [] when absent. */
  numbers(tag: number): number[] {
    const entry = this.byTag.get(tag);
    if (entry === undefined) return [];
    switch (entry.type) {
      case RPM_TYPE.CHAR:
      case RPM_TYPE.INT8:
        return [...this.span(entry, 1)];
      case RPM_TYPE.INT16: {
        const bytes = this.span(entry, 2);
        return Array.from({ length: entry.count }, (_, i) => bytes.readUInt16BE(i * 2));
      }
      case RPM_TYPE.INT32: {
        const bytes = this.span(entry, 4);
        return Array.from({ length: entry.count }, (_, i) => bytes.readUInt32BE(i * 4));
      }
      case RPM_TYPE.INT64: {
        const bytes = this.span(entry, 8);
        return Array.from({ length: entry.count }, (_, i) => Number(bytes.readBigUInt64BE(i * 8)));
      }
      default:
        return this.fail(entry, `expected integers, found type ${entry.type}`);
    }
  }

  /** The first integer of a numeric entry. */
  number(tag: number): number | undefined {
    return this.numbers(tag)[0];
  }

  /** A BIN value's bytes. */
  binary(tag: number): Buffer | undefined {
    const entry = this.byTag.get(tag);
    if (entry === undefined) return undefined;
    if (entry.type !== RPM_TYPE.BIN) this.fail(entry, `expected binary data, found type ${entry.type}`);
    return Buffer.from(this.span(entry, 1));
  }
}

export interface ParsedRpmHeader {
  header: RpmHeader;
  /** Bytes the header structure occupies from `offset` (preamble, index and data store). */
  length: number;
}

const TYPE_WIDTH: Record<number, number> = {
  [RPM_TYPE.NULL]: 0,
  [RPM_TYPE.CHAR]: 1,
  [RPM_TYPE.INT8]: 1,
  [RPM_TYPE.INT16]: 2,
  [RPM_TYPE.INT32]: 4,
  [RPM_TYPE.INT64]: 8,
  [RPM_TYPE.BIN]: 1,
};

/**
 * Parses a header structure at `offset`. `withMagic`: the 8-byte preamble is there (package files)
 * or not (rpmdb header blobs). Checks every index entry's type, offset and count against the data
 * store before anything is decoded.
 */
export function parseRpmHeader(bytes: Buffer, subject: string, options: { offset?: number; withMagic?: boolean } = {}): ParsedRpmHeader {
  const start = options.offset ?? 0;
  let at = start;
  if (options.withMagic ?? true) {
    if (bytes.length < at + 16) throw rpmCorrupt(subject, 'the header preamble is truncated');
    if (!bytes.subarray(at, at + 4).equals(RPM_HEADER_MAGIC)) throw rpmCorrupt(subject, 'bad header magic (expected 8e ad e8 01)');
    at += 8;
  }
  if (bytes.length < at + 8) throw rpmCorrupt(subject, 'the header is truncated before its index');
  const indexCount = bytes.readUInt32BE(at);
  const dataSize = bytes.readUInt32BE(at + 4);
  at += 8;
  if (indexCount === 0 || indexCount > MAX_INDEX_ENTRIES) throw rpmCorrupt(subject, `implausible index entry count ${indexCount}`);
  if (dataSize > MAX_DATA_BYTES) throw rpmCorrupt(subject, `implausible data store size ${dataSize}`);
  const storeStart = at + indexCount * 16;
  if (bytes.length < storeStart + dataSize) {
    throw rpmCorrupt(subject, `the header declares ${indexCount} entries and ${dataSize} data bytes but the input ends first`);
  }
  const store = bytes.subarray(storeStart, storeStart + dataSize);
  const entries: RpmIndexEntry[] = [];
  for (let i = 0; i < indexCount; i += 1) {
    const p = at + i * 16;
    const entry: RpmIndexEntry = {
      tag: bytes.readInt32BE(p),
      type: bytes.readUInt32BE(p + 4),
      offset: bytes.readInt32BE(p + 8),
      count: bytes.readUInt32BE(p + 12),
    };
    if (entry.type > RPM_TYPE.I18NSTRING) throw rpmCorrupt(subject, `tag ${entry.tag} has unknown type ${entry.type}`);
    if (entry.offset < 0 || entry.offset > dataSize)
      throw rpmCorrupt(subject, `tag ${entry.tag} has offset ${entry.offset} outside the ${dataSize}-byte data store`);
    if (entry.count === 0 || entry.count > dataSize) throw rpmCorrupt(subject, `tag ${entry.tag} has implausible count ${entry.count}`);
    const width = TYPE_WIDTH[entry.type];
    if (width !== undefined && entry.offset + entry.count * width > dataSize) {
      throw rpmCorrupt(subject, `tag ${entry.tag}: ${entry.count} values at offset ${entry.offset} run past the data store`);
    }
    if (
      (entry.type === RPM_TYPE.STRING || entry.type === RPM_TYPE.I18NSTRING || entry.type === RPM_TYPE.STRING_ARRAY) &&
      entry.offset >= dataSize
    ) {
      throw rpmCorrupt(subject, `tag ${entry.tag}: string offset ${entry.offset} is past the data store`);
    }
    entries.push(entry);
  }
  return { header: new RpmHeader(entries, store, subject), length: storeStart + dataSize - start };
}

export type RpmDependencyOperator = '<' | '<=' | '=' | '>=' | '>';

/** One Requires or Provides entry. */
export interface RpmDependency {
  name: string;
  operator?: RpmDependencyOperator;
  version?: string;
  flags: number;
}

/** What the factory reads from a package header. */
export interface RpmPackageInfo {
  name: string;
  /** EPOCH when the header has one (0 included: an explicit 0 is still stated). */
  epoch?: number;
  version: string;
  release: string;
  arch?: string;
  os?: string;
  license?: string;
  /** The source package file name ('dive-0.9.2-1.src.rpm'); absent in source packages. */
  sourceRpm?: string;
  vendor?: string;
  packager?: string;
  url?: string;
  summary?: string;
  description?: string;
  distribution?: string;
  group?: string;
  /** Installed size in bytes (LONGSIZE, else SIZE). */
  size?: number;
  /** Build time, seconds since the epoch. */
  buildTime?: number;
  buildHost?: string;
  /** Whether the header describes a source package (SOURCEPACKAGE tag, or no SOURCERPM). */
  isSource: boolean;
  requires: RpmDependency[];
  provides: RpmDependency[];
  /** Installed file paths (DIRNAMES[DIRINDEXES[i]] + BASENAMES[i]). */
  files: string[];
}

function operatorOf(flags: number): RpmDependencyOperator | undefined {
  const less = (flags & RPM_SENSE.LESS) !== 0;
  const greater = (flags & RPM_SENSE.GREATER) !== 0;
  const equal = (flags & RPM_SENSE.EQUAL) !== 0;
  if (less) return equal ? '<=' : '<';
  if (greater) return equal ? '>=' : '>';
  return equal ? '=' : undefined;
}

function dependencies(header: RpmHeader, subject: string, names: number, flagsTag: number, versions: number): RpmDependency[] {
  const list = header.stringArray(names);
  const flags = header.numbers(flagsTag);
  const vers = header.stringArray(versions);
  if ((flags.length > 0 && flags.length !== list.length) || (vers.length > 0 && vers.length !== list.length)) {
    throw rpmCorrupt(subject, `dependency tag ${names} has ${list.length} names but ${flags.length} flags and ${vers.length} versions`);
  }
  return list.map((name, i) => {
    const dep: RpmDependency = { name, flags: flags[i] ?? 0 };
    const op = operatorOf(dep.flags);
    const version = vers[i];
    if (op !== undefined && version !== undefined && version !== '') {
      dep.operator = op;
      dep.version = version;
    }
    return dep;
  });
}

/** Reads the package fields from a parsed main header; NAME, VERSION and RELEASE are required. */
export function rpmPackageInfo(header: RpmHeader, subject: string): RpmPackageInfo {
  const required = (tag: number, label: string): string => {
    const value = header.string(tag);
    if (value === undefined || value === '') throw rpmCorrupt(subject, `the header has no ${label}`);
    return value;
  };
  const info: RpmPackageInfo = {
    name: required(RPM_TAG.NAME, 'NAME'),
    version: required(RPM_TAG.VERSION, 'VERSION'),
    release: required(RPM_TAG.RELEASE, 'RELEASE'),
    isSource: header.has(RPM_TAG.SOURCEPACKAGE) || !header.has(RPM_TAG.SOURCERPM),
    requires: dependencies(header, subject, RPM_TAG.REQUIRENAME, RPM_TAG.REQUIREFLAGS, RPM_TAG.REQUIREVERSION),
    provides: dependencies(header, subject, RPM_TAG.PROVIDENAME, RPM_TAG.PROVIDEFLAGS, RPM_TAG.PROVIDEVERSION),
    files: [],
  };
  const epoch = header.number(RPM_TAG.EPOCH);
  if (epoch !== undefined) info.epoch = epoch;
  const strings: [keyof RpmPackageInfo, number][] = [
    ['arch', RPM_TAG.ARCH],
    ['os', RPM_TAG.OS],
    ['license', RPM_TAG.LICENSE],
    ['sourceRpm', RPM_TAG.SOURCERPM],
    ['vendor', RPM_TAG.VENDOR],
    ['packager', RPM_TAG.PACKAGER],
    ['url', RPM_TAG.URL],
    ['summary', RPM_TAG.SUMMARY],
    ['description', RPM_TAG.DESCRIPTION],
    ['distribution', RPM_TAG.DISTRIBUTION],
    ['group', RPM_TAG.GROUP],
    ['buildHost', RPM_TAG.BUILDHOST],
  ];
  const record = info as unknown as Record<string, unknown>;
  for (const [key, tag] of strings) {
    const value = header.string(tag);
    if (value !== undefined && value !== '') record[key] = value;
  }
  const size = header.number(RPM_TAG.LONGSIZE) ?? header.number(RPM_TAG.SIZE);
  if (size !== undefined) info.size = size;
  const buildTime = header.number(RPM_TAG.BUILDTIME);
  if (buildTime !== undefined) info.buildTime = buildTime;
  const basenames = header.stringArray(RPM_TAG.BASENAMES);
  if (basenames.length > 0) {
    const dirnames = header.stringArray(RPM_TAG.DIRNAMES);
    const indexes = header.numbers(RPM_TAG.DIRINDEXES);
    if (indexes.length !== basenames.length)
      throw rpmCorrupt(subject, `${basenames.length} file names but ${indexes.length} directory indexes`);
    info.files = basenames.map((base, i) => {
      const dir = dirnames[indexes[i] as number];
      if (dir === undefined)
        throw rpmCorrupt(subject, `file ${base} points at directory index ${indexes[i]}, past the ${dirnames.length} directories`);
      return dir + base;
    });
  }
  return info;
}

/** `name op version`, as rpm -qR prints it. */
export function formatRpmDependency(dep: RpmDependency): string {
  return dep.operator === undefined ? dep.name : `${dep.name} ${dep.operator} ${dep.version ?? ''}`;
}
