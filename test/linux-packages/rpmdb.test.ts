import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readBerkeleyHash, readRpmdbBerkeley, readRpmdbSqlite, type RpmdbContents } from '@packaging-factory/formats';
import { catalogRpmdbContents, linuxCatalogers, rpmdbBerkeleyCataloger, rpmdbSqliteCataloger } from '@packaging-factory/sbom';
import { ExecRunner, MemoryLogger } from '@packaging-factory/core';
import { tempDir } from '../support/context.ts';
import { fixtureLine, INVENTORY, requireTool, run } from './linux-tools.ts';

/**
 * rpm databases: the syft fixture (a Berkeley DB `Packages` cross-checked upstream with
 * `rpm -qa --dbpath`), and databases made here by the real tools: rpmbuild builds 41 noarch
 * packages, `rpm -i --justdb` installs them into an rpmdb.sqlite, and db5.3_load writes the same
 * header blobs as Berkeley DB hash files (little- and big-endian, small and large pages, with
 * page checksums), which rpm's own read-only BDB backend reads back for comparison.
 */

const syftCases = (
  JSON.parse(await readFile(path.join(INVENTORY, 'syft/cases.json'), 'utf8')) as {
    cases: {
      id: string;
      fixture: string;
      expected_packages: { name: string; version: string; purl: string; licenses: string[]; metadata: Record<string, unknown> }[];
    }[];
  }
).cases.filter((c) => c.id.startsWith('parse_rpm_db/'));

const tally = { passed: 0, total: 0 };
afterAll(() => {
  console.log(fixtureLine('package-inventory/syft rpm', tally.passed, tally.total));
  expect(tally).toEqual({ passed: 1, total: 1 });
});

const QF = '%{name}|%{epochnum}|%{version}|%{release}|%{arch}|%{license}|%{sourcerpm}|%{vendor}|%{size}\\n';

function ourLines(contents: RpmdbContents): string[] {
  return contents.packages
    .map(({ info: i }) =>
      [
        i.name,
        i.epoch ?? 0,
        i.version,
        i.release,
        i.arch ?? '(none)',
        i.license ?? '(none)',
        i.sourceRpm ?? '(none)',
        i.vendor ?? '(none)',
        i.size ?? '(none)',
      ].join('|'),
    )
    .sort();
}

describe('syft rpm fixture (Berkeley DB Packages)', () => {
  it.each(syftCases)('$id', async (testCase) => {
    tally.total += 1;
    const file = path.join(INVENTORY, 'syft', testCase.fixture);
    const out = catalogRpmdbContents(await readRpmdbBerkeley(file), 'Packages');
    expect(out.components).toHaveLength(testCase.expected_packages.length);
    for (const wanted of testCase.expected_packages) {
      const c = out.components.find((x) => x.name === wanted.name);
      // No vendor and no os-release: no namespace, exactly as syft writes it.
      expect(c?.purl).toBe(wanted.purl);
      expect(c?.version).toBe(wanted.version);
      expect(c?.licenses).toEqual(wanted.licenses);
      const prop = (name: string): string | undefined => c?.properties.find(([n]) => n === `packaging-factory:rpm:${name}`)?.[1];
      expect(prop('sourcerpm')).toBe(wanted.metadata['SourceRpm']);
      expect(prop('arch')).toBe(wanted.metadata['Arch']);
      expect(prop('size')).toBe(String(wanted.metadata['Size']));
      expect(prop('vendor') ?? '').toBe(wanted.metadata['Vendor']);
    }
    tally.passed += 1;
  });
});

const rpmAvailable = (await requireTool('rpm', 'rpm')) && (await requireTool('rpmbuild', 'rpm'));
const dbLoadAvailable = await requireTool('db5.3_load', 'db5.3-util', ['-V']);

(rpmAvailable ? describe : describe.skip)('databases written by rpm itself', () => {
  let dir: string;
  let sqlitePath: string;
  let rpmLines: string[];

  beforeAll(async () => {
    dir = await tempDir('rpmdb-');
    const spec: string[] = [
      'Name: pf-base',
      'Epoch: 3',
      'Version: 1.2.3',
      'Release: 4',
      'Summary: Packaging Factory rpmdb test base',
      'License: MIT',
      'BuildArch: noarch',
      'Vendor: Packaging Factory Tests',
      'URL: https://example.org/pf',
      'Provides: pf-capability = 1.0',
      '',
      '%description',
      'Base package.',
      '',
    ];
    for (let i = 1; i <= 40; i += 1) {
      const requires = i % 3 === 0 ? 'pf-capability' : i > 1 ? `pf-base-sub${i - 1}` : '/usr/share/pf-base/base.txt';
      spec.push(
        `%package sub${i}`,
        `Summary: Subpackage ${i}`,
        `License: ${i % 2 === 1 ? 'Apache-2.0 OR MIT' : 'GPL-2.0-or-later'}`,
        `Requires: ${requires}`,
        ...(i === 40 ? ['Requires: not-installed-anywhere >= 2'] : []),
        '',
        `%description sub${i}`,
        // Descriptions of growing length: headers from under 2 KiB to ~16 KiB, on-page and overflow items.
        'A description long enough to change the header size. '.repeat(i * 6),
        '',
        `%files sub${i}`,
        `/usr/share/pf-base/sub${i}.txt`,
        '',
      );
    }
    spec.push('%install', 'mkdir -p %{buildroot}/usr/share/pf-base', 'echo base > %{buildroot}/usr/share/pf-base/base.txt');
    for (let i = 1; i <= 40; i += 1) spec.push(`echo ${i} > %{buildroot}/usr/share/pf-base/sub${i}.txt`);
    spec.push('', '%files', '/usr/share/pf-base/base.txt', '');
    await writeFile(path.join(dir, 'pf.spec'), spec.join('\n'));
    await run('rpmbuild', ['--define', `_topdir ${dir}/top`, '--define', '_build_id_links none', '-bb', path.join(dir, 'pf.spec')]);
    const rpms = Array.from({ length: 40 }, (_, i) => path.join(dir, `top/RPMS/noarch/pf-base-sub${i + 1}-1.2.3-4.noarch.rpm`));
    rpms.push(path.join(dir, 'top/RPMS/noarch/pf-base-1.2.3-4.noarch.rpm'));
    const dbpath = path.join(dir, 'root/var/lib/rpm');
    await mkdir(dbpath, { recursive: true });
    await run('rpm', ['-i', '--justdb', '--nodeps', '--noscripts', '--notriggers', '--dbpath', dbpath, ...rpms]);
    sqlitePath = path.join(dbpath, 'rpmdb.sqlite');
    rpmLines = (await run('rpm', ['-qa', '--dbpath', dbpath, '--qf', QF])).stdout.split('\n').filter(Boolean).sort();
  }, 120_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('rpmdb.sqlite: the same 41 packages and fields as rpm -qa', async () => {
    const contents = await readRpmdbSqlite(sqlitePath);
    expect(contents.problems).toEqual([]);
    expect(rpmLines).toHaveLength(41);
    expect(ourLines(contents)).toEqual(rpmLines);
  });

  it('leaves the scanned directory untouched, and sees transactions still in the WAL', async () => {
    const fresh = path.join(dir, 'fresh');
    await mkdir(fresh);
    const copy = path.join(fresh, 'rpmdb.sqlite');
    await copyFile(sqlitePath, copy);
    expect((await readRpmdbSqlite(copy)).packages).toHaveLength(41);
    expect(await readdir(fresh)).toEqual(['rpmdb.sqlite']);
    // A writer that has not checkpointed: its delete lives only in rpmdb.sqlite-wal.
    const { DatabaseSync } = await import('node:sqlite');
    const writer = new DatabaseSync(copy);
    try {
      writer.exec('PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; PRAGMA foreign_keys=OFF;');
      writer.exec('DELETE FROM Packages WHERE hnum = (SELECT MAX(hnum) FROM Packages)');
      expect((await stat(`${copy}-wal`)).size).toBeGreaterThan(0);
      expect((await readRpmdbSqlite(copy, dir)).packages).toHaveLength(40);
    } finally {
      writer.close();
    }
  });

  it('catalogues with the distro namespace and resolves Requires to providers and file owners', async () => {
    const distro = { id: 'fedora', versionId: '39', qualifier: 'fedora-39' };
    const candidate = {
      path: sqlitePath,
      name: 'rpmdb.sqlite',
      relative: 'var/lib/rpm/rpmdb.sqlite',
      head: (await readFile(sqlitePath)).subarray(0, 512),
      explicit: false,
    };
    expect(linuxCatalogers.find((c) => c.matches(candidate))).toBe(rpmdbSqliteCataloger);
    const out = await rpmdbSqliteCataloger.catalog(
      { file: sqlitePath, shown: 'root/var/lib/rpm/rpmdb.sqlite' },
      { exec: new ExecRunner(new MemoryLogger()), workDir: dir, distro },
    );
    expect(out.components).toHaveLength(41);
    const base = 'pkg:rpm/fedora/pf-base@1.2.3-4?arch=noarch&distro=fedora-39&epoch=3&upstream=pf-base-1.2.3-4.src.rpm';
    const ref = (n: number): string => base.replace('pf-base@', `pf-base-sub${n}@`);
    const byRef = new Map(out.components.map((c) => [c.ref, c]));
    expect(byRef.get(base)?.version).toBe('3:1.2.3-4');
    // sub1 requires a file path owned by the base package; sub3 the capability it provides; sub2 sub1.
    expect([...(byRef.get(ref(1))?.dependsOn ?? [])]).toEqual([base]);
    expect([...(byRef.get(ref(3))?.dependsOn ?? [])]).toEqual([base]);
    expect([...(byRef.get(ref(2))?.dependsOn ?? [])]).toEqual([ref(1)]);
    expect(byRef.get(ref(40))?.properties).toContainEqual(['packaging-factory:rpm:requires-unresolved', 'not-installed-anywhere >= 2']);
    expect(byRef.get(ref(1))?.licenses).toEqual(['Apache-2.0 OR MIT']);
  });

  (dbLoadAvailable ? it : it.skip).each([
    ['little-endian, 4 KiB pages (overflow items)', 'le', ['-c', 'db_pagesize=4096']],
    ['big-endian, 64 KiB pages (on-page items)', 'be', ['-c', 'db_lorder=4321', '-c', 'db_pagesize=65536']],
    ['page checksums', 'le', ['-c', 'chksum=1']],
  ])('Berkeley DB Packages written by db5.3_load: %s', async (label, order, options) => {
    // The raw blobs straight from SQLite (test plumbing, independent of our reader).
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(sqlitePath, { readOnly: true });
    const rows = db.prepare('SELECT hnum, blob FROM Packages').all() as { hnum: number; blob: Uint8Array }[];
    db.close();
    // rpm keys records by its instance number in host byte order: the writer's order.
    const key = (n: number): string => {
      const b = Buffer.alloc(4);
      if (order === 'le') b.writeUInt32LE(n);
      else b.writeUInt32BE(n);
      return b.toString('hex');
    };
    const dump = ['VERSION=3', 'format=bytevalue', 'type=hash', 'HEADER=END'];
    for (const row of rows) dump.push(` ${key(row.hnum)}`, ` ${Buffer.from(row.blob).toString('hex')}`);
    dump.push('DATA=END', '');
    const bdbDir = path.join(dir, `bdb-${label.replace(/\W+/g, '-')}`, 'var/lib/rpm');
    await mkdir(bdbDir, { recursive: true });
    await writeFile(path.join(dir, 'dump.txt'), dump.join('\n'));
    await run('db5.3_load', [...options, '-f', path.join(dir, 'dump.txt'), path.join(bdbDir, 'Packages')]);
    const file = path.join(bdbDir, 'Packages');
    const contents = await readRpmdbBerkeley(file);
    expect(contents.problems).toEqual([]);
    expect([...new Set(contents.packages.map((p) => p.instance))].sort((a, b) => a - b)).toEqual(
      rows.map((r) => r.hnum).sort((a, b) => a - b),
    );
    expect(ourLines(contents)).toEqual(rpmLines);
    const bytes = await readFile(file);
    const raw = readBerkeleyHash(bytes, file);
    expect(raw.littleEndian).toBe(order === 'le');
    if (label.startsWith('little')) {
      // Overflow chains that loop back on themselves are refused, not followed forever.
      const looped = Buffer.from(bytes);
      let overflowPages = 0;
      for (let page = 1; (page + 1) * 4096 <= looped.length; page += 1) {
        if (looped.readUInt8(page * 4096 + 25) !== 7) continue;
        overflowPages += 1;
        looped.writeUInt32LE(page, page * 4096 + 16);
      }
      expect(overflowPages).toBeGreaterThan(40);
      expect(() => readBerkeleyHash(looped, 'looped')).toThrow(expect.objectContaining({ code: 'ARCHIVE_CORRUPT' }) as Error);
    }
    if (!label.includes('checksums')) {
      // rpm's own read-only BDB backend agrees (it cannot read checksummed pages).
      const theirs = await run('rpm', ['-qa', '--dbpath', bdbDir, '--define', '_db_backend bdb_ro', '--qf', QF]);
      expect(theirs.stdout.split('\n').filter(Boolean).sort()).toEqual(rpmLines);
    }
    const candidate = {
      path: file,
      name: 'Packages',
      relative: 'var/lib/rpm/Packages',
      head: (await readFile(file)).subarray(0, 512),
      explicit: false,
    };
    expect(linuxCatalogers.find((c) => c.matches(candidate))).toBe(rpmdbBerkeleyCataloger);
  });

  it('hostile Berkeley DB files fail as ARCHIVE_CORRUPT', async () => {
    const good = await readFile(path.join(INVENTORY, 'syft/fixtures/redhat/testdata/Packages'));
    const variants: [string, (b: Buffer) => void][] = [
      ['page size', (b) => b.writeUInt32LE(1000, 20)],
      ['max bucket', (b) => b.writeUInt32LE(0xffff, 72)],
      ['bucket page', (b) => b.writeUInt32LE(0x7fff, 96)],
      ['item count', (b) => b.writeUInt16LE(4001, 4096 + 20)],
      ['item offset', (b) => b.writeUInt16LE(2, 4096 + 26)],
    ];
    for (const [, mutate] of variants) {
      const copy = Buffer.from(good);
      mutate(copy);
      expect(() => readBerkeleyHash(copy, 'hostile')).toThrow(expect.objectContaining({ code: 'ARCHIVE_CORRUPT' }) as Error);
    }
    expect(readBerkeleyHash(good, 'good').entries.length).toBeGreaterThan(0);
  });

  it('copies of the database under another name are matched only when named explicitly', async () => {
    const copy = path.join(dir, 'renamed.sqlite');
    await copyFile(sqlitePath, copy);
    const head = (await readFile(copy)).subarray(0, 512);
    expect(
      rpmdbSqliteCataloger.matches({ path: copy, name: 'renamed.sqlite', relative: 'data/renamed.sqlite', head, explicit: false }),
    ).toBe(false);
    expect(rpmdbSqliteCataloger.matches({ path: copy, name: 'renamed.sqlite', relative: 'renamed.sqlite', head, explicit: true })).toBe(
      true,
    );
  });
});
