import { open } from 'node:fs/promises';
import { FactoryError } from '@packaging-factory/core';

/**
 * The APK Signing Block (source.android.com/docs/security/features/apksigning/v2): schemes v2 and
 * later store their signatures in a block placed immediately before the ZIP central directory,
 * invisible to ZIP readers:
 *   uint64 size (excluding this field) | ID-value pairs (uint64 length, uint32 id, value) |
 *   uint64 size (same) | 16-byte magic "APK Sig Block 42"
 * This reads the end of central directory record (ZIP64-aware) to find the central directory, then
 * the block's footer just before it. Presence only: verifying signatures is apksigner's job.
 */

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const EOCD_MIN = 22;
const MAX_COMMENT = 0xffff;
const MAGIC = Buffer.from('APK Sig Block 42', 'latin1');
/** No real signing block comes near this; a larger size is a crafted file. */
const MAX_BLOCK = 64 * 1024 * 1024;

/** Block ids from apksig (ApkSigningBlockUtils / V2SchemeConstants / V3SchemeConstants / SourceStampConstants). */
const KNOWN_BLOCKS = new Map<number, string>([
  [0x7109871a, 'v2'],
  [0xf05368c0, 'v3'],
  [0x1b93ad61, 'v3.1'],
  [0x6dff800d, 'source-stamp'],
  [0x2b09189e, 'source-stamp-v1'],
  [0x42726577, 'verity-padding'],
  [0x504b4453, 'dependency-info'],
]);

export interface ApkSigningBlock {
  /** Offset of the block in the file. */
  offset: number;
  size: number;
  /** Ids of the ID-value pairs, by known name ('v2', 'v3', 'v3.1', 'source-stamp', ...) or '0x...' hex. */
  entries: string[];
}

function corrupt(file: string, message: string): FactoryError {
  return new FactoryError('ARCHIVE_CORRUPT', `${file}: ${message}`, {
    subject: file,
    hint: 'the APK is damaged or its signing block was tampered with; rebuild and re-sign it',
  });
}

/** Finds the central directory's offset from the end of central directory record. */
async function centralDirectoryOffset(file: string, read: (at: number, length: number) => Promise<Buffer>, size: number): Promise<number> {
  const tailLength = Math.min(size, EOCD_MIN + MAX_COMMENT);
  const tail = await read(size - tailLength, tailLength);
  // The record is the last one whose comment length reaches exactly to the end of the file.
  for (let i = tail.length - EOCD_MIN; i >= 0; i -= 1) {
    if (tail.readUInt32LE(i) !== EOCD_SIGNATURE) continue;
    if (i + EOCD_MIN + tail.readUInt16LE(i + 20) !== tail.length) continue;
    const offset = tail.readUInt32LE(i + 16);
    if (offset !== 0xffffffff) return offset;
    const eocdAt = size - tailLength + i;
    if (eocdAt < 20) throw corrupt(file, 'the ZIP64 end of central directory locator is missing');
    const locator = await read(eocdAt - 20, 20);
    if (locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIGNATURE) throw corrupt(file, 'the ZIP64 end of central directory locator is missing');
    const recordAt = Number(locator.readBigUInt64LE(8));
    if (!Number.isSafeInteger(recordAt) || recordAt + 56 > size)
      throw corrupt(file, 'the ZIP64 end of central directory record lies outside the file');
    const record = await read(recordAt, 56);
    if (record.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE) throw corrupt(file, 'the ZIP64 end of central directory record is damaged');
    return Number(record.readBigUInt64LE(48));
  }
  throw corrupt(file, 'no ZIP end of central directory record');
}

/** The APK Signing Block, or undefined when the APK has none (unsigned, or v1 JAR signing only). */
export async function readApkSigningBlock(file: string): Promise<ApkSigningBlock | undefined> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const read = async (at: number, length: number): Promise<Buffer> => {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, at);
      if (bytesRead !== length) throw corrupt(file, `read ${bytesRead} of ${length} bytes at offset ${at}`);
      return buffer;
    };
    const cd = await centralDirectoryOffset(file, read, size);
    if (!Number.isSafeInteger(cd) || cd > size) throw corrupt(file, `the central directory offset ${cd} lies past the end of the file`);
    if (cd < 32) return undefined;
    const footer = await read(cd - 24, 24);
    if (!footer.subarray(8).equals(MAGIC)) return undefined;
    const blockSize = Number(footer.readBigUInt64LE(0));
    const offset = cd - blockSize - 8;
    if (!Number.isSafeInteger(blockSize) || blockSize < 24 || blockSize > MAX_BLOCK || offset < 0) {
      throw corrupt(file, `the APK Signing Block declares ${blockSize} bytes, which do not fit before the central directory at ${cd}`);
    }
    const block = await read(offset, blockSize + 8);
    if (Number(block.readBigUInt64LE(0)) !== blockSize) throw corrupt(file, 'the APK Signing Block sizes at its start and end disagree');
    const entries: string[] = [];
    const pairsEnd = block.length - 24;
    let at = 8;
    while (at < pairsEnd) {
      if (at + 12 > pairsEnd) throw corrupt(file, `the APK Signing Block has a truncated ID-value pair at offset ${offset + at}`);
      const length = Number(block.readBigUInt64LE(at));
      if (!Number.isSafeInteger(length) || length < 4 || at + 8 + length > pairsEnd) {
        throw corrupt(file, `an APK Signing Block pair at offset ${offset + at} declares ${length} bytes, past the block`);
      }
      const id = block.readUInt32LE(at + 8);
      entries.push(KNOWN_BLOCKS.get(id) ?? `0x${id.toString(16).padStart(8, '0')}`);
      at += 8 + length;
    }
    return { offset, size: blockSize + 8, entries };
  } finally {
    await handle.close();
  }
}
