import { compareText } from './findings.ts';
import type { OsvDatabase } from './osv-database.ts';
import type { SbomComponent, SbomComponents } from './sbom-components.ts';

/** Whether the database can answer for the components of one ecosystem the SBOM lists. */
export interface EcosystemCoverage {
  /** OSV base ecosystem (`npm`, `Debian`, `PyPI`...). */
  ecosystem: string;
  /** Distinct components of this ecosystem that were looked up. */
  components: number;
  /** Records in use of this ecosystem in the database. */
  records: number;
  covered: boolean;
}

/**
 * Why the gate cannot decide. An empty answer from a database that holds nothing about an
 * ecosystem, or a scan that looked nothing up, is not evidence of "no known vulnerabilities":
 * either fails the stage closed instead of passing it.
 */
export interface UndecidedReason {
  code: 'SCAN_NOTHING_SCANNED' | 'SCAN_DB_UNAVAILABLE';
  message: string;
  hint: string;
  /** For SCAN_DB_UNAVAILABLE: the ecosystem the database does not cover. */
  ecosystem?: string;
}

/** Per ecosystem with at least one scanned component: how many records the database holds for it. Sorted. */
export function ecosystemCoverage(database: OsvDatabase, scanned: readonly SbomComponent[]): EcosystemCoverage[] {
  const counts = new Map<string, number>();
  for (const component of scanned) counts.set(component.query.ecosystem, (counts.get(component.query.ecosystem) ?? 0) + 1);
  return [...counts.entries()]
    .map(([ecosystem, components]) => {
      const records = database.recordCount(ecosystem);
      // covers(): an offline database must hold records of the ecosystem; the OSV API was asked about these very packages.
      return { ecosystem, components, records, covered: database.covers(ecosystem) };
    })
    .sort((a, b) => compareText(a.ecosystem, b.ecosystem));
}

/** The reasons the scan cannot decide, in a stable order; empty when it can. */
export function undecidedReasons(components: SbomComponents, scanned: number, coverage: readonly EcosystemCoverage[]): UndecidedReason[] {
  const reasons: UndecidedReason[] = [];
  if (scanned === 0) {
    reasons.push({
      code: 'SCAN_NOTHING_SCANNED',
      message:
        components.total === 0
          ? 'the SBOM lists no components: there is nothing to scan'
          : `none of the SBOM's ${plural(components.total, 'component')} could be scanned: ${describeNotScanned(components)}`,
      hint:
        components.total === 0
          ? 'scan the SBOM generate-sbom wrote for the package; a scan of no components cannot show it is free of known vulnerabilities'
          : 'scan an SBOM whose components carry purls with versions of a scanned type (npm, pypi, maven, golang, nuget, gem, cargo, deb, rpm, apk), e.g. pkg:pypi/requests@2.19.0',
    });
  }
  for (const entry of coverage) {
    if (entry.covered) continue;
    reasons.push({
      code: 'SCAN_DB_UNAVAILABLE',
      ecosystem: entry.ecosystem,
      message: `the OSV database has no ${entry.ecosystem} records: ${plural(entry.components, `${entry.ecosystem} component`)} cannot be checked`,
      hint: `point the db input at an OSV database that covers ${entry.ecosystem} (for example osv.dev's ${entry.ecosystem}/all.zip export), or use db: osv-api`,
    });
  }
  return reasons;
}

/** "2 skipped (2× unsupported purl type: pypi), 1 package component without a purl or version, ..." */
export function describeNotScanned(components: SbomComponents): string {
  const parts: string[] = [];
  if (components.skipped.length > 0) {
    const byReason = new Map<string, number>();
    for (const skipped of components.skipped) byReason.set(skipped.reason, (byReason.get(skipped.reason) ?? 0) + 1);
    const reasons = [...byReason.entries()].sort((a, b) => compareText(a[0], b[0])).map(([reason, count]) => `${count}× ${reason}`);
    parts.push(`${components.skipped.length} skipped (${reasons.join('; ')})`);
  }
  if (components.unscannable.length > 0) {
    parts.push(`${plural(components.unscannable.length, 'package component')} without a purl or version`);
  }
  if (components.declaredOnly.length > 0) {
    parts.push(
      `${components.declaredOnly.length} declared-only ${components.declaredOnly.length === 1 ? 'dependency' : 'dependencies'} (not shipped)`,
    );
  }
  if (components.files > 0) parts.push(`${plural(components.files, 'file component')} (package contents)`);
  return parts.join(', ');
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
