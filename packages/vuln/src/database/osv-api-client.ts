import { FactoryError, parseRetryAfter, retry, type Logger, type RetryOptions } from '@packaging-factory/core';

/**
 * A client for the two OSV API calls a scan needs, as https://google.github.io/osv.dev/api/ documents
 * them (docs/api/post-v1-querybatch.md and get-v1-vulns.md in google/osv.dev):
 *
 * - `POST /v1/querybatch` `{"queries":[{"package":{"ecosystem","name"},"version"}, ...]}` answers
 *   `{"results":[{"vulns":[{"id","modified"}], "next_page_token"?}, ...]}`, one result per query in
 *   the same order; a result with nothing to report may be `{}` (proto3 JSON leaves out empty lists).
 *   At most 1,000 queries per request (gcp/api/server.py `_MAX_BATCH_QUERY`: more is a 400
 *   "Too many queries."). A result carrying `next_page_token` has more: the next request repeats
 *   that query with `page_token` set to it ("Pagination" in the querybatch page).
 * - `GET /v1/vulns/{id}` answers the full OSV record; an unknown id is a 404 (`{"code":5,"message":"Bug not found."}`).
 *
 * Every request is retried with backoff (core retry.ts) on 408, 429 (honouring Retry-After), 5xx,
 * dropped connections and timeouts.
 */

export const DEFAULT_OSV_API_URL = 'https://api.osv.dev';
/** The API's documented per-request limit of queries in a batch. */
export const MAX_BATCH_QUERIES = 1000;

export interface OsvApiQuery {
  /** OSV ecosystem, with a release suffix where the ecosystem has them (`Debian:12`). */
  ecosystem: string;
  name: string;
  version: string;
}

export interface OsvVulnSummary {
  id: string;
  modified: string;
}

export interface OsvApiClientOptions {
  /** Base URL without the `/v1` part (default https://api.osv.dev). */
  baseUrl?: string;
  /** Per-request timeout (default 60 s). */
  timeoutMs?: number;
  /** Retry policy for each request (default: 5 attempts, 1 s base, 30 s cap). */
  retry?: RetryOptions;
  /** Requests in flight at once for GET /v1/vulns (default 8). */
  concurrency?: number;
  /** Queries per querybatch request (default and maximum 1,000). */
  batchSize?: number;
  /** Pages followed per query before giving up (a server that never stops paginating). Default 100. */
  maxPages?: number;
  logger?: Logger;
  /** Injectable for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** An HTTP answer other than 200: carries the status (and Retry-After) the retry policy reads. */
export class OsvApiHttpError extends Error {
  override readonly name = 'OsvApiHttpError';
  constructor(
    readonly url: string,
    readonly status: number,
    readonly body: string,
    readonly retryAfterMs?: number,
  ) {
    super(`${url} answered HTTP ${status}${body === '' ? '' : `: ${body.slice(0, 200)}`}`);
  }
}

function unavailable(message: string, subject: string, cause?: unknown): FactoryError {
  return new FactoryError('SCAN_DB_UNAVAILABLE', message, {
    subject,
    hint: 'check the network and the OSV API URL, or scan against an offline database (a directory or osv.dev all.zip)',
    cause,
  });
}

export class OsvApiClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly retryOptions: RetryOptions;
  private readonly fetchImpl: typeof fetch;
  readonly concurrency: number;
  private readonly batchSize: number;
  private readonly maxPages: number;

  constructor(private readonly options: OsvApiClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_OSV_API_URL).replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.retryOptions = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 30_000, ...options.retry };
    this.fetchImpl = options.fetch ?? fetch;
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.batchSize = Math.min(MAX_BATCH_QUERIES, Math.max(1, options.batchSize ?? MAX_BATCH_QUERIES));
    this.maxPages = options.maxPages ?? 100;
  }

  /**
   * The (id, modified) pairs affecting each query, in query order, every page followed. Queries
   * go out in batches of at most 1,000; follow-up requests carry only the queries that had a
   * `next_page_token`, each with its token.
   */
  async queryBatch(queries: readonly OsvApiQuery[]): Promise<OsvVulnSummary[][]> {
    const results: OsvVulnSummary[][] = queries.map(() => []);
    let pending: { index: number; token?: string; pages: number }[] = queries.map((_, index) => ({ index, pages: 0 }));
    while (pending.length > 0) {
      const next: typeof pending = [];
      for (let start = 0; start < pending.length; start += this.batchSize) {
        const slice = pending.slice(start, start + this.batchSize);
        const body = {
          queries: slice.map(({ index, token }) => {
            const query = queries[index]!;
            const item: Record<string, unknown> = { package: { ecosystem: query.ecosystem, name: query.name }, version: query.version };
            if (token !== undefined) item['page_token'] = token;
            return item;
          }),
        };
        const answer = await this.request('POST', '/v1/querybatch', body);
        const batch = parseBatch(answer, slice.length, this.url('/v1/querybatch'));
        batch.forEach((result, i) => {
          const item = slice[i]!;
          results[item.index]!.push(...result.vulns);
          if (result.nextPageToken !== undefined) {
            if (item.pages + 1 >= this.maxPages) {
              throw unavailable(
                `${this.url('/v1/querybatch')} kept paginating the query for ${describe(queries[item.index]!)} past ${this.maxPages} pages`,
                this.baseUrl,
              );
            }
            next.push({ index: item.index, token: result.nextPageToken, pages: item.pages + 1 });
          }
        });
      }
      pending = next;
    }
    return results;
  }

  /** The full record of one vulnerability, as the API serves it (bytes and parsed). */
  async getVuln(id: string): Promise<{ bytes: Buffer; record: unknown }> {
    const bytes = await this.requestBytes('GET', `/v1/vulns/${encodeURIComponent(id)}`);
    try {
      return { bytes, record: JSON.parse(bytes.toString('utf8')) };
    } catch (error) {
      throw unavailable(`${this.url(`/v1/vulns/${id}`)} did not answer JSON`, this.baseUrl, error);
    }
  }

  url(route: string): string {
    return `${this.baseUrl}${route}`;
  }

  private async request(method: string, route: string, body?: unknown): Promise<unknown> {
    const bytes = await this.requestBytes(method, route, body);
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch (error) {
      throw unavailable(`${this.url(route)} did not answer JSON`, this.baseUrl, error);
    }
  }

  private async requestBytes(method: string, route: string, body?: unknown): Promise<Buffer> {
    const url = this.url(route);
    try {
      return await retry(
        async () => {
          const init: RequestInit = { method, headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) };
          if (body !== undefined) {
            init.body = JSON.stringify(body);
            init.headers = { accept: 'application/json', 'content-type': 'application/json' };
          }
          const response = await this.fetchImpl(url, init);
          const data = Buffer.from(await response.arrayBuffer());
          if (response.status !== 200) {
            const retryAfter = response.headers.get('retry-after');
            const hint = retryAfter === null ? undefined : parseRetryAfter(retryAfter);
            throw new OsvApiHttpError(url, response.status, data.toString('utf8'), hint);
          }
          return data;
        },
        {
          ...this.retryOptions,
          onRetry: (error, attempt, delayMs) => {
            this.options.logger?.warn(
              `OSV API ${method} ${url} failed (attempt ${attempt}): ${describeFailure(error)}; retrying in ${delayMs} ms`,
            );
            this.retryOptions.onRetry?.(error, attempt, delayMs);
          },
        },
      );
    } catch (error) {
      if (error instanceof FactoryError) throw error;
      if (error instanceof OsvApiHttpError && error.status === 404) throw error;
      throw unavailable(`OSV API ${method} ${url} failed: ${describeFailure(error)}`, this.baseUrl, error);
    }
  }
}

function describe(query: OsvApiQuery): string {
  return `${query.ecosystem}/${query.name}@${query.version}`;
}

function describeFailure(error: unknown): string {
  if (error instanceof OsvApiHttpError) return `HTTP ${error.status}`;
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** Checks a querybatch answer against the documented shape; anything else fails closed. */
function parseBatch(answer: unknown, expected: number, url: string): { vulns: OsvVulnSummary[]; nextPageToken?: string }[] {
  const bad = (why: string): FactoryError => unavailable(`${url} answered an unexpected querybatch shape: ${why}`, url);
  if (typeof answer !== 'object' || answer === null) throw bad('not an object');
  const results = (answer as { results?: unknown }).results ?? [];
  if (!Array.isArray(results)) throw bad('results is not a list');
  // Results come back in query order, one per query (the querybatch page: "ordering will be guaranteed to match the input").
  if (results.length !== expected) throw bad(`${results.length} results for ${expected} queries`);
  return results.map((result: unknown, i) => {
    if (typeof result !== 'object' || result === null) throw bad(`results[${i}] is not an object`);
    const { vulns, next_page_token: token } = result as { vulns?: unknown; next_page_token?: unknown };
    const list = vulns ?? [];
    if (!Array.isArray(list)) throw bad(`results[${i}].vulns is not a list`);
    const summaries = list.map((vuln: unknown, j) => {
      const { id, modified } = (vuln ?? {}) as { id?: unknown; modified?: unknown };
      if (typeof id !== 'string' || id === '' || typeof modified !== 'string') throw bad(`results[${i}].vulns[${j}] lacks id or modified`);
      return { id, modified };
    });
    if (token !== undefined && (typeof token !== 'string' || token === '')) throw bad(`results[${i}].next_page_token is not a string`);
    return token === undefined ? { vulns: summaries } : { vulns: summaries, nextPageToken: token };
  });
}
