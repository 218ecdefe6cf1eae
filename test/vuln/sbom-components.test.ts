import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DECLARED_ONLY_PROPERTY, debianRelease, readSbomComponents, type SbomComponents } from '@packaging-factory/vuln';
import { tempDir } from '../support/context.ts';
import { FIXTURES } from './fixtures.ts';
import { writeSbom } from './scan-fixtures.ts';

describe('CycloneDX components to package queries', () => {
  const dirs: string[] = [];
  const newDir = async (): Promise<string> => {
    const dir = await tempDir('sbom-components-');
    dirs.push(dir);
    return dir;
  };
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('keeps the registry spelling of legacy mixed-case npm names and joins scopes', async () => {
    const dir = await newDir();
    const file = await writeSbom(dir, [
      { name: 'JSONStream', version: '1.3.5', purl: 'pkg:npm/jsonstream@1.3.5' },
      { group: '@babel', name: 'core', version: '7.0.0', purl: 'pkg:npm/%40babel/core@7.0.0' },
    ]);
    const { scannable } = await readSbomComponents(file);
    expect(scannable.map((c) => c.query)).toEqual([
      { ecosystem: 'npm', version: '1.3.5', lookups: [{ name: 'JSONStream', version: '1.3.5' }] },
      { ecosystem: 'npm', version: '7.0.0', lookups: [{ name: '@babel/core', version: '7.0.0' }] },
    ]);
  });

  it('reads Debian release and source package from purl qualifiers', async () => {
    const dir = await newDir();
    const file = await writeSbom(dir, [
      {
        name: 'libssl3',
        version: '3.0.11-1~deb12u2',
        purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12.5&upstream=openssl',
      },
      {
        name: 'zlib1g',
        version: '1:1.2.13.dfsg-1+b1',
        purl: 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1%2Bb1?distro=bookworm&upstream=zlib%401%3A1.2.13.dfsg-1',
      },
      { name: 'bash', version: '5.2.15-2', purl: 'pkg:deb/devuan/bash@5.2.15-2' },
    ]);
    const { scannable, skipped } = await readSbomComponents(file);
    expect(scannable.map((c) => c.query)).toEqual([
      {
        ecosystem: 'Debian',
        version: '3.0.11-1~deb12u2',
        release: '12',
        lookups: [
          { name: 'libssl3', version: '3.0.11-1~deb12u2' },
          { name: 'openssl', version: '3.0.11-1~deb12u2' },
        ],
      },
      {
        ecosystem: 'Debian',
        version: '1:1.2.13.dfsg-1+b1',
        release: '12',
        lookups: [
          { name: 'zlib1g', version: '1:1.2.13.dfsg-1+b1' },
          { name: 'zlib', version: '1:1.2.13.dfsg-1' },
        ],
      },
    ]);
    expect(skipped.map((s) => s.reason)).toEqual(['unsupported purl type: deb/devuan (Debian and Ubuntu are scanned)']);
  });

  it('maps distro qualifiers to OSV Debian releases', () => {
    expect(
      ['debian-12', 'debian-12.5', 'bookworm', 'debian-bookworm', '7', 'wheezy', 'debian-3.1', 'sid', 'debian-16'].map(debianRelease),
    ).toEqual(['12', '12', '12', '12', '7', '7', '3.1', 'sid', '16']);
    expect(debianRelease('ubuntu-22.04')).toBeUndefined();
    expect(debianRelease('debian-2.9')).toBeUndefined();
  });

  it('lists components with an unparseable purl as skipped', async () => {
    const dir = await newDir();
    const file = path.join(dir, 'bom.json');
    await writeFile(
      file,
      JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ type: 'library', name: 'x', purl: 'npm/x@1' }] }),
    );
    const result = await readSbomComponents(file);
    expect(result.total).toBe(1);
    expect(result.skipped[0]?.reason).toMatch(/^purl does not parse/);
  });
});

describe('components the scan cannot look up', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  const read = async (components: Record<string, unknown>[]): Promise<SbomComponents> => {
    const dir = await tempDir('sbom-unscannable-');
    dirs.push(dir);
    const file = path.join(dir, 'bom.json');
    await writeFile(file, JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components }));
    return readSbomComponents(file);
  };

  it('lists package components without a purl or a version as unscannable, with their type', async () => {
    const result = await read([
      { type: 'library', name: 'lodash', version: '4.17.20' },
      { type: 'library', name: 'lodash', purl: 'pkg:npm/lodash' },
      { type: 'application', name: 'tool', version: '2.0' },
      { type: 'framework', name: 'fw', purl: 'pkg:deb/debian/fw?arch=all' },
      { type: 'container', name: 'image' },
      { type: 'operating-system', name: 'debian', version: '12' },
    ]);
    expect(result.scannable).toEqual([]);
    expect(result.skipped).toEqual([]);
    expect(result.unscannable.map((u) => [u.type, u.name, u.reason])).toEqual([
      ['library', 'lodash', 'no purl'],
      ['library', 'lodash', 'no version in purl or component'],
      ['application', 'tool', 'no purl'],
      ['framework', 'fw', 'no version in purl or component'],
      ['container', 'image', 'no purl'],
      ['operating-system', 'debian', 'no purl'],
    ]);
  });

  it('takes the version from the component when the purl has none', async () => {
    const result = await read([{ type: 'library', name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash' }]);
    expect(result.scannable.map((c) => c.query.version)).toEqual(['4.17.20']);
    expect(result.unscannable).toEqual([]);
  });

  it('counts declared-only dependencies apart, and only when the property says true', async () => {
    const declared = (value: string): Record<string, unknown> => ({
      type: 'library',
      name: 'nodejs',
      purl: 'pkg:deb/debian/nodejs',
      properties: [
        { name: 'packaging-factory:deb:declared-as', value: 'nodejs' },
        { name: DECLARED_ONLY_PROPERTY, value },
      ],
    });
    const result = await read([declared('true'), declared('false')]);
    expect(result.declaredOnly.map((d) => [d.purl, d.reason])).toEqual([
      ['pkg:deb/debian/nodejs', 'declared dependency, not shipped in the package'],
    ]);
    expect(result.unscannable.map((u) => u.purl)).toEqual(['pkg:deb/debian/nodejs']);
  });

  it('still scans a declared-only component that carries a version', async () => {
    const result = await read([
      {
        type: 'library',
        name: 'nodejs',
        purl: 'pkg:deb/debian/nodejs@18.19.0%2Bdfsg-6~deb12u2',
        properties: [{ name: DECLARED_ONLY_PROPERTY, value: 'true' }],
      },
    ]);
    expect(result.scannable.map((c) => c.query.version)).toEqual(['18.19.0+dfsg-6~deb12u2']);
    expect(result.declaredOnly).toEqual([]);
  });

  it('keeps files as files and lists other non-package types without a purl as skipped', async () => {
    const result = await read([
      { type: 'file', name: 'usr/bin/hello' },
      { type: 'data', name: 'tzdata-blob' },
      { type: 'firmware', name: 'blob', version: '1' },
      { name: 'untyped', version: '1.0' },
    ]);
    expect(result.files).toBe(1);
    expect(result.skipped.map((s) => [s.name, s.reason])).toEqual([
      ['tzdata-blob', 'no purl (a data component, not a package)'],
      ['blob', 'no purl (a firmware component, not a package)'],
    ]);
    // CycloneDX requires a type: a component without one may be a package, so it is not quietly skipped.
    expect(result.unscannable.map((u) => [u.name, u.type])).toEqual([['untyped', 'unknown']]);
  });
});

describe('reading the CycloneDX specification’s own valid examples', () => {
  const folder = path.join(FIXTURES, 'cyclonedx', 'tests');

  it.each(['1.5', '1.6'])('reads every valid %s example, accounting for each component', async (version) => {
    const files = (await readdir(path.join(folder, version))).filter((f) => f.startsWith('valid-') && f.endsWith('.json')).sort();
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const file of files) {
      const result = await readSbomComponents(path.join(folder, version, file));
      const accounted =
        result.scannable.length + result.skipped.length + result.unscannable.length + result.declaredOnly.length + result.files;
      expect(accounted).toBe(result.total);
    }
  });

  it('walks nested components (valid-compositions-1.6.json nests a shaded library)', async () => {
    const result = await readSbomComponents(path.join(folder, '1.6', 'valid-compositions-1.6.json'));
    expect(result.total).toBe(3);
    expect(result.scannable.map((s) => [s.purl, s.query.ecosystem, s.query.lookups[0]?.name])).toEqual([
      ['pkg:maven/partner/shaded-library@1.0', 'Maven', 'partner:shaded-library'],
      ['pkg:maven/ossproject/library@2.0', 'Maven', 'ossproject:library'],
      ['pkg:maven/acme/library@3.0', 'Maven', 'acme:library'],
    ]);
  });
});
