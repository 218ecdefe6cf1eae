import { FactoryError, type FileRecord, type StageName, type StageRecord } from '@packaging-factory/core';

export const DEFAULT_REQUIRED_STAGES: readonly StageName[] = [
  'build-package',
  'generate-sbom',
  'scan',
  'sign',
  'test-install',
  'attest-provenance',
];

export interface EvidenceCheck {
  /** Errors that forbid publishing (empty when the evidence vouches for every asset). */
  errors: FactoryError[];
  /** For the summary: each required stage and what its latest record says. */
  stages: { stage: StageName; status: 'passed' | 'failed' | 'missing' }[];
  /** Assets whose digest an earlier record vouches for, with the stage that recorded it. */
  vouched: { name: string; stage: StageName }[];
}

/**
 * Publish only what the evidence pack vouches for: the latest record of every required stage
 * must have passed (a stage re-run after a failure counts by its latest record), and every asset
 * named as an output of an earlier record must still have the digest recorded there (the latest
 * record naming it wins: a signer that rewrites a package in place records the new digest).
 */
export function checkEvidence(
  records: readonly StageRecord[],
  requiredStages: readonly StageName[],
  assets: readonly FileRecord[],
  requireStagesInput = 'require-stages',
): EvidenceCheck {
  const latest = new Map<StageName, StageRecord>();
  for (const record of records) latest.set(record.stage, record);
  const stages = requiredStages.map((stage) => {
    const record = latest.get(stage);
    return { stage, status: record === undefined ? ('missing' as const) : record.status };
  });
  const errors: FactoryError[] = [];
  const missing = stages.filter((s) => s.status === 'missing').map((s) => s.stage);
  const failed = stages.filter((s) => s.status === 'failed').map((s) => s.stage);
  if (missing.length > 0 || failed.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`no record of ${missing.join(', ')}`);
    if (failed.length > 0) parts.push(`latest record failed for ${failed.join(', ')}`);
    errors.push(
      new FactoryError('PUBLISH_EVIDENCE_INCOMPLETE', `the evidence pack does not vouch for this release: ${parts.join('; ')}`, {
        subject: [...missing, ...failed].join(', '),
        hint: `run the missing or failed stages with this evidence pack first, or narrow '${requireStagesInput}'`,
      }),
    );
  }

  const recorded = new Map<string, { sha256: string; stage: StageName }>();
  for (const record of records) {
    if (record.stage === 'publish') continue;
    for (const output of record.outputs) recorded.set(output.name, { sha256: output.sha256, stage: record.stage });
  }
  const vouched: EvidenceCheck['vouched'] = [];
  for (const asset of assets) {
    const expected = recorded.get(asset.name);
    if (expected === undefined) continue;
    if (expected.sha256 === asset.sha256) {
      vouched.push({ name: asset.name, stage: expected.stage });
      continue;
    }
    errors.push(
      new FactoryError(
        'PUBLISH_DIGEST_MISMATCH',
        `${asset.name} has sha256 ${asset.sha256}, but ${expected.stage} recorded ${expected.sha256}`,
        { subject: asset.path, hint: 'publish the file the pipeline built and checked, not a rebuilt or modified copy' },
      ),
    );
  }
  return { errors, stages, vouched };
}
