import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ExecRunner, MemoryLogger } from '@packaging-factory/core';
import { parseApkInstalled } from '@packaging-factory/formats';
import {
  apkInstalledCataloger,
  catalogApkInstalled,
  expandSbomInputs,
  findDistroRelease,
  linuxCatalogers,
  type SbomComponent,
} from '@packaging-factory/sbom';
import { tempDir } from '../support/context.ts';
import { FIXTURES, fixtureLine, INVENTORY } from './linux-tools.ts';

/**
 * Alpine's lib/apk/db/installed against osv-scanner's cases (name, version, aports commit) and
 * syft's (package details, licenses, dependencies and provides), plus purl-spec apk cases.
 */

interface OsvCase {
  id: string;
  fixture: string;
  expected_packages: { name: string; version: string; commit?: string }[];
}
interface SyftCase {
  id: string;
  fixture: string;
  expected_packages: { name: string; version: string; licenses: string[]; metadata: Record<string, unknown> }[];
}

const osvCases = (
  JSON.parse(await readFile(path.join(INVENTORY, 'osv-scanner-v1/cases.json'), 'utf8')) as { cases: OsvCase[] }
).cases.filter((c) => c.id.startsWith('apk-installed/'));
const syftCases = (JSON.parse(await readFile(path.join(INVENTORY, 'syft/cases.json'), 'utf8')) as { cases: SyftCase[] }).cases.filter((c) =>
  c.id.startsWith('parse_apk_db/'),
);
const purlTests = (
  JSON.parse(await readFile(path.join(FIXTURES, 'purl-spec/tests/types/apk-test.json'), 'utf8')) as {
    tests: { test_type: string; input: unknown; expected_output: unknown }[];
  }
).tests.filter((t) => t.test_type === 'build');

const tally = { osv: { passed: 0, total: 0 }, syft: { passed: 0, total: 0 } };
afterAll(() => {
  console.log(fixtureLine('package-inventory/osv-scanner-v1 apk-installed', tally.osv.passed, tally.osv.total));
  console.log(fixtureLine('package-inventory/syft apk', tally.syft.passed, tally.syft.total));
  expect(tally.osv).toEqual({ passed: 4, total: 4 });
  expect(tally.syft).toEqual({ passed: 2, total: 2 });
});

const prop = (c: SbomComponent | undefined, name: string): string | undefined =>
  c?.properties.find(([n]) => n === `packaging-factory:apk:${name}`)?.[1];
const props = (c: SbomComponent | undefined, name: string): string[] =>
  c?.properties.filter(([n]) => n === `packaging-factory:apk:${name}`).map(([, v]) => v) ?? [];

describe('apk installed against osv-scanner v1.9.2', () => {
  it.each(osvCases)('$id', async (testCase) => {
    tally.osv.total += 1;
    const file = path.join(INVENTORY, 'osv-scanner-v1', testCase.fixture);
    const out = catalogApkInstalled(await readFile(file, 'utf8'), { source: testCase.fixture });
    const ours = out.components.map((c) => `${c.name}@${c.version ?? ''}#${prop(c, 'commit') ?? ''}`).sort();
    expect(ours).toEqual(testCase.expected_packages.map((p) => `${p.name}@${p.version}#${p.commit ?? ''}`).sort());
    tally.osv.passed += 1;
  });

  it('links D: entries to packages and so:/cmd: providers in the same database', async () => {
    const file = path.join(INVENTORY, 'osv-scanner-v1/fixtures/apk/multiple_installed');
    const out = catalogApkInstalled(await readFile(file, 'utf8'), { source: 'installed' });
    const busybox = out.components.find((c) => c.name === 'busybox');
    const musl = out.components.find((c) => c.name === 'musl');
    expect([...(busybox?.dependsOn ?? [])]).toEqual([musl?.ref]);
    expect(out.components.find((c) => c.name === 'alpine-baselayout-data')?.purl).toBe(
      'pkg:apk/alpine/alpine-baselayout-data@3.4.0-r0?arch=x86_64&upstream=alpine-baselayout',
    );
  });
});

describe('apk installed against syft', () => {
  it.each(syftCases)('$id', async (testCase) => {
    tally.syft.total += 1;
    const file = path.join(INVENTORY, 'syft', testCase.fixture);
    const out = catalogApkInstalled(await readFile(file, 'utf8'), { source: testCase.fixture });
    expect(out.components).toHaveLength(testCase.expected_packages.length);
    for (const wanted of testCase.expected_packages) {
      const c = out.components.find((x) => x.name === wanted.name);
      const m = wanted.metadata;
      expect(c?.version).toBe(wanted.version);
      expect(c?.licenses).toEqual(wanted.licenses);
      expect(prop(c, 'origin')).toBe(m['OriginPackage']);
      expect(prop(c, 'arch')).toBe(m['Architecture']);
      expect(prop(c, 'checksum')).toBe(m['Checksum']);
      expect(prop(c, 'commit')).toBe(m['GitCommit']);
      expect(prop(c, 'size')).toBe(String(m['Size']));
      expect(prop(c, 'installed-size')).toBe(String(m['InstalledSize']));
      expect(props(c, 'depends')).toEqual(m['Dependencies']);
      expect(props(c, 'provides').sort()).toEqual([...(m['Provides'] as string[])].sort());
      expect(c?.externalReferences).toEqual([{ type: 'website', url: m['URL'] }]);
      // The transcribed expectation double-encodes 'ä' (UTF-8 bytes read as Latin-1); the file
      // itself holds UTF-8, which we decode.
      const maintainer = String(m['Maintainer']);
      const decoded = Buffer.from(maintainer, 'latin1').toString('utf8');
      expect(prop(c, 'maintainer')).toBe(/\uFFFD/.test(decoded) ? maintainer : decoded);
      // syft asserts no purl here (its parser does not know the distro); ours is the purl-spec form.
      expect(c?.purl).toBe(
        `pkg:apk/alpine/${wanted.name}@${wanted.version}?arch=${String(m['Architecture'])}&upstream=${String(m['OriginPackage'])}`,
      );
    }
    tally.syft.passed += 1;
  });
});

describe('purl-spec apk build cases', () => {
  it.each(purlTests)('$expected_output', (t) => {
    const input = t.input as { namespace: string; name: string; version: string; qualifiers: Record<string, string> };
    const text = `P:${input.name}\nV:${input.version}\nA:${input.qualifiers['arch']}\n`;
    const out = catalogApkInstalled(text, { source: 'installed' });
    expect(out.components[0]?.purl).toBe(t.expected_output);
  });
});

describe('an Alpine root filesystem', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('apk-root-');
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await mkdir(path.join(root, 'lib/apk/db'), { recursive: true });
    await writeFile(path.join(root, 'etc/os-release'), 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.18.4\n');
    await writeFile(
      path.join(root, 'lib/apk/db/installed'),
      [
        'P:curl',
        'V:8.4.0-r0',
        'A:x86_64',
        'L:curl',
        'o:curl',
        'D:ca-certificates-bundle so:libc.musl-x86_64.so.1 so:libcurl.so.4 !curl-old',
        'p:cmd:curl=8.4.0-r0',
        '',
        'P:libcurl',
        'V:8.4.0-r0',
        'A:x86_64',
        'L:MIT AND BSD-3-Clause',
        'o:curl',
        'D:so:libc.musl-x86_64.so.1',
        'p:so:libcurl.so.4=4.8.0',
        '',
        'P:musl',
        'V:1.2.4-r2',
        'A:x86_64',
        'p:so:libc.musl-x86_64.so.1=1',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is matched by path in a walk and gets the distro qualifier', async () => {
    const found = await expandSbomInputs([root], root, linuxCatalogers, { distroOf: findDistroRelease });
    expect(found.map((f) => [path.relative(root, f.file), f.cataloger.kind])).toEqual([['lib/apk/db/installed', 'apk-installed']]);
    const distro = found[0]?.distro;
    expect(distro?.qualifier).toBe('alpine-3.18.4');
    const out = await apkInstalledCataloger.catalog(
      { file: path.join(root, 'lib/apk/db/installed'), shown: 'installed' },
      { exec: new ExecRunner(new MemoryLogger()), workDir: root, ...(distro === undefined ? {} : { distro }) },
    );
    const byName = new Map(out.components.map((c) => [c.name, c]));
    const curl = byName.get('curl');
    expect(curl?.purl).toBe('pkg:apk/alpine/curl@8.4.0-r0?arch=x86_64&distro=alpine-3.18.4');
    expect(byName.get('libcurl')?.purl).toBe('pkg:apk/alpine/libcurl@8.4.0-r0?arch=x86_64&distro=alpine-3.18.4&upstream=curl');
    expect(byName.get('libcurl')?.licenses).toEqual(['MIT AND BSD-3-Clause']);
    expect([...(curl?.dependsOn ?? [])].sort()).toEqual([byName.get('libcurl')?.ref, byName.get('musl')?.ref].sort());
    expect(props(curl, 'depends-unresolved')).toEqual(['ca-certificates-bundle']);
  });

  it('tolerates damage: records without P: and stray lines are noted', () => {
    const parsed = parseApkInstalled('junk\nV:1\n\nP:ok\nV:2\n', 'db');
    expect(parsed.packages.map((p) => p.name)).toEqual(['ok']);
    expect(parsed.notes).toHaveLength(2);
  });
});
