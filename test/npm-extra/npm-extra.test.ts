import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { digestFile } from '@packaging-factory/core';
import {
  candidateFor,
  catalogNpmLockfile,
  catalogNpmProjectDirectory,
  catalogNpmTarball,
  expandSbomInputs,
  npmExtraCatalogers,
  parseNpmLockfile,
  readNodeModulesTree,
  type SbomComponent,
} from '@packaging-factory/sbom';
import { tempDir } from '../support/context.ts';

/**
 * npm beyond lockfiles: a package tarball made by `npm pack` (bundled dependencies and a
 * shrinkwrap inside), a project installed by `npm install` on disk, and every npm lockfile fixture
 * (osv-scanner v1/v2, syft v1/v2/v3) turned into the node_modules tree it describes, to check that
 * reading a tree cross-checked against its lock gives exactly the lock's packages. (The lockfile
 * parser alone is run on these fixtures by test/sbom/npm-lockfile-fixtures.test.ts.)
 */

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const INVENTORY = path.resolve(here, '../../../shared/fixtures/package-inventory');

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function work(prefix: string): Promise<string> {
  const dir = await tempDir(prefix);
  dirs.push(dir);
  return dir;
}

const prop = (c: SbomComponent, name: string): string[] => c.properties.filter(([n]) => n === name).map(([, v]) => v);

describe('npm pack and npm install, offline, from local tarballs', () => {
  let root: string;
  let app: string;
  let npmEnv: NodeJS.ProcessEnv;
  const npm = (args: string[], cwd: string) => run('npm', args, { cwd, env: npmEnv });

  beforeAll(async () => {
    root = await work('npm-extra-');
    npmEnv = {
      ...process.env,
      npm_config_cache: path.join(root, 'cache'),
      npm_config_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      npm_config_userconfig: path.join(root, 'npmrc'),
    };
    for (const [name, version] of [
      ['dep-a', '1.0.0'],
      ['dep-b', '2.0.0'],
    ] as const) {
      const dir = path.join(root, name);
      await mkdir(dir);
      await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, version, license: 'MIT', main: 'index.js' }));
      await writeFile(path.join(dir, 'index.js'), 'module.exports = 1;\n');
      await npm(['pack', '--pack-destination', root], dir);
    }
    app = path.join(root, 'app');
    await mkdir(app);
    await writeFile(
      path.join(app, 'package.json'),
      JSON.stringify(
        {
          name: '@demo/app',
          version: '3.1.0',
          description: 'demo application',
          license: 'Apache-2.0',
          author: 'Jane Doe <jane@example.org> (https://example.org)',
          repository: { type: 'git', url: 'git+https://github.com/example/app.git' },
          bin: { app: 'cli.js' },
          dependencies: { 'dep-a': 'file:../dep-a-1.0.0.tgz', 'dep-b': 'file:../dep-b-2.0.0.tgz' },
          bundleDependencies: ['dep-a'],
        },
        null,
        2,
      ),
    );
    await writeFile(path.join(app, 'cli.js'), '#!/usr/bin/env node\n');
    await npm(['install'], app);
    await npm(['shrinkwrap'], app);
    await npm(['pack', '--pack-destination', root], app);
  }, 120_000);

  it('catalogues the tarball: the package itself, its bundled dependency, and what the shrinkwrap pins', async () => {
    const file = path.join(root, 'demo-app-3.1.0.tgz');
    const candidate = candidateFor(file, path.basename(file), false);
    expect(npmExtraCatalogers.find((c) => c.matches(candidate))?.kind).toBe('npm-tarball');
    // The real tool's view of the archive: what npm put in it.
    const { stdout } = await run('tar', ['-tzf', file]);
    expect(stdout.split('\n')).toEqual(expect.arrayContaining(['package/node_modules/dep-a/package.json', 'package/npm-shrinkwrap.json']));

    const catalog = (await catalogNpmTarball(file, 'demo-app-3.1.0.tgz'))!;
    const byRef = new Map(catalog.components.map((c) => [c.ref, c]));
    expect([...byRef.keys()]).toEqual(['pkg:npm/%40demo/app@3.1.0', 'pkg:npm/dep-a@1.0.0', 'pkg:npm/dep-b@2.0.0']);
    const app = byRef.get('pkg:npm/%40demo/app@3.1.0')!;
    expect(app).toMatchObject({ type: 'application', group: '@demo', name: 'app', version: '3.1.0', licenses: ['Apache-2.0'] });
    expect(app.supplier).toEqual({ name: 'Jane Doe', email: 'jane@example.org' });
    expect(app.hashes.get('SHA-256')).toBe(await digestFile(file));
    expect(app.externalReferences).toEqual([{ type: 'vcs', url: 'git+https://github.com/example/app.git' }]);
    expect([...app.dependsOn].sort()).toEqual(['pkg:npm/dep-a@1.0.0', 'pkg:npm/dep-b@2.0.0']);
    const depA = byRef.get('pkg:npm/dep-a@1.0.0')!;
    expect(depA.scope).toBe('required');
    expect(prop(depA, 'cdx:npm:package:bundled')).toEqual(['true']);
    expect(prop(depA, 'packaging-factory:source')).toEqual(expect.arrayContaining(['demo-app-3.1.0.tgz:package/node_modules']));
    // dep-b is not bundled: npm installs it from the shrinkwrap's pin.
    expect(prop(byRef.get('pkg:npm/dep-b@2.0.0')!, 'packaging-factory:source')).toEqual(['demo-app-3.1.0.tgz:package/npm-shrinkwrap.json']);
    expect(catalog.report?.mismatches).toEqual([]);
    expect(catalog.notes).toEqual([]);
  });

  it('catalogues the installed project directory, agreeing with `npm ls`', async () => {
    const found = await expandSbomInputs([app], app, npmExtraCatalogers);
    expect(found.map((f) => [path.relative(app, f.file), f.cataloger.kind])).toEqual([['package.json', 'npm-installed']]);
    const catalog = await catalogNpmProjectDirectory(app, 'app');
    const { stdout } = await run('npm', ['ls', '--all', '--json'], { cwd: app, env: npmEnv });
    const tree = JSON.parse(stdout) as { name: string; version: string; dependencies: Record<string, { version: string }> };
    const fromNpm = [`${tree.name}@${tree.version}`, ...Object.entries(tree.dependencies).map(([n, d]) => `${n}@${d.version}`)].sort();
    const ours = catalog.components.map((c) => `${c.group === undefined ? '' : `${c.group}/`}${c.name}@${c.version}`).sort();
    expect(ours).toEqual(fromNpm);
    expect(catalog.report).toMatchObject({ mismatches: [], notInLockfile: [], notInstalled: [] });
    expect(catalog.root?.ref).toBe('pkg:npm/%40demo/app@3.1.0');
    expect([...catalog.root!.dependsOn].sort()).toEqual(['pkg:npm/dep-a@1.0.0', 'pkg:npm/dep-b@2.0.0']);
  });

  it('reports a tree that contradicts its lockfile, catalogued as installed', async () => {
    const copy = path.join(root, 'drifted');
    await run('cp', ['-a', app, copy]);
    await writeFile(
      path.join(copy, 'node_modules/dep-b/package.json'),
      JSON.stringify({ name: 'dep-b', version: '2.0.1', license: 'MIT' }),
    );
    const catalog = await catalogNpmProjectDirectory(copy, 'drifted');
    expect(catalog.components.map((c) => c.ref)).toContain('pkg:npm/dep-b@2.0.1');
    expect(catalog.notes).toEqual(['drifted/node_modules/dep-b is dep-b@2.0.1 but drifted/npm-shrinkwrap.json locks dep-b@2.0.0']);
  });
});

/** Writes the node_modules tree a lockfile describes: one package.json per installed entry, links as symlinks. */
async function materialise(lockText: string, dir: string): Promise<void> {
  const lock = parseNpmLockfile(lockText, 'fixture');
  await writeFile(path.join(dir, 'package-lock.json'), lockText);
  const rootManifest: Record<string, string> = {};
  if (lock.root.name !== '') rootManifest['name'] = lock.root.name;
  if (lock.root.version !== '') rootManifest['version'] = lock.root.version;
  await writeFile(path.join(dir, 'package.json'), JSON.stringify(rootManifest));
  await mkdir(path.join(dir, 'node_modules'), { recursive: true });
  for (const pkg of lock.packages) {
    const at = path.join(dir, pkg.path);
    if (pkg.link !== undefined) {
      await mkdir(path.dirname(at), { recursive: true });
      await symlink(path.relative(path.dirname(at), path.join(dir, pkg.link)), at);
      continue;
    }
    await mkdir(at, { recursive: true });
    const manifest: Record<string, string> = { name: pkg.name };
    if (pkg.version !== '') manifest['version'] = pkg.version;
    await writeFile(path.join(at, 'package.json'), JSON.stringify(manifest));
  }
}

interface FixtureFile {
  id: string;
  file: string;
}
const osvFiles = (
  JSON.parse(await readFile(path.join(INVENTORY, 'osv-scanner-v1/cases.json'), 'utf8')) as {
    cases: { ecosystem: string; fixture: string }[];
  }
).cases
  .filter((c) => c.ecosystem === 'npm')
  .map((c) => path.join(INVENTORY, 'osv-scanner-v1', c.fixture));
const syftFiles = (await readdir(path.join(INVENTORY, 'syft/fixtures/javascript/testdata/pkg-lock'))).map((f) =>
  path.join(INVENTORY, 'syft/fixtures/javascript/testdata/pkg-lock', f),
);
// Skip list: not-json.txt is the parser's invalid-JSON case (it describes no tree; the lockfile test asserts its error).
const SKIPPED = new Map([['not-json.txt', 'invalid JSON: asserted as a parse error by test/sbom/npm-lockfile-fixtures.test.ts']]);
const lockFixtures: FixtureFile[] = [...new Set([...osvFiles, ...syftFiles])]
  .filter((file) => !SKIPPED.has(path.basename(file)))
  .sort()
  .map((file) => ({ id: path.relative(INVENTORY, file), file }));
const tally = { passed: 0, total: lockFixtures.length };

describe('every npm lockfile fixture (v1, v2, v3) as an installed tree', () => {
  afterAll(() => {
    console.log(
      `FIXTURE package-inventory/npm-locks-as-installed-trees: ${tally.passed}/${tally.total} (skipped: ${[...SKIPPED.keys()].join(', ')})`,
    );
    expect(tally).toEqual({ passed: 20, total: 20 });
  });

  it.each(lockFixtures)('$id', async ({ file }) => {
    const text = await readFile(file, 'utf8');
    const dir = await work('npm-tree-');
    await materialise(text, dir);
    const lock = parseNpmLockfile(text, file);
    const fromLock = catalogNpmLockfile(lock, { source: 'lock' });
    const fromTree = await catalogNpmProjectDirectory(dir, 'project');
    // No contradiction where the tree is what the lock says, aliases, git and file dependencies included.
    expect(fromTree.report).toMatchObject({ mismatches: [], notInLockfile: [] });
    const refs = (list: SbomComponent[], root?: SbomComponent) =>
      list
        .filter((c) => c !== root)
        .map((c) => c.ref)
        .sort();
    expect(refs(fromTree.components, fromTree.root)).toEqual(refs(fromLock.components, fromLock.root));
    // What the tree holds is shipped, whatever the lock's dev flag says: nothing installed is excluded.
    const installed = new Set([...(await readNodeModulesTree(dir, 'project')).installed.keys()].map((p) => `project/${p}`));
    for (const component of fromTree.components) {
      const inTree = prop(component, 'cdx:npm:package:path').some((p) => installed.has(p));
      if (inTree) expect({ ref: component.ref, scope: component.scope }).not.toEqual({ ref: component.ref, scope: 'excluded' });
    }
    if (file.endsWith('pkg-lock/package-lock.json')) {
      // That v1 lock has a key "node_modules/async": no npm name has an unscoped '/', so nothing Node
      // could load sits there: the entry stays what only the lock says (excluded), never installed.
      expect(fromTree.components.find((c) => c.ref === 'pkg:npm/node_modules%2Fasync@3.2.4')?.scope).toBe('excluded');
    }
    tally.passed += 1;
  });
});
