import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { getOctokit } from '@actions/github';
import { FactoryError, isFactoryError, isRetryableHttpError, retry, type Logger, type RetryOptions } from '@packaging-factory/core';
import { CHECKSUMS_NAME, compareNames } from './checksums.ts';
import type { LocalAsset } from './local-asset.ts';
import type { AssetOutcome, PublishReport } from './publish-report.ts';

export interface GitHubReleaseRequest {
  /** REST API base, GITHUB_API_URL (https://api.github.com, or https://HOST/api/v3 on GHES). */
  apiUrl: string;
  token: string;
  /** owner/repo */
  repository: string;
  tag: string;
  releaseName: string;
  releaseNotes?: string;
  prerelease: boolean;
  /** Where GitHub creates the tag if it does not exist yet (the built commit, GITHUB_SHA). */
  targetCommitish?: string;
  /** The assets, SHA256SUMS included, each digested locally. */
  assets: readonly LocalAsset[];
  logger: Logger;
  /** Backoff for every network operation (tests shorten it). */
  retry?: RetryOptions;
}

type Octokit = ReturnType<typeof getOctokit>;
type Release = Awaited<ReturnType<Octokit['rest']['repos']['getReleaseByTag']>>['data'];
type RemoteAsset = Release['assets'][number];

interface Planned {
  local: LocalAsset;
  /** The remote asset of that name: identical (skip), or an incomplete upload to remove first. */
  remote?: RemoteAsset;
  action: 'upload' | 'skip';
}

/** Thrown inside an upload attempt after a leftover incomplete asset was removed: try again. */
class IncompleteAssetRemoved extends Error {}

/**
 * Publishes assets to the GitHub Release of a tag, idempotently and resumably:
 * find the published release by tag, else a draft of that tag left by an earlier attempt, else
 * create a draft; refuse when an asset of the same name has another digest (before changing
 * anything); upload what is missing; download every asset back and check its digest; then publish.
 */
export async function publishToGitHub(request: GitHubReleaseRequest): Promise<PublishReport> {
  const client = new ReleaseClient(request);
  const notes: string[] = [];
  // SHA256SUMS last: it is uploaded after every file it lists, and conflicts name the real files first.
  const wanted = [...request.assets].sort(
    (a, b) => Number(a.name === CHECKSUMS_NAME) - Number(b.name === CHECKSUMS_NAME) || compareNames(a.name, b.name),
  );

  let release = await client.findPublished();
  const wasPublished = release !== undefined;
  if (release === undefined) {
    release = await client.findDraft();
    if (release !== undefined) notes.push(`resumed draft release ${release.id} of ${request.tag} left by an earlier attempt`);
  }

  const plan = release === undefined ? wanted.map((local): Planned => ({ local, action: 'upload' })) : await client.plan(release, wanted);
  if (release !== undefined && !release.draft) {
    const missing = plan.filter((p) => p.action === 'upload').map((p) => p.local.name);
    if (missing.length > 0) {
      throw new FactoryError(
        'PUBLISH_ASSET_CONFLICT',
        `release ${request.tag} of ${request.repository} is already published without ${missing.join(', ')}; a published release is never changed`,
        { subject: missing.join(', '), hint: 'publish these files under a new tag' },
      );
    }
  }

  if (release === undefined) {
    release = await client.createDraft();
    notes.push(`created draft release ${release.id}`);
  }
  const outcomes: AssetOutcome[] = [];
  for (const item of plan) {
    const { local } = item;
    if (item.action === 'skip') {
      outcomes.push({ name: local.name, sha256: local.sha256, size: local.size, action: 'skipped' });
      continue;
    }
    if (item.remote !== undefined) {
      await client.deleteAsset(item.remote);
      notes.push(`removed the incomplete upload of ${local.name} (state ${item.remote.state}) left by an earlier attempt`);
    }
    await client.upload(release, local);
    outcomes.push({ name: local.name, sha256: local.sha256, size: local.size, action: 'uploaded' });
  }

  await client.verify(release, wanted);

  if (release.draft) {
    release = await client.publish(release);
  }
  return {
    target: 'github',
    decision: wasPublished ? 'skip' : 'published',
    releaseUrl: release.html_url,
    releaseId: String(release.id),
    assets: outcomes,
    notes,
  };
}

/** The release operations, each retried with backoff and turned into a FactoryError on failure. */
class ReleaseClient {
  private readonly octokit: Octokit;
  private readonly owner: string;
  private readonly repo: string;

  constructor(private readonly request: GitHubReleaseRequest) {
    const [owner = '', repo = ''] = request.repository.split('/');
    this.owner = owner;
    this.repo = repo;
    const logger = request.logger;
    this.octokit = getOctokit(request.token, {
      baseUrl: request.apiUrl,
      log: {
        debug: (message: string) => logger.debug(message),
        info: (message: string) => logger.debug(message),
        warn: (message: string) => logger.warn(message),
        error: (message: string) => logger.error(message),
      },
    });
  }

  /** The published release of the tag. Drafts are never found by tag (GitHub answers 404). */
  async findPublished(): Promise<Release | undefined> {
    return this.call('looking up the release by tag', async () => {
      try {
        const { data } = await this.octokit.rest.repos.getReleaseByTag({ owner: this.owner, repo: this.repo, tag: this.request.tag });
        return data;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    });
  }

  /** A draft of the tag left by an earlier, interrupted attempt (the oldest, if several). */
  async findDraft(): Promise<Release | undefined> {
    const releases = await this.call('listing releases', () =>
      this.octokit.paginate(this.octokit.rest.repos.listReleases, { owner: this.owner, repo: this.repo, per_page: 100 }),
    );
    const drafts = releases.filter((r) => r.draft && r.tag_name === this.request.tag).sort((a, b) => a.id - b.id);
    if (drafts.length > 1) {
      this.request.logger.warn(
        `several draft releases of ${this.request.tag} exist (${drafts.map((d) => d.id).join(', ')}); resuming the oldest`,
        this.request.tag,
      );
    }
    return drafts[0];
  }

  /**
   * Compares each wanted asset with the release's asset of the same name, before changing
   * anything: same digest → skip; other digest → PUBLISH_ASSET_CONFLICT (nothing is touched);
   * an incomplete upload (state not `uploaded`) → replace it.
   */
  async plan(release: Release, wanted: readonly LocalAsset[]): Promise<Planned[]> {
    const remote = await this.listAssets(release);
    const plan: Planned[] = [];
    const conflicts: string[] = [];
    for (const local of wanted) {
      const found = remote.find((a) => a.name === local.name);
      if (found === undefined) {
        plan.push({ local, action: 'upload' });
      } else if (found.state !== 'uploaded') {
        plan.push({ local, remote: found, action: 'upload' });
      } else {
        const remoteSha = await this.remoteSha256(found);
        if (remoteSha === local.sha256) plan.push({ local, remote: found, action: 'skip' });
        else conflicts.push(`${local.name} (release has sha256:${remoteSha}, local file has sha256:${local.sha256})`);
      }
    }
    if (conflicts.length > 0) throw this.conflict(release, conflicts);
    return plan;
  }

  async createDraft(): Promise<Release> {
    return this.call('creating the draft release', async (attempt) => {
      // Creating is not idempotent: when an earlier attempt's response was lost, its draft may exist.
      if (attempt > 1) {
        const existing = await this.findDraft();
        if (existing !== undefined) return existing;
      }
      const { data } = await this.octokit.rest.repos.createRelease({
        owner: this.owner,
        repo: this.repo,
        tag_name: this.request.tag,
        name: this.request.releaseName,
        ...(this.request.releaseNotes === undefined ? {} : { body: this.request.releaseNotes }),
        ...(this.request.targetCommitish === undefined ? {} : { target_commitish: this.request.targetCommitish }),
        draft: true,
        prerelease: this.request.prerelease,
      });
      return data;
    });
  }

  async deleteAsset(asset: RemoteAsset): Promise<void> {
    await this.call(`deleting the incomplete asset ${asset.name}`, async () => {
      try {
        await this.octokit.rest.repos.deleteReleaseAsset({ owner: this.owner, repo: this.repo, asset_id: asset.id });
      } catch (error) {
        // Already gone (a lost response to an earlier attempt): that is what we wanted.
        if (statusOf(error) !== 404) throw error;
      }
    });
  }

  /**
   * Uploads one asset to the release's `upload_url` (GitHub's upload host, or /api/uploads on GHES).
   * A 422 `already_exists` on a retry means an earlier attempt got through or broke half-way:
   * the asset is reconciled by digest instead of failing.
   */
  async upload(release: Release, local: LocalAsset): Promise<RemoteAsset> {
    return this.call(`uploading ${local.name}`, async () => {
      try {
        const { data } = await this.octokit.rest.repos.uploadReleaseAsset({
          owner: this.owner,
          repo: this.repo,
          release_id: release.id,
          url: release.upload_url,
          name: local.name,
          headers: { 'content-type': local.contentType, 'content-length': local.size },
          // Octokit types `data` as a string, but fetch streams any body it is given; a fresh stream
          // per attempt keeps memory flat for large packages. Content-Length above is required by GitHub.
          data: createReadStream(local.file) as unknown as string,
        });
        return data;
      } catch (error) {
        if (!(statusOf(error) === 422 && errorCodeOf(error) === 'already_exists')) throw error;
        const current = (await this.listAssets(release)).find((a) => a.name === local.name);
        if (current !== undefined && current.state !== 'uploaded') {
          await this.deleteAsset(current);
          throw new IncompleteAssetRemoved(`removed an incomplete upload of ${local.name}`, { cause: error });
        }
        if (current !== undefined && (await this.remoteSha256(current)) === local.sha256) return current;
        throw this.conflict(release, [`${local.name} (uploaded meanwhile with another digest)`]);
      }
    });
  }

  /**
   * Lists the release's assets back and checks every wanted one: present, fully uploaded, the
   * right size, the `digest` GitHub computed (when it reports one), and the sha256 of the bytes
   * downloaded through the API.
   */
  async verify(release: Release, wanted: readonly LocalAsset[]): Promise<void> {
    const remote = await this.listAssets(release);
    const problems: string[] = [];
    const bad = new Set<string>();
    const problem = (name: string, text: string): void => {
      bad.add(name);
      problems.push(`${name}: ${text}`);
    };
    for (const local of wanted) {
      const found = remote.find((a) => a.name === local.name);
      if (found === undefined || found.state !== 'uploaded') {
        problem(local.name, found === undefined ? 'missing' : `in state ${found.state}`);
        continue;
      }
      if (found.size !== local.size) problem(local.name, `${found.size} bytes, expected ${local.size}`);
      const reported = parseDigest(found.digest);
      if (reported !== undefined && reported !== local.sha256) {
        problem(local.name, `GitHub reports sha256:${reported}, expected sha256:${local.sha256}`);
      }
      const downloaded = await this.download(found);
      if (downloaded !== local.sha256) problem(local.name, `downloaded bytes have sha256:${downloaded}, expected sha256:${local.sha256}`);
    }
    if (problems.length > 0) {
      const state = release.draft ? 'was left as a draft' : 'is published';
      throw new FactoryError(
        'PUBLISH_DIGEST_MISMATCH',
        `release ${this.request.tag} (${release.id}) ${state}, but its assets are not the files digested for publishing: ${problems.join('; ')}`,
        {
          subject: [...bad].join(', '),
          hint: 'a file changed while publishing, or the transfer was corrupted; fix the cause, then delete the draft or re-run',
        },
      );
    }
  }

  async publish(release: Release): Promise<Release> {
    return this.call('publishing the release', async () => {
      const { data } = await this.octokit.rest.repos.updateRelease({
        owner: this.owner,
        repo: this.repo,
        release_id: release.id,
        draft: false,
        name: this.request.releaseName,
        ...(this.request.releaseNotes === undefined ? {} : { body: this.request.releaseNotes }),
        prerelease: this.request.prerelease,
      });
      return data;
    });
  }

  private async listAssets(release: Release): Promise<RemoteAsset[]> {
    return this.call(`listing the assets of release ${release.id}`, () =>
      this.octokit.paginate(this.octokit.rest.repos.listReleaseAssets, {
        owner: this.owner,
        repo: this.repo,
        release_id: release.id,
        per_page: 100,
      }),
    );
  }

  /** The digest GitHub reports (assets uploaded since 2025), else the sha256 of the downloaded bytes. */
  private async remoteSha256(asset: RemoteAsset): Promise<string> {
    return parseDigest(asset.digest) ?? (await this.download(asset));
  }

  /** Downloads an asset through the API (Accept: application/octet-stream; GitHub redirects) and hashes the stream. */
  private async download(asset: RemoteAsset): Promise<string> {
    return this.call(`downloading ${asset.name}`, async () => {
      const response = await this.octokit.rest.repos.getReleaseAsset({
        owner: this.owner,
        repo: this.repo,
        asset_id: asset.id,
        headers: { accept: 'application/octet-stream' },
        request: { parseSuccessResponseBody: false },
      });
      // With parseSuccessResponseBody false, Octokit hands back fetch's body stream untouched.
      const body = response.data as unknown as ReadableStream<Uint8Array> | null;
      const hash = createHash('sha256');
      if (body !== null) {
        for await (const chunk of body) hash.update(chunk);
      }
      return hash.digest('hex');
    });
  }

  private conflict(release: Release, conflicts: string[]): FactoryError {
    return new FactoryError(
      'PUBLISH_ASSET_CONFLICT',
      `release ${this.request.tag} (${release.draft ? 'draft ' : ''}${release.id}) of ${this.request.repository} already has assets with other content: ${conflicts.join('; ')}. Nothing was changed.`,
      {
        subject: conflicts.map((c) => c.split(' ')[0]).join(', '),
        hint: 'published files are immutable: publish the changed files under a new tag',
      },
    );
  }

  /** Runs one network operation with backoff; failures become FactoryErrors naming what was being done. */
  private async call<T>(what: string, fn: (attempt: number) => Promise<T>): Promise<T> {
    try {
      return await retry(fn, {
        attempts: 4,
        baseDelayMs: 500,
        ...this.request.retry,
        retryable: (error) => error instanceof IncompleteAssetRemoved || isRetryableHttpError(error),
        onRetry: (error, attempt, delayMs) => {
          this.request.logger.warn(`${what} failed (attempt ${attempt}): ${messageOf(error)}; retrying in ${delayMs} ms`);
        },
      });
    } catch (error) {
      throw this.asFactoryError(what, error);
    }
  }

  private asFactoryError(what: string, error: unknown): FactoryError {
    if (isFactoryError(error)) return error;
    const status = statusOf(error);
    const where = `${what} in ${this.request.repository}`;
    if (status === 401) {
      return new FactoryError('PUBLISH_FAILED', `GitHub rejected the token while ${where} (401)`, {
        cause: error,
        subject: 'token',
        hint: "pass a valid token in 'token' (the workflow's GITHUB_TOKEN works)",
      });
    }
    if (status === 403) {
      return new FactoryError('PUBLISH_FAILED', `the token may not write releases: ${where} was refused (403)`, {
        cause: error,
        subject: 'token',
        hint: 'grant the job `permissions: contents: write`',
      });
    }
    if (status === 404) {
      return new FactoryError('PUBLISH_TARGET_INVALID', `${where}: not found (404)`, {
        cause: error,
        subject: 'repository',
        hint: "check 'repository' (owner/repo) and that the token can see it",
      });
    }
    return new FactoryError('PUBLISH_FAILED', `${where} failed: ${messageOf(error)}`, {
      cause: error,
      subject: this.request.tag,
      hint: 're-run: publishing resumes from the draft release it left',
    });
  }
}

function parseDigest(digest: string | null | undefined): string | undefined {
  const found = /^sha256:([0-9a-f]{64})$/.exec(digest ?? '');
  return found?.[1];
}

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/** errors[0].code of a GitHub validation error (422). */
function errorCodeOf(error: unknown): string | undefined {
  const data = (error as { response?: { data?: { errors?: { code?: unknown }[] } } } | null)?.response?.data;
  const code = data?.errors?.[0]?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
