/** The only logging surface below actions/ and the CLI: they adapt it to @actions/core or a terminal. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string, subject?: string): void;
  error(message: string, subject?: string): void;
  /** Registers a value that must never appear in output (the action adapter calls core.setSecret). */
  mask(secret: string): void;
}

/** Collects log lines in memory: for tests and for stages that want the text of a sub-step. */
export class MemoryLogger implements Logger {
  readonly lines: { level: 'debug' | 'info' | 'warn' | 'error'; message: string }[] = [];
  readonly secrets = new Set<string>();
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
  mask(secret: string): void {
    if (secret.length > 0) this.secrets.add(secret);
  }
  text(): string {
    return this.lines.map((line) => `${line.level}: ${line.message}`).join('\n');
  }
}

/** Replaces every registered secret in `text` with ***, longest first so overlaps mask fully. */
export function maskSecrets(text: string, secrets: Iterable<string>): string {
  const ordered = [...secrets].filter((s) => s.length >= 3).sort((a, b) => b.length - a.length);
  let out = text;
  for (const secret of ordered) out = out.split(secret).join('***');
  return out;
}
