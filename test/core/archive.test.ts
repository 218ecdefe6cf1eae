import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink, truncate, writeFile, open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { extractTar, FactoryError, listTar, type ExtractedEntry } from '@packaging-factory/core';
import { tempDir } from '../support/context.ts';

interface EntrySpec {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  linkname?: string;
  mode?: number;
  content?: string | Buffer;
}

/** Builds a tar in memory with tar-stream's packer, the way a hostile producer could. */
async function tarBuffer(entries: EntrySpec[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const spec of entries) {
    const header: Parameters<typeof pack.entry>[0] = { name: spec.name, type: spec.type ?? 'file', mtime: new Date(1_700_000_000_000) };
    if (spec.linkname !== undefined) header.linkname = spec.linkname;
    if (spec.mode !== undefined) header.mode = spec.mode;
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null): void => (error ? reject(error) : resolve());
      if (header.type === 'file') pack.entry(header, spec.content ?? '', done);
      else pack.entry(header, done);
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

function hasTool(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
// GNU tar builds the realistic archives; CI must have it (the test then fails instead of skipping).
const gnuTar = hasTool('tar');
const withGnuTar = gnuTar || process.env['CI'] !== undefined ? it : it.skip;
if (!gnuTar && process.env['CI'] === undefined) console.warn('GNU tar not found: skipping the archive tests that need it');

let work: string;
beforeEach(async () => {
  work = await tempDir('factory-archive-');
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function writeArchive(name: string, data: Buffer): Promise<string> {
  const file = path.join(work, name);
  await writeFile(file, data);
  return file;
}

/** Expects a FactoryError with `code`, then checks that nothing was left beside the archive. */
async function expectRefused(archive: string, code: string, ...mentions: string[]): Promise<FactoryError> {
  const dest = path.join(work, 'out', 'dest');
  const before = await readdir(work);
  let caught: unknown;
  try {
    await extractTar(archive, dest);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(FactoryError);
  const error = caught as FactoryError;
  expect(error.code).toBe(code);
  for (const text of mentions) expect(error.message).toContain(text);
  expect(existsSync(dest)).toBe(false);
  // No temp dir, no created parent: the work dir holds what it held before.
  expect((await readdir(work)).sort()).toEqual(before.sort());
  return error;
}

describe('extractTar: a benign archive built by GNU tar', () => {
  async function buildTree(): Promise<string> {
    const src = path.join(work, 'src');
    await mkdir(path.join(src, 'bin'), { recursive: true });
    await mkdir(path.join(src, 'doc', 'a-directory-with-a-rather-long-name-to-need-pax-or-gnu-long-names', 'deeper-still-and-longer'), {
      recursive: true,
    });
    await writeFile(path.join(src, 'bin', 'tool'), '#!/bin/sh\necho hi\n');
    await chmod(path.join(src, 'bin', 'tool'), 0o4755); // setuid: must not survive extraction
    await writeFile(path.join(src, 'doc', 'readme.txt'), 'read me\n');
    await chmod(path.join(src, 'doc', 'readme.txt'), 0o666); // world-writable: must not survive
    await writeFile(path.join(src, 'doc', 'private'), 'secret-ish');
    await chmod(path.join(src, 'doc', 'private'), 0o600);
    await writeFile(
      path.join(src, 'doc', 'a-directory-with-a-rather-long-name-to-need-pax-or-gnu-long-names', 'deeper-still-and-longer', 'file.txt'),
      'deep',
    );
    await symlink('readme.txt', path.join(src, 'doc', 'latest'));
    execFileSync('ln', [path.join(src, 'bin', 'tool'), path.join(src, 'bin', 'tool-again')]);
    return src;
  }

  withGnuTar('extracts files, directories, symlinks and hard links with normalised modes and digests', async () => {
    const src = await buildTree();
    const archive = path.join(work, 'tree.tar.gz');
    execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '-czf', archive, '-C', src, '.']);
    const dest = path.join(work, 'out', 'dest');

    const entries = await extractTar(archive, dest);

    const byPath = new Map(entries.map((e) => [e.path, e]));
    expect(entries.map((e) => e.path)).toEqual([...entries.map((e) => e.path)].sort());
    const tool = byPath.get('bin/tool')!;
    expect(tool).toEqual({ path: 'bin/tool', type: 'file', size: 18, mode: 0o755, sha256: sha256('#!/bin/sh\necho hi\n') });
    expect(byPath.get('doc/readme.txt')).toMatchObject({ type: 'file', mode: 0o644, sha256: sha256('read me\n') });
    expect(byPath.get('doc/private')).toMatchObject({ type: 'file', mode: 0o644 });
    expect(byPath.get('doc/latest')).toMatchObject({ type: 'symlink', linkTarget: 'readme.txt' });
    expect(byPath.get('bin/tool-again')).toEqual({
      path: 'bin/tool-again',
      type: 'hardlink',
      size: 18,
      mode: 0o755,
      sha256: tool.sha256,
      linkTarget: 'bin/tool',
    });
    expect(byPath.get('doc')).toEqual({ path: 'doc', type: 'directory', size: 0, mode: 0o755 });
    const deep = 'doc/a-directory-with-a-rather-long-name-to-need-pax-or-gnu-long-names/deeper-still-and-longer/file.txt';
    expect(byPath.get(deep)?.sha256).toBe(sha256('deep'));
    expect(byPath.has('')).toBe(false); // the "./" entry is the destination itself

    // On disk: the same bytes, the normalised modes, no setuid, the links as links.
    expect((await stat(path.join(dest, 'bin', 'tool'))).mode & 0o7777).toBe(0o755);
    expect((await stat(path.join(dest, 'doc', 'readme.txt'))).mode & 0o7777).toBe(0o644);
    expect((await stat(path.join(dest, 'doc'))).mode & 0o7777).toBe(0o755);
    expect((await stat(dest)).mode & 0o7777).toBe(0o755);
    expect(await readFile(path.join(dest, ...deep.split('/')), 'utf8')).toBe('deep');
    expect(await readlink(path.join(dest, 'doc', 'latest'))).toBe('readme.txt');
    expect((await stat(path.join(dest, 'bin', 'tool-again'))).ino).toBe((await stat(path.join(dest, 'bin', 'tool'))).ino);
    // tar keeps whole seconds of the modification time.
    const seconds = async (file: string): Promise<number> => Math.floor((await stat(file)).mtime.getTime() / 1000);
    expect(await seconds(path.join(dest, 'bin', 'tool'))).toBe(await seconds(path.join(src, 'bin', 'tool')));
    // Only the destination was added beside the archive.
    expect((await readdir(path.join(work, 'out'))).sort()).toEqual(['dest']);
  });

  withGnuTar('lists the same archive without writing, reporting the modes the archive declares', async () => {
    const src = await buildTree();
    const archive = path.join(work, 'tree.tar');
    execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '-cf', archive, '-C', src, '.']);

    const listed: ExtractedEntry[] = [];
    for await (const entry of listTar(archive)) listed.push(entry);

    const byPath = new Map(listed.map((e) => [e.path, e]));
    expect(byPath.has('')).toBe(false); // "./" is the destination itself, not an entry
    expect(listed.map((e) => e.path)).toContain('bin');
    expect(byPath.get('bin/tool')).toMatchObject({ type: 'file', mode: 0o4755, size: 18, sha256: sha256('#!/bin/sh\necho hi\n') });
    expect(byPath.get('doc/readme.txt')?.mode).toBe(0o666);
    expect(byPath.get('bin/tool-again')).toMatchObject({
      type: 'hardlink',
      linkTarget: 'bin/tool',
      sha256: sha256('#!/bin/sh\necho hi\n'),
    });
    expect(byPath.get('doc/latest')).toMatchObject({ type: 'symlink', linkTarget: 'readme.txt' });
  });

  withGnuTar('refuses GNU sparse files (their content would come out as the sparse map)', async () => {
    const src = path.join(work, 'sparse-src');
    await mkdir(src);
    const file = path.join(src, 'holes.bin');
    const handle = await open(file, 'w');
    await handle.write('data at the start');
    await handle.close();
    await truncate(file, 4 * 1024 * 1024);
    const posix = path.join(work, 'sparse-posix.tar');
    execFileSync('tar', ['--format=posix', '--sparse', '-cf', posix, '-C', src, 'holes.bin']);
    await expectRefused(posix, 'ARCHIVE_UNSAFE', 'holes.bin', 'sparse');
    await rm(posix);
    const gnu = path.join(work, 'sparse-gnu.tar');
    execFileSync('tar', ['--format=gnu', '--sparse', '-cf', gnu, '-C', src, 'holes.bin']);
    await expectRefused(gnu, 'ARCHIVE_UNSAFE', 'holes.bin', 'unsupported entry type');
  });

  it('extracts from a stream, into an existing empty directory, a large file intact', async () => {
    const big = randomBytes(6 * 1024 * 1024); // incompressible, so well under the ratio limit
    const data = await tarBuffer([
      { name: 'pkg/', type: 'directory' },
      { name: 'pkg/big.bin', content: big },
      { name: 'pkg/big.bin', content: 'replaced by a later entry of the same name' },
      { name: 'pkg/big2.bin', content: big },
      { name: './pkg/./sub//file', content: 'x', mode: 0o777 },
    ]);
    const dest = path.join(work, 'dest');
    await mkdir(dest);

    const entries = await extractTar(Readable.from(gzipSync(data)), dest);

    expect(entries.map((e) => e.path)).toEqual(['pkg', 'pkg/big.bin', 'pkg/big2.bin', 'pkg/sub/file']);
    expect(entries[1]?.sha256).toBe(sha256('replaced by a later entry of the same name'));
    expect(entries[2]).toMatchObject({ size: big.length, sha256: sha256(big) });
    expect(entries[3]?.mode).toBe(0o755);
    expect(sha256(await readFile(path.join(dest, 'pkg', 'big2.bin')))).toBe(sha256(big));
    expect(await readFile(path.join(dest, 'pkg', 'big.bin'), 'utf8')).toBe('replaced by a later entry of the same name');
  });
});

describe('extractTar keeps benign symlinks', () => {
  it('extracts chains, links to directories, links that climb but stay inside, and dangling links', async () => {
    const data = await tarBuffer([
      { name: 'bin/x', type: 'symlink', linkname: '../lib/libx.so' }, // points at a link that comes later
      { name: 'lib/libx.so', type: 'symlink', linkname: 'libx.so.1' },
      { name: 'lib/libx.so.1', type: 'symlink', linkname: './libx.so.1.2' },
      { name: 'lib/libx.so.1.2', content: 'ELF', mode: 0o755 },
      { name: 'releases/v1/a', content: 'a' },
      { name: 'current', type: 'symlink', linkname: 'releases/v1' },
      { name: 'releases/v1/back', type: 'symlink', linkname: '../../current/a' },
      { name: 'dangling', type: 'symlink', linkname: 'not/extracted' },
    ]);
    const dest = path.join(work, 'dest');
    const entries = await extractTar(await writeArchive('links.tar', data), dest);
    expect(entries.filter((e) => e.type === 'symlink').map((e) => [e.path, e.linkTarget])).toEqual([
      ['bin/x', '../lib/libx.so'],
      ['current', 'releases/v1'],
      ['dangling', 'not/extracted'],
      ['lib/libx.so', 'libx.so.1'],
      ['lib/libx.so.1', './libx.so.1.2'],
      ['releases/v1/back', '../../current/a'],
    ]);
    expect(await readFile(path.join(dest, 'bin', 'x'), 'utf8')).toBe('ELF');
    expect(await readFile(path.join(dest, 'releases', 'v1', 'back'), 'utf8')).toBe('a');
    expect((await lstat(path.join(dest, 'dangling'))).isSymbolicLink()).toBe(true);
  });
});

describe('extractTar refuses hostile archives (ARCHIVE_UNSAFE) and leaves nothing behind', () => {
  const cases: [string, EntrySpec[], string[]][] = [
    ['path traversal ../evil', [{ name: '../evil', content: 'pwned' }], ['../evil', "'..'"]],
    ['traversal hidden behind normalisation', [{ name: 'a/b/../../../evil', content: 'pwned' }], ['a/b/../../../evil']],
    ['an absolute path', [{ name: '/etc/x', content: 'pwned' }], ['/etc/x', 'absolute']],
    [
      'a symlink to an absolute path, then a file through it',
      [
        { name: 'link', type: 'symlink', linkname: '/etc' },
        { name: 'link/passwd', content: 'root::0:0::/:/bin/sh' },
      ],
      ["'link'", '/etc'],
    ],
    ['a symlink climbing out with ../../', [{ name: 'a/link', type: 'symlink', linkname: '../../etc' }], ['a/link', '../../etc']],
    [
      'a file written through an earlier (inside) symlink',
      [
        { name: 'sub/', type: 'directory' },
        { name: 'link', type: 'symlink', linkname: 'sub' },
        { name: 'link/file', content: 'x' },
      ],
      ['link/file', "symlink 'link'"],
    ],
    [
      'a symlink chain that escapes through another symlink',
      [
        { name: 'l1', type: 'symlink', linkname: 'd1/d2/l2/..' },
        { name: 'd1/d2/l2', type: 'symlink', linkname: '../..' },
      ],
      ["'l1'", 'resolves outside'],
    ],
    [
      'a symlink loop',
      [
        { name: 'a', type: 'symlink', linkname: 'b' },
        { name: 'b', type: 'symlink', linkname: 'a' },
      ],
      ['loop'],
    ],
    ['a hard link outside', [{ name: 'hl', type: 'link', linkname: '../../etc/passwd' }], ["'hl'", '../../etc/passwd']],
    ['a hard link to an absolute path', [{ name: 'hl', type: 'link', linkname: '/etc/passwd' }], ["'hl'", '/etc/passwd']],
    ['a hard link to a missing file', [{ name: 'hl', type: 'link', linkname: 'missing' }], ["'hl'", 'not a regular file']],
    [
      'a hard link to a symlink',
      [
        { name: 's', type: 'symlink', linkname: 'x' },
        { name: 'hl', type: 'link', linkname: 's' },
      ],
      ["'hl'"],
    ],
    [
      'a hard link to itself',
      [
        { name: 'f', content: 'x' },
        { name: 'f', type: 'link', linkname: 'f' },
      ],
      ['itself'],
    ],
    ['a character device', [{ name: 'null', type: 'character-device' }], ["'null'", 'character-device']],
    ['a block device', [{ name: 'sda', type: 'block-device' }], ['block-device']],
    ['a fifo', [{ name: 'pipe', type: 'fifo' }], ["'pipe'", 'fifo']],
    [
      'a file replacing a directory',
      [
        { name: 'a/', type: 'directory' },
        { name: 'a', content: 'x' },
      ],
      ['replace an earlier directory'],
    ],
    [
      'a file replacing an implied directory',
      [
        { name: 'a/b', content: 'x' },
        { name: 'a', content: 'x' },
      ],
      ['replace an earlier directory'],
    ],
    [
      'a directory replacing a file',
      [
        { name: 'a', content: 'x' },
        { name: 'a/', type: 'directory' },
      ],
      ['replace an earlier file'],
    ],
    [
      'a file under a file',
      [
        { name: 'a', content: 'x' },
        { name: 'a/b', content: 'y' },
      ],
      ["'a' to be a directory"],
    ],
    [
      'a symlink replacing a file',
      [
        { name: 'a', content: 'x' },
        { name: 'a', type: 'symlink', linkname: 'b' },
      ],
      ['replace an earlier file'],
    ],
    [
      'a second symlink of the same name',
      [
        { name: 'a', type: 'symlink', linkname: 'b' },
        { name: 'a', type: 'symlink', linkname: 'c' },
      ],
      ['replace an earlier symlink'],
    ],
    ['a symlink with an empty target', [{ name: 'a', type: 'symlink', linkname: '' }], ['empty target']],
    ['a file naming the destination itself', [{ name: './', content: 'x' }], ['destination directory itself']],
    ['a path longer than PATH_MAX', [{ name: `${'d/'.repeat(2100)}f`, content: 'x' }], ['longer than 4096 bytes']],
    [
      'a symlink to a path longer than PATH_MAX',
      [{ name: 'l', type: 'symlink', linkname: 'x/'.repeat(2100) }],
      ["'l'", 'longer than 4096 bytes'],
    ],
    [
      'a symlink through a symlink back out',
      [
        { name: 'd/', type: 'directory' },
        { name: 'd/up', type: 'symlink', linkname: '..' },
        { name: 'esc', type: 'symlink', linkname: 'd/up/..' },
      ],
      ["'esc'", 'resolves outside'],
    ],
  ];

  it.each(cases)('%s', async (_title, entries, mentions) => {
    const archive = await writeArchive('hostile.tar', await tarBuffer(entries));
    const error = await expectRefused(archive, 'ARCHIVE_UNSAFE', archive, ...mentions);
    expect(error.subject).toBe(archive);
    expect(error.exitCode).toBe(2);
  });

  it('refuses the same archives gzip-compressed', async () => {
    const archive = await writeArchive(
      'hostile.tgz',
      gzipSync(
        await tarBuffer([
          { name: 'ok', content: 'fine' },
          { name: '../evil', content: 'x' },
        ]),
      ),
    );
    await expectRefused(archive, 'ARCHIVE_UNSAFE', '../evil');
  });

  it('names a stream source as the caller asks', async () => {
    const data = await tarBuffer([{ name: '/abs', content: 'x' }]);
    await expect(extractTar(Readable.from(data), path.join(work, 'dest'), { name: 'upload.tar' })).rejects.toThrow(
      /refusing upload\.tar: entry '\/abs'/,
    );
    await expect(extractTar(Readable.from(data), path.join(work, 'dest'))).rejects.toThrow(/archive stream/);
    expect(existsSync(path.join(work, 'dest'))).toBe(false);
  });
});

describe('extractTar limits (ARCHIVE_LIMIT)', () => {
  it('stops a gzip bomb on the compression ratio while streaming', async () => {
    const zeros = Buffer.alloc(20 * 1024 * 1024);
    const bomb = gzipSync(await tarBuffer([{ name: 'zeros.bin', content: zeros }]));
    expect(zeros.length / bomb.length).toBeGreaterThan(200);
    const archive = await writeArchive('bomb.tar.gz', bomb);
    await expectRefused(archive, 'ARCHIVE_LIMIT', 'expands more than 200 times');
    // The same archive passes when the caller allows that ratio: the ratio, not the content, was refused.
    const entries = await extractTar(archive, path.join(work, 'ok'), { maxCompressionRatio: 10_000 });
    expect(entries[0]).toMatchObject({ path: 'zeros.bin', size: zeros.length, sha256: sha256(zeros) });
  });

  it('refuses more entries than allowed', async () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ name: `f${i}`, content: `${i}` }));
    const archive = await writeArchive('many.tar', await tarBuffer(many));
    const dest = path.join(work, 'dest');
    await expect(extractTar(archive, dest, { maxEntries: 10 })).rejects.toMatchObject({
      code: 'ARCHIVE_LIMIT',
      message: expect.stringContaining('more than 10 entries') as unknown,
    });
    expect(existsSync(dest)).toBe(false);
    await expect(extractTar(archive, dest, { maxEntries: 12 })).resolves.toHaveLength(12);
  });

  it('refuses an entry larger than the per-entry limit, and a total over the total limit', async () => {
    const archive = await writeArchive(
      'sizes.tar',
      await tarBuffer([
        { name: 'a', content: Buffer.alloc(1000) },
        { name: 'b', content: Buffer.alloc(1000) },
      ]),
    );
    await expect(extractTar(archive, path.join(work, 'd1'), { maxEntryBytes: 999 })).rejects.toMatchObject({
      code: 'ARCHIVE_LIMIT',
      message: expect.stringContaining("entry 'a' is 1000 bytes") as unknown,
    });
    await expect(extractTar(archive, path.join(work, 'd2'), { maxTotalBytes: 1500 })).rejects.toMatchObject({
      code: 'ARCHIVE_LIMIT',
      message: expect.stringContaining('more than the 1500 bytes') as unknown,
    });
    expect(await readdir(work)).toEqual(['sizes.tar']);
  });
});

describe('extractTar: corrupt or unsupported input (ARCHIVE_CORRUPT) and bad destinations', () => {
  it('refuses a corrupt gzip stream', async () => {
    const good = gzipSync(await tarBuffer([{ name: 'a', content: 'hello '.repeat(10_000) }]));
    const bad = Buffer.from(good);
    for (let i = 20; i < bad.length - 20; i += 7) bad[i] = bad[i]! ^ 0xff;
    await expectRefused(await writeArchive('bad.tar.gz', bad), 'ARCHIVE_CORRUPT', 'not a readable tar archive');
  });

  it('refuses a truncated gzip and a truncated tar', async () => {
    const tar = await tarBuffer([{ name: 'a', content: Buffer.alloc(100_000, 7) }]);
    const gz = gzipSync(tar);
    const error = await expectRefused(await writeArchive('cut.tar.gz', gz.subarray(0, gz.length / 2)), 'ARCHIVE_CORRUPT');
    expect(error.cause).toBeInstanceOf(Error);
    await rm(path.join(work, 'cut.tar.gz'));
    await expectRefused(await writeArchive('cut.tar', tar.subarray(0, 50_000)), 'ARCHIVE_CORRUPT');
  });

  it('refuses text, an empty file, and compressions it does not read', async () => {
    await expectRefused(
      await writeArchive('text.tar', Buffer.from('this is not a tar archive\n'.repeat(40))),
      'ARCHIVE_CORRUPT',
      'text.tar',
    );
    await expectRefused(await writeArchive('empty.tar', Buffer.alloc(0)), 'ARCHIVE_CORRUPT', 'is empty');
    const tar = await writeArchive('plain.tar', await tarBuffer([{ name: 'a', content: 'x' }]));
    execFileSync('xz', ['-k', tar]);
    await rm(tar);
    await expectRefused(`${tar}.xz`, 'ARCHIVE_CORRUPT', 'is a xz file');
  });

  it('names a missing archive file', async () => {
    await expect(extractTar(path.join(work, 'nope.tar'), path.join(work, 'dest'))).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      subject: path.join(work, 'nope.tar'),
    });
    await expect(extractTar(work, path.join(work, 'dest'))).rejects.toMatchObject({ code: 'FILE_UNREADABLE' });
    expect(await readdir(work)).toEqual([]);
  });

  it('refuses a destination that is not an empty directory', async () => {
    const archive = await writeArchive('a.tar', await tarBuffer([{ name: 'a', content: 'x' }]));
    const dest = path.join(work, 'dest');
    await mkdir(dest);
    await writeFile(path.join(dest, 'keep'), 'mine');
    await expect(extractTar(archive, dest)).rejects.toMatchObject({ code: 'INPUT_INVALID', subject: dest });
    await expect(extractTar(archive, path.join(dest, 'keep'))).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expect(await readdir(dest)).toEqual(['keep']);
  });
});

describe('listTar', () => {
  it('yields entries in archive order with streamed digests and refuses unsafe names', async () => {
    const data = await tarBuffer([
      { name: 'z', content: 'last letter' },
      { name: 'a/', type: 'directory' },
      { name: 'a/abs-link', type: 'symlink', linkname: '/usr/lib/x.so' },
      { name: 'a/hard', type: 'link', linkname: './z' },
      { name: 'a/hard-out', type: 'link', linkname: '/etc/passwd' },
    ]);
    const listed: ExtractedEntry[] = [];
    for await (const entry of listTar(Readable.from(gzipSync(data)))) listed.push(entry);
    expect(listed).toEqual([
      { path: 'z', type: 'file', size: 11, mode: 0o644, sha256: sha256('last letter') },
      { path: 'a', type: 'directory', size: 0, mode: 0o755 },
      { path: 'a/abs-link', type: 'symlink', size: 0, mode: 0o644, linkTarget: '/usr/lib/x.so' },
      { path: 'a/hard', type: 'hardlink', size: 11, mode: 0o644, sha256: sha256('last letter'), linkTarget: 'z' },
      { path: 'a/hard-out', type: 'hardlink', size: 0, mode: 0o644, linkTarget: '/etc/passwd' },
    ]);

    const hostile = listTar(Readable.from(await tarBuffer([{ name: '../x', content: 'x' }])), { name: 'bad.tar' });
    await expect(hostile.next()).rejects.toMatchObject({ code: 'ARCHIVE_UNSAFE', message: expect.stringContaining('bad.tar') as unknown });
  });

  it('stops cleanly when the consumer stops early, even in the middle of a file', async () => {
    const data = await tarBuffer(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, content: Buffer.alloc(300_000, i) })));
    const archive = await writeArchive('many.tar', data);
    let seen = 0;
    for await (const entry of listTar(archive)) {
      seen++;
      if (entry.path === 'f3') break;
    }
    expect(seen).toBe(4);
    // A file source is closed afterwards: the archive can be removed and read again from scratch.
    let again = 0;
    for await (const _ of listTar(createReadStream(archive))) again++;
    expect(again).toBe(50);
  });
});

describe('file types on disk', () => {
  it('never follows a symlink planted where the destination will be', async () => {
    const archive = await writeArchive('a.tar', await tarBuffer([{ name: 'a', content: 'x' }]));
    const victim = path.join(work, 'victim');
    await mkdir(victim);
    const dest = path.join(work, 'dest');
    await symlink(victim, dest);
    await expect(extractTar(archive, dest)).rejects.toMatchObject({ code: 'INPUT_INVALID' });
    expect(await readdir(victim)).toEqual([]);
    expect((await lstat(dest)).isSymbolicLink()).toBe(true);
  });
});
