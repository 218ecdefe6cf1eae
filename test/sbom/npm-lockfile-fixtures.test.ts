import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { catalogNpmLockfile, distinctNpmPackages, parseNpmLockfile, sriToHexDigests } from '@packaging-factory/sbom';
import { FIXTURES, HELLO_PKGROOT } from '../formats/deb-tools.ts';

/**
 * The package-inventory fixtures: npm lockfiles with the package lists osv-scanner and syft assert
 * upstream. osv-scanner's are inventory semantics (root excluded, dev packages included with their
 * groups); syft's are SBOM semantics (root included, dev packages left out) — which is what our
 * catalogue lists as components not `excluded`.
 */

const INVENTORY = path.join(FIXTURES, 'package-inventory');

interface Expected {
  name: string;
  version: string;
  commit?: string;
  dep_groups?: string[];
}
interface OsvCase {
  id: string;
  ecosystem: string;
  fixture: string;
  expected_packages: Expected[];
  expected_error_containing?: string;
  expected_package_count?: number;
  expected_packages_include?: Expected[];
}
interface SyftCase {
  id: string;
  fixture: string;
  expected_packages: {
    name: string;
    version: string;
    purl: string;
    licenses?: string[];
    metadata: { Resolved?: string; Integrity?: string };
  }[];
}

const osvCases = (
  JSON.parse(await readFile(path.join(INVENTORY, 'osv-scanner-v1/cases.json'), 'utf8')) as { cases: OsvCase[] }
).cases.filter((c) => c.ecosystem === 'npm');
const syftCases = (JSON.parse(await readFile(path.join(INVENTORY, 'syft/cases.json'), 'utf8')) as { cases: SyftCase[] }).cases.filter((c) =>
  c.fixture.includes('pkg-lock/'),
);

const tally = { osv: { passed: 0, total: 0 }, syft: { passed: 0, total: 0 } };
afterAll(() => {
  console.log(
    `package-inventory npm lockfiles: osv-scanner ${tally.osv.passed}/${tally.osv.total} cases, syft ${tally.syft.passed}/${tally.syft.total} cases`,
  );
});

function key(p: { name: string; version: string; commit?: string | undefined }): string {
  return `${p.name}@${p.version}#${p.commit ?? ''}`;
}

describe('npm lockfiles against osv-scanner v1.9.2 expectations', () => {
  it.each(osvCases)('$id', async (testCase) => {
    tally.osv.total += 1;
    const file = path.join(INVENTORY, 'osv-scanner-v1', testCase.fixture);
    const text = await readFile(file, 'utf8');
    if (testCase.expected_error_containing !== undefined) {
      expect(() => parseNpmLockfile(text, file)).toThrow(testCase.expected_error_containing);
      tally.osv.passed += 1;
      return;
    }
    const packages = distinctNpmPackages(parseNpmLockfile(text, file));
    if (testCase.expected_package_count !== undefined) {
      expect(packages).toHaveLength(testCase.expected_package_count);
      const keys = new Set(packages.map(key));
      for (const wanted of testCase.expected_packages_include ?? []) expect(keys).toContain(key(wanted));
      tally.osv.passed += 1;
      return;
    }
    expect(packages.map(key).sort()).toEqual(testCase.expected_packages.map(key).sort());
    for (const wanted of testCase.expected_packages) {
      if (wanted.dep_groups === undefined) continue;
      const found = packages.find((p) => key(p) === key(wanted))!;
      expect({ package: key(wanted), groups: found.depGroups }).toEqual({ package: key(wanted), groups: [...wanted.dep_groups].sort() });
    }
    tally.osv.passed += 1;
  });
});

describe('npm lockfiles against syft expectations (SBOM semantics)', () => {
  it.each(syftCases)('$id', async (testCase) => {
    tally.syft.total += 1;
    const file = path.join(INVENTORY, 'syft', testCase.fixture);
    const lock = parseNpmLockfile(await readFile(file, 'utf8'), file);
    const { components } = catalogNpmLockfile(lock, { source: 'package-lock.json' });
    const shipped = components.filter((c) => c.scope !== 'excluded');
    const actual = shipped
      .map((c) => ({
        name: c.group === undefined ? c.name : `${c.group}/${c.name}`,
        version: c.version ?? '',
        purl: c.purl,
        licenses: c.licenses,
        resolved: c.externalReferences.find((r) => r.type === 'distribution')?.url,
        hashes: Object.fromEntries(c.hashes),
      }))
      .sort((a, b) => a.purl!.localeCompare(b.purl!));
    const expected = testCase.expected_packages
      .map((p) => ({
        name: p.name,
        version: p.version,
        purl: p.purl,
        licenses: p.licenses ?? [],
        resolved: p.metadata.Resolved,
        // Integrity becomes CycloneDX hashes; malformed SRI values ('sha512-duplicate') give none.
        hashes: Object.fromEntries(sriToHexDigests(p.metadata.Integrity)),
      }))
      .sort((a, b) => a.purl.localeCompare(b.purl));
    expect(actual).toEqual(expected);
    tally.syft.passed += 1;
  });
});

describe('dependency graph from a lockfile', () => {
  it('links each package to what it declares, from the root down', async () => {
    const file = path.join(INVENTORY, 'syft/fixtures/javascript/testdata/pkg-lock/package-lock-2.json');
    const catalog = catalogNpmLockfile(parseNpmLockfile(await readFile(file, 'utf8'), file), { source: 'lock' });
    expect(catalog.root?.ref).toBe('pkg:npm/npm@6.14.6');
    // async is a devDependency: linked, but its component is excluded (not shipped).
    expect([...catalog.root!.dependsOn].sort()).toEqual(['pkg:npm/%40types/react@18.0.17', 'pkg:npm/async@3.2.4']);
    expect(catalog.components.find((c) => c.name === 'async')!.scope).toBe('excluded');
    const react = catalog.components.find((c) => c.name === 'react')!;
    expect([...react.dependsOn].sort()).toEqual([
      'pkg:npm/%40types/prop-types@15.7.5',
      'pkg:npm/%40types/scheduler@0.16.2',
      'pkg:npm/csstype@3.1.0',
    ]);
  });

  it('resolves nested installs the way Node does: the closest node_modules wins', () => {
    const lock = parseNpmLockfile(
      JSON.stringify({
        name: 'app',
        version: '1.0.0',
        lockfileVersion: 3,
        packages: {
          '': { name: 'app', version: '1.0.0', dependencies: { a: '^1', b: '^2' } },
          'node_modules/a': { version: '1.0.0', dependencies: { b: '^1' } },
          'node_modules/a/node_modules/b': { version: '1.5.0' },
          'node_modules/b': { version: '2.0.0', dependencies: { a: '^1' } },
          'node_modules/dev-tool': { version: '3.0.0', dev: true },
        },
      }),
      'inline',
    );
    const { components, directRefs } = catalogNpmLockfile(lock, { source: 'inline' });
    const byRef = new Map(components.map((c) => [c.ref, c]));
    expect(directRefs).toEqual(['pkg:npm/a@1.0.0', 'pkg:npm/b@2.0.0']);
    expect([...byRef.get('pkg:npm/a@1.0.0')!.dependsOn]).toEqual(['pkg:npm/b@1.5.0']);
    expect([...byRef.get('pkg:npm/b@2.0.0')!.dependsOn]).toEqual(['pkg:npm/a@1.0.0']);
    expect(byRef.get('pkg:npm/dev-tool@3.0.0')!.scope).toBe('excluded');
    expect(byRef.get('pkg:npm/dev-tool@3.0.0')!.properties).toContainEqual(['cdx:npm:package:development', 'true']);
  });

  it('reads the example application lock (v3) with licenses and sha512 integrity', async () => {
    const file = path.join(HELLO_PKGROOT, 'usr/lib/hello-factory/package-lock.json');
    const lock = parseNpmLockfile(await readFile(file, 'utf8'), file);
    expect(lock.lockfileVersion).toBe(3);
    const catalog = catalogNpmLockfile(lock, { source: 'package-lock.json' });
    expect(catalog.root?.purl).toBe('pkg:npm/hello-factory@1.0.0');
    expect(catalog.directRefs).toEqual(['pkg:npm/ansi-html@0.0.9', 'pkg:npm/minimist@1.2.8']);
    const minimist = catalog.components.find((c) => c.name === 'minimist')!;
    expect(minimist.licenses).toEqual(['MIT']);
    expect(minimist.hashes.get('SHA-512')).toBe(
      Buffer.from('2yyAR8qBkN3YuheJanUpWC5U3bb5osDywNB8RzDVlDwDHbocAJveqqj1u8+SVD7jkWT4yvsHCpWqqWqAxb0zCA==', 'base64').toString('hex'),
    );
  });
});
