import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  describeFile,
  FactoryError,
  InputReader,
  sourceDateEpoch,
  STAGES,
  writeFileAtomic,
  type FileRecord,
  type RetryOptions,
  type StageContext,
  type StageDefinition,
  type StageName,
  type StageResult,
} from '@packaging-factory/core';
import { resolveAssetFiles } from './asset-files.ts';
import { CHECKSUMS_NAME, formatSha256Sums } from './checksums.ts';
import { contentTypeFor } from './content-type.ts';
import { checkEvidence, DEFAULT_REQUIRED_STAGES, type EvidenceCheck } from './evidence-gate.ts';
import { publishToGitHub } from './github-release.ts';
import type { LocalAsset } from './local-asset.ts';
import type { PublishReport } from './publish-report.ts';
import { refNameProblem } from './ref-name.ts';
import { MANIFEST_NAME, publishToDirectory } from './release-directory.ts';

export type PublishTarget = { kind: 'github'; apiUrl: string; repository: string; token: string } | { kind: 'dir'; root: string };

export interface PublishOptions {
  /** Paths and globs, resolved against the working directory when the stage runs. */
  files: string[];
  tag: string;
  target: PublishTarget;
  releaseName: string;
  releaseNotes?: string;
  requireStages: StageName[];
  prerelease: boolean;
  /** Where GitHub creates a missing tag: the built commit (GITHUB_SHA). */
  targetCommitish?: string;
  /** Backoff for network operations (not an input: tests shorten it). */
  retry?: RetryOptions;
}

const INPUTS = {
  files: {
    description: 'Files to publish, one path or glob per line (resolved from the working directory).',
    kind: 'paths',
    required: true,
  },
  tag: { description: 'Release tag, a valid git ref name such as v1.2.3.', kind: 'string', required: true },
  to: {
    description: "Where to publish: 'github' (a GitHub Release) or 'dir:PATH' (an immutable release directory PATH/<tag>/).",
    kind: 'string',
    default: 'github',
  },
  repository: { description: 'owner/repo of the GitHub Release (default: GITHUB_REPOSITORY).', kind: 'string' },
  token: { description: 'GitHub token with contents: write (default: GITHUB_TOKEN).', kind: 'secret' },
  'release-name': { description: 'Release title (default: the tag).', kind: 'string' },
  'release-notes': { description: 'Release notes (Markdown text).', kind: 'string' },
  'require-stages': {
    description:
      "Stages whose latest evidence record must have passed before anything is published, comma or newline separated (default: all six stages before publish). A list you give replaces the default, so a narrower list is your explicit choice (it also skips the chain-of-custody checks that involve the stages left out); a list with no stage in it (such as ',') is refused, never read as 'require nothing'. Whatever the list, every published file must be an output of a passing earlier stage.",
    kind: 'string',
    default: DEFAULT_REQUIRED_STAGES.join(','),
  },
  prerelease: { description: 'Mark the release as a prerelease.', kind: 'boolean', default: 'false' },
} as const satisfies StageDefinition<PublishOptions>['inputs'];

const OUTPUTS = {
  'release-url': { description: 'URL of the published release (html_url on GitHub, a file: URL for a directory).' },
  'release-id': { description: 'GitHub release id, or for a directory the sha256 of its SHA256SUMS.' },
  'asset-count': { description: 'Number of assets in the release, SHA256SUMS included.' },
  checksums: { description: 'Path of the SHA256SUMS file written locally.' },
} as const;

/** Stage 'publish': a GitHub Release or an immutable release directory, only for what the evidence vouches for. */
export const publishStage: StageDefinition<PublishOptions> = {
  name: 'publish',
  title: 'Publish',
  description:
    'Publishes release assets and a SHA256SUMS to a GitHub Release or an immutable local release directory, idempotently, after checking that the evidence pack vouches for them.',
  inputs: INPUTS,
  outputs: OUTPUTS,
  positional: 'files',
  parse(raw, { workDir, env }) {
    const reader = new InputReader(raw, INPUTS, workDir);
    const files = reader.requiredList('files');
    const tag = reader.string('tag');
    const problem = refNameProblem(tag);
    if (problem !== undefined) {
      throw new FactoryError('INPUT_INVALID', `input 'tag': '${tag}' is not a valid git tag name: ${problem}`, {
        subject: 'tag',
        hint: 'use a name git accepts (git check-ref-format), such as v1.2.3',
      });
    }
    // An empty value means the default (InputReader), but a value of only separators (',') would
    // parse to no stage at all and silently turn the gate off: refuse it instead (fail closed).
    const stageList = reader.list('require-stages');
    if (stageList.length === 0) {
      throw new FactoryError('INPUT_INVALID', `input 'require-stages': ${JSON.stringify(raw['require-stages'] ?? '')} names no stage`, {
        subject: 'require-stages',
        hint: `leave it empty for the default (${DEFAULT_REQUIRED_STAGES.join(',')}), or list the stages that must have passed`,
      });
    }
    const requireStages = stageList.map((stage) => {
      if (!(STAGES as readonly string[]).includes(stage) || stage === 'publish') {
        throw new FactoryError('INPUT_INVALID', `input 'require-stages': '${stage}' is not a stage before publish`, {
          subject: 'require-stages',
          hint: `use names from ${DEFAULT_REQUIRED_STAGES.join(', ')}`,
        });
      }
      return stage as StageName;
    });
    const options: PublishOptions = {
      files,
      tag,
      target: parseTarget(reader, workDir, env),
      releaseName: reader.optional('release-name') ?? tag,
      requireStages: [...new Set(requireStages)],
      prerelease: reader.boolean('prerelease'),
    };
    const notes = raw['release-notes'];
    if (notes !== undefined && notes.trim() !== '') options.releaseNotes = notes;
    const sha = env['GITHUB_SHA'];
    if (sha !== undefined && /^[0-9a-f]{40,64}$/.test(sha)) options.targetCommitish = sha;
    return options;
  },
  run: runPublish,
};

function parseTarget(reader: InputReader, workDir: string, env: NodeJS.ProcessEnv): PublishTarget {
  const to = reader.string('to');
  if (to.startsWith('dir:')) {
    const dir = to.slice('dir:'.length).trim();
    if (dir === '') {
      throw new FactoryError('INPUT_INVALID', "input 'to': 'dir:' needs a path, like dir:out/releases", { subject: 'to' });
    }
    return { kind: 'dir', root: path.resolve(workDir, dir) };
  }
  if (to !== 'github') {
    throw new FactoryError('INPUT_INVALID', `input 'to' must be 'github' or 'dir:PATH'; got '${to}'`, { subject: 'to' });
  }
  const repository = reader.optional('repository') ?? env['GITHUB_REPOSITORY'] ?? '';
  if (repository === '') {
    throw new FactoryError('INPUT_MISSING', "input 'repository' is required to publish to GitHub (GITHUB_REPOSITORY is not set)", {
      subject: 'repository',
      hint: 'set repository: owner/repo',
    });
  }
  if (
    !/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\/[A-Za-z0-9._-]+$/.test(repository) ||
    repository.endsWith('/..') ||
    repository.endsWith('/.')
  ) {
    throw new FactoryError('INPUT_INVALID', `input 'repository' must be owner/repo; got '${repository}'`, { subject: 'repository' });
  }
  const token = reader.optional('token') ?? env['GITHUB_TOKEN'] ?? '';
  if (token === '') {
    throw new FactoryError('INPUT_MISSING', "input 'token' is required to publish to GitHub", {
      subject: 'token',
      hint: 'pass token: ${{ github.token }} (with permissions: contents: write) or set GITHUB_TOKEN',
    });
  }
  const apiUrl = (env['GITHUB_API_URL'] ?? '').trim() || 'https://api.github.com';
  return { kind: 'github', apiUrl: apiUrl.replace(/\/+$/, ''), repository, token };
}

async function runPublish(options: PublishOptions, ctx: StageContext): Promise<StageResult> {
  if (options.target.kind === 'github') ctx.exec.mask(options.target.token);

  // Everything local first: no API call before the evidence vouches for every file.
  const files = await resolveAssetFiles(options.files, ctx.workDir);
  const omitted = DEFAULT_REQUIRED_STAGES.filter((stage) => !options.requireStages.includes(stage));
  const notes: string[] = [];
  if (omitted.length > 0) {
    // Narrowing is allowed (a pipeline may have no test-install, say), but never silently.
    const note = `'require-stages' leaves out ${omitted.join(', ')}: their records and the chain-of-custody links through them are not checked`;
    ctx.logger.warn(note, 'require-stages');
    notes.push(note);
  }
  const evidence = checkEvidence(ctx.evidence.records, options.requireStages, files);
  const details: Record<string, unknown> = {
    tag: options.tag,
    target: options.target.kind === 'github' ? `github:${options.target.repository}` : `dir:${options.target.root}`,
    requiredStages: evidence.stages,
    custody: evidence.links,
  };
  if (evidence.errors.length > 0) {
    const reasons = evidence.errors.map((e) => e.message);
    return {
      status: 'failed',
      decision: { result: 'refused', reason: reasons.join('; ') },
      inputs: files,
      outputs: [],
      outputValues: {},
      summary: refusalSummary(options, evidence, reasons),
      details: { ...details, unvouched: evidence.unvouched },
      errors: evidence.errors,
      ...(notes.length === 0 ? {} : { notes }),
    };
  }

  const assets: LocalAsset[] = files.map((f) => ({
    name: f.name,
    file: path.resolve(ctx.workDir, f.path),
    sha256: f.sha256,
    size: f.size,
    contentType: contentTypeFor(f.name),
  }));
  const checksumsText = formatSha256Sums(assets);
  let report: PublishReport;
  let checksumsPath: string;
  const outputs: FileRecord[] = [];

  if (options.target.kind === 'dir') {
    const epoch = sourceDateEpoch(ctx.env);
    report = await publishToDirectory({
      root: options.target.root,
      tag: options.tag,
      releaseName: options.releaseName,
      ...(options.releaseNotes === undefined ? {} : { releaseNotes: options.releaseNotes }),
      prerelease: options.prerelease,
      correlationId: ctx.correlationId,
      publishedAt: (epoch === undefined ? ctx.now() : new Date(epoch * 1000)).toISOString(),
      assets,
    });
    const releaseDir = path.join(options.target.root, ...options.tag.split('/'));
    checksumsPath = path.join(releaseDir, CHECKSUMS_NAME);
    outputs.push(await describeFile(checksumsPath, 'checksums', ctx.workDir));
    outputs.push(await describeFile(path.join(releaseDir, MANIFEST_NAME), 'manifest', ctx.workDir));
  } else {
    const localDir = path.join(ctx.tempDir, 'release');
    await mkdir(localDir, { recursive: true });
    checksumsPath = path.join(localDir, CHECKSUMS_NAME);
    await writeFileAtomic(checksumsPath, checksumsText);
    const checksums = await describeFile(checksumsPath, 'checksums', ctx.workDir);
    outputs.push(checksums);
    report = await publishToGitHub({
      apiUrl: options.target.apiUrl,
      token: options.target.token,
      repository: options.target.repository,
      tag: options.tag,
      releaseName: options.releaseName,
      ...(options.releaseNotes === undefined ? {} : { releaseNotes: options.releaseNotes }),
      prerelease: options.prerelease,
      ...(options.targetCommitish === undefined ? {} : { targetCommitish: options.targetCommitish }),
      assets: [
        ...assets,
        {
          name: CHECKSUMS_NAME,
          file: checksumsPath,
          sha256: checksums.sha256,
          size: checksums.size,
          contentType: contentTypeFor(CHECKSUMS_NAME),
        },
      ],
      logger: ctx.logger,
      ...(options.retry === undefined ? {} : { retry: options.retry }),
    });
  }

  for (const note of report.notes) ctx.logger.info(note);
  const uploaded = report.assets.filter((a) => a.action !== 'skipped').length;
  return {
    status: 'passed',
    decision: {
      result: report.decision,
      reason:
        report.decision === 'skip'
          ? `release ${options.tag} already holds the same ${report.assets.length} assets`
          : `published ${report.assets.length} assets (${uploaded} sent, ${report.assets.length - uploaded} already there)`,
    },
    inputs: files,
    outputs,
    outputValues: {
      'release-url': report.releaseUrl,
      'release-id': report.releaseId,
      'asset-count': String(report.assets.length),
      checksums: checksumsPath,
    },
    summary: publishedSummary(options, report, evidence),
    details: {
      ...details,
      releaseUrl: report.releaseUrl,
      releaseId: report.releaseId,
      assets: report.assets,
      vouchedBy: evidence.vouched,
    },
    notes: [...notes, ...report.notes],
  };
}

function publishedSummary(options: PublishOptions, report: PublishReport, evidence: EvidenceCheck): string {
  const rows = report.assets.map((a) => `| \`${a.name}\` | \`${a.sha256}\` | ${a.size} | ${a.action} |`);
  const where = report.target === 'github' ? 'GitHub Release' : 'release directory';
  const headline = report.decision === 'skip' ? 'already published, nothing changed' : 'published';
  return [
    `### Publish: ${where} ${options.tag} ${headline}`,
    '',
    `Release: ${report.releaseUrl}`,
    '',
    `Evidence: every asset is an output of a passing stage; ${evidence.links.length} chain-of-custody link(s) checked, all hold.`,
    '',
    '| Asset | SHA-256 | Bytes | Result |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

function refusalSummary(options: PublishOptions, evidence: EvidenceCheck, reasons: string[]): string {
  const lines = [
    `### Publish: refused to publish ${options.tag}`,
    '',
    ...reasons.map((r) => `- ${r}`),
    '',
    '| Required stage | Latest record |',
    '| --- | --- |',
    ...evidence.stages.map((s) => `| ${s.stage} | ${s.status} |`),
    '',
  ];
  if (evidence.links.length > 0) {
    lines.push('| Chain of custody | Result |', '| --- | --- |');
    lines.push(...evidence.links.map((l) => `| ${l.link} | ${l.holds ? 'holds' : 'broken'} |`), '');
  }
  return lines.join('\n');
}
