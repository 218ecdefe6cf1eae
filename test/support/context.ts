import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MemoryLogger, RunSession, type StageContext, type StageName } from '@packaging-factory/core';

/** A fresh, empty directory under the system temp dir (the caller removes it). */
export async function tempDir(prefix = 'factory-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export interface TestSessionOptions {
  /** Fixed correlation id (else derived from `env` like a real run). */
  correlationId?: string;
  /** Environment of the run; RUNNER_TEMP defaults to a folder inside the session dir. */
  env?: NodeJS.ProcessEnv;
  /** Clock for timestamps in records and events. */
  now?: () => Date;
  /** Working directory (defaults to the session dir). */
  workDir?: string;
}

export interface TestSession {
  session: RunSession;
  /** The temp dir holding evidence.json, events.jsonl and the stages' temp dirs. */
  dir: string;
  logger: MemoryLogger;
  evidencePath: string;
  eventLogPath: string;
  contextFor(stage: StageName): Promise<StageContext>;
  /** Removes the session dir and everything the stages put in their temp dirs. */
  cleanup(): Promise<void>;
}

/** Opens a RunSession in a fresh temp dir with a MemoryLogger, the way the action and the CLI do. */
export async function makeTestSession(options: TestSessionOptions = {}): Promise<TestSession> {
  const dir = await tempDir('factory-session-');
  const logger = new MemoryLogger();
  const evidencePath = path.join(dir, 'evidence.json');
  const eventLogPath = path.join(dir, 'events.jsonl');
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  // Stage temp dirs go under RUNNER_TEMP: keep them inside `dir` so cleanup removes them.
  if (env['RUNNER_TEMP'] === undefined || env['RUNNER_TEMP'] === '') env['RUNNER_TEMP'] = dir;
  const sessionOptions: Parameters<typeof RunSession.open>[0] = {
    evidencePath,
    eventLogPath,
    logger,
    workDir: options.workDir ?? dir,
    env,
  };
  if (options.correlationId !== undefined) sessionOptions.correlationId = options.correlationId;
  if (options.now !== undefined) sessionOptions.now = options.now;
  const session = await RunSession.open(sessionOptions);
  return {
    session,
    dir,
    logger,
    evidencePath,
    eventLogPath,
    contextFor: (stage) => session.contextFor(stage),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
