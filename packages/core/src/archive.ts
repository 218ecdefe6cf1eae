import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { link, lstat, lutimes, mkdir, mkdtemp, open, readdir, rename, rm, rmdir, symlink, unlink, chmod } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import type { Extract, ExtractEvents, Header } from 'tar-stream';
import { ArchiveTree, normalizeEntryPath, UnsafeEntryError } from './archive-policy.ts';
import { FactoryError } from './errors.ts';

/** Bounds on what reading one archive may cost; exceeding one fails with ARCHIVE_LIMIT. */
export interface ArchiveLimits {
  /** Sum of the sizes of all entries (default 2 GiB). */
  maxTotalBytes?: number;
  /** Size of any one entry (default: maxTotalBytes). */
  maxEntryBytes?: number;
  /** Number of entries (default 100 000). */
  maxEntries?: number;
  /** Uncompressed bytes per compressed byte read, checked while streaming (default 200). */
  maxCompressionRatio?: number;
}

export interface ArchiveOptions extends ArchiveLimits {
  /** How errors name the archive when the source is a stream (a path names itself). */
  name?: string;
}

export interface ExtractedEntry {
  /** Normalised relative POSIX path, no leading `./` nor trailing slash. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'hardlink';
  /** Bytes of content (a hard link reports its target's). */
  size: number;
  /** Permission bits: as written by `extractTar` (0o755/0o644), as declared by the archive in `listTar`. */
  mode: number;
  /** Regular files and hard links: sha256 of the content. */
  sha256?: string;
  /** Symlinks: the target as stored. Hard links: the normalised path of the linked entry. */
  linkTarget?: string;
}

const GIB = 1024 ** 3;
const DEFAULTS: Required<ArchiveLimits> = {
  maxTotalBytes: 2 * GIB,
  maxEntryBytes: 2 * GIB,
  maxEntries: 100_000,
  maxCompressionRatio: 200,
};

/**
 * The compression ratio is only judged past this many uncompressed bytes: a small tar is mostly
 * zero padding (headers, 512-byte blocks, the end-of-archive marker) and gzips far beyond any
 * sensible ratio while being harmless.
 */
const RATIO_GRACE_BYTES = 1024 * 1024;

type EntryKind = ExtractedEntry['type'];
/** tar-stream's per-entry readable (its type is not exported by name). */
type EntryStream = ExtractEvents['entry'][1];

interface TarEntry {
  header: Header;
  /** Normalised path. */
  path: string;
  kind: EntryKind;
  /** The content, with stream errors reported as archive errors. Read fully, at most once. */
  chunks(): AsyncGenerator<Buffer>;
}

/**
 * Extracts a tar archive (plain or gzip, told apart by magic bytes) into `destDir`, refusing any
 * entry that could write outside it and stopping at the limits. Atomic for the caller: entries go to
 * a temp dir beside `destDir`, renamed into place only when every entry was extracted; on failure
 * nothing is left. `destDir` must not exist or be empty. Returns the entries sorted by path.
 */
export async function extractTar(
  source: string | NodeJS.ReadableStream,
  destDir: string,
  options: ArchiveOptions = {},
): Promise<ExtractedEntry[]> {
  const archive = archiveName(source, options);
  const dest = path.resolve(destDir);
  await assertEmptyDestination(dest);
  const createdParent = await mkdir(path.dirname(dest), { recursive: true });
  const root = await mkdtemp(path.join(path.dirname(dest), `.${path.basename(dest)}.partial-`));
  try {
    const entries = await extractInto(source, root, archive, options);
    await chmod(root, 0o755);
    await assertEmptyDestination(dest);
    await rmdir(dest).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await rename(root, dest);
    return entries;
  } catch (error) {
    await rm(createdParent ?? root, { recursive: true, force: true });
    throw error instanceof UnsafeEntryError ? unsafe(archive, error) : error;
  }
}

/**
 * Lists a tar archive's entries in archive order without extracting, with the sha256 of each
 * regular file computed while streaming. Names are checked like `extractTar` checks them (no
 * absolute or climbing paths, no devices) and the same limits apply; link targets are reported
 * as stored, not judged, since nothing is written.
 */
export async function* listTar(source: string | NodeJS.ReadableStream, options: ArchiveOptions = {}): AsyncGenerator<ExtractedEntry> {
  const files = new Map<string, ExtractedEntry>();
  for await (const entry of tarEntries(source, archiveName(source, options), options)) {
    const mode = entry.header.mode & 0o7777;
    const listed: ExtractedEntry = { path: entry.path, type: entry.kind, size: 0, mode };
    if (entry.kind === 'file') {
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of entry.chunks()) {
        hash.update(chunk);
        size += chunk.length;
      }
      listed.size = size;
      listed.sha256 = hash.digest('hex');
      files.set(entry.path, listed);
    } else if (entry.kind === 'symlink') {
      listed.linkTarget = entry.header.linkname ?? '';
    } else if (entry.kind === 'hardlink') {
      let target = entry.header.linkname ?? '';
      try {
        target = normalizeEntryPath(target);
      } catch {
        // Listing reports link targets as stored; only extraction judges them.
      }
      listed.linkTarget = target;
      const linked = files.get(target);
      if (linked?.sha256 !== undefined) {
        listed.size = linked.size;
        listed.sha256 = linked.sha256;
      }
    }
    yield listed;
  }
}

async function extractInto(
  source: string | NodeJS.ReadableStream,
  root: string,
  archive: string,
  options: ArchiveOptions,
): Promise<ExtractedEntry[]> {
  const tree = new ArchiveTree();
  const results = new Map<string, ExtractedEntry>();
  const symlinks: { path: string; target: string }[] = [];
  for await (const entry of tarEntries(source, archive, options)) {
    const name = entry.header.name;
    const full = path.join(root, ...entry.path.split('/'));
    switch (entry.kind) {
      case 'directory': {
        tree.checkPlacement(entry.path, 'directory', name);
        tree.add(entry.path, 'directory');
        await ensureDirectory(root, entry.path, name);
        results.set(entry.path, { path: entry.path, type: 'directory', size: 0, mode: 0o755 });
        break;
      }
      case 'file': {
        const replaces = tree.checkPlacement(entry.path, 'file', name);
        tree.add(entry.path, 'file');
        await ensureDirectory(root, path.posix.dirname(entry.path), name);
        if (replaces) await unlinkFile(full, name);
        results.set(entry.path, await writeEntryFile(entry, full));
        break;
      }
      case 'hardlink': {
        // Hard link names are relative to the archive root (POSIX ustar), not to the link's directory.
        const target = normalizeLinkName(entry.header.linkname ?? '', name);
        const targetEntry = results.get(target);
        if (tree.kindOf(target) !== 'file' || targetEntry?.sha256 === undefined) {
          throw new UnsafeEntryError(name, `is a hard link to '${entry.header.linkname}', which is not a regular file extracted earlier`);
        }
        if (target === entry.path) throw new UnsafeEntryError(name, 'is a hard link to itself');
        const replaces = tree.checkPlacement(entry.path, 'file', name);
        tree.add(entry.path, 'file');
        await ensureDirectory(root, path.posix.dirname(entry.path), name);
        if (replaces) await unlinkFile(full, name);
        await link(path.join(root, ...target.split('/')), full);
        results.set(entry.path, {
          path: entry.path,
          type: 'hardlink',
          size: targetEntry.size,
          mode: targetEntry.mode,
          sha256: targetEntry.sha256,
          linkTarget: target,
        });
        break;
      }
      case 'symlink': {
        // tar-stream reports an empty link name as null.
        const target = entry.header.linkname ?? '';
        ArchiveTree.checkSymlinkTarget(entry.path, target, name);
        tree.checkPlacement(entry.path, 'symlink', name);
        tree.add(entry.path, 'symlink', target);
        symlinks.push({ path: entry.path, target });
        results.set(entry.path, { path: entry.path, type: 'symlink', size: 0, mode: 0o777, linkTarget: target });
        break;
      }
    }
  }
  // Symlinks are created last, once the whole tree is known: a later entry can change where an
  // earlier link's target leads, and until now nothing was written through any link.
  tree.checkSymlinkChains();
  for (const { path: linkPath, target } of symlinks) {
    await ensureDirectory(root, path.posix.dirname(linkPath), linkPath);
    await symlink(target, path.join(root, ...linkPath.split('/')));
  }
  return [...results.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function normalizeLinkName(linkname: string, shownName: string): string {
  let target: string;
  try {
    target = normalizeEntryPath(linkname);
  } catch (error) {
    if (!(error instanceof UnsafeEntryError)) throw error;
    throw new UnsafeEntryError(shownName, `is a hard link to '${linkname}', outside the destination`);
  }
  if (target === '') throw new UnsafeEntryError(shownName, 'is a hard link to the destination directory');
  return target;
}

/** Creates a file that did not exist (O_EXCL, O_NOFOLLOW: never through a link), writes and digests it. */
async function writeEntryFile(entry: TarEntry, full: string): Promise<ExtractedEntry> {
  // Permissions are normalised: no setuid/setgid/sticky bits, no group or world write.
  const mode = (entry.header.mode & 0o111) !== 0 ? 0o755 : 0o644;
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
  const handle = await open(full, flags, 0o600);
  const hash = createHash('sha256');
  let size = 0;
  try {
    await handle.chmod(mode);
  } catch (error) {
    await handle.close();
    throw error;
  }
  await pipeline(async function* () {
    for await (const chunk of entry.chunks()) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  }, handle.createWriteStream());
  const mtime = entry.header.mtime;
  if (mtime instanceof Date && !Number.isNaN(mtime.getTime())) await lutimes(full, mtime, mtime);
  return { path: entry.path, type: 'file', size, mode, sha256: hash.digest('hex') };
}

/** Creates each missing directory of `relative` under root, refusing anything that is not a real directory. */
async function ensureDirectory(root: string, relative: string, shownName: string): Promise<void> {
  if (relative === '' || relative === '.') return;
  let current = root;
  for (const part of relative.split('/')) {
    current = path.join(current, part);
    let info;
    try {
      info = await lstat(current);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(current, { mode: 0o755 });
      await chmod(current, 0o755);
      continue;
    }
    if (!info.isDirectory()) throw new UnsafeEntryError(shownName, `needs '${path.relative(root, current)}' to be a directory`);
  }
}

async function unlinkFile(full: string, shownName: string): Promise<void> {
  const info = await lstat(full);
  if (!info.isFile()) throw new UnsafeEntryError(shownName, 'would replace something that is not a regular file');
  await unlink(full);
}

async function assertEmptyDestination(dest: string): Promise<void> {
  let info;
  try {
    info = await lstat(dest);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const empty = info.isDirectory() && (await readdir(dest)).length === 0;
  if (!empty) {
    throw new FactoryError('INPUT_INVALID', `cannot extract into ${dest}: it exists and is not an empty directory`, {
      subject: dest,
      hint: 'extract into a new or empty directory',
    });
  }
}

function archiveName(source: string | NodeJS.ReadableStream, options: ArchiveOptions): string {
  return typeof source === 'string' ? source : (options.name ?? 'archive stream');
}

function unsafe(archive: string, error: UnsafeEntryError): FactoryError {
  return new FactoryError('ARCHIVE_UNSAFE', `refusing ${archive}: ${error.message}`, {
    subject: archive,
    hint: 'the archive may be hostile; obtain it again from a trusted source',
  });
}

function limitError(archive: string, what: string): FactoryError {
  return new FactoryError('ARCHIVE_LIMIT', `refusing ${archive}: ${what}`, {
    subject: archive,
    hint: 'the archive looks like a decompression bomb; if it is genuine, raise the limit',
  });
}

/** Stream and parser errors as archive errors; our own FactoryErrors pass through. */
function archiveError(archive: string, error: unknown): unknown {
  if (error instanceof FactoryError) return error;
  if (error instanceof UnsafeEntryError) return unsafe(archive, error);
  const message = error instanceof Error ? error.message : String(error);
  return new FactoryError('ARCHIVE_CORRUPT', `${archive} is not a readable tar archive: ${message}`, {
    cause: error,
    subject: archive,
    hint: 'check that the file is a complete tar or tar.gz (a truncated download is the usual cause)',
  });
}

const UNSUPPORTED_MAGIC: [string, Buffer][] = [
  ['bzip2', Buffer.from('BZh')],
  ['xz', Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ['zstd', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
  ['zip', Buffer.from('PK\x03\x04')],
];

interface ArchiveInput {
  chunks: AsyncIterable<Buffer>;
  gzip: boolean;
  close(): Promise<void>;
}

/** Opens the source and tells plain tar from gzip by the first bytes (RFC 1952: 1f 8b). */
async function openInput(source: string | NodeJS.ReadableStream, archive: string): Promise<ArchiveInput> {
  const stream = typeof source === 'string' ? createReadStream(source, { highWaterMark: 1 << 16 }) : source;
  const iterator = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const close = async (): Promise<void> => {
    await iterator.return?.();
  };
  const head: Buffer[] = [];
  let headLength = 0;
  try {
    while (headLength < 6) {
      const next = await iterator.next();
      if (next.done === true) break;
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      head.push(chunk);
      headLength += chunk.length;
    }
  } catch (error) {
    await close().catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    throw new FactoryError(code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE', `cannot read archive ${archive}`, {
      cause: error,
      subject: archive,
      hint: 'check that the path names a readable file',
    });
  }
  const start = Buffer.concat(head);
  if (start.length === 0) {
    throw new FactoryError('ARCHIVE_CORRUPT', `${archive} is empty`, {
      subject: archive,
      hint: 'check that the file is a complete tar or tar.gz',
    });
  }
  for (const [format, magic] of UNSUPPORTED_MAGIC) {
    if (start.subarray(0, magic.length).equals(magic)) {
      await close();
      throw new FactoryError('ARCHIVE_CORRUPT', `${archive} is a ${format} file, not a plain or gzip-compressed tar`, {
        subject: archive,
        hint: 'decompress it first, or provide a .tar or .tar.gz',
      });
    }
  }
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield* head;
      for (;;) {
        const next = await iterator.next();
        if (next.done === true) return;
        yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      }
    } finally {
      await close();
    }
  }
  return { chunks: replay(), gzip: start[0] === 0x1f && start[1] === 0x8b, close };
}

/**
 * The archive's entries, validated (names, types, limits) before they are yielded. The consumer
 * reads a file's chunks before asking for the next entry, which keeps memory constant: tar-stream
 * parses only as fast as the content is consumed.
 */
async function* tarEntries(source: string | NodeJS.ReadableStream, archive: string, options: ArchiveLimits): AsyncGenerator<TarEntry> {
  const limits: Required<ArchiveLimits> = {
    maxTotalBytes: options.maxTotalBytes ?? DEFAULTS.maxTotalBytes,
    maxEntryBytes: options.maxEntryBytes ?? options.maxTotalBytes ?? DEFAULTS.maxEntryBytes,
    maxEntries: options.maxEntries ?? DEFAULTS.maxEntries,
    maxCompressionRatio: options.maxCompressionRatio ?? DEFAULTS.maxCompressionRatio,
  };
  const input = await openInput(source, archive);
  const extract = tarStream.extract();
  const abort = new AbortController();
  const feeding = feed(input, extract, limits, archive, abort.signal).then(
    () => undefined,
    (error: unknown) => {
      // The parser must see the failure too, or the consumer would wait for entries forever.
      extract.destroy(error instanceof Error ? error : new Error(String(error)));
      return error;
    },
  );
  let entries = 0;
  let total = 0;
  let completed = false;
  try {
    const iterator = extract[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<EntryStream>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw archiveError(archive, error);
      }
      if (next.done === true) break;
      const stream = next.value;
      const header = stream.header;
      entries++;
      if (entries > limits.maxEntries) throw limitError(archive, `it has more than ${limits.maxEntries} entries`);
      let entry: TarEntry;
      try {
        entry = checkEntry(stream, header);
      } catch (error) {
        throw archiveError(archive, error);
      }
      if (entry.kind === 'file') {
        if (header.size > limits.maxEntryBytes) {
          throw limitError(
            archive,
            `entry '${header.name}' is ${header.size} bytes, more than the ${limits.maxEntryBytes} allowed per entry`,
          );
        }
        total += header.size;
        if (total > limits.maxTotalBytes) {
          throw limitError(archive, `its entries add up to more than the ${limits.maxTotalBytes} bytes allowed`);
        }
      }
      if (entry.kind !== 'file' || entry.path === '') stream.resume();
      if (entry.path === '') continue;
      yield entry;
      // Whatever the consumer left unread is skipped, so the parser can move on.
      stream.resume();
    }
    const failure = await feeding;
    if (failure !== undefined) throw archiveError(archive, failure);
    completed = true;
  } finally {
    if (!completed) {
      abort.abort();
      extract.destroy();
      await feeding;
      await input.close().catch(() => undefined);
    }
  }

  function checkEntry(stream: EntryStream, header: Header): TarEntry {
    const type = header.type as string | null;
    const entryPath = normalizeEntryPath(header.name);
    let kind: EntryKind;
    switch (type) {
      case 'file':
      case 'contiguous-file': // POSIX: read as a regular file
        kind = 'file';
        break;
      case 'directory':
        kind = 'directory';
        break;
      case 'symlink':
        kind = 'symlink';
        break;
      case 'link':
        kind = 'hardlink';
        break;
      case 'character-device':
      case 'block-device':
      case 'fifo':
        throw new UnsafeEntryError(header.name, `is a ${type}, which an archive we extract must not contain`);
      default:
        throw new UnsafeEntryError(header.name, `has an unsupported entry type (${type ?? 'unknown type flag'})`);
    }
    // GNU sparse files in PAX form would come out as their sparse map, not their content.
    const pax = header.pax as Record<string, string> | null | undefined;
    if (pax != null && Object.keys(pax).some((key) => key.startsWith('GNU.sparse.'))) {
      throw new UnsafeEntryError(header.name, 'is a GNU sparse file, which is not supported');
    }
    if (entryPath === '' && kind !== 'directory') throw new UnsafeEntryError(header.name, 'names the destination directory itself');
    return {
      header,
      path: entryPath,
      kind,
      chunks: async function* () {
        try {
          for await (const chunk of stream) yield chunk as Buffer;
        } catch (error) {
          throw archiveError(archive, error);
        }
      },
    };
  }
}

/** Pumps the (decompressed) bytes into the parser with backpressure, watching the compression ratio. */
async function feed(
  input: ArchiveInput,
  extract: Extract,
  limits: Required<ArchiveLimits>,
  archive: string,
  signal: AbortSignal,
): Promise<void> {
  let compressed = 0;
  let uncompressed = 0;
  async function* countCompressed(chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      compressed += chunk.length;
      yield chunk;
    }
  }
  async function sink(chunks: AsyncIterable<Buffer>): Promise<void> {
    for await (const chunk of chunks) {
      uncompressed += chunk.length;
      if (input.gzip && uncompressed > RATIO_GRACE_BYTES && uncompressed > limits.maxCompressionRatio * compressed) {
        throw limitError(archive, `it expands more than ${limits.maxCompressionRatio} times (${uncompressed} bytes from ${compressed})`);
      }
      if (!extract.write(chunk)) await drained(extract);
    }
    extract.end(null);
  }
  if (input.gzip) await pipeline(input.chunks, countCompressed, createGunzip(), sink, { signal });
  else await pipeline(input.chunks, countCompressed, sink, { signal });
}

function drained(extract: Extract): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      extract.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      extract.off('drain', onDrain);
      reject(new Error('the tar parser stopped'));
    };
    extract.once('drain', onDrain);
    extract.once('close', onClose);
  });
}
