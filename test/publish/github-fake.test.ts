import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { getOctokit } from '@actions/github';
import { GitHubFake } from '../support/github-fake/github-fake.ts';
import { OpenApiSubset, toJsonSchema } from '../support/github-fake/openapi-validator.ts';
import { tempDir } from '../support/context.ts';

/**
 * The fake must be as strict as its description: these tests show it rejects what GitHub's
 * OpenAPI description forbids, and behaves as GitHub does where the description is silent.
 */

const TOKEN = 'ghs_fakeTokenForFakeTests';
const REPO = 'octo-org/widget';
const root = path.resolve(import.meta.dirname, '../..');
const subsetFile = path.join(root, 'test/support/github-fake/openapi-subset.json');

let fake: GitHubFake;

beforeEach(async () => {
  fake = await GitHubFake.start({ repositories: [REPO], token: TOKEN });
});

afterEach(async () => {
  await fake.close();
});

function octokit(token = TOKEN): ReturnType<typeof getOctokit> {
  return getOctokit(token, { baseUrl: fake.apiUrl });
}

/** A raw HTTP request, so tests can send what Octokit never would (wrong Host, bad bodies). */
function raw(
  method: string,
  pathname: string,
  options: { host?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  const url = new URL(pathname, fake.origin);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        method,
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        headers: {
          host: options.host ?? url.host,
          authorization: `token ${TOKEN}`,
          ...(options.body === undefined
            ? {}
            : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)) }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the committed OpenAPI subset', () => {
  it('matches the installed @octokit/openapi description (scripts/extract-github-openapi.mjs --check)', async () => {
    const result = await run(['scripts/extract-github-openapi.mjs', '--check']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const version = (createRequire(import.meta.url)('@octokit/openapi/package.json') as { version: string }).version;
    expect(fake.description).toMatchObject({ package: '@octokit/openapi', version, file: 'generated/ghes-3.19.json' });
  });

  it('--check exits 1 and names the pointer when the subset drifted', async () => {
    const dir = await tempDir();
    const copy = path.join(dir, 'subset.json');
    const document = JSON.parse(await readFile(subsetFile, 'utf8')) as { components: { schemas: Record<string, { required: string[] }> } };
    document.components.schemas['release-asset']!.required = document.components.schemas['release-asset']!.required.filter(
      (r) => r !== 'digest',
    );
    await writeFile(copy, JSON.stringify(document));
    const result = await run(['scripts/extract-github-openapi.mjs', '--check', '--subset', copy]);
    await rm(dir, { recursive: true, force: true });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('/components/schemas/release-asset/required');
  });

  it('holds the release operations, with the 2025 `digest` field on release assets', () => {
    const document = JSON.parse(readFileSync(subsetFile, 'utf8')) as {
      paths: Record<string, Record<string, { operationId: string }>>;
      components: { schemas: Record<string, { properties: Record<string, unknown>; required: string[] }> };
    };
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
    expect(operations.sort()).toEqual([
      'repos/create-release',
      'repos/delete-release-asset',
      'repos/get-release',
      'repos/get-release-asset',
      'repos/get-release-by-tag',
      'repos/list-release-assets',
      'repos/list-releases',
      'repos/update-release',
      'repos/upload-release-asset',
    ]);
    expect(document.components.schemas['release-asset']!.required).toContain('digest');
  });
});

describe('OpenAPI 3.0 schemas for ajv', () => {
  it('turns nullable into a null type and closes declared objects', () => {
    expect(toJsonSchema({ type: 'string', nullable: true, example: 'x' })).toEqual({ type: ['string', 'null'] });
    expect(toJsonSchema({ type: 'string', enum: ['a'], nullable: true })).toEqual({ type: ['string', 'null'], enum: ['a', null] });
    expect(toJsonSchema({ type: 'object', properties: { example: { type: 'string' } } })).toEqual({
      type: 'object',
      properties: { example: { type: 'string' } },
      additionalProperties: false,
    });
  });

  it('rejects a response that misses required fields or has the wrong types', () => {
    const subset = OpenApiSubset.load(subsetFile);
    expect(subset.validateResponse('repos/get-release-asset', 200, { id: 1, name: 'x' }).join('\n')).toMatch(/digest/);
    expect(subset.validateResponse('repos/get-release-by-tag', 404, { message: 'Not Found', documentation_url: 'x' })).toEqual([]);
    expect(subset.validateResponse('repos/get-release-by-tag', 418, { message: 'teapot' })).toEqual([
      'status 418 is not declared for repos/get-release-by-tag',
    ]);
  });
});

describe('the GitHub fake', () => {
  it('serves releases under /api/v3 and uploads under /api/uploads, like GHES', async () => {
    const client = octokit();
    const { data: draft } = await client.rest.repos.createRelease({ owner: 'octo-org', repo: 'widget', tag_name: 'v1.0.0', draft: true });
    expect(fake.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3$/);
    expect(draft.upload_url).toBe(`${fake.origin}/api/uploads/repos/octo-org/widget/releases/${draft.id}/assets{?name,label}`);
    fake.assertNoViolations();
  });

  it('does not find drafts by tag (404), but lists them', async () => {
    const client = octokit();
    await client.rest.repos.createRelease({ owner: 'octo-org', repo: 'widget', tag_name: 'v1.0.0', draft: true });
    await expect(client.rest.repos.getReleaseByTag({ owner: 'octo-org', repo: 'widget', tag: 'v1.0.0' })).rejects.toMatchObject({
      status: 404,
    });
    const { data } = await client.rest.repos.listReleases({ owner: 'octo-org', repo: 'widget' });
    expect(data.map((r) => [r.tag_name, r.draft])).toEqual([['v1.0.0', true]]);
    fake.assertNoViolations();
  });

  it('answers 422 already_exists for a duplicate asset name, serves bytes and the sha256 digest', async () => {
    const client = octokit();
    const { data: release } = await client.rest.repos.createRelease({ owner: 'octo-org', repo: 'widget', tag_name: 'v1.0.0', draft: true });
    const bytes = Buffer.from('hello release\n');
    const upload = () =>
      client.rest.repos.uploadReleaseAsset({
        owner: 'octo-org',
        repo: 'widget',
        release_id: release.id,
        url: release.upload_url,
        name: 'hello.txt',
        headers: { 'content-type': 'text/plain', 'content-length': bytes.length },
        data: bytes as unknown as string,
      });
    const { data: asset } = await upload();
    expect(asset.digest).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
    await expect(upload()).rejects.toMatchObject({ status: 422, response: { data: { errors: [{ code: 'already_exists' }] } } });

    const download = await client.rest.repos.getReleaseAsset({
      owner: 'octo-org',
      repo: 'widget',
      asset_id: asset.id,
      headers: { accept: 'application/octet-stream' },
    });
    expect(Buffer.from(download.data as unknown as ArrayBuffer).equals(bytes)).toBe(true);
    expect(fake.requests.some((r) => r.operationId === 'repos/get-release-asset' && r.status === 302)).toBe(true);
    fake.assertNoViolations();
  });

  it('paginates with a Link header that Octokit follows', async () => {
    const client = octokit();
    for (const tag of ['v1', 'v2', 'v3']) await client.rest.repos.createRelease({ owner: 'octo-org', repo: 'widget', tag_name: tag });
    const all = await client.paginate(client.rest.repos.listReleases, { owner: 'octo-org', repo: 'widget', per_page: 2 });
    expect(all.map((r) => r.tag_name)).toEqual(['v3', 'v2', 'v1']);
    expect(fake.requests.filter((r) => r.operationId === 'repos/list-releases')).toHaveLength(2);
    fake.assertNoViolations();
  });

  it('answers 401 without credentials or with a wrong token', async () => {
    const none = await raw('GET', '/api/v3/repos/octo-org/widget/releases', { headers: { authorization: '' } });
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ message: 'Requires authentication' });
    await expect(octokit('ghs_other').rest.repos.listReleases({ owner: 'octo-org', repo: 'widget' })).rejects.toMatchObject({
      status: 401,
    });
    fake.assertNoViolations();
  });

  it('fails (500, violation recorded) on an unknown route', async () => {
    const response = await raw('GET', '/api/v3/repos/octo-org/widget/git/refs');
    expect(response.status).toBe(500);
    expect(fake.violations.join('\n')).toMatch(/unknown route/);
    expect(() => fake.assertNoViolations()).toThrow(/unknown route/);
  });

  it('fails on a wrong Host header', async () => {
    const response = await raw('GET', '/api/v3/repos/octo-org/widget/releases', { host: 'api.github.com' });
    expect(response.status).toBe(500);
    expect(fake.violations.join('\n')).toMatch(/Host header 'api.github.com'/);
  });

  it('fails on a request body that breaks the schema', async () => {
    const wrongType = await raw('POST', '/api/v3/repos/octo-org/widget/releases', {
      body: JSON.stringify({ tag_name: 'v1', draft: 'yes' }),
    });
    expect(wrongType.status).toBe(500);
    expect(fake.violations[0]).toMatch(/request body\/draft must be boolean/);
    const missing = await raw('POST', '/api/v3/repos/octo-org/widget/releases', { body: JSON.stringify({ name: 'no tag' }) });
    expect(missing.status).toBe(500);
    expect(fake.violations[1]).toMatch(/must have required property 'tag_name'/);
    const unknown = await raw('POST', '/api/v3/repos/octo-org/widget/releases', { body: JSON.stringify({ tag_name: 'v1', drafts: true }) });
    expect(unknown.status).toBe(500);
    expect(fake.violations[2]).toMatch(/additional properties/);
    expect(fake.releases(REPO)).toEqual([]);
  });

  it('fails on undeclared or ill-typed parameters', async () => {
    expect((await raw('GET', '/api/v3/repos/octo-org/widget/releases?perpage=5')).status).toBe(500);
    expect(fake.violations[0]).toMatch(/query parameter 'perpage' is not declared/);
    expect((await raw('GET', '/api/v3/repos/octo-org/widget/releases/abc/assets')).status).toBe(500);
    expect(fake.violations[1]).toMatch(/path parameter 'release_id' must be integer/);
    expect(
      (await raw('POST', '/api/uploads/repos/octo-org/widget/releases/1/assets', { headers: { 'content-type': 'text/plain' } })).status,
    ).toBe(500);
    expect(fake.violations[2]).toMatch(/required query parameter 'name' missing/);
  });

  it('answers 404 for a repository that does not exist', async () => {
    await expect(octokit().rest.repos.listReleases({ owner: 'octo-org', repo: 'missing' })).rejects.toMatchObject({ status: 404 });
    fake.assertNoViolations();
  });
});
