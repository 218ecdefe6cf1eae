import { execFileSync } from 'node:child_process';
import { cp, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { digestFile, runStage } from '@packaging-factory/core';
import { buildPackageStage } from '@packaging-factory/formats';
import { makeTestSession, tempDir } from '../support/context.ts';
import { describeWithDpkg } from '../formats/deb-tools.ts';

const COMMIT_TIME = 1760000000; // a fixed committer date, in seconds

/** A git work tree holding a staged package tree, committed at COMMIT_TIME. */
async function checkout(): Promise<string> {
  const dir = await tempDir('factory-git-');
  await cp(path.resolve(import.meta.dirname, '..', '..', 'examples', 'hello', 'pkgroot'), path.join(dir, 'pkgroot'), {
    recursive: true,
    verbatimSymlinks: true,
  });
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'T',
    GIT_AUTHOR_EMAIL: 't@example.org',
    GIT_COMMITTER_NAME: 'T',
    GIT_COMMITTER_EMAIL: 't@example.org',
    GIT_AUTHOR_DATE: `@${COMMIT_TIME} +0000`,
    GIT_COMMITTER_DATE: `@${COMMIT_TIME} +0000`,
  };
  execFileSync('git', ['init', '-q', dir], { env });
  execFileSync('git', ['-C', dir, 'add', '.'], { env });
  execFileSync('git', ['-C', dir, 'commit', '-q', '-m', 'package tree'], { env });
  return dir;
}

async function buildFrom(sourceDir: string): Promise<{ digest: string; epochNote: string | undefined }> {
  const session = await makeTestSession({ env: { PATH: process.env['PATH'] } });
  const raw = {
    'source-dir': sourceDir,
    name: 'hello-factory',
    version: '1.0.0',
    maintainer: 'Demo <demo@example.org>',
    description: 'A tiny greeter',
    'output-dir': path.join(session.dir, 'out'),
  };
  const options = buildPackageStage.parse(raw, { workDir: session.dir, env: { PATH: process.env['PATH'] } });
  const outcome = await runStage(buildPackageStage, options, await session.contextFor('build-package'));
  expect(outcome.record.status).toBe('passed');
  const note = outcome.record.notes?.find((n) => n.includes('commit'));
  const digest = await digestFile(outcome.result!.outputValues['package']!);
  await session.cleanup();
  return { digest, epochNote: note };
}

describeWithDpkg('build-package without an explicit epoch, in a git checkout', () => {
  test("uses the last commit's time, so two clones with different file times build identical bytes", async () => {
    const first = await checkout();
    const second = await checkout();
    // A fresh clone stamps files with the moment of checkout: make the two trees disagree.
    await utimes(path.join(second, 'pkgroot', 'usr', 'bin', 'hello-factory'), new Date(), new Date());
    const index = path.join('pkgroot', 'usr', 'lib', 'hello-factory', 'index.js');
    await writeFile(path.join(second, index), await readFile(path.join(first, index)));
    const a = await buildFrom(path.join(first, 'pkgroot'));
    const b = await buildFrom(path.join(second, 'pkgroot'));
    expect(a.epochNote).toContain(String(COMMIT_TIME));
    expect(b.digest).toBe(a.digest);
  }, 60_000);
});
