import { compareFindings, compareText, findingsFor, type FailOn, type Finding } from './findings.ts';
import { matchPackage } from './matcher.ts';
import type { OsvDatabase } from './osv-database.ts';
import { ecosystemCoverage, undecidedReasons, type EcosystemCoverage, type UndecidedReason } from './scan-coverage.ts';
import type { SbomComponent, SbomComponents } from './sbom-components.ts';
import type { AssignableSeverity } from './severity.ts';

export interface ScanPolicy {
  failOn: FailOn;
  unknownSeverity: AssignableSeverity;
  /**
   * Only findings with a fixed version block: there is nothing to upgrade to for the others, so
   * they are reported (with a note) but do not fail the gate. Default false.
   */
  onlyFixed?: boolean;
}

export interface ScanOutcome {
  findings: Finding[];
  /** Components looked up in the database (duplicates of the same purl once). */
  scanned: SbomComponent[];
  /** Components listed more than once in the SBOM (same purl), scanned once. */
  duplicates: number;
  /** Per ecosystem of the scanned components: does the database hold records for it. */
  coverage: EcosystemCoverage[];
  /** Why the gate could not decide (nothing scanned, an ecosystem the database does not cover); each fails it. */
  undecided: UndecidedReason[];
  /** `fail` when a finding blocks or the scan could not decide. */
  decision: 'pass' | 'fail';
  /** Ids of the blocking findings, sorted, each once. */
  blockingIds: string[];
}

/**
 * Matches every scannable component against the database and applies the gate policy. The gate
 * passes only when something was looked up, every looked-up ecosystem has records to answer from,
 * and no finding blocks.
 */
export function scanComponents(database: OsvDatabase, components: SbomComponents, policy: ScanPolicy): ScanOutcome {
  const seen = new Set<string>();
  const scanned: SbomComponent[] = [];
  let duplicates = 0;
  for (const component of components.scannable) {
    const key = component.purl ?? `${component.query.ecosystem}/${component.name}@${component.query.version}`;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    scanned.push(component);
  }
  const findings = scanned
    .flatMap((component) => findingsFor(component, matchPackage(database, component.query), policy.unknownSeverity, policy.failOn))
    .sort(compareFindings);
  if (policy.onlyFixed === true) {
    for (const finding of findings) {
      if (!finding.blocking || finding.fixedVersions.length > 0) continue;
      finding.blocking = false;
      finding.notes.push('no fixed version is known: reported, not blocking (input only-fixed)');
    }
  }
  const blockingIds = [...new Set(findings.filter((f) => f.blocking).map((f) => f.id))].sort(compareText);
  const coverage = ecosystemCoverage(database, scanned);
  const undecided = undecidedReasons(components, scanned.length, coverage);
  const decision = blockingIds.length > 0 || undecided.length > 0 ? 'fail' : 'pass';
  return { findings, scanned, duplicates, coverage, undecided, decision, blockingIds };
}
