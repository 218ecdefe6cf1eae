import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OpenApiSubset, type OperationMatch } from './openapi-validator.ts';

/**
 * A stateful loopback stand-in for GitHub's REST API (releases and release assets), shaped like
 * GitHub Enterprise Server: the API under `/api/v3`, uploads under `/api/uploads` (both taken from
 * the description's `servers`). Every request (path, query, JSON body) and every JSON response is
 * validated against the committed subset of GitHub's official OpenAPI description; an unknown
 * route, a wrong Host header or a schema violation answers 500 and is recorded in `violations`,
 * which tests assert empty.
 *
 * Behaviour the description does not express is encoded below with a note where it happens.
 */

export interface GitHubFakeOptions {
  /** Repositories that exist (owner/repo); requests for others get 404. */
  repositories: string[];
  /** The token the fake accepts; any other credential gets 401. */
  token: string;
  /** GITHUB_SERVER_URL for html_url and browser_download_url (TESTING.md keeps https://github.com). */
  serverUrl?: string;
}

export interface FakeAsset {
  id: number;
  name: string;
  label: string | null;
  contentType: string;
  state: 'uploaded' | 'open';
  bytes: Buffer;
  createdAt: string;
  updatedAt: string;
  downloadCount: number;
}

export interface FakeRelease {
  id: number;
  repository: string;
  tagName: string;
  targetCommitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  createdAt: string;
  publishedAt: string | null;
  updatedAt: string;
  /** GitHub gives each draft an `untagged-<hex>` html_url until it is published. */
  untaggedId: string;
  assets: FakeAsset[];
}

export interface RequestLogEntry {
  method: string;
  path: string;
  operationId?: string;
  status: number;
}

/** A fault injected into the next matching requests (outside the description: a network or 5xx failure). */
export interface Fault {
  operationId: string;
  /** `disconnect` drops the connection; a number answers that status (a transient 5xx). */
  kind: 'disconnect' | number;
  times: number;
  /** Only requests whose parameters satisfy this (e.g. an upload of one asset name). */
  when?: (params: Record<string, unknown>) => boolean;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** A component schema for a status whose description declares no body (upload's 422). */
  fallbackSchema?: string;
}

const SUBSET_URL = new URL('./openapi-subset.json', import.meta.url);
const DOCS = 'https://docs.github.com/enterprise-server@3.19/rest';

export class GitHubFake {
  readonly violations: string[] = [];
  readonly requests: RequestLogEntry[] = [];
  readonly faults: Fault[] = [];
  private readonly releaseStore: FakeRelease[] = [];
  private nextId = 1000;
  private readonly serverUrl: string;
  private readonly apiBase: string;
  private readonly uploadsBase: string;

  private constructor(
    private readonly server: Server,
    readonly origin: string,
    private readonly subset: OpenApiSubset,
    private readonly options: GitHubFakeOptions,
  ) {
    this.serverUrl = options.serverUrl ?? 'https://github.com';
    this.apiBase = subset.baseOf('repos/get-release');
    this.uploadsBase = subset.baseOf('repos/upload-release-asset');
  }

  /** Starts a fake on 127.0.0.1 with a random port. */
  static async start(options: GitHubFakeOptions): Promise<GitHubFake> {
    const subset = OpenApiSubset.load(SUBSET_URL);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const fake = new GitHubFake(server, `http://127.0.0.1:${port}`, subset, options);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      fake.handle(request, response).catch((error: unknown) => {
        fake.violations.push(`fake crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        if (!response.headersSent) response.writeHead(500).end();
      });
    });
    return fake;
  }

  /** GITHUB_API_URL for clients: `http://127.0.0.1:P/api/v3`. */
  get apiUrl(): string {
    return `${this.origin}${this.apiBase}`;
  }

  /** Which @octokit/openapi version and description file the subset came from. */
  get description(): { package: string; version: string; file: string } {
    return this.subset.source;
  }

  /** A deep copy of the releases of one repository, oldest first. */
  releases(repository: string): FakeRelease[] {
    return this.releaseStore
      .filter((r) => r.repository === repository)
      .map((r) => ({ ...r, assets: r.assets.map((a) => ({ ...a, bytes: Buffer.from(a.bytes) })) }));
  }

  /** Throws listing every violation recorded so far (call it in afterEach). */
  assertNoViolations(): void {
    if (this.violations.length > 0) throw new Error(`GitHub fake recorded violations:\n${this.violations.join('\n')}`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.origin);
    const method = request.method ?? 'GET';
    const entry: RequestLogEntry = { method, path: url.pathname, status: 0 };
    this.requests.push(entry);
    let body: Buffer;
    try {
      body = await readBody(request);
    } catch {
      // The client gave up mid-request (like a sender whose file shrank under its Content-Length):
      // GitHub stores nothing, and it is not the fake's failure.
      entry.status = -1;
      return;
    }
    const fail = (message: string): void => {
      this.violations.push(`${method} ${url.pathname}${url.search}: ${message}`);
      entry.status = 500;
      sendJson(response, 500, { message: `github-fake: ${message}` });
    };

    // Clients must talk to the host named by GITHUB_API_URL / upload_url, nothing else.
    const expectedHost = new URL(this.origin).host;
    if (request.headers.host !== expectedHost) return fail(`Host header '${request.headers.host ?? ''}' is not ${expectedHost}`);

    if (url.pathname.startsWith('/downloads/')) {
      entry.status = this.serveDownload(url, response);
      return;
    }

    const match = this.subset.match(method, url.pathname);
    if (match === undefined) return fail('unknown route (not in the OpenAPI subset)');
    entry.operationId = match.operationId;

    // Every operation needs credentials here: GitHub answers 401 without them (the description only
    // declares it on some operations; the validator accepts it on all).
    const auth = request.headers.authorization ?? '';
    const token = /^(?:token|bearer)\s+(.+)$/i.exec(auth)?.[1];
    if (token !== this.options.token) {
      const message = token === undefined ? 'Requires authentication' : 'Bad credentials';
      return this.reply(response, entry, match, { status: 401, body: { message, documentation_url: `${DOCS}`, status: '401' } }, fail);
    }

    const checked = this.subset.validateRequest(match, {
      query: url.searchParams,
      contentType: request.headers['content-type'],
      body,
    });
    if (checked.violations.length > 0) return fail(`request violates ${match.operationId}: ${checked.violations.join('; ')}`);

    const fault = this.takeFault(match.operationId, checked.params);
    if (fault?.kind === 'disconnect' && match.operationId !== 'repos/upload-release-asset') {
      entry.status = -1;
      request.socket.destroy();
      return;
    }
    if (typeof fault?.kind === 'number') {
      // An injected transient failure: outside the description, so not validated.
      entry.status = fault.kind;
      sendJson(response, fault.kind, { message: 'Server Error (injected by the test)' });
      return;
    }

    const reply = this.operate(match, checked.params, checked.json, request, body, fault !== undefined);
    if (reply === 'disconnected') {
      entry.status = -1;
      request.socket.destroy();
      return;
    }
    return this.reply(response, entry, match, reply, fail);
  }

  private reply(response: ServerResponse, entry: RequestLogEntry, match: OperationMatch, reply: Reply, fail: (m: string) => void): void {
    const problems = this.subset.validateResponse(match.operationId, reply.status, reply.body, reply.fallbackSchema);
    if (problems.length > 0) return fail(`response violates ${match.operationId}: ${problems.join('; ')}`);
    entry.status = reply.status;
    if (reply.body === undefined) {
      response.writeHead(reply.status, reply.headers ?? {}).end();
    } else {
      sendJson(response, reply.status, reply.body, reply.headers);
    }
  }

  private takeFault(operationId: string, params: Record<string, unknown>): Fault | undefined {
    const fault = this.faults.find((f) => f.operationId === operationId && f.times > 0 && (f.when?.(params) ?? true));
    if (fault !== undefined) fault.times -= 1;
    return fault;
  }

  private operate(
    match: OperationMatch,
    params: Record<string, unknown>,
    json: unknown,
    request: IncomingMessage,
    bytes: Buffer,
    interrupt: boolean,
  ): Reply | 'disconnected' {
    const repository = `${String(params['owner'])}/${String(params['repo'])}`;
    // Owner and repository names are not case sensitive (parameter descriptions).
    const known = this.options.repositories.find((r) => r.toLowerCase() === repository.toLowerCase());
    if (known === undefined) return notFound();
    const releases = this.releaseStore.filter((r) => r.repository === known);
    const body = (json ?? {}) as Record<string, unknown>;

    switch (match.operationId) {
      case 'repos/get-release-by-tag': {
        // Not in the description: a draft has no tag yet, so GitHub never finds it by tag (404);
        // clients resuming a draft must list releases and look for its tag_name.
        const release = releases.find((r) => !r.draft && r.tagName === params['tag']);
        return release === undefined ? notFound() : { status: 200, body: this.releaseJson(release) };
      }
      case 'repos/list-releases': {
        // Drafts are listed to users with push access (our token has it). Newest first.
        const sorted = [...releases].sort((a, b) => b.id - a.id);
        return this.page(
          sorted.map((r) => this.releaseJson(r)),
          params,
          match,
          known,
        );
      }
      case 'repos/get-release': {
        const release = releases.find((r) => r.id === params['release_id']);
        return release === undefined ? notFound() : { status: 200, body: this.releaseJson(release) };
      }
      case 'repos/create-release': {
        const tagName = body['tag_name'] as string;
        // Several drafts may share a tag; only one published release may (422 already_exists).
        if (body['draft'] !== true && releases.some((r) => !r.draft && r.tagName === tagName)) {
          return validationFailed('Release', 'tag_name', 'already_exists');
        }
        const now = new Date().toISOString();
        const release: FakeRelease = {
          id: this.nextId++,
          repository: known,
          tagName,
          targetCommitish: typeof body['target_commitish'] === 'string' ? body['target_commitish'] : 'main',
          name: typeof body['name'] === 'string' ? body['name'] : null,
          body: typeof body['body'] === 'string' ? body['body'] : null,
          draft: body['draft'] === true,
          prerelease: body['prerelease'] === true,
          createdAt: now,
          publishedAt: body['draft'] === true ? null : now,
          updatedAt: now,
          untaggedId: randomBytes(10).toString('hex'),
          assets: [],
        };
        this.releaseStore.push(release);
        return { status: 201, body: this.releaseJson(release), headers: { location: this.releaseUrl(release) } };
      }
      case 'repos/update-release': {
        const release = releases.find((r) => r.id === params['release_id']);
        if (release === undefined) return notFound();
        const tagName = typeof body['tag_name'] === 'string' ? body['tag_name'] : release.tagName;
        const publishing = body['draft'] === false && release.draft;
        if (publishing && releases.some((r) => r !== release && !r.draft && r.tagName === tagName)) {
          // Not in the description: one tag has at most one published release.
          return validationFailed('Release', 'tag_name', 'already_exists');
        }
        if (typeof body['name'] === 'string') release.name = body['name'];
        if (typeof body['body'] === 'string') release.body = body['body'];
        if (typeof body['prerelease'] === 'boolean') release.prerelease = body['prerelease'];
        if (typeof body['target_commitish'] === 'string') release.targetCommitish = body['target_commitish'];
        release.tagName = tagName;
        const now = new Date().toISOString();
        if (publishing) release.publishedAt = now;
        if (typeof body['draft'] === 'boolean') release.draft = body['draft'];
        release.updatedAt = now;
        return { status: 200, body: this.releaseJson(release) };
      }
      case 'repos/list-release-assets': {
        const release = releases.find((r) => r.id === params['release_id']);
        if (release === undefined) return notFound();
        return this.page(
          release.assets.map((a) => this.assetJson(release, a)),
          params,
          match,
          known,
        );
      }
      case 'repos/upload-release-asset': {
        const release = releases.find((r) => r.id === params['release_id']);
        if (release === undefined) return notFound();
        const name = params['name'] as string;
        // GitHub requires Content-Length on uploads (it streams the body to storage).
        const declaredLength = request.headers['content-length'];
        if (declaredLength === undefined || Number(declaredLength) !== bytes.length) {
          this.violations.push(`upload of ${name}: Content-Length '${declaredLength ?? ''}' does not match ${bytes.length} bytes received`);
          return { status: 422, body: { message: 'Bad Content-Length', documentation_url: DOCS }, fallbackSchema: 'validation-error' };
        }
        // Not in the description: a name already used by an asset of this release (uploaded, or
        // left `open` by a broken upload) gives 422 with errors[0].code `already_exists`; the old
        // asset must be deleted first.
        if (release.assets.some((a) => a.name === name)) {
          return { ...validationFailed('ReleaseAsset', 'name', 'already_exists'), fallbackSchema: 'validation-error' };
        }
        const now = new Date().toISOString();
        const asset: FakeAsset = {
          id: this.nextId++,
          name,
          label: typeof params['label'] === 'string' ? params['label'] : null,
          contentType: request.headers['content-type'] ?? 'application/octet-stream',
          state: 'uploaded',
          bytes,
          createdAt: now,
          updatedAt: now,
          downloadCount: 0,
        };
        if (interrupt) {
          // A broken upload leaves the asset behind in state `open`, without content.
          asset.state = 'open';
          asset.bytes = Buffer.alloc(0);
          release.assets.push(asset);
          return 'disconnected';
        }
        release.assets.push(asset);
        return { status: 201, body: this.assetJson(release, asset) };
      }
      case 'repos/get-release-asset': {
        const found = this.findAsset(releases, params['asset_id']);
        if (found === undefined) return notFound();
        const accept = request.headers.accept ?? '';
        if (accept.includes('application/octet-stream')) {
          // Like GitHub: the API answers 302 to a short-lived download URL serving the bytes.
          const location = `${this.origin}/downloads/${found.asset.id}/${encodeURIComponent(found.asset.name)}`;
          return { status: 302, headers: { location } };
        }
        return { status: 200, body: this.assetJson(found.release, found.asset) };
      }
      case 'repos/delete-release-asset': {
        const found = this.findAsset(releases, params['asset_id']);
        if (found === undefined) return notFound();
        found.release.assets = found.release.assets.filter((a) => a.id !== found.asset.id);
        return { status: 204 };
      }
      default:
        throw new Error(`operation ${match.operationId} is in the subset but not implemented by the fake`);
    }
  }

  /** Pagination by `per_page` (default 30, at most 100) and `page`, with a Link header like GitHub's. */
  private page(items: unknown[], params: Record<string, unknown>, match: OperationMatch, repository: string): Reply {
    const perPage = Math.min(typeof params['per_page'] === 'number' ? params['per_page'] : 30, 100);
    const page = typeof params['page'] === 'number' ? params['page'] : 1;
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const last = Math.max(1, Math.ceil(items.length / perPage));
    const headers: Record<string, string> = {};
    if (page < last) {
      const path = match.template.replace('{owner}', repository.split('/')[0] ?? '').replace('{repo}', repository.split('/')[1] ?? '');
      const link = (p: number): string =>
        `${this.apiUrl}${path.replace('{release_id}', String(match.pathParams['release_id'] ?? ''))}?per_page=${perPage}&page=${p}`;
      headers['link'] = `<${link(page + 1)}>; rel="next", <${link(last)}>; rel="last"`;
    }
    return { status: 200, body: slice, headers };
  }

  private findAsset(releases: FakeRelease[], id: unknown): { release: FakeRelease; asset: FakeAsset } | undefined {
    for (const release of releases) {
      const asset = release.assets.find((a) => a.id === id);
      if (asset !== undefined) return { release, asset };
    }
    return undefined;
  }

  private serveDownload(url: URL, response: ServerResponse): number {
    const id = Number(url.pathname.split('/')[2]);
    for (const release of this.releaseStore) {
      const asset = release.assets.find((a) => a.id === id && a.state === 'uploaded');
      if (asset === undefined) continue;
      asset.downloadCount += 1;
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(asset.bytes.length) });
      response.end(asset.bytes);
      return 200;
    }
    response.writeHead(404).end();
    return 404;
  }

  private releaseUrl(release: FakeRelease): string {
    return `${this.apiUrl}/repos/${release.repository}/releases/${release.id}`;
  }

  private releaseJson(release: FakeRelease): Record<string, unknown> {
    const url = this.releaseUrl(release);
    const repoWeb = `${this.serverUrl}/${release.repository}`;
    return {
      url,
      html_url: release.draft
        ? `${repoWeb}/releases/tag/untagged-${release.untaggedId}`
        : `${repoWeb}/releases/tag/${encodeURIComponent(release.tagName)}`,
      assets_url: `${url}/assets`,
      upload_url: `${this.origin}${this.uploadsBase}/repos/${release.repository}/releases/${release.id}/assets{?name,label}`,
      tarball_url: release.draft ? null : `${this.apiUrl}/repos/${release.repository}/tarball/${encodeURIComponent(release.tagName)}`,
      zipball_url: release.draft ? null : `${this.apiUrl}/repos/${release.repository}/zipball/${encodeURIComponent(release.tagName)}`,
      id: release.id,
      node_id: nodeId('RE', release.id),
      tag_name: release.tagName,
      target_commitish: release.targetCommitish,
      name: release.name,
      body: release.body,
      draft: release.draft,
      prerelease: release.prerelease,
      immutable: false,
      created_at: release.createdAt,
      published_at: release.publishedAt,
      updated_at: release.updatedAt,
      author: this.user(),
      assets: release.assets.map((a) => this.assetJson(release, a)),
    };
  }

  private assetJson(release: FakeRelease, asset: FakeAsset): Record<string, unknown> {
    return {
      url: `${this.apiUrl}/repos/${release.repository}/releases/assets/${asset.id}`,
      browser_download_url: `${this.serverUrl}/${release.repository}/releases/download/${encodeURIComponent(release.tagName)}/${encodeURIComponent(asset.name)}`,
      id: asset.id,
      node_id: nodeId('RA', asset.id),
      name: asset.name,
      label: asset.label,
      state: asset.state,
      content_type: asset.contentType,
      size: asset.bytes.length,
      // `sha256:<hex>` since GitHub added asset digests (2025); null while an upload is incomplete.
      digest: asset.state === 'uploaded' ? `sha256:${createHash('sha256').update(asset.bytes).digest('hex')}` : null,
      download_count: asset.downloadCount,
      created_at: asset.createdAt,
      updated_at: asset.updatedAt,
      uploader: this.user(),
    };
  }

  /** The GITHUB_TOKEN's identity: the github-actions[bot] user. */
  private user(): Record<string, unknown> {
    const api = `${this.apiUrl}/users/github-actions%5Bbot%5D`;
    return {
      login: 'github-actions[bot]',
      id: 41898282,
      node_id: 'MDM6Qm90NDE4OTgyODI=',
      avatar_url: 'https://avatars.githubusercontent.com/in/15368?v=4',
      gravatar_id: '',
      url: api,
      html_url: `${this.serverUrl}/apps/github-actions`,
      followers_url: `${api}/followers`,
      following_url: `${api}/following{/other_user}`,
      gists_url: `${api}/gists{/gist_id}`,
      starred_url: `${api}/starred{/owner}{/repo}`,
      subscriptions_url: `${api}/subscriptions`,
      organizations_url: `${api}/orgs`,
      repos_url: `${api}/repos`,
      events_url: `${api}/events{/privacy}`,
      received_events_url: `${api}/received_events`,
      type: 'Bot',
      site_admin: false,
    };
  }
}

function notFound(): Reply {
  return { status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } };
}

function validationFailed(resource: string, field: string, code: string): Reply {
  return { status: 422, body: { message: 'Validation Failed', errors: [{ resource, code, field }], documentation_url: DOCS } };
}

function nodeId(prefix: string, id: number): string {
  return `${prefix}_${Buffer.from(`fake:${id}`).toString('base64url')}`;
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  });
  response.end(text);
}
