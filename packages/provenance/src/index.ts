export {
  buildStatement,
  IN_TOTO_PAYLOAD_TYPE,
  IN_TOTO_STATEMENT_V1,
  statementPayload,
  type DigestSet,
  type InTotoStatement,
  type ResourceDescriptor,
} from './in-toto-statement.ts';
export {
  buildProvenanceStatement,
  CLI_BUILDER_ID,
  FACTORY_BUILD_TYPE,
  FACTORY_VERSION,
  parseWorkflowRef,
  SLSA_PROVENANCE_V1,
  type CliInvocation,
  type ProvenanceInput,
  type SlsaProvenancePredicate,
} from './slsa-provenance.ts';
export { validateStatement, type StatementValidation } from './statement-validator.ts';
export {
  checkSubjectsProduced,
  describeSubjects,
  producedArtifacts,
  recheckSubjects,
  SUBJECT_PRODUCERS,
  toDescriptor,
  type ProducedArtifact,
} from './subject-digests.ts';
export {
  ATTEST_REQUIRED_STAGES,
  checkRequiredStages,
  parseRequiredStages,
  requiredStageStates,
  withPipelineStatus,
  type RequiredStageState,
  type RequiredStageStatus,
} from './required-stages.ts';
export { signStatement, type SignedStatement } from './signed-statement.ts';
export {
  buildEvidenceStatement,
  EVIDENCE_PACK_PREDICATE_TYPE,
  EVIDENCE_SNAPSHOT_NAME,
  evidenceSnapshotText,
  type EvidencePackPredicate,
} from './evidence-attestation.ts';
export { verifyAttestation, type VerifiedAttestation } from './verify-attestation.ts';
export { attestProvenance, attestProvenanceStage, type AttestProvenanceOptions } from './attest-provenance-stage.ts';
