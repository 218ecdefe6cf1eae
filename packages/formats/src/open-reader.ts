import { open, type FileHandle } from 'node:fs/promises';
import { FactoryError } from '@packaging-factory/core';

/**
 * Opens a file for a random-access reader and hands the handle to `load`; when loading fails the
 * handle is closed and the error passes through, so a refused file never leaks a descriptor.
 * On success the reader owns the handle (and closes it).
 */
export async function openReader<T>(file: string, load: (handle: FileHandle) => Promise<T>): Promise<T> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    throw new FactoryError('FILE_UNREADABLE', `cannot open ${file}`, { subject: file, cause: error });
  }
  try {
    return await load(handle);
  } catch (error) {
    await handle.close();
    throw error;
  }
}
