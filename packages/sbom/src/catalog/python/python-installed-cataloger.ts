import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import { normalizePythonName, parseCoreMetadata, parseRecord, readMetadataHeaders, type RecordEntry } from '@packaging-factory/formats';
import type { Cataloger } from '../cataloger.ts';
import { pythonComponent, pythonPurl, sortPythonProperties } from './python-component.ts';

/**
 * Installed Python distributions (packaging.python.org/en/latest/specifications/recording-installed-packages/):
 * `<name>-<version>.dist-info/METADATA` (pip, wheels), `<name>.egg-info/PKG-INFO` or a single
 * `<name>.egg-info` file (setuptools, distutils), `<name>.egg/EGG-INFO/PKG-INFO` (unzipped eggs),
 * and a PKG-INFO anywhere (an unpacked sdist, a source tree's metadata). Requires-Dist is linked to
 * the distributions installed beside it in the same directory (site-packages).
 */

const INSTALLED_PATTERNS = [
  /(^|\/)[^/]+\.dist-info\/METADATA$/,
  /(^|\/)[^/]+\.egg-info\/PKG-INFO$/,
  /(^|\/)[^/]+\.egg\/EGG-INFO\/PKG-INFO$/,
];

function looksLikeCoreMetadata(head: Buffer): boolean {
  return /^\uFEFF?Metadata-Version:[ \t]*\d/.test(head.toString('utf8', 0, Math.min(head.length, 64)));
}

/** The directory whose entries are the installed distributions (site-packages) for one metadata file. */
function siteDirOf(metadataFile: string, relative: string): string {
  if (/\.dist-info\/METADATA$|\.egg-info\/PKG-INFO$/.test(relative)) return path.dirname(path.dirname(metadataFile));
  if (/\.egg\/EGG-INFO\/PKG-INFO$/.test(relative)) return path.dirname(path.dirname(path.dirname(metadataFile)));
  return path.dirname(metadataFile);
}

/** Metadata files of the distributions installed directly in `dir`. */
async function siblingMetadataFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.name.endsWith('.dist-info') && entry.isDirectory()) files.push(path.join(full, 'METADATA'));
    else if (entry.name.endsWith('.egg-info')) files.push(entry.isDirectory() ? path.join(full, 'PKG-INFO') : full);
    else if (entry.name.endsWith('.egg') && entry.isDirectory()) files.push(path.join(full, 'EGG-INFO', 'PKG-INFO'));
  }
  return files.sort();
}

/** Name and Version from the headers at the top of a metadata file (the description can be long: read 16 KiB first). */
async function nameAndVersion(file: string): Promise<{ name: string; version: string } | undefined> {
  const read = async (bytes?: number): Promise<string> => {
    if (bytes === undefined) return readFile(file, 'utf8');
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
      return buffer.toString('utf8', 0, bytesRead);
    } finally {
      await handle.close();
    }
  };
  try {
    for (const bytes of [16 * 1024, undefined]) {
      const { fields } = readMetadataHeaders(await read(bytes));
      const name = fields.get('name')?.[0]?.trim();
      const version = fields.get('version')?.[0]?.trim();
      if (name && version) return { name, version };
    }
  } catch {
    // An unreadable neighbour is reported when its own file is catalogued; here it links nothing.
  }
  return undefined;
}

/**
 * Normalised name → version of each distribution installed in a directory. One site-packages holds
 * hundreds of distributions, each catalogued on its own: the index is kept for the directory's
 * current listing (its mtime changes when a distribution is added or removed), for a few directories.
 */
const siteIndexCache = new Map<string, { mtimeMs: number; index: Promise<Map<string, string>> }>();
const SITE_INDEX_CACHE_SIZE = 8;

async function siteIndex(dir: string): Promise<Map<string, string>> {
  const mtimeMs = (await stat(dir).catch(() => undefined))?.mtimeMs ?? -1;
  const cached = siteIndexCache.get(dir);
  if (cached !== undefined && cached.mtimeMs === mtimeMs) return cached.index;
  const index = (async () => {
    const found = new Map<string, string>();
    for (const file of await siblingMetadataFiles(dir)) {
      const nv = await nameAndVersion(file);
      if (nv !== undefined && !found.has(normalizePythonName(nv.name))) found.set(normalizePythonName(nv.name), nv.version);
    }
    return found;
  })();
  siteIndexCache.delete(dir);
  siteIndexCache.set(dir, { mtimeMs, index });
  while (siteIndexCache.size > SITE_INDEX_CACHE_SIZE) siteIndexCache.delete(siteIndexCache.keys().next().value as string);
  return index;
}

/** Installed distributions' metadata files. */
export const pythonInstalledCataloger: Cataloger = {
  kind: 'python-installed',
  role: 'manifest',
  matches: (c) =>
    INSTALLED_PATTERNS.some((re) => re.test(c.relative)) ||
    ((c.name.endsWith('.egg-info') || c.name === 'PKG-INFO' || c.explicit) && looksLikeCoreMetadata(c.head)),
  async catalog(target, ctx) {
    let text: string;
    try {
      text = await readFile(target.file, 'utf8');
    } catch (error) {
      throw new FactoryError('FILE_UNREADABLE', `${target.shown} cannot be read`, { subject: target.shown, cause: error });
    }
    const metadata = parseCoreMetadata(text, target.shown);
    const relative = ctx.root === undefined ? path.basename(target.file) : path.relative(ctx.root, target.file).split(path.sep).join('/');
    const siteDir = siteDirOf(target.file, relative);
    const installed = await siteIndex(siteDir);
    let record: RecordEntry[] | undefined;
    if (target.file.endsWith(`.dist-info${path.sep}METADATA`)) {
      // RECORD lists the files the installer wrote (paths relative to site-packages), with their sha256.
      const recordText = await readFile(path.join(path.dirname(target.file), 'RECORD'), 'utf8').catch(() => undefined);
      if (recordText !== undefined) record = parseRecord(recordText);
    }
    const component = pythonComponent(metadata, {
      source: target.shown,
      resolve: (requirement) => {
        const version = installed.get(requirement.normalized);
        return version === undefined ? undefined : pythonPurl(requirement.normalized, version);
      },
      ...(record === undefined ? {} : { record }),
    });
    sortPythonProperties(component);
    return { components: [component], notes: [], unreadable: [] };
  },
};
