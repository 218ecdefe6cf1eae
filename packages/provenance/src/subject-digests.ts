import { describeFile, digestFile, FactoryError, type FileRecord, type StageName, type StageRecord } from '@packaging-factory/core';
import { byCodePoint } from './code-point-order.ts';
import type { InTotoStatement, ResourceDescriptor } from './in-toto-statement.ts';

/** Describes the subjects (sha256 each), sorted by name; two subjects may not share a name. */
export async function describeSubjects(files: readonly string[], workDir: string, role = 'artifact'): Promise<FileRecord[]> {
  const records: FileRecord[] = [];
  const byName = new Map<string, string>();
  for (const file of [...new Set(files)].sort()) {
    const record = await describeFile(file, role, workDir);
    const other = byName.get(record.name);
    if (other !== undefined) {
      // statement.md: subject names SHOULD be unique; consumers match the name to the file they hold.
      throw new FactoryError('INPUT_INVALID', `input 'subjects' names two artifacts called ${record.name} (${other} and ${file})`, {
        subject: 'subjects',
        hint: 'attest them in separate steps, or rename one',
      });
    }
    byName.set(record.name, file);
    records.push(record);
  }
  return records.sort((a, b) => byCodePoint(a.name, b.name));
}

/** A FileRecord as a subject/dependency descriptor: name and sha256. */
export function toDescriptor(record: FileRecord, name = record.name): ResourceDescriptor {
  return { name, digest: { sha256: record.sha256 } };
}

/** The stages whose outputs are the run's artifacts: the package and its SBOM. */
export const SUBJECT_PRODUCERS = ['build-package', 'generate-sbom'] as const satisfies readonly StageName[];

/** An artifact the evidence pack vouches for: an output of a producer's latest, passing record. */
export interface ProducedArtifact {
  name: string;
  sha256: string;
  stage: StageName;
}

/**
 * What the pipeline built: the outputs of the latest record of each producer stage, when that record
 * passed. A failed latest record vouches for nothing (a failed rebuild may have left anything behind),
 * and records of other stages never do: sign or scan naming a file only says they looked at it.
 */
export function producedArtifacts(records: readonly StageRecord[]): { artifacts: ProducedArtifact[]; failed: StageName[] } {
  const artifacts: ProducedArtifact[] = [];
  const failed: StageName[] = [];
  for (const stage of SUBJECT_PRODUCERS) {
    const latest = records.findLast((r) => r.stage === stage);
    if (latest === undefined) continue;
    if (latest.status !== 'passed') {
      failed.push(stage);
      continue;
    }
    for (const output of latest.outputs) artifacts.push({ name: output.name, sha256: output.sha256, stage });
  }
  return { artifacts, failed };
}

/**
 * Provenance may only be signed for what this run built (security review M3): each subject's name
 * AND sha256 must equal an output of the latest passing build-package or generate-sbom record. A
 * match by path alone would let a tampered copy elsewhere, or any unrelated file, be attested.
 * Returns one ATTEST_SUBJECT_MISMATCH per subject that is not such an output.
 */
export function checkSubjectsProduced(subjects: readonly FileRecord[], records: readonly StageRecord[]): FactoryError[] {
  const { artifacts, failed } = producedArtifacts(records);
  const hint =
    'attest the files build-package and generate-sbom wrote in this run (same evidence pack), byte for byte; rebuild instead of editing an artifact';
  const failedNote = failed.length === 0 ? '' : ` (the latest ${failed.join(' and ')} record failed, so it vouches for nothing)`;
  const errors: FactoryError[] = [];
  for (const subject of subjects) {
    if (artifacts.some((a) => a.name === subject.name && a.sha256 === subject.sha256)) continue;
    const sameName = artifacts.filter((a) => a.name === subject.name);
    let message: string;
    if (sameName.length > 0) {
      const expected = sameName.map((a) => `sha256 ${a.sha256} (${a.stage})`).join(' or ');
      message = `subject ${subject.name} has sha256 ${subject.sha256}, but the pipeline built ${subject.name} with ${expected}: it is not the artifact the pipeline built`;
    } else if (artifacts.length > 0) {
      const expected = artifacts.map((a) => `${a.name} (sha256 ${a.sha256}, ${a.stage})`).join(', ');
      message = `subject ${subject.name} (sha256 ${subject.sha256}) is not an output of the latest passing build-package or generate-sbom record; expected one of: ${expected}${failedNote}`;
    } else {
      message = `subject ${subject.name} (sha256 ${subject.sha256}) is not an output of the pipeline: expected an output of a passing build-package or generate-sbom record, but the evidence pack has none${failedNote}`;
    }
    errors.push(new FactoryError('ATTEST_SUBJECT_MISMATCH', message, { subject: subject.path, hint }));
  }
  return errors;
}

/**
 * Recomputes each subject file's sha256 and compares it with the statement's subject digest, after
 * signing: what was attested must be byte-for-byte what is on disk.
 */
export async function recheckSubjects(statement: InTotoStatement<unknown>, files: ReadonlyMap<string, string>): Promise<void> {
  const names = new Set(statement.subject.map((s) => s.name));
  for (const name of files.keys()) {
    if (!names.has(name))
      throw new FactoryError('ATTEST_SUBJECT_MISMATCH', `${name} is missing from the statement's subjects`, { subject: name });
  }
  for (const subject of statement.subject) {
    const file = subject.name === undefined ? undefined : files.get(subject.name);
    if (file === undefined) {
      throw new FactoryError('ATTEST_SUBJECT_MISMATCH', `subject ${subject.name ?? '(unnamed)'} names no artifact of this stage`, {
        subject: subject.name ?? 'subject',
      });
    }
    const actual = await digestFile(file);
    if (subject.digest?.['sha256'] !== actual) {
      throw new FactoryError(
        'ATTEST_SUBJECT_MISMATCH',
        `subject ${subject.name ?? ''} says sha256 ${subject.digest?.['sha256'] ?? '(none)'}, but ${file} has ${actual}`,
        { subject: file, hint: 'the artifact changed while it was being attested; make sure nothing else writes it' },
      );
    }
  }
}
