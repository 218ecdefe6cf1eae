import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EvidencePack, ExecRunner, FactoryError, MemoryLogger, runStage, type RawInputs, type StageOutcome } from '@packaging-factory/core';
import { PackageURL } from 'packageurl-js';
import { buildDeb, type DebBuildMetadata } from '@packaging-factory/formats';
import { generateSbomStage, validateCycloneDxJson } from '@packaging-factory/sbom';
import { makeTestSession, tempDir, type TestSession } from '../support/context.ts';
import { DEB_FIXTURES, describeWithDpkg, FIXTURES, HELLO_PKGROOT } from '../formats/deb-tools.ts';
import { compileCycloneDxSchema } from './cyclonedx-schema.ts';

const EPOCH = 1767225600;

interface CdxComponent {
  'bom-ref': string;
  type: string;
  name: string;
  group?: string;
  version?: string;
  purl?: string;
  scope?: string;
  hashes?: { alg: string; content: string }[];
  licenses?: ({ license: { id?: string; name?: string } } | { expression: string })[];
  properties?: { name: string; value: string }[];
  components?: CdxComponent[];
}
interface CdxBom {
  bomFormat: string;
  specVersion: string;
  serialNumber: string;
  metadata: { timestamp?: string; tools?: { components?: CdxComponent[] } };
  components: CdxComponent[];
  dependencies: { ref: string; dependsOn?: string[] }[];
}

const sessions: TestSession[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of sessions) await s.cleanup();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function generate(
  raw: RawInputs,
  env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] },
): Promise<{ outcome: StageOutcome; session: TestSession }> {
  const session = await makeTestSession({ env });
  sessions.push(session);
  const options = generateSbomStage.parse(raw, { workDir: session.dir, env });
  const outcome = await runStage(generateSbomStage, options, await session.contextFor('generate-sbom'));
  return { outcome, session };
}

async function readBom(outcome: StageOutcome): Promise<{ text: string; bom: CdxBom }> {
  const text = await readFile(outcome.result!.outputValues['sbom']!, 'utf8');
  return { text, bom: JSON.parse(text) as CdxBom };
}

const schema16 = await compileCycloneDxSchema('bom-1.6.schema.json');

describe('generate-sbom inputs and failures', () => {
  it('parses paths (positional), format and output with their defaults', () => {
    expect(generateSbomStage.positional).toBe('paths');
    const options = generateSbomStage.parse({ paths: 'a.deb\nlocks/*.json' }, { workDir: '/w', env: {} });
    expect(options).toEqual({
      paths: ['a.deb', 'locks/*.json'],
      format: 'cyclonedx-json',
      cyclonedxOutput: '/w/factory-out/sbom.cdx.json',
      cyclonedxVersion: '1.6',
      onUnreadable: 'fail',
    });
    const parse = (raw: RawInputs): unknown => generateSbomStage.parse({ paths: 'a', ...raw }, { workDir: '/w', env: {} });
    expect(parse({ format: 'spdx-json' })).toMatchObject({ spdxOutput: '/w/factory-out/sbom.spdx.json' });
    expect(parse({ format: 'spdx-json', output: 'x.json' })).toMatchObject({ spdxOutput: '/w/x.json' });
    expect(parse({ format: 'both', output: 'o/app.cdx.json' })).toMatchObject({
      cyclonedxOutput: '/w/o/app.cdx.json',
      spdxOutput: '/w/o/app.spdx.json',
    });
    expect(() => parse({ format: 'both', output: 'a.json', 'spdx-output': 'a.json' })).toThrow(/same file/);
    expect(() => parse({ 'spdx-output': 'a.json' })).toThrow(/only used with format: both/);
    expect(() => parse({ format: 'xml' })).toThrow(/format/);
    expect(() => parse({ 'cyclonedx-version': '1.4' })).toThrow(/cyclonedx-version/);
    expect(() => generateSbomStage.parse({}, { workDir: '/w', env: {} })).toThrow(FactoryError);
  });

  it('names an unsupported file with SBOM_UNSUPPORTED_FORMAT', async () => {
    const dir = await tempDir('sbom-unsupported-');
    dirs.push(dir);
    await writeFile(path.join(dir, 'README.md'), '# not a package\n');
    const { outcome } = await generate({ paths: path.join(dir, 'README.md') });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.error).toMatchObject({ code: 'SBOM_UNSUPPORTED_FORMAT', subject: path.join(dir, 'README.md') });
  });

  it('fails with SBOM_EMPTY when the paths hold nothing to catalogue, and writes nothing', async () => {
    const dir = await tempDir('sbom-empty-');
    dirs.push(dir);
    await writeFile(path.join(dir, 'notes.txt'), 'nothing here');
    const { outcome, session } = await generate({ paths: dir });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.record.status).toBe('failed');
    expect(outcome.record.errors[0]).toMatchObject({ code: 'SBOM_EMPTY' });
    await expect(readFile(path.join(session.dir, 'factory-out/sbom.cdx.json'))).rejects.toThrow();
  });

  it('says which path does not exist, and which glob matched nothing', async () => {
    expect((await generate({ paths: 'missing.deb' })).outcome.error).toMatchObject({ code: 'FILE_NOT_FOUND', subject: 'paths' });
    const { outcome } = await generate({ paths: 'dist/**/*.deb' });
    expect((outcome.error as Error).message).toMatch(/pattern 'dist\/\*\*\/\*\.deb' matched no files/);
  });

  it('writes a valid SBOM for a lockfile alone (no timestamp without an epoch)', async () => {
    const lock = path.join(FIXTURES, 'package-inventory/syft/fixtures/javascript/testdata/pkg-lock/package-lock-2.json');
    const { outcome } = await generate({ paths: lock });
    expect(outcome.exitCode).toBe(0);
    const { bom } = await readBom(outcome);
    expect(bom.metadata.timestamp).toBeUndefined();
    expect(schema16(bom)).toEqual([]);
    expect(bom.components.map((c) => c.purl).sort()).toEqual([
      'pkg:npm/%40types/prop-types@15.7.5',
      'pkg:npm/%40types/react@18.0.17',
      'pkg:npm/%40types/scheduler@0.16.2',
      'pkg:npm/async@3.2.4',
      'pkg:npm/csstype@3.1.0',
      'pkg:npm/npm@6.14.6',
    ]);
    expect(bom.components.find((c) => c.name === 'async')!.scope).toBe('excluded');
    expect(outcome.result!.notes).toContain('no source-date-epoch or SOURCE_DATE_EPOCH: metadata.timestamp omitted');
  });
});

describe('the CycloneDX validator we rely on', () => {
  it('rejects what the schema forbids', async () => {
    expect(await validateCycloneDxJson(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1 }))).toEqual([]);
    const invalid = await validateCycloneDxJson(
      JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [{ type: 'bogus', name: 'x' }] }),
    );
    expect(invalid.length).toBeGreaterThan(0);
    const badHash = await validateCycloneDxJson(
      JSON.stringify({
        bomFormat: 'CycloneDX',
        specVersion: '1.6',
        version: 1,
        components: [{ type: 'library', name: 'x', hashes: [{ alg: 'SHA-256', content: 'nothex' }] }],
      }),
    );
    expect(badHash.length).toBeGreaterThan(0);
  });

  it('agrees with the specification test suite (CycloneDX 1.6 valid-/invalid- documents)', async () => {
    const cases = (
      JSON.parse(await readFile(path.join(FIXTURES, 'cyclonedx/cases.json'), 'utf8')) as {
        cases: { file: string; spec_version: string; expected: 'valid' | 'invalid' }[];
      }
    ).cases.filter((c) => c.spec_version === '1.6');
    let agree = 0;
    const disagreements: string[] = [];
    for (const testCase of cases) {
      const text = await readFile(path.join(FIXTURES, 'cyclonedx', testCase.file), 'utf8');
      const problems = await validateCycloneDxJson(text);
      // The strict schema also forbids unknown properties: a valid- document may still fail it;
      // an invalid- document must never pass.
      const verdict = problems.length === 0 ? 'valid' : 'invalid';
      if (verdict === testCase.expected) agree += 1;
      else disagreements.push(`${testCase.file} (${verdict})`);
      if (testCase.expected === 'invalid') expect({ file: testCase.file, verdict }).toEqual({ file: testCase.file, verdict: 'invalid' });
    }
    console.log(
      `CycloneDX 1.6 spec suite through our pre-write validator (official schema, ajv): ${agree}/${cases.length} agree; differing: ${disagreements.join(', ') || 'none'}`,
    );
    expect(agree).toBeGreaterThan(cases.length * 0.9);
  });
});

describeWithDpkg('generate-sbom on Debian packages', () => {
  let dir: string;
  let deb: string;
  let first: { outcome: StageOutcome; session: TestSession };

  beforeAll(async () => {
    dir = await tempDir('sbom-deb-');
    dirs.push(dir);
    const result = await buildDeb({
      sourceDir: HELLO_PKGROOT,
      metadata: {
        name: 'hello-factory',
        version: '1.0.0',
        architecture: 'all',
        maintainer: 'Packaging Factory <factory@example.org>',
        description: 'Greets people from the command line',
        depends: ['nodejs'],
        section: 'misc',
        priority: 'optional',
      },
      outputDir: path.join(dir, 'packages'),
      sourceDateEpoch: EPOCH,
      tempDir: path.join(dir, 'tmp'),
      exec: new ExecRunner(new MemoryLogger()),
      env: { PATH: process.env['PATH'] },
    });
    deb = result.file;
    first = await generate({ paths: deb, 'source-date-epoch': String(EPOCH) });
  });

  it('lists the package, its files, its npm packages and its Depends', async () => {
    const { outcome } = first;
    expect(outcome.error).toBeUndefined();
    const { bom } = await readBom(outcome);
    expect(bom.specVersion).toBe('1.6');
    expect(bom.metadata.timestamp).toBe('2026-01-01T00:00:00.000Z');
    const purls = bom.components.map((c) => c.purl).sort();
    expect(purls).toEqual([
      'pkg:deb/debian/hello-factory@1.0.0?arch=all',
      'pkg:deb/debian/nodejs',
      'pkg:npm/ansi-html@0.0.9',
      'pkg:npm/hello-factory@1.0.0',
      'pkg:npm/minimist@1.2.8',
    ]);
    const pkg = bom.components.find((c) => c.purl === 'pkg:deb/debian/hello-factory@1.0.0?arch=all')!;
    expect(pkg.type).toBe('application');
    expect(pkg.hashes).toEqual([
      {
        alg: 'SHA-256',
        content: createHash('sha256')
          .update(await readFile(deb))
          .digest('hex'),
      },
    ]);
    expect(pkg.properties).toEqual(expect.arrayContaining([{ name: 'packaging-factory:deb:Depends', value: 'nodejs' }]));
    // Files nest under the package with the sha256 of the staged bytes.
    const launcher = pkg.components!.find((c) => c.name === '/usr/bin/hello-factory')!;
    expect(launcher.type).toBe('file');
    expect(launcher.hashes).toEqual([
      {
        alg: 'SHA-256',
        content: createHash('sha256')
          .update(await readFile(path.join(HELLO_PKGROOT, 'usr/bin/hello-factory')))
          .digest('hex'),
      },
    ]);
    const link = pkg.components!.find((c) => c.name === '/usr/lib/hello-factory/node_modules/.bin/ansi-html')!;
    expect(link.properties).toContainEqual({ name: 'packaging-factory:file:link-target', value: '../ansi-html/bin/ansi-html' });
    const minimist = bom.components.find((c) => c.name === 'minimist')!;
    expect(minimist).toMatchObject({ version: '1.2.8', scope: 'required', licenses: [{ license: { id: 'MIT' } }] });
    expect(minimist.hashes?.[0]?.alg).toBe('SHA-512');
    expect(minimist.properties).toContainEqual({ name: 'cdx:npm:package:path', value: '/usr/lib/hello-factory/node_modules/minimist' });
    // The dependency graph: package → nodejs (declared) and the npm project → its two packages.
    const deps = new Map(bom.dependencies.map((d) => [d.ref, d.dependsOn ?? []]));
    expect(deps.get('pkg:deb/debian/hello-factory@1.0.0?arch=all')).toEqual(['pkg:deb/debian/nodejs', 'pkg:npm/hello-factory@1.0.0']);
    expect(deps.get('pkg:npm/hello-factory@1.0.0')).toEqual(['pkg:npm/ansi-html@0.0.9', 'pkg:npm/minimist@1.2.8']);
    expect(outcome.result!.outputValues['component-count']).toBe(String(5 + pkg.components!.length));
    expect(outcome.result!.summary).toMatch(/\| npm packages \| 3 \|/);
  });

  it('writes CycloneDX 1.6 that the specification schema accepts', async () => {
    const { bom } = await readBom(first.outcome);
    expect(schema16(bom)).toEqual([]);
    expect(bom.serialNumber).toMatch(/^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('is deterministic: same inputs, same bytes, serial number included', async () => {
    const second = await generate({ paths: deb, 'source-date-epoch': String(EPOCH) });
    const a = await readBom(first.outcome);
    const b = await readBom(second.outcome);
    expect(b.text).toBe(a.text);
    // Another epoch changes the timestamp and therefore the serial number.
    const third = await generate({ paths: deb }, { PATH: process.env['PATH'], SOURCE_DATE_EPOCH: String(EPOCH + 1) });
    const c = await readBom(third.outcome);
    expect(c.bom.metadata.timestamp).toBe('2026-01-01T00:00:01.000Z');
    expect(c.bom.serialNumber).not.toBe(a.bom.serialNumber);
  });

  it('records inputs, output and the CycloneDX library in the evidence pack', async () => {
    const pack = await EvidencePack.load(first.session.evidencePath);
    const record = pack.records.at(-1)!;
    expect(record).toMatchObject({ stage: 'generate-sbom', status: 'passed' });
    expect(record.inputs).toEqual([expect.objectContaining({ name: 'hello-factory_1.0.0_all.deb', role: 'artifact' })]);
    expect(record.outputs).toEqual([expect.objectContaining({ name: 'sbom.cdx.json', role: 'sbom' })]);
    expect(record.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['@cyclonedx/cyclonedx-library', 'dpkg-deb']));
  });

  it('catalogues the real Debian fixtures from a directory, linking Depends between them', async () => {
    const fixtures = await tempDir('sbom-fixtures-');
    dirs.push(fixtures);
    await mkdir(path.join(fixtures, 'pool'));
    for (const name of ['hello_2.10-3_amd64.deb', 'libpam-runtime_1.5.2-6+deb12u2_all.deb', 'zlib1g_1.2.13.dfsg-1_amd64.deb']) {
      await copyFile(path.join(DEB_FIXTURES, 'deb', name), path.join(fixtures, 'pool', name));
    }
    const { outcome } = await generate({ paths: path.join(fixtures, 'pool'), 'source-date-epoch': String(EPOCH) });
    expect(outcome.error).toBeUndefined();
    const { bom } = await readBom(outcome);
    expect(schema16(bom)).toEqual([]);
    const byName = new Map(bom.components.map((c) => [c.name, c]));
    expect(byName.get('zlib1g')).toMatchObject({ type: 'library', purl: 'pkg:deb/debian/zlib1g@1:1.2.13.dfsg-1?arch=amd64&upstream=zlib' });
    expect(byName.get('hello')).toMatchObject({ type: 'application', purl: 'pkg:deb/debian/hello@2.10-3?arch=amd64' });
    // packageurl-js 2.0.1 leaves '+' unencoded in versions (the purl-spec suite writes %2B); parsers read both.
    const pam = byName.get('libpam-runtime')!.purl!;
    expect(pam).toBe('pkg:deb/debian/libpam-runtime@1.5.2-6+deb12u2?arch=all&upstream=pam');
    expect(PackageURL.fromString(pam).version).toBe('1.5.2-6+deb12u2');
    const deps = new Map(bom.dependencies.map((d) => [d.ref, d.dependsOn ?? []]));
    expect(deps.get(byName.get('libpam-runtime')!['bom-ref'])).toEqual([
      'pkg:deb/debian/cdebconf',
      'pkg:deb/debian/debconf',
      'pkg:deb/debian/debconf-2.0',
      'pkg:deb/debian/libpam-modules',
    ]);
    const debconf = byName.get('debconf')!;
    expect(debconf.version).toBeUndefined();
    expect(debconf.properties).toEqual(
      expect.arrayContaining([
        { name: 'packaging-factory:deb:declared-as', value: 'debconf (>= 0.5) | debconf-2.0' },
        { name: 'packaging-factory:deb:declared-as', value: 'debconf (>= 1.5.19) | cdebconf' },
      ]),
    );
    expect(outcome.record.inputs).toHaveLength(3);
  });

  it('links a Depends to a catalogued package by name when both are inputs', async () => {
    const work = await tempDir('sbom-link-');
    dirs.push(work);
    const exec = new ExecRunner(new MemoryLogger());
    const metadata = (name: string, depends: string[]): DebBuildMetadata => ({
      name,
      version: '1.0-1',
      architecture: 'all',
      maintainer: 'Packaging Factory <factory@example.org>',
      description: `${name} for a dependency test`,
      depends,
      section: 'misc',
      priority: 'optional',
    });
    for (const [name, depends] of [
      ['libgreet', []],
      ['greeter', ['libgreet (>= 1.0)', 'nodejs | nodejs-lts']],
    ] as const) {
      const tree = path.join(work, name, 'usr/share/doc', name);
      await mkdir(tree, { recursive: true });
      await writeFile(path.join(tree, 'README'), `${name}\n`);
      await buildDeb({
        sourceDir: path.join(work, name),
        metadata: metadata(name, [...depends]),
        outputDir: path.join(work, 'out'),
        sourceDateEpoch: EPOCH,
        tempDir: path.join(work, `tmp-${name}`),
        exec,
        env: { PATH: process.env['PATH'] },
      });
    }
    const { outcome } = await generate({ paths: path.join(work, 'out/*.deb') });
    expect(outcome.error).toBeUndefined();
    const { bom } = await readBom(outcome);
    const deps = new Map(bom.dependencies.map((d) => [d.ref, d.dependsOn ?? []]));
    expect(deps.get('pkg:deb/debian/greeter@1.0-1?arch=all')).toEqual([
      'pkg:deb/debian/libgreet@1.0-1?arch=all',
      'pkg:deb/debian/nodejs',
      'pkg:deb/debian/nodejs-lts',
    ]);
    expect(bom.components.find((c) => c.name === 'nodejs')!.properties).toContainEqual({
      name: 'packaging-factory:deb:declared-as',
      value: 'nodejs | nodejs-lts',
    });
    expect(bom.components.filter((c) => c.name === 'libgreet')).toHaveLength(1);
  });
});
