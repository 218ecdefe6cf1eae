import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { digestFile } from '@packaging-factory/core';
import { candidateFor, expandSbomInputs, pythonCatalogers, type CatalogContext, type SbomComponent } from '@packaging-factory/sbom';
import { makeTestSession, tempDir, type TestSession } from '../support/context.ts';
import { buildPython, describeWithPython, run } from './python-tools.ts';

/**
 * Distributions built here by the real tools (pip wheel, setup.py sdist / bdist_egg, pip install
 * --target), offline: two local setuptools projects, one requiring the other.
 */

let session: TestSession;
let ctx: CatalogContext;
let work: string;
const built: Record<'wheel' | 'helperWheel' | 'sdist' | 'egg' | 'site', string> = {
  wheel: '',
  helperWheel: '',
  sdist: '',
  egg: '',
  site: '',
};
const env = {
  ...process.env,
  PIP_DISABLE_PIP_VERSION_CHECK: '1',
  PIP_NO_INPUT: '1',
  PYTHONDONTWRITEBYTECODE: '1',
  SOURCE_DATE_EPOCH: '1767225600',
};

async function project(dir: string, name: string, version: string, extra: string): Promise<void> {
  await mkdir(path.join(dir, name.toLowerCase().replace(/-/g, '_')), { recursive: true });
  await writeFile(path.join(dir, name.toLowerCase().replace(/-/g, '_'), '__init__.py'), `VERSION = "${version}"\n`);
  await writeFile(path.join(dir, 'setup.py'), 'from setuptools import setup\nsetup()\n');
  await writeFile(
    path.join(dir, 'pyproject.toml'),
    `[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "${name}"
version = "${version}"
description = "A test distribution"
authors = [{ name = "Jane Doe", email = "jane@example.org" }]
license = { text = "MIT" }
classifiers = ["License :: OSI Approved :: MIT License"]
${extra}
[project.urls]
Source = "https://github.com/example/${name}"
`,
  );
}

beforeAll(async () => {
  session = await makeTestSession();
  ctx = { exec: (await session.contextFor('generate-sbom')).exec, workDir: session.dir };
  if (buildPython === undefined) return;
  work = await tempDir('python-dists-');
  const py = buildPython;
  await project(
    path.join(work, 'demo'),
    'Demo_Pkg',
    '1.2.0',
    'dependencies = ["helper-lib>=1.0", "colorama; extra == \'color\'"]\noptional-dependencies = { color = ["colorama"] }\n',
  );
  await project(path.join(work, 'helper'), 'helper-lib', '1.0.0', '');
  const dist = path.join(work, 'dist');
  const pip = ['-m', 'pip', '--no-cache-dir'];
  for (const dir of ['demo', 'helper']) {
    await run(py, [...pip, 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '-w', dist, path.join(work, dir)], { env });
  }
  await run(py, ['setup.py', '-q', 'sdist', '-d', dist], { cwd: path.join(work, 'demo'), env });
  await run(py, ['setup.py', '-q', 'bdist_egg', '-d', dist], { cwd: path.join(work, 'demo'), env });
  const files = await readdir(dist);
  const find = (re: RegExp): string => path.join(dist, files.find((f) => re.test(f)) ?? 'missing');
  built.wheel = find(/^Demo_Pkg-1\.2\.0-py3-none-any\.whl$/);
  built.helperWheel = find(/^helper_lib-1\.0\.0-.*\.whl$/);
  built.sdist = find(/^Demo_Pkg-1\.2\.0\.tar\.gz$/);
  built.egg = find(/^Demo_Pkg-1\.2\.0-py3\.\d+\.egg$/);
  built.site = path.join(work, 'site');
  await run(py, [...pip, 'install', '--no-deps', '--no-index', '--target', built.site, built.wheel, built.helperWheel], { env });
}, 180_000);
afterAll(async () => {
  await session.cleanup();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

async function catalogOne(file: string, expectedKind: string): Promise<SbomComponent> {
  const cataloger = pythonCatalogers.find((c) => c.matches(candidateFor(file, path.basename(file), false)));
  expect(cataloger?.kind).toBe(expectedKind);
  const output = await cataloger!.catalog({ file, shown: path.basename(file) }, ctx);
  expect(output.components).toHaveLength(1);
  return output.components[0]!;
}

const prop = (c: SbomComponent, name: string): string[] => c.properties.filter(([n]) => n === name).map(([, v]) => v);

describeWithPython('Python distributions built by pip and setuptools', () => {
  it('a wheel: purl with file_name, sha256 of the file, RECORD files, metadata as importlib.metadata reads it', async () => {
    const wheel = await catalogOne(built.wheel, 'python-wheel');
    expect(wheel.purl).toBe('pkg:pypi/demo-pkg@1.2.0?file_name=Demo_Pkg-1.2.0-py3-none-any.whl');
    expect(wheel.hashes.get('SHA-256')).toBe(await digestFile(built.wheel));
    expect(wheel.licenses).toEqual(['MIT']);
    expect(wheel.supplier).toEqual({ name: 'Jane Doe', email: 'jane@example.org' });
    expect(wheel.externalReferences).toContainEqual({ type: 'vcs', url: 'https://github.com/example/Demo_Pkg' });
    const init = wheel.children.find((c) => c.name === 'demo_pkg/__init__.py')!;
    expect(init.hashes.get('SHA-256')).toBe(createHash('sha256').update('VERSION = "1.2.0"\n').digest('hex'));
    // Cross-check with Python's own reader of the same wheel.
    const script =
      'import importlib.metadata as m, json, sys, zipfile\n' +
      "d = m.PathDistribution(zipfile.Path(sys.argv[1], 'Demo_Pkg-1.2.0.dist-info/'))\n" +
      "print(json.dumps({'name': d.metadata['Name'], 'version': d.version, 'requires': d.requires, 'email': d.metadata['Author-email']}))";
    const { stdout } = await run(buildPython!, ['-c', script, built.wheel]);
    const python = JSON.parse(stdout) as { name: string; version: string; requires: string[]; email: string };
    expect(prop(wheel, 'packaging-factory:pypi:Name')).toEqual([python.name]);
    expect(wheel.version).toBe(python.version);
    expect(prop(wheel, 'packaging-factory:pypi:Requires-Dist').sort()).toEqual([...python.requires].sort());
    expect(prop(wheel, 'packaging-factory:pypi:Author-email')).toEqual([python.email]);
    // A single file links nothing: what it requires is stated, not resolved.
    expect(wheel.dependsOn.size).toBe(0);
  });

  it('an sdist and an egg of the same project', async () => {
    const sdist = await catalogOne(built.sdist, 'python-sdist');
    expect(sdist.purl).toBe('pkg:pypi/demo-pkg@1.2.0?file_name=Demo_Pkg-1.2.0.tar.gz');
    expect(sdist.hashes.get('SHA-256')).toBe(await digestFile(built.sdist));
    expect(prop(sdist, 'packaging-factory:source')).toEqual(['Demo_Pkg-1.2.0.tar.gz:Demo_Pkg-1.2.0/PKG-INFO']);
    const egg = await catalogOne(built.egg, 'python-egg');
    expect(egg.name).toBe('demo-pkg');
    expect(egg.version).toBe('1.2.0');
    expect(egg.supplier?.email).toBe('jane@example.org');
  });

  it('site-packages from pip install: each dist-info catalogued, Requires-Dist linked to what is installed beside it', async () => {
    const found = await expandSbomInputs([built.site], built.site, pythonCatalogers);
    expect(found.map((f) => [path.relative(built.site, f.file), f.cataloger.kind])).toEqual([
      ['Demo_Pkg-1.2.0.dist-info/METADATA', 'python-installed'],
      ['helper_lib-1.0.0.dist-info/METADATA', 'python-installed'],
    ]);
    const components: SbomComponent[] = [];
    for (const input of found) {
      const output = await input.cataloger.catalog(
        { file: input.file, shown: path.relative(built.site, input.file) },
        { ...ctx, root: built.site },
      );
      components.push(...output.components);
    }
    const demo = components.find((c) => c.name === 'demo-pkg')!;
    expect(demo.purl).toBe('pkg:pypi/demo-pkg@1.2.0');
    // helper-lib is installed: linked. colorama is only for the 'color' extra: stated, not linked.
    expect([...demo.dependsOn]).toEqual(['pkg:pypi/helper-lib@1.0.0']);
    expect(prop(demo, 'packaging-factory:pypi:Requires-Dist')).toContain('colorama ; extra == "color"');
    expect(demo.children.map((c) => c.name)).toEqual(expect.arrayContaining(['demo_pkg/__init__.py', 'Demo_Pkg-1.2.0.dist-info/METADATA']));
  });
});
