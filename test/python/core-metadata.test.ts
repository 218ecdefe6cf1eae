import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { markerExtras, parseCoreMetadata, parsePep508, pinnedVersion, spdxFromTroveClassifier } from '@packaging-factory/formats';
import { candidateFor, pythonCatalogers, pythonLicenses, pythonSupplier, type CatalogContext } from '@packaging-factory/sbom';
import { makeTestSession, type TestSession } from '../support/context.ts';
import { FIXTURES, run } from './python-tools.ts';

/**
 * Core metadata (METADATA / PKG-INFO) read from real distributions: the python-dists fixtures
 * (osv-scalibr's wheelegg tests) through the catalogers, syft's PKG-INFO cases through the parser,
 * and every fixture cross-checked against Python's own email parser (what importlib.metadata uses).
 */

const DISTS = path.join(FIXTURES, 'python-dists');
const SYFT = path.join(FIXTURES, 'package-inventory/syft');

interface DistCase {
  file: string;
  kind: string;
  expected_packages: { name: string; version: string; author: string; author_email: string; purl: string }[];
}
interface SyftMetadataCase {
  id: string;
  fixture: string;
  expected_packages: Record<string, string | string[]>[];
}

const distCases = (JSON.parse(await readFile(path.join(DISTS, 'cases.json'), 'utf8')) as { cases: DistCase[] }).cases;
const syftCases = (JSON.parse(await readFile(path.join(SYFT, 'cases.json'), 'utf8')) as { cases: SyftMetadataCase[] }).cases.filter((c) =>
  c.id.startsWith('parse_wheel_egg_metadata/'),
);

const tally = { dists: { passed: 0, total: distCases.length }, syft: { passed: 0, total: syftCases.length } };
let session: TestSession;
let ctx: CatalogContext;
beforeAll(async () => {
  session = await makeTestSession();
  const stage = await session.contextFor('generate-sbom');
  ctx = { exec: stage.exec, workDir: FIXTURES };
});
afterAll(async () => {
  await session.cleanup();
  console.log(`FIXTURE python-dists/cases: ${tally.dists.passed}/${tally.dists.total}`);
  console.log(`FIXTURE package-inventory/syft-python-metadata: ${tally.syft.passed}/${tally.syft.total}`);
  expect(tally.dists.passed).toBe(5);
  expect(tally.syft.passed).toBe(2);
});

describe('python-dists fixtures through the catalogers', () => {
  it.each(distCases)('$kind ($file)', async (testCase) => {
    const file = path.join(DISTS, testCase.file);
    const candidate = candidateFor(file, path.basename(file), true);
    const cataloger = pythonCatalogers.find((c) => c.matches(candidate));
    expect(cataloger?.kind).toBe(testCase.file.endsWith('.egg') ? 'python-egg' : 'python-installed');
    const output = await cataloger!.catalog({ file, shown: testCase.file }, ctx);
    const actual = output.components.map((c) => ({
      name: c.name,
      version: c.version,
      author: c.supplier?.name,
      author_email: c.supplier?.email,
      purl: c.purl?.replace(/\?.*$/, ''),
    }));
    expect(actual).toEqual(
      testCase.expected_packages.map(({ name, version, author, author_email, purl }) => ({ name, version, author, author_email, purl })),
    );
    if (testCase.expected_packages.length === 0) {
      // An egg without PKG-INFO cannot be identified: it is reported, never silently dropped.
      const reason: unknown = expect.stringContaining('no EGG-INFO/PKG-INFO');
      expect(output.unreadable).toEqual([{ file: testCase.file, reason }]);
    } else {
      // The distribution file itself: sha256 of the file, its name in the purl.
      const [component] = output.components;
      if (testCase.file.endsWith('.egg')) {
        expect(component!.hashes.get('SHA-256')).toMatch(/^[0-9a-f]{64}$/);
        expect(component!.purl).toBe(`${testCase.expected_packages[0]!.purl}?file_name=${path.basename(testCase.file)}`);
      }
      expect(component!.licenses.length).toBeGreaterThan(0);
    }
    tally.dists.passed += 1;
  });
});

describe('syft PKG-INFO cases through the parser', () => {
  it.each(syftCases)('$id', async (testCase) => {
    const file = path.join(SYFT, testCase.fixture);
    const metadata = parseCoreMetadata(await readFile(file, 'utf8'), file);
    const expected = testCase.expected_packages[0]!;
    const view: Record<string, string | string[] | undefined> = {
      Name: metadata.name,
      Version: metadata.version,
      Platform: metadata.fields.get('platform')?.[0],
      Author: metadata.author,
      AuthorEmail: metadata.authorEmail,
      RequiresPython: metadata.requiresPython,
      ProvidesExtra: metadata.providesExtra,
    };
    for (const [key, value] of Object.entries(expected)) expect({ [key]: view[key] }).toEqual({ [key]: value });
    tally.syft.passed += 1;
  });

  it('stops reading fields where Python does: a non-header line starts the body (PKG-INFO-INVALID)', async () => {
    const file = path.join(SYFT, 'fixtures/python/testdata/site-packages/nested/egg-name/egg-info/PKG-INFO-INVALID');
    const metadata = parseCoreMetadata(await readFile(file, 'utf8'), file);
    expect(metadata.author).toBeUndefined();
    expect(metadata.classifiers).toEqual([]);
    expect(metadata.description).toContain('Home-page: https://github.com/apache/incubator-mxnet');
  });
});

describe("cross-check against Python's email parser (compat32, as importlib.metadata reads METADATA)", () => {
  const files = [
    path.join(DISTS, 'files/distinfo_meta'),
    path.join(DISTS, 'files/egginfo_pkginfo'),
    path.join(DISTS, 'files/pkginfo'),
    path.join(SYFT, 'fixtures/python/testdata/site-packages/nested/egg-name/egg-info/PKG-INFO'),
    path.join(SYFT, 'fixtures/python/testdata/site-packages/nested/egg-name/egg-info/PKG-INFO-INVALID'),
  ];
  const script = [
    'import email, email.policy, json, sys',
    "msg = email.message_from_string(open(sys.argv[1], encoding='utf-8').read(), policy=email.policy.compat32)",
    'out = {}',
    "for k, v in msg.items(): out.setdefault(k.lower(), []).append(' '.join(str(v).split()))",
    'print(json.dumps(out))',
  ].join('\n');
  it.each(files)('%s', async (file) => {
    const { stdout } = await run('python3', ['-c', script, file]);
    const python = JSON.parse(stdout) as Record<string, string[]>;
    const ours = parseCoreMetadata(await readFile(file, 'utf8'), file).fields;
    const oursCollapsed = Object.fromEntries(
      [...ours].map(([k, values]) => [k, values.map((v) => v.split(/\s+/).filter(Boolean).join(' '))]),
    );
    // Python unfolds Description too; ours keeps its lines (dedented), so compare it with whitespace collapsed as well.
    expect(oursCollapsed).toEqual(python);
  });
});

describe('PEP 508 requirements and license/supplier mapping', () => {
  it('parses names, extras, specifiers, URLs and markers', () => {
    expect(parsePep508('requests[security, socks] (>=2.8.1, ==2.8.*) ; python_version < "2.7"')).toEqual({
      name: 'requests',
      normalized: 'requests',
      extras: ['security', 'socks'],
      specifiers: [
        { operator: '>=', version: '2.8.1' },
        { operator: '==', version: '2.8.*' },
      ],
      marker: 'python_version < "2.7"',
      markerExtras: [],
    });
    expect(parsePep508('Zope.Interface @ https://example.org/z.whl ; extra == "Test_Suite"')).toMatchObject({
      normalized: 'zope-interface',
      url: 'https://example.org/z.whl',
      markerExtras: ['test-suite'],
    });
    expect(parsePep508('==2.3.4')).toBeUndefined();
    expect(markerExtras('"docs" == extra or extra == \'tests\'')).toEqual(['docs', 'tests']);
    expect(pinnedVersion(parsePep508('a==1.0')!.specifiers)).toBe('1.0');
    expect(pinnedVersion(parsePep508('a==1.*')!.specifiers)).toBeUndefined();
    expect(pinnedVersion(parsePep508('a===1.0-custom')!.specifiers)).toBe('1.0-custom');
    expect(pinnedVersion(parsePep508('a>=1.0')!.specifiers)).toBeUndefined();
  });

  it('prefers License-Expression, then a License name, then classifiers naming exactly one license', () => {
    const base =
      'Metadata-Version: 2.4\nName: x\nVersion: 1\nClassifier: License :: OSI Approved :: MIT License\nClassifier: License :: OSI Approved :: BSD License\n';
    expect(pythonLicenses(parseCoreMetadata(`${base}License-Expression: MIT OR Apache-2.0\nLicense: MIT\n`, 'x'))).toEqual([
      'MIT OR Apache-2.0',
    ]);
    expect(pythonLicenses(parseCoreMetadata(`${base}License: Apache 2.0\n`, 'x'))).toEqual(['Apache 2.0']);
    expect(pythonLicenses(parseCoreMetadata(`${base}License: UNKNOWN\n`, 'x'))).toEqual(['MIT']);
    expect(pythonLicenses(parseCoreMetadata(`${base}License: Copyright (c) 2020 x\n        Permission is hereby granted\n`, 'x'))).toEqual([
      'MIT',
    ]);
    expect(spdxFromTroveClassifier('License :: OSI Approved :: BSD License')).toBeUndefined();
    expect(spdxFromTroveClassifier('License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)')).toBe('GPL-3.0-or-later');
  });

  it('takes the supplier from Maintainer, else Author, with the first valid address', () => {
    const meta = (extra: string) => parseCoreMetadata(`Metadata-Version: 2.1\nName: x\nVersion: 1\n${extra}`, 'x');
    expect(pythonSupplier(meta('Author-email: "Jane Doe" <jane@example.org>, Bob <bob@example.org>\n'))).toEqual({
      name: 'Jane Doe',
      email: 'jane@example.org',
    });
    expect(pythonSupplier(meta('Author: A\nAuthor-email: a@example.org\nMaintainer: M\nMaintainer-email: m@example.org\n'))).toEqual({
      name: 'M',
      email: 'm@example.org',
    });
    expect(pythonSupplier(meta('Author: A\nAuthor-email: not an address\n'))).toEqual({ name: 'A' });
    expect(() => parseCoreMetadata('Metadata-Version: 2.1\nName: x\n', 'bad-METADATA')).toThrow('bad-METADATA has no Version field');
  });
});
