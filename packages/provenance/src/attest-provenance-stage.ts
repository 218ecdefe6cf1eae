import { createPublicKey, type KeyObject } from 'node:crypto';
import path from 'node:path';
import {
  describeFile,
  digestFile,
  expandFilePatterns,
  FactoryError,
  InputReader,
  STAGES,
  writeFileAtomic,
  type FileRecord,
  type StageContext,
  type StageName,
  type StageDefinition,
  type StageRecord,
  type StageResult,
} from '@packaging-factory/core';
import {
  dsseEnvelopeLine,
  EPHEMERAL_KEY_WARNING,
  keyFingerprint,
  parsePublicKey,
  readBundle,
  readKeyText,
  recordSigstoreLibraries,
  resolveSigner,
  serializeBundle,
  verifyBundleWithKey,
  type ArtifactSigner,
  type SignerOptions,
} from '@packaging-factory/signing';
import { buildEvidenceStatement, EVIDENCE_SNAPSHOT_NAME, evidenceSnapshotText } from './evidence-attestation.ts';
import type { InTotoStatement } from './in-toto-statement.ts';
import { signStatement, type SignedStatement } from './signed-statement.ts';
import { buildProvenanceStatement, type CliInvocation } from './slsa-provenance.ts';
import { validateStatement } from './statement-validator.ts';
import {
  ATTEST_REQUIRED_STAGES,
  checkRequiredStages,
  parseRequiredStages,
  requiredStageStates,
  withPipelineStatus,
  type RequiredStageState,
} from './required-stages.ts';
import { checkSubjectsProduced, describeSubjects, recheckSubjects, toDescriptor } from './subject-digests.ts';

export interface AttestProvenanceOptions extends SignerOptions {
  /** The artifacts the provenance is about: paths or glob patterns, resolved from the working directory when the stage runs. */
  subjects: string[];
  /** Extra build inputs recorded as resolvedDependencies: paths or glob patterns, like `subjects`. */
  materials: string[];
  /**
   * Stages whose latest evidence record must have passed before anything is signed; default
   * ATTEST_REQUIRED_STAGES (all five stages before attest-provenance).
   */
  requireStages?: readonly StageName[];
  /** Absolute directory the attestations are written to. */
  outputDir: string;
  /** Overrides buildDefinition.buildType (a TypeURI). */
  buildType?: string;
  /** Public key (PEM text or path) the signer must match: pins attestations to the key that signed the artifacts. */
  publicKey?: string;
  /** How a CLI run was started (filled in by the CLI, programmatic only). */
  invocation?: CliInvocation;
}

const INPUTS = {
  subjects: {
    description:
      'Artifacts the provenance is about, one path or glob per line (resolved from the working directory). Each must be, by name and sha256, an output of the latest passing build-package or generate-sbom record in the evidence pack.',
    kind: 'paths',
    required: true,
  },
  key: { description: 'Private signing key: PEM text from a secret, or the path of a PEM file. Never logged or written.', kind: 'secret' },
  'key-passphrase': { description: 'Passphrase of an encrypted PKCS#8 key.', kind: 'secret' },
  'ephemeral-key': {
    description: 'When no key is given, sign with a one-time ECDSA P-256 key (integrity only, not identity).',
    kind: 'boolean',
    default: 'false',
  },
  'public-key': {
    description:
      "Public key (PEM text or path) the signing key must match, e.g. the sign stage's public-key output: attestations then verify with the same key as the artifacts.",
    kind: 'string',
  },
  materials: {
    description: 'Extra build inputs (files) to record with their sha256 as resolved dependencies, one path or glob per line.',
    kind: 'paths',
  },
  'output-dir': {
    description: 'Directory for the provenance and evidence-pack attestations.',
    kind: 'path',
    default: 'factory-out/attestations',
  },
  'build-type': { description: 'Override of buildDefinition.buildType (a URI).', kind: 'string' },
  'require-stages': {
    description:
      'Stages whose latest evidence record must have passed before anything is attested (comma-separated list). Narrow it only for a standalone attest of a partial run: the attested evidence snapshot then says status failed unless all five stages passed.',
    kind: 'string',
    default: ATTEST_REQUIRED_STAGES.join(','),
  },
} as const;

const OUTPUTS = {
  provenance: { description: 'Path of provenance.intoto.jsonl (the DSSE envelope of the SLSA v1 provenance, one line).' },
  'provenance-bundle': { description: 'Path of provenance.sigstore.json (the same attestation as a Sigstore bundle v0.3).' },
  'evidence-attestation': { description: 'Path of evidence-pack.sigstore.json (the signed statement about the evidence pack snapshot).' },
  'evidence-snapshot': { description: 'Path of evidence-pack.json (the finalized evidence pack snapshot that was attested).' },
} as const;

/** A TypeURI (in-toto field_types.md): an absolute URI whose scheme and authority are lowercase. */
function isTypeUri(value: string): boolean {
  if (!/^[a-z][a-z0-9+.-]*:(?!\/\/[^/?#]*[A-Z])\S+$/.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

/** The name a material goes by: its path from the working directory (POSIX), or its file name when outside it. */
function materialName(file: string, workDir: string): string {
  const relative = path.relative(workDir, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? path.basename(file) : relative.split(path.sep).join('/');
}

/** The earliest start of any stage in the pack: when this run's build began. */
function earliestStart(ctx: StageContext, fallback: Date): Date {
  const starts = ctx.evidence.records.map((r) => Date.parse(r.startedAt)).filter((t) => Number.isFinite(t));
  return starts.length === 0 ? fallback : new Date(Math.min(...starts));
}

async function checkPinnedKey(options: AttestProvenanceOptions, signer: ArtifactSigner, workDir: string): Promise<FileRecord | undefined> {
  if (options.publicKey === undefined) return undefined;
  const text = await readKeyText(options.publicKey, workDir, 'public-key', 'SIGN_KEY_INVALID');
  const pinned = parsePublicKey(text.text, 'public-key', 'SIGN_KEY_INVALID');
  if (keyFingerprint(pinned) !== signer.identity.fingerprint) {
    throw new FactoryError(
      'SIGN_KEY_INVALID',
      `the signing key (${signer.identity.fingerprint}) is not the key given in 'public-key' (${keyFingerprint(pinned)})`,
      {
        subject: 'public-key',
        hint: 'attest with the same key that signed the artifacts (an ephemeral key cannot be reused across processes: pass the signer in-process)',
      },
    );
  }
  return text.source === 'file' ? describeFile(path.resolve(workDir, options.publicKey), 'public-key', workDir) : undefined;
}

/** Re-reads a written bundle and verifies it against the key, as a consumer would. */
async function verifyWritten(file: string, publicKey: KeyObject, signed: SignedStatement): Promise<void> {
  const bundle = await readBundle(file, { missing: 'ATTEST_FAILED', invalid: 'SIGN_VERIFY_FAILED' });
  const result = verifyBundleWithKey(bundle, publicKey);
  if (!result.ok || result.payload === undefined || !result.payload.equals(signed.payload)) {
    throw new FactoryError(
      'SIGN_VERIFY_FAILED',
      `${path.basename(file)} does not verify after it was written${result.ok ? '' : `: ${result.reason}`}`,
      {
        subject: file,
      },
    );
  }
}

function assertValid(statement: InTotoStatement<unknown>, what: string): string[] {
  const validation = validateStatement(statement);
  if (!validation.valid) {
    // Our own statement breaking the spec is a bug, or a bad build-type override: refuse to sign it.
    throw new FactoryError(
      'ATTEST_FAILED',
      `the ${what} statement does not conform to the in-toto/SLSA spec: ${validation.errors.slice(0, 5).join('; ')}`,
      {
        hint: "check the 'build-type' input; otherwise report this as a bug",
      },
    );
  }
  return validation.warnings;
}

/** Stages whose latest record failed, in pipeline order: what makes core's finalization fail. */
function failedLatest(records: readonly StageRecord[]): StageName[] {
  const latest = new Map<StageName, StageRecord>();
  for (const record of records) latest.set(record.stage, record);
  return STAGES.filter((stage) => latest.get(stage)?.status === 'failed');
}

function describeStates(states: readonly RequiredStageState[]): string {
  return states.map((s) => `${s.stage} ${s.status === 'missing' ? 'has no record' : s.status}`).join(', ');
}

/** The stage's answer when a gate says no: nothing signed or written, every reason recorded. */
function refused(
  errors: FactoryError[],
  subjects: readonly FileRecord[],
  stages: readonly RequiredStageState[],
  ctx: StageContext,
): StageResult {
  for (const error of errors) ctx.logger.error(error.message, error.subject);
  const mismatched = new Set(errors.filter((e) => e.code === 'ATTEST_SUBJECT_MISMATCH').map((e) => e.subject));
  const reasons: string[] = [];
  if (errors.some((e) => e.code === 'ATTEST_EVIDENCE_INCOMPLETE'))
    reasons.push(`required stages not passed: ${describeStates(stages.filter((s) => s.status !== 'passed'))}`);
  if (mismatched.size > 0) reasons.push(`${mismatched.size} subject(s) are not artifacts this run built`);
  const summary = [
    '## Attest provenance',
    '',
    '**Refused: nothing was signed or written.**',
    '',
    '| Required stage | Latest record |',
    '|---|---|',
    ...stages.map((s) => `| ${s.stage} | ${s.status === 'passed' ? 'passed' : `**${s.status}**`} |`),
    '',
    '| Subject | sha256 | Built by this run |',
    '|---|---|---|',
    ...subjects.map((s) => `| ${s.name} | \`${s.sha256}\` | ${mismatched.has(s.path) ? '**no**' : 'yes'} |`),
    '',
    ...errors.map((e) => `- **${e.code}**: ${e.message}`),
    '',
  ].join('\n');
  return {
    status: 'failed',
    decision: { result: 'fail', reason: reasons.join('; ') },
    inputs: [...subjects],
    outputs: [],
    outputValues: {},
    summary,
    details: {
      stages: stages.map((s) => ({ ...s })),
      subjects: subjects.map((s) => ({ name: s.name, sha256: s.sha256, builtByRun: !mismatched.has(s.path) })),
    },
    errors,
  };
}

/**
 * Builds the run's SLSA Provenance v1 over the subjects and an attestation of the finalized
 * evidence pack, DSSE-signs both, verifies them, and writes them as bundles and .intoto.jsonl.
 */
export async function attestProvenance(options: AttestProvenanceOptions, ctx: StageContext): Promise<StageResult> {
  const stageStart = ctx.now();
  const subjectFiles = await expandFilePatterns(options.subjects, ctx.workDir, 'subjects');
  const materialFiles = options.materials.length === 0 ? [] : await expandFilePatterns(options.materials, ctx.workDir, 'materials');
  const subjects = await describeSubjects(subjectFiles, ctx.workDir);

  // Gates before any key is touched: the run must be complete, and every subject one of its artifacts.
  // Programmatic callers get the same checks as the input: no empty list, no stage after this one.
  const requiredStages = options.requireStages === undefined ? ATTEST_REQUIRED_STAGES : parseRequiredStages(options.requireStages);
  const stages = requiredStageStates(ctx.evidence.records, requiredStages);
  const refusals: FactoryError[] = [];
  const incomplete = checkRequiredStages(stages);
  if (incomplete !== undefined) refusals.push(incomplete);
  refusals.push(...checkSubjectsProduced(subjects, ctx.evidence.records));
  if (refusals.length > 0) return refused(refusals, subjects, stages, ctx);

  const signer = await resolveSigner(options, ctx);
  recordSigstoreLibraries(ctx.exec);
  const publicKey = createPublicKey(signer.publicKeyPem);
  const pinnedKey = await checkPinnedKey(options, signer, ctx.workDir);
  const notes: string[] = [];
  if (signer.identity.ephemeral) {
    notes.push(EPHEMERAL_KEY_WARNING);
    ctx.logger.warn(EPHEMERAL_KEY_WARNING, 'ephemeral-key');
  }

  const materials: FileRecord[] = [];
  for (const file of materialFiles) materials.push(await describeFile(file, 'material', ctx.workDir));

  const statement = buildProvenanceStatement({
    subjects: subjects.map((s) => toDescriptor(s)),
    materials: materials.map((m) => toDescriptor(m, materialName(path.resolve(ctx.workDir, m.path), ctx.workDir))),
    env: ctx.env,
    workDir: ctx.workDir,
    correlationId: ctx.correlationId,
    startedOn: earliestStart(ctx, stageStart),
    finishedOn: ctx.now(),
    ...(options.buildType === undefined ? {} : { buildType: options.buildType }),
    ...(options.invocation === undefined ? {} : { invocation: options.invocation }),
  });
  const warnings = assertValid(statement, 'provenance');
  const provenance = await signStatement(statement, signer, publicKey, 'provenance');
  await recheckSubjects(statement, new Map(subjects.map((s) => [s.name, path.resolve(ctx.workDir, s.path)])));

  const snapshot = withPipelineStatus(ctx.evidence.finalizedSnapshot(ctx.now()));
  const pipelineStages = requiredStageStates(snapshot.records, ATTEST_REQUIRED_STAGES);
  if (snapshot.finalized?.status !== 'passed') {
    const notPassed = pipelineStages.filter((s) => s.status !== 'passed');
    const why =
      notPassed.length > 0 ? describeStates(notPassed) : `the latest record of ${failedLatest(snapshot.records).join(', ')} failed`;
    const narrowed =
      requiredStages.length < ATTEST_REQUIRED_STAGES.length ? ` ('require-stages' was narrowed to ${requiredStages.join(', ')})` : '';
    const incompleteNote = `the evidence snapshot is attested with status failed: ${why}${narrowed}`;
    notes.push(incompleteNote);
    ctx.logger.warn(incompleteNote, 'require-stages');
  }
  const snapshotText = evidenceSnapshotText(snapshot);
  const evidenceStatement = buildEvidenceStatement(snapshot, snapshotText);
  assertValid(evidenceStatement, 'evidence pack');
  const evidence = await signStatement(evidenceStatement, signer, publicKey, 'evidence pack');

  // Everything is signed and verified in memory: only now write, each file atomically.
  const out = options.outputDir;
  const files = {
    provenanceBundle: path.join(out, 'provenance.sigstore.json'),
    provenanceLine: path.join(out, 'provenance.intoto.jsonl'),
    snapshot: path.join(out, EVIDENCE_SNAPSHOT_NAME),
    evidenceBundle: path.join(out, 'evidence-pack.sigstore.json'),
    evidenceLine: path.join(out, 'evidence-pack.intoto.jsonl'),
    publicKey: path.join(out, signer.identity.ephemeral ? 'ephemeral-public-key.pem' : 'public-key.pem'),
  };
  await writeFileAtomic(files.provenanceBundle, serializeBundle(provenance.bundle));
  await writeFileAtomic(files.provenanceLine, dsseEnvelopeLine(provenance.bundle));
  await writeFileAtomic(files.snapshot, snapshotText);
  await writeFileAtomic(files.evidenceBundle, serializeBundle(evidence.bundle));
  await writeFileAtomic(files.evidenceLine, dsseEnvelopeLine(evidence.bundle));
  await writeFileAtomic(files.publicKey, signer.publicKeyPem);

  await verifyWritten(files.provenanceBundle, publicKey, provenance);
  await verifyWritten(files.evidenceBundle, publicKey, evidence);
  const snapshotDigest = await digestFile(files.snapshot);
  if (snapshotDigest !== evidenceStatement.subject[0]?.digest?.['sha256']) {
    throw new FactoryError('ATTEST_SUBJECT_MISMATCH', `${files.snapshot} has sha256 ${snapshotDigest}, not the attested one`, {
      subject: files.snapshot,
      hint: 'something rewrote the snapshot while it was being attested',
    });
  }

  const outputs: FileRecord[] = [
    await describeFile(files.provenanceLine, 'provenance', ctx.workDir),
    await describeFile(files.provenanceBundle, 'provenance-bundle', ctx.workDir),
    await describeFile(files.snapshot, 'evidence-snapshot', ctx.workDir),
    await describeFile(files.evidenceBundle, 'evidence-attestation', ctx.workDir),
    await describeFile(files.evidenceLine, 'evidence-attestation-envelope', ctx.workDir),
    await describeFile(files.publicKey, 'public-key', ctx.workDir),
  ];
  const inputs: FileRecord[] = [...subjects, ...materials];
  if (pinnedKey !== undefined) inputs.push(pinnedKey);
  notes.push(...warnings);

  const predicate = statement.predicate;
  const rel = (p: string): string => path.relative(ctx.workDir, p) || p;
  const summary = [
    '## Attest provenance',
    '',
    ...(signer.identity.ephemeral ? ['> [!WARNING]', `> ${EPHEMERAL_KEY_WARNING}`, ''] : []),
    `SLSA Provenance v1 for ${subjects.length} artifact(s), signed with ${signer.identity.ephemeral ? 'a one-time ' : 'the '}${signer.identity.algorithm} key \`${signer.identity.fingerprint}\` and verified.`,
    '',
    '| Subject | sha256 |',
    '|---|---|',
    ...subjects.map((s) => `| ${s.name} | \`${s.sha256}\` |`),
    '',
    `- builder.id: \`${predicate?.runDetails.builder.id ?? ''}\``,
    `- buildType: \`${predicate?.buildDefinition.buildType ?? ''}\``,
    `- invocationId: \`${ctx.correlationId}\``,
    `- provenance: \`${rel(files.provenanceLine)}\` (bundle \`${rel(files.provenanceBundle)}\`)`,
    `- evidence pack snapshot: \`${rel(files.snapshot)}\` (${snapshot.finalized?.recordCount ?? 0} records, status ${snapshot.finalized?.status ?? 'unknown'}), attestation \`${rel(files.evidenceBundle)}\``,
    `- required stages (all passed): ${requiredStages.join(', ')}`,
    `- public key: \`${rel(files.publicKey)}\``,
    '',
    'Read the signed statement:',
    '',
    '```sh',
    `jq -r .payload ${rel(files.provenanceLine)} | base64 -d | jq .`,
    '```',
    '',
  ].join('\n');

  return {
    status: 'passed',
    decision: { result: 'pass', reason: `provenance for ${subjects.length} artifact(s) and the evidence pack signed and verified` },
    inputs,
    outputs,
    outputValues: {
      provenance: files.provenanceLine,
      'provenance-bundle': files.provenanceBundle,
      'evidence-attestation': files.evidenceBundle,
      'evidence-snapshot': files.snapshot,
    },
    summary,
    details: {
      signer: { ...signer.identity },
      ephemeralKey: signer.identity.ephemeral,
      predicateType: statement.predicateType,
      buildType: predicate?.buildDefinition.buildType,
      builderId: predicate?.runDetails.builder.id,
      invocationId: ctx.correlationId,
      subjects: subjects.map((s) => ({ name: s.name, sha256: s.sha256 })),
      requiredStages: [...requiredStages],
      stages: pipelineStages.map((s) => ({ ...s })),
      evidence: {
        snapshotSha256: snapshotDigest,
        recordCount: snapshot.finalized?.recordCount ?? 0,
        recordsSha256: snapshot.finalized?.recordsSha256 ?? '',
        status: snapshot.finalized?.status ?? 'unknown',
      },
    },
    notes,
  };
}

/** The `attest-provenance` stage: SLSA v1 provenance and the evidence pack attestation. */
export const attestProvenanceStage: StageDefinition<AttestProvenanceOptions> = {
  name: 'attest-provenance',
  title: 'Attest provenance',
  description: 'Writes a signed SLSA Provenance v1 statement for the artifacts and a signed attestation of the finalized evidence pack.',
  inputs: INPUTS,
  outputs: OUTPUTS,
  positional: 'subjects',
  parse(raw, { workDir }) {
    const reader = new InputReader(raw, INPUTS, workDir);
    const options: AttestProvenanceOptions = {
      // Paths and globs stay as given: the stage expands them (expandFilePatterns) when it runs.
      subjects: reader.requiredList('subjects'),
      materials: reader.list('materials'),
      requireStages: parseRequiredStages(reader.list('require-stages')),
      ephemeralKey: reader.boolean('ephemeral-key'),
      outputDir: reader.path('output-dir'),
    };
    const key = reader.optional('key');
    if (key !== undefined) options.key = key;
    const passphrase = raw['key-passphrase'];
    if (passphrase !== undefined && passphrase !== '') options.keyPassphrase = passphrase;
    const publicKey = reader.optional('public-key');
    if (publicKey !== undefined) options.publicKey = publicKey;
    const buildType = reader.optional('build-type');
    if (buildType !== undefined) {
      if (!isTypeUri(buildType)) {
        throw new FactoryError(
          'INPUT_INVALID',
          `input 'build-type' must be an absolute URI with a lowercase scheme and host; got '${buildType}'`,
          {
            subject: 'build-type',
            hint: 'e.g. https://example.com/buildtypes/my-build/v1',
          },
        );
      }
      options.buildType = buildType;
    }
    return options;
  },
  run: attestProvenance,
};
