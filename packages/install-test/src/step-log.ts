import { OutputMasker } from './output-masking.ts';
import type { SandboxRunResult } from './sandbox.ts';

/**
 * One sandbox step as the result's `details.steps` (and so the evidence pack) shows it. The
 * output of a step is the package's own text (maintainer scripts, the tested command) and the
 * evidence pack is attested and published: it carries only digests of that output, plus a short
 * masked tail for a step that failed, so a reader can see why. The full text is in the install log.
 */
export interface StepRecord {
  step: string;
  argv: string[];
  exitCode: number;
  durationMs: number;
  timedOut?: true;
  /** sha256 of the step's complete stdout and stderr, as the sandbox captured them. */
  stdoutSha256: string;
  stderrSha256: string;
  /** Only for a failed step: its last few output lines (stdout, then stderr), secrets masked, long lines cut. */
  tail?: string[];
}

/** Lines of a failed step kept in its record. */
const TAIL_LINES = 10;
/** Characters per tail line: enough for dpkg's messages, not enough to carry a file's content. */
const TAIL_LINE_LENGTH = 200;
/** Per stream in the log file: enough for dpkg's story, bounded for a package listing 100k files. */
const LOG_STREAM_LIMIT = 256 * 1024;

/** The last `count` non-empty lines of a text. */
export function lastLines(text: string, count = TAIL_LINES): string[] {
  // NUL-separated output (stat's records) reads as lines too.
  const lines = text.split(/[\n\0]/).map((l) => l.replace(/\s+$/, ''));
  return lines.filter((l) => l !== '').slice(-count);
}

/** Collects the steps of one install test for the result details and the install log file. */
export class StepLog {
  readonly steps: StepRecord[] = [];
  private readonly sections: string[] = [];

  constructor(readonly masker: OutputMasker = new OutputMasker()) {}

  /** Records a step; `ok` says whether its exit code is what the check expected (a failed step gets a tail). */
  record(step: string, argv: readonly string[], result: SandboxRunResult, ok: boolean): StepRecord {
    const record: StepRecord = {
      step,
      argv: [...argv],
      exitCode: result.exitCode,
      durationMs: result.durationMs,
      stdoutSha256: result.stdoutSha256,
      stderrSha256: result.stderrSha256,
    };
    if (result.timedOut) record.timedOut = true;
    if (!ok || result.timedOut) record.tail = this.tail(result);
    this.steps.push(record);
    this.sections.push(
      [
        `== ${step}: exit ${result.exitCode}${result.timedOut ? ' (timed out)' : ''}, ${result.durationMs} ms`,
        `$ ${argv.map(quoteForLog).join(' ')}`,
        `--- stdout (sha256 ${result.stdoutSha256})`,
        this.masker.mask(bounded(result.stdout)),
        `--- stderr (sha256 ${result.stderrSha256})`,
        this.masker.mask(bounded(result.stderr)),
      ].join('\n'),
    );
    return record;
  }

  /** The short, masked tail of a step's output that may leave the install log (records, error messages). */
  tail(result: Pick<SandboxRunResult, 'stdout' | 'stderr'>, count = TAIL_LINES): string[] {
    // Mask the whole text first: a key's BEGIN line may be above the lines kept.
    return lastLines(this.masker.mask(`${result.stdout}\n${result.stderr}`), count).map((line) =>
      line.length <= TAIL_LINE_LENGTH ? line : `${line.slice(0, TAIL_LINE_LENGTH)}…`,
    );
  }

  /** A line of the stage's own (a check's verdict) between the steps. */
  note(text: string): void {
    this.sections.push(`-- ${text}`);
  }

  /** The install log: a header, then every step with its full (bounded, masked) output. */
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
