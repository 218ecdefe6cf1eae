import { FactoryError, type ExecRunner } from '@packaging-factory/core';
import { listArMembers, readArMember, type ArMember } from './ar-archive.ts';
import { parseDeb822, Deb822SyntaxError, type Deb822Paragraph } from './deb822.ts';
import { parseDebRelations, DebRelationSyntaxError, type DebRelationGroup } from './deb-relations.ts';
import { walkTar, type TarEntryInfo } from './tar-entries.ts';

/**
 * Reading a .deb (deb(5)): the ar container is parsed here in TypeScript and checked before any
 * tool runs; the compressed control.tar.* and data.tar.* members are unpacked by the real
 * `dpkg-deb` (it knows every compressor dpkg ever shipped) and their tar streams parsed with tar-stream.
 */

/** The relationship fields of Policy §7, in the order dpkg lists them. */
export const DEB_RELATION_FIELDS = [
  'Pre-Depends',
  'Depends',
  'Recommends',
  'Suggests',
  'Enhances',
  'Breaks',
  'Conflicts',
  'Provides',
  'Replaces',
] as const;
export type DebRelationField = (typeof DEB_RELATION_FIELDS)[number];

export interface DebArchiveLayout {
  /** Content of the debian-binary member, e.g. '2.0'. */
  formatVersion: string;
  controlMember: ArMember;
  dataMember: ArMember;
  members: ArMember[];
}

export interface DebControl {
  /** The control paragraph's fields, names as written, in file order. */
  fields: Record<string, string>;
  package: string;
  version: string;
  architecture: string;
  maintainer?: string;
  /** Installed-Size in KiB (Policy §5.6.20). */
  installedSize?: number;
  /** The Source field split (Policy §5.6.1): defaults to the binary package's name and version. */
  source: { name: string; version: string };
  section?: string;
  priority?: string;
  homepage?: string;
  multiArch?: string;
  description?: { synopsis: string; extended?: string };
  depends: DebRelationGroup[];
  preDepends: DebRelationGroup[];
  /** Every relationship field present, parsed. */
  relations: Partial<Record<DebRelationField, DebRelationGroup[]>>;
  /** Other members of control.tar (md5sums, conffiles, maintainer scripts), sorted. */
  controlFiles: string[];
}

export interface DebFileEntry {
  /** Installed path, absolute ('/usr/bin/hello'). */
  path: string;
  type: TarEntryInfo['type'];
  mode: number;
  size: number;
  sha256?: string;
  linkTarget?: string;
  owner: string;
  group: string;
  mtime: number;
}

const DPKG_HINT = 'dpkg';

function corrupt(file: string, message: string, cause?: unknown): FactoryError {
  return new FactoryError('ARCHIVE_CORRUPT', `${file} is not a valid Debian package: ${message}`, {
    subject: file,
    hint: 'the file is truncated or not a .deb; rebuild or download it again',
    cause,
  });
}

/**
 * Checks the ar layout deb(5) prescribes: 'debian-binary' first holding '2.x', then
 * control.tar[.gz|.xz|.zst], then data.tar[.*]; members starting with '_' (signatures) may sit between.
 */
export async function readDebLayout(file: string): Promise<DebArchiveLayout> {
  const members = await listArMembers(file);
  const [first] = members;
  if (first?.name !== 'debian-binary') throw corrupt(file, "the first ar member is not 'debian-binary'");
  if (first.size > 64) throw corrupt(file, 'the debian-binary member is implausibly large');
  const formatVersion = (await readArMember(file, first)).toString('latin1').trim();
  if (!/^2\.\d+$/.test(formatVersion)) throw corrupt(file, `unsupported format version '${formatVersion}' (expected 2.x)`);
  const rest = members.slice(1).filter((m) => !m.name.startsWith('_'));
  const controlMember = rest[0];
  const dataMember = rest[1];
  if (controlMember === undefined || !/^control\.tar(\.(gz|xz|zst|bz2|lzma))?$/.test(controlMember.name)) {
    throw corrupt(file, 'the control.tar member is missing or misplaced');
  }
  if (dataMember === undefined || !/^data\.tar(\.(gz|xz|zst|bz2|lzma))?$/.test(dataMember.name)) {
    throw corrupt(file, 'the data.tar member is missing or misplaced');
  }
  return { formatVersion, controlMember, dataMember, members };
}

/** Reads one ar member's raw bytes by name (e.g. a debsigs '_gpgorigin' signature). Undefined when absent. */
export async function readDebMember(file: string, name: string): Promise<Buffer | undefined> {
  const { members } = await readDebLayout(file);
  const member = members.find((m) => m.name === name);
  return member === undefined ? undefined : readArMember(file, member);
}

async function dpkgDebTar(file: string, which: '--ctrl-tarfile' | '--fsys-tarfile', exec: ExecRunner): Promise<Buffer> {
  await readDebLayout(file);
  await exec.require('dpkg-deb', DPKG_HINT);
  try {
    const result = await exec.run('dpkg-deb', [which, file], { binaryStdout: true });
    return result.stdoutBytes;
  } catch (error) {
    if (error instanceof FactoryError && error.code === 'TOOL_FAILED' && error.message.includes('more than the runner captures')) {
      // The exec runner captures at most 64 MiB of output: a bigger tree is a limit, not damage.
      throw new FactoryError(
        'ARCHIVE_LIMIT',
        `${file}: the uncompressed ${which === '--ctrl-tarfile' ? 'control' : 'data'} tree is too large to read`,
        {
          subject: file,
          cause: error,
        },
      );
    }
    if (error instanceof FactoryError && error.code === 'TOOL_FAILED') {
      // The ar layout was fine, so dpkg-deb failing means a damaged compressed member.
      throw corrupt(file, `dpkg-deb ${which} failed`, error);
    }
    throw error;
  }
}

function relationField(file: string, paragraph: Deb822Paragraph, name: string): DebRelationGroup[] {
  try {
    return parseDebRelations(paragraph.get(name));
  } catch (error) {
    if (error instanceof DebRelationSyntaxError) throw corrupt(file, `the ${name} field is malformed: ${error.message}`, error);
    throw error;
  }
}

/** Turns a parsed control paragraph into DebControl (used for packages and for staged DEBIAN/control). */
export function debControlFromParagraph(file: string, paragraph: Deb822Paragraph, controlFiles: string[] = []): DebControl {
  const required = (name: string): string => {
    const value = paragraph.get(name);
    if (value === undefined || value.trim() === '') throw corrupt(file, `the control file has no ${name} field`);
    return value.trim();
  };
  const pkg = required('Package');
  const version = required('Version');
  const control: DebControl = {
    fields: paragraph.toRecord(),
    package: pkg,
    version,
    architecture: required('Architecture'),
    source: { name: pkg, version },
    depends: relationField(file, paragraph, 'Depends'),
    preDepends: relationField(file, paragraph, 'Pre-Depends'),
    relations: {},
    controlFiles,
  };
  for (const name of DEB_RELATION_FIELDS) {
    if (paragraph.has(name)) control.relations[name] = relationField(file, paragraph, name);
  }
  const optional: [keyof DebControl & ('maintainer' | 'section' | 'priority' | 'homepage' | 'multiArch'), string][] = [
    ['maintainer', 'Maintainer'],
    ['section', 'Section'],
    ['priority', 'Priority'],
    ['homepage', 'Homepage'],
    ['multiArch', 'Multi-Arch'],
  ];
  for (const [key, name] of optional) {
    const value = paragraph.get(name)?.trim();
    if (value !== undefined && value !== '') control[key] = value;
  }
  const installedSize = paragraph.get('Installed-Size')?.trim();
  if (installedSize !== undefined) {
    if (!/^\d+$/.test(installedSize)) throw corrupt(file, `Installed-Size '${installedSize}' is not a number of KiB`);
    control.installedSize = Number(installedSize);
  }
  const source = paragraph.get('Source')?.trim();
  if (source !== undefined && source !== '') {
    // Policy §5.6.1: "Source: name (version)" when the source version differs from the binary's.
    const match = /^(\S+)(?:\s+\((\S+)\))?$/.exec(source);
    if (match === null) throw corrupt(file, `the Source field '${source}' is malformed`);
    control.source = { name: match[1] ?? pkg, version: match[2] ?? version };
  }
  const description = paragraph.get('Description');
  if (description !== undefined) control.description = debDescription(description);
  return control;
}

/** Splits a Description value into its synopsis and extended text, ' .' lines rendered empty (Policy §5.6.13). */
export function debDescription(value: string): { synopsis: string; extended?: string } {
  const [synopsis = '', ...rest] = value.split('\n');
  const extended = rest
    .map((line) => (line.trim() === '.' ? '' : line.replace(/^ /, '')))
    .join('\n')
    .trim();
  return extended === '' ? { synopsis: synopsis.trim() } : { synopsis: synopsis.trim(), extended };
}

/** Parses control text (the `control` member of control.tar). */
export function parseDebControlText(file: string, text: string, controlFiles: string[] = []): DebControl {
  let paragraphs: Deb822Paragraph[];
  try {
    paragraphs = parseDeb822(text);
  } catch (error) {
    if (error instanceof Deb822SyntaxError) throw corrupt(file, `the control file is malformed (${error.message})`, error);
    throw error;
  }
  const [paragraph] = paragraphs;
  if (paragraph === undefined) throw corrupt(file, 'the control file is empty');
  if (paragraphs.length > 1) throw corrupt(file, 'the control file holds more than one paragraph');
  return debControlFromParagraph(file, paragraph, controlFiles);
}

/** Reads and parses the control metadata of a .deb. */
export async function readDebControl(file: string, exec: ExecRunner): Promise<DebControl> {
  const tarBytes = await dpkgDebTar(file, '--ctrl-tarfile', exec);
  let controlText: string | undefined;
  const entries = await walkTar(tarBytes, {
    archive: file,
    capture: (entry) => entry.path === 'control',
    onContent: (_entry, content) => {
      controlText = content.toString('utf8');
    },
    maxCaptureBytes: 1024 * 1024,
  });
  if (controlText === undefined) throw corrupt(file, 'control.tar has no control file');
  const controlFiles = entries
    .filter((e) => e.type === 'file' && e.path !== 'control')
    .map((e) => e.path)
    .sort();
  return parseDebControlText(file, controlText, controlFiles);
}

export interface DebDataScan {
  files: DebFileEntry[];
  /** Contents of the entries selected by `capture`, keyed by installed path. */
  captured: Map<string, Buffer>;
}

function toFileEntry(entry: TarEntryInfo): DebFileEntry {
  const out: DebFileEntry = {
    path: `/${entry.path}`,
    type: entry.type,
    mode: entry.mode,
    size: entry.size,
    owner: entry.uname ?? String(entry.uid),
    group: entry.gname ?? String(entry.gid),
    mtime: entry.mtime,
  };
  if (entry.sha256 !== undefined) out.sha256 = entry.sha256;
  if (entry.linkTarget !== undefined) out.linkTarget = entry.type === 'hardlink' ? `/${entry.linkTarget}` : entry.linkTarget;
  return out;
}

/**
 * Lists the data tree of a .deb with sha256 for every regular file, streaming through the hash;
 * `capture(path)` selects files whose content is also returned (e.g. every package-lock.json).
 */
export async function scanDebData(file: string, exec: ExecRunner, capture?: (installedPath: string) => boolean): Promise<DebDataScan> {
  const tarBytes = await dpkgDebTar(file, '--fsys-tarfile', exec);
  const captured = new Map<string, Buffer>();
  const entries = await walkTar(tarBytes, {
    archive: file,
    capture: capture === undefined ? undefined : (entry) => capture(`/${entry.path}`),
    onContent: (entry, content) => captured.set(`/${entry.path}`, content),
  });
  const files = entries
    .filter((e) => e.path !== '')
    .map(toFileEntry)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, captured };
}

/** Lists the data tree of a .deb (sorted by path, sha256 for regular files). */
export async function listDebFiles(file: string, exec: ExecRunner): Promise<DebFileEntry[]> {
  return (await scanDebData(file, exec)).files;
}

function installedPath(innerPath: string): string {
  const trimmed = innerPath.replace(/^\.?\/+/, '');
  return `/${trimmed}`;
}

/** Reads one regular file from a .deb's data tree; FILE_NOT_FOUND when it is absent or not a regular file. */
export async function extractDebFile(file: string, innerPath: string, exec: ExecRunner): Promise<Buffer> {
  const wanted = installedPath(innerPath);
  const { files, captured } = await scanDebData(file, exec, (p) => p === wanted);
  const content = captured.get(wanted);
  if (content !== undefined) return content;
  const entry = files.find((f) => f.path === wanted);
  throw new FactoryError(
    'FILE_NOT_FOUND',
    entry === undefined ? `${file} has no ${wanted}` : `${wanted} in ${file} is a ${entry.type}, not a regular file`,
    { subject: `${file}:${wanted}` },
  );
}
