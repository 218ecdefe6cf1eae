import { FactoryError, isRetryableHttpError, parseRetryAfter, retry, retryAfterHintMs } from '@packaging-factory/core';

/** An error shaped like the ones HTTP clients throw (Octokit's RequestError has `status` and `response`). */
function httpError(status: number, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`HTTP ${status}`), { status }, extra);
}
function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code}`), { code });
}

/** A fake clock: records each wait instead of waiting. */
function recorder(): { sleeps: number[]; sleep: (ms: number) => Promise<void> } {
  const sleeps: number[] = [];
  return { sleeps, sleep: (ms) => Promise.resolve(void sleeps.push(ms)) };
}

describe('retry', () => {
  it('returns the first success, passing the attempt number', async () => {
    const { sleeps, sleep } = recorder();
    const seen: number[] = [];
    const value = await retry(
      (attempt) => {
        seen.push(attempt);
        return attempt < 3 ? Promise.reject(httpError(503)) : Promise.resolve('ok');
      },
      { sleep, random: () => 0.5 },
    );
    expect(value).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
    expect(sleeps).toEqual([250, 500]); // full jitter: half of 500, half of 1000
  });

  it('makes 3 attempts by default, then rethrows the last error unchanged', async () => {
    const { sleeps, sleep } = recorder();
    const errors = [httpError(500), httpError(502), httpError(504)];
    let calls = 0;
    const caught = await retry(() => Promise.reject(errors[calls++]!), { sleep, random: () => 0 }).catch((e: unknown) => e);
    expect(calls).toBe(3);
    expect(caught).toBe(errors[2]);
    expect(sleeps).toEqual([0, 0]);
  });

  it('grows the wait exponentially up to maxDelayMs; without jitter the wait is the cap itself', async () => {
    const { sleeps, sleep } = recorder();
    const retries: [number, number][] = [];
    await expect(
      retry(() => Promise.reject(networkError('ECONNRESET')), {
        attempts: 7,
        baseDelayMs: 100,
        factor: 3,
        maxDelayMs: 5000,
        jitter: 'none',
        sleep,
        onRetry: (_error, attempt, delayMs) => retries.push([attempt, delayMs]),
      }),
    ).rejects.toThrow('ECONNRESET');
    expect(sleeps).toEqual([100, 300, 900, 2700, 5000, 5000]);
    expect(retries).toEqual([
      [1, 100],
      [2, 300],
      [3, 900],
      [4, 2700],
      [5, 5000],
      [6, 5000],
    ]);
  });

  it('draws full-jitter waits uniformly below the cap', async () => {
    const { sleeps, sleep } = recorder();
    const draws = [0.99, 0.1, 0.5];
    await expect(retry(() => Promise.reject(httpError(429)), { attempts: 4, sleep, random: () => draws.shift()! })).rejects.toThrow();
    expect(sleeps).toEqual([Math.floor(0.99 * 500), Math.floor(0.1 * 1000), Math.floor(0.5 * 2000)]);
  });

  it('stops at once on an error that is not retryable', async () => {
    const { sleeps, sleep } = recorder();
    let calls = 0;
    const notFound = httpError(404);
    await expect(
      retry(
        () => {
          calls++;
          return Promise.reject(notFound);
        },
        { sleep },
      ),
    ).rejects.toBe(notFound);
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
    const custom = await retry(
      (attempt) => (attempt === 1 ? Promise.reject(new FactoryError('NETWORK_FAILED', 'flaky')) : Promise.resolve(attempt)),
      { sleep, retryable: (e) => e instanceof FactoryError },
    );
    expect(custom).toBe(2);
  });

  it('honours a Retry-After hint as the least wait, never above maxDelayMs', async () => {
    const { sleeps, sleep } = recorder();
    await expect(
      retry(() => Promise.reject(httpError(503, { retryAfterMs: 4000 })), { attempts: 2, sleep, random: () => 0 }),
    ).rejects.toThrow();
    await expect(
      retry(() => Promise.reject(httpError(429, { retryAfterMs: 120_000 })), { attempts: 2, maxDelayMs: 10_000, sleep, random: () => 0 }),
    ).rejects.toThrow();
    await expect(
      retry(() => Promise.reject(httpError(429, { response: { status: 429, headers: { 'retry-after': '7' } } })), {
        attempts: 2,
        sleep,
        random: () => 0,
      }),
    ).rejects.toThrow();
    expect(sleeps).toEqual([4000, 10_000, 7000]);
  });

  it('really waits with the default sleep', async () => {
    const started = Date.now();
    let calls = 0;
    await retry(() => (++calls === 1 ? Promise.reject(networkError('ETIMEDOUT')) : Promise.resolve()), { baseDelayMs: 40, jitter: 'none' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
  });

  it('rejects nonsensical options as a programming error', async () => {
    await expect(retry(() => Promise.resolve(1), { attempts: 0 })).rejects.toThrow(RangeError);
    await expect(retry(() => Promise.resolve(1), { attempts: 1.5 })).rejects.toThrow(RangeError);
    await expect(retry(() => Promise.resolve(1), { baseDelayMs: -1 })).rejects.toThrow(RangeError);
    await expect(retry(() => Promise.resolve(1), { factor: 0.5 })).rejects.toThrow(RangeError);
    await expect(retry(() => Promise.resolve(1), { attempts: 1 })).resolves.toBe(1);
  });
});

describe('isRetryableHttpError', () => {
  it.each([408, 429, 500, 502, 503, 504, 599])('retries HTTP %i', (status) => {
    expect(isRetryableHttpError(httpError(status))).toBe(true);
    expect(isRetryableHttpError({ statusCode: status })).toBe(true);
    expect(isRetryableHttpError({ response: { status } })).toBe(true);
  });

  it.each([400, 401, 403, 404, 409, 422, 301])('does not retry HTTP %i', (status) => {
    expect(isRetryableHttpError(httpError(status))).toBe(false);
  });

  it.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET'])('retries network error %s', (code) => {
    expect(isRetryableHttpError(networkError(code))).toBe(true);
  });

  it('retries fetch failures and timeouts, looking through the cause chain', () => {
    // undici's shape: TypeError('fetch failed') with the system error as cause.
    expect(isRetryableHttpError(new TypeError('fetch failed', { cause: networkError('ENOTFOUND') }))).toBe(true);
    expect(isRetryableHttpError(new FactoryError('NETWORK_FAILED', 'osv', { cause: networkError('ECONNRESET') }))).toBe(true);
    expect(isRetryableHttpError(new Error('wrapped', { cause: httpError(502) }))).toBe(true);
    const timeout = new Error('The operation was aborted due to timeout');
    timeout.name = 'TimeoutError';
    expect(isRetryableHttpError(timeout)).toBe(true);
  });

  it('does not retry bugs, permanent failures or non-errors', () => {
    expect(isRetryableHttpError(new TypeError('x is not a function'))).toBe(false);
    expect(isRetryableHttpError(networkError('ENOTFOUND'))).toBe(false);
    expect(isRetryableHttpError(networkError('EACCES'))).toBe(false);
    expect(isRetryableHttpError(new FactoryError('INPUT_INVALID', 'bad'))).toBe(false);
    expect(isRetryableHttpError('ECONNRESET')).toBe(false);
    expect(isRetryableHttpError(null)).toBe(false);
    expect(isRetryableHttpError({ status: 'oops' })).toBe(false);
    // An explicit non-retryable status wins over a retryable cause.
    expect(isRetryableHttpError(httpError(404, { cause: networkError('ECONNRESET') }))).toBe(false);
  });
});

describe('Retry-After', () => {
  const now = new Date('2025-01-01T00:00:00Z');
  it('parses delay-seconds and HTTP-dates (RFC 9110 §10.2.3)', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });

  it('reads the hint from retryAfterMs or the response headers', () => {
    expect(retryAfterHintMs({ retryAfterMs: 1500 })).toBe(1500);
    expect(retryAfterHintMs({ retryAfterMs: -1 })).toBeUndefined();
    expect(retryAfterHintMs({ response: { headers: { 'retry-after': '3' } } }, now)).toBe(3000);
    expect(retryAfterHintMs({ response: { headers: { 'retry-after': 3 } } }, now)).toBeUndefined();
    expect(retryAfterHintMs(new Error('x'))).toBeUndefined();
    expect(retryAfterHintMs(undefined)).toBeUndefined();
  });
});
