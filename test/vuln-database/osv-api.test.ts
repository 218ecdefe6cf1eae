import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError, MemoryLogger } from '@packaging-factory/core';
import { databaseProvenance, fetchOsvApiDatabase, OsvApiClient, queryIds, type OsvApiQuery } from '@packaging-factory/vuln';
import { startOsvFake, type OsvFake } from '../support/osv-fake/osv-fake.ts';
import { tempDir } from '../support/context.ts';
import { readMatchingCases, type MatchingCase } from '../vuln/fixtures.ts';
import { MATCHING_DB } from './zip-dumps.ts';

const CASES = readMatchingCases();
// Fast retries: the policy is exercised, the test does not wait seconds.
const FAST = { attempts: 4, baseDelayMs: 1, maxDelayMs: 20 };

async function failure(promise: Promise<unknown>): Promise<FactoryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FactoryError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

const query = (c: MatchingCase): OsvApiQuery => ({ ecosystem: c.ecosystem, name: c.name, version: c.version });

let fake: OsvFake;
let dir: string;
beforeEach(async () => {
  dir = await tempDir('osv-api-test-');
});
afterEach(async () => {
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the loopback OSV API answers as documented', () => {
  beforeEach(async () => {
    fake = await startOsvFake({ recordsDir: MATCHING_DB });
  });

  const post = (body: unknown): Promise<Response> =>
    fetch(`${fake.url}/v1/querybatch`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('querybatch: one result per query in order, ids and modified only, {} when nothing matched', async () => {
    const response = await post({
      queries: [
        { package: { ecosystem: 'npm', name: 'lodash' }, version: '4.17.20' },
        { package: { ecosystem: 'npm', name: 'lodash' }, version: '4.17.21' },
        { package: { ecosystem: 'Debian:9', name: 'openssl' }, version: '1.1.0l-1~deb9u5' },
      ],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { results: { vulns?: { id: string; modified: string }[] }[] };
    expect(body.results).toHaveLength(3);
    expect(body.results[0]!.vulns!.map((v) => v.id).sort()).toEqual(['GHSA-29mw-wpgm-hmr9', 'GHSA-35jh-r3h4-6jhm']);
    expect(Object.keys(body.results[0]!.vulns![0]!).sort()).toEqual(['id', 'modified']);
    expect(body.results[1]).toEqual({});
    expect(body.results[2]!.vulns!.map((v) => v.id)).toEqual(['DLA-3008-1']);
    expect(body.results[2]!.vulns![0]!.modified).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('querybatch: 400 with a gRPC status body for more than 1,000 queries, bad JSON, or a version with a versioned purl', async () => {
    const many = Array.from({ length: 1001 }, () => ({ package: { ecosystem: 'npm', name: 'x' }, version: '1.0.0' }));
    const tooMany = await post({ queries: many });
    expect([tooMany.status, await tooMany.json()]).toEqual([400, { code: 3, message: 'Too many queries.' }]);
    expect((await post('{"queries": [')).status).toBe(400);
    const both = await post({ queries: [{ package: { purl: 'pkg:npm/lodash@4.17.20' }, version: '4.17.20' }] });
    expect(both.status).toBe(400);
  });

  it('vulns: the record for a known id, 404 "Bug not found." for an unknown one', async () => {
    const known = await fetch(`${fake.url}/v1/vulns/GHSA-35jh-r3h4-6jhm`);
    expect(known.status).toBe(200);
    expect(((await known.json()) as { id: string }).id).toBe('GHSA-35jh-r3h4-6jhm');
    const unknown = await fetch(`${fake.url}/v1/vulns/GHSA-0000-0000-0000`);
    expect([unknown.status, await unknown.json()]).toEqual([404, { code: 5, message: 'Bug not found.' }]);
  });

  it('paginates a result past its page size with next_page_token', async () => {
    await fake.close();
    fake = await startOsvFake({ recordsDir: MATCHING_DB, pageSize: 1 });
    const first = (await (await post({ queries: [{ package: { ecosystem: 'npm', name: 'lodash' }, version: '4.17.20' }] })).json()) as {
      results: { vulns: unknown[]; next_page_token?: string }[];
    };
    expect(first.results[0]!.vulns).toHaveLength(1);
    expect(first.results[0]!.next_page_token).toEqual(expect.any(String));
  });
});

describe('fetching from the OSV API', () => {
  beforeEach(async () => {
    fake = await startOsvFake({ recordsDir: MATCHING_DB });
  });

  it('answers every osv-matching query as the offline database does, from querybatch then /v1/vulns', async () => {
    const database = await fetchOsvApiDatabase(CASES.map(query), { baseUrl: fake.url, retry: FAST });
    const failures = CASES.flatMap((c) => {
      const got = queryIds(database, c.ecosystem, c.name, c.version).sort();
      return JSON.stringify(got) === JSON.stringify([...c.expected_ids].sort()) ? [] : [c.id];
    });
    expect(failures).toEqual([]);
    const batches = fake.requests.filter((r) => r.route === 'querybatch');
    expect(batches).toHaveLength(1);
    const ids = new Set(CASES.flatMap((c) => c.expected_ids));
    // Each reported id is fetched once.
    expect(fake.requests.filter((r) => r.route === 'vulns').length).toBe(ids.size);
    expect(database.info).toMatchObject({ kind: 'osv-api', path: fake.url, records: ids.size });
    expect(database.covers('Go')).toBe(true);
    expect(databaseProvenance(database)).toMatchObject({
      kind: 'osv-api',
      location: fake.url,
      sources: [{ path: fake.url, kind: 'osv-api' }],
    });
  });

  it('sends at most 1,000 queries per request', async () => {
    const queries = Array.from({ length: 2001 }, (_, i) => ({ ecosystem: 'npm', name: `absent-${i}`, version: '1.0.0' }));
    queries.push({ ecosystem: 'npm', name: 'minimist', version: '1.2.0' });
    const database = await fetchOsvApiDatabase(queries, { baseUrl: fake.url, retry: FAST });
    const sizes = fake.requests.filter((r) => r.route === 'querybatch').map((r) => (r.body as { queries: unknown[] }).queries.length);
    expect(sizes).toEqual([1000, 1000, 2]);
    expect(queryIds(database, 'npm', 'minimist', '1.2.0').length).toBeGreaterThan(0);
  });

  it('follows next_page_token per query, repeating only the queries that have more', async () => {
    await fake.close();
    fake = await startOsvFake({ recordsDir: MATCHING_DB, pageSize: 1 });
    const client = new OsvApiClient({ baseUrl: fake.url, retry: FAST });
    const results = await client.queryBatch([
      { ecosystem: 'npm', name: 'lodash', version: '4.17.20' },
      { ecosystem: 'npm', name: 'left-pad', version: '1.0.0' },
    ]);
    expect(results[0]!.map((v) => v.id).sort()).toEqual(['GHSA-29mw-wpgm-hmr9', 'GHSA-35jh-r3h4-6jhm']);
    expect(results[1]).toEqual([]);
    const bodies = fake.requests.filter((r) => r.route === 'querybatch').map((r) => r.body as { queries: { page_token?: string }[] });
    expect(bodies.map((b) => b.queries.length)).toEqual([2, 1]);
    expect(bodies[1]!.queries[0]!.page_token).toEqual(expect.any(String));
  });

  it('retries 429 (honouring Retry-After), 503 and a dropped connection, then succeeds', async () => {
    fake.fail('querybatch', { status: 429, retryAfter: '0' }, { status: 503 });
    fake.fail('vulns', { drop: true }, { status: 503 });
    const logger = new MemoryLogger();
    const waits: number[] = [];
    const database = await fetchOsvApiDatabase([{ ecosystem: 'npm', name: 'minimist', version: '1.2.0' }], {
      baseUrl: fake.url,
      retry: { ...FAST, onRetry: (_error, _attempt, delay) => waits.push(delay) },
      concurrency: 1,
      logger,
    });
    expect(database.info.records).toBe(2);
    expect(fake.requests.map((r) => [r.route, r.answered])).toEqual([
      ['querybatch', 429],
      ['querybatch', 503],
      ['querybatch', 200],
      ['vulns', 'dropped'],
      ['vulns', 503],
      ['vulns', 200],
      ['vulns', 200],
    ]);
    expect(waits).toHaveLength(4);
    expect(logger.text()).toMatch(/HTTP 429; retrying/);
  });

  it('a 429 asking for a longer wait is waited out (capped by maxDelayMs)', async () => {
    fake.fail('querybatch', { status: 429, retryAfter: '1' });
    const waits: number[] = [];
    await fetchOsvApiDatabase([{ ecosystem: 'npm', name: 'left-pad', version: '1.0.0' }], {
      baseUrl: fake.url,
      retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5000, onRetry: (_e, _a, delay) => waits.push(delay) },
    });
    expect(waits).toEqual([1000]);
  });

  it('fails closed naming the URL when the API keeps failing or cannot be reached', async () => {
    fake.fail('querybatch', { status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    const error = await failure(
      fetchOsvApiDatabase([{ ecosystem: 'npm', name: 'lodash', version: '4.17.20' }], { baseUrl: fake.url, retry: FAST }),
    );
    expect(error.code).toBe('SCAN_DB_UNAVAILABLE');
    expect(error.message).toContain(`${fake.url}/v1/querybatch`);
    expect(error.message).toContain('HTTP 503');

    const closedUrl = fake.url;
    await fake.close();
    const refused = await failure(
      fetchOsvApiDatabase([{ ecosystem: 'npm', name: 'lodash', version: '4.17.20' }], { baseUrl: closedUrl, retry: FAST }),
    );
    expect(refused.code).toBe('SCAN_DB_UNAVAILABLE');
    expect(refused.message).toContain(closedUrl);
    fake = await startOsvFake({ recordsDir: MATCHING_DB });
  });

  it('does not retry a 400: the request is wrong, not the network', async () => {
    fake.fail('querybatch', { status: 400, body: '{"code":3,"message":"Invalid query."}' });
    const error = await failure(
      fetchOsvApiDatabase([{ ecosystem: 'npm', name: 'lodash', version: '4.17.20' }], { baseUrl: fake.url, retry: FAST }),
    );
    expect(error.message).toMatch(/HTTP 400/);
    expect(fake.requests).toHaveLength(1);
  });

  it('offline mode fails closed naming the URL, without a request', async () => {
    const error = await failure(
      fetchOsvApiDatabase([{ ecosystem: 'npm', name: 'lodash', version: '4.17.20' }], { baseUrl: fake.url, offline: true }),
    );
    expect(error.code).toBe('SCAN_DB_UNAVAILABLE');
    expect(error.message).toContain(fake.url);
    expect(fake.requests).toEqual([]);
  });

  it('fails closed when querybatch reports an id /v1/vulns does not know', async () => {
    fake.fail(
      'vulns',
      { status: 404, body: '{"code":5,"message":"Bug not found."}' },
      { status: 404, body: '{"code":5,"message":"Bug not found."}' },
    );
    const error = await failure(
      fetchOsvApiDatabase([{ ecosystem: 'npm', name: 'lodash', version: '4.17.20' }], { baseUrl: fake.url, retry: FAST, concurrency: 1 }),
    );
    expect(error.code).toBe('SCAN_DB_UNAVAILABLE');
    expect(error.message).toMatch(/does not know GHSA-29mw-wpgm-hmr9, which querybatch reported/);
  });
});

describe('the on-disk record cache', () => {
  beforeEach(async () => {
    fake = await startOsvFake({ recordsDir: MATCHING_DB });
  });

  const lodash: OsvApiQuery[] = [{ ecosystem: 'npm', name: 'lodash', version: '4.17.20' }];

  it('serves records it holds at the reported modified, fetches only what changed, and writes atomically', async () => {
    const cacheDir = path.join(dir, 'cache');
    const first = await fetchOsvApiDatabase(lodash, { baseUrl: fake.url, cacheDir, retry: FAST });
    expect(fake.requests.filter((r) => r.route === 'vulns')).toHaveLength(2);
    const files = (await readdir(path.join(cacheDir, 'vulns'))).sort();
    expect(files).toEqual(['GHSA-29mw-wpgm-hmr9.json', 'GHSA-35jh-r3h4-6jhm.json']);
    // The bytes served are the bytes kept.
    const served = await (await fetch(`${fake.url}/v1/vulns/GHSA-29mw-wpgm-hmr9`)).text();
    expect(await readFile(path.join(cacheDir, 'vulns', 'GHSA-29mw-wpgm-hmr9.json'), 'utf8')).toBe(served);
    fake.requests.length = 0;

    const second = await fetchOsvApiDatabase(lodash, { baseUrl: fake.url, cacheDir, retry: FAST });
    expect(fake.requests.map((r) => r.route)).toEqual(['querybatch']);
    expect(second.info.sha256).toBe(first.info.sha256);
    fake.requests.length = 0;

    // A newer modified in querybatch makes that one entry stale.
    const newer = JSON.parse(await readFile(path.join(MATCHING_DB, 'npm', 'GHSA-35jh-r3h4-6jhm.json'), 'utf8')) as Record<string, unknown>;
    newer['modified'] = '2030-01-01T00:00:00Z';
    newer['summary'] = 'updated upstream';
    fake.override(newer);
    const third = await fetchOsvApiDatabase(lodash, { baseUrl: fake.url, cacheDir, retry: FAST });
    expect(fake.requests.filter((r) => r.route === 'vulns').map((r) => r.path)).toEqual(['/v1/vulns/GHSA-35jh-r3h4-6jhm']);
    expect(third.record('GHSA-35jh-r3h4-6jhm')?.summary).toBe('updated upstream');
    expect(third.info.sha256).not.toBe(first.info.sha256);
    expect(third.info.snapshot).toBe('2030-01-01T00:00:00Z');
    expect((await readdir(path.join(cacheDir, 'vulns'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('treats a damaged cache entry as a miss and replaces it', async () => {
    const cacheDir = path.join(dir, 'cache');
    await fetchOsvApiDatabase(lodash, { baseUrl: fake.url, cacheDir, retry: FAST });
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(cacheDir, 'vulns', 'GHSA-29mw-wpgm-hmr9.json'), '{"id": "GHSA-29mw');
    fake.requests.length = 0;
    const database = await fetchOsvApiDatabase(lodash, { baseUrl: fake.url, cacheDir, retry: FAST });
    expect(fake.requests.filter((r) => r.route === 'vulns').map((r) => r.path)).toEqual(['/v1/vulns/GHSA-29mw-wpgm-hmr9']);
    expect(database.record('GHSA-29mw-wpgm-hmr9')?.id).toBe('GHSA-29mw-wpgm-hmr9');
  });
});
