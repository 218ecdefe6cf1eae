import { digestBytes, type EvidencePackDocument, type Finalization } from '@packaging-factory/core';
import { buildStatement, type InTotoStatement } from './in-toto-statement.ts';

/** predicateType of our evidence-pack attestation (docs/provenance-buildtype.md). */
export const EVIDENCE_PACK_PREDICATE_TYPE = 'https://packaging-factory.dev/evidence-pack/v1';

/** File name of the attested evidence pack snapshot; also its subject name. */
export const EVIDENCE_SNAPSHOT_NAME = 'evidence-pack.json';

export interface EvidencePackPredicate {
  correlationId: string;
  finalized: Finalization;
}

/** The snapshot's bytes as written (pretty JSON + newline, like the working pack). */
export function evidenceSnapshotText(snapshot: EvidencePackDocument): string {
  return `${JSON.stringify(snapshot, null, 2)}\n`;
}

/** A Statement whose subject is the snapshot file, vouching for its finalization block. */
export function buildEvidenceStatement(snapshot: EvidencePackDocument, snapshotText: string): InTotoStatement<EvidencePackPredicate> {
  if (snapshot.finalized === undefined) throw new Error('bug: the evidence snapshot must be finalized before it is attested');
  return buildStatement([{ name: EVIDENCE_SNAPSHOT_NAME, digest: { sha256: digestBytes(snapshotText) } }], EVIDENCE_PACK_PREDICATE_TYPE, {
    correlationId: snapshot.correlationId,
    finalized: snapshot.finalized,
  });
}
