import { ecosystemSupport } from './ecosystems.ts';
import type { RecordMatch } from './matcher.ts';
import type { SbomComponent } from './sbom-components.ts';
import { assessSeverity, severityRank, type AssignableSeverity, type SeverityAssessment, type SeverityLevel } from './severity.ts';

/** One vulnerability (aliases merged) in one component. */
export interface Finding {
  /** The group's representative id: the first of `ids` in sort order. */
  id: string;
  /** Every database record merged into this finding (records that alias each other). */
  ids: string[];
  /** Other names of the vulnerability (CVE ids...), without `ids`. */
  aliases: string[];
  summary: string;
  severity: SeverityLevel;
  severitySource: SeverityAssessment['source'];
  severityLabel?: string;
  score?: number;
  vector?: string;
  package: {
    ecosystem: string;
    name: string;
    version: string;
    purl?: string;
    bomRef?: string;
    /** When a Debian binary matched through its source package. */
    matchedAs?: string;
  };
  /** The ecosystems of the matching advisory entries (`Debian:12`). */
  advisoryEcosystems: string[];
  fixedVersions: string[];
  match: RecordMatch['via'];
  notes: string[];
  blocking: boolean;
}

/** A gate threshold: findings at or above it block; `none` blocks nothing. */
export const FAIL_ON_LEVELS = ['critical', 'high', 'medium', 'low', 'none'] as const;
export type FailOn = (typeof FAIL_ON_LEVELS)[number];

export function isBlocking(severity: SeverityLevel, failOn: FailOn): boolean {
  if (failOn === 'none') return false;
  return severityRank(severity) >= severityRank(failOn);
}

/**
 * Turns one component's record matches into findings, merging records that are the same
 * vulnerability: two records are merged when one's id or aliases intersect the other's (OSV
 * `aliases`: "the same vulnerability"), transitively.
 */
export function findingsFor(
  component: SbomComponent,
  matches: readonly RecordMatch[],
  unknownSeverity: AssignableSeverity,
  failOn: FailOn,
): Finding[] {
  const groups = groupByAlias(matches);
  return groups.map((group) => buildFinding(component, group, unknownSeverity, failOn));
}

function groupByAlias(matches: readonly RecordMatch[]): RecordMatch[][] {
  const parent = matches.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const owner = new Map<string, number>();
  matches.forEach((match, i) => {
    for (const name of [match.record.id, ...(match.record.aliases ?? [])]) {
      const other = owner.get(name);
      if (other === undefined) owner.set(name, i);
      else parent[find(i)] = find(other);
    }
  });
  const groups = new Map<number, RecordMatch[]>();
  matches.forEach((match, i) => {
    const root = find(i);
    groups.set(root, [...(groups.get(root) ?? []), match]);
  });
  return [...groups.values()].map((group) => group.sort((a, b) => compareText(a.record.id, b.record.id)));
}

function buildFinding(component: SbomComponent, group: RecordMatch[], unknownSeverity: AssignableSeverity, failOn: FailOn): Finding {
  const first = group[0]!;
  const ids = group.map((m) => m.record.id);
  const aliases = [...new Set(group.flatMap((m) => m.record.aliases ?? []))].filter((a) => !ids.includes(a)).sort(compareText);
  const severity = groupSeverity(group, unknownSeverity);
  const summaryRecord = group.find((m) => (m.record.summary ?? '') !== '') ?? group.find((m) => (m.record.details ?? '') !== '');
  const summary = summaryRecord?.record.summary || firstLine(summaryRecord?.record.details ?? '') || '';
  const notes: string[] = [];
  if (component.query.releaseNote !== undefined) notes.push(component.query.releaseNote);
  for (const match of group) {
    if (match.via === 'undecidable')
      notes.push(`${match.record.id}: assumed affected because ${match.reason ?? 'the version cannot be ordered'}`);
  }
  if (severity.source === 'unknown') notes.push(`no severity in the advisory: treated as ${severity.level} (input unknown-severity)`);
  const via = group.some((m) => m.via === 'versions') ? 'versions' : group.some((m) => m.via === 'range') ? 'range' : 'undecidable';
  const pkg: Finding['package'] = {
    ecosystem: component.query.ecosystem,
    name: component.query.lookups[0]?.name ?? component.name,
    version: component.query.version,
  };
  if (component.purl !== undefined) pkg.purl = component.purl;
  if (component.bomRef !== undefined) pkg.bomRef = component.bomRef;
  const matchedAs = group.find((m) => m.name !== pkg.name);
  if (matchedAs !== undefined) pkg.matchedAs = `${matchedAs.name}@${matchedAs.version} (source package)`;
  // Optional fields are placed where they belong so the report reads top-down.
  return {
    id: first.record.id,
    ids,
    aliases,
    summary,
    severity: severity.level,
    severitySource: severity.source,
    ...(severity.label !== undefined ? { severityLabel: severity.label } : {}),
    ...(severity.cvss !== undefined ? { score: severity.cvss.score, vector: severity.cvss.vector } : {}),
    package: pkg,
    advisoryEcosystems: [...new Set(group.flatMap((m) => m.ecosystems))].sort(compareText),
    fixedVersions: sortVersions([...new Set(group.flatMap((m) => m.fixed))], component.query.ecosystem),
    match: via,
    notes,
    blocking: isBlocking(severity.level, failOn),
  };
}

/**
 * The most severe rating among the merged records that were rated; only when none was rated does
 * the `unknown-severity` choice apply (an alias with a real rating beats an assumed one).
 */
function groupSeverity(group: readonly RecordMatch[], unknownSeverity: AssignableSeverity): SeverityAssessment {
  const assessments = group.map((m) => assessSeverity(m.record, m.affected, unknownSeverity));
  const rated = assessments.filter((a) => a.source !== 'unknown');
  const pool = rated.length > 0 ? rated : assessments;
  return pool.reduce((best, next) => (severityRank(next.level) > severityRank(best.level) ? next : best));
}

/** Ascending by the ecosystem's order; versions it cannot order keep their place after the others. */
function sortVersions(versions: string[], ecosystem: string): string[] {
  const support = ecosystemSupport(ecosystem);
  if (support === undefined) return versions;
  const valid = versions.filter((v) => support.isValid(v)).sort((a, b) => support.compare(a, b));
  return [...valid, ...versions.filter((v) => !support.isValid(v))];
}

function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line.trim();
}

/** Code-unit order: the same on every machine and locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Most severe first, then id, package name, version and purl. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    compareText(a.id, b.id) ||
    compareText(a.package.name, b.package.name) ||
    compareText(a.package.version, b.package.version) ||
    compareText(a.package.purl ?? '', b.package.purl ?? '')
  );
}
