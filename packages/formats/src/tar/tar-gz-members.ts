import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { FactoryError } from '@packaging-factory/core';
import { walkTar, type TarEntryInfo } from '../deb/tar-entries.ts';

/**
 * Reads chosen members of a gzip-compressed tar (sdists, npm package tarballs) in one streaming
 * pass: walkTar refuses climbing or absolute member names, and this bounds what inflating may
 * cost, since the archive comes from outside: total bytes, and the compression ratio once past a
 * grace size (a tiny tar is mostly zero padding and compresses far beyond any sane ratio).
 */

export interface TarGzLimits {
  /** Uncompressed bytes of the whole tar (default 4 GiB). */
  maxTotalBytes: number;
  /** Uncompressed bytes per compressed byte, judged past 1 MiB (default 200). */
  maxCompressionRatio: number;
  /** Size of one captured member (default 16 MiB). */
  maxMemberBytes: number;
}

export const DEFAULT_TAR_GZ_LIMITS: TarGzLimits = {
  maxTotalBytes: 4 * 1024 ** 3,
  maxCompressionRatio: 200,
  maxMemberBytes: 16 * 1024 ** 2,
};

const RATIO_GRACE_BYTES = 1024 * 1024;

export interface TarGzContent {
  /** Every member, in archive order (paths normalised). */
  entries: TarEntryInfo[];
  /** Content of the members `wanted` selected, by normalised path (regular files only). */
  members: Map<string, Buffer>;
}

/** True for the gzip magic 1f 8b. */
export function hasGzipMagic(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Streams `file` through gunzip and the tar reader, capturing the members `wanted` accepts. */
export async function readTarGzMembers(
  file: string,
  wanted: (path: string) => boolean,
  limits: TarGzLimits = DEFAULT_TAR_GZ_LIMITS,
): Promise<TarGzContent> {
  let compressed = 0;
  let inflated = 0;
  const input = createReadStream(file);
  input.on('data', (chunk) => {
    compressed += chunk.length;
  });
  const gunzip = createGunzip();
  const guard = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      inflated += chunk.length;
      if (inflated > limits.maxTotalBytes) {
        callback(
          new FactoryError('ARCHIVE_LIMIT', `${file} inflates to more than ${limits.maxTotalBytes} bytes`, {
            subject: file,
            hint: 'this is no ordinary package archive; check where it came from',
          }),
        );
        return;
      }
      if (inflated > RATIO_GRACE_BYTES && inflated > Math.max(compressed, 1) * limits.maxCompressionRatio) {
        callback(
          new FactoryError('ARCHIVE_LIMIT', `${file} inflates more than ${limits.maxCompressionRatio} times: refusing a compression bomb`, {
            subject: file,
          }),
        );
        return;
      }
      callback(null, chunk);
    },
  });
  const fail = (error: unknown): void => {
    guard.destroy(error instanceof Error ? error : new Error(String(error)));
  };
  input.on('error', fail);
  gunzip.on('error', fail);
  input.pipe(gunzip).pipe(guard);

  const members = new Map<string, Buffer>();
  let entries: TarEntryInfo[];
  try {
    entries = await walkTar(guard, {
      archive: file,
      capture: (entry) => wanted(entry.path),
      onContent: (entry, content) => {
        if (!members.has(entry.path)) members.set(entry.path, content);
      },
      maxCaptureBytes: limits.maxMemberBytes,
    });
  } finally {
    input.destroy();
  }
  return { entries, members };
}
