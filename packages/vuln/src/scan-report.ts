import { compareText, type FailOn, type Finding } from './findings.ts';
import type { MalwareReport } from './malware/clamav-scan.ts';
import type { Approver } from './policy/approval.ts';
import type { ExceptionState } from './policy/exception-set.ts';
import type { GateDecision } from './policy/gate-decision.ts';
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
  /**
   * 2: database.ecosystems lists what the records cover (with counts); coverage, undecided, unscannable and declared-only added.
   * 3: decision may be pass-with-exceptions; exceptions, vex, accepted and malware added; database.kind added;
   * blockingIds lists only the blocking findings nothing covers.
   */
  reportVersion: '3';
  tool: ToolInfo;
  sbom: { path: string; sha256: string };
  database: Omit<OsvDatabaseInfo, 'path' | 'warnings' | 'bytes' | 'sources' | 'validation'> & {
    path: string;
    ecosystems: DatabaseEcosystem[];
    warnings: number;
  };
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
  /** blocking: findings at or above fail-on; accepted: those of them an approved exception or VEX statement covers. */
  counts: { findings: number; blocking: number; accepted: number; bySeverity: Record<SeverityLevel, number> };
  decision: GateDecision;
  /** Why, in one line. */
  reason: string;
  /** Ids of the blocking findings nothing covers, sorted, each once. */
  blockingIds: string[];
  findings: Finding[];
  /** The exceptions file and what became of each entry; absent when none was given. */
  exceptions?: ReportExceptions;
  /** The VEX documents read, approved or not. */
  vex: ReportVex[];
  /** Findings (any severity) an active exception or approved VEX statement covers, paired with what covered them. */
  accepted: AcceptedFinding[];
  /** The OpenVEX document written for the approved not_affected exceptions. */
  openVex?: { path: string; statements: number; skipped: { index: number; reason: string }[] };
  /** The ClamAV step, when enabled. */
  malware?: MalwareReport;
}

export interface ReportExceptions {
  file: string;
  sha256: string;
  bundle?: string;
  approved: boolean;
  /** Why the file is or is not approved. */
  approval: string;
  approver?: Approver;
  entries: {
    index: number;
    state: ExceptionState;
    reason: string;
    id?: string;
    package?: string;
    status?: string;
    owner?: string;
    expires?: string;
    ticket?: string;
  }[];
}

export interface ReportVex {
  file: string;
  sha256: string;
  format: string;
  bundle?: string;
  approved: boolean;
  approval: string;
  approver?: Approver;
  statements: number;
  warnings: string[];
}

export interface AcceptedFinding {
  id: string;
  package: string;
  version: string;
  purl?: string;
  /** What covered it: an exceptions entry or a VEX statement. */
  by: 'exception' | 'vex';
  /** The exceptions or VEX file. */
  file: string;
  /** `exceptions[2] not_affected (…): reason — owner, ticket, expires` or `VEX not_affected (…)`. */
  detail: string;
  /** The finding blocked before it was covered. */
  blocking: boolean;
}

/** What the policy step decided, as the report records it. */
export interface PolicyResult {
  decision: GateDecision;
  reason: string;
  blockingIds: string[];
  accepted: AcceptedFinding[];
  exceptions?: ReportExceptions;
  vex: ReportVex[];
  openVex?: ScanReport['openVex'];
  malware?: MalwareReport;
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
  /** The policy step's result; without it the decision is the severity gate's alone. */
  result?: PolicyResult;
}

/** Builds the report; every list is sorted so the same inputs give the same bytes. */
export function buildScanReport(input: ReportInput): ScanReport {
  const { database, outcome } = input;
  const bySeverity = Object.fromEntries(SEVERITY_LEVELS.map((level) => [level, 0])) as Record<SeverityLevel, number>;
  for (const finding of outcome.findings) bySeverity[finding.severity]++;
  const skipped = [...input.components.skipped].sort(compareListed);
  const unscannable = [...input.components.unscannable].sort(compareListed);
  const declaredOnly = [...input.components.declaredOnly].sort(compareListed);
  const result: PolicyResult = input.result ?? {
    decision: outcome.decision,
    reason: outcome.decision === 'pass' ? 'no blocking finding' : 'blocking findings or the scan could not decide',
    blockingIds: outcome.blockingIds,
    accepted: [],
    vex: [],
  };
  const blocking = outcome.findings.filter((f) => f.blocking).length;
  const report: ScanReport = {
    reportVersion: '3',
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
      ...(database.kind !== undefined ? { kind: database.kind } : {}),
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
    counts: { findings: outcome.findings.length, blocking, accepted: result.accepted.filter((a) => a.blocking).length, bySeverity },
    decision: result.decision,
    reason: result.reason,
    blockingIds: result.blockingIds,
    findings: outcome.findings,
    vex: result.vex,
    accepted: result.accepted,
  };
  if (result.exceptions !== undefined) report.exceptions = result.exceptions;
  if (result.openVex !== undefined) report.openVex = result.openVex;
  if (result.malware !== undefined) report.malware = result.malware;
  return report;
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
    `Policy: fail on ${describeFailOn(report.policy.failOn)}; advisories without a rating count as ${report.policy.unknownSeverity}` +
      `${report.policy.onlyFixed === true ? '; findings without a fixed version do not block (only-fixed)' : ''}.`,
    '',
  );
  const accepted = new Map(report.accepted.map((a) => [findingKey(a.id, a.purl ?? a.package, a.version), a]));
  if (report.findings.length === 0 && report.undecided.length > 0) {
    lines.push('No findings in the components that could be checked; that is not a clean result.', '');
  } else if (report.findings.length === 0) {
    lines.push('No known vulnerabilities in the scanned components.', '');
  } else {
    lines.push('| Severity | Vulnerability | Package | Version | Fixed in | Blocks | Accepted by |', '|---|---|---|---|---|---|---|');
    for (const f of report.findings.slice(0, MAX_ROWS)) {
      const id = f.aliases.length > 0 ? `${f.id} (${f.aliases.join(', ')})` : f.id;
      const score = f.score !== undefined ? ` ${f.score.toFixed(1)}` : f.severitySource === 'unknown' ? ' (unrated)' : '';
      const by = accepted.get(findingKey(f.id, f.package.purl ?? f.package.name, f.package.version));
      const blocks = f.blocking ? (by !== undefined ? 'no (accepted)' : 'yes') : 'no';
      lines.push(
        `| ${f.severity}${score} | ${cell(id)}<br>${cell(f.summary)} | ${cell(f.package.name)} | ${cell(f.package.version)} | ${cell(f.fixedVersions.join(', ') || 'no fix yet')} | ${blocks} | ${by !== undefined ? cell(by.detail) : ''} |`,
      );
    }
    if (report.findings.length > MAX_ROWS) lines.push('', `…and ${report.findings.length - MAX_ROWS} more findings in the JSON report.`);
    lines.push('');
  }
  renderExceptions(report, lines);
  renderMalware(report, lines);
  if (report.undecided.length > 0) {
    const blocking =
      report.blockingIds.length > 0
        ? `; ${report.blockingIds.length} vulnerability id(s) also block: ${report.blockingIds.join(', ')}`
        : '';
    lines.push(`**Decision: fail** — the scan could not decide (${report.undecided.map((u) => u.code).join(', ')})${blocking}.`);
  } else if (report.decision === 'fail' && report.blockingIds.length === 0) {
    lines.push(`**Decision: fail** — ${cell(report.reason)}.`);
  } else if (report.decision === 'pass-with-exceptions') {
    lines.push(`**Decision: pass-with-exceptions** — ${cell(report.reason)}.`);
  } else if (report.decision === 'pass' && report.policy.failOn === 'none') {
    lines.push('**Decision: pass** — fail-on is none: findings are reported, never blocking.');
  } else if (report.decision === 'pass') {
    lines.push(`**Decision: pass** — no finding at or above ${report.policy.failOn}.`);
  } else {
    lines.push(
      `**Decision: fail** — ${report.counts.blocking - report.counts.accepted} finding(s) block: ${report.blockingIds.join(', ')}.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function findingKey(id: string, purlOrName: string, version: string): string {
  return `${id}\u0000${purlOrName}\u0000${version}`;
}

/** Every exception entry with its state (unapproved, expired and invalid ones called out), and the VEX documents. */
function renderExceptions(report: ScanReport, lines: string[]): void {
  const exceptions = report.exceptions;
  if (exceptions !== undefined) {
    const approver = exceptions.approver === undefined ? '' : `, approved by ${describeApprover(exceptions.approver)}`;
    lines.push(
      `**Exceptions** \`${exceptions.file}\` (sha256 \`${exceptions.sha256.slice(0, 16)}…\`): ${exceptions.approved ? 'approved' : 'not approved'} — ${cell(exceptions.approval)}${approver}.`,
      '',
    );
    if (exceptions.entries.length > 0) {
      lines.push('| # | State | Vulnerability | Package | Owner | Expires | Ticket | Why |', '|---|---|---|---|---|---|---|---|');
      for (const e of exceptions.entries) {
        const state = e.state === 'active' ? 'active' : `**${e.state}** (ignored)`;
        lines.push(
          `| ${e.index} | ${state} | ${cell(e.id ?? '')} | ${cell(e.package ?? '')} | ${cell(e.owner ?? '')} | ${cell(e.expires ?? '')} | ${cell(e.ticket ?? '')} | ${cell(e.reason)} |`,
        );
      }
      lines.push('');
    }
    const ignored = exceptions.entries.filter((e) => e.state !== 'active');
    if (ignored.length > 0) {
      const byState = ['unapproved', 'expired', 'invalid']
        .map((state) => [state, ignored.filter((e) => e.state === state).map((e) => `${e.id ?? `#${e.index}`}`)] as const)
        .filter(([, ids]) => ids.length > 0)
        .map(([state, ids]) => `${state}: ${ids.map(cell).join(', ')}`);
      lines.push(`**Ignored exceptions** — ${byState.join('; ')}.`, '');
    }
  }
  for (const vex of report.vex) {
    const approver = vex.approver === undefined ? '' : `, approved by ${describeApprover(vex.approver)}`;
    lines.push(
      `**VEX** \`${vex.file}\` (${vex.format}, ${vex.statements} statement(s)): ${vex.approved ? 'applied' : '**not approved, ignored**'} — ${cell(vex.approval)}${approver}.`,
      '',
    );
  }
  if (report.openVex !== undefined) {
    lines.push(
      `OpenVEX for the approved not_affected exceptions: \`${report.openVex.path}\` (${report.openVex.statements} statement(s)).`,
      '',
    );
  }
}

function describeApprover(approver: Approver): string {
  return approver.kind === 'key'
    ? `${approver.reviewer} (key ${approver.fingerprint.slice(0, 16)}…)`
    : `${approver.reviewer} (${approver.identity}, issuer ${approver.issuer})`;
}

function renderMalware(report: ScanReport, lines: string[]): void {
  const malware = report.malware;
  if (malware === undefined) return;
  lines.push(
    `**Malware scan** (${cell(malware.engine)}, ${malware.database.files.length} signature file(s)): ${malware.files.length} file(s), ${malware.infected} infected.`,
    '',
  );
  for (const file of malware.files.filter((f) => f.status === 'infected')) {
    lines.push(`- \`${file.file}\`: ${file.detections.map((d) => `${cell(d.member)} ${cell(d.signature)}`).join(', ')}`);
  }
  if (malware.infected > 0) lines.push('');
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
