import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from '@jest/globals';
import {
  describeFile,
  FactoryError,
  runStage,
  type StageDefinition,
  type StageName,
  type StageOutcome,
  type StageResult,
} from '@packaging-factory/core';
import { signStage, type ArtifactSigner } from '@packaging-factory/signing';
import type { TestSession } from '../support/context.ts';

/**
 * Appends a record of an earlier stage the way runStage does, for the stages this file does not run
 * for real (the e2e and dist-workflow tests run them all with real tools). `outputs` are digested.
 */
export async function recordStage(
  s: TestSession,
  stage: StageName,
  outputs: readonly string[] = [],
  status: 'passed' | 'failed' = 'passed',
): Promise<void> {
  const definition: StageDefinition<null> = {
    name: stage,
    title: stage,
    description: `${stage}, as an earlier step of the run`,
    inputs: {},
    outputs: {},
    parse: () => null,
    run: async (_options, ctx): Promise<StageResult> => {
      const result: StageResult = {
        status,
        decision: { result: status === 'passed' ? 'pass' : 'fail', reason: `${stage} ${status}` },
        inputs: [],
        outputs: await Promise.all(outputs.map((f) => describeFile(f, 'artifact', ctx.workDir))),
        outputValues: {},
        summary: '',
      };
      if (status === 'failed') result.errors = [new FactoryError('INSTALL_FAILED', `${stage} failed`)];
      return result;
    },
  };
  const outcome = await runStage(definition, null, await s.contextFor(stage));
  expect(outcome.record.status).toBe(status);
}

/** An SBOM file, as generate-sbom would have written it. */
export async function sbomFile(s: TestSession): Promise<string> {
  const file = path.join(s.dir, 'factory-out', 'sbom.cdx.json');
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, '{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}\n');
  return file;
}

/**
 * The records of a complete, passing run up to attest: build-package produced `built`, generate-sbom
 * an SBOM, and scan, sign and test-install passed (sign for real when a signer is given).
 */
export async function completeRun(
  s: TestSession,
  built: readonly string[],
  signer?: ArtifactSigner,
): Promise<{ sbom: string; signed?: StageOutcome }> {
  await recordStage(s, 'build-package', built);
  const sbom = await sbomFile(s);
  await recordStage(s, 'generate-sbom', [sbom]);
  await recordStage(s, 'scan');
  let signed: StageOutcome | undefined;
  if (signer === undefined) await recordStage(s, 'sign');
  else {
    signed = await runStage(
      signStage,
      { files: [...built, sbom], signer, ephemeralKey: true, outputDir: path.join(s.dir, 'factory-out/signatures') },
      await s.contextFor('sign'),
    );
    expect(signed.exitCode).toBe(0);
  }
  await recordStage(s, 'test-install');
  return signed === undefined ? { sbom } : { sbom, signed };
}
