import { readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { debianRelease, readSbomComponents } from '@packaging-factory/vuln';
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
      { name: 'bash', version: '5.2.15-2', purl: 'pkg:deb/ubuntu/bash@5.2.15-2' },
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
    expect(skipped.map((s) => s.reason)).toEqual(['unsupported purl type: deb/ubuntu (only Debian is scanned so far)']);
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

describe('reading the CycloneDX specification’s own valid examples', () => {
  const folder = path.join(FIXTURES, 'cyclonedx', 'tests');

  it.each(['1.5', '1.6'])('reads every valid %s example, accounting for each component', async (version) => {
    const files = (await readdir(path.join(folder, version))).filter((f) => f.startsWith('valid-') && f.endsWith('.json')).sort();
    expect(files.length).toBeGreaterThanOrEqual(20);
    for (const file of files) {
      const result = await readSbomComponents(path.join(folder, version, file));
      expect(result.scannable.length + result.skipped.length + result.files).toBe(result.total);
    }
  });

  it('walks nested components (valid-compositions-1.6.json nests a shaded library)', async () => {
    const result = await readSbomComponents(path.join(folder, '1.6', 'valid-compositions-1.6.json'));
    expect(result.total).toBe(3);
    expect(result.skipped.map((s) => s.purl)).toEqual([
      'pkg:maven/partner/shaded-library@1.0',
      'pkg:maven/ossproject/library@2.0',
      'pkg:maven/acme/library@3.0',
    ]);
  });
});
