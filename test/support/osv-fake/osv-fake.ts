import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadOsvDatabase, queryIds, type OsvDatabase } from '@packaging-factory/vuln';

/**
 * A loopback stand-in for the OSV API (https://api.osv.dev), serving the records of a directory.
 * It answers as the API documentation describes (https://google.github.io/osv.dev/api/, sources in
 * google/osv.dev docs/api/):
 *
 * - `POST /v1/querybatch` (post-v1-querybatch.md): `{"queries":[...]}` → `{"results":[...]}`, one
 *   result per query in input order, each `{"vulns":[{"id","modified"}]}` — ids and `modified`
 *   only — or `{}` when nothing matched (proto3 JSON omits empty lists; the page says a result
 *   "may be an empty object"). A result with more than `pageSize` ids carries `next_page_token`;
 *   the client repeats that query with `page_token` ("Pagination" section).
 * - Each query follows /v1/query's parameter rules (post-v1-query.md "Parameters"): `package` by
 *   `name` + `ecosystem` or by `purl`, with `version` (or a versioned purl), or a `commit`; a
 *   `version` together with a versioned purl is a 400. More than 1,000 queries is a 400
 *   "Too many queries." (gcp/api/server.py `_MAX_BATCH_QUERY`).
 * - `GET /v1/vulns/{id}` (get-v1-vulns.md): the full record; unknown id → 404 with the gRPC
 *   status body `{"code":5,"message":"Bug not found."}` (server.py GetVulnById: NOT_FOUND).
 *   Errors use the gRPC-JSON status shape `{"code","message"}`: INVALID_ARGUMENT is code 3 / HTTP 400.
 *
 * Which records affect a query is decided with this repository's matcher (`queryIds`): the fake's
 * job is the protocol, not a second implementation of OSV matching. Commit queries and purl
 * queries are accepted but match nothing (the records served carry no GIT ranges we index).
 *
 * Failures can be injected per route for retry tests: an HTTP status (429 with Retry-After, 503),
 * or a dropped connection (the socket is destroyed before any answer).
 */

export type OsvFakeRoute = 'querybatch' | 'vulns';

export type OsvFakeFailure = { status: number; retryAfter?: string; body?: string } | { drop: true };

export interface OsvFakeRequest {
  method: string;
  path: string;
  route: OsvFakeRoute | 'other';
  /** The parsed JSON body of a POST, when it parsed. */
  body?: unknown;
  /** What the fake answered: a status, or 'dropped'. */
  answered: number | 'dropped';
}

export interface OsvFakeOptions {
  /** Directory of OSV records served (loaded with loadOsvDatabase). */
  recordsDir: string;
  /** Ids per page of one query's result before next_page_token is used (default 1000). */
  pageSize?: number;
}

export interface OsvFake {
  /** Base URL, e.g. http://127.0.0.1:40123 (no /v1). */
  url: string;
  requests: OsvFakeRequest[];
  /** Queues failures answered, in order, by the next requests to `route`. */
  fail(route: OsvFakeRoute, ...failures: OsvFakeFailure[]): void;
  /** Serves this record instead of the directory's copy (e.g. a newer `modified`). */
  override(record: Record<string, unknown>): void;
  close(): Promise<void>;
}

const MAX_BATCH = 1000;

interface BatchQuery {
  commit?: unknown;
  version?: unknown;
  package?: { name?: unknown; ecosystem?: unknown; purl?: unknown };
  page_token?: unknown;
}

export async function startOsvFake(options: OsvFakeOptions): Promise<OsvFake> {
  const database: OsvDatabase = await loadOsvDatabase(options.recordsDir);
  const pageSize = options.pageSize ?? 1000;
  const overrides = new Map<string, Record<string, unknown>>();
  const queued: Record<OsvFakeRoute, OsvFakeFailure[]> = { querybatch: [], vulns: [] };
  const requests: OsvFakeRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();

  const recordOf = (id: string): Record<string, unknown> | undefined =>
    overrides.get(id) ?? (database.record(id) as Record<string, unknown> | undefined);

  const send = (
    response: ServerResponse,
    status: number,
    body: unknown,
    log: OsvFakeRequest,
    headers: Record<string, string> = {},
  ): void => {
    log.answered = status;
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    response.writeHead(status, { 'content-type': 'application/json', ...headers });
    response.end(text);
  };
  const invalid = (response: ServerResponse, message: string, log: OsvFakeRequest): void => send(response, 400, { code: 3, message }, log);

  const answerBatch = (body: unknown, response: ServerResponse, log: OsvFakeRequest): void => {
    if (typeof body !== 'object' || body === null || !Array.isArray((body as { queries?: unknown }).queries)) {
      invalid(response, 'Invalid query.', log);
      return;
    }
    const queries = (body as { queries: BatchQuery[] }).queries;
    if (queries.length > MAX_BATCH) {
      invalid(response, 'Too many queries.', log);
      return;
    }
    const results: Record<string, unknown>[] = [];
    for (const query of queries) {
      if (typeof query !== 'object' || query === null) return invalid(response, 'Invalid query.', log);
      const pkg = query.package;
      const purl = typeof pkg?.purl === 'string' ? pkg.purl : undefined;
      const versionedPurl = purl !== undefined && /@[^/]+$/.test(purl.split('?')[0]!.split('#')[0]!);
      // post-v1-querybatch.md "Version rules": a version and a versioned purl together are a 400.
      if (query.version !== undefined && versionedPurl) return invalid(response, 'Invalid query.', log);
      if (query.commit !== undefined && query.version !== undefined) return invalid(response, 'Invalid query.', log);
      let offset = 0;
      if (query.page_token !== undefined) {
        const decoded = typeof query.page_token === 'string' ? decodeToken(query.page_token) : undefined;
        if (decoded === undefined) return invalid(response, 'Invalid page token.', log);
        offset = decoded;
      }
      let ids: string[] = [];
      if (query.commit === undefined && purl === undefined) {
        if (typeof pkg?.name === 'string' && typeof pkg.ecosystem === 'string' && typeof query.version === 'string') {
          ids = queryIds(database, pkg.ecosystem, pkg.name, query.version);
        } else return invalid(response, 'Invalid query.', log);
      }
      const page = ids.slice(offset, offset + pageSize);
      const result: Record<string, unknown> = {};
      if (page.length > 0) result['vulns'] = page.map((id) => ({ id, modified: modifiedOf(recordOf(id)) }));
      if (offset + pageSize < ids.length) result['next_page_token'] = encodeToken(offset + pageSize);
      results.push(result);
    }
    send(response, 200, { results }, log);
  };

  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const route: OsvFakeRequest['route'] =
        url.pathname === '/v1/querybatch' ? 'querybatch' : url.pathname.startsWith('/v1/vulns/') ? 'vulns' : 'other';
      const log: OsvFakeRequest = { method: request.method ?? '', path: url.pathname, route, answered: 0 };
      requests.push(log);
      const text = Buffer.concat(chunks).toString('utf8');
      if (route !== 'other') {
        const failure = queued[route].shift();
        if (failure !== undefined) {
          if ('drop' in failure) {
            log.answered = 'dropped';
            request.socket.destroy();
            return;
          }
          const headers: Record<string, string> = failure.retryAfter === undefined ? {} : { 'retry-after': failure.retryAfter };
          send(
            response,
            failure.status,
            failure.body ?? { code: failure.status === 429 ? 8 : 14, message: 'injected failure' },
            log,
            headers,
          );
          return;
        }
      }
      if (route === 'querybatch' && request.method === 'POST') {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          invalid(response, 'Invalid JSON payload.', log);
          return;
        }
        log.body = body;
        answerBatch(body, response, log);
        return;
      }
      if (route === 'vulns' && request.method === 'GET') {
        const id = decodeURIComponent(url.pathname.slice('/v1/vulns/'.length));
        const record = recordOf(id);
        if (record === undefined) send(response, 404, { code: 5, message: 'Bug not found.' }, log);
        else send(response, 200, record, log);
        return;
      }
      send(response, 404, { code: 5, message: 'Method does not exist.' }, log);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fail: (route, ...failures) => queued[route].push(...failures),
    override: (record) => overrides.set(String(record['id']), record),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const socket of sockets) socket.destroy();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}

function modifiedOf(record: Record<string, unknown> | undefined): string {
  const modified = record?.['modified'];
  return typeof modified === 'string' ? modified : '';
}

/** Page tokens are opaque to clients (the API's are urlsafe base64 cursors); here: the offset, base64url. */
function encodeToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

function decodeToken(token: string): number | undefined {
  const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  return match === null ? undefined : Number(match[1]);
}
