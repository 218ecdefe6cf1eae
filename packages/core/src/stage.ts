import { describeError, FactoryError, isFactoryError } from './errors.ts';
import type { EventLog } from './event-log.ts';
import type { Decision, EvidencePack, StageName, StageRecord } from './evidence-pack.ts';
import type { ExecRunner } from './exec.ts';
import type { FileRecord } from './digest.ts';
import type { Logger } from './logger.ts';

/** What every stage function receives besides its typed options. */
export interface StageContext {
  readonly stage: StageName;
  readonly logger: Logger;
  readonly correlationId: string;
  /** The run's evidence pack: read earlier records; the stage runner appends this stage's record. */
  readonly evidence: EvidencePack;
  readonly events: EventLog;
  /** External tools, per stage: records tool versions for this stage's evidence record. */
  readonly exec: ExecRunner;
  /** Wall clock (tests inject a fixed one). Outputs that must be reproducible use SOURCE_DATE_EPOCH instead. */
  readonly now: () => Date;
  /** Base for relative paths. */
  readonly workDir: string;
  /** Scratch space for this stage, removed by nobody else; under RUNNER_TEMP in Actions. */
  readonly tempDir: string;
  readonly env: NodeJS.ProcessEnv;
}

/** What a stage returns. A gate that says no returns status 'failed' or throws a gate FactoryError. */
export interface StageResult {
  status: 'passed' | 'failed';
  decision?: Decision;
  inputs: FileRecord[];
  outputs: FileRecord[];
  /** Values for the action's outputs (and the CLI's printout), keyed by output name. */
  outputValues: Record<string, string>;
  /** Markdown for the job summary. */
  summary: string;
  details?: Record<string, unknown>;
  notes?: string[];
  /** When status is failed: why, as errors for the record (defaults to one from the decision). */
  errors?: FactoryError[];
}

export type InputKind = 'string' | 'path' | 'paths' | 'boolean' | 'choice' | 'secret' | 'number';

export interface InputSpec {
  description: string;
  kind: InputKind;
  required?: boolean;
  /** The default as the action.yml declares it (a string, like every action input). */
  default?: string;
  choices?: readonly string[];
}

export interface OutputSpec {
  description: string;
}

/** Raw input values by name, as the action runtime or the CLI found them (empty string = not given). */
export type RawInputs = Readonly<Record<string, string | undefined>>;

/**
 * One stage's contract, shared by its action and its CLI subcommand: the input and output names
 * (the action.yml is checked against these), how raw strings become typed options, and the function.
 */
export interface StageDefinition<O> {
  readonly name: StageName;
  readonly title: string;
  readonly description: string;
  readonly inputs: Readonly<Record<string, InputSpec>>;
  readonly outputs: Readonly<Record<string, OutputSpec>>;
  /** The list input that the CLI's positional arguments fill (`factory sbom PATH...` fills `paths`). */
  readonly positional?: string;
  /** The stage needs root (mount namespaces, overlayfs): the action re-runs itself under `sudo -n`. */
  readonly requiresRoot?: boolean;
  parse(raw: RawInputs, ctx: { workDir: string; env: NodeJS.ProcessEnv }): O;
  run(options: O, ctx: StageContext): Promise<StageResult>;
}

/** The outcome of running a stage through `runStage`, whatever happened. */
export interface StageOutcome {
  record: StageRecord;
  result?: StageResult;
  error?: unknown;
  exitCode: 0 | 1 | 2;
}

/**
 * Runs one stage and appends exactly one record to the evidence pack, passed or failed. Errors
 * never escape: they are recorded and returned, so the caller (action or CLI) reports them once.
 */
export async function runStage<O>(definition: StageDefinition<O>, options: O, ctx: StageContext): Promise<StageOutcome> {
  const startedAt = ctx.now();
  ctx.events.emit({ level: 'info', event: 'stage.start', stage: definition.name });
  let result: StageResult | undefined;
  let error: unknown;
  try {
    result = await definition.run(options, ctx);
    if (typeof result !== 'object' || result === null || (result.status !== 'passed' && result.status !== 'failed')) {
      throw new Error(`bug: stage ${definition.name} returned no result with a status`);
    }
  } catch (caught) {
    error = caught;
    result = undefined;
  }
  const finishedAt = ctx.now();
  let record: StageRecord = {
    stage: definition.name,
    status: result?.status ?? 'failed',
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    inputs: result?.inputs ?? [],
    outputs: result?.outputs ?? [],
    tools: ctx.exec.toolsUsed(),
    errors: [],
  };
  if (result?.decision !== undefined) record.decision = result.decision;
  if (result?.details !== undefined) record.details = result.details;
  if (result?.notes !== undefined && result.notes.length > 0) record.notes = result.notes;
  if (error !== undefined) {
    record.errors.push(errorRecord(error));
    record.decision ??= { result: 'error', reason: describeError(error)[0] ?? 'unknown error' };
  } else if (result?.status === 'failed') {
    const errors =
      result.errors !== undefined && result.errors.length > 0
        ? result.errors
        : [new FactoryError('INPUT_INVALID', result.decision?.reason ?? `${definition.name} failed`)];
    record.errors.push(...errors.map(errorRecord));
  }
  try {
    await ctx.evidence.append(record);
  } catch (appendError) {
    // The result broke the evidence schema (a malformed file record, an empty decision): that is a
    // bug in the stage, recorded as this stage's failure so the pack still gets exactly one record.
    record = {
      stage: definition.name,
      status: 'failed',
      startedAt: record.startedAt,
      finishedAt: record.finishedAt,
      inputs: [],
      outputs: [],
      tools: record.tools,
      decision: { result: 'error', reason: describeError(appendError)[0] ?? 'invalid stage record' },
      errors: [errorRecord(appendError)],
    };
    await ctx.evidence.append(record);
    error ??= appendError;
  }
  ctx.events.emit({
    level: record.status === 'passed' ? 'info' : 'error',
    event: 'stage.end',
    stage: definition.name,
    data: { status: record.status, decision: record.decision, errors: record.errors },
  });
  let exitCode: 0 | 1 | 2 = 0;
  if (error !== undefined) exitCode = isFactoryError(error) ? error.exitCode : 2;
  else if (record.status === 'failed') exitCode = result?.errors?.some((e) => e.kind === 'input') === true ? 2 : 1;
  const outcome: StageOutcome = { record, exitCode };
  if (result !== undefined) outcome.result = result;
  if (error !== undefined) outcome.error = error;
  return outcome;
}

function errorRecord(error: unknown): StageRecord['errors'][number] {
  const chain = describeError(error);
  if (isFactoryError(error)) {
    const record: StageRecord['errors'][number] = { code: error.code, message: error.message };
    if (error.subject !== undefined) record.subject = error.subject;
    if (error.hint !== undefined) record.hint = error.hint;
    if (chain.length > 1) record.causes = chain.slice(1);
    return record;
  }
  const record: StageRecord['errors'][number] = { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
  if (chain.length > 1) record.causes = chain.slice(1);
  return record;
}
