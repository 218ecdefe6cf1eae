import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { EvidencePack, MemoryLogger, RunSession, sourceDateEpoch } from '@packaging-factory/core';
import { makeTestSession, tempDir } from '../support/context.ts';

describe('RunSession', () => {
  it('opens the pack and event log in the work dir and hands each stage its own context', async () => {
    const t = await makeTestSession({
      env: { GITHUB_RUN_ID: '77', GITHUB_RUN_ATTEMPT: '3', GITHUB_REPOSITORY: 'o/r', PATH: process.env['PATH'] },
    });
    try {
      expect(t.session.correlationId).toBe('gh-o_r-77-3');
      expect(t.session.workDir).toBe(t.dir);
      const scan = await t.contextFor('scan');
      const sign = await t.contextFor('sign');
      expect(scan.stage).toBe('scan');
      expect(scan.correlationId).toBe('gh-o_r-77-3');
      expect(scan.logger).toBe(t.logger);
      expect(scan.evidence).toBe(t.session.evidence);
      expect(path.dirname(scan.tempDir)).toBe(t.dir); // under RUNNER_TEMP
      expect(scan.tempDir).not.toBe(sign.tempDir);
      expect((await stat(scan.tempDir)).isDirectory()).toBe(true);

      // Tools are recorded per stage.
      await scan.exec.run('node', ['-e', '0']);
      expect(scan.exec.toolsUsed().map((x) => x.name)).toEqual(['node']);
      expect(sign.exec.toolsUsed()).toEqual([]);

      // A secret masked on the session is masked in the log, the logger and the stages' runners.
      t.session.mask('session-secret-value');
      scan.events.emit({ level: 'info', event: 'test', message: 'value=session-secret-value' });
      expect(await readFile(t.eventLogPath, 'utf8')).toContain('value=***');
      expect(t.logger.secrets.has('session-secret-value')).toBe(true);
      await expect(sign.exec.run('node', ['-e', 'console.error(process.argv[1]);process.exit(2)', 'session-secret-value'])).rejects.toThrow(
        'node exited with 2: ***',
      );
    } finally {
      await t.cleanup();
    }
    await expect(stat(t.dir)).rejects.toThrow();
  });

  it('defaults the event log to events.jsonl beside the pack and reopens an existing pack', async () => {
    const dir = await tempDir();
    try {
      const logger = new MemoryLogger();
      const first = await RunSession.open({ evidencePath: 'out/evidence.json', logger, workDir: dir, correlationId: 'run-9', env: {} });
      first.events.emit({ level: 'info', event: 'hello' });
      expect(first.events.file).toBe(path.join(dir, 'out', 'events.jsonl'));
      expect(JSON.parse(await readFile(path.join(dir, 'out', 'events.jsonl'), 'utf8'))).toMatchObject({
        correlationId: 'run-9',
        event: 'hello',
      });
      const second = await RunSession.open({ evidencePath: path.join(dir, 'out', 'evidence.json'), logger, workDir: dir, env: {} });
      expect(second.correlationId).toBe('run-9');
      await expect(
        RunSession.open({ evidencePath: 'out/evidence.json', logger, workDir: dir, correlationId: 'run-10', env: {} }),
      ).rejects.toMatchObject({
        code: 'EVIDENCE_INVALID',
      });
      expect((await EvidencePack.load(path.join(dir, 'out', 'evidence.json'))).records).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('uses the system temp dir for stages when RUNNER_TEMP is not set', async () => {
    const dir = await tempDir();
    try {
      const session = await RunSession.open({ evidencePath: 'e.json', logger: new MemoryLogger(), workDir: dir, env: {} });
      const ctx = await session.contextFor('publish');
      expect(path.basename(ctx.tempDir)).toMatch(/^factory-publish-/);
      expect(ctx.now()).toBeInstanceOf(Date);
      await rm(ctx.tempDir, { recursive: true });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('sourceDateEpoch', () => {
  it('reads SOURCE_DATE_EPOCH when it is a whole number of seconds', () => {
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: '1700000000' })).toBe(1_700_000_000);
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: '' })).toBeUndefined();
    expect(sourceDateEpoch({ SOURCE_DATE_EPOCH: '17e8' })).toBeUndefined();
    expect(sourceDateEpoch({})).toBeUndefined();
  });
});
