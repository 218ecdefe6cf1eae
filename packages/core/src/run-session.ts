import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EventLog } from './event-log.ts';
import { EvidencePack, type StageName } from './evidence-pack.ts';
import { ExecRunner } from './exec.ts';
import type { Logger } from './logger.ts';
import type { StageContext } from './stage.ts';

export interface RunSessionOptions {
  /** Evidence pack file: loaded when it exists, created otherwise. */
  evidencePath: string;
  /** Event log file (JSONL); defaults to `events.jsonl` beside the evidence pack. */
  eventLogPath?: string;
  correlationId?: string;
  logger: Logger;
  workDir?: string;
  env?: NodeJS.ProcessEnv;
  now?: () => Date;
}

/** One run of one or more stages sharing an evidence pack, an event log and a correlation id. */
export class RunSession {
  private constructor(
    readonly evidence: EvidencePack,
    readonly events: EventLog,
    readonly exec: ExecRunner,
    readonly logger: Logger,
    readonly workDir: string,
    readonly env: NodeJS.ProcessEnv,
    readonly now: () => Date,
  ) {}

  static async open(options: RunSessionOptions): Promise<RunSession> {
    const env = options.env ?? process.env;
    const workDir = path.resolve(options.workDir ?? process.cwd());
    const now = options.now ?? (() => new Date());
    const evidencePath = path.resolve(workDir, options.evidencePath);
    const evidence = await EvidencePack.open(evidencePath, { correlationId: options.correlationId, env });
    const eventLogPath = options.eventLogPath ?? path.join(path.dirname(evidencePath), 'events.jsonl');
    const events = new EventLog(path.resolve(workDir, eventLogPath), evidence.correlationId, now);
    const exec = new ExecRunner(options.logger, events);
    return new RunSession(evidence, events, exec, options.logger, workDir, env, now);
  }

  get correlationId(): string {
    return this.evidence.correlationId;
  }

  mask(secret: string): void {
    this.exec.mask(secret);
    this.events.mask(secret);
    this.logger.mask(secret);
  }

  /** A fresh context for one stage: its own exec runner (so tools are recorded per stage) and temp dir. */
  async contextFor(stage: StageName): Promise<StageContext> {
    const tempRoot = this.env['RUNNER_TEMP'] !== undefined && this.env['RUNNER_TEMP'] !== '' ? this.env['RUNNER_TEMP'] : os.tmpdir();
    const tempDir = await mkdtemp(path.join(tempRoot, `factory-${stage}-`));
    return {
      stage,
      logger: this.logger,
      correlationId: this.correlationId,
      evidence: this.evidence,
      events: this.events,
      exec: this.exec.forStage(stage, this.events),
      now: this.now,
      workDir: this.workDir,
      tempDir,
      env: this.env,
    };
  }
}

/** Seconds since the epoch from SOURCE_DATE_EPOCH, the reproducible-builds convention, if set. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env['SOURCE_DATE_EPOCH'];
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value)) return undefined;
  return Number(value);
}
