import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FactoryError, type StageRecord } from '@packaging-factory/core';
import {
  checkEvidence,
  formatSha256Sums,
  parseSha256Sums,
  publishStage,
  refNameProblem,
  resolveAssetFiles,
  type PublishOptions,
} from '@packaging-factory/publish';
import { tempDir } from '../support/context.ts';
import { rm } from 'node:fs/promises';

const ENV = { GITHUB_REPOSITORY: 'octo-org/widget', GITHUB_TOKEN: 'ghs_envToken', GITHUB_API_URL: 'https://ghe.example.com/api/v3/' };

function parse(raw: Record<string, string>, env: NodeJS.ProcessEnv = ENV): PublishOptions {
  return publishStage.parse(raw, { workDir: '/work', env });
}

function parseError(raw: Record<string, string>, env: NodeJS.ProcessEnv = ENV): FactoryError {
  try {
    parse(raw, env);
  } catch (error) {
    if (error instanceof FactoryError) return error;
    throw error;
  }
  throw new Error('expected parse to fail');
}

describe('publish inputs', () => {
  it('declares the inputs and outputs the action and CLI expose', () => {
    expect(Object.keys(publishStage.inputs).sort()).toEqual(
      ['files', 'prerelease', 'release-name', 'release-notes', 'repository', 'require-stages', 'tag', 'to', 'token'].sort(),
    );
    expect(Object.keys(publishStage.outputs).sort()).toEqual(['asset-count', 'checksums', 'release-id', 'release-url']);
    expect(publishStage.positional).toBe('files');
    expect(publishStage.inputs['token']!.kind).toBe('secret');
    expect(publishStage.inputs['require-stages']!.default).toBe('build-package,generate-sbom,scan,sign,test-install,attest-provenance');
  });

  it('defaults to GitHub with GITHUB_REPOSITORY, GITHUB_TOKEN and GITHUB_API_URL', () => {
    const options = parse({ files: 'dist/*\nREADME.md', tag: 'v1.0.0' });
    expect(options).toMatchObject({
      files: ['dist/*', 'README.md'],
      tag: 'v1.0.0',
      releaseName: 'v1.0.0',
      prerelease: false,
      target: { kind: 'github', repository: 'octo-org/widget', token: 'ghs_envToken', apiUrl: 'https://ghe.example.com/api/v3' },
      requireStages: ['build-package', 'generate-sbom', 'scan', 'sign', 'test-install', 'attest-provenance'],
    });
  });

  it('reads a dir: target, resolved from the working directory', () => {
    expect(parse({ files: 'a', tag: 'v1', to: 'dir:out/releases' }, {}).target).toEqual({ kind: 'dir', root: '/work/out/releases' });
  });

  it.each([
    [{ files: 'a', tag: 'v1..2' }, 'tag'],
    [{ files: 'a', tag: 'v1', to: 'gitlab' }, 'to'],
    [{ files: 'a', tag: 'v1', to: 'dir:' }, 'to'],
    [{ files: 'a', tag: 'v1', repository: 'not a repo' }, 'repository'],
    [{ files: 'a', tag: 'v1', 'require-stages': 'scan,lint' }, 'require-stages'],
    [{ files: 'a', tag: 'v1', prerelease: 'yes' }, 'prerelease'],
    [{ files: '', tag: 'v1' }, 'files'],
    [{ files: 'a', tag: '' }, 'tag'],
  ])('names the input in the error: %j', (raw, input) => {
    const error = parseError(raw);
    expect(error.subject).toBe(input);
    expect(error.kind).toBe('input');
  });

  it('needs a token and a repository for GitHub', () => {
    expect(parseError({ files: 'a', tag: 'v1' }, { GITHUB_REPOSITORY: 'o/r' })).toMatchObject({ code: 'INPUT_MISSING', subject: 'token' });
    expect(parseError({ files: 'a', tag: 'v1' }, { GITHUB_TOKEN: 't' })).toMatchObject({ code: 'INPUT_MISSING', subject: 'repository' });
  });
});

describe('tag names follow git-check-ref-format', () => {
  const cases = [
    'v1.2.3',
    'release/1.0',
    'v1.0.0-rc.1+build.5',
    'v1..2',
    '.hidden',
    'v1.lock',
    'a//b',
    'v1/',
    'with space',
    'v1~1',
    'v1^',
    'a:b',
    'v?',
    'v*',
    'v[1]',
    'a\\b',
    'v1.',
    '@',
    'a@{b',
    'x/.y',
    'tab\tx',
    'ünïcode',
  ];
  const git = spawnSync('git', ['--version']).status === 0;

  it.each(cases)('%j agrees with git check-ref-format', (name) => {
    if (!git) {
      if (process.env['CI'] !== undefined) throw new Error('git is required in CI');
      return;
    }
    const accepted = spawnSync('git', ['check-ref-format', `refs/tags/${name}`]).status === 0;
    expect(refNameProblem(name) === undefined).toBe(accepted);
  });
});

describe('SHA256SUMS', () => {
  it('is sha256sum text format, sorted by name in byte order', () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    const text = formatSha256Sums([
      { name: 'widget.tar.gz', sha256: a },
      { name: 'Widget.deb', sha256: b },
      { name: 'widget-1.0.json', sha256: a },
    ]);
    expect(text).toBe(`${b}  Widget.deb\n${a}  widget-1.0.json\n${a}  widget.tar.gz\n`);
    expect(parseSha256Sums(text).map((e) => e.name)).toEqual(['Widget.deb', 'widget-1.0.json', 'widget.tar.gz']);
    expect(() => parseSha256Sums('xyz  name\n')).toThrow(/line 1/);
  });
});

describe('asset files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir();
    await mkdir(path.join(dir, 'dist', 'nested'), { recursive: true });
    await writeFile(path.join(dir, 'dist', 'b.tar.gz'), 'b');
    await writeFile(path.join(dir, 'dist', 'a.deb'), 'a');
    await writeFile(path.join(dir, 'dist', 'nested', 'a.deb'), 'other a');
    await writeFile(path.join(dir, 'dist', 'my file.zip'), 'space');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('expands globs and paths, sorted by name, with digests', async () => {
    const records = await resolveAssetFiles(['dist/*.tar.gz', 'dist/a.deb'], dir);
    expect(records.map((r) => [r.name, r.path])).toEqual([
      ['a.deb', 'dist/a.deb'],
      ['b.tar.gz', 'dist/b.tar.gz'],
    ]);
    expect(records[0]!.sha256).toBe('ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb');
  });

  it('refuses two files with one asset name, missing files, empty globs and names GitHub rewrites', async () => {
    await expect(resolveAssetFiles(['dist/**/a.deb'], dir)).rejects.toMatchObject({ code: 'INPUT_INVALID', subject: 'a.deb' });
    await expect(resolveAssetFiles(['dist/none.deb'], dir)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', subject: 'dist/none.deb' });
    await expect(resolveAssetFiles(['dist/*.rpm'], dir)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', subject: 'dist/*.rpm' });
    await expect(resolveAssetFiles(['dist/my file.zip'], dir)).rejects.toMatchObject({ code: 'INPUT_INVALID', subject: 'my file.zip' });
    await expect(resolveAssetFiles(['dist'], dir)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});

describe('evidence gate', () => {
  const record = (stage: StageRecord['stage'], status: 'passed' | 'failed', outputs: StageRecord['outputs'] = []): StageRecord => ({
    stage,
    status,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    inputs: [],
    outputs,
    tools: [],
    errors: [],
  });
  const asset = { path: 'dist/a.deb', name: 'a.deb', sha256: 'a'.repeat(64), size: 1 };

  it('uses the latest output naming an asset (a signer may rewrite it in place)', () => {
    const records = [record('build-package', 'passed', [{ ...asset, sha256: 'b'.repeat(64) }]), record('sign', 'passed', [asset])];
    expect(checkEvidence(records, ['build-package', 'sign'], [asset]).errors).toEqual([]);
    const stale = checkEvidence([...records].reverse(), ['build-package', 'sign'], [asset]);
    expect(stale.errors.map((e) => e.code)).toEqual(['PUBLISH_DIGEST_MISMATCH']);
    expect(stale.errors[0]!.message).toContain('b'.repeat(64));
  });

  it('names missing and failed stages together', () => {
    const check = checkEvidence([record('scan', 'failed')], ['build-package', 'scan'], []);
    expect(check.errors).toHaveLength(1);
    expect(check.errors[0]!.message).toBe(
      'the evidence pack does not vouch for this release: no record of build-package; latest record failed for scan',
    );
    expect(check.stages).toEqual([
      { stage: 'build-package', status: 'missing' },
      { stage: 'scan', status: 'failed' },
    ]);
  });
});
