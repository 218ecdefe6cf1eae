import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  canonicalJson,
  EVIDENCE_SCHEMA_ID,
  EvidencePack,
  FactoryError,
  finalizationOf,
  resolveCorrelationId,
  runInfoFromEnv,
  validateEvidencePack,
  writeFileAtomic,
  type StageRecord,
} from '@packaging-factory/core';
import { tempDir } from '../support/context.ts';

let dir: string;
beforeEach(async () => {
  dir = await tempDir('factory-evidence-');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NOW = new Date('2025-01-02T03:04:05.000Z');
const SHA = 'a'.repeat(64);

function record(stage: StageRecord['stage'], status: StageRecord['status'], extra: Partial<StageRecord> = {}): StageRecord {
  return {
    stage,
    status,
    startedAt: '2025-01-02T03:04:05.000Z',
    finishedAt: '2025-01-02T03:04:06.000Z',
    inputs: [{ path: 'in/app.deb', name: 'app.deb', sha256: SHA, size: 10 }],
    outputs: [],
    tools: [{ name: 'dpkg-deb', version: '1.21.22', path: '/usr/bin/dpkg-deb' }],
    errors: status === 'failed' ? [{ code: 'SCAN_BLOCKED', message: 'blocked', causes: ['because'] }] : [],
    ...extra,
  };
}

async function expectFactoryError(promise: Promise<unknown>, code: string, text?: string): Promise<FactoryError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FactoryError);
  expect((error as FactoryError).code).toBe(code);
  if (text !== undefined) expect((error as FactoryError).message).toContain(text);
  return error as FactoryError;
}

describe('correlation id', () => {
  it('derives from GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT, so every job of a run shares it', () => {
    const env = { GITHUB_RUN_ID: '123456', GITHUB_RUN_ATTEMPT: '2', GITHUB_REPOSITORY: 'octo-org/my repo' };
    expect(resolveCorrelationId(undefined, env)).toBe('gh-octo-org_my_repo-123456-2');
    expect(resolveCorrelationId('', { GITHUB_RUN_ID: '7' })).toBe('gh-unknown-7-1');
  });

  it('prefers a given id (trimmed) and generates a UUID for a local run', () => {
    expect(resolveCorrelationId('  release-42 ', { GITHUB_RUN_ID: '1' })).toBe('release-42');
    const generated = resolveCorrelationId(undefined, {});
    expect(generated).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(resolveCorrelationId(undefined, {})).not.toBe(generated);
  });

  it('reads the run information only inside GitHub Actions', () => {
    expect(runInfoFromEnv({ GITHUB_RUN_ID: '1' })).toEqual({ source: 'cli' });
    expect(
      runInfoFromEnv({
        GITHUB_ACTIONS: 'true',
        GITHUB_REPOSITORY: 'o/r',
        GITHUB_SHA: 'abc',
        GITHUB_REF: 'refs/tags/v1',
        GITHUB_RUN_ID: '9',
        GITHUB_RUN_ATTEMPT: '1',
        GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/release.yml@refs/tags/v1',
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_TOKEN: 'never-recorded',
        GITHUB_HEAD_REF: '',
      }),
    ).toEqual({
      source: 'github-actions',
      repository: 'o/r',
      sha: 'abc',
      ref: 'refs/tags/v1',
      runId: '9',
      runAttempt: '1',
      workflow: 'o/r/.github/workflows/release.yml@refs/tags/v1',
      serverUrl: 'https://github.com',
    });
  });
});

describe('EvidencePack', () => {
  it('creates a schema-valid pack and refuses to overwrite it', async () => {
    const file = path.join(dir, 'nested', 'evidence.json');
    const pack = await EvidencePack.create(file, { correlationId: 'run-1', env: {}, now: NOW });

    expect(pack.file).toBe(file);
    expect(pack.correlationId).toBe('run-1');
    expect(pack.records).toEqual([]);
    expect(pack.finalized).toBeUndefined();
    const written = JSON.parse(await readFile(file, 'utf8')) as unknown;
    expect(written).toEqual({
      $schema: EVIDENCE_SCHEMA_ID,
      schemaVersion: '1.0',
      correlationId: 'run-1',
      createdAt: NOW.toISOString(),
      run: { source: 'cli' },
      records: [],
    });
    expect(validateEvidencePack(written)).toEqual([]);

    await expectFactoryError(EvidencePack.create(file, { correlationId: 'run-2' }), 'EVIDENCE_INVALID', 'already exists');
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ correlationId: 'run-1' });
  });

  it('reports a pack it cannot create as such, not as an existing one', async () => {
    const error = await expectFactoryError(
      EvidencePack.create(path.join(dir, 'x'.repeat(300)), { env: {} }),
      'FILE_UNREADABLE',
      'cannot be created',
    );
    expect(error.subject).toContain('xxx');
  });

  it('appends records, loads them back, and finds the latest per stage', async () => {
    const file = path.join(dir, 'evidence.json');
    const pack = await EvidencePack.create(file, { correlationId: 'run-1', env: {} });
    await pack.append(record('scan', 'failed'));
    await pack.append(record('build-package', 'passed', { decision: { result: 'pass' }, details: { format: 'deb' }, notes: ['n'] }));
    await pack.append(record('scan', 'passed', { decision: { result: 'pass-with-exceptions', reason: 'VEX' } }));

    const loaded = await EvidencePack.load(file);
    expect(loaded.records).toHaveLength(3);
    expect(loaded.latest('scan')?.decision?.result).toBe('pass-with-exceptions');
    expect(loaded.latest('sign')).toBeUndefined();
    expect(loaded.snapshot()).toEqual(pack.snapshot());

    const copy = pack.snapshot();
    copy.records.pop();
    expect(pack.records).toHaveLength(3); // a snapshot is a deep copy
  });

  it('refuses a record that breaks the schema and keeps the file as it was', async () => {
    const file = path.join(dir, 'evidence.json');
    const pack = await EvidencePack.create(file, { correlationId: 'run-1', env: {} });
    await pack.append(record('sign', 'passed'));
    const before = await readFile(file, 'utf8');

    // A failed record must say why.
    await expectFactoryError(pack.append(record('scan', 'failed', { errors: [] })), 'EVIDENCE_INVALID', '/records/1/errors');
    await expectFactoryError(
      pack.append(record('scan', 'passed', { outputs: [{ path: 'x', name: 'x', sha256: 'not-a-digest', size: 1 }] })),
      'EVIDENCE_INVALID',
      'pattern',
    );
    await expectFactoryError(pack.append({ ...record('scan', 'passed'), stage: 'deploy' as StageRecord['stage'] }), 'EVIDENCE_INVALID');
    await expectFactoryError(pack.append({ ...record('scan', 'passed'), startedAt: 'yesterday' }), 'EVIDENCE_INVALID', 'date-time');
    await expectFactoryError(pack.append({ ...record('scan', 'passed'), extra: 1 } as StageRecord), 'EVIDENCE_INVALID', 'additional');

    expect(await readFile(file, 'utf8')).toBe(before);
    expect(pack.records).toHaveLength(1);
  });

  it('writes atomically: no temp files are left beside the pack', async () => {
    const file = path.join(dir, 'evidence.json');
    const pack = await EvidencePack.create(file, { correlationId: 'run-1', env: {} });
    for (let i = 0; i < 5; i++) await pack.append(record('scan', 'passed'));
    await pack.finalize(NOW);
    await pack.writeCopy(path.join(dir, 'copies', 'attested.json'));
    expect((await readdir(dir)).sort()).toEqual(['copies', 'evidence.json']);
    expect(await readdir(path.join(dir, 'copies'))).toEqual(['attested.json']);
    expect(JSON.parse(await readFile(path.join(dir, 'copies', 'attested.json'), 'utf8'))).toEqual(pack.snapshot());
  });

  it('removes its temp file when the atomic write fails', async () => {
    const target = path.join(dir, 'is-a-directory');
    await mkdir(path.join(target, 'child'), { recursive: true });
    await expect(writeFileAtomic(target, 'data')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['is-a-directory']);
    await writeFileAtomic(path.join(dir, 'plain.txt'), Buffer.from('bytes'));
    expect(await readFile(path.join(dir, 'plain.txt'), 'utf8')).toBe('bytes');
  });

  it('finalizes: the overall status follows each stage’s latest record, and the digest covers the records', async () => {
    const file = path.join(dir, 'evidence.json');
    const pack = await EvidencePack.create(file, { correlationId: 'run-1', env: {} });
    await pack.append(record('scan', 'failed'));
    expect(pack.finalizedSnapshot(NOW).finalized?.status).toBe('failed');
    await pack.append(record('scan', 'passed')); // the rerun passed
    await pack.append(record('sign', 'passed'));

    const onDisk = await readFile(file, 'utf8');
    const snapshot = pack.finalizedSnapshot(NOW);
    expect(snapshot.finalized).toEqual({
      finalizedAt: NOW.toISOString(),
      status: 'passed',
      recordsSha256: createHash('sha256').update(canonicalJson(pack.records)).digest('hex'),
      recordCount: 3,
    });
    expect(validateEvidencePack(snapshot)).toEqual([]);
    expect(await readFile(file, 'utf8')).toBe(onDisk); // the snapshot does not touch the file
    expect(pack.finalized).toBeUndefined();

    const finalization = await pack.finalize(NOW);
    expect(finalization).toEqual(snapshot.finalized);
    expect((await EvidencePack.load(file)).finalized).toEqual(finalization);

    // Publish appends after finalization; the seal still covers only the first three records.
    await pack.append(record('publish', 'failed'));
    expect(pack.finalized?.recordCount).toBe(3);
    expect(finalizationOf(pack.records, NOW).status).toBe('failed');
  });

  it('loads only a readable, well-formed, schema-valid pack', async () => {
    const missing = path.join(dir, 'missing.json');
    await expectFactoryError(EvidencePack.load(missing), 'FILE_NOT_FOUND', missing);

    const corrupt = path.join(dir, 'corrupt.json');
    await writeFile(corrupt, '{"schemaVersion": "1.0", ');
    const error = await expectFactoryError(EvidencePack.load(corrupt), 'EVIDENCE_INVALID', 'not valid JSON');
    expect(error.subject).toBe(corrupt);

    const invalid = path.join(dir, 'invalid.json');
    const good = await EvidencePack.create(path.join(dir, 'good.json'), { correlationId: 'run-1', env: {} });
    const document = good.snapshot() as unknown as Record<string, unknown>;
    document['schemaVersion'] = '2.0';
    document['records'] = [{ ...record('scan', 'failed'), errors: [] }];
    await writeFile(invalid, JSON.stringify(document));
    const schemaError = await expectFactoryError(EvidencePack.load(invalid), 'EVIDENCE_INVALID', 'does not match its schema');
    expect(schemaError.message).toContain('/schemaVersion');
    expect(schemaError.message).toContain('/records/0/errors');
  });

  it('opens: creates when missing, loads when present, refuses another run’s pack', async () => {
    const file = path.join(dir, 'evidence.json');
    const created = await EvidencePack.open(file, { correlationId: 'run-1', env: {} });
    await created.append(record('build-package', 'passed'));

    const reopened = await EvidencePack.open(file, { correlationId: 'run-1' });
    expect(reopened.records).toHaveLength(1);
    expect((await EvidencePack.open(file)).correlationId).toBe('run-1');
    expect((await EvidencePack.open(file, { correlationId: '' })).correlationId).toBe('run-1');

    const error = await expectFactoryError(
      EvidencePack.open(file, { correlationId: 'run-2' }),
      'EVIDENCE_INVALID',
      'belongs to run run-1, not run-2',
    );
    expect(error.hint).toContain('correlation-id');

    // A path that exists but cannot be read as a file is an error, not a reason to create a new pack.
    const directory = path.join(dir, 'a-directory');
    await mkdir(directory);
    await expectFactoryError(EvidencePack.open(directory, { env: {} }), 'FILE_NOT_FOUND');
  });

  it('canonical JSON sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 1, c: null }, 'x'], e: { g: true, f: 'y' } })).toBe(
      '{"a":[{"c":null,"d":1},"x"],"b":1,"e":{"f":"y","g":true}}',
    );
  });
});
