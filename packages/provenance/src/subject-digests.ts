import path from 'node:path';
import { describeFile, digestFile, FactoryError, type FileRecord, type StageRecord } from '@packaging-factory/core';
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

/**
 * The artifact must still be what the pipeline last recorded it as: for each subject, the latest
 * mention of the same file in an earlier stage's record (outputs after inputs, so a stage that
 * rewrites a file in place, such as Authenticode signing, counts with its result) must carry the
 * same sha256. A difference means the file changed after it was signed, scanned or tested.
 */
export function checkAgainstEvidence(subjects: readonly FileRecord[], records: readonly StageRecord[], workDir: string): void {
  const latest = new Map<string, { sha256: string; stage: string }>();
  for (const record of records) {
    for (const file of [...record.inputs, ...record.outputs]) {
      latest.set(path.resolve(workDir, file.path), { sha256: file.sha256, stage: record.stage });
    }
  }
  for (const subject of subjects) {
    const seen = latest.get(path.resolve(workDir, subject.path));
    if (seen !== undefined && seen.sha256 !== subject.sha256) {
      throw new FactoryError(
        'ATTEST_SUBJECT_MISMATCH',
        `${subject.name} has sha256 ${subject.sha256}, but the ${seen.stage} stage recorded ${seen.sha256}: it changed after that stage`,
        { subject: subject.path, hint: 'rebuild and re-run the pipeline; never modify artifacts between stages' },
      );
    }
  }
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
