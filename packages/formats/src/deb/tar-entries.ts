import { createHash } from 'node:crypto';
import path from 'node:path';
import { Readable } from 'node:stream';
import { extract as tarExtract, type Header } from 'tar-stream';
import { FactoryError } from '@packaging-factory/core';

/** What a tar entry is, reduced to what package metadata needs. */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntryInfo {
  /** Path inside the archive, normalised: leading './' and trailing '/' removed ('' is the root). */
  path: string;
  type: TarEntryType;
  /** Permission bits and set-id/sticky bits (mode & 0o7777). */
  mode: number;
  size: number;
  /** sha256 of the content (regular files; hard links take their target's). */
  sha256?: string;
  /** Symlink or hard link target as stored. */
  linkTarget?: string;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  /** Seconds since the epoch. */
  mtime: number;
}

function entryType(type: Header['type'] | undefined | null): TarEntryType {
  switch (type) {
    case 'file':
    case 'contiguous-file':
    case undefined:
    case null:
      return 'file';
    case 'directory':
      return 'directory';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}

/**
 * Normalises a member name from a dpkg-built tar ('./usr/bin/x', './usr/') and refuses names that
 * would escape the root if extracted ('..' segments, absolute paths): such a package is hostile.
 */
export function normaliseTarPath(name: string, archive: string): string {
  let p = name.replace(/\/+$/, '');
  if (p.startsWith('./')) p = p.slice(2);
  else if (p === '.') p = '';
  if (p.startsWith('/') || p.split('/').includes('..')) {
    throw new FactoryError('ARCHIVE_UNSAFE', `${archive} contains an entry '${name}' that escapes the package root`, {
      subject: archive,
      hint: 'do not install this package; rebuild it from a clean tree',
    });
  }
  return path.posix.normalize(p === '' ? '.' : p).replace(/^\.$/, '');
}

export interface TarWalkOptions {
  /** Name of the archive for error messages. */
  archive: string;
  /** Return true to receive the entry's content as a Buffer in `onContent`. */
  capture?: (entry: TarEntryInfo) => boolean;
  onContent?: (entry: TarEntryInfo, content: Buffer) => void;
  /** Refuse to capture a single entry larger than this (default 64 MiB). */
  maxCaptureBytes?: number;
}

/**
 * Walks a tar stream entry by entry, hashing each regular file as it streams (constant memory
 * per entry unless captured). Returns the entries in archive order.
 */
export async function walkTar(source: Buffer | Readable, options: TarWalkOptions): Promise<TarEntryInfo[]> {
  const extract = tarExtract();
  if (Buffer.isBuffer(source)) {
    extract.end(source);
  } else {
    source.on('error', (error) => extract.destroy(error));
    source.pipe(extract);
  }
  const entries: TarEntryInfo[] = [];
  const byPath = new Map<string, TarEntryInfo>();
  const maxCapture = options.maxCaptureBytes ?? 64 * 1024 * 1024;
  try {
    for await (const entry of extract) {
      // Headers from arbitrary tars may lack fields the typings promise: read them defensively.
      const header: Partial<Header> & { name: string } = entry.header;
      const info: TarEntryInfo = {
        path: normaliseTarPath(header.name, options.archive),
        type: entryType(header.type),
        mode: (header.mode ?? 0) & 0o7777,
        size: header.size ?? 0,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        mtime: header.mtime === undefined ? 0 : Math.floor(header.mtime.getTime() / 1000),
      };
      if (header.uname) info.uname = header.uname;
      if (header.gname) info.gname = header.gname;
      if (header.linkname !== undefined && header.linkname !== null && header.linkname !== '') {
        info.linkTarget = info.type === 'hardlink' ? normaliseTarPath(header.linkname, options.archive) : header.linkname;
      }
      const capture = options.capture?.(info) === true && info.type === 'file';
      if (capture && info.size > maxCapture) {
        throw new FactoryError(
          'ARCHIVE_LIMIT',
          `${options.archive}: ${info.path} is ${info.size} bytes, more than ${maxCapture} we read into memory`,
          {
            subject: options.archive,
          },
        );
      }
      if (info.type === 'file') {
        const hash = createHash('sha256');
        const chunks: Buffer[] = [];
        for await (const chunk of entry) {
          hash.update(chunk as Buffer);
          if (capture) chunks.push(chunk as Buffer);
        }
        info.sha256 = hash.digest('hex');
        if (capture) options.onContent?.(info, Buffer.concat(chunks));
      } else {
        entry.resume();
        if (info.type === 'hardlink' && info.linkTarget !== undefined) {
          const target = byPath.get(info.linkTarget);
          if (target?.sha256 !== undefined) {
            info.sha256 = target.sha256;
            info.size = target.size;
          }
        }
      }
      entries.push(info);
      byPath.set(info.path, info);
    }
  } catch (error) {
    if (error instanceof FactoryError) throw error;
    throw new FactoryError('ARCHIVE_CORRUPT', `${options.archive}: the tar stream is corrupt (${(error as Error).message})`, {
      subject: options.archive,
      cause: error,
      hint: 'the file is damaged; rebuild or download it again',
    });
  }
  return entries;
}
