import { FactoryError, type EvidencePackDocument, type StageName, type StageRecord } from '@packaging-factory/core';

/**
 * The stages before attest-provenance, in pipeline order. Provenance vouches for the whole run, so
 * by default every one of them must have a passing latest record, and the attested evidence snapshot
 * says `passed` only when they all do.
 */
export const ATTEST_REQUIRED_STAGES = [
  'build-package',
  'generate-sbom',
  'scan',
  'sign',
  'test-install',
] as const satisfies readonly StageName[];

export type RequiredStageStatus = 'passed' | 'failed' | 'missing';

export interface RequiredStageState {
  stage: StageName;
  status: RequiredStageStatus;
}

/** Each stage and what its latest record says (a stage re-run after a failure counts by its latest record). */
export function requiredStageStates(records: readonly StageRecord[], stages: readonly StageName[]): RequiredStageState[] {
  return stages.map((stage) => {
    const latest = records.findLast((r) => r.stage === stage);
    return { stage, status: latest === undefined ? 'missing' : latest.status };
  });
}

/**
 * Reads `require-stages`: names of stages before attest-provenance, deduplicated, in pipeline order.
 * A value that lists no stage is refused rather than read as "require nothing": narrowing the gate
 * must be a deliberate list. (An empty string is "not given", as for every input, so the default applies.)
 */
export function parseRequiredStages(items: readonly string[], input = 'require-stages'): StageName[] {
  if (items.length === 0) {
    throw new FactoryError('INPUT_INVALID', `input '${input}' lists no stage`, {
      subject: input,
      hint: `name at least one of ${ATTEST_REQUIRED_STAGES.join(', ')}, or leave it unset for all of them`,
    });
  }
  for (const item of items) {
    if (!(ATTEST_REQUIRED_STAGES as readonly string[]).includes(item)) {
      throw new FactoryError('INPUT_INVALID', `input '${input}': '${item}' is not a stage that runs before attest-provenance`, {
        subject: input,
        hint: `use names from ${ATTEST_REQUIRED_STAGES.join(', ')}`,
      });
    }
  }
  return ATTEST_REQUIRED_STAGES.filter((stage) => items.includes(stage));
}

/** ATTEST_EVIDENCE_INCOMPLETE when a required stage has no record or its latest record failed. */
export function checkRequiredStages(states: readonly RequiredStageState[], input = 'require-stages'): FactoryError | undefined {
  const missing = states.filter((s) => s.status === 'missing').map((s) => s.stage);
  const failed = states.filter((s) => s.status === 'failed').map((s) => s.stage);
  if (missing.length === 0 && failed.length === 0) return undefined;
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`no record of ${missing.join(', ')}`);
  if (failed.length > 0) parts.push(`the latest record of ${failed.join(', ')} failed`);
  return new FactoryError('ATTEST_EVIDENCE_INCOMPLETE', `the evidence pack does not show a complete, passing run: ${parts.join('; ')}`, {
    subject: [...missing, ...failed].join(', '),
    hint: `run the missing or failed stages with this evidence pack first; for a standalone attest, narrow '${input}' knowingly (the snapshot is then attested as failed)`,
  });
}

/**
 * The snapshot with its finalization status made honest about the whole pipeline: core's
 * finalizationOf() only fails a pack whose latest records failed, so an empty or partial pack would
 * say `passed`. Here `passed` also needs a passing latest record of every stage in
 * ATTEST_REQUIRED_STAGES, whatever `require-stages` narrowed the gate to.
 */
export function withPipelineStatus(snapshot: EvidencePackDocument): EvidencePackDocument {
  if (snapshot.finalized === undefined) throw new Error('bug: the evidence snapshot must be finalized before its status is checked');
  const complete = requiredStageStates(snapshot.records, ATTEST_REQUIRED_STAGES).every((s) => s.status === 'passed');
  if (complete) return snapshot;
  return { ...snapshot, finalized: { ...snapshot.finalized, status: 'failed' } };
}
