import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { FactoryError, runStage, type StageName, type StageOutcome } from '@packaging-factory/core';
import { buildPackageStage } from '@packaging-factory/formats';
import {
  ATTEST_REQUIRED_STAGES,
  attestProvenanceStage,
  verifyAttestation,
  type AttestProvenanceOptions,
  type EvidencePackPredicate,
  type InTotoStatement,
  type SlsaProvenancePredicate,
} from '@packaging-factory/provenance';
import { generateSbomStage } from '@packaging-factory/sbom';
import { KeySigner } from '@packaging-factory/signing';
import { makeTestSession, type TestSession } from '../support/context.ts';
import { describeWithDpkg, HELLO_PKGROOT } from '../formats/deb-tools.ts';
import { ed25519 } from '../signing/keys.ts';
import { completeRun, recordStage, sbomFile } from './earlier-stages.ts';

const sessions: TestSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.cleanup();
});

async function session(): Promise<TestSession> {
  const s = await makeTestSession({ env: { PATH: process.env['PATH'] ?? '' }, correlationId: 'run-m3' });
  sessions.push(s);
  return s;
}

async function artifacts(s: TestSession): Promise<string[]> {
  await mkdir(path.join(s.dir, 'dist'), { recursive: true });
  const files = [path.join(s.dir, 'dist', 'hello_1.0_all.deb'), path.join(s.dir, 'dist', 'hello_1.0_all.txt')];
  await writeFile(files[0]!, Buffer.from('!<arch>\ndebian-binary   2.0\nthe package the pipeline built\n'));
  await writeFile(files[1]!, 'release notes\n');
  return files;
}

async function attest(s: TestSession, options: Partial<AttestProvenanceOptions> & { subjects: string[] }): Promise<StageOutcome> {
  return runStage(
    attestProvenanceStage,
    { materials: [], ephemeralKey: false, outputDir: path.join(s.dir, 'factory-out/attestations'), ...options },
    await s.contextFor('attest-provenance'),
  );
}

const codes = (outcome: StageOutcome): string[] => outcome.record.errors.map((e) => e.code);
const sha256 = async (file: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

async function expectNothingWritten(s: TestSession): Promise<void> {
  for (const name of ['provenance.intoto.jsonl', 'provenance.sigstore.json', 'evidence-pack.json', 'evidence-pack.sigstore.json']) {
    await expect(readFile(path.join(s.dir, 'factory-out/attestations', name))).rejects.toThrow();
  }
}

async function snapshotOf(
  outcome: StageOutcome,
): Promise<{ records: { stage: string }[]; finalized: { status: string; recordCount: number } }> {
  return JSON.parse(await readFile(outcome.result!.outputValues['evidence-snapshot']!, 'utf8')) as {
    records: { stage: string }[];
    finalized: { status: string; recordCount: number };
  };
}

describe('M3: only what this run built and checked is attested', () => {
  test('an unrelated file with an EMPTY evidence pack is refused (exit 1): nothing is signed, no passed snapshot', async () => {
    const s = await session();
    const stray = path.join(s.dir, 'stray.bin');
    await writeFile(stray, 'not built by the pipeline\n');
    const outcome = await attest(s, { subjects: [stray], key: ed25519().privatePem });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.record.status).toBe('failed');
    expect(codes(outcome)).toEqual(['ATTEST_EVIDENCE_INCOMPLETE', 'ATTEST_SUBJECT_MISMATCH']);
    const [incomplete, mismatch] = outcome.record.errors;
    expect(incomplete!.message).toContain('no record of build-package, generate-sbom, scan, sign, test-install');
    expect(incomplete!.hint).toContain("'require-stages'");
    expect(mismatch!.message).toContain('stray.bin');
    expect(mismatch!.message).toContain(await sha256(stray));
    expect(mismatch!.message).toMatch(/passing build-package or generate-sbom record/);
    expect(outcome.record.outputs).toEqual([]);
    expect(outcome.record.tools.map((t) => t.name)).not.toContain('@sigstore/sign');
    expect(outcome.result!.summary).toContain('Refused');
    await expectNothingWritten(s);
  });

  test('a tampered copy at a different path is ATTEST_SUBJECT_MISMATCH naming the subject and the built sha256', async () => {
    const s = await session();
    const [deb] = await artifacts(s);
    await completeRun(s, [deb!]);
    const built = await sha256(deb!);
    const copy = path.join(s.dir, 'elsewhere', path.basename(deb!));
    await mkdir(path.dirname(copy), { recursive: true });
    const bytes = await readFile(deb!);
    bytes[12] = bytes[12]! ^ 0x20;
    await writeFile(copy, bytes);
    const outcome = await attest(s, { subjects: [copy], key: ed25519().privatePem });
    expect(outcome.exitCode).toBe(1);
    expect(codes(outcome)).toEqual(['ATTEST_SUBJECT_MISMATCH']);
    const error = outcome.record.errors[0]!;
    expect(error.subject).toBe('elsewhere/hello_1.0_all.deb');
    expect(error.message).toContain('hello_1.0_all.deb');
    expect(error.message).toContain(await sha256(copy));
    expect(error.message).toContain(`sha256 ${built} (build-package)`);
    await expectNothingWritten(s);
  });

  test('an identical copy at another path passes (same name and bytes), a renamed one does not', async () => {
    const s = await session();
    const [deb] = await artifacts(s);
    const { sbom } = await completeRun(s, [deb!]);
    const copy = path.join(s.dir, 'download', path.basename(deb!));
    await mkdir(path.dirname(copy), { recursive: true });
    await cp(deb!, copy);
    const key = ed25519();
    const ok = await attest(s, { subjects: [copy, sbom], key: key.privatePem });
    expect(ok.record.errors).toEqual([]);
    expect(ok.exitCode).toBe(0);

    const renamed = path.join(s.dir, 'download', 'hello_2.0_all.deb');
    await cp(deb!, renamed);
    const refused = await attest(s, { subjects: [renamed], key: key.privatePem });
    expect(codes(refused)).toEqual(['ATTEST_SUBJECT_MISMATCH']);
    expect(refused.record.errors[0]!.message).toContain('hello_2.0_all.deb');
    // What was expected: the outputs of build-package and generate-sbom, by name and sha256.
    expect(refused.record.errors[0]!.message).toContain(`hello_1.0_all.deb (sha256 ${await sha256(deb!)}, build-package)`);
    expect(refused.record.errors[0]!.message).toContain(`sbom.cdx.json (sha256 ${await sha256(sbom)}, generate-sbom)`);
  });

  test('a file that other stages merely recorded (sign, scan) is not a subject the pipeline built', async () => {
    const s = await session();
    const [deb, notes] = await artifacts(s);
    await recordStage(s, 'build-package', [deb!]);
    await recordStage(s, 'generate-sbom', [await sbomFile(s)]);
    await recordStage(s, 'scan', [notes!]);
    await recordStage(s, 'sign', [notes!]);
    await recordStage(s, 'test-install');
    const outcome = await attest(s, { subjects: [deb!, notes!], key: ed25519().privatePem });
    expect(codes(outcome)).toEqual(['ATTEST_SUBJECT_MISMATCH']);
    expect(outcome.record.errors[0]!.subject).toBe('dist/hello_1.0_all.txt');
    expect(outcome.record.details).toMatchObject({
      subjects: [
        { name: 'hello_1.0_all.deb', builtByRun: true },
        { name: 'hello_1.0_all.txt', builtByRun: false },
      ],
    });
  });

  test("a build-package record that failed after an earlier pass vouches for nothing: its outputs are not 'built'", async () => {
    const s = await session();
    const [deb] = await artifacts(s);
    await completeRun(s, [deb!]);
    await recordStage(s, 'build-package', [deb!], 'failed');
    const outcome = await attest(s, { subjects: [deb!], key: ed25519().privatePem, requireStages: ['generate-sbom'] });
    expect(codes(outcome)).toEqual(['ATTEST_SUBJECT_MISMATCH']);
    expect(outcome.record.errors[0]!.message).toContain('the latest build-package record failed');
  });
});

describe('M3: every required stage must have a passing latest record', () => {
  test.each(ATTEST_REQUIRED_STAGES.map((stage) => [stage]))(
    'no %s record: ATTEST_EVIDENCE_INCOMPLETE, exit 1, nothing written',
    async (missing) => {
      const s = await session();
      const [deb] = await artifacts(s);
      for (const stage of ATTEST_REQUIRED_STAGES) {
        if (stage === missing) continue;
        if (stage === 'build-package') await recordStage(s, stage, [deb!]);
        else if (stage === 'generate-sbom') await recordStage(s, stage, [await sbomFile(s)]);
        else await recordStage(s, stage);
      }
      const outcome = await attest(s, { subjects: [deb!], key: ed25519().privatePem });
      expect(outcome.exitCode).toBe(1);
      expect(codes(outcome)).toEqual(
        missing === 'build-package' ? ['ATTEST_EVIDENCE_INCOMPLETE', 'ATTEST_SUBJECT_MISMATCH'] : ['ATTEST_EVIDENCE_INCOMPLETE'],
      );
      expect(outcome.record.errors[0]!.message).toContain(`no record of ${missing}`);
      expect(outcome.record.errors[0]!.subject).toBe(missing);
      await expectNothingWritten(s);
    },
  );

  test('a failed latest record refuses; a stage re-run to a pass counts by its latest record', async () => {
    const s = await session();
    const [deb] = await artifacts(s);
    await completeRun(s, [deb!]);
    await recordStage(s, 'test-install', [], 'failed');
    const key = ed25519();
    const refused = await attest(s, { subjects: [deb!], key: key.privatePem });
    expect(refused.exitCode).toBe(1);
    expect(codes(refused)).toEqual(['ATTEST_EVIDENCE_INCOMPLETE']);
    expect(refused.record.errors[0]!.message).toContain('the latest record of test-install failed');
    expect(refused.result!.summary).toMatch(/\| test-install \| \*\*failed\*\* \|/);
    await expectNothingWritten(s);

    await recordStage(s, 'test-install');
    const passed = await attest(s, { subjects: [deb!], key: key.privatePem });
    expect(passed.record.errors).toEqual([]);
    expect(passed.exitCode).toBe(0);
  });

  test('a complete run: the attested snapshot says passed, and its predicate carries that finalization', async () => {
    const s = await session();
    const [deb] = await artifacts(s);
    const { sbom } = await completeRun(s, [deb!]);
    const key = ed25519();
    const outcome = await attest(s, { subjects: [deb!, sbom], key: key.privatePem });
    expect(outcome.exitCode).toBe(0);
    const snapshot = await snapshotOf(outcome);
    expect(snapshot.finalized).toMatchObject({ status: 'passed', recordCount: 5 });
    const evidence = await verifyAttestation(outcome.result!.outputValues['evidence-attestation']!, key.publicPem);
    expect((evidence.statement as InTotoStatement<EvidencePackPredicate>).predicate?.finalized.status).toBe('passed');
    expect(outcome.record.notes ?? []).not.toContainEqual(expect.stringContaining('status failed'));
  });

  test("a narrowed 'require-stages' attests a partial run, but the signed snapshot says failed, with a note", async () => {
    const s = await session();
    const [deb] = await artifacts(s);
    await recordStage(s, 'build-package', [deb!]);
    const key = ed25519();
    const outcome = await attest(s, { subjects: [deb!], key: key.privatePem, requireStages: ['build-package'] });
    expect(outcome.record.errors).toEqual([]);
    expect(outcome.exitCode).toBe(0);
    const snapshot = await snapshotOf(outcome);
    expect(snapshot.records.map((r) => r.stage)).toEqual(['build-package']);
    // core's finalizationOf() alone would say passed (no record failed); the stage does not let it.
    expect(snapshot.finalized).toMatchObject({ status: 'failed', recordCount: 1 });
    const evidence = await verifyAttestation(outcome.result!.outputValues['evidence-attestation']!, key.publicPem);
    expect((evidence.statement as InTotoStatement<EvidencePackPredicate>).predicate?.finalized.status).toBe('failed');
    const note = (outcome.record.notes ?? []).find((n) => n.includes('status failed'));
    expect(note).toContain('generate-sbom has no record');
    expect(note).toContain("'require-stages' was narrowed to build-package");
    expect(s.logger.lines.some((l) => l.level === 'warn' && l.message.includes('status failed'))).toBe(true);
    expect(outcome.record.details).toMatchObject({ requiredStages: ['build-package'], evidence: { status: 'failed' } });
  });

  test.each<[string, StageName[]]>([
    ['an empty list', []],
    ['a stage after attest-provenance', ['build-package', 'publish']],
  ])('%s as programmatic requireStages is INPUT_INVALID, not a narrower gate', async (_label, requireStages) => {
    const s = await session();
    const [deb] = await artifacts(s);
    await recordStage(s, 'build-package', [deb!]);
    const outcome = await attest(s, { subjects: [deb!], key: ed25519().privatePem, requireStages });
    expect(outcome.exitCode).toBe(2);
    expect(codes(outcome)).toEqual(['INPUT_INVALID']);
    expect(outcome.record.errors[0]!.subject).toBe('require-stages');
    await expectNothingWritten(s);
  });

  test("a refused attempt stays in the pack: a re-run's snapshot says failed (core's rule) and the note says why", async () => {
    const s = await session();
    const [deb] = await artifacts(s);
    await completeRun(s, [deb!]);
    const key = ed25519();
    const stray = path.join(s.dir, 'stray.bin');
    await writeFile(stray, 'stray\n');
    expect((await attest(s, { subjects: [stray], key: key.privatePem })).exitCode).toBe(1);
    const outcome = await attest(s, { subjects: [deb!], key: key.privatePem });
    expect(outcome.exitCode).toBe(0);
    expect((await snapshotOf(outcome)).finalized.status).toBe('failed');
    expect(outcome.record.notes).toContainEqual(
      'the evidence snapshot is attested with status failed: the latest record of attest-provenance failed',
    );
  });
});

describe('require-stages input', () => {
  const parse = (raw: Record<string, string>): AttestProvenanceOptions =>
    attestProvenanceStage.parse({ subjects: 'a.deb', ...raw }, { workDir: '/w', env: {} });
  const parseError = (raw: Record<string, string>): FactoryError => {
    try {
      parse(raw);
    } catch (error) {
      if (error instanceof FactoryError) return error;
      throw error;
    }
    throw new Error('parse accepted the input');
  };

  test('defaults to every stage before attest-provenance; unset and empty string both mean the default', () => {
    const all: StageName[] = ['build-package', 'generate-sbom', 'scan', 'sign', 'test-install'];
    expect(attestProvenanceStage.inputs['require-stages']?.default).toBe(all.join(','));
    expect(parse({}).requireStages).toEqual(all);
    expect(parse({ 'require-stages': '' }).requireStages).toEqual(all);
  });

  test('a narrowed list is read in pipeline order, deduplicated, comma or newline separated', () => {
    expect(parse({ 'require-stages': 'sign, build-package\nsign' }).requireStages).toEqual(['build-package', 'sign']);
  });

  test('a list of no stage, a later stage, or an unknown name is INPUT_INVALID naming the input', () => {
    for (const value of [',', ' , \n ', 'publish', 'attest-provenance', 'verify', 'build-package,tests']) {
      const error = parseError({ 'require-stages': value });
      expect(error.code).toBe('INPUT_INVALID');
      expect(error.subject).toBe('require-stages');
      expect(error.message).toContain("input 'require-stages'");
      expect(error.exitCode).toBe(2);
    }
  });
});

describe('globs in subjects and materials, expanded like generate-sbom and publish do', () => {
  test("subjects 'dist/*.deb' and materials 'locks/*.json' expand from the working directory", async () => {
    const s = await session();
    const [deb, notes] = await artifacts(s);
    const { sbom } = await completeRun(s, [deb!, notes!]);
    await mkdir(path.join(s.dir, 'locks'), { recursive: true });
    await writeFile(path.join(s.dir, 'locks', 'a.json'), '{"a":1}\n');
    await writeFile(path.join(s.dir, 'locks', 'b.json'), '{"b":2}\n');
    const key = ed25519();
    const options = attestProvenanceStage.parse(
      { subjects: `dist/*.deb\n${path.relative(s.dir, sbom)}`, materials: 'locks/*.json', key: key.privatePem },
      { workDir: s.dir, env: {} },
    );
    const outcome = await runStage(attestProvenanceStage, options, await s.contextFor('attest-provenance'));
    expect(outcome.record.errors).toEqual([]);
    expect(outcome.exitCode).toBe(0);
    const verified = await verifyAttestation(outcome.result!.outputValues['provenance-bundle']!, key.publicPem, [deb!, sbom]);
    const statement = verified.statement as InTotoStatement<SlsaProvenancePredicate>;
    expect(statement.subject.map((x) => x.name)).toEqual(['hello_1.0_all.deb', 'sbom.cdx.json']);
    expect(statement.predicate?.buildDefinition.resolvedDependencies?.map((d) => d.name)).toEqual(['locks/a.json', 'locks/b.json']);
  });

  test.each([
    ['subjects', { subjects: ['dist/*.rpm'] }],
    ['materials', { subjects: ['dist/*.deb'], materials: ['locks/*.json'] }],
  ])('a %s glob that matches nothing is FILE_NOT_FOUND naming the input (exit 2)', async (input, options) => {
    const s = await session();
    const [deb] = await artifacts(s);
    await completeRun(s, [deb!]);
    const outcome = await attest(s, { ...options, key: ed25519().privatePem });
    expect(outcome.exitCode).toBe(2);
    expect(codes(outcome)).toEqual(['FILE_NOT_FOUND']);
    expect(outcome.record.errors[0]!.subject).toBe(input);
    expect(outcome.record.errors[0]!.message).toContain(`input '${input}'`);
    await expectNothingWritten(s);
  });
});

describeWithDpkg('with the real build-package and generate-sbom stages', () => {
  test('the built .deb and its SBOM are attested; a tampered copy of the .deb is refused', async () => {
    const s = await session();
    await cp(HELLO_PKGROOT, path.join(s.dir, 'pkgroot'), { recursive: true, verbatimSymlinks: true });
    const build = await runStage(
      buildPackageStage,
      buildPackageStage.parse(
        {
          'source-dir': 'pkgroot',
          name: 'hello-factory',
          version: '1.0.0',
          maintainer: 'Demo <demo@example.org>',
          description: 'A tiny greeter',
          depends: 'nodejs',
          'source-date-epoch': '1767225600',
        },
        { workDir: s.dir, env: {} },
      ),
      await s.contextFor('build-package'),
    );
    expect(build.record.errors).toEqual([]);
    const deb = build.result!.outputValues['package']!;
    const sbom = await runStage(
      generateSbomStage,
      generateSbomStage.parse({ paths: 'factory-out/packages/*.deb', 'source-date-epoch': '1767225600' }, { workDir: s.dir, env: {} }),
      await s.contextFor('generate-sbom'),
    );
    expect(sbom.record.errors).toEqual([]);
    const sbomPath = sbom.result!.outputValues['sbom']!;
    for (const stage of ['scan', 'sign', 'test-install'] as const) await recordStage(s, stage);

    const signer = KeySigner.ephemeral();
    const tampered = path.join(s.dir, 'mirror', path.basename(deb));
    await mkdir(path.dirname(tampered), { recursive: true });
    const bytes = await readFile(path.resolve(s.dir, deb));
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(tampered, bytes);
    const refused = await attest(s, { subjects: [tampered, sbomPath], signer });
    expect(refused.exitCode).toBe(1);
    expect(codes(refused)).toEqual(['ATTEST_SUBJECT_MISMATCH']);
    expect(refused.record.errors[0]!.message).toContain(`sha256 ${await sha256(path.resolve(s.dir, deb))} (build-package)`);

    const outcome = await attest(s, { subjects: ['factory-out/packages/*.deb', sbomPath], signer });
    expect(outcome.record.errors).toEqual([]);
    expect(outcome.exitCode).toBe(0);
    await verifyAttestation(outcome.result!.outputValues['provenance-bundle']!, signer.publicKeyPem, [path.resolve(s.dir, deb), sbomPath]);
  }, 60_000);
});
