import { open, type FileHandle } from 'node:fs/promises';
import { FactoryError } from '@packaging-factory/core';

/**
 * A reader for the Unix `ar` container that wraps every .deb (deb(5), ar(5)). The format is a
 * global magic followed by members, each a fixed 60-byte ASCII header and its data padded to an
 * even offset. Every field is bounds-checked: a corrupt or truncated file is a FactoryError
 * ARCHIVE_CORRUPT naming the file, never an out-of-range read.
 */

export const AR_MAGIC = '!<arch>\n';
const HEADER_SIZE = 60;
const MAGIC_SIZE = AR_MAGIC.length;
// A .deb has three members (plus optional signature members); a sane cap stops a crafted file
// with millions of empty members from keeping us busy.
const MAX_MEMBERS = 4096;
const MAX_NAME_TABLE = 1 << 20;

export interface ArMember {
  /** Member name with the GNU trailing '/' and the padding spaces removed. */
  name: string;
  /** Offset of the member's data in the file. */
  offset: number;
  /** Length of the member's data in bytes. */
  size: number;
  /** Modification time, seconds since the epoch. */
  mtime: number;
  uid: number;
  gid: number;
  mode: number;
}

function corrupt(file: string, message: string, cause?: unknown): FactoryError {
  return new FactoryError('ARCHIVE_CORRUPT', `${file} is not a valid ar archive: ${message}`, {
    subject: file,
    hint: 'the file is truncated or not a Debian package; rebuild or download it again',
    cause,
  });
}

/** Parses a numeric header field: ASCII digits in `radix`, right-padded with spaces; empty means 0. */
function numericField(file: string, header: Buffer, start: number, length: number, radix: 8 | 10, what: string): number {
  const text = header.toString('latin1', start, start + length).trimEnd();
  if (text === '') return 0;
  const pattern = radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!pattern.test(text)) throw corrupt(file, `member header at offset has a malformed ${what} field '${text}'`);
  const value = Number.parseInt(text, radix);
  if (!Number.isSafeInteger(value)) throw corrupt(file, `member ${what} field '${text}' is out of range`);
  return value;
}

async function readExactly(handle: FileHandle, file: string, length: number, position: number, what: string): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw corrupt(file, `${what} is truncated at offset ${position + done}`);
    done += bytesRead;
  }
  return buffer;
}

async function openArchive(file: string): Promise<FileHandle> {
  try {
    return await open(file, 'r');
  } catch (error) {
    throw new FactoryError('FILE_NOT_FOUND', `${file} cannot be opened`, {
      subject: file,
      cause: error,
      hint: 'check the path; relative paths are resolved from the working directory',
    });
  }
}

/** True when the first bytes are the ar magic (does not validate the rest). */
export function hasArMagic(head: Buffer): boolean {
  return head.length >= MAGIC_SIZE && head.toString('latin1', 0, MAGIC_SIZE) === AR_MAGIC;
}

/** Lists the members of an ar archive, in file order. */
export async function listArMembers(file: string): Promise<ArMember[]> {
  const handle = await openArchive(file);
  try {
    const { size: fileSize } = await handle.stat();
    if (fileSize < MAGIC_SIZE) throw corrupt(file, 'shorter than the ar magic');
    const magic = await readExactly(handle, file, MAGIC_SIZE, 0, 'magic');
    if (!hasArMagic(magic)) throw corrupt(file, "missing the '!<arch>' magic");
    const members: ArMember[] = [];
    let nameTable: Buffer | undefined;
    let position = MAGIC_SIZE;
    while (position < fileSize) {
      if (members.length >= MAX_MEMBERS) throw corrupt(file, `more than ${MAX_MEMBERS} members`);
      if (position + HEADER_SIZE > fileSize) throw corrupt(file, `member header at offset ${position} is truncated`);
      const header = await readExactly(handle, file, HEADER_SIZE, position, 'member header');
      // ar(5): the header ends with the two bytes "`\n"; anything else means we lost sync.
      if (header[58] !== 0x60 || header[59] !== 0x0a) throw corrupt(file, `member header at offset ${position} has a bad terminator`);
      const rawName = header.toString('latin1', 0, 16).trimEnd();
      const mtime = numericField(file, header, 16, 12, 10, 'mtime');
      const uid = numericField(file, header, 28, 6, 10, 'uid');
      const gid = numericField(file, header, 34, 6, 10, 'gid');
      const mode = numericField(file, header, 40, 8, 8, 'mode');
      const size = numericField(file, header, 48, 10, 10, 'size');
      let offset = position + HEADER_SIZE;
      let dataSize = size;
      if (offset + size > fileSize) {
        throw corrupt(file, `member '${rawName}' claims ${size} bytes but only ${fileSize - offset} remain`);
      }
      let name: string;
      if (rawName.startsWith('#1/')) {
        // BSD long names: the name is stored at the start of the data, its length in the header.
        const nameLength = Number(rawName.slice(3));
        if (!Number.isInteger(nameLength) || nameLength < 0 || nameLength > size) {
          throw corrupt(file, `member '${rawName}' has an invalid BSD name length`);
        }
        name = (await readExactly(handle, file, nameLength, offset, 'member name')).toString('utf8').replace(/\0+$/, '');
        offset += nameLength;
        dataSize -= nameLength;
      } else if (rawName === '//') {
        // GNU long-name table: later members named '/<offset>' point into it.
        if (size > MAX_NAME_TABLE) throw corrupt(file, 'the long-name table is implausibly large');
        nameTable = await readExactly(handle, file, size, offset, 'long-name table');
        position = offset + size + (size % 2);
        continue;
      } else if (/^\/\d+$/.test(rawName)) {
        const at = Number(rawName.slice(1));
        if (nameTable === undefined || at >= nameTable.length) throw corrupt(file, `member '${rawName}' refers to a missing long name`);
        const end = nameTable.indexOf('/\n', at, 'latin1');
        name = nameTable.toString('utf8', at, end === -1 ? nameTable.length : end);
      } else if (rawName === '/' || rawName === '/SYM64/') {
        // A symbol table (from `ar s`): not a member anyone asked for.
        position = offset + size + (size % 2);
        continue;
      } else {
        name = rawName.endsWith('/') ? rawName.slice(0, -1) : rawName;
      }
      if (name === '') throw corrupt(file, `member at offset ${position} has an empty name`);
      members.push({ name, offset, size: dataSize, mtime, uid, gid, mode });
      // Data is padded to an even offset; the pad byte may be missing on the last member.
      position = position + HEADER_SIZE + size + (size % 2);
    }
    return members;
  } finally {
    await handle.close();
  }
}

/** Reads one member's data into memory (for small members: debian-binary, signatures). */
export async function readArMember(file: string, member: ArMember): Promise<Buffer> {
  const handle = await openArchive(file);
  try {
    return await readExactly(handle, file, member.size, member.offset, `member '${member.name}'`);
  } finally {
    await handle.close();
  }
}
