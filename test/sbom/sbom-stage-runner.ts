import { rm } from 'node:fs/promises';
import { runStage, type RawInputs, type StageOutcome } from '@packaging-factory/core';
import { generateSbomStage } from '@packaging-factory/sbom';
import { makeTestSession, tempDir, type TestSession } from '../support/context.ts';

export const EPOCH = 1767225600;

/** Runs generate-sbom in fresh sessions and scratch dirs, all removed by `cleanup` (call it in afterAll). */
export function sbomStageRunner(prefix: string): {
  work: () => Promise<string>;
  generate: (raw: RawInputs, workDir: string) => Promise<StageOutcome>;
  cleanup: () => Promise<void>;
} {
  const sessions: TestSession[] = [];
  const dirs: string[] = [];
  return {
    async work() {
      const dir = await tempDir(prefix);
      dirs.push(dir);
      return dir;
    },
    async generate(raw, workDir) {
      const env = { PATH: process.env['PATH'] };
      const session = await makeTestSession({ env, workDir });
      sessions.push(session);
      const options = generateSbomStage.parse({ 'source-date-epoch': String(EPOCH), ...raw }, { workDir, env });
      return runStage(generateSbomStage, options, await session.contextFor('generate-sbom'));
    },
    async cleanup() {
      for (const s of sessions) await s.cleanup();
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    },
  };
}
