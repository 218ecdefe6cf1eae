import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { MemoryLogger, describeFile } from '@packaging-factory/core';
import { contentTypeFor, parseSha256Sums, publishToGitHub, type LocalAsset } from '@packaging-factory/publish';
import { GitHubFake } from '../support/github-fake/github-fake.ts';
import type { TestSession } from '../support/context.ts';
import { passingPipeline, pipelineFiles, recordStages, REQUIRED, runPublish, writeArtifacts } from './publish-fixtures.ts';
import { makeTestSession } from '../support/context.ts';

const TOKEN = 'ghs_fakeTokenForPublishTests0123456789';
const REPO = 'octo-org/widget';

let fake: GitHubFake;
const sessions: TestSession[] = [];

function env(): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    GITHUB_API_URL: fake.apiUrl,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: REPO,
    GITHUB_TOKEN: TOKEN,
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  };
}

async function pipeline(): Promise<{ session: TestSession; files: string[] }> {
  const result = await passingPipeline(env());
  sessions.push(result.session);
  return result;
}

function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Requests that change GitHub state. */
function mutations(): string[] {
  return fake.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.operationId ?? r.path}`);
}

beforeEach(async () => {
  fake = await GitHubFake.start({ repositories: [REPO], token: TOKEN });
});

afterEach(async () => {
  await fake.close();
  for (const session of sessions.splice(0)) await session.cleanup();
  fake.assertNoViolations();
});

describe('publish to a GitHub Release', () => {
  it('creates a draft, uploads the assets and SHA256SUMS, checks their digests, then publishes', async () => {
    const { session, files } = await pipeline();
    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3', 'release-notes': 'First release.' });

    expect(outcome.error).toBeUndefined();
    expect(outcome.record.status).toBe('passed');
    expect(outcome.record.decision?.result).toBe('published');
    const [release, ...others] = fake.releases(REPO);
    expect(others).toHaveLength(0);
    expect(release).toMatchObject({ tagName: 'v1.2.3', draft: false, name: 'v1.2.3', body: 'First release.', prerelease: false });
    expect(release!.targetCommitish).toBe('0123456789abcdef0123456789abcdef01234567');

    const names = files.map((f) => path.basename(f));
    expect(release!.assets.map((a) => a.name).sort()).toEqual([...names, 'SHA256SUMS'].sort());
    for (const file of files) {
      const asset = release!.assets.find((a) => a.name === path.basename(file))!;
      expect(asset.bytes.equals(await readFile(file))).toBe(true);
      expect(asset.state).toBe('uploaded');
    }
    expect(release!.assets.find((a) => a.name.endsWith('.tar.gz'))!.contentType).toBe('application/gzip');

    // SHA256SUMS is sha256sum's format, sorted by name, and names every other asset.
    const sums = release!.assets.find((a) => a.name === 'SHA256SUMS')!.bytes.toString('utf8');
    const entries = parseSha256Sums(sums);
    expect(entries.map((e) => e.name)).toEqual([...names].sort());
    for (const entry of entries) expect(entry.sha256).toBe(sha256(await readFile(path.join(session.dir, 'dist', entry.name))));
    expect(sums).toMatch(/^[0-9a-f]{64} {2}\S+\n/);

    // The order of operations: draft first, uploads, every asset downloaded back, then published.
    const ops = fake.requests.map((r) => r.operationId);
    const created = ops.indexOf('repos/create-release');
    const published = ops.lastIndexOf('repos/update-release');
    expect(created).toBeGreaterThan(ops.indexOf('repos/list-releases'));
    expect(ops.filter((o) => o === 'repos/upload-release-asset')).toHaveLength(5);
    expect(ops.lastIndexOf('repos/upload-release-asset')).toBeLessThan(published);
    expect(ops.filter((o) => o === 'repos/get-release-asset')).toHaveLength(5);
    expect(fake.requests.filter((r) => r.path.startsWith('/downloads/'))).toHaveLength(5);
    expect(ops.lastIndexOf('repos/get-release-asset')).toBeLessThan(published);
    expect(fake.requests.find((r) => r.operationId === 'repos/upload-release-asset')!.path).toMatch(/^\/api\/uploads\/repos\//);

    const result = outcome.result!;
    expect(result.outputValues['release-url']).toBe('https://github.com/octo-org/widget/releases/tag/v1.2.3');
    expect(result.outputValues['release-id']).toBe(String(release!.id));
    expect(result.outputValues['asset-count']).toBe('5');
    expect(await readFile(result.outputValues['checksums']!, 'utf8')).toBe(sums);
    expect(result.summary).toContain('| `SHA256SUMS` |');
    expect(result.summary).toMatch(/uploaded/);
    expect(outcome.record.inputs.map((i) => i.name)).toEqual([...names].sort());
    expect(outcome.record.outputs.map((o) => o.role)).toEqual(['checksums']);

    // The token is registered as a secret and appears nowhere in logs, events or the evidence pack.
    expect(session.logger.secrets.has(TOKEN)).toBe(true);
    expect(session.logger.text()).not.toContain(TOKEN);
    expect(await readFile(session.eventLogPath, 'utf8')).not.toContain(TOKEN);
    expect(await readFile(session.evidencePath, 'utf8')).not.toContain(TOKEN);
  });

  it('skips every asset when re-run with the same files and leaves the release unchanged', async () => {
    const { session } = await pipeline();
    await runPublish(session, { files: 'dist/*', tag: 'v1.2.3' });
    const before = fake.releases(REPO);
    fake.requests.length = 0;

    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3' });
    expect(outcome.record.status).toBe('passed');
    expect(outcome.record.decision?.result).toBe('skip');
    const assets = (outcome.result!.details!['assets'] as { action: string }[]).map((a) => a.action);
    expect(assets).toEqual(['skipped', 'skipped', 'skipped', 'skipped', 'skipped']);
    expect(mutations()).toEqual([]);
    const after = fake.releases(REPO);
    expect(after.map((r) => ({ ...r, assets: r.assets.map((a) => ({ ...a, downloadCount: 0 })) }))).toEqual(
      before.map((r) => ({ ...r, assets: r.assets.map((a) => ({ ...a, downloadCount: 0 })) })),
    );
    expect(outcome.result!.summary).toContain('nothing changed');
  });

  it('refuses a re-run with a changed file (PUBLISH_ASSET_CONFLICT naming it) and touches nothing', async () => {
    const { session, files } = await pipeline();
    await runPublish(session, { files: 'dist/*', tag: 'v1.2.3' });
    const before = fake.releases(REPO);
    const oldSha = sha256(await readFile(files[1]!));
    await writeFile(files[1]!, '{"bomFormat":"CycloneDX","specVersion":"1.6","version":2}\n');
    const newSha = sha256(await readFile(files[1]!));
    fake.requests.length = 0;

    // The evidence gate would catch the rebuilt SBOM first; require only stages that did not record it.
    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3', 'require-stages': 'scan' });
    expect(outcome.record.status).toBe('failed');
    expect(outcome.exitCode).toBe(1);
    const error = outcome.record.errors[0]!;
    expect(error.code).toBe('PUBLISH_DIGEST_MISMATCH');
    expect(mutations()).toEqual([]);

    // A fresh pipeline run that vouches for the rebuilt SBOM: now the release itself refuses it.
    const session2 = await makeTestSession({ env: env(), workDir: session.dir });
    sessions.push(session2);
    await recordStages(session2, REQUIRED, { files: pipelineFiles(files) });
    const second = await runPublish(session2, { files: 'dist/*', tag: 'v1.2.3' });
    expect(second.outcome.record.status).toBe('failed');
    const conflict = second.outcome.record.errors[0]!;
    expect(conflict.code).toBe('PUBLISH_ASSET_CONFLICT');
    expect(conflict.message).toContain(path.basename(files[1]!));
    expect(conflict.message).toContain(oldSha);
    expect(conflict.message).toContain(newSha);
    expect(conflict.subject).toBe(`${path.basename(files[1]!)}, SHA256SUMS`);
    expect(mutations()).toEqual([]);
    expect(fake.releases(REPO).map((r) => r.updatedAt)).toEqual(before.map((r) => r.updatedAt));
    expect(fake.releases(REPO)[0]!.assets.map((a) => a.bytes.toString('base64'))).toEqual(
      before[0]!.assets.map((a) => a.bytes.toString('base64')),
    );
  });

  it('resumes the draft left by an interrupted run: keeps what was uploaded, replaces the broken upload, publishes', async () => {
    const { session, files } = await pipeline();
    const broken = path.basename(files[1]!);
    // Every upload of the SBOM breaks the connection (GitHub keeps an `open` asset without content).
    fake.faults.push({ operationId: 'repos/upload-release-asset', kind: 'disconnect', times: 100, when: (p) => p['name'] === broken });
    const first = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3' });
    expect(first.outcome.record.status).toBe('failed');
    expect(first.outcome.record.errors[0]!.code).toBe('PUBLISH_FAILED');
    expect(first.outcome.record.errors[0]!.message).toContain(broken);
    const [draft] = fake.releases(REPO);
    expect(draft!.draft).toBe(true);
    expect(draft!.assets.find((a) => a.name === broken)?.state).toBe('open');
    expect(draft!.assets.some((a) => a.state === 'uploaded')).toBe(true);

    fake.faults.length = 0;
    fake.requests.length = 0;
    const second = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3' });
    expect(second.outcome.error).toBeUndefined();
    expect(second.outcome.record.status).toBe('passed');
    expect(second.outcome.record.decision?.result).toBe('published');
    expect(second.outcome.record.notes?.join('\n')).toMatch(/resumed draft release/);
    const releases = fake.releases(REPO);
    expect(releases).toHaveLength(1);
    expect(releases[0]!.id).toBe(draft!.id);
    expect(releases[0]!.draft).toBe(false);
    expect(releases[0]!.assets.every((a) => a.state === 'uploaded')).toBe(true);
    expect(releases[0]!.assets).toHaveLength(5);
    // Drafts are not found by tag: the resume went through the release list.
    const ops = fake.requests.map((r) => r.operationId);
    expect(fake.requests[0]).toMatchObject({ operationId: 'repos/get-release-by-tag', status: 404 });
    expect(ops).toContain('repos/list-releases');
    expect(ops).not.toContain('repos/create-release');
    expect(ops).toContain('repos/delete-release-asset');
    const actions = Object.fromEntries(
      (second.outcome.result!.details!['assets'] as { name: string; action: string }[]).map((a) => [a.name, a.action]),
    );
    expect(actions[broken]).toBe('uploaded');
    expect(Object.values(actions)).toContain('skipped');
  });

  it('retries transient failures with backoff', async () => {
    const { session } = await pipeline();
    fake.faults.push({ operationId: 'repos/list-releases', kind: 502, times: 1 });
    fake.faults.push({ operationId: 'repos/update-release', kind: 'disconnect', times: 1 });
    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3' });
    expect(outcome.record.status).toBe('passed');
    expect(fake.releases(REPO)[0]!.draft).toBe(false);
    expect(session.logger.text()).toMatch(/listing releases failed \(attempt 1\)/);
    expect(session.logger.text()).toMatch(/publishing the release failed \(attempt 1\)/);
  });

  it('refuses before any API call when a required stage failed', async () => {
    const session = await makeTestSession({ env: env() });
    sessions.push(session);
    const files = await writeArtifacts(session.dir);
    await recordStages(session, REQUIRED, { failed: ['scan'], files: pipelineFiles(files) });
    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3' });
    expect(outcome.record.status).toBe('failed');
    expect(outcome.exitCode).toBe(1);
    expect(outcome.record.errors.map((e) => e.code)).toEqual(['PUBLISH_EVIDENCE_INCOMPLETE']);
    expect(outcome.record.errors[0]!.message).toContain('scan');
    expect(outcome.record.errors[0]!.message).not.toContain('sign');
    expect(outcome.result!.summary).toContain('| scan | failed |');
    expect(fake.requests).toEqual([]);
  });

  it('refuses before any API call when a required stage has no record', async () => {
    const session = await makeTestSession({ env: env() });
    sessions.push(session);
    const files = await writeArtifacts(session.dir);
    await recordStages(
      session,
      REQUIRED.filter((s) => s !== 'test-install' && s !== 'attest-provenance'),
      { files: pipelineFiles(files) },
    );
    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3' });
    expect(outcome.record.errors.map((e) => e.code)).toEqual(['PUBLISH_EVIDENCE_INCOMPLETE']);
    expect(outcome.record.errors[0]!.subject).toBe('test-install, attest-provenance');
    expect(fake.requests).toEqual([]);
  });

  it('refuses before any API call a file no earlier stage recorded, naming it and the stage that should have', async () => {
    const { session } = await pipeline();
    // Every required stage passed, but nothing in the pipeline wrote this file.
    await writeFile(path.join(session.dir, 'dist', 'widget-1.2.3.spdx.json'), '{"spdxVersion":"SPDX-2.3"}\n');
    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3' });
    expect(outcome.record.status).toBe('failed');
    expect(outcome.exitCode).toBe(1);
    expect(outcome.record.errors).toHaveLength(1);
    expect(outcome.record.errors[0]).toMatchObject({ code: 'PUBLISH_EVIDENCE_INCOMPLETE', subject: 'widget-1.2.3.spdx.json' });
    expect(outcome.record.errors[0]!.message).toBe(
      'the evidence pack does not vouch for this asset: widget-1.2.3.spdx.json (no earlier stage recorded it as an output; generate-sbom should have)',
    );
    expect(outcome.result!.details!['unvouched']).toEqual([
      { name: 'widget-1.2.3.spdx.json', reason: 'no earlier stage recorded it as an output; generate-sbom should have' },
    ]);
    expect(fake.requests).toEqual([]);
  });

  it('refuses before any API call a file only a superseded or failed record wrote', async () => {
    const { session, files } = await pipeline();
    // sign ran again on the archive only: the SBOM bundle in dist/ is from the earlier, superseded sign run.
    const rerun = pipelineFiles(files);
    rerun.sign = { inputs: [{ role: 'artifact', file: files[0]! }], outputs: [{ role: 'signature', file: files[2]! }] };
    await recordStages(session, ['sign'], { files: rerun });
    const superseded = await runPublish(session, { files: files.slice(0, 1).concat(files.slice(3)).join('\n'), tag: 'v1.2.3' });
    expect(superseded.outcome.record.errors.map((e) => [e.code, e.message])).toEqual([
      [
        'PUBLISH_EVIDENCE_INCOMPLETE',
        `the evidence pack does not vouch for this asset: ${path.basename(files[3]!)} (only an earlier sign run wrote it; the latest sign record does not)`,
      ],
    ]);

    // build-package re-ran and failed after writing the archive: its bytes are not vouched for.
    await recordStages(session, ['build-package'], { failed: ['build-package'], files: pipelineFiles(files) });
    const failed = await runPublish(session, { files: files[0]!, tag: 'v1.2.3', 'require-stages': 'scan' });
    expect(failed.outcome.record.errors.map((e) => e.message)).toEqual([
      `the evidence pack does not vouch for this asset: ${path.basename(files[0]!)} (the latest build-package record, which wrote it, failed)`,
    ]);
    expect(fake.requests).toEqual([]);
  });

  it('accepts a stage that failed and then passed (the latest record counts)', async () => {
    const { session, files } = await pipeline();
    await recordStages(session, ['scan'], { failed: ['scan'], files: pipelineFiles(files) });
    const refused = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3' });
    expect(refused.outcome.record.errors[0]!.code).toBe('PUBLISH_EVIDENCE_INCOMPLETE');
    await recordStages(session, ['scan'], { files: pipelineFiles(files) });
    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3' });
    expect(outcome.record.status).toBe('passed');
  });

  it('reports a rejected token as PUBLISH_FAILED naming the token input', async () => {
    const { session } = await pipeline();
    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3', token: 'ghs_wrongTokenValue' });
    expect(outcome.record.status).toBe('failed');
    expect(outcome.record.errors[0]).toMatchObject({ code: 'PUBLISH_FAILED', subject: 'token' });
    expect(JSON.stringify(outcome.record)).not.toContain('ghs_wrongTokenValue');
    expect(fake.requests.map((r) => r.status)).toEqual([401]);
  });

  it('refuses to add assets to an already published release', async () => {
    const { session, files } = await pipeline();
    await runPublish(session, { files: files.slice(0, 2).join('\n'), tag: 'v1.2.3' });
    fake.requests.length = 0;
    const { outcome } = await runPublish(session, { files: 'dist/*', tag: 'v1.2.3' });
    expect(outcome.record.status).toBe('failed');
    // SHA256SUMS differs (it lists three files now), so the release refuses it.
    expect(outcome.record.errors[0]!.code).toBe('PUBLISH_ASSET_CONFLICT');
    expect(outcome.record.errors[0]!.message).toContain('SHA256SUMS');
    expect(mutations()).toEqual([]);
  });

  it('leaves the release a draft (PUBLISH_DIGEST_MISMATCH) when a file changes after it was digested', async () => {
    const { session, files } = await pipeline();
    const assets: LocalAsset[] = [];
    for (const file of files) {
      const record = await describeFile(file);
      assets.push({ name: record.name, file, sha256: record.sha256, size: record.size, contentType: contentTypeFor(record.name) });
    }
    // Same size, other bytes: the upload goes through, only the digests can tell.
    const bytes = await readFile(files[0]!);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    await writeFile(files[0]!, bytes);
    await expect(
      publishToGitHub({
        apiUrl: fake.apiUrl,
        token: TOKEN,
        repository: REPO,
        tag: 'v1.2.3',
        releaseName: 'v1.2.3',
        prerelease: false,
        assets,
        logger: new MemoryLogger(),
        retry: { baseDelayMs: 1 },
      }),
    ).rejects.toMatchObject({ code: 'PUBLISH_DIGEST_MISMATCH', subject: path.basename(files[0]!) });
    expect(fake.releases(REPO).map((r) => r.draft)).toEqual([true]);
    expect(session.dir).toBeDefined();
  });
});
