import { chmod, cp, lutimes, mkdir, readFile, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { EvidencePack, ExecRunner, FactoryError, runStage, type RawInputs, type StageOutcome } from '@packaging-factory/core';
import { buildPackageStage, listDebFiles, readDebControl } from '@packaging-factory/formats';
import { makeTestSession, tempDir, type TestSession } from '../support/context.ts';
import { DEB_FIXTURES, describeWithDpkg, HELLO_PKGROOT, run } from '../formats/deb-tools.ts';

const EPOCH = 1767225600; // 2026-01-01T00:00:00Z

const HELLO_INPUTS: RawInputs = {
  name: 'hello-factory',
  version: '1.0.0',
  architecture: 'all',
  maintainer: 'Packaging Factory <factory@example.org>',
  description: 'Greets people from the command line\nhello-factory is the example application of Packaging Factory.\n\nIt needs Node.js.',
  depends: 'nodejs (>= 18)',
  homepage: 'https://example.org/hello-factory',
};

const sessions: TestSession[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const s of sessions) await s.cleanup();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function newDir(prefix: string): Promise<string> {
  const dir = await tempDir(prefix);
  dirs.push(dir);
  return dir;
}

/** Parses raw inputs like the action/CLI would and runs the stage through the runner. */
async function build(
  raw: RawInputs,
  env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] },
): Promise<{ outcome: StageOutcome; session: TestSession }> {
  const session = await makeTestSession({ env, now: () => new Date('2026-01-02T00:00:00Z') });
  sessions.push(session);
  const ctx = await session.contextFor('build-package');
  const options = buildPackageStage.parse(raw, { workDir: session.dir, env });
  const outcome = await runStage(buildPackageStage, options, ctx);
  return { outcome, session };
}

function parseError(raw: RawInputs): FactoryError {
  try {
    buildPackageStage.parse(raw, { workDir: '/tmp', env: {} });
  } catch (error) {
    if (error instanceof FactoryError) return error;
    throw error;
  }
  throw new Error('parse accepted the inputs');
}

/** A copy of the example tree with scrambled mtimes and permissions: content identical, metadata not. */
async function scrambledCopy(): Promise<string> {
  const dir = await newDir('pkgroot-copy-');
  const root = path.join(dir, 'pkgroot');
  await cp(HELLO_PKGROOT, root, { recursive: true, verbatimSymlinks: true });
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  let t = 1_000_000_000;
  for (const entry of entries) {
    const full = path.join(entry.parentPath, entry.name);
    t += 7919;
    if (entry.isSymbolicLink()) await lutimes(full, t, t);
    else {
      // Keep only what is meaningful (the execute bit); scramble the rest.
      if (entry.isFile()) await chmod(full, ((await stat(full)).mode & 0o111) !== 0 ? 0o700 : 0o600);
      if (entry.isDirectory()) await chmod(full, 0o700);
      await utimes(full, t, t);
    }
  }
  return root;
}

describe('build-package inputs', () => {
  it('names the input that breaks Debian Policy', () => {
    const base = { ...HELLO_INPUTS, 'source-dir': 'pkgroot' };
    expect(parseError({ ...base, name: 'Hello_Factory' })).toMatchObject({ code: 'BUILD_INVALID_METADATA', subject: 'name' });
    expect(parseError({ ...base, version: 'v1.0' })).toMatchObject({ code: 'BUILD_INVALID_METADATA', subject: 'version' });
    expect(parseError({ ...base, architecture: 'any' })).toMatchObject({ code: 'BUILD_INVALID_METADATA', subject: 'architecture' });
    expect(parseError({ ...base, maintainer: 'factory@example.org' })).toMatchObject({
      code: 'BUILD_INVALID_METADATA',
      subject: 'maintainer',
    });
    expect(parseError({ ...base, depends: 'nodejs (>= 18' })).toMatchObject({ code: 'BUILD_INVALID_METADATA', subject: 'depends' });
    expect(parseError({ ...base, homepage: 'example.org' })).toMatchObject({ code: 'BUILD_INVALID_METADATA', subject: 'homepage' });
    expect(parseError({ ...base, priority: 'urgent' })).toMatchObject({ code: 'BUILD_INVALID_METADATA', subject: 'priority' });
    expect(parseError({ ...base, name: undefined })).toMatchObject({ code: 'INPUT_MISSING', subject: 'name' });
    expect(parseError({ ...base, 'source-date-epoch': 'yesterday' })).toMatchObject({
      code: 'INPUT_INVALID',
      subject: 'source-date-epoch',
    });
  });

  it('refuses formats it cannot build yet, and needs exactly one of source-dir and package', () => {
    const error = parseError({ ...HELLO_INPUTS, 'source-dir': 'pkgroot', format: 'rpm' });
    expect(error).toMatchObject({ code: 'BUILD_UNSUPPORTED_FORMAT', subject: 'format' });
    expect(error.message).toMatch(/only deb/);
    expect(parseError({ ...HELLO_INPUTS, 'source-dir': 'a', package: 'b.deb' })).toMatchObject({
      code: 'INPUT_INVALID',
      subject: 'source-dir',
    });
    expect(parseError({ ...HELLO_INPUTS })).toMatchObject({ code: 'INPUT_MISSING' });
  });

  it('applies the documented defaults', () => {
    const options = buildPackageStage.parse({ 'source-dir': 'root', ...HELLO_INPUTS, architecture: '' }, { workDir: '/w', env: {} });
    expect(options).toMatchObject({
      format: 'deb',
      sourceDir: '/w/root',
      outputDir: '/w/factory-out/packages',
      metadata: { architecture: 'all', section: 'misc', priority: 'optional', depends: ['nodejs (>= 18)'] },
    });
    expect(options.sourceDateEpoch).toBeUndefined();
  });
});

describeWithDpkg('build-package with dpkg-deb', () => {
  let first: { outcome: StageOutcome; session: TestSession };

  beforeAll(async () => {
    first = await build({ ...HELLO_INPUTS, 'source-dir': HELLO_PKGROOT, 'source-date-epoch': String(EPOCH) });
  });

  it('builds the example tree into hello-factory_1.0.0_all.deb with the metadata given', async () => {
    const { outcome, session } = first;
    expect(outcome.error).toBeUndefined();
    expect(outcome.exitCode).toBe(0);
    const values = outcome.result!.outputValues;
    expect(values['file-name']).toBe('hello-factory_1.0.0_all.deb');
    expect(values['package']).toBe(path.join(session.dir, 'factory-out/packages/hello-factory_1.0.0_all.deb'));
    expect(values['package-name']).toBe('hello-factory');
    expect(values['package-version']).toBe('1.0.0');
    const control = await readDebControl(values['package']!, new ExecRunner(session.logger));
    expect(control).toMatchObject({
      package: 'hello-factory',
      version: '1.0.0',
      architecture: 'all',
      maintainer: 'Packaging Factory <factory@example.org>',
      section: 'misc',
      priority: 'optional',
      homepage: 'https://example.org/hello-factory',
      depends: [[{ name: 'nodejs', version: { operator: '>=', version: '18' } }]],
      description: {
        synopsis: 'Greets people from the command line',
        extended: 'hello-factory is the example application of Packaging Factory.\n\nIt needs Node.js.',
      },
    });
    // dpkg-deb itself agrees (its --info check parses the whole control file).
    const { stdout } = await run('dpkg-deb', ['--field', values['package']!, 'Depends']);
    expect(stdout.trim()).toBe('nodejs (>= 18)');
    expect(outcome.result!.summary).toContain('| Package | hello-factory |');
  });

  it('computes Installed-Size exactly as dpkg-gencontrol does', async () => {
    const dir = await newDir('gencontrol-');
    await mkdir(path.join(dir, 'debian'));
    await cp(HELLO_PKGROOT, path.join(dir, 'debian/hello-factory'), { recursive: true, verbatimSymlinks: true });
    await writeFile(
      path.join(dir, 'debian/control'),
      'Source: hello-factory\nMaintainer: A <a@example.org>\n\nPackage: hello-factory\nArchitecture: all\nDescription: x\n',
    );
    await writeFile(
      path.join(dir, 'debian/changelog'),
      'hello-factory (1.0.0) unstable; urgency=medium\n\n  * Initial release.\n\n -- A <a@example.org>  Thu, 01 Jan 2026 00:00:00 +0000\n',
    );
    const { stdout } = await run('dpkg-gencontrol', ['-phello-factory', '-Pdebian/hello-factory', '-O'], { cwd: dir });
    const expected = Number(/^Installed-Size: (\d+)$/m.exec(stdout)?.[1]);
    expect(expected).toBeGreaterThan(0);
    expect(first.outcome.result!.details!['installedSizeKiB']).toBe(expected);
  });

  it('normalises modes, owners and mtimes and keeps the node_modules/.bin symlink', async () => {
    const file = first.outcome.result!.outputValues['package']!;
    const files = await listDebFiles(file, new ExecRunner(first.session.logger));
    const byPath = new Map(files.map((f) => [f.path, f]));
    expect(byPath.get('/usr/bin/hello-factory')).toMatchObject({ type: 'file', mode: 0o755, owner: 'root', group: 'root', mtime: EPOCH });
    expect(byPath.get('/usr/lib/hello-factory/index.js')).toMatchObject({ type: 'file', mode: 0o644 });
    expect(byPath.get('/usr/lib/hello-factory/node_modules/.bin/ansi-html')).toMatchObject({
      type: 'symlink',
      linkTarget: '../ansi-html/bin/ansi-html',
    });
    for (const entry of files) {
      expect(entry.mtime).toBe(EPOCH);
      expect(`${entry.owner}:${entry.group}`).toBe('root:root');
      if (entry.type === 'directory') expect(entry.mode).toBe(0o755);
      if (entry.type === 'file') expect([0o644, 0o755]).toContain(entry.mode);
    }
    expect(files.find((f) => f.path.startsWith('/DEBIAN'))).toBeUndefined();
  });

  it('produces a package whose program runs: hello-factory --version', async () => {
    const dir = await newDir('hello-installed-');
    await run('dpkg-deb', ['--extract', first.outcome.result!.outputValues['package']!, dir]);
    const launcher = await readFile(path.join(dir, 'usr/bin/hello-factory'), 'utf8');
    expect(launcher).toContain('exec node /usr/lib/hello-factory/index.js "$@"');
    const version = await run(process.execPath, [path.join(dir, 'usr/lib/hello-factory/index.js'), '--version']);
    expect(version.stdout).toBe('1.0.0\n');
    const greet = await run(process.execPath, [path.join(dir, 'usr/lib/hello-factory/index.js'), 'greet', 'Ada']);
    expect(greet.stdout).toBe('Hello, Ada!\n');
  });

  it('is reproducible: a copy with other mtimes and modes gives the same bytes', async () => {
    const copy = await scrambledCopy();
    const second = await build({ ...HELLO_INPUTS, 'source-dir': copy, 'source-date-epoch': String(EPOCH) });
    expect(second.outcome.exitCode).toBe(0);
    expect(second.outcome.result!.outputValues['sha256']).toBe(first.outcome.result!.outputValues['sha256']);
    const a = await readFile(first.outcome.result!.outputValues['package']!);
    const b = await readFile(second.outcome.result!.outputValues['package']!);
    expect(a.equals(b)).toBe(true);
    // SOURCE_DATE_EPOCH from the environment is the same epoch, so the same bytes again.
    const third = await build({ ...HELLO_INPUTS, 'source-dir': copy }, { PATH: process.env['PATH'], SOURCE_DATE_EPOCH: String(EPOCH) });
    expect(third.outcome.result!.outputValues['sha256']).toBe(first.outcome.result!.outputValues['sha256']);
    expect(third.outcome.result!.details!['sourceDateEpochFrom']).toBe('SOURCE_DATE_EPOCH');
    // A different epoch changes the bytes: the test can fail.
    const other = await build({ ...HELLO_INPUTS, 'source-dir': copy, 'source-date-epoch': String(EPOCH + 1) });
    expect(other.outcome.result!.outputValues['sha256']).not.toBe(first.outcome.result!.outputValues['sha256']);
  });

  it('records the output digest and the dpkg-deb version in the evidence pack', async () => {
    const pack = await EvidencePack.load(first.session.evidencePath);
    const record = pack.records.at(-1)!;
    expect(record.stage).toBe('build-package');
    expect(record.status).toBe('passed');
    expect(record.outputs).toEqual([
      expect.objectContaining({
        name: 'hello-factory_1.0.0_all.deb',
        sha256: first.outcome.result!.outputValues['sha256'],
        role: 'artifact',
      }),
    ]);
    const { stdout } = await run('dpkg-deb', ['--version']);
    const version = /version (\S+)/.exec(stdout)?.[1];
    expect(record.tools).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'dpkg-deb', version: version?.replace(/\.$/, '') })]),
    );
  });

  it('reuses an identical file at the destination and refuses a different one', async () => {
    const { session } = first;
    const ctx = await session.session.contextFor('build-package');
    const options = buildPackageStage.parse(
      { ...HELLO_INPUTS, 'source-dir': HELLO_PKGROOT, 'source-date-epoch': String(EPOCH) },
      { workDir: session.dir, env: {} },
    );
    const again = await runStage(buildPackageStage, options, ctx);
    expect(again.exitCode).toBe(0);
    expect(again.result!.decision!.reason).toMatch(/reused identical/);
    expect(again.result!.notes!.join('\n')).toMatch(/already existed with identical content/);

    const changed = buildPackageStage.parse(
      { ...HELLO_INPUTS, 'source-dir': HELLO_PKGROOT, 'source-date-epoch': String(EPOCH + 60) },
      { workDir: session.dir, env: {} },
    );
    const conflict = await runStage(buildPackageStage, changed, await session.session.contextFor('build-package'));
    expect(conflict.exitCode).toBe(2);
    expect(conflict.error).toMatchObject({ code: 'BUILD_OUTPUT_CONFLICT', subject: 'output-dir' });
    // The file that was there is untouched.
    const kept = await readFile(first.outcome.result!.outputValues['package']!);
    expect(createHash('sha256').update(kept).digest('hex')).toBe(first.outcome.result!.outputValues['sha256']);
    const leftovers = (await readdir(path.join(session.dir, 'factory-out/packages'))).filter((n) => n.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });

  it('falls back to the newest mtime in source-dir and says so', async () => {
    const copy = await scrambledCopy();
    const newest = 1_200_000_000;
    await utimes(path.join(copy, 'usr/lib/hello-factory/index.js'), newest, newest);
    const { outcome } = await build({ ...HELLO_INPUTS, 'source-dir': copy });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.result!.details!['sourceDateEpoch']).toBe(newest);
    expect(outcome.result!.notes!.join('\n')).toMatch(/newest mtime in source-dir \(1200000000/);
  });

  it('rejects a symlink that climbs out of the tree, accepts absolute and inner links', async () => {
    const copy = await scrambledCopy();
    await symlink('/usr/share/common-licenses/Apache-2.0', path.join(copy, 'usr/lib/hello-factory/LICENSE'));
    const ok = await build({ ...HELLO_INPUTS, 'source-dir': copy, 'source-date-epoch': String(EPOCH) });
    expect(ok.outcome.exitCode).toBe(0);
    expect(ok.outcome.result!.notes!.join('\n')).toMatch(
      /absolute symlinks resolve on the installed system.*usr\/lib\/hello-factory\/LICENSE/,
    );

    await symlink('../../../../etc/passwd', path.join(copy, 'usr/lib/hello-factory/escape'));
    const bad = await build({ ...HELLO_INPUTS, 'source-dir': copy, 'source-date-epoch': String(EPOCH) });
    expect(bad.outcome.exitCode).toBe(2);
    expect(bad.outcome.error).toMatchObject({ code: 'INPUT_INVALID', subject: 'source-dir' });
    expect((bad.outcome.error as Error).message).toMatch(
      /usr\/lib\/hello-factory\/escape -> \.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd points outside the tree/,
    );
  });

  it('keeps maintainer scripts (made executable) and refuses a DEBIAN/control that disagrees', async () => {
    const copy = await scrambledCopy();
    await mkdir(path.join(copy, 'DEBIAN'));
    await writeFile(path.join(copy, 'DEBIAN/postinst'), '#!/bin/sh\nset -e\nexit 0\n', { mode: 0o644 });
    await writeFile(
      path.join(copy, 'DEBIAN/control'),
      'Package: hello-factory\nVersion: 1.0.0\nArchitecture: all\nMaintainer: Packaging Factory <factory@example.org>\nInstalled-Size: 1\nDepends: nodejs (>=18)\n',
    );
    const agreeing = await build({ ...HELLO_INPUTS, 'source-dir': copy, 'source-date-epoch': String(EPOCH) });
    expect(agreeing.outcome.exitCode).toBe(0);
    const { stdout } = await run('dpkg-deb', ['--info', agreeing.outcome.result!.outputValues['package']!]);
    expect(stdout).toMatch(/\d+ bytes,\s+\d+ lines\s+\*\s+postinst\s+#!\/bin\/sh/);

    await writeFile(path.join(copy, 'DEBIAN/control'), 'Package: hello-factory\nVersion: 2.0.0\nArchitecture: all\nRecommends: curl\n');
    const conflicting = await build({ ...HELLO_INPUTS, 'source-dir': copy, 'source-date-epoch': String(EPOCH) });
    expect(conflicting.outcome.exitCode).toBe(2);
    expect(conflicting.outcome.error).toMatchObject({ code: 'BUILD_INVALID_METADATA', subject: 'source-dir' });
    expect((conflicting.outcome.error as Error).message).toMatch(
      /Version is '2\.0\.0' but the inputs give '1\.0\.0'.*Recommends is not written from the stage inputs/,
    );
  });

  it('passes an already-built package through, recording its digest and metadata', async () => {
    const file = path.join(DEB_FIXTURES, 'deb/hello_2.10-3_amd64.deb');
    const { outcome } = await build({ package: file });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.result!.outputValues).toEqual({
      package: file,
      sha256: '2e6e2f1a0007dc43bc91c273fd36e91e40a4f1c2765a03eca68b70a42103878a',
      'file-name': 'hello_2.10-3_amd64.deb',
      'package-name': 'hello',
      'package-version': '2.10-3',
    });
    expect(outcome.record.inputs[0]).toMatchObject({ name: 'hello_2.10-3_amd64.deb', role: 'artifact' });

    const mismatch = await build({ package: file, name: 'hello-factory' });
    expect(mismatch.outcome.error).toMatchObject({ code: 'BUILD_INVALID_METADATA', subject: 'package' });

    const dir = await newDir('not-a-deb-');
    await writeFile(path.join(dir, 'x.deb'), 'not a package');
    const wrong = await build({ package: path.join(dir, 'x.deb') });
    expect(wrong.outcome.error).toMatchObject({ code: 'BUILD_UNSUPPORTED_FORMAT', subject: 'package' });
  });

  it('fails cleanly when the source directory is missing', async () => {
    const { outcome } = await build({ ...HELLO_INPUTS, 'source-dir': '/nonexistent/pkgroot', 'source-date-epoch': String(EPOCH) });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.error).toMatchObject({ code: 'FILE_NOT_FOUND', subject: 'source-dir' });
    expect(outcome.record.status).toBe('failed');
  });
});
