import { open } from 'node:fs/promises';
import { FactoryError } from '@packaging-factory/core';
import { AR_MAGIC } from './deb/ar-archive.ts';

/** Package formats recognised by their leading bytes. Later formats add their names here. */
export type PackageFormat = 'deb' | 'unknown';

// Enough for the ar magic plus the first member header (8 + 60 bytes).
const HEAD_BYTES = 68;

/** Classifies bytes from the start of a file. */
export function detectFormatFromBytes(head: Buffer): PackageFormat {
  // deb(5): an ar archive whose first member is 'debian-binary' (GNU ar may append a '/').
  if (head.length >= 8 + 13 && head.toString('latin1', 0, 8) === AR_MAGIC && head.toString('latin1', 8, 8 + 13) === 'debian-binary') {
    const after = head.toString('latin1', 21, 24);
    if (/^[ /]/.test(after)) return 'deb';
  }
  return 'unknown';
}

/** Detects a package format by magic bytes, never by file name. */
export async function detectFormat(file: string): Promise<PackageFormat> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new FactoryError('FILE_NOT_FOUND', `${file} cannot be opened`, {
      subject: file,
      cause: error,
      hint: 'check the path; relative paths are resolved from the working directory',
    });
  }
  try {
    const head = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(head, 0, HEAD_BYTES, 0);
    return detectFormatFromBytes(head.subarray(0, bytesRead));
  } catch (error) {
    throw new FactoryError('FILE_UNREADABLE', `${file} cannot be read`, { subject: file, cause: error });
  } finally {
    await handle.close();
  }
}
