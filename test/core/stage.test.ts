import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  describeFile,
  EvidencePack,
  FactoryError,
  runStage,
  type FactoryEvent,
  type StageContext,
  type StageDefinition,
  type StageResult,
} from '@packaging-factory/core';
import { makeTestSession, type TestSession } from '../support/context.ts';

let t: TestSession;
let ctx: StageContext;
let clock: number;
beforeEach(async () => {
  clock = Date.parse('2025-03-04T05:06:07.000Z');
  // Each reading of the clock (records and events) advances it one second.
  t = await makeTestSession({ correlationId: 'run-stage', now: () => new Date((clock += 1000)) });
  ctx = await t.contextFor('scan');
});
afterEach(async () => {
  await t.cleanup();
});

function stage(run: (options: { file: string }, ctx: StageContext) => Promise<StageResult>): StageDefinition<{ file: string }> {
  return {
    name: 'scan',
    title: 'Scan',
    description: 'Scans a test file',
    inputs: { file: { description: 'file', kind: 'path', required: true } },
    outputs: { result: { description: 'result' } },
    parse: (raw) => ({ file: raw['file'] ?? '' }),
    run,
  };
}

const base = (status: StageResult['status']): StageResult => ({ status, inputs: [], outputs: [], outputValues: {}, summary: '' });

async function records(): Promise<EvidencePack['records']> {
  return (await EvidencePack.load(t.evidencePath)).records;
}

async function events(): Promise<FactoryEvent[]> {
  return (await readFile(t.eventLogPath, 'utf8'))
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as FactoryEvent);
}

describe('runStage', () => {
  it('records a passed stage with its files, tools, decision and details', async () => {
    const file = path.join(t.dir, 'app.deb');
    await writeFile(file, 'abc');
    const definition = stage(async (options, c) => {
      await c.exec.run('node', ['-e', '0']);
      return {
        ...base('passed'),
        decision: { result: 'pass' },
        inputs: [await describeFile(options.file, 'artifact', c.workDir)],
        details: { findings: 0 },
        notes: ['database from fixtures'],
        outputValues: { result: 'pass' },
      };
    });

    const outcome = await runStage(definition, { file }, ctx);

    expect(outcome.exitCode).toBe(0);
    expect(outcome.error).toBeUndefined();
    expect(outcome.result?.outputValues).toEqual({ result: 'pass' });
    expect(outcome.record).toEqual({
      stage: 'scan',
      status: 'passed',
      startedAt: '2025-03-04T05:06:08.000Z',
      finishedAt: expect.stringMatching(/^2025-03-04T05:06:\d\d\.000Z$/) as unknown,
      inputs: [
        {
          path: 'app.deb',
          name: 'app.deb',
          sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
          size: 3,
          role: 'artifact',
        },
      ],
      outputs: [],
      tools: [{ name: 'node', version: process.versions.node, path: expect.any(String) as unknown }],
      decision: { result: 'pass' },
      details: { findings: 0 },
      notes: ['database from fixtures'],
      errors: [],
    });
    expect(outcome.record.finishedAt > outcome.record.startedAt).toBe(true); // read from the injected clock
    expect(await records()).toEqual([outcome.record]);
    const log = await events();
    expect(log.map((e) => e.event)).toEqual(['stage.start', 'exec.start', 'exec.end', 'stage.end']);
    expect(log.every((e) => e.correlationId === 'run-stage' && e.stage === 'scan')).toBe(true);
  });

  it('records a gate that said no through its result: exit 1, its errors in the record', async () => {
    const outcome = await runStage(
      stage(() =>
        Promise.resolve({
          ...base('failed'),
          decision: { result: 'fail', reason: '1 critical finding' },
          errors: [new FactoryError('SCAN_BLOCKED', 'CVE-2024-0001 (critical) in openssl', { subject: 'app.deb', hint: 'upgrade' })],
          notes: [],
        }),
      ),
      { file: 'x' },
      ctx,
    );
    expect(outcome.exitCode).toBe(1);
    expect(outcome.record.status).toBe('failed');
    expect(outcome.record.notes).toBeUndefined();
    expect(outcome.record.errors).toEqual([
      { code: 'SCAN_BLOCKED', message: 'CVE-2024-0001 (critical) in openssl', subject: 'app.deb', hint: 'upgrade' },
    ]);
    expect((await records()).length).toBe(1);
    expect((await events()).at(-1)).toMatchObject({ level: 'error', event: 'stage.end', data: { status: 'failed' } });
  });

  it('gives a failed result without errors an error from its decision, and exits 2 when an error is the input’s', async () => {
    const bare = await runStage(
      stage(() => Promise.resolve({ ...base('failed'), decision: { result: 'fail', reason: 'policy said no' } })),
      { file: 'x' },
      ctx,
    );
    expect(bare.exitCode).toBe(1);
    expect(bare.record.errors).toEqual([{ code: 'INPUT_INVALID', message: 'policy said no' }]);
    const empty = await runStage(
      stage(() => Promise.resolve({ ...base('failed'), errors: [] })),
      { file: 'x' },
      ctx,
    );
    expect(empty.exitCode).toBe(1);
    expect(empty.record.errors).toEqual([{ code: 'INPUT_INVALID', message: 'scan failed' }]);
    expect(empty.result?.errors).toEqual([]); // the stage's result is not modified
    const input = await runStage(
      stage(() =>
        Promise.resolve({
          ...base('failed'),
          errors: [new FactoryError('SCAN_BLOCKED', 'x'), new FactoryError('SCAN_DB_UNAVAILABLE', 'no db')],
        }),
      ),
      { file: 'x' },
      ctx,
    );
    expect(input.exitCode).toBe(2);
    expect((await records()).length).toBe(3);
  });

  it('records a thrown gate FactoryError with exit 1 and an input one with exit 2, causes included', async () => {
    const gate = await runStage(
      stage(() => Promise.reject(new FactoryError('SIGN_VERIFY_FAILED', 'signature does not verify'))),
      { file: 'x' },
      ctx,
    );
    expect(gate.exitCode).toBe(1);
    expect(gate.error).toBeInstanceOf(FactoryError);
    expect(gate.result).toBeUndefined();
    expect(gate.record).toMatchObject({
      status: 'failed',
      decision: { result: 'error', reason: 'SIGN_VERIFY_FAILED: signature does not verify' },
      errors: [{ code: 'SIGN_VERIFY_FAILED', message: 'signature does not verify' }],
    });

    const cause = new Error('ENOENT: no such file', { cause: new Error('root cause') });
    const input = await runStage(
      stage(() =>
        Promise.reject(new FactoryError('FILE_NOT_FOUND', 'app.deb does not exist', { cause, subject: 'paths', hint: 'check the path' })),
      ),
      { file: 'x' },
      ctx,
    );
    expect(input.exitCode).toBe(2);
    expect(input.record.errors).toEqual([
      {
        code: 'FILE_NOT_FOUND',
        message: 'app.deb does not exist',
        subject: 'paths',
        hint: 'check the path',
        causes: ['ENOENT: no such file', 'root cause'],
      },
    ]);
    expect((await records()).map((r) => r.status)).toEqual(['failed', 'failed']);
  });

  it('records anything else as an INTERNAL error (a bug) with exit 2', async () => {
    const bug = await runStage(
      stage(() => {
        const value = undefined as unknown as { field: string };
        return Promise.resolve({ ...base('passed'), summary: value.field });
      }),
      { file: 'x' },
      ctx,
    );
    expect(bug.exitCode).toBe(2);
    expect(bug.record.errors).toEqual([{ code: 'INTERNAL', message: expect.stringContaining('field') as unknown }]);
    const thrownString = await runStage(
      stage(() => Promise.reject(new Error('outer', { cause: 'inner' }))),
      { file: 'x' },
      ctx,
    );
    expect(thrownString.record.errors).toEqual([{ code: 'INTERNAL', message: 'outer', causes: ['inner'] }]);
    const nonError = await runStage(
      stage(() => {
        // A stage that throws something that is not an Error at all.
        throw 'just a string'; // eslint-disable-line @typescript-eslint/only-throw-error
      }),
      { file: 'x' },
      ctx,
    );
    expect(nonError.record.errors).toEqual([{ code: 'INTERNAL', message: 'just a string' }]);
    const noResult = await runStage(
      stage(() => Promise.resolve(undefined as unknown as StageResult)),
      { file: 'x' },
      ctx,
    );
    expect(noResult.exitCode).toBe(2);
    expect(noResult.record.errors[0]).toMatchObject({ code: 'INTERNAL', message: 'bug: stage scan returned no result with a status' });
    expect((await records()).length).toBe(4);
  });

  it('still appends exactly one (failed) record when the stage’s result breaks the evidence schema', async () => {
    const outcome = await runStage(
      stage(() => Promise.resolve({ ...base('passed'), outputs: [{ path: 'out.json', name: 'out.json', sha256: 'not-a-sha', size: 1 }] })),
      { file: 'x' },
      ctx,
    );
    expect(outcome.exitCode).toBe(2);
    expect(outcome.error).toMatchObject({ code: 'EVIDENCE_INVALID' });
    expect(outcome.record).toMatchObject({
      status: 'failed',
      outputs: [],
      errors: [{ code: 'EVIDENCE_INVALID' }],
      decision: { result: 'error' },
    });
    expect(await records()).toEqual([outcome.record]);
  });
});
