import { createHash } from 'node:crypto';
import { FactoryError } from '@packaging-factory/core';
import { compareText } from '../findings.ts';
import type { AppliedException } from '../policy/apply-exceptions.ts';
import type { ExceptionSet } from '../policy/exception-set.ts';
import { validateOpenVex } from './openvex-schema.ts';

/** OpenVEX v0.2.0's JSON-LD context (OPENVEX-SPEC.md v0.2.0, Document Struct Fields). */
export const OPENVEX_CONTEXT = 'https://openvex.dev/ns/v0.2.0';

/** Where an advisory id is documented: osv.dev serves every OSV id and its aliases. */
export function advisoryUrl(id: string): string {
  return `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;
}

export interface OpenVexInput {
  /** The exceptions file after approval; only its active `not_affected` entries become statements. */
  exceptions: ExceptionSet;
  /** What those entries covered in this scan (from applyExceptions). */
  applied: readonly AppliedException[];
  /** The document author (OpenVEX: an individual or organization; ideally tied to the signature). */
  author: string;
  /** Issue time, ISO 8601: from SOURCE_DATE_EPOCH or an explicit input, never the wall clock. */
  timestamp: string;
  /** OpenVEX `tooling`, e.g. `packaging-factory-scan 0.1.0`. */
  tooling: string;
}

export interface OpenVexOutput {
  /** The document, or undefined when no approved not_affected exception exists (OpenVEX needs ≥ 1 statement). */
  document?: Record<string, unknown>;
  /** The document serialized (2-space JSON, trailing newline): the bytes to write. */
  text?: string;
  /** Active not_affected entries that could not be expressed (a glob pattern that covered no finding). */
  skipped: { index: number; reason: string }[];
}

interface Statement {
  vulnerability: { '@id': string; name: string; aliases?: string[] };
  products: { '@id': string; identifiers: { purl: string } }[];
  status: 'not_affected';
  justification: string;
  impact_statement: string;
  status_notes: string;
}

/**
 * Builds the OpenVEX document for the approved `not_affected` exceptions. Deterministic: statements
 * are sorted, the document @id is derived from the content (`https://openvex.dev/docs/public/vex-
 * <sha256>`, the shared namespace vexctl uses), and the timestamp is the caller's. An entry that
 * covered findings yields one statement per vulnerability with the findings' purls as products;
 * an entry that covered nothing is stated for its own purl when that is a literal purl, and skipped
 * when it is a glob. The result is validated against the OpenVEX v0.2.0 schema (a failure is a bug).
 */
export function buildOpenVex(input: OpenVexInput): OpenVexOutput {
  const statements = new Map<string, Statement>();
  const skipped: OpenVexOutput['skipped'] = [];
  const approver = input.exceptions.approver;
  const approvedBy =
    approver === undefined
      ? 'unknown'
      : approver.kind === 'key'
        ? `key ${approver.fingerprint}`
        : `${approver.identity} (${approver.issuer})`;
  const covered = new Map<number, AppliedException[]>();
  for (const applied of input.applied) {
    if (applied.exception.status !== 'not_affected') continue;
    covered.set(applied.index, [...(covered.get(applied.index) ?? []), applied]);
  }
  for (const status of input.exceptions.entries) {
    const entry = status.entry;
    if (status.state !== 'active' || entry === undefined || entry.status !== 'not_affected') continue;
    const notes = `exception ${status.index} of ${input.exceptions.sha256.slice(0, 12)}: owner ${entry.owner}; ticket ${entry.ticket}; expires ${entry.expires}; approved by ${approvedBy}`;
    const add = (name: string, aliases: string[], purl: string): void => {
      const key = `${status.index}\u0000${name}`;
      const statement = statements.get(key) ?? {
        vulnerability: { '@id': advisoryUrl(name), name, ...(aliases.length > 0 ? { aliases } : {}) },
        products: [],
        status: 'not_affected' as const,
        // The exceptions schema requires a justification for every not_affected entry.
        justification: entry.justification!,
        impact_statement: entry.reason,
        status_notes: notes,
      };
      if (!statement.products.some((p) => p['@id'] === purl)) statement.products.push({ '@id': purl, identifiers: { purl } });
      statements.set(key, statement);
    };
    const hits = covered.get(status.index) ?? [];
    for (const hit of hits) {
      const aliases = [...new Set([...hit.finding.ids, ...hit.finding.aliases])].filter((a) => a !== hit.finding.id).sort(compareText);
      add(hit.finding.id, aliases, hit.finding.package.purl!);
    }
    if (hits.length === 0) {
      if (entry.package.includes('*'))
        skipped.push({ index: status.index, reason: `the pattern ${entry.package} covered no finding and is not a single purl` });
      else add(entry.id, [], entry.package);
    }
  }
  if (statements.size === 0) return { skipped };
  const sorted = [...statements.values()]
    .map((s) => ({ ...s, products: [...s.products].sort((a, b) => compareText(a['@id'], b['@id'])) }))
    .sort(
      (a, b) =>
        compareText(a.vulnerability.name, b.vulnerability.name) ||
        compareText(a.products[0]?.['@id'] ?? '', b.products[0]?.['@id'] ?? '') ||
        compareText(a.status_notes, b.status_notes),
    );
  const body = { author: input.author, timestamp: input.timestamp, version: 1, tooling: input.tooling, statements: sorted };
  const id = `https://openvex.dev/docs/public/vex-${createHash('sha256').update(JSON.stringify(body)).digest('hex')}`;
  const document = { '@context': OPENVEX_CONTEXT, '@id': id, ...body };
  const problems = validateOpenVex(document);
  if (problems.length > 0) {
    throw new FactoryError(
      'SCAN_EXCEPTIONS_INVALID',
      `bug: the OpenVEX document built from ${input.exceptions.file} breaks the OpenVEX schema: ${problems.join('; ')}`,
      {
        subject: input.exceptions.file,
      },
    );
  }
  return { document, text: `${JSON.stringify(document, null, 2)}\n`, skipped };
}
