import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  describeFile,
  FactoryError,
  InputReader,
  sourceDateEpoch,
  writeFileAtomic,
  type FileRecord,
  type StageContext,
  type StageDefinition,
  type StageResult,
} from '@packaging-factory/core';
import cvssPackage from 'ae-cvss-calculator/package.json' with { type: 'json' };
import semverPackage from 'semver/package.json' with { type: 'json' };
import vulnPackage from '../package.json' with { type: 'json' };
import { databaseProvenance } from './database/database-provenance.ts';
import { DEFAULT_OSV_API_URL } from './database/osv-api-client.ts';
import { fetchOsvApiDatabase, osvApiQueries } from './database/osv-api-database.ts';
import { supportedEcosystems } from './ecosystems.ts';
import { FAIL_ON_LEVELS, type FailOn } from './findings.ts';
import { scanForMalware, type MalwareReport } from './malware/clamav-scan.ts';
import { loadOsvDatabase, packageKey, type OsvDatabase } from './osv-database.ts';
import { applyExceptions, type AppliedException } from './policy/apply-exceptions.ts';
import { loadExceptionSet, type ExceptionSet } from './policy/exception-set.ts';
import { decideGate, type GateOutcome } from './policy/gate-decision.ts';
import { loadSecurityPolicy } from './policy/security-policy.ts';
import { buildSarifLog, exceptionSuppressions, vexSuppressions } from './sarif/sarif-log.ts';
import { validateSarif } from './sarif/sarif-validator.ts';
import { scanComponents, type ScanOutcome } from './scan.ts';
import {
  buildScanReport,
  renderScanSummary,
  type AcceptedFinding,
  type PolicyResult,
  type ReportExceptions,
  type ReportVex,
  type ToolInfo,
} from './scan-report.ts';
import { readSbomComponents, type SbomComponents } from './sbom-components.ts';
import { ASSIGNABLE_SEVERITIES, type AssignableSeverity } from './severity.ts';
import { buildOpenVex } from './vex/openvex-writer.ts';
import { applyVex, loadVexDocument, type AppliedVexStatement, type VexDocument } from './vex/vex-document.ts';

/** Where the records come from: an offline database (directory or zip), or the OSV API. */
export type ScanDatabaseSource = { kind: 'offline'; path: string } | { kind: 'osv-api'; url: string; cacheDir?: string };

/** Typed options of the scan stage. */
export interface ScanOptions {
  /** CycloneDX or SPDX 2 JSON SBOM, absolute. */
  sbom: string;
  db: ScanDatabaseSource;
  failOn: FailOn;
  unknownSeverity: AssignableSeverity;
  onlyFixed: boolean;
  /** JSON report path, absolute. */
  output: string;
  /** The scan policy naming the security reviewers, absolute. */
  policy?: string;
  /** Sigstore trusted root replacing the policy's own, absolute. */
  trustedRoot?: string;
  exceptions?: string;
  /** The approval bundle over the exceptions file (default `<exceptions>.sigstore.json`). */
  exceptionsBundle?: string;
  /** VEX documents, each approved by `<file>.sigstore.json`. */
  vex: string[];
  openvexOutput?: string;
  sarif?: string;
  malwareScan: boolean;
  clamavDatabase?: string;
  malwareFiles: string[];
}

const TOOL_NAME = 'packaging-factory-scan';
const INFORMATION_URI = 'https://github.com/packaging-factory/packaging-factory';

const INPUTS = {
  sbom: {
    description:
      'SBOM whose components are scanned: CycloneDX JSON or SPDX 2 JSON. Components with purls of every OSV ecosystem are looked up (npm, PyPI, Maven, Go, NuGet, RubyGems, crates.io, Debian, Ubuntu, Alpine, RPM distributions); others are listed as skipped.',
    kind: 'path',
    required: true,
  },
  db: {
    description:
      'Vulnerability data: a directory of OSV records (JSON, searched recursively, osv.dev all.zip dumps inside it too), one osv.dev all.zip, or osv-api to ask the OSV API. Missing, unreadable or empty fails the scan.',
    kind: 'string',
    required: true,
  },
  'osv-api-url': {
    description: 'Base URL of the OSV API when db is osv-api.',
    kind: 'string',
    default: DEFAULT_OSV_API_URL,
  },
  'cache-dir': {
    description: 'Directory caching the records fetched from the OSV API (db: osv-api); a record is fetched again only when it changed.',
    kind: 'path',
  },
  'fail-on': {
    description: 'Lowest severity that blocks: a finding at or above it fails the stage. none reports without blocking.',
    kind: 'choice',
    default: 'high',
    choices: FAIL_ON_LEVELS,
  },
  'unknown-severity': {
    description: 'Severity assumed for advisories with neither a database rating nor a CVSS vector.',
    kind: 'choice',
    default: 'high',
    choices: ASSIGNABLE_SEVERITIES,
  },
  'only-fixed': {
    description: 'When true, findings without a fixed version are reported but do not block.',
    kind: 'boolean',
    default: 'false',
  },
  policy: {
    description:
      'Scan policy (YAML) listing the security reviewers whose signatures approve exceptions and VEX documents (docs/policy.md).',
    kind: 'path',
  },
  'trusted-root': {
    description: "Sigstore trusted root JSON for keyless reviewers; replaces the policy's trusted-root.",
    kind: 'path',
  },
  exceptions: {
    description:
      'Exceptions file (YAML): vulnerability, purl pattern, reason, owner, expires, ticket. Applied only when approved by a security reviewer of the policy.',
    kind: 'path',
  },
  'exceptions-bundle': {
    description: 'Sigstore bundle approving the exceptions file; defaults to <exceptions>.sigstore.json.',
    kind: 'path',
  },
  vex: {
    description: 'VEX documents (OpenVEX or CycloneDX VEX), one per line; each applies only when <file>.sigstore.json approves it.',
    kind: 'paths',
  },
  'openvex-output': {
    description: 'Where to write the OpenVEX document stating the approved not_affected exceptions.',
    kind: 'path',
  },
  sarif: {
    description: 'Where to write a SARIF 2.1.0 log for GitHub code scanning (one rule per vulnerability, results at the SBOM line).',
    kind: 'path',
  },
  'malware-scan': {
    description: 'When true, scan malware-files with ClamAV (clamscan) against clamav-database; .deb and .rpm are unpacked first.',
    kind: 'boolean',
    default: 'false',
  },
  'clamav-database': {
    description: 'ClamAV signature database directory for malware-scan; missing or empty fails the scan.',
    kind: 'path',
  },
  'malware-files': {
    description: 'Artifacts to scan for malware, one per line (required when malware-scan is true).',
    kind: 'paths',
  },
  output: {
    description: 'Where to write the JSON scan report.',
    kind: 'path',
    default: 'factory-out/scan-report.json',
  },
} as const satisfies StageDefinition<ScanOptions>['inputs'];

/** The scan stage: SBOM components against OSV data, gated by severity, approved exceptions and VEX, and optionally ClamAV. */
export const scanStage: StageDefinition<ScanOptions> = {
  name: 'scan',
  title: 'Scan for known vulnerabilities',
  description:
    'Matches the components of a CycloneDX or SPDX SBOM against OSV data (offline directory or zip, or the OSV API) across all OSV ecosystems, rates each finding, applies approved exceptions and VEX, and fails when an uncovered finding is at or above fail-on.',
  inputs: INPUTS,
  outputs: {
    report: { description: 'Path of the JSON scan report.' },
    decision: { description: 'pass, fail or pass-with-exceptions.' },
    'vulnerability-count': { description: 'Number of findings (a vulnerability in a component, aliases merged).' },
    'blocking-count': { description: 'Number of findings at or above fail-on (covered by an exception or not).' },
    sarif: { description: 'Path of the SARIF log, when written.' },
    openvex: { description: 'Path of the OpenVEX document, when written.' },
  },
  positional: 'sbom',
  parse(raw, { workDir }) {
    const reader = new InputReader(raw, INPUTS, workDir);
    const dbValue = reader.string('db');
    let db: ScanDatabaseSource;
    if (dbValue === 'osv-api') {
      const url = reader.string('osv-api-url');
      if (!/^https?:\/\//.test(url)) {
        throw new FactoryError('INPUT_INVALID', `input 'osv-api-url' must be an http(s) URL, got '${url}'`, { subject: 'osv-api-url' });
      }
      db = { kind: 'osv-api', url };
      const cacheDir = reader.optionalPath('cache-dir');
      if (cacheDir !== undefined) db.cacheDir = cacheDir;
    } else {
      db = { kind: 'offline', path: path.resolve(workDir, dbValue) };
    }
    const options: ScanOptions = {
      sbom: reader.path('sbom'),
      db,
      failOn: reader.choice<FailOn>('fail-on'),
      unknownSeverity: reader.choice<AssignableSeverity>('unknown-severity'),
      onlyFixed: reader.boolean('only-fixed'),
      output: reader.path('output'),
      vex: reader.list('vex').map((file) => path.resolve(workDir, file)),
      malwareScan: reader.boolean('malware-scan'),
      malwareFiles: reader.list('malware-files').map((file) => path.resolve(workDir, file)),
    };
    const optional = {
      policy: reader.optionalPath('policy'),
      trustedRoot: reader.optionalPath('trusted-root'),
      exceptions: reader.optionalPath('exceptions'),
      exceptionsBundle: reader.optionalPath('exceptions-bundle'),
      openvexOutput: reader.optionalPath('openvex-output'),
      sarif: reader.optionalPath('sarif'),
      clamavDatabase: reader.optionalPath('clamav-database'),
    };
    for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(options, { [key]: value });
    if (options.exceptionsBundle !== undefined && options.exceptions === undefined) {
      throw new FactoryError('INPUT_INVALID', "input 'exceptions-bundle' needs the exceptions input it approves", {
        subject: 'exceptions-bundle',
      });
    }
    if (options.malwareScan && options.malwareFiles.length === 0) {
      throw new FactoryError('INPUT_MISSING', "input 'malware-files' is required when malware-scan is true: name the artifacts to scan", {
        subject: 'malware-files',
      });
    }
    return options;
  },
  run: runScan,
};

async function runScan(options: ScanOptions, ctx: StageContext): Promise<StageResult> {
  const sbomRecord = await describeFile(options.sbom, 'sbom', ctx.workDir);
  const components = await readSbomComponents(options.sbom);
  // Policy, exceptions and VEX are read before the database: a broken one is an input error to fix first.
  const securityPolicy = options.policy === undefined ? undefined : await loadSecurityPolicy(options.policy, options.trustedRoot);
  if (options.trustedRoot !== undefined && options.policy === undefined) {
    ctx.logger.warn('trusted-root is ignored without a policy: no reviewer is listed to approve anything', options.trustedRoot);
  }
  const now = ctx.now();
  const exceptionSet =
    options.exceptions === undefined
      ? undefined
      : await loadExceptionSet({
          file: options.exceptions,
          bundle: options.exceptionsBundle ?? `${options.exceptions}.sigstore.json`,
          ...(securityPolicy !== undefined ? { policy: securityPolicy } : {}),
          now,
        });
  const vexDocuments: VexDocument[] = [];
  for (const file of options.vex) {
    vexDocuments.push(
      await loadVexDocument({ file, bundle: `${file}.sigstore.json`, ...(securityPolicy !== undefined ? { policy: securityPolicy } : {}) }),
    );
  }
  const database = await openDatabase(options, components, ctx);
  const tool: ToolInfo = {
    name: TOOL_NAME,
    version: vulnPackage.version,
    libraries: [
      { name: 'ae-cvss-calculator', version: cvssPackage.version },
      { name: 'semver', version: semverPackage.version },
    ],
    ecosystems: supportedEcosystems(),
  };
  for (const library of tool.libraries) ctx.exec.recordTool(library);
  const databaseEcosystems = database.ecosystems();
  ctx.logger.info(
    `OSV database ${database.info.path} (${database.info.kind ?? 'memory'}): ${database.info.records} records (${database.info.withdrawn} withdrawn skipped), snapshot ${database.info.snapshot || 'unknown'}; ` +
      `covers ${databaseEcosystems.map((e) => `${e.ecosystem} (${e.records})`).join(', ') || 'no package ecosystem'}`,
  );
  ctx.logger.info(
    `${components.scannable.length} package component(s) to scan, ${components.files} file component(s) (package contents), ` +
      `${components.declaredOnly.length} declared-only dependency(ies) (not shipped), ${components.unscannable.length} unscannable, ${components.skipped.length} skipped`,
  );
  for (const skipped of components.skipped) {
    ctx.logger.warn(`not scanned: ${skipped.purl ?? skipped.name} (${skipped.reason})`, options.sbom);
  }
  // Shipped packages we cannot identify are a gap in the scan, said loudly; a policy input may later make them block.
  for (const unscannable of components.unscannable) {
    ctx.logger.warn(
      `unscannable ${unscannable.type} component: ${unscannable.purl ?? unscannable.name} (${unscannable.reason})`,
      options.sbom,
    );
  }

  const policy = { failOn: options.failOn, unknownSeverity: options.unknownSeverity, onlyFixed: options.onlyFixed };
  const outcome = scanComponents(database, components, policy);
  const appliedExceptions = exceptionSet === undefined ? [] : applyExceptions(outcome.findings, exceptionSet, now);
  const appliedVex = applyVex(outcome.findings, vexDocuments);
  // An exception wins over a VEX statement for the same finding only in the report's pairing; either covers it.
  const gate = decideGate(outcome.findings, [...appliedExceptions, ...appliedVex], outcome.undecided.length);

  // Before anything is written: a missing signature database fails the stage with no output half-made.
  let malware: MalwareReport | undefined;
  if (options.malwareScan) {
    malware = await scanForMalware({ files: options.malwareFiles, database: options.clamavDatabase }, ctx);
    ctx.exec.recordTool({ name: 'clamscan', version: malware.engine });
  }

  const outputs: FileRecord[] = [];
  const outputValues: Record<string, string> = {};
  let openVex: PolicyResult['openVex'];
  if (options.openvexOutput !== undefined) {
    openVex = await writeOpenVex(options.openvexOutput, exceptionSet, appliedExceptions, ctx);
    if (openVex !== undefined) {
      const record = await describeFile(options.openvexOutput, 'openvex', ctx.workDir);
      outputs.push(record);
      outputValues['openvex'] = record.path;
      openVex.path = record.path;
    }
  }

  const decision = malware !== undefined && malware.decision === 'infected' ? 'fail' : gate.decision;
  const reasons: string[] = [];
  if (gate.decision === 'fail') reasons.push(gateReason(outcome, gate, options.failOn));
  if (malware !== undefined && malware.infected > 0) reasons.push(`malware found in ${malware.infected} file(s)`);
  if (reasons.length === 0) reasons.push(gate.decision === 'pass' ? passReason(outcome, options.failOn) : gate.reason);
  const reason = reasons.join('; ');

  const databasePath = shownPath(database.info.path, ctx.workDir);
  const policyResult: PolicyResult = {
    decision,
    reason,
    blockingIds: [...new Set(gate.blocking.map((f) => f.id))].sort(),
    accepted: acceptedFindings(appliedExceptions, appliedVex, ctx.workDir),
    vex: vexDocuments.map((d) => reportVex(d, ctx.workDir)),
  };
  if (exceptionSet !== undefined) policyResult.exceptions = reportExceptions(exceptionSet, ctx.workDir);
  if (openVex !== undefined) policyResult.openVex = openVex;
  if (malware !== undefined) policyResult.malware = malware;
  const report = buildScanReport({
    tool,
    sbom: { path: sbomRecord.path, sha256: sbomRecord.sha256 },
    database: database.info,
    databasePath,
    ecosystems: databaseEcosystems,
    policy,
    components,
    outcome,
    result: policyResult,
  });

  if (options.sarif !== undefined) {
    const log = buildSarifLog({
      findings: outcome.findings,
      suppressions: [...exceptionSuppressions(appliedExceptions), ...vexSuppressions(appliedVex)],
      tool: { name: TOOL_NAME, version: vulnPackage.version, informationUri: INFORMATION_URI },
      artifact: { uri: sbomRecord.path.split(path.sep).join('/'), text: await readFile(options.sbom, 'utf8') },
    });
    const validation = validateSarif(log);
    if (validation.errors.length > 0) {
      // Our own output breaking the schema is a bug, not something the user can fix: never write it.
      throw new Error(`bug: the SARIF log breaks the SARIF 2.1.0 schema: ${validation.errors.slice(0, 5).join('; ')}`);
    }
    for (const warning of validation.warnings) ctx.logger.warn(`SARIF: ${warning}`, options.sarif);
    await writeFileAtomic(options.sarif, `${JSON.stringify(log, null, 2)}\n`);
    const record = await describeFile(options.sarif, 'sarif', ctx.workDir);
    outputs.push(record);
    outputValues['sarif'] = record.path;
  }

  await writeFileAtomic(options.output, `${JSON.stringify(report, null, 2)}\n`);
  const reportRecord = await describeFile(options.output, 'report', ctx.workDir);
  outputs.unshift(reportRecord);

  const inputs: FileRecord[] = [sbomRecord, databaseRecord(database, databasePath)];
  for (const file of [options.policy, options.exceptions, ...options.vex]) {
    if (file !== undefined) inputs.push(await describeFile(file, 'policy-input', ctx.workDir));
  }
  for (const file of malware === undefined ? [] : options.malwareFiles) inputs.push(await describeFile(file, 'artifact', ctx.workDir));

  const blocking = report.counts.blocking;
  const result: StageResult = {
    status: decision === 'fail' ? 'failed' : 'passed',
    decision: { result: decision, reason },
    inputs,
    outputs,
    outputValues: {
      report: reportRecord.path,
      decision,
      'vulnerability-count': String(report.counts.findings),
      'blocking-count': String(blocking),
      ...outputValues,
    },
    summary: renderScanSummary(report),
    details: {
      database: databaseProvenance(database),
      databaseEcosystems,
      schemaWarnings: database.info.warnings.length,
      components: {
        total: components.total,
        scanned: outcome.scanned.length,
        files: components.files,
        skipped: components.skipped.length,
        unscannable: components.unscannable.length,
        declaredOnly: components.declaredOnly.length,
      },
      coverage: outcome.coverage,
      undecided: outcome.undecided.map((u) => u.code),
      findings: report.counts.findings,
      bySeverity: report.counts.bySeverity,
      blockingIds: report.blockingIds,
      failOn: options.failOn,
      unknownSeverity: options.unknownSeverity,
      onlyFixed: options.onlyFixed,
      gate: gate.decision,
      exceptions: report.exceptions ?? null,
      vex: report.vex,
      accepted: report.accepted,
      ...(malware !== undefined ? { malware: { engine: malware.engine, database: malware.database, infected: malware.infected } } : {}),
    },
  };
  const notes: string[] = [];
  if (components.skipped.length > 0)
    notes.push(
      `${components.skipped.length} SBOM component(s) not scanned (unsupported ecosystem, unparseable purl, or not a package); see the report`,
    );
  if (components.unscannable.length > 0)
    notes.push(`${components.unscannable.length} package component(s) unscannable (no purl or no version); see the report`);
  if (database.info.warnings.length > 0) notes.push(`${database.info.warnings.length} OSV schema vocabulary warning(s) in the database`);
  const ignored = report.exceptions?.entries.filter((e) => e.state !== 'active') ?? [];
  if (ignored.length > 0)
    notes.push(`${ignored.length} exception(s) ignored (${ignored.map((e) => `${e.id ?? `#${e.index}`}: ${e.state}`).join(', ')})`);
  for (const vex of report.vex.filter((v) => !v.approved)) notes.push(`VEX ${vex.file} ignored: ${vex.approval}`);
  if (notes.length > 0) result.notes = notes;
  if (decision === 'fail') result.errors = gateErrors(outcome, report, options, sbomRecord.path, databasePath, reportRecord.path);
  return result;
}

/**
 * Opens the vulnerability data. Offline databases preload the records naming the SBOM's packages
 * (the only ones a lookup will ask for); the OSV API is asked about exactly those packages.
 */
async function openDatabase(options: ScanOptions, components: SbomComponents, ctx: StageContext): Promise<OsvDatabase> {
  const queries = components.scannable.map((c) => c.query);
  if (options.db.kind === 'osv-api') {
    return fetchOsvApiDatabase(osvApiQueries(queries), {
      baseUrl: options.db.url,
      logger: ctx.logger,
      ...(options.db.cacheDir !== undefined ? { cacheDir: options.db.cacheDir } : {}),
    });
  }
  const preload = new Set(queries.flatMap((q) => q.lookups.map((lookup) => packageKey(q.ecosystem, lookup.name))));
  return loadOsvDatabase(options.db.path, ctx.logger, { preload });
}

function databaseRecord(database: OsvDatabase, shown: string): FileRecord {
  return {
    path: shown,
    name: database.info.kind === 'osv-api' ? 'osv-api' : path.basename(database.info.path),
    sha256: database.info.sha256,
    size: database.info.bytes,
    role: 'osv-database',
  };
}

async function writeOpenVex(
  file: string,
  exceptions: ExceptionSet | undefined,
  applied: readonly AppliedException[],
  ctx: StageContext,
): Promise<PolicyResult['openVex']> {
  if (exceptions === undefined) {
    ctx.logger.warn('openvex-output is set without exceptions: there is nothing to state', file);
    return undefined;
  }
  // The document's time is the build's (SOURCE_DATE_EPOCH) so the same inputs give the same bytes; else the run's.
  const epoch = sourceDateEpoch(ctx.env);
  const timestamp = (epoch !== undefined ? new Date(epoch * 1000) : ctx.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const approver = exceptions.approver;
  const author = approver === undefined ? TOOL_NAME : approver.reviewer;
  const built = buildOpenVex({ exceptions, applied, author, timestamp, tooling: `${TOOL_NAME} ${vulnPackage.version}` });
  for (const skip of built.skipped) ctx.logger.warn(`OpenVEX: exceptions[${skip.index}] not stated: ${skip.reason}`, exceptions.file);
  if (built.text === undefined) {
    ctx.logger.info('OpenVEX: no approved not_affected exception covers a finding; no document written');
    return undefined;
  }
  await writeFileAtomic(file, built.text);
  const statements = Array.isArray(built.document?.['statements']) ? (built.document['statements'] as unknown[]).length : 0;
  return { path: file, statements, skipped: built.skipped };
}

function acceptedFindings(
  exceptions: readonly AppliedException[],
  vex: readonly AppliedVexStatement[],
  workDir: string,
): AcceptedFinding[] {
  const out: AcceptedFinding[] = [];
  const seen = new Set<object>();
  for (const a of exceptions) {
    seen.add(a.finding);
    const e = a.exception;
    const what = e.status === 'affected' ? 'accepted risk' : `not_affected (${e.justification ?? 'no justification'})`;
    out.push({
      ...identify(a.finding),
      by: 'exception',
      file: shownPath(a.file, workDir),
      detail: `exceptions[${a.index}] ${what}: ${e.reason} — owner ${e.owner}, ticket ${e.ticket}, expires ${e.expires}`,
      blocking: a.finding.blocking,
    });
  }
  for (const a of vex) {
    if (seen.has(a.finding)) continue;
    seen.add(a.finding);
    const s = a.statement;
    out.push({
      ...identify(a.finding),
      by: 'vex',
      file: shownPath(a.file, workDir),
      detail: `VEX ${s.status}${s.justification !== undefined ? ` (${s.justification})` : ''}${s.detail !== undefined ? `: ${s.detail}` : ''}`,
      blocking: a.finding.blocking,
    });
  }
  return out;
}

function identify(finding: AppliedException['finding']): Pick<AcceptedFinding, 'id' | 'package' | 'version' | 'purl'> {
  const id = { id: finding.id, package: finding.package.name, version: finding.package.version };
  return finding.package.purl !== undefined ? { ...id, purl: finding.package.purl } : id;
}

function reportExceptions(set: ExceptionSet, workDir: string): ReportExceptions {
  const out: ReportExceptions = {
    file: shownPath(set.file, workDir),
    sha256: set.sha256,
    approved: set.approved,
    approval: set.approval,
    entries: set.entries.map((s) => {
      const entry: ReportExceptions['entries'][number] = { index: s.index, state: s.state, reason: s.reason };
      if (s.entry !== undefined) {
        Object.assign(entry, {
          id: s.entry.id,
          package: s.entry.package,
          status: s.entry.status,
          owner: s.entry.owner,
          expires: s.entry.expires,
          ticket: s.entry.ticket,
        });
      }
      return entry;
    }),
  };
  if (set.bundle !== undefined) out.bundle = shownPath(set.bundle, workDir);
  if (set.approver !== undefined) out.approver = set.approver;
  return out;
}

function reportVex(document: VexDocument, workDir: string): ReportVex {
  const out: ReportVex = {
    file: shownPath(document.file, workDir),
    sha256: document.sha256,
    format: document.format,
    approved: document.approved,
    approval: document.approval,
    statements: document.statements.length,
    warnings: document.warnings,
  };
  if (document.bundle !== undefined) out.bundle = shownPath(document.bundle, workDir);
  if (document.approver !== undefined) out.approver = document.approver;
  return out;
}

function passReason(outcome: ScanOutcome, failOn: FailOn): string {
  return `${outcome.findings.length} finding(s), none blocking at fail-on ${failOn}`;
}

function gateReason(outcome: ScanOutcome, gate: GateOutcome, failOn: FailOn): string {
  const ids = [...new Set(gate.blocking.map((f) => f.id))].sort().join(', ');
  const blocking = `${gate.blocking.length} finding(s) at or above fail-on ${failOn} without an approved exception: ${ids}`;
  if (outcome.undecided.length === 0) return blocking;
  const undecided = `could not decide: ${outcome.undecided.map((u) => u.message).join('; ')}`;
  return gate.blocking.length > 0 ? `${undecided}; also ${blocking}` : undecided;
}

function gateErrors(
  outcome: ScanOutcome,
  report: ReturnType<typeof buildScanReport>,
  options: ScanOptions,
  sbomPath: string,
  databasePath: string,
  reportPath: string,
): FactoryError[] {
  // Undecided first: it is the reason for the input-kind exit code 2 and must be fixed before findings mean anything.
  const errors = outcome.undecided.map((u) =>
    u.code === 'SCAN_NOTHING_SCANNED'
      ? new FactoryError(u.code, `SBOM ${sbomPath}: ${u.message}`, { subject: sbomPath, hint: u.hint })
      : new FactoryError(u.code, `${u.message} (database ${databasePath})`, { subject: databasePath, hint: u.hint }),
  );
  const blockingIds = new Set(report.blockingIds);
  if (blockingIds.size > 0) {
    const accepted = new Set(report.accepted.map((a) => `${a.id}\u0000${a.purl ?? a.package}\u0000${a.version}`));
    const listed = report.findings
      .filter((f) => f.blocking && !accepted.has(`${f.id}\u0000${f.package.purl ?? f.package.name}\u0000${f.package.version}`))
      .map((f) => `${f.id} (${f.severity}, ${f.package.name}@${f.package.version})`);
    errors.push(
      new FactoryError(
        'SCAN_BLOCKED',
        `${listed.length} vulnerability finding(s) at or above '${options.failOn}' without an approved exception: ${listed.join(', ')}`,
        {
          subject: sbomPath,
          hint: `upgrade to the fixed versions listed in ${reportPath}, or record an exception approved by a security reviewer (docs/policy.md)`,
        },
      ),
    );
  }
  const malware = report.malware;
  if (malware !== undefined && malware.infected > 0) {
    const infected = malware.files.filter((f) => f.status === 'infected');
    errors.push(
      new FactoryError(
        'SCAN_MALWARE_FOUND',
        `ClamAV found malware in ${infected.length} file(s): ${infected.map((f) => `${f.file} (${f.detections.map((d) => d.signature).join(', ')})`).join('; ')}`,
        { subject: infected[0]!.file, hint: 'do not release these artifacts; find how the files got in' },
      ),
    );
  }
  return errors;
}

/** Relative to the working directory when inside it (stable across checkouts), else absolute. */
function shownPath(file: string, workDir: string): string {
  const relative = path.relative(workDir, file);
  return relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
