import { readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_ZIP_LIMITS, hasZipMagic, listZipEntries, readZipEntries } from '@packaging-factory/formats';
import { tempDir } from '../support/context.ts';
import { factoryError, requireTool, run, zipFiles } from './app-tools.ts';

/**
 * The shared ZIP reader (packages/formats/src/zip/zip-archive.ts) on archives built by Info-ZIP
 * `zip`, cross-checked with `unzip`, and on damaged copies of them.
 */

const zipAvailable = (await requireTool('zip', ['-v'], 'zip')) && (await requireTool('unzip', ['-v'], 'unzip'));
const describeWithZip = zipAvailable ? describe : describe.skip;

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function workDir(): Promise<string> {
  const dir = await tempDir('apps-zip-');
  dirs.push(dir);
  return dir;
}

/** Replaces every occurrence of `from` with `to` (same length) in the file: names live in both the local and the central header. */
async function patchBytes(file: string, from: string, to: string): Promise<void> {
  if (from.length !== to.length) throw new Error('patch must keep the length');
  const bytes = await readFile(file);
  const needle = Buffer.from(from, 'latin1');
  let at = bytes.indexOf(needle);
  if (at < 0) throw new Error(`${from} not in ${file}`);
  while (at >= 0) {
    bytes.write(to, at, 'latin1');
    at = bytes.indexOf(needle, at + 1);
  }
  await writeFile(file, bytes);
}

const TEXT = 'hello, zip\n'.repeat(200);

describeWithZip('zip-archive: reading archives built by Info-ZIP zip', () => {
  let archive: string;

  beforeAll(async () => {
    const dir = await workDir();
    archive = await zipFiles(dir, path.join(dir, 'sample.zip'), {
      'docs/readme.txt': TEXT,
      'bin/tool.sh': '#!/bin/sh\necho tool\n',
      'empty.txt': '',
    });
    // -r adds the directory entries too, the way most archivers write them.
    await run('zip', ['-q', '-X', '-r', archive, 'docs'], { cwd: dir });
  });

  test('hasZipMagic accepts local-header and empty-archive signatures only', async () => {
    expect(hasZipMagic((await readFile(archive)).subarray(0, 8))).toBe(true);
    expect(hasZipMagic(Buffer.from('PK\x05\x06', 'latin1'))).toBe(true);
    expect(hasZipMagic(Buffer.from('PK\x07\x08', 'latin1'))).toBe(false);
    expect(hasZipMagic(Buffer.from('\x1f\x8b\x08\x00', 'latin1'))).toBe(false);
    expect(hasZipMagic(Buffer.from('PK'))).toBe(false);
  });

  test('lists the central directory in stored order, as unzip -Z1 does', async () => {
    const entries = await listZipEntries(archive);
    const { stdout } = await run('unzip', ['-Z1', archive]);
    expect(entries.map((e) => e.name)).toEqual(stdout.trim().split('\n'));
    const readme = entries.find((e) => e.name === 'docs/readme.txt');
    expect(readme).toMatchObject({ uncompressedSize: TEXT.length, isDirectory: false });
    expect(readme?.compressedSize).toBeLessThan(TEXT.length);
    expect(entries.find((e) => e.name === 'docs/')?.isDirectory).toBe(true);
  });

  test('reads the selected entries inflated, byte for byte what unzip -p extracts', async () => {
    const found = await readZipEntries(archive, (name) => name.endsWith('.txt') || name.endsWith('.sh'));
    expect([...found.keys()].sort()).toEqual(['bin/tool.sh', 'docs/readme.txt', 'empty.txt']);
    const { stdout } = await run('unzip', ['-p', archive, 'docs/readme.txt']);
    expect(found.get('docs/readme.txt')?.toString()).toBe(stdout);
    expect(found.get('empty.txt')?.length).toBe(0);
  });

  test('reads stored (uncompressed) entries too', async () => {
    const dir = await workDir();
    const stored = await zipFiles(dir, path.join(dir, 'stored.zip'), { 'a.txt': TEXT }, ['-0']);
    const [entry] = await listZipEntries(stored);
    expect(entry?.compressedSize).toBe(entry?.uncompressedSize);
    expect((await readZipEntries(stored, () => true)).get('a.txt')?.toString()).toBe(TEXT);
  });

  test('a name stored twice keeps its first copy', async () => {
    const dir = await workDir();
    const twice = await zipFiles(dir, path.join(dir, 'twice.zip'), { 'one.txt': 'first', 'two.txt': 'second' }, ['-0']);
    await patchBytes(twice, 'two.txt', 'one.txt');
    expect((await listZipEntries(twice)).map((e) => e.name)).toEqual(['one.txt', 'one.txt']);
    expect((await readZipEntries(twice, () => true)).get('one.txt')?.toString()).toBe('first');
  });

  test('limits: too many entries, one entry too large, too much in total are ARCHIVE_LIMIT', async () => {
    const entries = await listZipEntries(archive);
    expect((await factoryError(() => listZipEntries(archive, { ...DEFAULT_ZIP_LIMITS, maxEntries: entries.length - 1 }))).code).toBe(
      'ARCHIVE_LIMIT',
    );
    // Listing never inflates, so a small per-entry limit does not stop it; reading the big entry does.
    await expect(listZipEntries(archive, { ...DEFAULT_ZIP_LIMITS, maxEntryBytes: 10 })).resolves.toHaveLength(entries.length);
    const tooBig = await factoryError(() =>
      readZipEntries(archive, (n) => n === 'docs/readme.txt', { ...DEFAULT_ZIP_LIMITS, maxEntryBytes: TEXT.length - 1 }),
    );
    expect(tooBig.code).toBe('ARCHIVE_LIMIT');
    expect(tooBig.message).toContain('docs/readme.txt');
    await expect(
      readZipEntries(archive, (n) => n === 'docs/readme.txt', { ...DEFAULT_ZIP_LIMITS, maxEntryBytes: TEXT.length }),
    ).resolves.toHaveProperty('size', 1);
    const total = await factoryError(() => readZipEntries(archive, () => true, { ...DEFAULT_ZIP_LIMITS, maxTotalBytes: TEXT.length + 5 }));
    expect(total.code).toBe('ARCHIVE_LIMIT');
  });

  test("an entry named '../x' or '/x' is ARCHIVE_UNSAFE, for listing and reading", async () => {
    const dir = await workDir();
    await zipFiles(dir, path.join(dir, 'inner-placeholder.zip'), { 'inner/x.txt': 'x' });
    // Info-ZIP keeps '../' when told to store it: a real archive with a climbing entry name.
    const climbing = path.join(dir, 'inner', 'climb.zip');
    await run('zip', ['-q', '-X', climbing, '../inner-placeholder.zip'], { cwd: path.join(dir, 'inner') });
    const { stdout } = await run('unzip', ['-Z1', climbing]);
    expect(stdout.trim()).toBe('../inner-placeholder.zip');
    for (const action of [() => listZipEntries(climbing), () => readZipEntries(climbing, () => true)]) {
      const error = await factoryError(action);
      expect(error.code).toBe('ARCHIVE_UNSAFE');
      expect(error.message).toContain(climbing);
    }
    const absolute = await zipFiles(dir, path.join(dir, 'absolute.zip'), { 'Xtmp/evil.txt': 'x' });
    await patchBytes(absolute, 'Xtmp/evil.txt', '/tmp/evil.txt');
    expect((await factoryError(() => listZipEntries(absolute))).code).toBe('ARCHIVE_UNSAFE');
  });

  test('a truncated archive is ARCHIVE_CORRUPT at every cut through the end records and data', async () => {
    const bytes = await readFile(archive);
    const dir = await workDir();
    const cuts = [0, 4, Math.floor(bytes.length / 2), bytes.length - 30, bytes.length - 10, bytes.length - 1];
    for (const cut of cuts) {
      const copy = path.join(dir, `cut-${cut}.zip`);
      await writeFile(copy, bytes);
      await truncate(copy, cut);
      const error = await factoryError(() => readZipEntries(copy, () => true));
      expect(error.code).toBe('ARCHIVE_CORRUPT');
      expect(error.subject).toBe(copy);
    }
  });

  test('a file that is not a ZIP at all is ARCHIVE_CORRUPT', async () => {
    const dir = await workDir();
    const notZip = path.join(dir, 'not.zip');
    await writeFile(notZip, Buffer.alloc(4096, 0x41));
    expect((await factoryError(() => listZipEntries(notZip))).code).toBe('ARCHIVE_CORRUPT');
  });

  test('an entry whose declared size disagrees with its data is ARCHIVE_CORRUPT', async () => {
    const dir = await workDir();
    const lying = await zipFiles(dir, path.join(dir, 'lying.zip'), { 'a.txt': TEXT });
    const bytes = await readFile(lying);
    // Central directory header: signature PK\x01\x02, uncompressed size at +24.
    const cd = bytes.indexOf(Buffer.from('PK\x01\x02', 'latin1'));
    bytes.writeUInt32LE(TEXT.length + 7, cd + 24);
    await writeFile(lying, bytes);
    expect((await factoryError(() => readZipEntries(lying, () => true))).code).toBe('ARCHIVE_CORRUPT');
  });

  test('altered entry data with unchanged sizes fails the CRC-32 check: ARCHIVE_CORRUPT', async () => {
    const dir = await workDir();
    const tampered = await zipFiles(dir, path.join(dir, 'tampered.zip'), { 'a.txt': 'the original content' }, ['-0']);
    await patchBytes(tampered, 'original', 'modified');
    // unzip itself reports the CRC error (and exits non-zero); so must we.
    const tested = await run('unzip', ['-t', tampered]).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? '',
    );
    expect(tested).toMatch(/bad CRC/i);
    const error = await factoryError(() => readZipEntries(tampered, () => true));
    expect(error.code).toBe('ARCHIVE_CORRUPT');
    expect(error.message).toMatch(/CRC/);
  });
});
