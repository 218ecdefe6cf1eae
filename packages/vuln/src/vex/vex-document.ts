import { readFile } from 'node:fs/promises';
import { digestBytes, FactoryError } from '@packaging-factory/core';
import type { Finding } from '../findings.ts';
import { findingNames } from '../policy/apply-exceptions.ts';
import { verifyApproval, type Approver } from '../policy/approval.ts';
import { purlMatchesPattern, parsePurlPattern } from '../policy/purl-pattern.ts';
import type { SecurityPolicy } from '../policy/security-policy.ts';
import { parseVexDocument, type VexFormat } from './vex-readers.ts';
import { suppresses, type VexStatement } from './vex-statement.ts';

/** A VEX document and whether a security reviewer approved it. Unapproved statements are never applied. */
export interface VexDocument {
  file: string;
  sha256: string;
  format: VexFormat;
  bundle?: string;
  approved: boolean;
  approver?: Approver;
  approval: string;
  statements: VexStatement[];
  warnings: string[];
}

/**
 * Reads a VEX document (OpenVEX v0.2.0 JSON or CycloneDX VEX) and checks its approval under the
 * same rule as exceptions: a Sigstore bundle over the file's exact bytes signed by a reviewer of
 * the policy. A file that cannot be read or parsed throws SCAN_VEX_INVALID.
 */
export async function loadVexDocument(options: { file: string; bundle?: string; policy?: SecurityPolicy }): Promise<VexDocument> {
  let bytes: Buffer;
  try {
    bytes = await readFile(options.file);
  } catch (error) {
    throw new FactoryError('SCAN_VEX_INVALID', `VEX document ${options.file} cannot be read`, {
      cause: error,
      subject: options.file,
      hint: 'check the path of the vex input',
    });
  }
  const parsed = parseVexDocument(bytes.toString('utf8'), options.file);
  const approval = await verifyApproval(bytes, options.bundle, options.policy);
  const document: VexDocument = {
    file: options.file,
    sha256: digestBytes(bytes),
    format: parsed.format,
    approved: approval.approved,
    approval: approval.reason,
    statements: parsed.statements,
    warnings: parsed.warnings,
  };
  if (options.bundle !== undefined) document.bundle = options.bundle;
  if (approval.approver !== undefined) document.approver = approval.approver;
  return document;
}

/** A finding an approved VEX statement declares `not_affected` or `fixed`. */
export interface AppliedVexStatement {
  finding: Finding;
  statement: VexStatement;
  file: string;
}

/**
 * Applies the statements of approved VEX documents. For each finding, the statements about it (the
 * statement's vulnerability or an alias is one of the finding's names, and one of its purls matches
 * the finding's purl: a purl without a version covers every version, qualifiers it names must be
 * equal) are ordered by time, and the latest decides (OpenVEX "each overriding the previous ones");
 * document order breaks ties. Only a latest status of `not_affected` or `fixed` suppresses the
 * finding; `affected` and `under_investigation` leave it standing.
 */
export function applyVex(findings: readonly Finding[], documents: readonly VexDocument[]): AppliedVexStatement[] {
  const candidates = documents
    .filter((d) => d.approved)
    .flatMap((d, order) =>
      d.statements.map((statement) => ({
        statement,
        file: d.file,
        order,
        names: new Set([statement.vulnerability, ...statement.aliases].map((n) => n.toUpperCase())),
        patterns: statement.purls.map(parsePurlPattern).filter((p) => p !== undefined),
      })),
    );
  const applied: AppliedVexStatement[] = [];
  for (const finding of findings) {
    const purl = finding.package.purl;
    if (purl === undefined) continue;
    const names = findingNames(finding);
    const about = candidates.filter((c) => [...c.names].some((n) => names.has(n)) && c.patterns.some((p) => purlMatchesPattern(p, purl)));
    if (about.length === 0) continue;
    about.sort((a, b) => timeOf(a.statement) - timeOf(b.statement) || a.order - b.order || a.statement.index - b.statement.index);
    const latest = about[about.length - 1]!;
    if (suppresses(latest.statement.status)) applied.push({ finding, statement: latest.statement, file: latest.file });
  }
  return applied;
}

function timeOf(statement: VexStatement): number {
  const time = statement.timestamp === undefined ? Number.NaN : Date.parse(statement.timestamp);
  return Number.isNaN(time) ? 0 : time;
}
