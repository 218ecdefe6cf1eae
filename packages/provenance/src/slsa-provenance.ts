import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import factoryPackage from '../../../package.json' with { type: 'json' };
import { byCodePoint } from './code-point-order.ts';
import { buildStatement, type InTotoStatement, type ResourceDescriptor } from './in-toto-statement.ts';

/** SLSA Provenance v1 predicateType (slsa spec/build-provenance.md). */
export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

/** Our build type: how to read this provenance's parameters (docs/provenance-buildtype.md). */
export const FACTORY_BUILD_TYPE = 'https://packaging-factory.dev/buildtypes/factory-run/v1';

/** builder.id of a run through the `factory` CLI on a workstation or any non-GitHub runner. */
export const CLI_BUILDER_ID = 'https://packaging-factory.dev/builders/cli@v1';

/** The factory's own version, the one the action or CLI was built from. */
export const FACTORY_VERSION: string = factoryPackage.version;

/** How a local (CLI) run was started; the CLI fills it in, no host names or absolute paths. */
export interface CliInvocation {
  /** The pipeline file, relative to the working directory, and its sha256. */
  pipeline?: { path: string; sha256: string };
  /** The command line, starting with the subcommand (`['factory', 'run', 'pipeline.yml']`). */
  command?: string[];
}

export interface ProvenanceInput {
  /** Artifacts (name + digest), sorted by name by the caller. */
  subjects: ResourceDescriptor[];
  /** Extra inputs of the build (files given as `materials`), with sha256. */
  materials: ResourceDescriptor[];
  env: NodeJS.ProcessEnv;
  workDir: string;
  /** The run's correlation id: the invocationId. */
  correlationId: string;
  startedOn: Date;
  finishedOn: Date;
  buildType?: string;
  invocation?: CliInvocation;
}

export interface SlsaProvenancePredicate {
  buildDefinition: {
    buildType: string;
    externalParameters: Record<string, unknown>;
    internalParameters?: Record<string, unknown>;
    resolvedDependencies?: ResourceDescriptor[];
  };
  runDetails: {
    builder: { id: string; version?: Record<string, string> };
    metadata?: { invocationId?: string; startedOn?: string; finishedOn?: string };
  };
}

function value(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

/**
 * `owner/repo/.github/workflows/release.yml@refs/heads/main` → its path and ref. GitHub documents
 * GITHUB_WORKFLOW_REF in this form for every run.
 */
export function parseWorkflowRef(workflowRef: string, repository: string): { path: string; ref: string } {
  const at = workflowRef.indexOf('@');
  const location = at === -1 ? workflowRef : workflowRef.slice(0, at);
  const ref = at === -1 ? '' : workflowRef.slice(at + 1);
  const prefix = `${repository}/`;
  return { path: location.startsWith(prefix) ? location.slice(prefix.length) : location, ref };
}

function githubParameters(input: ProvenanceInput): {
  builderId: string;
  external: Record<string, unknown>;
  internal: Record<string, unknown>;
} {
  const env = input.env;
  const serverUrl = (value(env, 'GITHUB_SERVER_URL') ?? 'https://github.com').replace(/\/+$/, '');
  const repository = value(env, 'GITHUB_REPOSITORY');
  const workflowRef = value(env, 'GITHUB_WORKFLOW_REF');
  if (repository === undefined || workflowRef === undefined) {
    throw new FactoryError(
      'ATTEST_FAILED',
      'GITHUB_ACTIONS is true but GITHUB_REPOSITORY or GITHUB_WORKFLOW_REF is not set: the builder cannot be identified',
      {
        subject: repository === undefined ? 'GITHUB_REPOSITORY' : 'GITHUB_WORKFLOW_REF',
        hint: 'run the action on a GitHub-hosted or self-hosted runner that sets the default environment variables',
      },
    );
  }
  const workflow = parseWorkflowRef(workflowRef, repository);
  const external: Record<string, unknown> = {
    workflow: { ref: workflow.ref, repository: `${serverUrl}/${repository}`, path: workflow.path },
  };
  const event = value(env, 'GITHUB_EVENT_NAME');
  if (event !== undefined) external['eventName'] = event;
  const ref = value(env, 'GITHUB_REF');
  if (ref !== undefined && ref !== workflow.ref) external['ref'] = ref;
  const github: Record<string, string> = {};
  const internalNames: [string, string][] = [
    ['runId', 'GITHUB_RUN_ID'],
    ['runAttempt', 'GITHUB_RUN_ATTEMPT'],
    ['repositoryId', 'GITHUB_REPOSITORY_ID'],
    ['repositoryOwnerId', 'GITHUB_REPOSITORY_OWNER_ID'],
    ['runnerEnvironment', 'RUNNER_ENVIRONMENT'],
  ];
  for (const [key, name] of internalNames) {
    const v = value(env, name);
    if (v !== undefined) github[key] = v;
  }
  // slsa-github-generator convention: the builder is the workflow file at its ref on the server.
  return { builderId: `${serverUrl}/${workflowRef}`, external, internal: { github } };
}

function cliParameters(input: ProvenanceInput): {
  builderId: string;
  external: Record<string, unknown>;
  internal: Record<string, unknown>;
} {
  const external: Record<string, unknown> = {};
  if (input.invocation?.pipeline !== undefined) external['pipeline'] = { ...input.invocation.pipeline };
  // Only the directory's name: an absolute path would leak the user's home and host layout.
  external['workingDirectory'] = path.basename(path.resolve(input.workDir));
  if (input.invocation?.command !== undefined && input.invocation.command.length > 0) external['command'] = [...input.invocation.command];
  return { builderId: CLI_BUILDER_ID, external, internal: {} };
}

/** The source commit as a dependency, when the repository and commit are known. */
function sourceDependency(env: NodeJS.ProcessEnv): ResourceDescriptor | undefined {
  const repository = value(env, 'GITHUB_REPOSITORY');
  const sha = value(env, 'GITHUB_SHA');
  if (repository === undefined || sha === undefined) return undefined;
  const serverUrl = (value(env, 'GITHUB_SERVER_URL') ?? 'https://github.com').replace(/\/+$/, '');
  const ref = value(env, 'GITHUB_REF');
  // SPDX download-location form, as the GitHub Actions build type records the checkout.
  return { uri: `git+${serverUrl}/${repository}${ref === undefined ? '' : `@${ref}`}`, digest: { gitCommit: sha.toLowerCase() } };
}

/** Builds the SLSA Provenance v1 statement of a factory run. */
export function buildProvenanceStatement(input: ProvenanceInput): InTotoStatement<SlsaProvenancePredicate> {
  const onGithub = input.env['GITHUB_ACTIONS'] === 'true';
  const parameters = onGithub ? githubParameters(input) : cliParameters(input);
  const resolvedDependencies: ResourceDescriptor[] = [];
  const source = sourceDependency(input.env);
  if (source !== undefined) resolvedDependencies.push(source);
  resolvedDependencies.push(...[...input.materials].sort((a, b) => byCodePoint(a.name ?? '', b.name ?? '')));
  const predicate: SlsaProvenancePredicate = {
    buildDefinition: {
      buildType: input.buildType ?? FACTORY_BUILD_TYPE,
      externalParameters: parameters.external,
      internalParameters: { ...parameters.internal, factory: { version: FACTORY_VERSION } },
    },
    runDetails: {
      builder: { id: parameters.builderId, version: { 'packaging-factory': FACTORY_VERSION } },
      metadata: {
        invocationId: input.correlationId,
        startedOn: input.startedOn.toISOString(),
        finishedOn: input.finishedOn.toISOString(),
      },
    },
  };
  if (resolvedDependencies.length > 0) predicate.buildDefinition.resolvedDependencies = resolvedDependencies;
  return buildStatement(input.subjects, SLSA_PROVENANCE_V1, predicate);
}
