import { readFile } from 'node:fs/promises';
import { digestBytes, FactoryError } from '@packaging-factory/core';
import { verifyApproval, type Approver } from './approval.ts';
import { parseExceptionsFile, type ExceptionEntry } from './exceptions-file.ts';
import type { SecurityPolicy } from './security-policy.ts';

export type ExceptionState = 'active' | 'expired' | 'unapproved' | 'invalid';

/** One entry of the file and what became of it. Only `active` entries are ever applied. */
export interface ExceptionStatus {
  index: number;
  /** The entry when it is well-formed. */
  entry?: ExceptionEntry;
  /** The raw value when it is not. */
  raw?: unknown;
  state: ExceptionState;
  reason: string;
}

/** An exceptions file after its approval and each entry's expiry were checked. */
export interface ExceptionSet {
  file: string;
  sha256: string;
  bundle?: string;
  approved: boolean;
  approver?: Approver;
  /** Why the file is or is not approved. */
  approval: string;
  entries: ExceptionStatus[];
}

export interface LoadExceptionsOptions {
  /** The exceptions YAML file (absolute). */
  file: string;
  /** The Sigstore bundle over the file; undefined means none was given. */
  bundle?: string;
  policy?: SecurityPolicy;
  /** The clock the expiry is judged by (a run's fixed time, for repeatable results). */
  now: Date;
}

/**
 * Reads an exceptions file and decides each entry's state: `invalid` when it breaks the schema,
 * `unapproved` when the file carries no valid approval by a security reviewer (missing bundle, bad
 * signature, altered bytes, unlisted signer), `expired` after its `expires` day (UTC), else `active`.
 * A file that cannot be read at all throws SCAN_EXCEPTIONS_INVALID.
 */
export async function loadExceptionSet(options: LoadExceptionsOptions): Promise<ExceptionSet> {
  let bytes: Buffer;
  try {
    bytes = await readFile(options.file);
  } catch (error) {
    throw new FactoryError('SCAN_EXCEPTIONS_INVALID', `exceptions file ${options.file} cannot be read`, {
      cause: error,
      subject: options.file,
      hint: 'check the path of the exceptions input',
    });
  }
  const parsed = parseExceptionsFile(bytes.toString('utf8'), options.file);
  const approval = await verifyApproval(bytes, options.bundle, options.policy);
  const today = options.now.toISOString().slice(0, 10);
  const entries = parsed.entries.map((read): ExceptionStatus => {
    if (read.entry === undefined) return { index: read.index, raw: read.raw, state: 'invalid', reason: read.problems.join('; ') };
    const entry = read.entry;
    if (!approval.approved) return { index: read.index, entry, state: 'unapproved', reason: approval.reason };
    // `expires` is the last day it holds: ISO dates compare as strings.
    if (entry.expires < today) return { index: read.index, entry, state: 'expired', reason: `expired on ${entry.expires}` };
    return { index: read.index, entry, state: 'active', reason: `approved (${approval.reason}), holds until ${entry.expires}` };
  });
  const set: ExceptionSet = {
    file: options.file,
    sha256: digestBytes(bytes),
    approved: approval.approved,
    approval: approval.reason,
    entries,
  };
  if (options.bundle !== undefined) set.bundle = options.bundle;
  if (approval.approver !== undefined) set.approver = approval.approver;
  return set;
}

/** Entries that may be applied. */
export function activeExceptions(set: ExceptionSet): { index: number; entry: ExceptionEntry }[] {
  return set.entries.filter((s) => s.state === 'active' && s.entry !== undefined).map((s) => ({ index: s.index, entry: s.entry! }));
}
