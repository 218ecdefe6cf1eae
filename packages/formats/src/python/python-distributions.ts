import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import { hasZipMagic, readZipEntries } from '../zip/zip-archive.ts';
import { parseCoreMetadata, type CoreMetadata } from './core-metadata.ts';
import { normalizePythonName } from './python-names.ts';
import { parseRecord, type RecordEntry } from './record-file.ts';
import { readTarGzMembers } from '../tar/tar-gz-members.ts';

/**
 * Python distribution files: where each keeps its core metadata.
 *  - wheel (.whl, packaging.python.org/en/latest/specifications/binary-distribution-format/): a ZIP
 *    with `{name}-{version}.dist-info/METADATA`, `RECORD` and `WHEEL` at the top level;
 *  - sdist (.tar.gz, or .zip from old tools; .../source-distribution-format/): one top-level
 *    directory `{name}-{version}/` holding `PKG-INFO`;
 *  - egg (.egg, setuptools' legacy format): a ZIP with `EGG-INFO/PKG-INFO`.
 */

export interface PythonDistribution {
  metadata: CoreMetadata;
  /** Path of the metadata file inside the archive. */
  metadataPath: string;
  /** RECORD rows (wheels). */
  record?: RecordEntry[];
  /** WHEEL file fields (Wheel-Version, Generator, Root-Is-Purelib, Tag...), wheels only. */
  wheel?: Map<string, string[]>;
}

/**
 * Wheel file name: `{distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl`;
 * undefined when the name does not follow the convention.
 */
export function parseWheelFileName(fileName: string): { distribution: string; version: string; tags: string[] } | undefined {
  if (!fileName.endsWith('.whl')) return undefined;
  const parts = fileName.slice(0, -'.whl'.length).split('-');
  if (parts.length !== 5 && parts.length !== 6) return undefined;
  const [distribution, version] = parts as [string, string];
  return { distribution, version, tags: parts.slice(parts.length - 3) };
}

function notADistribution(file: string, what: string, hint: string): FactoryError {
  return new FactoryError('SBOM_UNSUPPORTED_FORMAT', `${file}: ${what}`, { subject: file, hint });
}

function metadataText(content: Buffer): string {
  return content.toString('utf8');
}

/** Reads a wheel's METADATA, RECORD and WHEEL. Fails when the wheel has no *.dist-info/METADATA. */
export async function readWheel(file: string): Promise<PythonDistribution> {
  const found = await readZipEntries(file, (name) => /^[^/]+\.dist-info\/(METADATA|RECORD|WHEEL)$/.test(name));
  const dirs = [...new Set([...found.keys()].filter((n) => n.endsWith('/METADATA')).map((n) => n.slice(0, n.indexOf('/'))))].sort();
  if (dirs.length === 0) {
    throw notADistribution(
      file,
      'the wheel has no *.dist-info/METADATA',
      'rebuild the wheel with a standard build backend (pip wheel, python -m build)',
    );
  }
  // A wheel holds exactly one .dist-info; if a damaged one holds several, the file name says which is its own.
  const named = parseWheelFileName(path.basename(file));
  const own =
    dirs.find(
      (d) => named !== undefined && normalizePythonName(d.slice(0, d.lastIndexOf('-'))) === normalizePythonName(named.distribution),
    ) ?? dirs[0];
  const metadataPath = `${own}/METADATA`;
  const distribution: PythonDistribution = {
    metadata: parseCoreMetadata(metadataText(found.get(metadataPath) as Buffer), `${file}:${metadataPath}`),
    metadataPath,
  };
  const record = found.get(`${own}/RECORD`);
  if (record !== undefined) distribution.record = parseRecord(record.toString('utf8'));
  const wheel = found.get(`${own}/WHEEL`);
  if (wheel !== undefined) distribution.wheel = parseCoreMetadataFields(wheel.toString('utf8'));
  return distribution;
}

/** WHEEL uses the same header syntax as METADATA but has no Name/Version. */
function parseCoreMetadataFields(text: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([^:\s]+):\s*(.*)$/.exec(line);
    if (match === null) continue;
    const list = fields.get(match[1] ?? '') ?? [];
    list.push((match[2] ?? '').trim());
    fields.set(match[1] ?? '', list);
  }
  return fields;
}

/** Reads an egg's EGG-INFO/PKG-INFO; undefined when the egg has none (it cannot be identified). */
export async function readEgg(file: string): Promise<PythonDistribution | undefined> {
  const metadataPath = 'EGG-INFO/PKG-INFO';
  const found = await readZipEntries(file, (name) => name === metadataPath);
  const content = found.get(metadataPath);
  if (content === undefined) return undefined;
  return { metadata: parseCoreMetadata(metadataText(content), `${file}:${metadataPath}`), metadataPath };
}

/** True for sdist PKG-INFO locations: `{name}-{version}/PKG-INFO`, or PKG-INFO at the root of a flat archive. */
function isSdistPkgInfo(member: string): boolean {
  return /^([^/]+\/)?PKG-INFO$/.test(member);
}

/**
 * Reads an sdist's PKG-INFO (.tar.gz or .zip, told apart by magic bytes). Undefined when the
 * archive has no top-level PKG-INFO: it is some other source archive, not a Python sdist.
 */
export async function readSdist(file: string, head: Buffer): Promise<PythonDistribution | undefined> {
  let members: Map<string, Buffer>;
  if (hasZipMagic(head)) {
    members = await readZipEntries(file, isSdistPkgInfo);
  } else {
    members = (await readTarGzMembers(file, isSdistPkgInfo)).members;
  }
  // The nested one (`{name}-{version}/PKG-INFO`) is the standard place; a flat archive's is the fallback.
  const metadataPath = [...members.keys()].sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : 1))[0];
  if (metadataPath === undefined) return undefined;
  return { metadata: parseCoreMetadata(metadataText(members.get(metadataPath) as Buffer), `${file}:${metadataPath}`), metadataPath };
}
