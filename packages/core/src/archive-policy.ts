import path from 'node:path';

/** What a path in an archive is, as far as the extracted tree is concerned (hard links are files). */
export type TreeNodeKind = 'file' | 'directory' | 'symlink';

/** Why an entry is refused; the archive reader turns it into an ARCHIVE_UNSAFE FactoryError. */
export class UnsafeEntryError extends Error {
  override readonly name = 'UnsafeEntryError';
  constructor(
    readonly entry: string,
    readonly reason: string,
  ) {
    super(`entry '${entry}' ${reason}`);
  }
}

/** Symlink hops allowed while resolving a target, as Linux's MAXSYMLINKS (40) before ELOOP. */
const MAX_SYMLINK_HOPS = 40;
/** Linux's PATH_MAX: a longer name could not be created anyway, and bounds the work per entry. */
const MAX_PATH_BYTES = 4096;

/**
 * Normalises an entry name to a relative POSIX path without `.` components or a trailing slash
 * ('' for the archive root itself), or refuses it: absolute names, names that still climb with `..`
 * after normalisation, and, on Windows, names a Windows path parser would read differently.
 */
export function normalizeEntryPath(name: string): string {
  if (name.includes('\0')) throw new UnsafeEntryError(name, 'contains a NUL character');
  if (Buffer.byteLength(name) > MAX_PATH_BYTES)
    throw new UnsafeEntryError(`${name.slice(0, 100)}…`, `has a path longer than ${MAX_PATH_BYTES} bytes`);
  if (name.startsWith('/')) throw new UnsafeEntryError(name, 'has an absolute path');
  // On Windows `\` separates and `C:` roots a path: `..\\x` or `C:x` would escape where POSIX sees a plain name.
  if (process.platform === 'win32' && (name.includes('\\') || /^[A-Za-z]:/.test(name))) {
    throw new UnsafeEntryError(name, 'has a path that Windows reads as absolute or climbing');
  }
  const normalized = path.posix.normalize(name).replace(/\/+$/, '');
  if (normalized === '.' || normalized === '') return '';
  if (normalized === '..' || normalized.startsWith('../')) throw new UnsafeEntryError(name, "climbs out of the destination with '..'");
  return normalized;
}

interface TreeNode {
  kind: TreeNodeKind;
  children: Map<string, TreeNode>;
  /** Symlinks: the target as stored. */
  target?: string;
}

/**
 * The tree an archive builds, in memory: every entry is checked against it before anything touches
 * the disk, so no entry can be written through a symlink, replace a directory with something else,
 * or link to a file outside the archive. A trie, so each check costs the length of one path: a
 * hostile archive of many deep paths cannot make the checks quadratic.
 */
export class ArchiveTree {
  private readonly root: TreeNode = { kind: 'directory', children: new Map() };
  private readonly symlinks: string[] = [];

  kindOf(entryPath: string): TreeNodeKind | undefined {
    let node: TreeNode | undefined = this.root;
    for (const part of entryPath.split('/')) node = node?.children.get(part);
    return node?.kind;
  }

  /**
   * Checks that `entryPath` can become a node of `kind`: its parents are directories (or new), and
   * an existing node is only replaced by one of the same kind (a file by a file, a directory merges).
   * Returns whether the path already holds a node (a file to unlink first).
   */
  checkPlacement(entryPath: string, kind: TreeNodeKind, shownName: string): boolean {
    const parts = entryPath.split('/');
    let node = this.root;
    for (let i = 0; i < parts.length - 1; i++) {
      const child = node.children.get(parts[i]!);
      if (child === undefined) return false;
      const parent = (): string => parts.slice(0, i + 1).join('/');
      if (child.kind === 'symlink') throw new UnsafeEntryError(shownName, `would be written through the symlink '${parent()}'`);
      if (child.kind === 'file') throw new UnsafeEntryError(shownName, `needs '${parent()}' to be a directory, but it is a file`);
      node = child;
    }
    const existing = node.children.get(parts[parts.length - 1]!);
    if (existing === undefined) return false;
    if (existing.kind === kind && kind !== 'symlink') return true;
    throw new UnsafeEntryError(shownName, `would replace an earlier ${existing.kind} with a ${kind}`);
  }

  /** Records a node and its missing parent directories (call `checkPlacement` first). */
  add(entryPath: string, kind: TreeNodeKind, linkTarget?: string): void {
    const parts = entryPath.split('/');
    let node = this.root;
    for (const part of parts.slice(0, -1)) {
      let child = node.children.get(part);
      if (child === undefined) {
        child = { kind: 'directory', children: new Map() };
        node.children.set(part, child);
      }
      node = child;
    }
    const name = parts[parts.length - 1]!;
    const existing = node.children.get(name);
    if (existing !== undefined && existing.kind === 'directory' && kind === 'directory') return;
    const added: TreeNode = { kind, children: new Map() };
    if (kind === 'symlink') {
      added.target = linkTarget ?? '';
      this.symlinks.push(entryPath);
    }
    node.children.set(name, added);
  }

  /**
   * Refuses a symlink target that leaves the tree on its own: absolute, or climbing above the root
   * from the link's directory. Chains through other symlinks are checked by `checkSymlinkChains`
   * once every entry is known, since a later entry can change what an earlier target means.
   */
  static checkSymlinkTarget(entryPath: string, target: string, shownName: string): void {
    if (target === '') throw new UnsafeEntryError(shownName, 'is a symlink with an empty target');
    if (Buffer.byteLength(target) > MAX_PATH_BYTES)
      throw new UnsafeEntryError(shownName, `is a symlink to a path longer than ${MAX_PATH_BYTES} bytes`);
    if (target.startsWith('/') || (process.platform === 'win32' && (/^[A-Za-z]:/.test(target) || target.startsWith('\\')))) {
      throw new UnsafeEntryError(shownName, `is a symlink to the absolute path '${target}'`);
    }
    const joined = path.posix.normalize(path.posix.join(path.posix.dirname(entryPath), target));
    if (joined === '..' || joined.startsWith('../')) {
      throw new UnsafeEntryError(shownName, `is a symlink to '${target}', outside the destination`);
    }
  }

  /**
   * Resolves every symlink the way the kernel would, through the other symlinks of the tree, and
   * refuses any that ends outside the root or loops. Missing components resolve lexically, which
   * only ever makes the check stricter (the kernel would stop with ENOENT).
   */
  checkSymlinkChains(): void {
    for (const link of this.symlinks) {
      const parts = link.split('/');
      const stack: (TreeNode | undefined)[] = [this.root];
      for (const part of parts.slice(0, -1)) stack.push(stack[stack.length - 1]?.children.get(part));
      const node = stack[stack.length - 1]?.children.get(parts[parts.length - 1]!);
      // A later entry of the same name (refused by checkPlacement) cannot have replaced it.
      this.resolve(stack, node?.target ?? '', link, { hops: 0 });
    }
  }

  /** Walks `target` from the directory at the top of `stack` (the nodes from the root down). */
  private resolve(start: (TreeNode | undefined)[], target: string, link: string, state: { hops: number }): (TreeNode | undefined)[] {
    if (++state.hops > MAX_SYMLINK_HOPS) throw new UnsafeEntryError(link, 'is part of a symlink loop');
    if (target.startsWith('/')) throw new UnsafeEntryError(link, `resolves through the absolute path '${target}'`);
    let stack = [...start];
    for (const part of target.split('/')) {
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (stack.length === 1) throw new UnsafeEntryError(link, 'is a symlink that resolves outside the destination');
        stack.pop();
        continue;
      }
      const child = stack[stack.length - 1]?.children.get(part);
      if (child?.kind === 'symlink') stack = this.resolve(stack, child.target ?? '', link, state);
      else stack.push(child);
    }
    return stack;
  }
}
