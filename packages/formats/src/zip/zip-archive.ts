import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { FactoryError } from '@packaging-factory/core';

/**
 * Reading ZIP containers (wheels, eggs, APKs, MSIX/APPX, .intunewin) in memory, entry by entry,
 * through yauzl: it reads the central directory (the authoritative list, unlike the local headers
 * a streaming reader trusts), checks each entry's declared sizes against what inflates, and
 * refuses absolute or climbing names. Nothing is ever written to disk here.
 */

/** Local file header signature 'PK\x03\x04'; an empty archive starts with the end record 'PK\x05\x06'. */
export function hasZipMagic(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 3 && head[3] === 4) || (head[2] === 5 && head[3] === 6));
}

export interface ZipEntryInfo {
  /** Entry name as stored ('/'-separated; directories end with '/'). */
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  isDirectory: boolean;
}

export interface ZipLimits {
  /** Entries in the central directory. */
  maxEntries: number;
  /** Uncompressed bytes of one entry read into memory. */
  maxEntryBytes: number;
  /** Uncompressed bytes read into memory per call, all entries together. */
  maxTotalBytes: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 200_000, maxEntryBytes: 64 * 1024 * 1024, maxTotalBytes: 256 * 1024 * 1024 };

function corrupt(file: string, cause: unknown): FactoryError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const unsafe = /invalid relative path|absolute path|invalid characters/i.test(reason);
  return new FactoryError(unsafe ? 'ARCHIVE_UNSAFE' : 'ARCHIVE_CORRUPT', `${file} is not a readable ZIP archive: ${reason}`, {
    subject: file,
    cause,
    hint: unsafe ? 'the archive names an entry outside itself; rebuild it with relative entry names' : 'rebuild or re-download the file',
  });
}

function openZip(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true }, (error, zip) => {
      if (error !== null || zip === undefined) reject(corrupt(file, error));
      else resolve(zip);
    });
  });
}

/**
 * Visits every central-directory entry; `onEntry` may read the entry's bytes with `read()`
 * (bounded by the limits) before the next entry is visited.
 */
async function visitEntries(
  file: string,
  limits: ZipLimits,
  onEntry: (info: ZipEntryInfo, read: () => Promise<Buffer>) => Promise<void>,
): Promise<void> {
  const zip = await openZip(file);
  let total = 0;
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw new FactoryError('ARCHIVE_LIMIT', `${file} lists ${zip.entryCount} entries, more than the ${limits.maxEntries} allowed`, {
        subject: file,
      });
    }
    await new Promise<void>((resolve, reject) => {
      zip.on('error', (error: unknown) => reject(error instanceof FactoryError ? error : corrupt(file, error)));
      zip.on('end', () => resolve());
      zip.on('entry', (entry: yauzl.Entry) => {
        const info: ZipEntryInfo = {
          name: entry.fileName,
          compressedSize: entry.compressedSize,
          uncompressedSize: entry.uncompressedSize,
          isDirectory: entry.fileName.endsWith('/'),
        };
        const read = (): Promise<Buffer> => {
          if (entry.uncompressedSize > limits.maxEntryBytes || total + entry.uncompressedSize > limits.maxTotalBytes) {
            return Promise.reject(
              new FactoryError(
                'ARCHIVE_LIMIT',
                `${file}: entry '${entry.fileName}' inflates to ${entry.uncompressedSize} bytes, over the ${Math.min(limits.maxEntryBytes, limits.maxTotalBytes - total)} bytes allowed`,
                { subject: file },
              ),
            );
          }
          total += entry.uncompressedSize;
          return new Promise((resolveRead, rejectRead) => {
            zip.openReadStream(entry, (error, stream) => {
              if (error !== null || stream === undefined) {
                rejectRead(corrupt(file, error));
                return;
              }
              const chunks: Buffer[] = [];
              stream.on('data', (chunk: Buffer) => chunks.push(chunk));
              stream.on('error', (streamError) => rejectRead(corrupt(file, streamError)));
              stream.on('end', () => {
                const data = Buffer.concat(chunks);
                // yauzl checks sizes, not the CRC-32 every entry records (APPNOTE 4.4.7): without
                // this, altered bytes of the same length would be read as genuine.
                if (zlib.crc32(data) >>> 0 !== entry.crc32 >>> 0) {
                  rejectRead(corrupt(file, new Error(`entry '${entry.fileName}' fails its CRC-32 check`)));
                } else resolveRead(data);
              });
            });
          });
        };
        onEntry(info, read).then(
          () => zip.readEntry(),
          (error: unknown) => reject(error instanceof FactoryError ? error : corrupt(file, error)),
        );
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
}

/** Every entry of the archive's central directory, in stored order. */
export async function listZipEntries(file: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<ZipEntryInfo[]> {
  const entries: ZipEntryInfo[] = [];
  await visitEntries(file, limits, (info) => {
    entries.push(info);
    return Promise.resolve();
  });
  return entries;
}

/**
 * The bytes of the entries `wanted` selects (by stored name), inflated and size-checked.
 * A name stored twice keeps its first copy: readers that trust the last one disagree, and the
 * central directory's first match is what `unzip` and Android's package manager use.
 */
export async function readZipEntries(
  file: string,
  wanted: (name: string) => boolean,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  await visitEntries(file, limits, async (info, read) => {
    if (!info.isDirectory && !found.has(info.name) && wanted(info.name)) found.set(info.name, await read());
  });
  return found;
}
