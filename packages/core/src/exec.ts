import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError } from './errors.ts';
import type { EventLog } from './event-log.ts';
import type { ToolRecord } from './evidence-pack.ts';
import { maskSecrets, type Logger } from './logger.ts';

export interface ExecOptions {
  cwd?: string;
  /** Replaces the environment when given (PATH is kept unless set). */
  env?: NodeJS.ProcessEnv;
  /** Kills the process tree after this many milliseconds (default 10 minutes). */
  timeoutMs?: number;
  /** Bytes written to the tool's standard input. */
  input?: string | Buffer;
  /** Exit codes that are not failures (default: only 0). */
  okExitCodes?: number[];
  /** Extra values to mask in captured output, on top of the runner's registered secrets. */
  secrets?: string[];
  /** Keep stdout as raw bytes (for tools that emit binary). */
  binaryStdout?: boolean;
  /** Skip the version probe (for tools run inside a sandbox, or probed another way). */
  skipProbe?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
  durationMs: number;
}

/** How to ask a tool its version. Most answer `--version`; the first matching line is kept. */
const VERSION_ARGS: Record<string, string[]> = {
  'dpkg-deb': ['--version'],
  dpkg: ['--version'],
  unshare: ['--version'],
  gpg: ['--version'],
  osslsigncode: ['--version'],
  chroot: ['--version'],
  mount: ['--version'],
};

const MAX_CAPTURE = 64 * 1024 * 1024;
const LOG_TAIL = 4000;

/**
 * Runs external tools with argument arrays (never a shell), a timeout, output captured into the
 * event log with secrets masked, and each tool's version probed once and recorded.
 */
export class ExecRunner {
  // Shared with the runners made by forStage: a secret masked anywhere is masked everywhere.
  private secrets = new Set<string>();
  private versions = new Map<string, ToolRecord>();
  private readonly used = new Map<string, ToolRecord>();

  constructor(
    private readonly logger: Logger,
    private readonly events?: EventLog,
    private readonly stage?: string,
  ) {}

  /** A runner for one stage sharing this runner's secrets and version cache, with its own used-tools list. */
  forStage(stage: string, events?: EventLog): ExecRunner {
    const child = new ExecRunner(this.logger, events ?? this.events, stage);
    child.secrets = this.secrets;
    child.versions = this.versions;
    return child;
  }

  mask(secret: string): void {
    if (secret.length === 0) return;
    this.secrets.add(secret);
    this.logger.mask(secret);
    this.events?.mask(secret);
  }

  /** Tools run through this runner (or recorded) since it was created, for the evidence pack. */
  toolsUsed(): ToolRecord[] {
    return [...this.used.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Records a library or a tool version found another way. */
  recordTool(tool: ToolRecord): void {
    this.used.set(tool.name, tool);
  }

  /** Absolute path of an executable on PATH, or undefined. */
  async which(tool: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
    if (tool.includes('/')) return (await isExecutable(tool)) ? path.resolve(tool) : undefined;
    for (const dir of (env['PATH'] ?? '').split(path.delimiter)) {
      if (dir === '') continue;
      const candidate = path.join(dir, tool);
      if (await isExecutable(candidate)) return candidate;
    }
    return undefined;
  }

  /** Fails with TOOL_MISSING naming the tool and the package that provides it. */
  async require(tool: string, packageHint?: string): Promise<string> {
    const found = await this.which(tool);
    if (found === undefined) {
      throw new FactoryError('TOOL_MISSING', `required tool '${tool}' is not installed or not on PATH`, {
        subject: tool,
        hint: packageHint ? `install it (Debian/Ubuntu: apt-get install ${packageHint})` : `install ${tool}`,
      });
    }
    return found;
  }

  /** Probes and records a tool's version (cached). */
  async probe(tool: string, versionArgs?: string[]): Promise<ToolRecord> {
    const cached = this.versions.get(tool);
    if (cached !== undefined) {
      this.used.set(tool, cached);
      return cached;
    }
    const found = await this.require(tool);
    const args = versionArgs ?? VERSION_ARGS[tool] ?? ['--version'];
    let version: string;
    try {
      const result = await spawnCaptured(found, args, { timeoutMs: 30_000 });
      const text = `${result.stdout}\n${result.stderr}`;
      const line = text.split('\n').find((l) => /\d+\.\d+/.test(l)) ?? text.split('\n')[0] ?? '';
      version = /\d+(\.\d+)+([-+~][\w.+~-]*)?/.exec(line)?.[0] ?? (line.trim() || 'unknown');
    } catch {
      version = 'unknown';
    }
    const record: ToolRecord = { name: tool, version, path: found };
    this.versions.set(tool, record);
    this.used.set(tool, record);
    return record;
  }

  /** Runs a tool; a non-accepted exit code fails with TOOL_FAILED carrying the stderr tail. */
  async run(tool: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const env = environmentFor(options);
    const executable = (await this.which(tool, env)) ?? (await this.require(tool));
    if (options.skipProbe !== true) await this.probe(tool);
    const allSecrets = [...this.secrets, ...(options.secrets ?? [])];
    const shownArgs = args.map((a) => maskSecrets(a, allSecrets));
    this.logger.debug(`exec: ${tool} ${shownArgs.join(' ')}`);
    this.events?.emit({
      level: 'debug',
      event: 'exec.start',
      stage: this.stage,
      data: { tool, args: shownArgs, cwd: options.cwd ?? process.cwd() },
    });
    let result: ExecResult;
    try {
      result = await spawnCaptured(executable, args, { ...options, env });
    } catch (error) {
      this.events?.emit({ level: 'error', event: 'exec.error', stage: this.stage, message: String(error), data: { tool } });
      throw error;
    }
    const okCodes = options.okExitCodes ?? [0];
    const ok = okCodes.includes(result.exitCode);
    this.events?.emit({
      level: ok ? 'debug' : 'error',
      event: 'exec.end',
      stage: this.stage,
      data: {
        tool,
        exitCode: result.exitCode,
        durationMs: result.durationMs,
        stdout: options.binaryStdout === true ? `<${result.stdoutBytes.length} bytes>` : tail(maskSecrets(result.stdout, allSecrets)),
        stderr: tail(maskSecrets(result.stderr, allSecrets)),
      },
    });
    if (!ok) {
      const detail = tail(maskSecrets(result.stderr || result.stdout, allSecrets), 1200).trim();
      throw new FactoryError('TOOL_FAILED', `${tool} exited with ${result.exitCode}${detail ? `: ${detail}` : ''}`, {
        subject: tool,
        hint: 'the tool output above (and the event log) says why',
      });
    }
    return result;
  }
}

/** The tool's environment: the given one replaces the process's, keeping PATH unless it sets one. */
function environmentFor(options: ExecOptions): NodeJS.ProcessEnv {
  if (options.env === undefined) return process.env;
  if (options.env['PATH'] !== undefined) return options.env;
  return { PATH: process.env['PATH'], ...options.env };
}

function tail(text: string, max = LOG_TAIL): string {
  return text.length <= max ? text : `…${text.slice(text.length - max)}`;
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function spawnCaptured(executable: string, args: readonly string[], options: ExecOptions): Promise<ExecResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 600_000;
  return new Promise<ExecResult>((resolve, reject) => {
    const child = spawn(executable, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      shell: false,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLength = 0;
    let errLength = 0;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (outLength < MAX_CAPTURE) out.push(chunk);
      outLength += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (errLength < MAX_CAPTURE) err.push(chunk);
      errLength += chunk.length;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(
        new FactoryError('TOOL_MISSING', `cannot start ${path.basename(executable)}: ${error.message}`, {
          cause: error,
          subject: executable,
        }),
      );
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) {
        reject(
          new FactoryError(
            'TOOL_TIMEOUT',
            `${path.basename(executable)} did not finish within ${Math.round(timeoutMs / 1000)} s and was killed`,
            {
              subject: executable,
              hint: 'raise the timeout or look for a prompt waiting for input',
            },
          ),
        );
        return;
      }
      if (outLength > MAX_CAPTURE || errLength > MAX_CAPTURE) {
        // Truncated output would be silently wrong data for the caller: refuse instead.
        reject(
          new FactoryError(
            'TOOL_FAILED',
            `${path.basename(executable)} wrote more than ${MAX_CAPTURE} bytes of output, more than the runner captures`,
            {
              subject: executable,
              hint: 'write the output to a file instead of capturing it',
            },
          ),
        );
        return;
      }
      const stdoutBytes = Buffer.concat(out);
      resolve({
        exitCode: code ?? (signal ? 128 : 1),
        stdout: options.binaryStdout === true ? '' : stdoutBytes.toString('utf8'),
        stdoutBytes,
        stderr: Buffer.concat(err).toString('utf8'),
        durationMs: Date.now() - started,
      });
    });
    child.stdin.on('error', () => {
      /* the tool may exit before reading its input; its exit code tells */
    });
    child.stdin.end(options.input);
  });
}
