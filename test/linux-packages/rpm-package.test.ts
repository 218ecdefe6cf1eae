import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import { parseRpmHeader, readRpmPackage, rpmPackageInfo, RPM_TAG, type RpmPackageInfo } from '@packaging-factory/formats';
import { catalogRpmFile, rpmCataloger, rpmPurl } from '@packaging-factory/sbom';
import { tempDir } from '../support/context.ts';
import { BINARY_PACKAGES, FIXTURES, fixtureLine, requireTool, run } from './linux-tools.ts';

/**
 * RPM package headers read in TypeScript, against binary-packages/cases.json (expected_rpm_cli =
 * `rpm -qp --qf` output of rpm 4.18) and, where rpm is installed, against rpm itself again.
 */

interface RpmCase {
  file: string;
  expected_rpm_cli: {
    name: string;
    epoch: number;
    version: string;
    release: string;
    arch: string;
    license: string;
    sourcerpm: string | null;
    vendor: string | null;
  };
  expected_scancode: {
    summary: string | null;
    packager: string | null;
    url: string | null;
    distribution: string | null;
    is_binary: boolean;
  };
}

const cases = (JSON.parse(await readFile(path.join(BINARY_PACKAGES, 'cases.json'), 'utf8')) as { rpm: RpmCase[] }).rpm;
const rpmAvailable = await requireTool('rpm', 'rpm');
const tally = { passed: 0, total: 0 };
afterAll(() => {
  console.log(fixtureLine('binary-packages/rpm', tally.passed, tally.total));
  expect(tally).toEqual({ passed: 22, total: 22 });
});

function cliView(info: RpmPackageInfo): RpmCase['expected_rpm_cli'] {
  return {
    name: info.name,
    // rpm's %{epochnum} prints 0 for a header without EPOCH.
    epoch: info.epoch ?? 0,
    version: info.version,
    release: info.release,
    arch: info.arch ?? '',
    license: info.license ?? '',
    sourcerpm: info.isSource ? null : (info.sourceRpm ?? null),
    vendor: info.vendor ?? null,
  };
}

describe('RPM headers against rpm -qp (binary-packages/cases.json rpm[])', () => {
  it('has the 22 cases the fixture README lists', () => {
    expect(cases).toHaveLength(22);
  });

  it.each(cases)('$file', async (testCase) => {
    tally.total += 1;
    const pkg = await readRpmPackage(path.join(BINARY_PACKAGES, testCase.file));
    expect(cliView(pkg.info)).toEqual(testCase.expected_rpm_cli);
    // scancode's view of the same files: binary vs source, and the free-text fields.
    expect(!pkg.info.isSource).toBe(testCase.expected_scancode.is_binary);
    expect(pkg.info.summary ?? null).toBe(testCase.expected_scancode.summary);
    expect(pkg.info.packager ?? null).toBe(testCase.expected_scancode.packager);
    expect(pkg.info.distribution ?? null).toBe(testCase.expected_scancode.distribution);
    tally.passed += 1;
  });
});

(rpmAvailable ? describe : describe.skip)('RPM headers against the installed rpm', () => {
  const QF = '%{name}|%{epochnum}|%{version}|%{release}|%{arch}|%{license}|%{size}|%{buildtime}|%{url}|%{summary}|%{buildhost}\\n';
  it.each(cases)('$file: rpm -qp agrees on every field, requires and provides', async (testCase) => {
    const file = path.join(BINARY_PACKAGES, testCase.file);
    const pkg = await readRpmPackage(file);
    const { stdout } = await run('rpm', ['-qp', '--nosignature', '--nodigest', '--qf', QF, file]);
    const none = (v: string | number | undefined): string => (v === undefined ? '(none)' : String(v));
    const i = pkg.info;
    expect(stdout.trim()).toBe(
      [
        i.name,
        i.epoch ?? 0,
        i.version,
        i.release,
        none(i.arch),
        none(i.license),
        none(i.size),
        none(i.buildTime),
        none(i.url),
        none(i.summary),
        none(i.buildHost),
      ].join('|'),
    );
    const requires = await run('rpm', ['-qp', '--nosignature', '--nodigest', '--qf', '[%{requirename}\\n]', file]);
    expect(requires.stdout.split('\n').filter(Boolean)).toEqual(i.requires.map((d) => d.name));
    const provides = await run('rpm', [
      '-qp',
      '--nosignature',
      '--nodigest',
      '--qf',
      '[%{providename} %{provideflags:depflags} %{provideversion}\\n]',
      file,
    ]);
    expect(
      provides.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/\s+/g, ' ').trim()),
    ).toEqual(i.provides.map((d) => (d.operator === undefined ? d.name : `${d.name} ${d.operator} ${d.version}`)));
    const files = await run('rpm', ['-qp', '--nosignature', '--nodigest', '--qf', '[%{filenames}\\n]', file]);
    expect(files.stdout.split('\n').filter(Boolean)).toEqual(i.files);
  });
});

describe('RPM components', () => {
  it('a binary package: purl with vendor namespace, upstream source rpm, sha256 and properties', async () => {
    const file = path.join(BINARY_PACKAGES, 'rpm/mdv-rpm-summary-0.9.3-1mdv2010.0.noarch.rpm');
    const out = await catalogRpmFile(file, 'mdv-rpm-summary.rpm');
    const [c] = out.components;
    expect(c?.purl).toBe('pkg:rpm/mandriva/mdv-rpm-summary@0.9.3-1mdv2010.0?arch=noarch&upstream=mdv-rpm-summary-0.9.3-1mdv2010.0.src.rpm');
    expect(c?.version).toBe('0.9.3-1mdv2010.0');
    expect(c?.licenses).toEqual(['GPL']);
    expect(c?.supplier).toEqual({ name: 'Mandriva' });
    expect(c?.hashes.get('SHA-256')).toMatch(/^[0-9a-f]{64}$/);
    expect(c?.properties).toContainEqual(['packaging-factory:rpm:sourcerpm', 'mdv-rpm-summary-0.9.3-1mdv2010.0.src.rpm']);
    expect(c?.properties).toContainEqual(['packaging-factory:source', 'mdv-rpm-summary.rpm']);
    const names = c?.properties.map(([n]) => n) ?? [];
    expect([...names]).toEqual([...names].sort());
  });

  it('a source package with an epoch: arch=src, epoch qualifier, epoch in the version', async () => {
    const out = await catalogRpmFile(path.join(BINARY_PACKAGES, 'rpm/perl-CGI-3.42-8.src.rpm'), 'perl-CGI.src.rpm', {
      id: 'fedora',
      versionId: '39',
      qualifier: 'fedora-39',
    });
    const [c] = out.components;
    // A loose .rpm keeps its vendor's namespace even inside a Fedora root; distro says where it was found.
    expect(c?.purl).toBe('pkg:rpm/atrpms.net/perl-CGI@3.42-8?arch=src&distro=fedora-39&epoch=2');
    expect(c?.version).toBe('2:3.42-8');
    expect(c?.properties).toContainEqual(['packaging-factory:rpm:package-type', 'source']);
    expect(c?.properties).toContainEqual(['packaging-factory:rpm:arch', 'noarch']);
  });

  it('matches .rpm files by lead magic, not by name alone', () => {
    const head = Buffer.from([0xed, 0xab, 0xee, 0xdb, 3, 0]);
    const candidate = { path: '/x/a.rpm', name: 'a.rpm', relative: 'a.rpm', head, explicit: false };
    expect(rpmCataloger.matches(candidate)).toBe(true);
    expect(rpmCataloger.matches({ ...candidate, head: Buffer.from('not an rpm') })).toBe(false);
    expect(rpmCataloger.matches({ ...candidate, name: 'renamed', relative: 'renamed' })).toBe(false);
    expect(rpmCataloger.matches({ ...candidate, name: 'renamed', relative: 'renamed', explicit: true })).toBe(true);
  });
});

interface PurlTest {
  test_type: string;
  input: { type: string; namespace: string; name: string; version: string; qualifiers: Record<string, string> } | string;
  expected_output: string;
}
const purlTests = (JSON.parse(await readFile(path.join(FIXTURES, 'purl-spec/tests/types/rpm-test.json'), 'utf8')) as { tests: PurlTest[] })
  .tests;

describe('purl-spec rpm cases', () => {
  const tests = purlTests.filter((t) => t.test_type === 'build');

  it.each(tests)('builds $expected_output', (t) => {
    const input = t.input as Exclude<PurlTest['input'], string>;
    const [version, release] = [
      input.version.slice(0, input.version.lastIndexOf('-')),
      input.version.slice(input.version.lastIndexOf('-') + 1),
    ];
    const info: RpmPackageInfo = {
      name: input.name,
      version,
      release,
      arch: input.qualifiers['arch'] ?? 'noarch',
      isSource: false,
      requires: [],
      provides: [],
      files: [],
    };
    if (input.qualifiers['epoch'] !== undefined) info.epoch = Number(input.qualifiers['epoch']);
    const distro = input.qualifiers['distro'];
    const purl = rpmPurl(info, {
      preferDistro: true,
      ...(distro === undefined ? {} : { distro: { id: input.namespace, qualifier: distro } }),
    });
    expect(purl).toBe(t.expected_output);
  });
});

describe('hostile RPM headers fail as ARCHIVE_CORRUPT, never out of bounds', () => {
  const sample = path.join(BINARY_PACKAGES, 'rpm/perl-Compress-Zlib-1.16-1.8.0.noarch.rpm');

  async function mainHeader(): Promise<Buffer> {
    const bytes = await readFile(sample);
    const pkg = await readRpmPackage(sample);
    return bytes.subarray(pkg.headerOffset, pkg.headerOffset + pkg.headerLength);
  }

  function readAll(bytes: Buffer): void {
    const { header } = parseRpmHeader(bytes, 'fuzz');
    rpmPackageInfo(header, 'fuzz');
    for (const tag of Object.values(RPM_TAG)) {
      try {
        header.string(tag);
      } catch (error) {
        if (!(error instanceof FactoryError)) throw error;
      }
      try {
        header.numbers(tag);
      } catch (error) {
        if (!(error instanceof FactoryError)) throw error;
      }
    }
  }

  it('rejects an index count, data size, offset or count out of range', async () => {
    const good = await mainHeader();
    const patch = (at: number, value: number): Buffer => {
      const copy = Buffer.from(good);
      copy.writeUInt32BE(value >>> 0, at);
      return copy;
    };
    expect(() => readAll(patch(8, 0x7fffffff))).toThrow(/implausible index entry count/);
    expect(() => readAll(patch(12, 0x0fffffff))).toThrow(/ends first/);
    // First index entry: tag at 16, type at 20, offset at 24, count at 28.
    expect(() => readAll(patch(24, 0x7ffffff0))).toThrow(FactoryError);
    expect(() => readAll(patch(28, 0x7ffffff0))).toThrow(FactoryError);
    expect(() => readAll(patch(20, 99))).toThrow(/unknown type/);
    expect(() => readAll(good.subarray(0, good.length - 10))).toThrow(/ends first/);
  });

  it('survives 2,000 random corruptions: each parses or throws ARCHIVE_CORRUPT', async () => {
    const good = await mainHeader();
    let seed = 12345;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let rejected = 0;
    for (let round = 0; round < 2000; round += 1) {
      const copy = Buffer.from(good.subarray(0, round % 7 === 0 ? random(good.length) : good.length));
      const indexBytes = 16 + (good.readUInt32BE(8) & 0xffff) * 16;
      for (let k = 0; k < 1 + random(4); k += 1) if (copy.length > 0) copy[random(Math.min(copy.length, indexBytes))] = random(256);
      try {
        readAll(copy);
      } catch (error) {
        expect(error).toBeInstanceOf(FactoryError);
        expect((error as FactoryError).code).toBe('ARCHIVE_CORRUPT');
        rejected += 1;
      }
    }
    expect(rejected).toBeGreaterThan(100);
  });

  it('rejects truncated package files and a bad lead', async () => {
    const dir = await tempDir('rpm-hostile-');
    try {
      const bytes = await readFile(sample);
      for (const length of [10, 96, 120, 400]) {
        const file = path.join(dir, `cut-${length}.rpm`);
        await writeFile(file, bytes.subarray(0, length));
        await expect(readRpmPackage(file)).rejects.toMatchObject({ code: 'ARCHIVE_CORRUPT' });
      }
      const badSig = Buffer.from(bytes);
      badSig.writeUInt16BE(2, 78);
      await writeFile(path.join(dir, 'sig.rpm'), badSig);
      await expect(readRpmPackage(path.join(dir, 'sig.rpm'))).rejects.toThrow(/signature type 2/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
