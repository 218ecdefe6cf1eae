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

  it('refuses a require-stages list with no stage in it instead of turning the gate off', () => {
    for (const value of [',', ' , \n , ', '\n,\n']) {
      const error = parseError({ files: 'a', tag: 'v1', 'require-stages': value });
      expect(error).toMatchObject({ code: 'INPUT_INVALID', subject: 'require-stages', kind: 'input' });
      expect(error.message).toContain("input 'require-stages'");
      expect(error.hint).toContain('build-package,generate-sbom,scan,sign,test-install,attest-provenance');
    }
    // Empty (or blank) means not given: the default, all six stages.
    expect(parse({ files: 'a', tag: 'v1', 'require-stages': '  ' }).requireStages).toEqual([
      'build-package',
      'generate-sbom',
      'scan',
      'sign',
      'test-install',
      'attest-provenance',
    ]);
    // An explicit narrower list is the user's choice.
    expect(parse({ files: 'a', tag: 'v1', 'require-stages': 'build-package, scan,scan' }).requireStages).toEqual(['build-package', 'scan']);
    expect(publishStage.inputs['require-stages']!.description).toMatch(/is refused/);
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
    await expect(resolveAssetFiles(['dist/none.deb'], dir)).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      subject: 'files',
      message: expect.stringContaining('dist/none.deb') as unknown,
    });
    await expect(resolveAssetFiles(['dist/*.rpm'], dir)).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
      subject: 'files',
      message: expect.stringContaining('dist/*.rpm') as unknown,
    });
    await expect(resolveAssetFiles(['dist/my file.zip'], dir)).rejects.toMatchObject({ code: 'INPUT_INVALID', subject: 'my file.zip' });
    await expect(resolveAssetFiles(['dist'], dir)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});

describe('evidence gate', () => {
  const record = (
    stage: StageRecord['stage'],
    status: 'passed' | 'failed',
    outputs: StageRecord['outputs'] = [],
    inputs: StageRecord['inputs'] = [],
  ): StageRecord => ({
    stage,
    status,
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    inputs,
    outputs,
    tools: [],
    errors: [],
  });
  const asset = { path: 'dist/a.deb', name: 'a.deb', sha256: 'a'.repeat(64), size: 1 };

  it('uses the latest output naming an asset (a signer may rewrite it in place)', () => {
    const signed = record('sign', 'passed', [
      asset,
      { path: 'a.deb.sigstore.json', name: 'a.deb.sigstore.json', sha256: 'c'.repeat(64), size: 1 },
    ]);
    const records = [record('build-package', 'passed', [{ ...asset, sha256: 'b'.repeat(64), role: 'artifact' }]), signed];
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

  it('refuses an asset no earlier record wrote, even when every required stage passed', () => {
    const other = { path: 'dist/notes.txt', name: 'notes.txt', sha256: 'd'.repeat(64), size: 1 };
    // A publish record naming it does not count: publish never vouches for its own inputs.
    const records = [record('build-package', 'passed', [asset]), record('publish', 'passed', [other])];
    const check = checkEvidence(records, ['build-package'], [asset, other]);
    expect(check.vouched).toEqual([{ name: 'a.deb', stage: 'build-package' }]);
    expect(check.unvouched).toEqual([{ name: 'notes.txt', reason: 'no earlier stage recorded it as an output' }]);
    expect(check.errors.map((e) => [e.code, e.subject, e.kind])).toEqual([['PUBLISH_EVIDENCE_INCOMPLETE', 'notes.txt', 'gate']]);
  });

  describe('chain of custody', () => {
    const file = (name: string, sha: string, role: string): StageRecord['outputs'][number] => ({
      path: `out/${name}`,
      name,
      sha256: sha.repeat(64),
      size: 1,
      role,
    });
    const deb = file('w.deb', '1', 'artifact');
    const sbom = file('sbom.cdx.json', '2', 'sbom');
    const debBundle = file('w.deb.sigstore.json', '3', 'signature');
    const sbomBundle = file('sbom.cdx.json.sigstore.json', '4', 'signature');
    const report = file('scan-report.json', '5', 'report');
    const provenance = file('provenance.intoto.jsonl', '6', 'provenance');
    const asArtifact = (f: StageRecord['outputs'][number]): StageRecord['outputs'][number] => ({ ...f, role: 'artifact' });
    const stages = {
      build: record('build-package', 'passed', [deb]),
      sbom: record('generate-sbom', 'passed', [sbom], [deb]),
      scan: record('scan', 'passed', [report], [sbom, file('osv-db', '7', 'osv-database')]),
      sign: record('sign', 'passed', [debBundle, sbomBundle, file('key.pem', '8', 'public-key')], [asArtifact(deb), asArtifact(sbom)]),
      install: record('test-install', 'passed', [file('w.install-log.txt', '9', 'log')], [deb]),
      attest: record('attest-provenance', 'passed', [provenance], [asArtifact(deb), asArtifact(sbom)]),
    };
    const published = [deb, sbom, debBundle, sbomBundle, report, provenance];
    const six: StageRecord['stage'][] = ['build-package', 'generate-sbom', 'scan', 'sign', 'test-install', 'attest-provenance'];
    const check = (overrides: Partial<typeof stages> = {}, required = six, assets = published): ReturnType<typeof checkEvidence> =>
      checkEvidence(Object.values({ ...stages, ...overrides }), required, assets);

    it('holds when each stage read what the one before it wrote', () => {
      const result = check();
      expect(result.errors).toEqual([]);
      expect(result.links).toEqual([
        { link: 'generate-sbom → scan', holds: true },
        { link: 'build-package → test-install', holds: true },
        { link: 'sign → w.deb', holds: true },
        { link: 'sign → sbom.cdx.json', holds: true },
        { link: 'attest-provenance → w.deb', holds: true },
        { link: 'attest-provenance → sbom.cdx.json', holds: true },
      ]);
    });

    it('holds when generate-sbom wrote CycloneDX and SPDX and the scan read one of them; breaks when it read neither', () => {
      const spdx = file('sbom.spdx.json', 'a', 'sbom');
      const both = { sbom: record('generate-sbom', 'passed', [sbom, spdx], [deb]) };
      const link = (result: ReturnType<typeof checkEvidence>): unknown => result.links.find((l) => l.link === 'generate-sbom → scan');
      expect(link(check(both))).toEqual({ link: 'generate-sbom → scan', holds: true });
      const readSpdx = { ...both, scan: record('scan', 'passed', [report], [spdx]) };
      expect(link(check(readSpdx))).toEqual({ link: 'generate-sbom → scan', holds: true });
      const readOther = { ...both, scan: record('scan', 'passed', [report], [file('sbom.cdx.json', 'e', 'sbom')]) };
      expect(link(check(readOther))).toMatchObject({ holds: false });
    });

    it.each([
      [
        'scan read another SBOM',
        { scan: record('scan', 'passed', [report], [file('sbom.cdx.json', 'e', 'sbom')]) },
        'generate-sbom → scan',
        `the latest scan read sbom.cdx.json (sha256 ${'e'.repeat(64)}), not the SBOM the latest generate-sbom wrote: sbom.cdx.json (sha256 ${'2'.repeat(64)})`,
      ],
      [
        'scan read no SBOM',
        { scan: record('scan', 'passed', [report], []) },
        'generate-sbom → scan',
        `the latest scan read nothing, not the SBOM the latest generate-sbom wrote: sbom.cdx.json (sha256 ${'2'.repeat(64)})`,
      ],
      [
        'test-install installed other bytes',
        { install: record('test-install', 'passed', [], [file('w.deb', 'f', 'artifact')]) },
        'build-package → test-install',
        `the latest test-install installed w.deb (sha256 ${'f'.repeat(64)}), not the package the latest build-package built: w.deb (sha256 ${'1'.repeat(64)})`,
      ],
      [
        'sign made no bundle for the SBOM',
        { sign: record('sign', 'passed', [debBundle], [asArtifact(deb), asArtifact(sbom)]) },
        'sign → sbom.cdx.json',
        'the latest sign record lists no Sigstore bundle sbom.cdx.json.sigstore.json for sbom.cdx.json',
      ],
      [
        'sign signed older bytes of the package',
        { sign: record('sign', 'passed', [debBundle, sbomBundle], [file('w.deb', '0', 'artifact'), asArtifact(sbom)]) },
        'sign → w.deb',
        `the latest sign record signed w.deb with sha256 ${'0'.repeat(64)}, but the published file has sha256 ${'1'.repeat(64)}`,
      ],
      [
        'sign did not sign the package',
        { sign: record('sign', 'passed', [debBundle, sbomBundle], [asArtifact(sbom)]) },
        'sign → w.deb',
        'the latest sign record did not sign w.deb',
      ],
      [
        'the provenance leaves out the SBOM',
        { attest: record('attest-provenance', 'passed', [provenance], [asArtifact(deb)]) },
        'attest-provenance → sbom.cdx.json',
        'sbom.cdx.json is not a subject of the latest provenance',
      ],
    ])('is broken when %s', (_name, overrides, link, reason) => {
      // Publish only what the records wrote, so the broken link is the only problem.
      const written = new Set(Object.values({ ...stages, ...overrides }).flatMap((r) => r.outputs.map((o) => o.name)));
      const result = check(
        overrides,
        six,
        published.filter((a) => written.has(a.name)),
      );
      expect(result.errors.map((e) => [e.code, e.subject, e.message])).toEqual([
        ['PUBLISH_EVIDENCE_INCOMPLETE', link, `broken chain of custody (${link}): ${reason}`],
      ]);
      expect(result.errors[0]!.hint).toMatch(/with this evidence pack/);
      expect(result.links.filter((l) => !l.holds).map((l) => l.link)).toEqual([link]);
    });

    it('uses the latest record of each stage: a re-run SBOM breaks the links after it', () => {
      const rebuilt = file('sbom.cdx.json', 'a', 'sbom');
      const records = [...Object.values(stages), record('generate-sbom', 'passed', [rebuilt], [deb])];
      const result = checkEvidence(records, six, [deb, rebuilt]);
      expect(result.errors.map((e) => e.subject)).toEqual([
        'generate-sbom → scan',
        'sign → sbom.cdx.json',
        'attest-provenance → sbom.cdx.json',
      ]);
    });

    it('checks only links between required stages whose latest records passed', () => {
      const badScan = { scan: record('scan', 'passed', [report], []) };
      expect(check(badScan, ['build-package', 'generate-sbom', 'sign', 'test-install', 'attest-provenance']).errors).toEqual([]);
      const failedScan = check({ scan: record('scan', 'failed', [report], []) });
      // The failed scan's report is not vouched for either; no link through scan is checked.
      expect(failedScan.errors.map((e) => e.subject)).toEqual(['scan', 'scan-report.json']);
      expect(failedScan.links.map((l) => l.link)).not.toContain('generate-sbom → scan');
      // Files the stages wrote are only the artifacts to sign when build-package or generate-sbom wrote them.
      expect(check({}, six, [report, provenance]).links.map((l) => l.link)).toEqual([
        'generate-sbom → scan',
        'build-package → test-install',
      ]);
    });
  });
});
