import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';
import { PackageURL } from 'packageurl-js';
import { FactoryError } from '@packaging-factory/core';
import {
  newComponent,
  readSpdxPackages,
  renderCycloneDxJson,
  renderSpdxJson,
  validateSbomFile,
  type SbomCatalog,
  type SbomComponent,
  type SpdxDocument,
} from '@packaging-factory/sbom';
import { compileCycloneDxSchema } from '../sbom/cyclonedx-schema.ts';
import { tempDir } from '../support/context.ts';

/**
 * SPDX 2.3 and CycloneDX 1.5/1.6 written from one rich synthetic catalogue (npm with a scope,
 * PyPI with a declared-only dependency, a Debian package with the distro qualifier and its files,
 * RPM, Alpine, a loose file; SPDX ids, aliases, compound and free-text licenses; Unicode names;
 * supplier emails that fail idn-email) must validate, through our validator and through an
 * independent compile of the upstream schemas, and be byte-identical across two runs.
 */

const FIXTURES = path.resolve(import.meta.dirname, '../../../shared/fixtures');
const source = (where: string): [string, string] => ['packaging-factory:source', where];
const purl = (type: string, namespace: string | undefined, name: string, version?: string, qualifiers?: Record<string, string>): string =>
  new PackageURL(type, namespace, name, version, qualifiers, undefined).toString();

function richCatalog(): SbomCatalog {
  const lodash = purl('npm', undefined, 'lodash', '4.17.21');
  const widget = newComponent({
    ref: purl('npm', '@acme', 'widget', '1.2.3'),
    purl: purl('npm', '@acme', 'widget', '1.2.3'),
    type: 'library',
    ecosystem: 'npm',
    group: '@acme',
    name: 'widget',
    version: '1.2.3',
    licenses: ['mit'],
    supplier: { name: 'Jane Doe', email: 'jane@example.org' },
    description: 'Widgets, ünïcødé included — 日本語',
    properties: [source('app/package-lock.json')],
    dependsOn: new Set([lodash, 'pkg:npm/not-catalogued@1.0.0']),
    externalReferences: [
      { type: 'website', url: 'https://acme.example/widget' },
      { type: 'distribution', url: 'https://registry.npmjs.org/@acme/widget/-/widget-1.2.3.tgz' },
    ],
  });
  widget.hashes.set('SHA-512', 'ab'.repeat(64));
  const lodashComponent = newComponent({
    ref: lodash,
    purl: lodash,
    type: 'library',
    ecosystem: 'npm',
    name: 'lodash',
    version: '4.17.21',
    scope: 'optional',
    licenses: ['MIT', 'MIT'],
    properties: [source('app/package-lock.json')],
  });

  const urllib3 = purl('pypi', undefined, 'urllib3');
  const requests = newComponent({
    ref: purl('pypi', undefined, 'requests', '2.31.0'),
    purl: purl('pypi', undefined, 'requests', '2.31.0'),
    type: 'library',
    ecosystem: 'pypi',
    name: 'requests',
    version: '2.31.0',
    licenses: ['Apache 2.0'],
    // No dot in the domain: idn-email refuses it, so neither document may carry it.
    supplier: { name: 'Kenneth Reitz', email: 'me@localhost' },
    properties: [source('dist/requests-2.31.0-py3-none-any.whl')],
    dependsOn: new Set([urllib3]),
  });
  requests.hashes.set('SHA-256', 'cd'.repeat(32));
  const urllib3Placeholder = newComponent({
    ref: urllib3,
    purl: urllib3,
    type: 'library',
    ecosystem: 'pypi',
    name: 'urllib3',
    properties: [['packaging-factory:declared-only', 'true'], source('dist/requests-2.31.0-py3-none-any.whl')],
  });

  const libcPurl = purl('deb', 'debian', 'libc6', '2.36-9+deb12u4', { arch: 'amd64', distro: 'debian-12' });
  const file = (p: string, sha256?: string): SbomComponent => {
    const c = newComponent({ ref: `file:libc6_2.36-9+deb12u4_amd64:${p}`, type: 'file', ecosystem: 'file', name: p });
    if (sha256 !== undefined) c.hashes.set('SHA-256', sha256);
    return c;
  };
  const libc = newComponent({
    ref: libcPurl,
    purl: libcPurl,
    type: 'library',
    ecosystem: 'deb',
    name: 'libc6',
    version: '2.36-9+deb12u4',
    licenses: ['GPL-2+', 'LGPL-2.1+'],
    supplier: { name: 'GNU Libc Maintainers', email: 'debian-glibc@lists.debian.org' },
    properties: [source('rootfs/var/lib/dpkg/status'), ['packaging-factory:deb:source-name', 'glibc']],
    children: [
      file('/lib/x86_64-linux-gnu/libc.so.6', 'ef'.repeat(32)),
      file('/usr/share/doc/libc6/ünïcødé-日本.txt', '01'.repeat(32)),
      // A symlink: no content, no checksum.
      file('/lib64/ld-linux-x86-64.so.2'),
    ],
  });

  const bashPurl = purl('rpm', 'fedora', 'bash', '5.2.15-3.fc38', { arch: 'x86_64', distro: 'fedora-38' });
  const bash = newComponent({
    ref: bashPurl,
    purl: bashPurl,
    type: 'application',
    ecosystem: 'rpm',
    name: 'bash',
    version: '5.2.15-3.fc38',
    licenses: ['GPLv3+'],
    supplier: { name: 'Fedora Project' },
    properties: [source('rootfs/var/lib/rpm/rpmdb.sqlite')],
    dependsOn: new Set([libcPurl]),
  });
  const muslPurl = purl('apk', 'alpine', 'musl', '1.2.4-r2', { arch: 'x86_64', distro: 'alpine-3.19' });
  const musl = newComponent({
    ref: muslPurl,
    purl: muslPurl,
    type: 'library',
    ecosystem: 'apk',
    name: 'musl',
    version: '1.2.4-r2',
    licenses: ['MIT OR Apache-2.0', 'Public Domain'],
    supplier: { name: 'Timo Teräs', email: 'timo.teras@iki.fi' },
    properties: [source('alpine/lib/apk/db/installed')],
  });
  const proprietary = newComponent({
    ref: purl('npm', undefined, 'café-naïve', '0.0.1'),
    purl: purl('npm', undefined, 'café-naïve', '0.0.1'),
    type: 'application',
    ecosystem: 'npm',
    name: 'café-naïve',
    version: '0.0.1',
    licenses: ['Licença Própria'],
    supplier: { name: 'Ölçü Ltd', email: 'not an email' },
    properties: [source('app/package-lock.json')],
  });
  const loose = newComponent({ ref: 'file:release/notes.txt', type: 'file', ecosystem: 'file', name: 'release/notes.txt' });
  loose.hashes.set('SHA-256', '23'.repeat(32));
  loose.hashes.set('SHA-1', '45'.repeat(20));

  return {
    components: [widget, lodashComponent, requests, urllib3Placeholder, libc, bash, musl, proprietary, loose],
    sources: [
      { file: 'app/package-lock.json', kind: 'npm-lockfile', sha256: '67'.repeat(32) },
      { file: 'rootfs', kind: 'directory', sha256: '89'.repeat(32) },
    ],
  };
}

const TIMESTAMP = new Date('2026-01-01T00:00:00Z');
const fixtureLines: string[] = [];
let dir: string;

beforeAll(async () => {
  dir = await tempDir('sbom-output-');
});
afterAll(async () => {
  for (const line of fixtureLines) console.log(line);
  await rm(dir, { recursive: true, force: true });
});

/** The upstream SPDX 2.3 schema from the shared fixtures, compiled here: not the copy our validator ships. */
async function independentSpdxValidator(): Promise<(doc: unknown) => string[]> {
  const schema = JSON.parse(await readFile(path.join(FIXTURES, 'spdx/schema/spdx-schema-2.3.json'), 'utf8')) as object;
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
  return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
}

describe('SPDX 2.3 from a rich catalogue', () => {
  let first: string;
  let doc: SpdxDocument;

  beforeAll(async () => {
    first = await renderSpdxJson(richCatalog(), { timestamp: TIMESTAMP });
    doc = JSON.parse(first) as SpdxDocument;
  });

  it('is byte-identical across runs and valid for our validator and an independent one', async () => {
    const second = await renderSpdxJson(richCatalog(), { timestamp: TIMESTAMP });
    const file = path.join(dir, 'sbom.spdx.json');
    await writeFile(file, first);
    const ours = await validateSbomFile(file);
    const independent = (await independentSpdxValidator())(doc);
    const passed = second === first && ours.errors.length === 0 && independent.length === 0;
    fixtureLines.push(`FIXTURE round-trip/spdx-2.3: ${passed ? 1 : 0}/1`);
    expect(second).toBe(first);
    expect(ours).toEqual({ format: 'spdx', specVersion: '2.3', errors: [] });
    expect(independent).toEqual([]);
  });

  it('derives the namespace from the content and dates the document from the option, else the epoch', async () => {
    expect(doc.documentNamespace).toMatch(
      /^https:\/\/packaging-factory\.dev\/spdx\/packaging-factory-sbom-[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(doc.creationInfo.created).toBe('2026-01-01T00:00:00Z');
    expect(doc.creationInfo.creators).toEqual([expect.stringMatching(/^Tool: packaging-factory-\d+\.\d+\.\d+/)]);
    const undated = JSON.parse(await renderSpdxJson(richCatalog())) as SpdxDocument;
    expect(undated.creationInfo.created).toBe('1970-01-01T00:00:00Z');
    expect(undated.documentNamespace).not.toBe(doc.documentNamespace);
    const other = richCatalog();
    other.components.pop();
    const changed = JSON.parse(await renderSpdxJson(other, { timestamp: TIMESTAMP })) as SpdxDocument;
    expect(changed.documentNamespace).not.toBe(doc.documentNamespace);
    const named = JSON.parse(await renderSpdxJson(richCatalog(), { timestamp: TIMESTAMP, name: 'release 1.0' })) as SpdxDocument;
    expect(named.documentNamespace).toMatch(/\/spdx\/release-1\.0-/);
  });

  it('lists every component once, files included, with sanitized deterministic SPDX ids', () => {
    expect(doc.packages).toHaveLength(12);
    for (const pkg of doc.packages) expect(pkg.SPDXID).toMatch(/^SPDXRef-(Package|File)-[A-Za-z0-9.-]+-[0-9a-f]{12}$/);
    expect(doc.packages.map((p) => p.SPDXID)).toEqual([...doc.packages.map((p) => p.SPDXID)].sort());
    const files = doc.packages.filter((p) => p.primaryPackagePurpose === 'FILE');
    expect(files.map((f) => f.name).sort()).toEqual(
      [
        '/lib/x86_64-linux-gnu/libc.so.6',
        '/lib64/ld-linux-x86-64.so.2',
        '/usr/share/doc/libc6/ünïcødé-日本.txt',
        'release/notes.txt',
      ].sort(),
    );
    expect(doc.packages.every((p) => p.filesAnalyzed === false)).toBe(true);
    const notes = files.find((f) => f.name === 'release/notes.txt')!;
    expect(notes.checksums).toEqual([
      { algorithm: 'SHA1', checksumValue: '45'.repeat(20) },
      { algorithm: 'SHA256', checksumValue: '23'.repeat(32) },
    ]);
    expect(files.find((f) => f.name === '/lib64/ld-linux-x86-64.so.2')!.checksums).toBeUndefined();
  });

  it('relates the document, dependencies and contained files', () => {
    const byName = new Map(doc.packages.map((p) => [p.name, p.SPDXID]));
    const id = (name: string): string => byName.get(name)!;
    const relations = doc.relationships.map((r) => `${r.spdxElementId} ${r.relationshipType} ${r.relatedSpdxElement}`);
    expect(relations.filter((r) => r.startsWith('SPDXRef-DOCUMENT DESCRIBES'))).toHaveLength(9);
    expect(relations).toContain(`${id('@acme/widget')} DEPENDS_ON ${id('lodash')}`);
    expect(relations).toContain(`${id('requests')} DEPENDS_ON ${id('urllib3')}`);
    expect(relations).toContain(`${id('bash')} DEPENDS_ON ${id('libc6')}`);
    expect(relations).toContain(`${id('libc6')} CONTAINS ${id('/lib/x86_64-linux-gnu/libc.so.6')}`);
    expect(relations.filter((r) => r.includes(' CONTAINS '))).toHaveLength(3);
    // The dependency nobody catalogued has no element to point at.
    expect(relations.filter((r) => r.includes(' DEPENDS_ON '))).toHaveLength(3);
  });

  it('writes licenses as SPDX expressions, free text as LicenseRefs with their text', () => {
    const declared = Object.fromEntries(doc.packages.map((p) => [p.name, p.licenseDeclared]));
    expect(declared).toMatchObject({
      '@acme/widget': 'MIT',
      lodash: 'MIT',
      requests: 'Apache-2.0',
      urllib3: 'NOASSERTION',
      libc6: 'GPL-2.0-or-later AND LGPL-2.1+',
      bash: 'GPL-3.0-or-later',
      musl: 'LicenseRef-Public-Domain-f6960be1 AND (MIT OR Apache-2.0)',
      'café-naïve': 'LicenseRef-Licen-a-Pr-pria-3809b8d0',
    });
    expect(doc.packages.every((p) => p.licenseConcluded === 'NOASSERTION')).toBe(true);
    expect(doc.hasExtractedLicensingInfos).toEqual([
      { licenseId: 'LicenseRef-Licen-a-Pr-pria-3809b8d0', extractedText: 'Licença Própria', name: 'Licença Própria' },
      { licenseId: 'LicenseRef-Public-Domain-f6960be1', extractedText: 'Public Domain', name: 'Public Domain' },
    ]);
  });

  it('names suppliers as Person or Organization and keeps only addresses idn-email accepts', () => {
    const supplier = Object.fromEntries(doc.packages.map((p) => [p.name, p.supplier]));
    expect(supplier['@acme/widget']).toBe('Person: Jane Doe (jane@example.org)');
    expect(supplier['requests']).toBe('Person: Kenneth Reitz');
    expect(supplier['libc6']).toBe('Organization: GNU Libc Maintainers (debian-glibc@lists.debian.org)');
    expect(supplier['bash']).toBe('Organization: Fedora Project');
    expect(supplier['musl']).toBe('Person: Timo Teräs (timo.teras@iki.fi)');
    expect(supplier['café-naïve']).toBe('Organization: Ölçü Ltd');
  });

  it('carries purls, download locations, homepages and where each component was found', async () => {
    const widget = doc.packages.find((p) => p.name === '@acme/widget')!;
    expect(widget).toMatchObject({
      versionInfo: '1.2.3',
      downloadLocation: 'https://registry.npmjs.org/@acme/widget/-/widget-1.2.3.tgz',
      homepage: 'https://acme.example/widget',
      sourceInfo: 'found in app/package-lock.json',
      description: 'Widgets, ünïcødé included — 日本語',
      primaryPackagePurpose: 'LIBRARY',
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:npm/%40acme/widget@1.2.3' }],
    });
    expect(doc.packages.find((p) => p.name === 'bash')!.primaryPackagePurpose).toBe('APPLICATION');
    expect(doc.packages.find((p) => p.name === 'lodash')!.downloadLocation).toBe('NOASSERTION');
    // As catalogued by default; canonical (purl-spec encoding of '+') on request.
    const libc = readSpdxPackages(doc).find((p) => p.name === 'libc6')!;
    expect(libc.purls).toEqual(['pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12']);
    const canonical = readSpdxPackages(JSON.parse(await renderSpdxJson(richCatalog(), { canonicalPurls: true })));
    expect(canonical.find((p) => p.name === 'libc6')!.purls).toEqual(['pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12']);
  });

  it('reads back what it wrote', () => {
    const read = readSpdxPackages(doc);
    expect(read).toHaveLength(12);
    expect(
      read
        .filter((p) => p.purls.length > 0)
        .map((p) => p.purls[0])
        .sort(),
    ).toEqual(
      richCatalog()
        .components.flatMap((c) => (c.purl === undefined ? [] : [c.purl]))
        .sort(),
    );
  });

  it('refuses a purl the specification refuses, naming the component', async () => {
    const catalog = richCatalog();
    catalog.components[0]!.purl = 'npm/widget@1.2.3';
    const error = await renderSpdxJson(catalog).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).code).toBe('SBOM_INVALID');
    expect((error as FactoryError).message).toContain('pkg:npm/%40acme/widget@1.2.3');
  });
});

describe.each(['1.5', '1.6'] as const)('CycloneDX %s from the same catalogue', (specVersion) => {
  let first: string;
  let bom: {
    specVersion: string;
    $schema: string;
    serialNumber: string;
    components: {
      name: string;
      purl?: string;
      licenses?: unknown[];
      supplier?: { contact?: { email?: string }[] };
      components?: unknown[];
    }[];
  };

  beforeAll(async () => {
    first = await renderCycloneDxJson(richCatalog(), { specVersion, timestamp: TIMESTAMP });
    bom = JSON.parse(first) as typeof bom;
  });

  it('is byte-identical across runs and valid for our validator and an independent one', async () => {
    const second = await renderCycloneDxJson(richCatalog(), { specVersion, timestamp: TIMESTAMP });
    const file = path.join(dir, `sbom-${specVersion}.cdx.json`);
    await writeFile(file, first);
    const ours = await validateSbomFile(file);
    const independent = (await compileCycloneDxSchema(`bom-${specVersion}.schema.json`))(bom);
    const passed = second === first && ours.errors.length === 0 && independent.length === 0;
    fixtureLines.push(`FIXTURE round-trip/cyclonedx-${specVersion}: ${passed ? 1 : 0}/1`);
    expect(second).toBe(first);
    expect(ours).toEqual({ format: 'cyclonedx', specVersion, errors: [] });
    expect(independent).toEqual([]);
    expect(bom.specVersion).toBe(specVersion);
    expect(bom.$schema).toBe(`http://cyclonedx.org/schema/bom-${specVersion}.schema.json`);
  });

  it('writes ids, names and expressions as the schema allows them', () => {
    const licenses = Object.fromEntries(bom.components.map((c) => [c.name, c.licenses]));
    expect(licenses['widget']).toEqual([{ license: { id: 'MIT' } }]);
    expect(licenses['requests']).toEqual([{ license: { id: 'Apache-2.0' } }]);
    expect(licenses['café-naïve']).toEqual([{ license: { name: 'Licença Própria' } }]);
    // A compound expression cannot sit beside other entries: the whole set becomes one expression.
    expect(licenses['musl']).toEqual([{ expression: 'LicenseRef-Public-Domain-f6960be1 AND (MIT OR Apache-2.0)' }]);
    expect(licenses['libc6']).toEqual([{ expression: 'GPL-2.0-or-later AND LGPL-2.1+' }]);
    expect(licenses['urllib3']).toBeUndefined();
  });

  it('drops supplier addresses idn-email refuses', () => {
    const emails = (name: string): unknown => bom.components.find((c) => c.name === name)!.supplier?.contact?.map((c) => c.email);
    expect(emails('requests')).toEqual([undefined]);
    expect(emails('café-naïve')).toEqual([undefined]);
    expect(emails('widget')).toEqual(['jane@example.org']);
  });

  it('keeps purls as catalogued unless asked for the canonical form', async () => {
    expect(bom.components.find((c) => c.name === 'libc6')!.purl).toBe('pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12');
    const canonical = JSON.parse(await renderCycloneDxJson(richCatalog(), { specVersion, canonicalPurls: true })) as typeof bom;
    expect(canonical.components.find((c) => c.name === 'libc6')!.purl).toBe(
      'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12',
    );
  });
});
