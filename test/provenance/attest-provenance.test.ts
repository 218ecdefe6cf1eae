import { createHash, createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { runStage, type StageOutcome } from '@packaging-factory/core';
import { KeySigner, parsePrivateKey, type ArtifactSigner } from '@packaging-factory/signing';
import {
  attestProvenanceStage,
  EVIDENCE_PACK_PREDICATE_TYPE,
  recheckSubjects,
  validateStatement,
  verifyAttestation,
  type AttestProvenanceOptions,
  type EvidencePackPredicate,
  type InTotoStatement,
  type SlsaProvenancePredicate,
} from '@packaging-factory/provenance';
import { makeTestSession, type TestSession } from '../support/context.ts';
import { completeRun } from './earlier-stages.ts';
import { ecdsaP256, ed25519 } from '../signing/keys.ts';
import { findLeaks, leakForms } from '../signing/secret-canary.ts';

const sessions: TestSession[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.cleanup();
});

/** A clock that ticks one second per reading, from a fixed start. */
function tickingClock(start = Date.parse('2025-06-01T12:00:00Z')): () => Date {
  let t = start;
  return () => new Date((t += 1000));
}

async function session(env: NodeJS.ProcessEnv = {}): Promise<TestSession> {
  const s = await makeTestSession({ env: { PATH: process.env['PATH'] ?? '', ...env }, correlationId: 'run-42', now: tickingClock() });
  sessions.push(s);
  return s;
}

async function artifacts(s: TestSession): Promise<string[]> {
  await mkdir(path.join(s.dir, 'dist'), { recursive: true });
  const files = [path.join(s.dir, 'dist', 'hello_1.0_amd64.deb'), path.join(s.dir, 'dist', 'hello-1.0.x86_64.rpm')];
  await writeFile(files[0]!, Buffer.from('!<arch>\ndebian-binary   2.0\n'));
  await writeFile(files[1]!, Buffer.alloc(9000, 3));
  return files;
}

const nothingWritten = async (s: TestSession): Promise<void> => {
  await expect(readFile(path.join(s.dir, 'factory-out/attestations/provenance.intoto.jsonl'))).rejects.toThrow();
  await expect(readFile(path.join(s.dir, 'factory-out/attestations/evidence-pack.json'))).rejects.toThrow();
};

async function attest(s: TestSession, options: Partial<AttestProvenanceOptions> & { subjects: string[] }): Promise<StageOutcome> {
  return runStage(
    attestProvenanceStage,
    { materials: [], ephemeralKey: false, outputDir: path.join(s.dir, 'factory-out/attestations'), ...options },
    await s.contextFor('attest-provenance'),
  );
}

/** DSSE v1 PAE, written from the spec (secure-systems-lab/dsse protocol.md), not from the library. */
function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

interface Envelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

async function readEnvelope(file: string): Promise<Envelope> {
  const text = await readFile(file, 'utf8');
  const lines = text.split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[1]).toBe('');
  return JSON.parse(lines[0]!) as Envelope;
}

function verifyEnvelope(envelope: Envelope, publicPem: string): boolean {
  const key = createPublicKey(publicPem);
  const payload = Buffer.from(envelope.payload, 'base64');
  const algorithm = key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
  return (
    envelope.signatures.length === 1 &&
    cryptoVerify(algorithm, pae(envelope.payloadType, payload), key, Buffer.from(envelope.signatures[0]!.sig, 'base64'))
  );
}

describe('attest-provenance after sign, one signer for both (the CLI run)', () => {
  test('writes verified SLSA v1 provenance and an evidence-pack attestation', async () => {
    const s = await session();
    const files = await artifacts(s);
    const signer = KeySigner.ephemeral();
    const { signed } = await completeRun(s, files, signer);
    if (signed === undefined) throw new Error('sign did not run');
    const lock = path.join(s.dir, 'package-lock.json');
    await writeFile(lock, '{"lockfileVersion":3}\n');

    const outcome = await attest(s, { subjects: files, signer, materials: [lock], publicKey: signed.result!.outputValues['public-key']! });
    expect(outcome.record.errors).toEqual([]);
    expect(outcome.exitCode).toBe(0);
    const values = outcome.result!.outputValues;
    const out = path.join(s.dir, 'factory-out/attestations');
    expect(values).toEqual({
      provenance: path.join(out, 'provenance.intoto.jsonl'),
      'provenance-bundle': path.join(out, 'provenance.sigstore.json'),
      'evidence-attestation': path.join(out, 'evidence-pack.sigstore.json'),
      'evidence-snapshot': path.join(out, 'evidence-pack.json'),
    });

    // The .intoto.jsonl line is a DSSE envelope that verifies against the key by the spec's PAE.
    const envelope = await readEnvelope(values['provenance']!);
    expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(envelope.signatures[0]!.keyid).toBe(signer.identity.fingerprint);
    expect(verifyEnvelope(envelope, signer.publicKeyPem)).toBe(true);
    expect(verifyEnvelope(envelope, ecdsaP256().publicPem)).toBe(false);
    const tampered = {
      ...envelope,
      payload: Buffer.from(Buffer.from(envelope.payload, 'base64').toString().replace('hello', 'jello')).toString('base64'),
    };
    expect(verifyEnvelope(tampered, signer.publicKeyPem)).toBe(false);

    // The bundle carries the same envelope.
    const bundleJson = JSON.parse(await readFile(values['provenance-bundle']!, 'utf8')) as { mediaType: string; dsseEnvelope: Envelope };
    expect(bundleJson.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundleJson.dsseEnvelope).toEqual(envelope);

    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as InTotoStatement<SlsaProvenancePredicate>;
    expect(validateStatement(statement)).toEqual({ valid: true, errors: [], warnings: [] });
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
    const digests = await Promise.all(
      files.map(async (f) =>
        createHash('sha256')
          .update(await readFile(f))
          .digest('hex'),
      ),
    );
    expect(statement.subject).toEqual([
      { name: 'hello-1.0.x86_64.rpm', digest: { sha256: digests[1] } },
      { name: 'hello_1.0_amd64.deb', digest: { sha256: digests[0] } },
    ]);
    const predicate = statement.predicate!;
    expect(predicate.buildDefinition.buildType).toBe('https://packaging-factory.dev/buildtypes/factory-run/v1');
    expect(predicate.runDetails.builder.id).toBe('https://packaging-factory.dev/builders/cli@v1');
    expect(predicate.runDetails.metadata?.invocationId).toBe('run-42');
    // startedOn is the build-package stage's start, the earliest record of the run.
    expect(predicate.runDetails.metadata?.startedOn).toBe(s.session.evidence.records[0]!.startedAt);
    expect(Date.parse(predicate.runDetails.metadata?.finishedOn ?? '')).toBeGreaterThan(Date.parse(signed.record.finishedAt));
    expect(predicate.buildDefinition.resolvedDependencies).toEqual([
      { name: 'package-lock.json', digest: { sha256: createHash('sha256').update('{"lockfileVersion":3}\n').digest('hex') } },
    ]);
    expect(predicate.buildDefinition.externalParameters['workingDirectory']).toBe(path.basename(s.dir));
    expect(JSON.stringify(statement)).not.toContain(s.dir);

    // The evidence pack snapshot: the attestation's subject digest is the written file's.
    const snapshotBytes = await readFile(values['evidence-snapshot']!);
    const evidenceEnvelope = await readEnvelope(path.join(out, 'evidence-pack.intoto.jsonl'));
    expect(verifyEnvelope(evidenceEnvelope, signer.publicKeyPem)).toBe(true);
    const evidenceStatement = JSON.parse(
      Buffer.from(evidenceEnvelope.payload, 'base64').toString(),
    ) as InTotoStatement<EvidencePackPredicate>;
    expect(evidenceStatement.predicateType).toBe(EVIDENCE_PACK_PREDICATE_TYPE);
    expect(evidenceStatement.subject).toEqual([
      { name: 'evidence-pack.json', digest: { sha256: createHash('sha256').update(snapshotBytes).digest('hex') } },
    ]);
    const snapshot = JSON.parse(snapshotBytes.toString()) as {
      correlationId: string;
      records: { stage: string }[];
      finalized: Record<string, unknown>;
    };
    expect(snapshot.records.map((r) => r.stage)).toEqual(['build-package', 'generate-sbom', 'scan', 'sign', 'test-install']);
    expect(snapshot.finalized).toMatchObject({ status: 'passed', recordCount: 5 });
    expect(evidenceStatement.predicate).toEqual({ correlationId: 'run-42', finalized: snapshot.finalized });
    // The working pack was not finalized: only the snapshot was; attest's own record follows sign's.
    const pack = JSON.parse(await readFile(s.evidencePath, 'utf8')) as { finalized?: unknown; records: { stage: string }[] };
    expect(pack.finalized).toBeUndefined();
    expect(pack.records.map((r) => r.stage)).toEqual([
      'build-package',
      'generate-sbom',
      'scan',
      'sign',
      'test-install',
      'attest-provenance',
    ]);

    // The exported verifier agrees, and checks subjects against the files.
    const verified = await verifyAttestation(values['provenance-bundle']!, signer.publicKeyPem, files);
    expect(verified.fingerprint).toBe(signer.identity.fingerprint);
    await verifyAttestation(values['evidence-attestation']!, signer.publicKeyPem, [values['evidence-snapshot']!]);
    await expect(verifyAttestation(values['provenance-bundle']!, ed25519().publicPem)).rejects.toMatchObject({ code: 'VERIFY_FAILED' });

    const details = outcome.record.details as Record<string, unknown>;
    expect(details['ephemeralKey']).toBe(true);
    expect(outcome.result!.summary).toContain('EPHEMERAL');
    expect(outcome.record.tools.map((t) => t.name)).toContain('@sigstore/sign');
    expect(details['requiredStages']).toEqual(['build-package', 'generate-sbom', 'scan', 'sign', 'test-install']);
  });

  test('in GitHub Actions the builder is the workflow and the commit is a resolved dependency', async () => {
    const s = await session({
      GITHUB_ACTIONS: 'true',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'octo-org/hello',
      GITHUB_WORKFLOW_REF: 'octo-org/hello/.github/workflows/release.yml@refs/tags/v1.0.0',
      GITHUB_REF: 'refs/tags/v1.0.0',
      GITHUB_SHA: '7fd1a60b01f91b314f59955a4e4d4e80d8edf11d',
      GITHUB_EVENT_NAME: 'push',
      GITHUB_RUN_ID: '123',
      GITHUB_RUN_ATTEMPT: '2',
      RUNNER_ENVIRONMENT: 'github-hosted',
    });
    const files = await artifacts(s);
    await completeRun(s, files);
    const key = ed25519();
    const outcome = await attest(s, { subjects: files, key: key.privatePem });
    expect(outcome.exitCode).toBe(0);
    const envelope = await readEnvelope(outcome.result!.outputValues['provenance']!);
    expect(verifyEnvelope(envelope, key.publicPem)).toBe(true);
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as InTotoStatement<SlsaProvenancePredicate>;
    const predicate = statement.predicate!;
    expect(predicate.runDetails.builder.id).toBe('https://github.com/octo-org/hello/.github/workflows/release.yml@refs/tags/v1.0.0');
    expect(predicate.buildDefinition.externalParameters).toEqual({
      workflow: { ref: 'refs/tags/v1.0.0', repository: 'https://github.com/octo-org/hello', path: '.github/workflows/release.yml' },
      eventName: 'push',
    });
    expect(predicate.buildDefinition.internalParameters?.['github']).toEqual({
      runId: '123',
      runAttempt: '2',
      runnerEnvironment: 'github-hosted',
    });
    expect(predicate.buildDefinition.resolvedDependencies).toEqual([
      { uri: 'git+https://github.com/octo-org/hello@refs/tags/v1.0.0', digest: { gitCommit: '7fd1a60b01f91b314f59955a4e4d4e80d8edf11d' } },
    ]);
    expect(Date.parse(predicate.runDetails.metadata?.startedOn ?? '')).toBeLessThan(
      Date.parse(predicate.runDetails.metadata?.finishedOn ?? ''),
    );
  });
});

describe('subject digests', () => {
  test('an artifact changed after build-package recorded it is ATTEST_SUBJECT_MISMATCH naming the expected sha256; nothing is written', async () => {
    const s = await session();
    const files = await artifacts(s);
    const signer = KeySigner.ephemeral();
    await completeRun(s, files, signer);
    const built = createHash('sha256')
      .update(await readFile(files[1]!))
      .digest('hex');
    await writeFile(files[1]!, Buffer.alloc(9000, 4));
    const outcome = await attest(s, { subjects: files, signer });
    expect(outcome.exitCode).toBe(1);
    expect(outcome.record.status).toBe('failed');
    expect(outcome.record.errors.map((e) => e.code)).toEqual(['ATTEST_SUBJECT_MISMATCH']);
    expect(outcome.record.errors[0]!.message).toContain('hello-1.0.x86_64.rpm');
    expect(outcome.record.errors[0]!.message).toContain(built);
    expect(outcome.record.errors[0]!.message).toContain('build-package');
    expect(outcome.record.errors[0]!.subject).toBe('dist/hello-1.0.x86_64.rpm');
    await nothingWritten(s);
  });

  test('recheckSubjects recomputes the files and catches a statement whose digest differs', async () => {
    const s = await session();
    const files = await artifacts(s);
    const byName = new Map(files.map((f) => [path.basename(f), f]));
    const good: InTotoStatement<unknown> = {
      _type: 'https://in-toto.io/Statement/v1',
      predicateType: 'https://slsa.dev/provenance/v1',
      subject: await Promise.all(
        files.map(async (f) => ({
          name: path.basename(f),
          digest: {
            sha256: createHash('sha256')
              .update(await readFile(f))
              .digest('hex'),
          },
        })),
      ),
    };
    await expect(recheckSubjects(good, byName)).resolves.toBeUndefined();
    const bad = structuredClone(good);
    bad.subject[0]!.digest!['sha256'] = '0'.repeat(64);
    await expect(recheckSubjects(bad, byName)).rejects.toMatchObject({ code: 'ATTEST_SUBJECT_MISMATCH' });
    const missing = { ...good, subject: good.subject.slice(1) };
    await expect(recheckSubjects(missing, byName)).rejects.toMatchObject({ code: 'ATTEST_SUBJECT_MISMATCH' });
  });
});

describe('keys and inputs', () => {
  test("a 'public-key' that is not the signer's is SIGN_KEY_INVALID", async () => {
    const s = await session();
    const files = await artifacts(s);
    await completeRun(s, files);
    const outcome = await attest(s, { subjects: files, key: ecdsaP256().privatePem, publicKey: ecdsaP256().publicPem });
    expect(outcome.record.errors.map((e) => e.code)).toEqual(['SIGN_KEY_INVALID']);
    expect(outcome.record.errors[0]!.subject).toBe('public-key');
  });

  test('no key, no signer and ephemeral-key false is SIGN_KEY_INVALID naming key', async () => {
    const s = await session();
    const files = await artifacts(s);
    await completeRun(s, files);
    const outcome = await attest(s, { subjects: files });
    expect(outcome.record.errors.map((e) => e.code)).toEqual(['SIGN_KEY_INVALID']);
    expect(outcome.record.errors[0]!.subject).toBe('key');
  });

  test('a signer whose signatures do not match its public key fails with SIGN_VERIFY_FAILED', async () => {
    const s = await session();
    const real = KeySigner.fromPrivateKey(parsePrivateKey(ed25519().privatePem, undefined).privateKey);
    const liar: ArtifactSigner = {
      identity: real.identity,
      publicKeyPem: ed25519().publicPem,
      signArtifact: (b) => real.signArtifact(b),
      signDsse: (p, t) => real.signDsse(p, t),
    };
    const files = await artifacts(s);
    await completeRun(s, files);
    const outcome = await attest(s, { subjects: files, signer: liar });
    expect(outcome.record.errors.map((e) => e.code)).toEqual(['SIGN_VERIFY_FAILED']);
  });

  test('the private key planted as a canary appears in no written file or log line', async () => {
    const s = await session();
    const files = await artifacts(s);
    const key = ecdsaP256('pass-phrase-canary-77');
    await completeRun(s, files);
    const outcome = await attest(s, { subjects: files, key: key.privatePem, keyPassphrase: 'pass-phrase-canary-77' });
    expect(outcome.exitCode).toBe(0);
    expect(await findLeaks([s.dir], s.logger.text(), leakForms(key.privatePem, 'pass-phrase-canary-77'))).toEqual([]);
  });

  test('parse: exact input names, defaults, and a build-type that must be a URI', () => {
    expect(Object.keys(attestProvenanceStage.inputs).sort()).toEqual([
      'build-type',
      'ephemeral-key',
      'key',
      'key-passphrase',
      'materials',
      'output-dir',
      'public-key',
      'require-stages',
      'subjects',
    ]);
    expect(Object.keys(attestProvenanceStage.outputs).sort()).toEqual([
      'evidence-attestation',
      'evidence-snapshot',
      'provenance',
      'provenance-bundle',
    ]);
    // Paths and globs are kept as given; the stage expands them from the working directory when it runs.
    expect(attestProvenanceStage.parse({ subjects: 'a.deb', materials: 'x.lock\nlocks/*.lock' }, { workDir: '/w', env: {} })).toEqual({
      subjects: ['a.deb'],
      materials: ['x.lock', 'locks/*.lock'],
      requireStages: ['build-package', 'generate-sbom', 'scan', 'sign', 'test-install'],
      ephemeralKey: false,
      outputDir: '/w/factory-out/attestations',
    });
    expect(
      attestProvenanceStage.parse({ subjects: 'a', 'build-type': 'https://example.com/bt/v1' }, { workDir: '/w', env: {} }).buildType,
    ).toBe('https://example.com/bt/v1');
    expect(() => attestProvenanceStage.parse({ subjects: 'a', 'build-type': 'my build' }, { workDir: '/w', env: {} })).toThrow(
      /input 'build-type'/,
    );
  });

  test('a build-type override is what the statement carries', async () => {
    const s = await session();
    const key = ed25519();
    const files = await artifacts(s);
    await completeRun(s, files);
    const outcome = await attest(s, {
      subjects: files,
      key: key.privatePem,
      buildType: 'https://example.com/buildtypes/custom/v2',
    });
    expect(outcome.exitCode).toBe(0);
    const verified = await verifyAttestation(outcome.result!.outputValues['provenance-bundle']!, key.publicPem);
    expect((verified.statement.predicate as SlsaProvenancePredicate).buildDefinition.buildType).toBe(
      'https://example.com/buildtypes/custom/v2',
    );
  });
});
