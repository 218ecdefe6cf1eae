import type { SandboxRunResult } from './sandbox.ts';

/** One sandbox step as the result's `details.steps` shows it: concise, the full text is in the log file. */
export interface StepRecord {
  step: string;
  argv: string[];
  exitCode: number;
  durationMs: number;
  timedOut?: true;
  /** The last lines of the step's output (stdout, then stderr). */
  lastLines: string[];
}

const LAST_LINES = 10;
/** Per stream in the log file: enough for dpkg's story, bounded for a package listing 100k files. */
const LOG_STREAM_LIMIT = 256 * 1024;

/** The last `count` non-empty lines of a text. */
export function lastLines(text: string, count = LAST_LINES): string[] {
  // NUL-separated output (stat's records) reads as lines too.
  const lines = text.split(/[\n\0]/).map((l) => l.replace(/\s+$/, ''));
  return lines.filter((l) => l !== '').slice(-count);
}

/** Collects the steps of one install test for the result details and the install log file. */
export class StepLog {
  readonly steps: StepRecord[] = [];
  private readonly sections: string[] = [];

  record(step: string, argv: readonly string[], result: SandboxRunResult): StepRecord {
    const record: StepRecord = {
      step,
      argv: [...argv],
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      lastLines: lastLines(`${result.stdout}\n${result.stderr}`),
    };
    if (result.timedOut) record.timedOut = true;
    this.steps.push(record);
    this.sections.push(
      [
        `== ${step}: exit ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}, ${result.durationMs} ms`,
        `$ ${argv.map(quoteForLog).join(' ')}`,
        '--- stdout',
        bounded(result.stdout),
        '--- stderr',
        bounded(result.stderr),
      ].join('\n'),
    );
    return record;
  }

  /** A line of the stage's own (a check's verdict) between the steps. */
  note(text: string): void {
    this.sections.push(`-- ${text}`);
  }

  /** The install log: a header, then every step with its full (bounded) output. */
  text(header: readonly string[]): string {
    return `${[...header, '', ...this.sections].join('\n').replace(/\n+$/, '')}\n`;
  }
}

function bounded(text: string): string {
  const trimmed = text.replace(/\0/g, '\n').replace(/\n+$/, '');
  return trimmed.length <= LOG_STREAM_LIMIT
    ? trimmed
    : `[… ${trimmed.length - LOG_STREAM_LIMIT} earlier characters cut]\n${trimmed.slice(-LOG_STREAM_LIMIT)}`;
}

/** Shows an argument so a reader can tell where it starts and ends (display only, never executed). */
function quoteForLog(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
