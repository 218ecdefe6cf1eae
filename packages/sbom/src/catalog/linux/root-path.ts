import { lstat, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Paths inside a root filesystem (an unpacked image) are resolved the way the image's own
 * processes would see them, as if chrooted: an absolute symlink (`etc/os-release ->
 * /usr/lib/os-release`) points inside the root, and '..' stops at the root. Following such a link
 * on the host would read the host's files instead, or let a hostile image point anywhere.
 */

const MAX_LINK_HOPS = 40;

/** The host path of `inner` within `root`, symlinks resolved inside the root; undefined when it does not exist. */
export async function resolveInRoot(root: string, inner: string): Promise<string | undefined> {
  const queue = inner.split('/').filter((p) => p !== '' && p !== '.');
  const resolved: string[] = [];
  let hops = 0;
  while (queue.length > 0) {
    const part = queue.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = path.join(root, ...resolved, part);
    const info = await lstat(candidate).catch(() => undefined);
    if (info === undefined) return undefined;
    if (info.isSymbolicLink()) {
      hops += 1;
      if (hops > MAX_LINK_HOPS) return undefined;
      const target = await readlink(candidate);
      if (target.startsWith('/')) resolved.length = 0;
      queue.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
      continue;
    }
    resolved.push(part);
  }
  return path.join(root, ...resolved);
}

/** Reads a regular file at `inner` within `root` (symlinks resolved inside it); undefined when absent or not a file. */
export async function readFileInRoot(root: string, inner: string): Promise<Buffer | undefined> {
  const host = await resolveInRoot(root, inner);
  if (host === undefined) return undefined;
  const info = await lstat(host).catch(() => undefined);
  if (info?.isFile() !== true) return undefined;
  return readFile(host);
}

/**
 * The root filesystem a database file sits in, from its path: the part before `suffix`
 * (e.g. 'var/lib/dpkg/status'). Undefined when the path does not end that way.
 */
export function rootFilesystemOf(file: string, suffix: RegExp): string | undefined {
  const normalized = file.split(path.sep).join('/');
  const match = suffix.exec(normalized);
  if (match === null) return undefined;
  const root = normalized.slice(0, match.index);
  return root === '' ? '/' : root;
}
