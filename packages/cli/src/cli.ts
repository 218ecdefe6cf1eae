import { parseArgs } from 'node:util';
import { describeError, exitCodeFor, FactoryError, isFactoryError } from '@packaging-factory/core';
import { findCommand, STAGE_COMMANDS } from './commands.ts';
import { runPipeline } from './run-pipeline.ts';
import { runSbomValidate } from './sbom-validate.ts';
import { runStageCommand, type CliIo } from './stage-command.ts';

export const FACTORY_VERSION = '0.1.0';

function usage(): string {
  const lines = [
    'factory — the Packaging Factory pipeline on one machine',
    '',
    'Usage:',
    '  factory run [PIPELINE.yml] [--out DIR] [--correlation-id ID] [-v]   run every stage of a pipeline file',
  ];
  for (const c of STAGE_COMMANDS) {
    const alias = c.aliases.length > 0 ? ` (alias: ${c.aliases.join(', ')})` : '';
    lines.push(`  factory ${c.name} ...${alias}`.padEnd(46) + c.definition.title);
  }
  lines.push(`  factory sbom validate FILE...`.padEnd(46) + 'Check CycloneDX / SPDX documents against their schemas');
  lines.push('', "Each stage command's flags are the inputs of the GitHub Action of the same name; 'factory <command> --help' lists them.");
  lines.push(
    'Exit codes: 0 passed, 1 a gate failed (blocking vulnerability, failed verification or install test), 2 usage or input error.',
  );
  return lines.join('\n');
}

/** The CLI entry: returns the exit code, never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.out(usage());
      return command === undefined ? 2 : 0;
    }
    if (command === '--version' || command === 'version') {
      io.out(FACTORY_VERSION);
      return 0;
    }
    if (command === 'run') {
      const { values, positionals } = parseArgs({
        args: rest,
        options: {
          out: { type: 'string', default: 'out' },
          'correlation-id': { type: 'string' },
          verbose: { type: 'boolean', short: 'v' },
          help: { type: 'boolean', short: 'h' },
        },
        allowPositionals: true,
        strict: true,
      });
      if (values.help === true) {
        io.out(
          'factory run [PIPELINE.yml] [--out DIR] [--correlation-id ID] [-v]\n\nRuns build-package, generate-sbom, scan, sign, test-install, attest-provenance and publish in order,\nwiring each stage’s outputs into the next; stops at the first failure. Default pipeline file: factory.yml.',
        );
        return 0;
      }
      if (positionals.length > 1) throw new FactoryError('INPUT_INVALID', `factory run takes one pipeline file, got ${positionals.length}`);
      return await runPipeline(
        {
          pipelineFile: positionals[0] ?? 'factory.yml',
          outDir: values.out,
          verbose: values.verbose === true,
          argv: rest,
          ...(values['correlation-id'] ? { correlationId: values['correlation-id'] } : {}),
        },
        io,
      );
    }
    if ((command === 'sbom' || command === 'generate-sbom') && rest[0] === 'validate') return await runSbomValidate(rest.slice(1), io);
    const stage = findCommand(command);
    if (stage === undefined) {
      io.err(`factory: unknown command '${command}'\n`);
      io.err(usage());
      return 2;
    }
    return await runStageCommand(stage, rest, io);
  } catch (error) {
    io.err(`factory: ${describeError(error).join('\n  caused by: ')}`);
    if (isFactoryError(error) && error.hint) io.err(`  what to do: ${error.hint}`);
    if (!isFactoryError(error) && error instanceof Error && error.stack) io.err(error.stack);
    return exitCodeFor(error);
  }
}
