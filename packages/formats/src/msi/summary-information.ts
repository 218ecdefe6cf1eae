import { TextDecoder } from 'node:util';
import { FactoryError } from '@packaging-factory/core';
import { codePageDecoder } from './msi-code-page.ts';

/**
 * The `\u0005SummaryInformation` stream: an OLE property set ([MS-OLEPS] 2.21 PropertySetStream)
 * whose properties Windows Installer gives its own meanings (Windows Installer SDK, "Summary
 * Information Stream Property Set"): Template is "platform;language,...", Revision Number is the
 * package code, Page Count the minimum installer version.
 */

/** [MS-OLEPS] 3.2: FMTID_SummaryInformation {F29F85E0-4FF9-1068-AB91-08002B27B3D9}, as stored (GUID byte order). */
const FMTID_SUMMARY_INFORMATION = Buffer.from('e0859ff2f94f6810ab9108002b27b3d9', 'hex');

export const SUMMARY_INFORMATION_STREAM = '\u0005SummaryInformation';

export interface MsiSummaryInformation {
  codePage?: number;
  title?: string;
  subject?: string;
  author?: string;
  keywords?: string;
  comments?: string;
  /** "Intel;1033" : the platform(s) and languages the package supports. */
  template?: string;
  lastSavedBy?: string;
  /** The package code (a GUID) for an installation package. */
  revisionNumber?: string;
  /** ISO 8601, from FILETIME. */
  createTime?: string;
  lastSaveTime?: string;
  /** Minimum Windows Installer version × 100. */
  pageCount?: number;
  /** Source image flags (short names, compressed, admin image, elevation). */
  wordCount?: number;
  creatingApplication?: string;
  security?: number;
  /** Template's platforms ('Intel', 'x64', 'Arm64'...), in order. */
  platforms: string[];
  /** Template's language ids (LCIDs), in order. */
  languages: number[];
}

type PropertyValue = string | number | Date;

const STRING_PROPERTIES: Record<number, keyof MsiSummaryInformation> = {
  2: 'title',
  3: 'subject',
  4: 'author',
  5: 'keywords',
  6: 'comments',
  7: 'template',
  8: 'lastSavedBy',
  9: 'revisionNumber',
  18: 'creatingApplication',
};
const NUMBER_PROPERTIES: Record<number, keyof MsiSummaryInformation> = { 14: 'pageCount', 15: 'wordCount', 19: 'security' };
const TIME_PROPERTIES: Record<number, keyof MsiSummaryInformation> = { 12: 'createTime', 13: 'lastSaveTime' };

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * msitools' wixl writes summary strings as UTF-8 while declaring PID_CODEPAGE 1252 (its string
 * pool, by contrast, is in the declared page). Non-ASCII text that is valid UTF-8 is almost never
 * meant as windows-1252 (it would read as 'Ã©'-style pairs), so such bytes are taken as UTF-8;
 * anything else is decoded in the declared code page, as Windows' MsiSummaryInfoGetProperty does.
 */
function decodeCodePageString(text: Buffer, decoder: TextDecoder): string {
  if (decoder.encoding !== 'utf-8' && text.some((b) => b >= 0x80)) {
    try {
      return STRICT_UTF8.decode(text);
    } catch {
      // Not UTF-8: the declared code page it is.
    }
  }
  return decoder.decode(text);
}

/** Parses the summary information stream's bytes; any offset outside the stream is ARCHIVE_CORRUPT. */
export function parseSummaryInformation(bytes: Buffer, file: string): MsiSummaryInformation {
  const fail = (reason: string): FactoryError =>
    new FactoryError('ARCHIVE_CORRUPT', `${file}: the SummaryInformation stream is malformed: ${reason}`, {
      subject: file,
      hint: 'the package is damaged; rebuild or re-download it',
    });
  const need = (offset: number, length: number, what: string): void => {
    if (offset < 0 || offset + length > bytes.length) throw fail(`${what} lies outside the stream`);
  };
  need(0, 48, 'the header');
  if (bytes.readUInt16LE(0) !== 0xfffe) throw fail('the byte order mark is not FFFE');
  const sets = bytes.readUInt32LE(24);
  if (sets < 1 || sets > 2) throw fail(`it declares ${sets} property sets`);
  if (!bytes.subarray(28, 44).equals(FMTID_SUMMARY_INFORMATION)) throw fail('the first property set is not FMTID_SummaryInformation');
  const base = bytes.readUInt32LE(44);
  need(base, 8, 'the property set header');
  const setSize = bytes.readUInt32LE(base);
  need(base, setSize, 'the property set');
  const count = bytes.readUInt32LE(base + 4);
  if (count > (setSize - 8) / 8) throw fail(`it declares ${count} properties, more than fit in ${setSize} bytes`);

  const raw = new Map<number, { type: number; offset: number }>();
  for (let i = 0; i < count; i++) {
    const id = bytes.readUInt32LE(base + 8 + i * 8);
    const offset = bytes.readUInt32LE(base + 12 + i * 8);
    if (offset + 4 > setSize) throw fail(`property ${id} lies outside the property set`);
    raw.set(id, { type: bytes.readUInt16LE(base + offset), offset: base + offset + 4 });
  }
  // PID_CODEPAGE (1) is a VT_I2 holding an unsigned code page (65001 does not fit a signed short).
  const codePageEntry = raw.get(1);
  let codePage: number | undefined;
  if (codePageEntry !== undefined && codePageEntry.type === 2) {
    need(codePageEntry.offset, 2, 'PID_CODEPAGE');
    codePage = bytes.readUInt16LE(codePageEntry.offset);
  }
  const decoder = codePageDecoder(codePage ?? 0, file);
  const end = base + setSize;

  const value = (id: number, type: number, offset: number): PropertyValue | undefined => {
    switch (type) {
      case 0x02: // VT_I2
        need(offset, 2, `property ${id}`);
        return bytes.readInt16LE(offset);
      case 0x03: // VT_I4
        need(offset, 4, `property ${id}`);
        return bytes.readInt32LE(offset);
      case 0x1e: {
        // VT_LPSTR: a CodePageString, its size counting the terminating NUL.
        need(offset, 4, `property ${id}`);
        const size = bytes.readUInt32LE(offset);
        if (offset + 4 + size > end) throw fail(`property ${id}'s string runs past the property set`);
        let text = bytes.subarray(offset + 4, offset + 4 + size);
        const nul = text.indexOf(0);
        if (nul >= 0) text = text.subarray(0, nul);
        return decodeCodePageString(text, decoder);
      }
      case 0x1f: {
        // VT_LPWSTR: a length in UTF-16 code units, NUL included.
        need(offset, 4, `property ${id}`);
        const units = bytes.readUInt32LE(offset);
        if (offset + 4 + units * 2 > end) throw fail(`property ${id}'s string runs past the property set`);
        return bytes.toString('utf16le', offset + 4, offset + 4 + units * 2).replace(/\0[\s\S]*$/, '');
      }
      case 0x40: {
        // VT_FILETIME: 100 ns ticks since 1601-01-01 UTC.
        need(offset, 8, `property ${id}`);
        const ticks = bytes.readBigUInt64LE(offset);
        const ms = Number(ticks / 10_000n) - 11_644_473_600_000;
        return new Date(ms);
      }
      default:
        return undefined;
    }
  };

  const info: MsiSummaryInformation = { platforms: [], languages: [] };
  if (codePage !== undefined) info.codePage = codePage;
  const record = info as unknown as Record<string, PropertyValue>;
  for (const [id, { type, offset }] of [...raw].sort(([a], [b]) => a - b)) {
    const parsed = value(id, type, offset);
    if (parsed === undefined) continue;
    const stringKey = STRING_PROPERTIES[id];
    const numberKey = NUMBER_PROPERTIES[id];
    const timeKey = TIME_PROPERTIES[id];
    if (stringKey !== undefined && typeof parsed === 'string') record[stringKey] = parsed;
    else if (numberKey !== undefined && typeof parsed === 'number') record[numberKey] = parsed;
    else if (timeKey !== undefined && parsed instanceof Date && !Number.isNaN(parsed.getTime())) record[timeKey] = parsed.toISOString();
  }
  if (info.template !== undefined) {
    const [platforms = '', languages = ''] = info.template.split(';');
    info.platforms = platforms
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p !== '');
    info.languages = languages
      .split(',')
      .map((l) => Number.parseInt(l.trim(), 10))
      .filter((l) => Number.isInteger(l));
  }
  return info;
}
