import { compareText, type FailOn, type Finding } from './findings.ts';
import type { DatabaseEcosystem, OsvDatabaseInfo } from './osv-database.ts';
import type { ScanOutcome, ScanPolicy } from './scan.ts';
import type { EcosystemCoverage } from './scan-coverage.ts';
import type { SbomComponents, SkippedComponent, UnscannableComponent } from './sbom-components.ts';
import { SEVERITY_LEVELS, type SeverityLevel } from './severity.ts';

export interface ToolInfo {
  name: string;
  version: string;
  /** Libraries whose behaviour decides the result (version ordering, CVSS scoring). */
  libraries: { name: string; version: string }[];
  /** The OSV base ecosystems the scanner can match (it can order their versions). */
  ecosystems: string[];
}

/** The JSON report the scan stage writes. Paths are as given (relative to the working directory when inside it). */
export interface ScanReport {
  /** 2: database.ecosystems lists what the records cover (with counts); coverage, undecided, unscannable and declared-only added. */
  reportVersion: '2';
  tool: ToolInfo;
  sbom: { path: string; sha256: string };
  database: Omit<OsvDatabaseInfo, 'path' | 'warnings' | 'bytes'> & { path: string; ecosystems: DatabaseEcosystem[]; warnings: number };
  policy: ScanPolicy;
  components: {
    total: number;
    /** File components (package contents): nothing to look up. */
    files: number;
    scanned: number;
    duplicates: number;
    skipped: number;
    skippedComponents: SkippedComponent[];
    /** Package components without a purl or version: shipped but not looked up (a warning, not a failure). */
    unscannable: number;
    unscannableComponents: UnscannableComponent[];
    /** Dependencies the package declares but does not ship. */
    declaredOnly: number;
    declaredOnlyComponents: SkippedComponent[];
  };
  /** Per ecosystem of the scanned components: the records the database holds for it. */
  coverage: EcosystemCoverage[];
  /** Why the scan could not decide; non-empty means decision fail whatever the findings. */
  undecided: { code: string; message: string }[];
  counts: { findings: number; blocking: number; bySeverity: Record<SeverityLevel, number> };
  decision: 'pass' | 'fail';
  blockingIds: string[];
  findings: Finding[];
}

export interface ReportInput {
  tool: ToolInfo;
  sbom: { path: string; sha256: string };
  database: OsvDatabaseInfo;
  databasePath: string;
  /** What the database's records cover (OsvDatabase.ecosystems()). */
  ecosystems: DatabaseEcosystem[];
  policy: ScanPolicy;
  components: SbomComponents;
  outcome: ScanOutcome;
}

/** Builds the report; every list is sorted so the same inputs give the same bytes. */
export function buildScanReport(input: ReportInput): ScanReport {
  const { database, outcome } = input;
  const bySeverity = Object.fromEntries(SEVERITY_LEVELS.map((level) => [level, 0])) as Record<SeverityLevel, number>;
  for (const finding of outcome.findings) bySeverity[finding.severity]++;
  const skipped = [...input.components.skipped].sort(compareListed);
  const unscannable = [...input.components.unscannable].sort(compareListed);
  const declaredOnly = [...input.components.declaredOnly].sort(compareListed);
  return {
    reportVersion: '2',
    tool: input.tool,
    sbom: input.sbom,
    database: {
      path: input.databasePath,
      files: database.files,
      records: database.records,
      withdrawn: database.withdrawn,
      duplicates: database.duplicates,
      sha256: database.sha256,
      snapshot: database.snapshot,
      ecosystems: input.ecosystems,
      warnings: database.warnings.length,
    },
    policy: input.policy,
    components: {
      total: input.components.total,
      files: input.components.files,
      scanned: outcome.scanned.length,
      duplicates: outcome.duplicates,
      skipped: skipped.length,
      skippedComponents: skipped,
      unscannable: unscannable.length,
      unscannableComponents: unscannable,
      declaredOnly: declaredOnly.length,
      declaredOnlyComponents: declaredOnly,
    },
    coverage: outcome.coverage,
    undecided: outcome.undecided.map((reason) => ({ code: reason.code, message: reason.message })),
    counts: { findings: outcome.findings.length, blocking: outcome.findings.filter((f) => f.blocking).length, bySeverity },
    decision: outcome.decision,
    blockingIds: outcome.blockingIds,
    findings: outcome.findings,
  };
}

function compareListed(a: SkippedComponent, b: SkippedComponent): number {
  return (
    compareText(a.name, b.name) ||
    compareText(a.version ?? '', b.version ?? '') ||
    compareText(a.purl ?? '', b.purl ?? '') ||
    compareText(a.bomRef ?? '', b.bomRef ?? '')
  );
}

const MAX_ROWS = 200;

/** The job summary: a table of findings by severity with their fixes, and the decision. */
export function renderScanSummary(report: ScanReport): string {
  const lines: string[] = [];
  const verdict = report.decision === 'pass' ? 'passed' : report.undecided.length > 0 ? 'failed: could not decide' : 'blocked';
  lines.push(`### Vulnerability scan ${verdict}`, '');
  const c = report.components;
  lines.push(
    `Scanned ${c.scanned} of ${c.total} SBOM components (${c.files} file components, ${c.skipped} skipped, ${c.unscannable} unscannable, ${c.declaredOnly} declared-only) ` +
      `against the OSV database \`${report.database.path}\`: ${report.database.records} records (${describeEcosystems(report.database.ecosystems)}), snapshot ${report.database.snapshot || 'unknown'}, ` +
      `digest \`${report.database.sha256.slice(0, 16)}…\`.`,
  );
  if (report.undecided.length > 0) {
    lines.push('', '**The scan could not decide, so it fails closed:**', '');
    for (const reason of report.undecided) lines.push(`- \`${reason.code}\`: ${cell(reason.message)}`);
  }
  if (c.unscannable > 0) {
    const names = c.unscannableComponents.slice(0, 20).map((u) => `${cell(u.purl ?? u.name)} (${cell(u.reason)})`);
    const more = c.unscannable > names.length ? `, …and ${c.unscannable - names.length} more in the JSON report` : '';
    lines.push('', `**Warning:** ${c.unscannable} package component(s) could not be looked up: ${names.join(', ')}${more}.`);
  }
  lines.push('');
  lines.push(
    `Policy: fail on ${describeFailOn(report.policy.failOn)}; advisories without a rating count as ${report.policy.unknownSeverity}.`,
    '',
  );
  if (report.findings.length === 0 && report.undecided.length > 0) {
    lines.push('No findings in the components that could be checked; that is not a clean result.', '');
  } else if (report.findings.length === 0) {
    lines.push('No known vulnerabilities in the scanned components.', '');
  } else {
    lines.push('| Severity | Vulnerability | Package | Version | Fixed in | Blocks |', '|---|---|---|---|---|---|');
    for (const f of report.findings.slice(0, MAX_ROWS)) {
      const id = f.aliases.length > 0 ? `${f.id} (${f.aliases.join(', ')})` : f.id;
      const score = f.score !== undefined ? ` ${f.score.toFixed(1)}` : f.severitySource === 'unknown' ? ' (unrated)' : '';
      lines.push(
        `| ${f.severity}${score} | ${cell(id)}<br>${cell(f.summary)} | ${cell(f.package.name)} | ${cell(f.package.version)} | ${cell(f.fixedVersions.join(', ') || 'no fix yet')} | ${f.blocking ? 'yes' : 'no'} |`,
      );
    }
    if (report.findings.length > MAX_ROWS) lines.push('', `…and ${report.findings.length - MAX_ROWS} more findings in the JSON report.`);
    lines.push('');
  }
  if (report.undecided.length > 0) {
    const blocking =
      report.counts.blocking > 0 ? `; ${report.counts.blocking} finding(s) also block: ${report.blockingIds.join(', ')}` : '';
    lines.push(`**Decision: fail** — the scan could not decide (${report.undecided.map((u) => u.code).join(', ')})${blocking}.`);
  } else if (report.decision === 'pass' && report.policy.failOn === 'none') {
    lines.push('**Decision: pass** — fail-on is none: findings are reported, never blocking.');
  } else if (report.decision === 'pass') {
    lines.push(`**Decision: pass** — no finding at or above ${report.policy.failOn}.`);
  } else {
    lines.push(`**Decision: fail** — ${report.counts.blocking} finding(s) block: ${report.blockingIds.join(', ')}.`);
  }
  return `${lines.join('\n')}\n`;
}

function describeEcosystems(ecosystems: readonly DatabaseEcosystem[]): string {
  if (ecosystems.length === 0) return 'no package ecosystem';
  return ecosystems.map((e) => `${e.ecosystem} ${e.records}`).join(', ');
}

function describeFailOn(failOn: FailOn): string {
  return failOn === 'none' ? 'nothing (report only)' : failOn === 'critical' ? 'critical' : `${failOn} and above`;
}

/** Markdown table cells: no pipes or line breaks from advisory text. */
function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
