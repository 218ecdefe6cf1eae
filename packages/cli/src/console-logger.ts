import { maskSecrets, type Logger } from '@packaging-factory/core';

/** Logs to stderr (stdout carries results), masking registered secrets; debug only when verbose. */
export class ConsoleLogger implements Logger {
  private readonly secrets = new Set<string>();

  constructor(
    private readonly verbose: boolean,
    private readonly write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {}

  debug(message: string): void {
    if (this.verbose) this.write(`  debug: ${this.clean(message)}`);
  }
  info(message: string): void {
    this.write(`  ${this.clean(message)}`);
  }
  warn(message: string, subject?: string): void {
    this.write(`  warning: ${this.clean(message)}${subject === undefined ? '' : ` [${subject}]`}`);
  }
  error(message: string, subject?: string): void {
    this.write(`  error: ${this.clean(message)}${subject === undefined ? '' : ` [${subject}]`}`);
  }
  mask(secret: string): void {
    if (secret.length > 0) this.secrets.add(secret);
  }
  private clean(message: string): string {
    return maskSecrets(message, this.secrets);
  }
}
