import path from 'node:path';
import {
  describeFile,
  FactoryError,
  InputReader,
  writeFileAtomic,
  type FileRecord,
  type StageContext,
  type StageDefinition,
  type StageResult,
} from '@packaging-factory/core';
import cvssPackage from 'ae-cvss-calculator/package.json' with { type: 'json' };
import semverPackage from 'semver/package.json' with { type: 'json' };
import vulnPackage from '../package.json' with { type: 'json' };
import { supportedEcosystems } from './ecosystems.ts';
import { FAIL_ON_LEVELS, type FailOn } from './findings.ts';
import { loadOsvDatabase } from './osv-database.ts';
import { scanComponents } from './scan.ts';
import { buildScanReport, renderScanSummary, type ToolInfo } from './scan-report.ts';
import { readSbomComponents } from './sbom-components.ts';
import { ASSIGNABLE_SEVERITIES, type AssignableSeverity } from './severity.ts';

/** Typed options of the scan stage. */
export interface ScanOptions {
  /** CycloneDX JSON SBOM, absolute. */
  sbom: string;
  /** OSV database directory, absolute. */
  db: string;
  failOn: FailOn;
  unknownSeverity: AssignableSeverity;
  /** JSON report path, absolute. */
  output: string;
}

const TOOL_NAME = 'packaging-factory-scan';

const INPUTS = {
  sbom: {
    description: 'CycloneDX JSON SBOM whose components are scanned (npm and Debian purls; others are listed as skipped).',
    kind: 'path',
    required: true,
  },
  db: {
    description:
      'Directory of OSV records (one .json per record, searched recursively), e.g. an unpacked osv.dev export. Missing or empty fails the scan.',
    kind: 'path',
    required: true,
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
  output: {
    description: 'Where to write the JSON scan report.',
    kind: 'path',
    default: 'factory-out/scan-report.json',
  },
} as const satisfies StageDefinition<ScanOptions>['inputs'];

/** The scan stage: SBOM components against an offline OSV database, gated by severity. */
export const scanStage: StageDefinition<ScanOptions> = {
  name: 'scan',
  title: 'Scan for known vulnerabilities',
  description:
    'Matches the components of a CycloneDX SBOM against an offline OSV database (npm and Debian), rates each finding, and fails when one is at or above fail-on.',
  inputs: INPUTS,
  outputs: {
    report: { description: 'Path of the JSON scan report.' },
    decision: { description: 'pass or fail.' },
    'vulnerability-count': { description: 'Number of findings (a vulnerability in a component, aliases merged).' },
    'blocking-count': { description: 'Number of findings at or above fail-on.' },
  },
  positional: 'sbom',
  parse(raw, { workDir }) {
    const reader = new InputReader(raw, INPUTS, workDir);
    return {
      sbom: reader.path('sbom'),
      db: reader.path('db'),
      failOn: reader.choice<FailOn>('fail-on'),
      unknownSeverity: reader.choice<AssignableSeverity>('unknown-severity'),
      output: reader.path('output'),
    };
  },
  run: runScan,
};

async function runScan(options: ScanOptions, ctx: StageContext): Promise<StageResult> {
  const sbomRecord = await describeFile(options.sbom, 'sbom', ctx.workDir);
  const components = await readSbomComponents(options.sbom);
  const database = await loadOsvDatabase(options.db, ctx.logger);
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
    `OSV database ${database.info.path}: ${database.info.records} records (${database.info.withdrawn} withdrawn skipped), snapshot ${database.info.snapshot}; ` +
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

  const policy = { failOn: options.failOn, unknownSeverity: options.unknownSeverity };
  const outcome = scanComponents(database, components, policy);
  const databasePath = shownPath(database.info.path, ctx.workDir);
  const report = buildScanReport({
    tool,
    sbom: { path: sbomRecord.path, sha256: sbomRecord.sha256 },
    database: database.info,
    databasePath,
    ecosystems: databaseEcosystems,
    policy,
    components,
    outcome,
  });
  await writeFileAtomic(options.output, `${JSON.stringify(report, null, 2)}\n`);
  const reportRecord = await describeFile(options.output, 'report', ctx.workDir);

  const databaseRecord: FileRecord = {
    path: databasePath,
    name: path.basename(database.info.path),
    sha256: database.info.sha256,
    size: database.info.bytes,
    role: 'osv-database',
  };
  const blocking = report.counts.blocking;
  const blockingReason = `${blocking} finding(s) at or above fail-on ${options.failOn}: ${outcome.blockingIds.join(', ')}`;
  const reason =
    outcome.undecided.length > 0
      ? `could not decide: ${outcome.undecided.map((u) => u.message).join('; ')}${blocking > 0 ? `; also ${blockingReason}` : ''}`
      : outcome.decision === 'pass'
        ? `${report.counts.findings} finding(s), none at or above fail-on ${options.failOn}`
        : blockingReason;
  const result: StageResult = {
    status: outcome.decision === 'pass' ? 'passed' : 'failed',
    decision: { result: outcome.decision, reason },
    inputs: [sbomRecord, databaseRecord],
    outputs: [reportRecord],
    outputValues: {
      report: reportRecord.path,
      decision: outcome.decision,
      'vulnerability-count': String(report.counts.findings),
      'blocking-count': String(blocking),
    },
    summary: renderScanSummary(report),
    details: {
      database: {
        path: databasePath,
        records: database.info.records,
        withdrawn: database.info.withdrawn,
        duplicates: database.info.duplicates,
        files: database.info.files,
        sha256: database.info.sha256,
        snapshot: database.info.snapshot,
        schemaWarnings: database.info.warnings.length,
        ecosystems: databaseEcosystems,
      },
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
      blockingIds: outcome.blockingIds,
      failOn: options.failOn,
      unknownSeverity: options.unknownSeverity,
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
  if (notes.length > 0) result.notes = notes;
  if (outcome.decision === 'fail') {
    // Undecided first: it is the reason for the input-kind exit code 2 and must be fixed before findings mean anything.
    const errors = outcome.undecided.map((u) =>
      u.code === 'SCAN_NOTHING_SCANNED'
        ? new FactoryError(u.code, `SBOM ${sbomRecord.path}: ${u.message}`, { subject: sbomRecord.path, hint: u.hint })
        : new FactoryError(u.code, `${u.message} (database ${databasePath})`, { subject: databasePath, hint: u.hint }),
    );
    if (blocking > 0) {
      const listed = report.findings
        .filter((f) => f.blocking)
        .map((f) => `${f.id} (${f.severity}, ${f.package.name}@${f.package.version})`);
      errors.push(
        new FactoryError('SCAN_BLOCKED', `${blocking} vulnerability finding(s) at or above '${options.failOn}': ${listed.join(', ')}`, {
          subject: sbomRecord.path,
          hint: `upgrade to the fixed versions listed in ${reportRecord.path}, or raise fail-on if the risk is accepted`,
        }),
      );
    }
    result.errors = errors;
  }
  return result;
}

/** Relative to the working directory when inside it (stable across checkouts), else absolute. */
function shownPath(file: string, workDir: string): string {
  const relative = path.relative(workDir, file);
  return relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
