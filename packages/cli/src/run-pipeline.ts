import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { digestFile, FactoryError, RunSession, type StageOutcome } from '@packaging-factory/core';
import { KeySigner } from '@packaging-factory/signing';
import { STAGE_COMMANDS } from './commands.ts';
import { ConsoleLogger } from './console-logger.ts';
import { loadPipeline, PIPELINE_STAGES, rawInputsFor, type PipelineStage } from './pipeline.ts';
import { runParsed, secretEnvName, type CliIo } from './stage-command.ts';
import { inProcessOptions, wireStage, type PipelineState } from './wiring.ts';

export interface RunOptions {
  pipelineFile: string;
  outDir: string;
  verbose: boolean;
  correlationId?: string;
  /** The arguments after `factory run`, recorded in the provenance. */
  argv: string[];
}

/** Marks a directory as factory output, so a later run may clear it without touching anything else. */
const OUT_MARKER = '.factory-out';

/** Runs the whole pipeline in order, stopping at the first failed stage; returns the exit code. */
export async function runPipeline(options: RunOptions, io: CliIo): Promise<number> {
  const pipelineFile = path.resolve(io.cwd, options.pipelineFile);
  const config = await loadPipeline(pipelineFile);
  const baseDir = path.dirname(pipelineFile);
  const outDir = path.resolve(io.cwd, options.outDir);
  await prepareOutDir(outDir);

  const logger = new ConsoleLogger(options.verbose, io.err);
  const session = await RunSession.open({
    evidencePath: path.join(outDir, 'evidence-pack.json'),
    eventLogPath: path.join(outDir, 'events.jsonl'),
    ...(options.correlationId ? { correlationId: options.correlationId } : {}),
    logger,
    workDir: io.cwd,
    env: io.env,
  });
  const stages = PIPELINE_STAGES.filter((s) => s === 'build-package' || config.stages[s] !== undefined);
  io.err(
    `factory run ${path.relative(io.cwd, pipelineFile) || pipelineFile}: ${config.name ?? 'pipeline'}, ${stages.length} stages, correlation id ${session.correlationId}`,
  );
  io.err(`output: ${outDir}`);

  const state: PipelineState = {
    outDir,
    baseDir,
    pipelineFile,
    outputs: {},
    session,
    invocation: {
      pipeline: { path: path.relative(io.cwd, pipelineFile) || pipelineFile, sha256: await digestFile(pipelineFile) },
      command: ['factory', 'run', ...options.argv],
    },
  };
  // One ephemeral key for the whole run, so the attestations are signed by the key that signed the
  // artifacts: its private half lives only in this process and is never written anywhere.
  const signConfig = config.stages.sign;
  if (signConfig !== undefined && signConfig['ephemeral-key'] === true && signConfig['key'] === undefined && !io.env['FACTORY_KEY']) {
    state.signer = KeySigner.ephemeral();
  }
  const rows: Row[] = [];
  let exitCode = 0;
  for (const [index, stage] of stages.entries()) {
    if (exitCode !== 0) {
      rows.push({ stage, status: 'not run', decision: '', seconds: 0, outputs: '' });
      continue;
    }
    io.err(`▶ [${index + 1}/${stages.length}] ${stage}`);
    const command = STAGE_COMMANDS.find((c) => c.name === stage);
    if (command === undefined) throw new Error(`bug: no command for ${stage}`);
    const configured = rawInputsFor(stage, config.stages[stage], baseDir);
    const raw = { ...configured, ...wireStage(stage, state, configured) };
    if (stage === 'publish') {
      // The CLI publishes into a local immutable release directory unless the pipeline says otherwise;
      // a relative dir: target is relative to the pipeline file, like every other path in it.
      const to = raw['to'] ?? '';
      if (to === '') raw['to'] = `dir:${path.join(outDir, 'release')}`;
      else if (to.startsWith('dir:')) raw['to'] = `dir:${path.resolve(baseDir, to.slice(4))}`;
    }
    if (stage === 'attest-provenance' && !raw['key'] && state.signer === undefined) {
      // Attest with the key that signed the artifacts unless the pipeline names another.
      const signRaw = rawInputsFor('sign', config.stages.sign, baseDir);
      for (const name of ['key', 'key-passphrase']) if (signRaw[name]) raw[name] = signRaw[name];
    }
    for (const [name, spec] of Object.entries(command.definition.inputs)) {
      if (spec.kind !== 'secret') continue;
      // Secrets may stay out of the pipeline file: FACTORY_KEY, FACTORY_TOKEN, ...
      if (!raw[name] && io.env[secretEnvName(name)]) raw[name] = io.env[secretEnvName(name)] ?? '';
      if (raw[name]) session.mask(raw[name]);
    }
    const started = Date.now();
    const outcome = await runParsed(command.definition, raw, session, (o) => inProcessOptions(stage, o, raw, state));
    const seconds = (Date.now() - started) / 1000;
    state.outputs[stage] = outcome.result?.outputValues ?? {};
    rows.push(rowOf(stage, outcome, seconds, outDir));
    const mark = outcome.record.status === 'passed' ? '✔' : '✘';
    io.err(
      `${mark} ${stage} ${outcome.record.status}${outcome.record.decision ? ` (${outcome.record.decision.result})` : ''} in ${seconds.toFixed(1)} s`,
    );
    for (const note of outcome.record.notes ?? []) io.err(`  note: ${note}`);
    for (const error of outcome.record.errors) {
      io.err(`  error ${error.code}: ${error.message}`);
      if (error.hint) io.err(`    what to do: ${error.hint}`);
      for (const cause of error.causes ?? []) io.err(`    caused by: ${cause}`);
    }
    exitCode = outcome.exitCode;
  }
  io.out(renderTable(rows));
  io.out(`evidence pack: ${path.relative(io.cwd, session.evidence.file)} (correlation id ${session.correlationId})`);
  io.out(exitCode === 0 ? 'pipeline passed' : `pipeline failed (exit ${exitCode})`);
  return exitCode;
}

async function prepareOutDir(outDir: string): Promise<void> {
  let entries: string[] = [];
  try {
    if (!(await stat(outDir)).isDirectory()) {
      throw new FactoryError('INPUT_INVALID', `--out ${outDir} exists and is not a directory`, { subject: outDir });
    }
    entries = await readdir(outDir);
  } catch (error) {
    if (error instanceof FactoryError) throw error;
  }
  if (entries.length > 0) {
    if (!entries.includes(OUT_MARKER)) {
      throw new FactoryError('INPUT_INVALID', `--out ${outDir} is not empty and was not written by factory run`, {
        subject: outDir,
        hint: 'choose an empty or new directory; factory run only clears directories it created',
      });
    }
    // A previous run's output: replace it whole (the release directory inside is this run's, not a shared one).
    await rm(outDir, { recursive: true, force: true });
  }
  await mkdir(outDir, { recursive: true });
  await writeFile(path.join(outDir, OUT_MARKER), 'written by factory run; the next run replaces this directory\n');
}

interface Row {
  stage: PipelineStage;
  status: string;
  decision: string;
  seconds: number;
  outputs: string;
}

function rowOf(stage: PipelineStage, outcome: StageOutcome, seconds: number, outDir: string): Row {
  const files = outcome.record.outputs.map((f) => path.relative(outDir, path.resolve(f.path))).filter((p) => !p.startsWith('..'));
  return {
    stage,
    status: outcome.record.status,
    decision: outcome.record.decision?.result ?? '',
    seconds,
    outputs: files.length > 3 ? `${files.slice(0, 3).join(', ')} +${files.length - 3}` : files.join(', '),
  };
}

function renderTable(rows: Row[]): string {
  const header = ['stage', 'status', 'decision', 'time', 'outputs'];
  const body = rows.map((r) => [r.stage, r.status, r.decision, r.status === 'not run' ? '' : `${r.seconds.toFixed(1)}s`, r.outputs]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return ['', line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line), ''].join('\n');
}
