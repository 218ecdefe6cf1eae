import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import yazl from 'yazl';
import { FIXTURES } from '../vuln/fixtures.ts';

export const MATCHING_DB = path.join(FIXTURES, 'osv-matching', 'db');

export interface ZipEntrySpec {
  name: string;
  data: Buffer | string;
  /** Store instead of deflate. */
  store?: boolean;
  /** Write ZIP64 extra fields for this entry (APPNOTE §4.5.3) even though it is small. */
  zip64?: boolean;
}

/** Writes a ZIP archive with yazl, entries in the given order; `zip64End` as an archive of more than 65,535 entries has it. */
export async function writeZip(file: string, entries: readonly ZipEntrySpec[], options: { zip64End?: boolean } = {}): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  const zip = new yazl.ZipFile();
  const out = createWriteStream(file);
  zip.outputStream.pipe(out);
  for (const entry of entries) {
    zip.addBuffer(Buffer.isBuffer(entry.data) ? entry.data : Buffer.from(entry.data), entry.name, {
      compress: entry.store !== true,
      forceZip64Format: entry.zip64 === true,
      mtime: new Date(Date.UTC(2025, 0, 2, 3, 4, 6)),
    });
  }
  // forceZip64Format on end(): the ZIP64 end records are written and the classic one holds 0xffff/0xffffffff.
  zip.end({ forceZip64Format: options.zip64End === true, comment: '' });
  await once(out, 'close');
  return file;
}

/**
 * Writes one `<ECOSYSTEM>/all.zip` per ecosystem folder of a database directory, flat `<ID>.json`
 * entries with the files' bytes, as osv.dev's `gs://osv-vulnerabilities/<ECOSYSTEM>/all.zip` dumps.
 */
export async function writeEcosystemDumps(sourceDb: string, outDir: string, options: { zip64?: boolean } = {}): Promise<string[]> {
  const written: string[] = [];
  for (const ecosystem of (await readdir(sourceDb)).sort()) {
    const dir = path.join(sourceDb, ecosystem);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    const entries: ZipEntrySpec[] = [];
    for (const file of files) entries.push({ name: file, data: await readFile(path.join(dir, file)), zip64: options.zip64 === true });
    written.push(await writeZip(path.join(outDir, ecosystem, 'all.zip'), entries));
  }
  return written;
}
