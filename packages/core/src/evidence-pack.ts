import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile, open } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { FactoryError } from './errors.ts';
import { withFileLock } from './file-lock.ts';
import { digestBytes, type FileRecord } from './digest.ts';
import evidenceSchema from '../schema/evidence-pack.schema.json' with { type: 'json' };

/** The eight stages, in pipeline order (verify is the consumer's stage and may appear in its own pack). */
/** The seven pipeline stages in order; the ones before publish are what publish requires by default. */
export const PIPELINE_STAGES = ['build-package', 'generate-sbom', 'scan', 'sign', 'test-install', 'attest-provenance', 'publish'] as const;
export type PipelineStageName = (typeof PIPELINE_STAGES)[number];
export const STAGES = [...PIPELINE_STAGES, 'verify'] as const;
export type StageName = (typeof STAGES)[number];

export type StageStatus = 'passed' | 'failed';

export interface ToolRecord {
  name: string;
  version: string;
  /** Where the executable was found, for external tools. */
  path?: string;
}

export interface Decision {
  /** pass, fail, pass-with-exceptions, skip (same digest), ... */
  result: string;
  reason?: string;
}

export interface ErrorRecord {
  code: string;
  message: string;
  subject?: string;
  hint?: string;
  /** The cause chain, outermost first, without the error's own message. */
  causes?: string[];
}

export interface StageRecord {
  stage: StageName;
  status: StageStatus;
  startedAt: string;
  finishedAt: string;
  inputs: FileRecord[];
  outputs: FileRecord[];
  tools: ToolRecord[];
  decision?: Decision;
  errors: ErrorRecord[];
  /** Stage-specific facts (counts, signer identity, sandbox kind...). Never secrets. */
  details?: Record<string, unknown>;
  notes?: string[];
}

export interface RunInfo {
  /** github-actions or cli */
  source: 'github-actions' | 'cli';
  repository?: string;
  sha?: string;
  ref?: string;
  runId?: string;
  runAttempt?: string;
  workflow?: string;
  serverUrl?: string;
}

export interface Finalization {
  finalizedAt: string;
  status: StageStatus;
  /** sha256 over the canonical JSON of `records` at finalization. */
  recordsSha256: string;
  recordCount: number;
}

export interface EvidencePackDocument {
  $schema: string;
  schemaVersion: '1.0';
  correlationId: string;
  createdAt: string;
  run: RunInfo;
  records: StageRecord[];
  finalized?: Finalization;
}

export const EVIDENCE_SCHEMA_ID = 'https://packaging-factory.dev/schemas/evidence-pack-1.0.json';

// ajv-formats is CommonJS with a default export that TypeScript sees as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
let validator: ReturnType<Ajv2020['compile']> | undefined;

/** Validates a document against the committed JSON Schema; returns the error list (empty when valid). */
export function validateEvidencePack(document: unknown): string[] {
  if (validator === undefined) {
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    validator = ajv.compile(evidenceSchema);
  }
  if (validator(document)) return [];
  return (validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`);
}

/**
 * The correlation id of a run: given explicitly, else derived from GitHub's run id and attempt
 * (so every job of one workflow run shares it), else a fresh UUID for a local run.
 */
export function resolveCorrelationId(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (given !== undefined && given.trim() !== '') return given.trim();
  const runId = env['GITHUB_RUN_ID'];
  if (runId !== undefined && runId !== '') {
    const repo = env['GITHUB_REPOSITORY'] ?? 'unknown';
    return `gh-${repo.replace(/[^A-Za-z0-9._-]/g, '_')}-${runId}-${env['GITHUB_RUN_ATTEMPT'] ?? '1'}`;
  }
  return randomUUID();
}

export function runInfoFromEnv(env: NodeJS.ProcessEnv = process.env): RunInfo {
  if (env['GITHUB_ACTIONS'] !== 'true') return { source: 'cli' };
  const info: RunInfo = { source: 'github-actions' };
  const map: [keyof RunInfo, string][] = [
    ['repository', 'GITHUB_REPOSITORY'],
    ['sha', 'GITHUB_SHA'],
    ['ref', 'GITHUB_REF'],
    ['runId', 'GITHUB_RUN_ID'],
    ['runAttempt', 'GITHUB_RUN_ATTEMPT'],
    ['workflow', 'GITHUB_WORKFLOW_REF'],
    ['serverUrl', 'GITHUB_SERVER_URL'],
  ];
  for (const [key, name] of map) {
    const value = env[name];
    if (value !== undefined && value !== '') (info as unknown as Record<string, string>)[key] = value;
  }
  return info;
}

/** Writes a file so readers see the old bytes or the new ones, never half: temp file, fsync, rename. */
export async function writeFileAtomic(file: string, data: string | Buffer): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    // A failed write (disk full, target is a directory...) must not leave its temp file behind.
    await rm(temp, { force: true });
    throw error;
  }
}

/** JSON with sorted keys: the canonical form digested at finalization. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

/**
 * One run's evidence pack on disk. Each stage appends one record and never rewrites another's;
 * every change is written atomically and validated against the schema first.
 */
export class EvidencePack {
  private constructor(
    readonly file: string,
    private document: EvidencePackDocument,
  ) {}

  /** Creates a new pack (refuses to overwrite an existing file). */
  static async create(file: string, options: { correlationId?: string; env?: NodeJS.ProcessEnv; now?: Date } = {}): Promise<EvidencePack> {
    const env = options.env ?? process.env;
    const document: EvidencePackDocument = {
      $schema: EVIDENCE_SCHEMA_ID,
      schemaVersion: '1.0',
      correlationId: resolveCorrelationId(options.correlationId, env),
      createdAt: (options.now ?? new Date()).toISOString(),
      run: runInfoFromEnv(env),
      records: [],
    };
    const pack = new EvidencePack(path.resolve(file), document);
    await mkdir(path.dirname(pack.file), { recursive: true });
    try {
      await writeFile(pack.file, `${JSON.stringify(document, null, 2)}\n`, { flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new FactoryError('EVIDENCE_INVALID', `evidence pack ${file} already exists`, {
          cause: error,
          subject: file,
          hint: 'load it to append, or choose a new path for a new run',
        });
      }
      throw new FactoryError('FILE_UNREADABLE', `evidence pack ${file} cannot be created: ${(error as Error).message}`, {
        cause: error,
        subject: file,
        hint: 'check that the directory is writable',
      });
    }
    return pack;
  }

  /** Loads and validates an existing pack. */
  static async load(file: string): Promise<EvidencePack> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new FactoryError('FILE_NOT_FOUND', `evidence pack ${file} cannot be read`, {
        cause: error,
        subject: file,
        hint: 'pass the evidence pack written by the earlier stages (download the workflow artifact first)',
      });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new FactoryError('EVIDENCE_INVALID', `evidence pack ${file} is not valid JSON`, { cause: error, subject: file });
    }
    const problems = validateEvidencePack(parsed);
    if (problems.length > 0) {
      throw new FactoryError('EVIDENCE_INVALID', `evidence pack ${file} does not match its schema: ${problems.slice(0, 5).join('; ')}`, {
        subject: file,
      });
    }
    return new EvidencePack(path.resolve(file), parsed as EvidencePackDocument);
  }

  /** Loads the pack when it exists, else creates it with the given correlation id. */
  static async open(file: string, options: { correlationId?: string; env?: NodeJS.ProcessEnv } = {}): Promise<EvidencePack> {
    try {
      const pack = await EvidencePack.load(file);
      if (options.correlationId !== undefined && options.correlationId !== '' && options.correlationId !== pack.correlationId) {
        throw new FactoryError(
          'EVIDENCE_INVALID',
          `evidence pack ${file} belongs to run ${pack.correlationId}, not ${options.correlationId}`,
          { subject: file, hint: 'use the pack of this run, or leave correlation-id empty' },
        );
      }
      // In a workflow, a pack written by another workflow run is stale evidence (a cached or
      // mis-downloaded artifact): refuse it. Re-run attempts of the same run keep the run id.
      const env = options.env ?? process.env;
      const runId = env['GITHUB_ACTIONS'] === 'true' ? env['GITHUB_RUN_ID'] : undefined;
      const explicit = options.correlationId !== undefined && options.correlationId !== '';
      if (!explicit && runId !== undefined && runId !== '' && pack.document.run.runId !== undefined && pack.document.run.runId !== runId) {
        throw new FactoryError(
          'EVIDENCE_INVALID',
          `evidence pack ${file} was written by workflow run ${pack.document.run.runId}, not this run (${runId})`,
          {
            subject: file,
            hint: "download this run's evidence artifact, or pass correlation-id to continue that run's pack on purpose",
          },
        );
      }
      return pack;
    } catch (error) {
      // Only a pack that does not exist yet is created; an unreadable one (EACCES, EISDIR) is an error.
      if (error instanceof FactoryError && error.code === 'FILE_NOT_FOUND' && (error.cause as NodeJS.ErrnoException).code === 'ENOENT') {
        return EvidencePack.create(file, options);
      }
      throw error;
    }
  }

  get correlationId(): string {
    return this.document.correlationId;
  }

  get records(): readonly StageRecord[] {
    return this.document.records;
  }

  get finalized(): Finalization | undefined {
    return this.document.finalized;
  }

  /** A deep copy of the document. */
  snapshot(): EvidencePackDocument {
    return structuredClone(this.document);
  }

  /** The latest record of a stage, if any. */
  latest(stage: StageName): StageRecord | undefined {
    return [...this.document.records].reverse().find((r) => r.stage === stage);
  }

  /** Appends one stage record and writes the pack atomically. */
  async append(record: StageRecord): Promise<void> {
    // Another process (a parallel stage on the same pack) may have appended since this one loaded
    // it: under the lock, start from what is on disk now so no record is lost.
    await withFileLock(this.file, async () => {
      const current = await this.reloadForUpdate();
      await this.write({ ...current, records: [...current.records, record] });
    });
  }

  /** The pack as it is on disk (validated, same run), or this instance's document when the file is gone. */
  private async reloadForUpdate(): Promise<EvidencePackDocument> {
    let onDisk: EvidencePack;
    try {
      onDisk = await EvidencePack.load(this.file);
    } catch (error) {
      if (error instanceof FactoryError && error.code === 'FILE_NOT_FOUND') return this.document;
      throw error;
    }
    if (onDisk.correlationId !== this.correlationId) {
      throw new FactoryError(
        'EVIDENCE_INVALID',
        `evidence pack ${this.file} was replaced by another run's pack (${onDisk.correlationId})`,
        {
          subject: this.file,
          hint: 'give each run its own evidence pack path',
        },
      );
    }
    return onDisk.document;
  }

  /**
   * The document as it is now with a finalization block, without changing the working file: what
   * attest-provenance signs (records appended later, such as publish's, are outside what it vouches for).
   */
  finalizedSnapshot(now: Date = new Date()): EvidencePackDocument {
    const document = this.snapshot();
    document.finalized = finalizationOf(document.records, now);
    return document;
  }

  /**
   * Seals the records so far: overall status (failed if any stage's latest record failed) and a digest
   * of the records. Records appended later (publish) are outside what was sealed and attested.
   */
  async finalize(now: Date = new Date()): Promise<Finalization> {
    return withFileLock(this.file, async () => {
      const current = await this.reloadForUpdate();
      const finalization = finalizationOf(current.records, now);
      await this.write({ ...current, finalized: finalization });
      return finalization;
    });
  }

  /** Writes the document as it is now to another file (a snapshot to attest or publish). */
  async writeCopy(file: string): Promise<void> {
    await writeFileAtomic(file, `${JSON.stringify(this.document, null, 2)}\n`);
  }

  private async write(next: EvidencePackDocument): Promise<void> {
    const problems = validateEvidencePack(next);
    if (problems.length > 0) {
      throw new FactoryError(
        'EVIDENCE_INVALID',
        `refusing to write an evidence pack that breaks its schema: ${problems.slice(0, 5).join('; ')}`,
        {
          subject: this.file,
        },
      );
    }
    await writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`);
    this.document = next;
  }
}

/** Overall status (failed if any stage's latest record failed) and a digest of the records. */
export function finalizationOf(records: readonly StageRecord[], now: Date): Finalization {
  const latest = new Map<string, StageRecord>();
  for (const record of records) latest.set(record.stage, record);
  const failed = [...latest.values()].some((r) => r.status === 'failed');
  return {
    finalizedAt: now.toISOString(),
    status: failed ? 'failed' : 'passed',
    recordsSha256: digestBytes(canonicalJson(records)),
    recordCount: records.length,
  };
}
