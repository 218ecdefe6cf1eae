import { createHash, randomUUID } from 'node:crypto';
import {
  chmod,
  copyFile,
  link,
  lstat,
  lutimes,
  mkdir,
  readFile,
  readdir,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import path from 'node:path';
import { digestFile, FactoryError, type ExecRunner } from '@packaging-factory/core';
import { formatDeb822, type Deb822Field } from './deb822.ts';
import { parseDebControlText } from './deb-package.ts';
import {
  debArchitectureProblem,
  debMaintainerProblem,
  debPackageNameProblem,
  debPriorityProblem,
  debSectionProblem,
  debVersionForFileName,
  debVersionProblem,
} from './deb-policy.ts';
import { DebRelationSyntaxError, formatDebRelations, parseDebRelations } from './deb-relations.ts';

/** The control metadata the build writes into DEBIAN/control. */
export interface DebBuildMetadata {
  name: string;
  version: string;
  architecture: string;
  maintainer: string;
  /** First line: the synopsis; further lines: the extended description. */
  description: string;
  /** Relationship entries, each one requirement (`nodejs (>= 18)`, `a | b`). */
  depends: string[];
  section: string;
  priority: string;
  homepage?: string;
}

export interface DebMetadataProblem {
  field: keyof DebBuildMetadata;
  problem: string;
}

/** Checks metadata against Debian Policy; returns every problem found (empty when valid). */
export function debMetadataProblems(metadata: DebBuildMetadata): DebMetadataProblem[] {
  const problems: DebMetadataProblem[] = [];
  const add = (field: keyof DebBuildMetadata, problem: string | undefined): void => {
    if (problem !== undefined) problems.push({ field, problem });
  };
  add('name', debPackageNameProblem(metadata.name));
  add('version', debVersionProblem(metadata.version));
  add('architecture', debArchitectureProblem(metadata.architecture));
  add('maintainer', debMaintainerProblem(metadata.maintainer));
  add('section', debSectionProblem(metadata.section));
  add('priority', debPriorityProblem(metadata.priority));
  const synopsis = metadata.description.split('\n')[0]?.trim() ?? '';
  if (synopsis === '') add('description', 'the description needs a one-line synopsis (Debian Policy §5.6.13)');
  else if (synopsis.length > 80)
    add('description', `the synopsis is ${synopsis.length} characters; keep it under 80 (Debian Policy §3.4.1)`);
  for (const entry of metadata.depends) {
    try {
      parseDebRelations(entry);
    } catch (error) {
      if (!(error instanceof DebRelationSyntaxError)) throw error;
      add('depends', `'${entry}' is not a valid relationship: ${error.message} (Debian Policy §7.1)`);
    }
  }
  if (metadata.homepage !== undefined) {
    const protocol = URL.canParse(metadata.homepage) ? new URL(metadata.homepage).protocol : undefined;
    if (protocol !== 'https:' && protocol !== 'http:')
      add('homepage', `'${metadata.homepage}' is not an http(s) URL (Debian Policy §5.6.23)`);
  }
  return problems;
}

/** The .deb file name dpkg uses: `<name>_<version without epoch>_<arch>.deb`. */
export function debFileName(metadata: Pick<DebBuildMetadata, 'name' | 'version' | 'architecture'>): string {
  return `${metadata.name}_${debVersionForFileName(metadata.version)}_${metadata.architecture}.deb`;
}

/** The DEBIAN/control fields, in the order dpkg-gencontrol writes them. */
export function debControlFields(metadata: DebBuildMetadata, installedSize: number): Deb822Field[] {
  const fields: Deb822Field[] = [
    { name: 'Package', value: metadata.name },
    { name: 'Version', value: metadata.version },
    { name: 'Architecture', value: metadata.architecture },
    { name: 'Maintainer', value: metadata.maintainer },
    { name: 'Installed-Size', value: String(installedSize) },
  ];
  if (metadata.depends.length > 0) {
    fields.push({ name: 'Depends', value: formatDebRelations(metadata.depends.flatMap((entry) => parseDebRelations(entry))) });
  }
  fields.push({ name: 'Section', value: metadata.section }, { name: 'Priority', value: metadata.priority });
  if (metadata.homepage !== undefined) fields.push({ name: 'Homepage', value: metadata.homepage });
  const [synopsis = '', ...extended] = metadata.description.split('\n');
  fields.push({ name: 'Description', value: [synopsis.trim(), ...extended.map((l) => l.trimEnd())].join('\n').trimEnd() });
  return fields;
}

// Policy §10.9 and deb-maintscripts(5): these must be executable or dpkg-deb refuses the build.
const MAINTAINER_SCRIPTS = new Set(['preinst', 'postinst', 'prerm', 'postrm', 'config']);

interface StagedEntry {
  /** Path relative to the root, '/'-separated. */
  relative: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  size: number;
  sha256?: string;
  linkTarget?: string;
}

export interface StagedTree {
  entries: StagedEntry[];
  /** Newest mtime (seconds) found in the source tree. */
  newestMtime: number;
  /** Absolute symlinks: they resolve on the installed system, not in the tree. */
  absoluteLinks: string[];
  /** DEBIAN/control found in the source tree, if any. */
  stagedControl?: string;
}

function invalidTree(sourceDir: string, message: string, hint: string): FactoryError {
  return new FactoryError('INPUT_INVALID', `source-dir ${sourceDir}: ${message}`, { subject: 'source-dir', hint });
}

/**
 * Copies the staged tree to `dest` with normalised permissions (directories 0755, files 0755 when
 * any execute bit is set, else 0644; set-id and sticky bits dropped), symlinks copied verbatim.
 * Refuses what would make the package unsafe or unbuildable: relative symlinks climbing out of the
 * tree, special files, symlinks inside DEBIAN/. DEBIAN/control is returned, not copied.
 */
export async function stageTree(sourceDir: string, dest: string): Promise<StagedTree> {
  const tree: StagedTree = { entries: [], newestMtime: 0, absoluteLinks: [] };
  let info;
  try {
    info = await stat(sourceDir);
  } catch (error) {
    throw new FactoryError('FILE_NOT_FOUND', `source-dir ${sourceDir} does not exist`, {
      subject: 'source-dir',
      cause: error,
      hint: 'pass the directory holding the staged install tree (usr/, etc/, ...)',
    });
  }
  if (!info.isDirectory())
    throw invalidTree(sourceDir, 'is not a directory', 'pass a directory, or use the package input for a built file');
  await mkdir(dest, { recursive: true });
  await chmod(dest, 0o755);

  const walk = async (relativeDir: string): Promise<void> => {
    const names = (await readdir(path.join(sourceDir, relativeDir))).sort();
    for (const name of names) {
      const relative = relativeDir === '' ? name : `${relativeDir}/${name}`;
      const from = path.join(sourceDir, relative);
      const to = path.join(dest, relative);
      const entry = await lstat(from);
      tree.newestMtime = Math.max(tree.newestMtime, Math.floor(entry.mtimeMs / 1000));
      const inDebian = relative === 'DEBIAN' || relative.startsWith('DEBIAN/');
      if (entry.isSymbolicLink()) {
        if (inDebian)
          throw invalidTree(sourceDir, `${relative} is a symlink; DEBIAN/ must hold regular files`, 'replace it with the file itself');
        const target = await readlink(from);
        if (path.posix.isAbsolute(target)) {
          // Policy §10.5: links between top-level directories are absolute; they resolve on
          // the system the package is installed on, so we cannot (and need not) check them here.
          tree.absoluteLinks.push(relative);
        } else {
          const resolved = path.posix.normalize(path.posix.join(path.posix.dirname(relative), target));
          if (resolved === '..' || resolved.startsWith('../')) {
            throw invalidTree(
              sourceDir,
              `symlink ${relative} -> ${target} points outside the tree`,
              'make the link point inside the staged tree, or use an absolute target for a path on the installed system',
            );
          }
        }
        await symlink(target, to);
        tree.entries.push({ relative, type: 'symlink', mode: 0o777, size: Buffer.byteLength(target), linkTarget: target });
      } else if (entry.isDirectory()) {
        await mkdir(to);
        await chmod(to, 0o755);
        tree.entries.push({ relative, type: 'directory', mode: 0o755, size: 0 });
        await walk(relative);
      } else if (entry.isFile()) {
        if (relative === 'DEBIAN/control') {
          tree.stagedControl = await readFile(from, 'utf8');
          continue;
        }
        await copyFile(from, to);
        const executable = (entry.mode & 0o111) !== 0 || (relativeDir === 'DEBIAN' && MAINTAINER_SCRIPTS.has(name));
        const mode = executable ? 0o755 : 0o644;
        await chmod(to, mode);
        tree.entries.push({ relative, type: 'file', mode, size: entry.size, sha256: await digestFile(to) });
      } else {
        throw invalidTree(
          sourceDir,
          `${relative} is a special file (device, fifo or socket)`,
          'a package may only hold files, directories and symlinks',
        );
      }
    }
  };
  await walk('');
  return tree;
}

/**
 * Installed-Size in KiB as dpkg-gencontrol computes it: each regular file or symlink counts
 * ceil(size / 1024), every other object (directories, including the root) 1; DEBIAN/ excluded.
 */
export function installedSizeKiB(entries: readonly StagedEntry[]): number {
  let total = 1; // the package root directory
  for (const entry of entries) {
    if (entry.relative === 'DEBIAN' || entry.relative.startsWith('DEBIAN/')) continue;
    total += entry.type === 'directory' ? 1 : Math.ceil(entry.size / 1024);
  }
  return total;
}

/** A digest of the normalised tree (paths, types, modes, contents): the same tree gives the same digest. */
export function treeDigest(entries: readonly StagedEntry[]): string {
  const hash = createHash('sha256');
  const lines = entries.map((e) => `${e.type} ${e.mode.toString(8)} ${e.relative} ${e.sha256 ?? e.linkTarget ?? ''}`).sort();
  for (const line of lines) hash.update(`${line}\n`);
  return hash.digest('hex');
}

/** Compares a DEBIAN/control found in the tree with the generated one; returns the conflicts. */
export function controlConflicts(file: string, staged: string, generated: readonly Deb822Field[]): string[] {
  const existing = parseDebControlText(file, staged);
  const ours = new Map(generated.map((f) => [f.name.toLowerCase(), f.value]));
  const conflicts: string[] = [];
  const normalise = (value: string): string => value.replace(/\s+/g, ' ').trim();
  for (const [name, value] of Object.entries(existing.fields)) {
    const key = name.toLowerCase();
    // Installed-Size is computed from the tree; a stale hand-written value is not a conflict.
    if (key === 'installed-size') continue;
    const generatedValue = ours.get(key);
    if (generatedValue === undefined) conflicts.push(`${name} is not written from the stage inputs`);
    else if (
      key === 'depends' ? formatDebRelations(parseDebRelations(value)) !== generatedValue : normalise(value) !== normalise(generatedValue)
    ) {
      conflicts.push(`${name} is '${normalise(value)}' but the inputs give '${normalise(generatedValue)}'`);
    }
  }
  return conflicts;
}

/** Sets every mtime under `root` (and root itself) to `epoch`, children before parents. */
async function clampMtimes(root: string, entries: readonly StagedEntry[], epoch: number): Promise<void> {
  const ordered = [...entries].sort((a, b) => b.relative.split('/').length - a.relative.split('/').length);
  for (const entry of ordered) await lutimes(path.join(root, entry.relative), epoch, epoch);
  await lutimes(root, epoch, epoch);
}

export interface BuildDebOptions {
  sourceDir: string;
  metadata: DebBuildMetadata;
  outputDir: string;
  /** Seconds since the epoch: every mtime is set to it and dpkg-deb gets it as SOURCE_DATE_EPOCH. */
  sourceDateEpoch: number;
  /** Scratch directory (removed by the caller). */
  tempDir: string;
  exec: ExecRunner;
  env: NodeJS.ProcessEnv;
}

export interface BuildDebResult {
  file: string;
  fileName: string;
  sha256: string;
  /** True when an identical file already sat at the destination and was kept. */
  reused: boolean;
  installedSize: number;
  control: string;
  treeSha256: string;
  entryCount: number;
  absoluteLinks: string[];
}

/**
 * Builds a .deb reproducibly: stage the tree with normalised modes, write DEBIAN/control, set every
 * mtime to the epoch, run `dpkg-deb --root-owner-group -Zxz --build` with SOURCE_DATE_EPOCH, then
 * place the file under `outputDir` without ever overwriting a different file.
 */
export async function buildDeb(options: BuildDebOptions): Promise<BuildDebResult> {
  const { metadata, exec } = options;
  const root = path.join(options.tempDir, 'root');
  await rm(root, { recursive: true, force: true });
  const tree = await stageTree(options.sourceDir, root);
  const installedSize = installedSizeKiB(tree.entries);
  const fields = debControlFields(metadata, installedSize);
  if (tree.stagedControl !== undefined) {
    const conflicts = controlConflicts(path.join(options.sourceDir, 'DEBIAN/control'), tree.stagedControl, fields);
    if (conflicts.length > 0) {
      throw new FactoryError(
        'BUILD_INVALID_METADATA',
        `source-dir holds a DEBIAN/control that disagrees with the inputs: ${conflicts.join('; ')}`,
        {
          subject: 'source-dir',
          hint: 'remove DEBIAN/control from the staged tree: the stage writes it from its inputs (other DEBIAN/ files are kept)',
        },
      );
    }
  }
  const control = formatDeb822(fields);
  const debianDir = path.join(root, 'DEBIAN');
  if (!tree.entries.some((e) => e.relative === 'DEBIAN')) {
    await mkdir(debianDir);
    await chmod(debianDir, 0o755);
    tree.entries.push({ relative: 'DEBIAN', type: 'directory', mode: 0o755, size: 0 });
  }
  await writeFile(path.join(debianDir, 'control'), control);
  await chmod(path.join(debianDir, 'control'), 0o644);
  tree.entries.push({ relative: 'DEBIAN/control', type: 'file', mode: 0o644, size: Buffer.byteLength(control) });
  await clampMtimes(root, tree.entries, options.sourceDateEpoch);

  const built = path.join(options.tempDir, 'package.deb');
  await rm(built, { force: true });
  await exec.require('dpkg-deb', 'dpkg-dev');
  try {
    await exec.run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, built], {
      env: { ...options.env, PATH: options.env['PATH'] ?? process.env['PATH'], SOURCE_DATE_EPOCH: String(options.sourceDateEpoch) },
    });
  } catch (error) {
    if (error instanceof FactoryError && error.code === 'TOOL_FAILED') {
      throw new FactoryError('BUILD_FAILED', `dpkg-deb could not build ${debFileName(metadata)}: ${error.message}`, {
        subject: 'source-dir',
        cause: error,
        hint: 'fix the staged tree or the metadata as dpkg-deb says',
      });
    }
    throw error;
  }
  const fileName = debFileName(metadata);
  let placed: Awaited<ReturnType<typeof placeWithoutClobber>>;
  try {
    placed = await placeWithoutClobber(built, options.outputDir, fileName);
  } finally {
    // The staged copy can be as large as the package: do not leave it in the runner's temp space.
    await rm(root, { recursive: true, force: true });
    await rm(built, { force: true });
  }
  const { file, sha256, reused } = placed;
  return {
    file,
    fileName,
    sha256,
    reused,
    installedSize,
    control,
    treeSha256: treeDigest(tree.entries.filter((e) => !e.relative.startsWith('DEBIAN'))),
    entryCount: tree.entries.length,
    absoluteLinks: tree.absoluteLinks,
  };
}

/**
 * Moves `source` to `dir/name` atomically and without overwriting: the bytes go to a temp file in
 * the destination directory, then link(2) publishes it (fails if the name exists). An existing file
 * with the same digest is reused; a different one is refused.
 */
export async function placeWithoutClobber(
  source: string,
  dir: string,
  name: string,
): Promise<{ file: string; sha256: string; reused: boolean }> {
  await mkdir(dir, { recursive: true });
  const destination = path.join(dir, name);
  const sha256 = await digestFile(source);
  const temp = path.join(dir, `.${name}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
  await copyFile(source, temp);
  try {
    try {
      await link(temp, destination);
      return { file: destination, sha256, reused: false };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') {
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV') {
          // File systems without hard links: fall back to check-then-rename.
          const exists = await stat(destination).then(
            () => true,
            () => false,
          );
          if (!exists) {
            await rename(temp, destination);
            return { file: destination, sha256, reused: false };
          }
        } else {
          throw error;
        }
      }
    }
    const existing = await digestFile(destination);
    if (existing === sha256) return { file: destination, sha256, reused: true };
    throw new FactoryError(
      'BUILD_OUTPUT_CONFLICT',
      `${destination} already exists with different content (sha256 ${existing}, new build ${sha256})`,
      {
        subject: 'output-dir',
        hint: 'a release file never changes under the same name: bump the version, or remove the old file deliberately',
      },
    );
  } finally {
    await rm(temp, { force: true });
  }
}
