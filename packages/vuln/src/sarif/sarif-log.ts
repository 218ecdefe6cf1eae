import { createHash } from 'node:crypto';
import { compareText, type Finding } from '../findings.ts';
import type { AppliedException } from '../policy/apply-exceptions.ts';
import { severityRank, type SeverityLevel } from '../severity.ts';
import { advisoryUrl } from '../vex/openvex-writer.ts';
import type { AppliedVexStatement } from '../vex/vex-document.ts';
import { ComponentLocator } from './component-location.ts';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

/** A finding someone accepted, shown as a SARIF suppression (kind external: decided outside the code). */
export interface SarifSuppression {
  finding: Finding;
  justification: string;
}

export interface SarifInput {
  findings: readonly Finding[];
  suppressions?: readonly SarifSuppression[];
  tool: { name: string; version: string; informationUri: string };
  /**
   * The scanned SBOM or lockfile: its URI relative to the repository root (GitHub resolves result
   * locations against the checkout) and its text, to find each component's line.
   */
  artifact: { uri: string; text: string };
}

/** Suppressions for applied exceptions, with owner, ticket and expiry in the justification. */
export function exceptionSuppressions(applied: readonly AppliedException[]): SarifSuppression[] {
  return applied.map((a) => ({
    finding: a.finding,
    justification: `${a.exception.status === 'affected' ? 'accepted risk' : `not affected (${a.exception.justification ?? 'no justification'})`}: ${a.exception.reason} — owner ${a.exception.owner}, ticket ${a.exception.ticket}, expires ${a.exception.expires}`,
  }));
}

/** Suppressions for approved VEX statements. */
export function vexSuppressions(applied: readonly AppliedVexStatement[]): SarifSuppression[] {
  return applied.map((a) => ({
    finding: a.finding,
    justification: `VEX ${a.statement.status}${a.statement.justification !== undefined ? ` (${a.statement.justification})` : ''}${a.statement.detail !== undefined ? `: ${a.statement.detail}` : ''}`,
  }));
}

/**
 * GitHub code scanning reads `properties.security-severity` (a number 0.0-10.0 written as a
 * string) to rank security alerts: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
 * The CVSS score is used when it rates as the finding's severity; when the level came from
 * elsewhere (a GHSA label, the unknown-severity setting), a number inside that level's band is.
 */
const LEVEL_SCORE: Readonly<Record<SeverityLevel, string>> = { critical: '9.5', high: '8.0', medium: '5.5', low: '2.0', none: '0.0' };

function securitySeverity(finding: Finding): string {
  const score = finding.score;
  if (score !== undefined && bandOf(score) === finding.severity) return score.toFixed(1);
  return LEVEL_SCORE[finding.severity];
}

function bandOf(score: number): SeverityLevel {
  if (score === 0) return 'none';
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}

/** SARIF result levels: what blocks a release is an error, medium a warning, the rest notes. */
function levelOf(severity: SeverityLevel): 'error' | 'warning' | 'note' {
  return severity === 'critical' || severity === 'high' ? 'error' : severity === 'medium' ? 'warning' : 'note';
}

/**
 * Builds a SARIF 2.1.0 log for GitHub code scanning: one rule per vulnerability (id, summary,
 * advisory link, security-severity, tags), one result per finding at the line of the SBOM or
 * lockfile where the component appears, a stable partialFingerprint per vulnerability and
 * package, and accepted findings as `suppressions` of kind external. Deterministic for the same input.
 */
export function buildSarifLog(input: SarifInput): Record<string, unknown> {
  const findings = [...input.findings].sort(
    (a, b) =>
      compareText(a.id, b.id) ||
      compareText(a.package.purl ?? a.package.name, b.package.purl ?? b.package.name) ||
      compareText(a.package.version, b.package.version),
  );
  const byRule = new Map<string, Finding[]>();
  for (const f of findings) byRule.set(f.id, [...(byRule.get(f.id) ?? []), f]);
  const ruleIds = [...byRule.keys()].sort(compareText);
  const rules = ruleIds.map((id) => ruleFor(id, byRule.get(id)!));
  const suppressed = new Map<Finding, string[]>();
  for (const s of input.suppressions ?? []) suppressed.set(s.finding, [...(suppressed.get(s.finding) ?? []), s.justification]);
  const locator = new ComponentLocator(input.artifact.text);
  const results = findings.map((finding) => {
    const position = locator.locate({
      name: finding.package.name,
      version: finding.package.version,
      ...(finding.package.purl !== undefined ? { purl: finding.package.purl } : {}),
    });
    const fixed = finding.fixedVersions.length > 0 ? `Fixed in ${finding.fixedVersions.join(', ')}.` : 'No fixed version is known.';
    const aliases = finding.aliases.length > 0 ? ` (${finding.aliases.join(', ')})` : '';
    const summary = finding.summary !== '' ? ` ${finding.summary.replace(/\.?$/, '.')}` : '';
    const purl = finding.package.purl !== undefined ? ` (${finding.package.purl})` : '';
    const result: Record<string, unknown> = {
      ruleId: finding.id,
      ruleIndex: ruleIds.indexOf(finding.id),
      level: levelOf(finding.severity),
      message: {
        text: `${finding.package.name} ${finding.package.version}${purl} is affected by ${finding.id}${aliases}, severity ${finding.severity}.${summary} ${fixed}`,
      },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: input.artifact.uri },
            region: { startLine: position.line, startColumn: position.column },
          },
          logicalLocations: [{ name: finding.package.purl ?? `${finding.package.name}@${finding.package.version}`, kind: 'package' }],
        },
      ],
      // Stable across runs and line moves: the alert is the vulnerability in this package version.
      partialFingerprints: {
        'vulnerabilityPackage/v1': createHash('sha256')
          .update(
            `${finding.id}\u0000${finding.package.purl ?? `${finding.package.ecosystem}/${finding.package.name}@${finding.package.version}`}`,
          )
          .digest('hex'),
      },
      properties: {
        severity: finding.severity,
        blocking: finding.blocking,
        package: finding.package.name,
        version: finding.package.version,
        ...(finding.package.purl !== undefined ? { purl: finding.package.purl } : {}),
        fixedVersions: finding.fixedVersions,
      },
    };
    const justifications = suppressed.get(finding);
    if (justifications !== undefined) {
      result['suppressions'] = justifications.map((justification) => ({ kind: 'external', status: 'accepted', justification }));
    }
    return result;
  });
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: input.tool.name,
            version: input.tool.version,
            semanticVersion: input.tool.version,
            informationUri: input.tool.informationUri,
            rules,
          },
        },
        artifacts: [{ location: { uri: input.artifact.uri } }],
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
}

function ruleFor(id: string, findings: readonly Finding[]): Record<string, unknown> {
  const worst = findings.reduce((a, b) => (severityRank(b.severity) > severityRank(a.severity) ? b : a));
  const summary = findings.find((f) => f.summary !== '')?.summary ?? id;
  const aliases = [...new Set(findings.flatMap((f) => [...f.ids, ...f.aliases]))].filter((a) => a !== id).sort(compareText);
  const ecosystems = [...new Set(findings.map((f) => f.package.ecosystem))].sort(compareText);
  const fixed = [...new Set(findings.flatMap((f) => f.fixedVersions))];
  const help = [
    `${id}${aliases.length > 0 ? ` (also ${aliases.join(', ')})` : ''}: ${summary}`,
    `Severity: ${worst.severity}${worst.vector !== undefined ? ` (${worst.vector})` : ''}.`,
    fixed.length > 0 ? `Fixed versions: ${fixed.join(', ')}.` : 'No fixed version is known.',
    `Advisory: ${advisoryUrl(id)}`,
  ];
  return {
    id,
    name: ruleName(id),
    shortDescription: { text: `${id}: ${truncate(summary, 900)}` },
    fullDescription: { text: truncate(help[0]!, 1000) },
    helpUri: advisoryUrl(id),
    help: {
      text: help.join('\n'),
      markdown: help.map((line) => line.replace(advisoryUrl(id), `[${id}](${advisoryUrl(id)})`)).join('\n\n'),
    },
    defaultConfiguration: { level: levelOf(worst.severity) },
    properties: {
      // GitHub: a rule with security-severity must carry the `security` tag.
      // GitHub keeps at most 20 tags per rule (sarif-sdk GH1004 ReviewArraysThatExceedConfigurableDefaults).
      tags: ['security', 'vulnerability', ...ecosystems.map((e) => `ecosystem/${e}`), ...aliases.filter((a) => a.startsWith('CVE-'))].slice(
        0,
        20,
      ),
      'security-severity': securitySeverity(worst),
      precision: worst.match === 'undecidable' ? 'medium' : 'very-high',
      'problem.severity': levelOf(worst.severity) === 'note' ? 'recommendation' : levelOf(worst.severity),
    },
  };
}

/** SARIF rule names are identifiers (SARIF2012: PascalCase, no spaces): GHSA-xxxx → Ghsa_xxxx. */
function ruleName(id: string): string {
  const name = id.replace(/[^A-Za-z0-9]+/g, '_');
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
