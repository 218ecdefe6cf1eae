import { createHash } from 'node:crypto';
import { readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { digestFile, ExecRunner, FactoryError, MemoryLogger } from '@packaging-factory/core';
import {
  detectFormat,
  extractDebFile,
  formatDebRelations,
  listArMembers,
  listDebFiles,
  readDebControl,
  readDebLayout,
  readDebMember,
} from '@packaging-factory/formats';
import { tempDir } from '../support/context.ts';
import { DEB_FIXTURES, describeWithDpkg, run } from './deb-tools.ts';

interface DebCase {
  file: string;
  expected_control: Record<string, string | number | undefined>;
}

const cases = (JSON.parse(await readFile(path.join(DEB_FIXTURES, 'cases.json'), 'utf8')) as { deb: DebCase[] }).deb;
const exec = (): ExecRunner => new ExecRunner(new MemoryLogger());

async function expectCorrupt(promise: Promise<unknown>, file: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FactoryError);
  expect((error as FactoryError).code).toBe('ARCHIVE_CORRUPT');
  expect((error as FactoryError).subject).toBe(file);
  expect((error as FactoryError).message).toContain(file);
}

describe('detectFormat', () => {
  it.each(cases.map((c) => c.file))('recognises %s as a deb by its magic', async (file) => {
    expect(await detectFormat(path.join(DEB_FIXTURES, file))).toBe('deb');
  });

  it('does not trust the file name', async () => {
    const dir = await tempDir('detect-');
    try {
      const fake = path.join(dir, 'fake.deb');
      await writeFile(fake, '{"lockfileVersion": 3}');
      expect(await detectFormat(fake)).toBe('unknown');
      // An ar archive that is not a Debian package (first member not debian-binary).
      const ar = path.join(dir, 'lib.a');
      await writeFile(
        ar,
        Buffer.concat([Buffer.from('!<arch>\n'), Buffer.from('hello.o/        0           0     0     644     2         `\nhi')]),
      );
      expect(await detectFormat(ar)).toBe('unknown');
      expect(await listArMembers(ar)).toEqual([expect.objectContaining({ name: 'hello.o', size: 2 })]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('ar container', () => {
  it('lists the three members deb(5) prescribes, in order', async () => {
    const layout = await readDebLayout(path.join(DEB_FIXTURES, 'deb/hello_2.10-3_amd64.deb'));
    expect(layout.formatVersion).toBe('2.0');
    expect(layout.members.map((m) => m.name)).toEqual(['debian-binary', 'control.tar.xz', 'data.tar.xz']);
    const last = layout.members[2]!;
    expect(last.offset + last.size).toBeLessThanOrEqual(53080);
    expect((await readDebMember(path.join(DEB_FIXTURES, 'deb/hello_2.10-3_amd64.deb'), 'debian-binary'))?.toString()).toBe('2.0\n');
    expect(await readDebMember(path.join(DEB_FIXTURES, 'deb/hello_2.10-3_amd64.deb'), '_gpgorigin')).toBeUndefined();
  });

  it('rejects truncated, desynchronised and oversized archives as ARCHIVE_CORRUPT naming the file', async () => {
    const dir = await tempDir('ar-corrupt-');
    try {
      const original = await readFile(path.join(DEB_FIXTURES, 'deb/hello_2.10-3_amd64.deb'));
      const truncated = path.join(dir, 'truncated.deb');
      await writeFile(truncated, original.subarray(0, 500));
      await expectCorrupt(listArMembers(truncated), truncated);

      const badTerminator = path.join(dir, 'bad-terminator.deb');
      const copy = Buffer.from(original);
      copy[8 + 58] = 0x20;
      await writeFile(badTerminator, copy);
      await expectCorrupt(listArMembers(badTerminator), badTerminator);

      const hugeSize = path.join(dir, 'huge.deb');
      const huge = Buffer.from(original);
      huge.write('9999999999', 8 + 48, 'latin1');
      await writeFile(hugeSize, huge);
      await expectCorrupt(listArMembers(hugeSize), hugeSize);

      const notNumber = path.join(dir, 'nan.deb');
      const nan = Buffer.from(original);
      nan.write('12x4      ', 8 + 48, 'latin1');
      await writeFile(notNumber, nan);
      await expectCorrupt(listArMembers(notNumber), notNumber);

      const noMagic = path.join(dir, 'nomagic.deb');
      await writeFile(noMagic, Buffer.from('!<arch>X'));
      await expectCorrupt(listArMembers(noMagic), noMagic);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describeWithDpkg('reading real Debian packages (binary-packages fixtures)', () => {
  const results: { file: string; field: string; ok: boolean }[] = [];
  const overrides: { file: string; field: string; index: unknown; control: string | undefined }[] = [];
  afterAll(() => {
    const passed = results.filter((r) => r.ok).length;
    const differing = overrides
      .filter((o) => o.index !== o.control)
      .map((o) => `${o.file} ${o.field}: index ${String(o.index)}, control ${String(o.control)}`);
    console.log(
      `binary-packages deb: ${passed}/${results.length} control-file fields match the archive index; ` +
        `Section/Priority checked against dpkg-deb --field (archive overrides differing: ${differing.join('; ') || 'none'})`,
    );
  });

  it.each(cases)('reads the control data of $file as the archive index records it', async ({ file, expected_control: expected }) => {
    const full = path.join(DEB_FIXTURES, file);
    const control = await readDebControl(full, exec());
    const actual: Record<string, string | number | undefined> = {
      Package: control.package,
      Version: control.version,
      Architecture: control.architecture,
      Maintainer: control.maintainer,
      'Installed-Size': control.installedSize,
      Source: control.fields['Source'],
      source_name: control.source.name,
      source_version: control.source.version,
      Depends: control.fields['Depends'],
      'Pre-Depends': control.fields['Pre-Depends'],
      'Multi-Arch': control.multiArch,
      Homepage: control.homepage,
      file_sha256: await digestFile(full),
      file_size: (await readFile(full)).length,
    };
    // Section and Priority in the index are the archive's overrides (zlib1g's control file says
    // 'Priority: required', the index 'optional'): for those the oracle is the control file as
    // `dpkg-deb --field` prints it.
    for (const field of ['Section', 'Priority']) {
      const { stdout } = await run('dpkg-deb', ['--field', full, field]);
      expect({ field, value: control.fields[field] }).toEqual({ field, value: stdout.trim() === '' ? undefined : stdout.trim() });
      overrides.push({ file, field, index: expected[field], control: control.fields[field] });
    }
    for (const [field, value] of Object.entries(expected)) {
      if (field === 'Section' || field === 'Priority') continue;
      results.push({ file, field, ok: actual[field] === value });
      expect({ field, value: actual[field] }).toEqual({ field, value });
    }
    // The parsed relations render back to the field as written.
    expect(formatDebRelations(control.depends)).toBe(expected['Depends']);
  });

  it('parses Depends into alternatives with version constraints', async () => {
    const control = await readDebControl(path.join(DEB_FIXTURES, 'deb/libpam-runtime_1.5.2-6+deb12u2_all.deb'), exec());
    expect(control.depends).toEqual([
      [{ name: 'debconf', version: { operator: '>=', version: '0.5' } }, { name: 'debconf-2.0' }],
      [{ name: 'debconf', version: { operator: '>=', version: '1.5.19' } }, { name: 'cdebconf' }],
      [{ name: 'libpam-modules', version: { operator: '>=', version: '1.0.1-6' } }],
    ]);
    expect(control.controlFiles).toEqual(expect.arrayContaining(['md5sums', 'postinst']));
    expect(control.description?.synopsis).toBe('Runtime support for the PAM library');
  });

  it('lists the data tree exactly as dpkg-deb does, with sha256 of every file', async () => {
    const file = path.join(DEB_FIXTURES, 'deb/hello_2.10-3_amd64.deb');
    const files = await listDebFiles(file, exec());
    // Oracle 1: dpkg-deb --contents (tar -tv style: mode, owner/group, size, date, time, path).
    const { stdout } = await run('dpkg-deb', ['--contents', file]);
    const listing = stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [perms = '', owner = '', size = '', , , ...rest] = line.split(/\s+/);
        const name = rest.join(' ').split(' -> ')[0]!.replace(/^\.\//, '/').replace(/\/$/, '');
        return { name, perms, owner, size: Number(size) };
      })
      .filter((e) => e.name !== '');
    expect(files.map((f) => f.path)).toEqual(listing.map((e) => e.name).sort());
    for (const entry of listing) {
      const ours = files.find((f) => f.path === entry.name)!;
      expect(`${ours.owner}/${ours.group}`).toBe(entry.owner);
      if (ours.type === 'file') expect(ours.size).toBe(entry.size);
    }
    // Oracle 2: the files dpkg-deb --extract writes hash to the same sha256.
    const dir = await tempDir('deb-extract-');
    try {
      await run('dpkg-deb', ['--extract', file, dir]);
      const regular = files.filter((f) => f.type === 'file');
      expect(regular.length).toBeGreaterThan(5);
      for (const entry of regular) {
        const bytes = await readFile(path.join(dir, entry.path));
        expect({ path: entry.path, sha256: entry.sha256 }).toEqual({
          path: entry.path,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        });
      }
      const hello = files.find((f) => f.path === '/usr/bin/hello')!;
      expect(hello).toMatchObject({ type: 'file', mode: 0o755, owner: 'root', group: 'root' });

      const copyright = await extractDebFile(file, 'usr/share/doc/hello/copyright', exec());
      expect(copyright.equals(await readFile(path.join(dir, 'usr/share/doc/hello/copyright')))).toBe(true);
      expect((await extractDebFile(file, '/usr/bin/hello', exec())).length).toBe(hello.size);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says FILE_NOT_FOUND for a path the package does not hold', async () => {
    const file = path.join(DEB_FIXTURES, 'deb/hello_2.10-3_amd64.deb');
    await expect(extractDebFile(file, '/usr/lib/nothing/package-lock.json', exec())).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      subject: `${file}:/usr/lib/nothing/package-lock.json`,
    });
    await expect(extractDebFile(file, '/usr/share/doc/hello', exec())).rejects.toThrow(/is a directory/);
  });

  it('turns a damaged compressed member into ARCHIVE_CORRUPT, not a tool error', async () => {
    const dir = await tempDir('deb-damaged-');
    try {
      const source = path.join(DEB_FIXTURES, 'deb/zlib1g_1.2.13.dfsg-1_amd64.deb');
      const damaged = path.join(dir, 'damaged.deb');
      await copyFile(source, damaged);
      const bytes = await readFile(damaged);
      const { dataMember } = await readDebLayout(damaged);
      // Overwrite the middle of data.tar.xz: the ar layout stays valid, the xz stream does not.
      bytes.fill(0x41, dataMember.offset + 200, dataMember.offset + 2000);
      await writeFile(damaged, bytes);
      await expectCorrupt(listDebFiles(damaged, exec()), damaged);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
