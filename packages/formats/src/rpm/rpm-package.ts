import { open } from 'node:fs/promises';
import { FactoryError } from '@packaging-factory/core';
import { parseRpmHeader, rpmCorrupt, rpmPackageInfo, RPM_HEADER_MAGIC, type RpmHeader, type RpmPackageInfo } from './rpm-header.ts';

/**
 * An RPM package file (rpm docs/manual/format.md): the 96-byte lead (magic ed ab ee db), the
 * signature header padded to a multiple of 8 bytes, the main header, then the compressed payload.
 * Only the headers are read: no rpm tool is needed, and a multi-gigabyte payload is never touched.
 */

export const RPM_LEAD_MAGIC = Buffer.from([0xed, 0xab, 0xee, 0xdb]);
const LEAD_SIZE = 96;
// The lead's signature_type: 5 = a header-structured signature (RPMSIGTYPE_HEADERSIG), the only
// kind rpm has written since version 3.
const SIGTYPE_HEADERSIG = 5;

export interface RpmLead {
  major: number;
  minor: number;
  /** 0 = binary package, 1 = source package. */
  type: number;
  /** The lead's name field (name-version-release, informational, max 65 bytes). */
  name: string;
  signatureType: number;
}

export interface RpmPackageFile {
  lead: RpmLead;
  signature: RpmHeader;
  header: RpmHeader;
  info: RpmPackageInfo;
  /** File offset of the main header (payload starts after it). */
  headerOffset: number;
  headerLength: number;
}

/** True when `head` starts with the RPM lead magic. */
export function hasRpmMagic(head: Buffer): boolean {
  return head.length >= 4 && head.subarray(0, 4).equals(RPM_LEAD_MAGIC);
}

// Header structures are bounded (rpm: ≤ 0xffff entries, ≤ 256 MiB data); refuse anything larger
// before allocating.
const MAX_HEADER_BYTES = 16 + 0xffff * 16 + 0x0fffffff;

async function readAt(
  handle: Awaited<ReturnType<typeof open>>,
  offset: number,
  length: number,
  file: string,
  what: string,
): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await handle.read(buffer, 0, length, offset);
  if (bytesRead < length) throw rpmCorrupt(file, `the file ends inside the ${what} (offset ${offset}, ${length} bytes wanted)`);
  return buffer;
}

async function readHeaderAt(
  handle: Awaited<ReturnType<typeof open>>,
  offset: number,
  file: string,
  what: string,
): Promise<{ header: RpmHeader; length: number }> {
  const preamble = await readAt(handle, offset, 16, file, what);
  if (!preamble.subarray(0, 4).equals(RPM_HEADER_MAGIC)) throw rpmCorrupt(file, `the ${what} has no header magic at offset ${offset}`);
  const length = 16 + preamble.readUInt32BE(8) * 16 + preamble.readUInt32BE(12);
  if (length > MAX_HEADER_BYTES) throw rpmCorrupt(file, `the ${what} declares an implausible size`);
  const bytes = await readAt(handle, offset, length, file, what);
  return parseRpmHeader(bytes, `${file} (${what})`);
}

/** Parses the 96-byte lead. */
export function parseRpmLead(bytes: Buffer, file: string): RpmLead {
  if (bytes.length < LEAD_SIZE || !hasRpmMagic(bytes)) throw rpmCorrupt(file, 'no RPM lead (magic ed ab ee db)');
  const nameBytes = bytes.subarray(10, 76);
  const nul = nameBytes.indexOf(0);
  return {
    major: bytes.readUInt8(4),
    minor: bytes.readUInt8(5),
    type: bytes.readUInt16BE(6),
    name: nameBytes.subarray(0, nul < 0 ? nameBytes.length : nul).toString('latin1'),
    signatureType: bytes.readUInt16BE(78),
  };
}

/** Reads an .rpm file's lead, signature and main header, and the package fields. */
export async function readRpmPackage(file: string): Promise<RpmPackageFile> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new FactoryError('FILE_UNREADABLE', `${file} cannot be opened`, { subject: file, cause: error });
  }
  try {
    const lead = parseRpmLead(await readAt(handle, 0, LEAD_SIZE, file, 'lead'), file);
    if (lead.major < 3 || lead.major > 4) throw rpmCorrupt(file, `unsupported RPM format version ${lead.major}.${lead.minor}`);
    if (lead.type !== 0 && lead.type !== 1) throw rpmCorrupt(file, `unknown package type ${lead.type} in the lead`);
    if (lead.signatureType !== SIGTYPE_HEADERSIG)
      throw rpmCorrupt(file, `unsupported signature type ${lead.signatureType} (expected 5, header-style)`);
    const signature = await readHeaderAt(handle, LEAD_SIZE, file, 'signature header');
    // The signature header is padded so the main header starts on an 8-byte boundary.
    const headerOffset = LEAD_SIZE + signature.length + ((8 - (signature.length % 8)) % 8);
    const main = await readHeaderAt(handle, headerOffset, file, 'main header');
    const info = rpmPackageInfo(main.header, file);
    if (lead.type === 1) info.isSource = true;
    return { lead, signature: signature.header, header: main.header, info, headerOffset, headerLength: main.length };
  } finally {
    await handle.close();
  }
}
