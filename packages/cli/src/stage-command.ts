import { parseArgs, type ParseArgsConfig } from 'node:util';
import { FactoryError, RunSession, runStage, type RawInputs, type StageDefinition, type StageOutcome } from '@packaging-factory/core';
import type { StageCommand } from './commands.ts';
import { ConsoleLogger } from './console-logger.ts';

/** Flags every stage command takes besides its inputs. */
export const COMMON_FLAGS = {
  'evidence-pack': { type: 'string', default: 'factory-out/evidence-pack.json' },
  'event-log': { type: 'string' },
  'correlation-id': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Secret inputs may come from the environment so they stay out of the process list and shell history. */
export function secretEnvName(input: string): string {
  return `FACTORY_${input.toUpperCase().replace(/-/g, '_')}`;
}

/** Turns argv into the stage's raw inputs: `--name value`, repeated for lists, positionals into the list input. */
export function parseStageArgs(
  command: StageCommand,
  argv: string[],
  env: NodeJS.ProcessEnv,
): { raw: Record<string, string>; flags: Record<string, unknown> } {
  const definition = command.definition;
  const options: NonNullable<ParseArgsConfig['options']> = { ...COMMON_FLAGS };
  for (const [name, spec] of Object.entries(definition.inputs)) {
    options[name] = spec.kind === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: spec.kind === 'paths' };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new FactoryError('INPUT_INVALID', `factory ${command.name}: ${(error as Error).message}`, {
      cause: error,
      hint: `run 'factory ${command.name} --help' for the flags`,
    });
  }
  const raw: Record<string, string> = {};
  for (const [name, spec] of Object.entries(definition.inputs)) {
    const value = (parsed.values as Record<string, unknown>)[name];
    if (Array.isArray(value)) raw[name] = value.join('\n');
    else if (typeof value === 'boolean') raw[name] = String(value);
    else if (typeof value === 'string') raw[name] = value;
    else if (spec.kind === 'secret' && env[secretEnvName(name)]) raw[name] = env[secretEnvName(name)] ?? '';
    else if (command.cliDefaults[name] !== undefined) raw[name] = command.cliDefaults[name];
  }
  if (parsed.positionals.length > 0) {
    if (definition.positional === undefined) {
      throw new FactoryError('INPUT_INVALID', `factory ${command.name} takes no positional arguments (got '${parsed.positionals[0]}')`, {
        hint: `run 'factory ${command.name} --help'`,
      });
    }
    const existing = raw[definition.positional];
    raw[definition.positional] = [...(existing ? [existing] : []), ...parsed.positionals].join('\n');
  }
  return { raw, flags: parsed.values };
}

export function stageHelp(command: StageCommand): string {
  const d = command.definition;
  const lines = [
    `factory ${command.name}${d.positional ? ` [${d.positional.toUpperCase()}...]` : ''} [flags]`,
    '',
    d.description,
    '',
    'Flags (the action inputs, same names):',
  ];
  for (const [name, spec] of Object.entries(d.inputs)) {
    const def = command.cliDefaults[name] ?? spec.default;
    const extra = [
      spec.required ? 'required' : '',
      def ? `default: ${def}` : '',
      spec.choices ? `one of: ${spec.choices.join('|')}` : '',
      spec.kind === 'secret' ? `or env ${secretEnvName(name)}` : '',
    ]
      .filter(Boolean)
      .join('; ');
    lines.push(
      `  --${name}${spec.kind === 'boolean' ? '' : ' VALUE'}${spec.kind === 'paths' ? ' (repeatable)' : ''}`,
      `      ${spec.description}${extra ? ` (${extra})` : ''}`,
    );
  }
  lines.push(
    '',
    'Common flags:',
    '  --evidence-pack FILE   evidence pack to append to (default factory-out/evidence-pack.json)',
    '  --event-log FILE       JSONL event log (default: beside the evidence pack)',
    '  --correlation-id ID    run id (default: from the pack, GITHUB_RUN_ID, or new)',
    '  -v, --verbose          show debug output',
  );
  if (Object.keys(d.outputs).length > 0) {
    lines.push('', 'Prints these outputs (name=value):');
    for (const [name, spec] of Object.entries(d.outputs)) lines.push(`  ${name}: ${spec.description}`);
  }
  lines.push('', 'Exit codes: 0 passed, 1 a gate failed, 2 usage or input error.');
  return lines.join('\n');
}

/** Runs one stage subcommand; returns its exit code. */
export async function runStageCommand(command: StageCommand, argv: string[], io: CliIo): Promise<number> {
  const { raw, flags } = parseStageArgs(command, argv, io.env);
  if (flags['help'] === true) {
    io.out(stageHelp(command));
    return 0;
  }
  const logger = new ConsoleLogger(flags['verbose'] === true, io.err);
  const session = await RunSession.open({
    evidencePath: String(flags['evidence-pack']),
    ...(typeof flags['event-log'] === 'string' ? { eventLogPath: flags['event-log'] } : {}),
    ...(typeof flags['correlation-id'] === 'string' ? { correlationId: flags['correlation-id'] } : {}),
    logger,
    workDir: io.cwd,
    env: io.env,
  });
  for (const [name, spec] of Object.entries(command.definition.inputs)) {
    if (spec.kind === 'secret' && raw[name]) session.mask(raw[name]);
  }
  const outcome = await runParsed(command.definition, raw, session);
  report(command.name, outcome, io);
  return outcome.exitCode;
}

/** Parses inside the stage run so a bad input is recorded in the evidence pack like any failure. */
export async function runParsed(
  definition: StageDefinition<unknown>,
  raw: RawInputs,
  session: RunSession,
  adjust: (options: unknown) => unknown = (options) => options,
): Promise<StageOutcome> {
  const ctx = await session.contextFor(definition.name);
  const parsing: StageDefinition<RawInputs> = {
    ...definition,
    parse: (r) => r,
    run: (r, c) => definition.run(adjust(definition.parse(r, { workDir: session.workDir, env: session.env })), c),
  };
  return runStage(parsing, raw, ctx);
}

function report(name: string, outcome: StageOutcome, io: CliIo): void {
  for (const [key, value] of Object.entries(outcome.result?.outputValues ?? {}))
    io.out(`${key}=${value.includes('\n') ? JSON.stringify(value.split('\n')) : value}`);
  for (const note of outcome.record.notes ?? []) io.err(`note: ${note}`);
  const decision = outcome.record.decision
    ? ` (${outcome.record.decision.result}${outcome.record.decision.reason ? `: ${outcome.record.decision.reason}` : ''})`
    : '';
  io.err(`${name}: ${outcome.record.status}${decision}`);
  for (const error of outcome.record.errors) {
    io.err(`error ${error.code}: ${error.message}`);
    if (error.hint) io.err(`  what to do: ${error.hint}`);
    for (const cause of error.causes ?? []) io.err(`  caused by: ${cause}`);
  }
}
