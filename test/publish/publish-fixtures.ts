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

/** Writes the release files of a small project into `dir/dist` and returns their paths. */
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
  const bundle = path.join(dist, `widget-${version}-linux-x64.tar.gz.sigstore.json`);
  await writeFile(bundle, `${JSON.stringify({ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json' })}\n`);
  return [archive, sbom, bundle];
}

/**
 * A stage definition that records what an earlier stage of the pipeline would have: its status
 * and its output files. Run through core's `runStage`, so the records are exactly what real stages append.
 */
function recordedStage(stage: StageName, status: 'passed' | 'failed', outputs: FileRecord[]): StageDefinition<null> {
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
        inputs: [],
        outputs,
        outputValues: {},
        summary: '',
      }),
  };
}

/** Appends one record per stage through runStage; `outputsOf` gives each stage's output files. */
export async function recordStages(
  session: TestSession,
  stages: StageName[],
  options: { failed?: StageName[]; outputs?: Partial<Record<StageName, string[]>> } = {},
): Promise<void> {
  for (const stage of stages) {
    const ctx = await session.contextFor(stage);
    const outputs: FileRecord[] = [];
    for (const file of options.outputs?.[stage] ?? []) outputs.push(await describeFile(file, 'artifact', ctx.workDir));
    await runStage(recordedStage(stage, options.failed?.includes(stage) === true ? 'failed' : 'passed', outputs), null, ctx);
  }
}

/** A session whose earlier stages all passed, build-package recording the artifacts. */
export async function passingPipeline(env: NodeJS.ProcessEnv): Promise<{ session: TestSession; files: string[] }> {
  const session = await makeTestSession({ env, correlationId: 'run-publish-test' });
  const files = await writeArtifacts(session.dir);
  await recordStages(session, REQUIRED, { outputs: { 'build-package': [files[0]!], 'generate-sbom': [files[1]!], sign: [files[2]!] } });
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
