import { cp, link, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EvidencePack, FactoryError, runStage, type StageOutcome } from '@packaging-factory/core';
import {
  generateSbomStage,
  isInstalledNpmManifest,
  npmInstallLocation,
  parseContact,
  parseInstalledNpmManifest,
} from '@packaging-factory/sbom';
import { makeTestSession, tempDir, type TestSession } from '../support/context.ts';
import { describeWithDpkg, HELLO_PKGROOT, run } from '../formats/deb-tools.ts';
import { compileCycloneDxSchema } from './cyclonedx-schema.ts';

/**
 * The SBOM of a .deb lists what the package ships: the package.json files under node_modules, not
 * what a lockfile beside them claims. Every .deb here is built by dpkg-deb from a tree written by the test.
 */

const EPOCH = 1767225600;

interface CdxComponent {
  'bom-ref': string;
  name: string;
  group?: string;
  version?: string;
  purl?: string;
  scope?: string;
  supplier?: { name?: string; contact?: { name?: string; email?: string }[] };
  licenses?: ({ license: { id?: string; name?: string } } | { expression: string })[];
  properties?: { name: string; value: string }[];
  components?: CdxComponent[];
}
interface CdxBom {
  components: CdxComponent[];
  dependencies: { ref: string; dependsOn?: string[] }[];
}

const sessions: TestSession[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of sessions) await s.cleanup();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const schema16 = await compileCycloneDxSchema('bom-1.6.schema.json');

type TreeEntry = string | { symlink: string } | { hardlink: string };

/** Writes `tree` (paths relative to the package root) plus DEBIAN/control, and builds it with dpkg-deb. */
async function buildTestDeb(
  name: string,
  tree: Record<string, TreeEntry>,
  maintainer = 'Packaging Factory <factory@example.org>',
): Promise<string> {
  const work = await tempDir(`sbom-npm-${name}-`);
  dirs.push(work);
  const root = path.join(work, 'root');
  await mkdir(path.join(root, 'DEBIAN'), { recursive: true });
  await writeFile(
    path.join(root, 'DEBIAN/control'),
    [
      `Package: ${name}`,
      'Version: 1.0-1',
      'Architecture: all',
      `Maintainer: ${maintainer}`,
      `Description: ${name} for an SBOM test`,
      '',
    ].join('\n'),
  );
  // Regular files first: hard links need their target to exist.
  const entries = Object.entries(tree).sort(([, a], [, b]) => Number(typeof a !== 'string') - Number(typeof b !== 'string'));
  for (const [relative, entry] of entries) {
    const target = path.join(root, relative);
    await mkdir(path.dirname(target), { recursive: true });
    if (typeof entry === 'string') await writeFile(target, entry);
    else if ('symlink' in entry) await symlink(entry.symlink, target);
    else await link(path.join(root, entry.hardlink), target);
  }
  const deb = path.join(work, `${name}_1.0-1_all.deb`);
  await run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, deb], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(EPOCH) },
  });
  return deb;
}

function manifest(name: string, version: string, extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify({ name, version, ...extra }, null, 2)}\n`;
}

function lockfile(
  root: { name: string; version: string; dependencies: Record<string, string> },
  packages: Record<string, Record<string, unknown>>,
): string {
  return `${JSON.stringify(
    {
      name: root.name,
      version: root.version,
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name: root.name, version: root.version, dependencies: root.dependencies }, ...packages },
    },
    null,
    2,
  )}\n`;
}

async function generate(paths: string): Promise<{ outcome: StageOutcome; session: TestSession }> {
  const env = { PATH: process.env['PATH'] };
  const session = await makeTestSession({ env });
  sessions.push(session);
  const options = generateSbomStage.parse({ paths, 'source-date-epoch': String(EPOCH) }, { workDir: session.dir, env });
  const outcome = await runStage(generateSbomStage, options, await session.contextFor('generate-sbom'));
  return { outcome, session };
}

async function readBom(outcome: StageOutcome): Promise<{ text: string; bom: CdxBom }> {
  const text = await readFile(outcome.result!.outputValues['sbom']!, 'utf8');
  return { text, bom: JSON.parse(text) as CdxBom };
}

function npmPurls(bom: CdxBom): string[] {
  return bom.components
    .map((c) => c.purl ?? '')
    .filter((p) => p.startsWith('pkg:npm/'))
    .sort();
}

function property(component: CdxComponent, name: string): string[] {
  return (component.properties ?? []).filter((p) => p.name === name).map((p) => p.value);
}

describe('installed npm package paths and manifests', () => {
  it('recognises package directories npm creates, scoped and nested, and nothing else', () => {
    expect(npmInstallLocation('/usr/lib/app/node_modules/minimist')).toEqual({
      project: '/usr/lib/app',
      installPath: 'node_modules/minimist',
    });
    expect(npmInstallLocation('/usr/lib/app/node_modules/@babel/core/node_modules/semver')).toEqual({
      project: '/usr/lib/app',
      installPath: 'node_modules/@babel/core/node_modules/semver',
    });
    expect(npmInstallLocation('/node_modules/x')).toEqual({ project: '/', installPath: 'node_modules/x' });
    for (const notAPackage of [
      '/usr/lib/app/node_modules/.bin',
      '/usr/lib/app/node_modules/@babel',
      '/usr/lib/app/node_modules/a/node_modules',
      '/usr/lib/app/node_modules/a/test/fixtures/node_modules/b',
      '/usr/lib/app/lib/minimist',
    ]) {
      expect({ dir: notAPackage, location: npmInstallLocation(notAPackage) }).toEqual({ dir: notAPackage, location: undefined });
    }
    expect(isInstalledNpmManifest('/usr/lib/app/node_modules/@s/x/package.json')).toBe(true);
    expect(isInstalledNpmManifest('/usr/lib/app/node_modules/x/lib/package.json')).toBe(false);
    expect(isInstalledNpmManifest('/usr/lib/app/package.json')).toBe(false);
  });

  it('reads name, npm-cleaned version, licenses (old style too) and dependencies; the directory names an unnamed package', () => {
    const dir = '/app/node_modules/old';
    const pkg = parseInstalledNpmManifest(
      JSON.stringify({ version: 'v2.0.1', licenses: [{ type: 'MIT' }, { type: 'Apache-2.0' }], dependencies: { b: '1', a: '2' } }),
      dir,
      `${dir}/package.json`,
      'x.deb',
    );
    expect(pkg).toMatchObject({
      name: 'old',
      installedAs: 'old',
      version: '2.0.1',
      licenses: ['MIT', 'Apache-2.0'],
      dependencies: ['a', 'b'],
    });
    const alias = parseInstalledNpmManifest(manifest('string-width', '4.2.3'), '/app/node_modules/string-width-cjs', 'm', 'x.deb');
    expect(alias).toMatchObject({ name: 'string-width', installedAs: 'string-width-cjs' });
  });

  it('refuses a package.json that is not JSON, naming it', () => {
    let caught: unknown;
    try {
      parseInstalledNpmManifest(
        '{ "name": ',
        '/app/node_modules/x',
        '/app/node_modules/x/package.json',
        'x.deb:/app/node_modules/x/package.json',
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FactoryError);
    expect(caught).toMatchObject({ code: 'INPUT_INVALID', subject: 'x.deb:/app/node_modules/x/package.json' });
  });

  it('keeps a maintainer address only when the CycloneDX idn-email check accepts it', () => {
    expect(parseContact('Jane Doe <jane@example.org>')).toEqual({ name: 'Jane Doe', email: 'jane@example.org' });
    expect(parseContact('A <a@localhost>')).toEqual({ name: 'A' });
    expect(parseContact('<root@localhost>')).toEqual({ name: 'root@localhost' });
    expect(parseContact('Nobody')).toEqual({ name: 'Nobody' });
  });
});

describeWithDpkg('generate-sbom catalogues the npm packages a .deb really ships', () => {
  it('fails SBOM_LOCKFILE_MISMATCH when an installed package.json contradicts the lockfile, and writes no SBOM', async () => {
    const deb = await buildTestDeb('liar', {
      'usr/lib/liar/package-lock.json': lockfile(
        { name: 'liar', version: '1.0.0', dependencies: { minimist: '1.2.8' } },
        { 'node_modules/minimist': { version: '1.2.8', license: 'MIT' } },
      ),
      'usr/lib/liar/node_modules/minimist/package.json': manifest('minimist', '1.2.0', { license: 'MIT' }),
      'usr/lib/liar/node_modules/minimist/index.js': 'module.exports = {};\n',
    });
    const { outcome, session } = await generate(deb);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.record.status).toBe('failed');
    const [error] = outcome.record.errors;
    expect(error).toMatchObject({ code: 'SBOM_LOCKFILE_MISMATCH' });
    expect(error!.message).toContain('/usr/lib/liar/node_modules/minimist is minimist@1.2.0');
    expect(error!.message).toContain('/usr/lib/liar/package-lock.json says minimist@1.2.8');
    expect(outcome.result!.summary).toContain(
      '| /usr/lib/liar/node_modules/minimist | minimist@1.2.0 | /usr/lib/liar/package-lock.json | minimist@1.2.8 |',
    );
    expect(outcome.record.outputs).toEqual([]);
    expect((outcome.record.details as { npmProjects: { mismatches: unknown[] }[] }).npmProjects[0]!.mismatches).toEqual([
      {
        path: '/usr/lib/liar/node_modules/minimist',
        installedName: 'minimist',
        installedVersion: '1.2.0',
        lockedName: 'minimist',
        lockedVersion: '1.2.8',
      },
    ]);
    await expect(readFile(path.join(session.dir, 'factory-out/sbom.cdx.json'))).rejects.toThrow();
    const pack = await EvidencePack.load(session.evidencePath);
    expect(pack.records.at(-1)).toMatchObject({ stage: 'generate-sbom', status: 'failed', decision: { result: 'fail' } });
  });

  it('follows a symlinked package directory inside the package and still catches the lie', async () => {
    // A workspace-style link: node_modules/lib-a → ../packages/lib-a, locked as a link to its target entry.
    const deb = await buildTestDeb('linked', {
      'usr/lib/linked/package-lock.json': lockfile(
        { name: 'linked', version: '1.0.0', dependencies: { 'lib-a': '*' } },
        {
          'node_modules/lib-a': { resolved: 'packages/lib-a', link: true },
          'packages/lib-a': { name: 'lib-a', version: '2.0.0' },
        },
      ),
      'usr/lib/linked/packages/lib-a/package.json': manifest('lib-a', '2.0.1'),
      'usr/lib/linked/node_modules/lib-a': { symlink: '../packages/lib-a' },
    });
    const { outcome } = await generate(deb);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.record.errors[0]!.message).toContain('/usr/lib/linked/node_modules/lib-a is lib-a@2.0.1');
    expect(outcome.record.errors[0]!.message).toContain('says lib-a@2.0.0');
  });

  it('without a lockfile, catalogues the installed package.json files and says the lockfile is missing', async () => {
    const deb = await buildTestDeb('nolock', {
      'usr/lib/nolock/index.js': "require('lodash');\n",
      'usr/lib/nolock/node_modules/lodash/package.json': manifest('lodash', '4.17.20', { license: 'MIT' }),
      'usr/lib/nolock/node_modules/lodash/lodash.js': 'module.exports = {};\n',
    });
    const { outcome } = await generate(deb);
    expect(outcome.error).toBeUndefined();
    expect(outcome.exitCode).toBe(0);
    const { bom, text } = await readBom(outcome);
    expect(schema16(bom)).toEqual([]);
    expect(npmPurls(bom)).toEqual(['pkg:npm/lodash@4.17.20']);
    const lodash = bom.components.find((c) => c.name === 'lodash')!;
    expect(lodash).toMatchObject({ version: '4.17.20', scope: 'required', licenses: [{ license: { id: 'MIT' } }] });
    expect(property(lodash, 'cdx:npm:package:path')).toEqual(['/usr/lib/nolock/node_modules/lodash']);
    expect(property(lodash, 'packaging-factory:npm:lockfile')).toEqual(['absent']);
    // The .deb is outside the working directory: it is shown by its absolute path.
    expect(property(lodash, 'packaging-factory:source')).toEqual([`${deb}:/usr/lib/nolock/node_modules`]);
    // The package depends on what it ships.
    const deps = new Map(bom.dependencies.map((d) => [d.ref, d.dependsOn ?? []]));
    expect(deps.get('pkg:deb/debian/nolock@1.0-1?arch=all')).toEqual(['pkg:npm/lodash@4.17.20']);
    expect(outcome.result!.notes).toContainEqual(expect.stringMatching(/no npm lockfile in \/usr\/lib\/nolock: 1 installed npm package/));
    expect(outcome.result!.summary).toContain(`| ${deb} | /usr/lib/nolock | none | 1 | 0 | 0 | 0 | 0 |`);
    // Same package, same bytes.
    const again = await readBom((await generate(deb)).outcome);
    expect(again.text).toBe(text);
  });

  it('handles scoped, nested and aliased packages, and reports what the lockfile and the tree disagree on', async () => {
    const app = 'usr/lib/mixed';
    const deb = await buildTestDeb('mixed', {
      [`${app}/package-lock.json`]: lockfile(
        {
          name: 'mixed',
          version: '3.0.0',
          dependencies: { '@scope/util': '^1', a: '^1', 'string-width-cjs': 'npm:string-width@^4', gone: '^1' },
        },
        {
          'node_modules/@scope/util': {
            version: '1.4.0',
            license: 'ISC',
            integrity:
              'sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==',
          },
          'node_modules/a': { version: '1.0.0', dependencies: { b: '^1' } },
          'node_modules/a/node_modules/b': { version: '1.5.0' },
          'node_modules/b': { version: '2.0.0' },
          'node_modules/string-width-cjs': { name: 'string-width', version: '4.2.3' },
          'node_modules/gone': { version: '1.0.0' },
          'node_modules/dev-only': { version: '5.0.0', dev: true },
          'node_modules/shipped-dev': { version: '0.3.0', dev: true },
        },
      ),
      [`${app}/node_modules/@scope/util/package.json`]: manifest('@scope/util', '1.4.0', { license: 'ISC' }),
      [`${app}/node_modules/a/package.json`]: manifest('a', '1.0.0', { dependencies: { b: '^1' } }),
      [`${app}/node_modules/a/node_modules/b/package.json`]: manifest('b', '1.5.0'),
      [`${app}/node_modules/b/package.json`]: manifest('b', '2.0.0'),
      [`${app}/node_modules/string-width-cjs/package.json`]: manifest('string-width', '4.2.3'),
      // Locked as dev, yet shipped: it is in the package, so it is not `excluded`.
      [`${app}/node_modules/shipped-dev/package.json`]: manifest('shipped-dev', '0.3.0'),
      // Not in the lockfile: shipped all the same.
      [`${app}/node_modules/stowaway/package.json`]: manifest('stowaway', '0.1.0', { license: 'MIT' }),
      // A hard-linked manifest is read through its link.
      [`${app}/node_modules/twin/package.json`]: { hardlink: `${app}/node_modules/stowaway/package.json` },
      // npm bookkeeping and a package's own test fixtures are not installed packages.
      [`${app}/node_modules/.bin/a`]: { symlink: '../a/index.js' },
      [`${app}/node_modules/.package-lock.json`]: '{}\n',
      [`${app}/node_modules/a/test/fixtures/node_modules/fake/package.json`]: manifest('fake', '9.9.9'),
    });
    const { outcome } = await generate(deb);
    expect(outcome.error).toBeUndefined();
    expect(outcome.exitCode).toBe(0);
    const { bom } = await readBom(outcome);
    expect(schema16(bom)).toEqual([]);
    expect(npmPurls(bom)).toEqual([
      'pkg:npm/%40scope/util@1.4.0',
      'pkg:npm/a@1.0.0',
      'pkg:npm/b@1.5.0',
      'pkg:npm/b@2.0.0',
      'pkg:npm/dev-only@5.0.0',
      'pkg:npm/gone@1.0.0',
      'pkg:npm/mixed@3.0.0',
      'pkg:npm/shipped-dev@0.3.0',
      'pkg:npm/stowaway@0.1.0',
      'pkg:npm/string-width@4.2.3',
    ]);
    const byPurl = new Map(bom.components.map((c) => [c.purl, c]));
    const util = byPurl.get('pkg:npm/%40scope/util@1.4.0')!;
    expect(util).toMatchObject({ group: '@scope', name: 'util', scope: 'required', licenses: [{ license: { id: 'ISC' } }] });
    expect(property(util, 'cdx:npm:package:path')).toEqual(['/usr/lib/mixed/node_modules/@scope/util']);
    // The stowaway is installed twice (once through a hard link) and listed once, with both paths.
    const stowaway = byPurl.get('pkg:npm/stowaway@0.1.0')!;
    expect(stowaway.scope).toBe('required');
    expect(property(stowaway, 'packaging-factory:npm:lockfile')).toEqual(['absent']);
    expect(property(stowaway, 'cdx:npm:package:path').sort()).toEqual([
      '/usr/lib/mixed/node_modules/stowaway',
      '/usr/lib/mixed/node_modules/twin',
    ]);
    // Locked but not shipped: listed, excluded.
    expect(byPurl.get('pkg:npm/gone@1.0.0')).toMatchObject({ scope: 'excluded' });
    expect(property(byPurl.get('pkg:npm/gone@1.0.0')!, 'packaging-factory:npm:installed')).toEqual(['false']);
    expect(byPurl.get('pkg:npm/dev-only@5.0.0')).toMatchObject({ scope: 'excluded' });
    const shippedDev = byPurl.get('pkg:npm/shipped-dev@0.3.0')!;
    expect(shippedDev.scope).toBe('optional');
    expect(property(shippedDev, 'cdx:npm:package:development')).toEqual(['true']);
    // The nested copy is what a depends on: Node's resolution over the installed tree.
    const deps = new Map(bom.dependencies.map((d) => [d.ref, d.dependsOn ?? []]));
    expect(deps.get('pkg:npm/a@1.0.0')).toEqual(['pkg:npm/b@1.5.0']);
    const notes = outcome.result!.notes!;
    expect(notes).toContainEqual(
      expect.stringContaining(
        '2 installed npm package(s) are not in /usr/lib/mixed/package-lock.json, catalogued from their package.json: stowaway@0.1.0 at /usr/lib/mixed/node_modules/stowaway, stowaway@0.1.0 at /usr/lib/mixed/node_modules/twin',
      ),
    );
    // dev-only is locked as dev: its absence is expected, not reported.
    expect(notes).toContainEqual(
      expect.stringMatching(
        /1 production entry of \/usr\/lib\/mixed\/package-lock.json are not installed, listed with scope excluded: gone@1.0.0 at \/usr\/lib\/mixed\/node_modules\/gone$/,
      ),
    );
    expect(bom.components.some((c) => c.name === 'fake')).toBe(false);
    expect((outcome.record.details as { npmProjects: unknown[] }).npmProjects).toEqual([
      {
        package: deb,
        dir: '/usr/lib/mixed',
        lockfile: '/usr/lib/mixed/package-lock.json',
        installed: 8,
        mismatches: [],
        notInLockfile: 2,
        notInstalled: 1,
        linkedOut: 0,
      },
    ]);
  });

  it('lists a package linked out of the .deb (Debian /usr/share/nodejs) from the lockfile, marked unverified', async () => {
    const deb = await buildTestDeb('debianish', {
      'usr/lib/debianish/package-lock.json': lockfile(
        { name: 'debianish', version: '1.0.0', dependencies: { minimist: '^1' } },
        { 'node_modules/minimist': { version: '1.2.8' } },
      ),
      'usr/lib/debianish/node_modules/minimist': { symlink: '/usr/share/nodejs/minimist' },
    });
    const { outcome } = await generate(deb);
    expect(outcome.exitCode).toBe(0);
    const { bom } = await readBom(outcome);
    const minimist = bom.components.find((c) => c.name === 'minimist')!;
    expect(minimist.scope).toBe('required');
    expect(property(minimist, 'packaging-factory:npm:verified')).toEqual(['false']);
    expect(property(minimist, 'packaging-factory:npm:link-target')).toEqual(['/usr/share/nodejs/minimist']);
    expect(outcome.result!.notes).toContainEqual(
      expect.stringContaining(
        'symlinks out of this package, their versions not verified here: /usr/lib/debianish/node_modules/minimist → /usr/share/nodejs/minimist',
      ),
    );
  });

  it('still lists the example application’s minimist@1.2.8 and ansi-html@0.0.9 exactly once each', async () => {
    const work = await tempDir('sbom-npm-hello-');
    dirs.push(work);
    const root = path.join(work, 'root');
    await cp(HELLO_PKGROOT, root, { recursive: true, verbatimSymlinks: true });
    await mkdir(path.join(root, 'DEBIAN'));
    await writeFile(
      path.join(root, 'DEBIAN/control'),
      'Package: hello-factory\nVersion: 1.0.0\nArchitecture: all\nMaintainer: Packaging Factory <factory@example.org>\nDescription: hello\n',
    );
    const deb = path.join(work, 'hello-factory_1.0.0_all.deb');
    await run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, deb]);
    const { outcome } = await generate(deb);
    expect(outcome.exitCode).toBe(0);
    const { bom } = await readBom(outcome);
    const purls = bom.components.map((c) => c.purl);
    expect(purls.filter((p) => p === 'pkg:npm/minimist@1.2.8')).toHaveLength(1);
    expect(purls.filter((p) => p === 'pkg:npm/ansi-html@0.0.9')).toHaveLength(1);
    expect(npmPurls(bom)).toEqual(['pkg:npm/ansi-html@0.0.9', 'pkg:npm/hello-factory@1.0.0', 'pkg:npm/minimist@1.2.8']);
    // Lockfile and tree agree: the lockfile's integrity is kept, and there is nothing to note.
    const minimist = bom.components.find((c) => c.name === 'minimist')!;
    expect(property(minimist, 'packaging-factory:npm:lockfile')).toEqual([]);
    expect(outcome.result!.notes!.filter((n) => n.includes('npm'))).toEqual([]);
    expect(outcome.result!.summary).toContain('| /usr/lib/hello-factory | /usr/lib/hello-factory/package-lock.json | 2 | 0 | 0 | 0 | 0 |');
  });

  it('writes a valid SBOM for a maintainer at @localhost, keeping the raw field as a property', async () => {
    const deb = await buildTestDeb('local', { 'usr/share/doc/local/README': 'local\n' }, 'A <a@localhost>');
    const { outcome } = await generate(deb);
    expect(outcome.error).toBeUndefined();
    expect(outcome.exitCode).toBe(0);
    const { bom } = await readBom(outcome);
    expect(schema16(bom)).toEqual([]);
    const pkg = bom.components.find((c) => c.name === 'local')!;
    expect(pkg.supplier).toEqual({ name: 'A', contact: [{ name: 'A' }] });
    expect(property(pkg, 'packaging-factory:deb:Maintainer')).toEqual(['A <a@localhost>']);
  });
});
