/** The sandboxes the test-install stage can use; later issues add more kinds. */
export const SANDBOX_KINDS = ['overlay'] as const;
export type SandboxKind = (typeof SANDBOX_KINDS)[number];

/** What one command run inside a sandbox produced. */
export interface SandboxRunResult {
  exitCode: number;
  /** The command's output, read back from the files it wrote to (the last 64 MiB of each at most). */
  stdout: string;
  stderr: string;
  /** sha256 of the complete stdout and stderr. */
  stdoutSha256: string;
  stderrSha256: string;
  durationMs: number;
  /** The command was killed because its time ran out (exitCode is then 124, like timeout(1)). */
  timedOut: boolean;
}

export interface SandboxRunOptions {
  timeoutMs: number;
  /** Bytes for the command's standard input. */
  input?: string;
}

/** What a host-side look at the sandbox's writable layer found left behind. */
export interface SandboxChange {
  /** Absolute path inside the sandbox. */
  path: string;
  /** new: not on the host; modified: differs from the host's; removed: a host file deleted in the sandbox. */
  kind: 'new' | 'modified' | 'removed';
  /** file, directory, symlink or other. */
  type: string;
}

/**
 * A throwaway copy of the machine in which packages are installed. State persists between `run`
 * calls; nothing reaches the host; `dispose` removes everything.
 */
export interface InstallSandbox {
  readonly kind: SandboxKind;
  /** Runs `argv` as root inside the sandbox, without network; never throws for a non-zero exit. */
  run(argv: readonly string[], options: SandboxRunOptions): Promise<SandboxRunResult>;
  /** Copies a host file into the sandbox at an absolute path; returns that path. */
  copyIn(hostFile: string, sandboxPath: string): Promise<string>;
  /** Changes the sandbox holds relative to the host, outside the ignored path prefixes. */
  changes(ignore: readonly string[]): Promise<SandboxChange[]>;
  /** Removes the sandbox's directories (safe to call twice). */
  dispose(): Promise<void>;
}
