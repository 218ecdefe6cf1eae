import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { maskSecrets } from './logger.ts';

export type EventLevel = 'debug' | 'info' | 'warn' | 'error';

export interface FactoryEvent {
  ts: string;
  correlationId: string;
  stage?: string;
  level: EventLevel;
  event: string;
  message?: string;
  data?: Record<string, unknown>;
}

/**
 * The run's event log: one JSON object per line, each with the correlation id, secrets masked.
 * Appends synchronously so lines from a crashing process are not lost.
 */
export class EventLog {
  private readonly secrets = new Set<string>();

  constructor(
    readonly file: string | undefined,
    readonly correlationId: string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    if (file !== undefined) mkdirSync(path.dirname(file), { recursive: true });
  }

  mask(secret: string): void {
    if (secret.length === 0) return;
    this.secrets.add(secret);
    // Lines are masked after JSON encoding: a secret with quotes, backslashes or control
    // characters appears there escaped, so mask that form too.
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret) this.secrets.add(escaped);
  }

  emit(event: Omit<FactoryEvent, 'ts' | 'correlationId'>): void {
    if (this.file === undefined) return;
    const line: FactoryEvent = { ts: this.clock().toISOString(), correlationId: this.correlationId, ...event };
    appendFileSync(this.file, `${maskSecrets(JSON.stringify(line), this.secrets)}\n`);
  }
}
