import * as core from '@actions/core';
import {
  describeError,
  FactoryError,
  isFactoryError,
  RunSession,
  runStage,
  type Logger,
  type RawInputs,
  type StageDefinition,
} from '@packaging-factory/core';
import { COMMON_INPUTS, COMMON_OUTPUTS } from './common-inputs.ts';
import { rerunAsRoot } from './elevate.ts';

/** Adapts the packages' Logger to the runner's workflow commands. */
export const actionsLogger: Logger = {
  debug: (message) => core.debug(message),
  info: (message) => core.info(message),
  warn: (message, subject) => core.warning(message, subject === undefined ? undefined : { title: subject }),
  error: (message, subject) => core.error(message, subject === undefined ? undefined : { title: subject }),
  mask: (secret) => core.setSecret(secret),
};

/** Reads the stage's declared inputs (and the common ones) the way the runner passes them. */
export function readActionInputs(definition: StageDefinition<unknown>): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [name, spec] of Object.entries({ ...definition.inputs, ...COMMON_INPUTS })) {
    // The runner never enforces `required: true`; the stage's parse does, naming the input.
    const value = core.getInput(name);
    if (spec.kind === 'secret' && value !== '') core.setSecret(value);
    raw[name] = value;
  }
  return raw;
}

/**
 * The one top-level path of every action: inputs → typed options → stage → outputs, summary and
 * one evidence record, whatever happens. Parse errors are recorded like any other stage failure.
 */
export async function runAction<O>(definition: StageDefinition<O>): Promise<void> {
  if (definition.requiresRoot === true) {
    const code = await rerunAsRoot();
    if (code !== undefined) {
      process.exitCode = code;
      return;
    }
  }
  let exitCode = 0;
  try {
    const raw: RawInputs = readActionInputs(definition);
    const workDir = process.env['GITHUB_WORKSPACE'] ?? process.cwd();
    const session = await RunSession.open({
      evidencePath: raw['evidence-pack'] || (COMMON_INPUTS['evidence-pack'].default ?? 'factory-evidence/evidence-pack.json'),
      ...(raw['event-log'] ? { eventLogPath: raw['event-log'] } : {}),
      ...(raw['correlation-id'] ? { correlationId: raw['correlation-id'] } : {}),
      logger: actionsLogger,
      workDir,
    });
    core.setOutput('evidence-pack', session.evidence.file);
    core.setOutput('correlation-id', session.correlationId);
    const ctx = await session.contextFor(definition.name);
    const parsing: StageDefinition<RawInputs> = {
      ...definition,
      parse: (r) => r,
      run: (r, c) => definition.run(definition.parse(r, { workDir, env: process.env }), c),
    };
    const outcome = await runStage(parsing, raw, ctx);
    for (const [name, value] of Object.entries(outcome.result?.outputValues ?? {})) {
      if (!(name in definition.outputs)) throw new Error(`bug: ${definition.name} set undeclared output '${name}'`);
      core.setOutput(name, value);
    }
    core.setOutput('status', outcome.record.status);
    const summary = outcome.result?.summary ?? '';
    const failure = outcome.error ?? (outcome.record.status === 'failed' ? outcome.result?.errors?.[0] : undefined);
    await core.summary
      .addHeading(`${definition.title}: ${outcome.record.status}`, 3)
      .addRaw(summary, true)
      .addRaw(failure === undefined ? '' : `\n**Error:** ${escapeMarkdown(describeError(failure).join(' ← '))}\n`, true)
      .addRaw(`\n<sub>correlation id ${session.correlationId} · evidence ${session.evidence.file}</sub>\n`, true)
      .write();
    if (outcome.exitCode !== 0) {
      reportFailure(failure ?? new FactoryError('INPUT_INVALID', `${definition.name} failed`));
      exitCode = outcome.exitCode;
    }
  } catch (error) {
    // Only reached when the evidence pack itself cannot be opened or written.
    reportFailure(error);
    exitCode = isFactoryError(error) ? error.exitCode : 2;
  }
  if (exitCode !== 0) process.exitCode = exitCode;
}

function reportFailure(error: unknown): void {
  const lines = describeError(error);
  const title = isFactoryError(error) ? error.code : 'internal error (a bug: please report it)';
  core.setFailed(lines.join('\n  caused by: '));
  if (isFactoryError(error) && error.subject !== undefined) core.error(`${title}: ${error.subject}`, { title });
  if (!isFactoryError(error) && error instanceof Error && error.stack !== undefined) core.debug(error.stack);
}

function escapeMarkdown(text: string): string {
  return text.replace(/[<>]/g, (c) => (c === '<' ? '&lt;' : '&gt;'));
}

export { COMMON_INPUTS, COMMON_OUTPUTS };
