import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import {
  describeFile,
  runStage,
  type FileRecord,
  type StageContext,
  type StageDefinition,
  type StageName,
  type StageOutcome,
} from '@packaging-factory/core';
import { publishStage, type PublishOptions } from '@packaging-factory/publish';
import { makeTestSession, type TestSession } from '../support/context.ts';

export const REQUIRED: StageName[] = ['build-package', 'generate-sbom', 'scan', 'sign', 'test-install', 'attest-provenance'];

/** A real gzip'd tarball holding one file, like a source or binary release archive. */
export async function tarball(file: string, entryName: string, content: string): Promise<void> {
  const archive = tarStream.pack();
  archive.entry({ name: entryName, mtime: new Date(0), mode: 0o644 }, content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  await writeFile(file, gzipSync(Buffer.concat(chunks)));
}

/**
 * Writes the release files of a small project into `dir/dist` and returns their paths: the
 * archive, its SBOM, and a Sigstore bundle for each (in that order).
 */
export async function writeArtifacts(dir: string, version = '1.2.3'): Promise<string[]> {
  const dist = path.join(dir, 'dist');
  await mkdir(dist, { recursive: true });
  const archive = path.join(dist, `widget-${version}-linux-x64.tar.gz`);
  await tarball(archive, 'widget/bin/widget', `#!/bin/sh\necho widget ${version}\n`);
  const sbom = path.join(dist, `widget-${version}.cdx.json`);
  await writeFile(
    sbom,
    `${JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [{ type: 'application', name: 'widget', version }] }, null, 2)}\n`,
  );
  const bundles: string[] = [];
  for (const file of [archive, sbom]) {
    const bundle = `${file}.sigstore.json`;
    await writeFile(
      bundle,
      `${JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', for: path.basename(file) })}\n`,
    );
    bundles.push(bundle);
  }
  return [archive, sbom, ...bundles];
}

/** A file a stage read or wrote, with the role the real stage records for it. */
export interface RoleFile {
  role: string;
  file: string;
}

/** What each stage read and wrote. */
export type StageFiles = Partial<Record<StageName, { inputs?: RoleFile[]; outputs?: RoleFile[] }>>;

/**
 * The files each stage of a real pipeline records for `writeArtifacts`' files, with the roles the
 * real stages use (compare out/evidence-pack.json of `factory run examples/hello/pipeline.yml`):
 * build-package writes the archive, generate-sbom reads it and writes the SBOM, scan reads the SBOM,
 * sign reads both and writes their bundles, test-install reads the archive, attest-provenance has
 * both as subjects.
 */
export function pipelineFiles(files: readonly string[]): StageFiles {
  const [archive, sbom, archiveBundle, sbomBundle] = files as [string, string, string, string];
  const artifact = (file: string): RoleFile => ({ role: 'artifact', file });
  return {
    'build-package': { outputs: [artifact(archive)] },
    'generate-sbom': { inputs: [artifact(archive)], outputs: [{ role: 'sbom', file: sbom }] },
    scan: { inputs: [{ role: 'sbom', file: sbom }] },
    sign: {
      inputs: [artifact(archive), artifact(sbom)],
      outputs: [
        { role: 'signature', file: archiveBundle },
        { role: 'signature', file: sbomBundle },
      ],
    },
    'test-install': { inputs: [artifact(archive)] },
    'attest-provenance': { inputs: [artifact(archive), artifact(sbom)] },
  };
}

/**
 * A stage definition that records what an earlier stage of the pipeline would have: its status
 * and its files. Run through core's `runStage`, so the records are exactly what real stages append.
 */
function recordedStage(stage: StageName, status: 'passed' | 'failed', inputs: FileRecord[], outputs: FileRecord[]): StageDefinition<null> {
  return {
    name: stage,
    title: stage,
    description: `recorded ${stage}`,
    inputs: {},
    outputs: {},
    parse: () => null,
    run: () =>
      Promise.resolve({
        status,
        decision: { result: status === 'passed' ? 'pass' : 'fail', reason: `${stage} ${status} in the test pipeline` },
        inputs,
        outputs,
        outputValues: {},
        summary: '',
      }),
  };
}

/** Appends one record per stage through runStage; `files` gives what each stage read and wrote (digested now). */
export async function recordStages(
  session: TestSession,
  stages: StageName[],
  options: { failed?: StageName[]; files?: StageFiles } = {},
): Promise<void> {
  for (const stage of stages) {
    const ctx = await session.contextFor(stage);
    const describeAll = (list: RoleFile[] | undefined): Promise<FileRecord[]> =>
      Promise.all((list ?? []).map((f) => describeFile(f.file, f.role, ctx.workDir)));
    const inputs = await describeAll(options.files?.[stage]?.inputs);
    const outputs = await describeAll(options.files?.[stage]?.outputs);
    const status = options.failed?.includes(stage) === true ? 'failed' : 'passed';
    await runStage(recordedStage(stage, status, inputs, outputs), null, ctx);
  }
}

/** A session whose earlier stages all passed, each recording the files a real pipeline would. */
export async function passingPipeline(env: NodeJS.ProcessEnv): Promise<{ session: TestSession; files: string[] }> {
  const session = await makeTestSession({ env, correlationId: 'run-publish-test' });
  const files = await writeArtifacts(session.dir);
  await recordStages(session, REQUIRED, { files: pipelineFiles(files) });
  return { session, files };
}

/** Parses raw inputs like the action would, then runs the stage through runStage. */
export async function runPublish(
  session: TestSession,
  raw: Record<string, string>,
  adjust?: (options: PublishOptions) => void,
): Promise<{ outcome: StageOutcome; ctx: StageContext }> {
  const ctx = await session.contextFor('publish');
  const options = publishStage.parse(raw, { workDir: ctx.workDir, env: ctx.env });
  // Tests shorten the backoff; the stage's default waits 0.5 s, 1 s, 2 s.
  options.retry = { baseDelayMs: 2, attempts: 3 };
  adjust?.(options);
  const outcome = await runStage(publishStage, options, ctx);
  return { outcome, ctx };
}
