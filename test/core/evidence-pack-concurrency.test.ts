import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EvidencePack, withFileLock, type StageRecord } from '@packaging-factory/core';
import { tempDir } from '../support/context.ts';

function record(stage: StageRecord['stage']): StageRecord {
  const at = new Date('2026-01-01T00:00:00Z').toISOString();
  return { stage, status: 'passed', startedAt: at, finishedAt: at, inputs: [], outputs: [], tools: [], errors: [] };
}

describe('evidence pack appends from several processes at once', () => {
  test('stages that loaded the same pack before each other appended all keep their record', async () => {
    const file = path.join(await tempDir('factory-pack-'), 'evidence-pack.json');
    await EvidencePack.create(file, { correlationId: 'run-1' });
    // Each instance stands for a separate job step that loaded the pack before the others wrote.
    const loaded = await Promise.all(['scan', 'sign', 'test-install', 'verify', 'publish'].map(() => EvidencePack.load(file)));
    const stages = ['scan', 'sign', 'test-install', 'verify', 'publish'] as const;
    await Promise.all(loaded.map((pack, i) => pack.append(record(stages[i]!))));
    const final = await EvidencePack.load(file);
    expect(final.records.map((r) => r.stage).sort()).toEqual([...stages].sort());
    expect((await readdir(path.dirname(file))).filter((f) => f !== 'evidence-pack.json')).toEqual([]);
  });

  test("an append refuses to write over another run's pack put in its place", async () => {
    const dir = await tempDir('factory-pack-');
    const file = path.join(dir, 'evidence-pack.json');
    const mine = await EvidencePack.create(file, { correlationId: 'run-1' });
    const other = path.join(dir, 'other.json');
    await EvidencePack.create(other, { correlationId: 'run-2' });
    await writeFile(file, JSON.stringify((await EvidencePack.load(other)).snapshot()));
    await expect(mine.append(record('scan'))).rejects.toMatchObject({ code: 'EVIDENCE_INVALID' });
    expect((await EvidencePack.load(file)).correlationId).toBe('run-2');
  });

  test('a lock left by a killed process is broken once stale; a live one times out with a clear error', async () => {
    const file = path.join(await tempDir('factory-lock-'), 'pack.json');
    await writeFile(`${file}.lock`, 'leftover');
    await expect(withFileLock(file, () => Promise.resolve('ran'), { staleMs: 0 })).resolves.toBe('ran');
    await writeFile(`${file}.lock`, 'held');
    await expect(withFileLock(file, () => Promise.resolve('ran'), { timeoutMs: 100, staleMs: 60_000 })).rejects.toMatchObject({
      code: 'EVIDENCE_INVALID',
      subject: `${file}.lock`,
    });
  });
});

describe('evidence pack from another workflow run', () => {
  const env = (runId: string): NodeJS.ProcessEnv => ({
    GITHUB_ACTIONS: 'true',
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_REPOSITORY: 'o/r',
  });

  test('is refused in a workflow, naming both runs; the same run (a re-run attempt) is accepted', async () => {
    const file = path.join(await tempDir('factory-pack-'), 'evidence-pack.json');
    await EvidencePack.create(file, { env: env('111') });
    await expect(EvidencePack.open(file, { env: env('222') })).rejects.toMatchObject({
      code: 'EVIDENCE_INVALID',
      message: expect.stringContaining('workflow run 111, not this run (222)') as unknown,
    });
    await expect(EvidencePack.open(file, { env: { ...env('111'), GITHUB_RUN_ATTEMPT: '2' } })).resolves.toBeDefined();
  });

  test('is accepted when the correlation id is given on purpose, and outside workflows', async () => {
    const file = path.join(await tempDir('factory-pack-'), 'evidence-pack.json');
    const pack = await EvidencePack.create(file, { env: env('111') });
    await expect(EvidencePack.open(file, { env: env('222'), correlationId: pack.correlationId })).resolves.toBeDefined();
    await expect(EvidencePack.open(file, { env: {} })).resolves.toBeDefined();
  });
});
