import { setTimeout as delay } from 'node:timers/promises';

export interface RetryOptions {
  /** Total attempts, the first included (default 3). */
  attempts?: number;
  /** Delay cap before the first retry (default 500 ms). */
  baseDelayMs?: number;
  /** No single wait is longer than this (default 30 s), whatever the backoff or a Retry-After hint says. */
  maxDelayMs?: number;
  /** Growth of the delay cap per attempt (default 2). */
  factor?: number;
  /** 'full' waits a random time in [0, cap) (default); 'none' waits the cap itself. */
  jitter?: 'full' | 'none';
  /** Whether an error is worth another attempt (default: `isRetryableHttpError`). */
  retryable?: (error: unknown) => boolean;
  /** Called before each wait with the error, the attempt that failed (1-based) and the wait. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /** Injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Injectable for tests: a number in [0, 1). */
  random?: () => number;
}

const DEFAULT_MAX_DELAY_MS = 30_000;

/**
 * Calls `fn` until it succeeds, the error is not retryable, or the attempts run out; then rethrows
 * the last error unchanged. Waits grow exponentially with "full jitter" (a uniformly random wait
 * below the exponential cap), which the AWS Architecture Blog's "Exponential Backoff and Jitter"
 * shows spreads competing clients best. A `retryAfterMs` hint on the error (HTTP Retry-After) is
 * honoured as a minimum wait, still capped by `maxDelayMs`.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const factor = options.factor ?? 2;
  if (!Number.isInteger(attempts) || attempts < 1) throw new RangeError(`retry: attempts must be a positive integer, got ${attempts}`);
  if (!(baseDelayMs >= 0) || !(maxDelayMs >= 0) || !(factor >= 1)) {
    throw new RangeError('retry: baseDelayMs and maxDelayMs must be >= 0 and factor >= 1');
  }
  const retryable = options.retryable ?? isRetryableHttpError;
  const sleep = options.sleep ?? ((ms: number) => delay(ms).then(() => undefined));
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= attempts || !retryable(error)) throw error;
      const cap = Math.min(maxDelayMs, baseDelayMs * factor ** (attempt - 1));
      let wait = options.jitter === 'none' ? cap : Math.floor(random() * cap);
      const hint = retryAfterHintMs(error);
      if (hint !== undefined) wait = Math.max(wait, hint);
      wait = Math.min(wait, maxDelayMs);
      options.onRetry?.(error, attempt, wait);
      await sleep(wait);
    }
  }
}

/** Network error codes (Node's and undici's) that usually heal on their own. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EPIPE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * True for failures worth retrying: HTTP 408, 429 and 5xx (the status read from `status`,
 * `statusCode` or `response.status`, as Octokit and most clients expose it), transient network
 * errors (ECONNRESET, ECONNREFUSED, ETIMEDOUT, EAI_AGAIN, ...), fetch's `TypeError: fetch failed`
 * and timeouts from `AbortSignal.timeout`. The cause chain is searched, since clients wrap these.
 */
export function isRetryableHttpError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && typeof current === 'object' && current !== null; depth++) {
    const status = httpStatusOf(current);
    if (status !== undefined) return status === 408 || status === 429 || (status >= 500 && status <= 599);
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
    // undici rejects with a bare TypeError('fetch failed') whose cause says what broke.
    if (current instanceof TypeError && current.message === 'fetch failed') return true;
    if (current instanceof Error && current.name === 'TimeoutError') return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

function httpStatusOf(value: object): number | undefined {
  const candidates = [
    (value as { status?: unknown }).status,
    (value as { statusCode?: unknown }).statusCode,
    (value as { response?: { status?: unknown } }).response?.status,
  ];
  return candidates.find((c): c is number => typeof c === 'number' && Number.isInteger(c) && c >= 100 && c <= 599);
}

/**
 * The wait a server asked for: a numeric `retryAfterMs` on the error, else a Retry-After header on
 * `error.response.headers` (Octokit's RequestError shape).
 */
export function retryAfterHintMs(error: unknown, now: Date = new Date()): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const given = (error as { retryAfterMs?: unknown }).retryAfterMs;
  if (typeof given === 'number' && Number.isFinite(given) && given >= 0) return given;
  const headers = (error as { response?: { headers?: Record<string, unknown> } }).response?.headers;
  const header = headers?.['retry-after'];
  return typeof header === 'string' ? parseRetryAfter(header, now) : undefined;
}

/** Parses an HTTP Retry-After value (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) into milliseconds. */
export function parseRetryAfter(value: string, now: Date = new Date()): number | undefined {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Every HTTP-date form names a month: this keeps Date.parse from reading "-5" as a year.
  if (!/[A-Za-z]/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now.getTime());
}
