// ae-cvss-calculator is a CommonJS bundle: Node exposes its classes on the default export only.
import cvssCalculator from 'ae-cvss-calculator';
import type { OsvAffected, OsvRecord, OsvSeverity } from './osv-record.ts';
import { cvss4Score } from './policy/cvss4-score.ts';

/** Severity levels, most severe first. `none` only comes from a CVSS score of 0.0. */
export const SEVERITY_LEVELS = ['critical', 'high', 'medium', 'low', 'none'] as const;
export type SeverityLevel = (typeof SEVERITY_LEVELS)[number];

/** The levels a user may choose for `unknown-severity`. */
export const ASSIGNABLE_SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type AssignableSeverity = (typeof ASSIGNABLE_SEVERITIES)[number];

/** Higher is more severe. */
export function severityRank(level: SeverityLevel): number {
  return SEVERITY_LEVELS.length - 1 - SEVERITY_LEVELS.indexOf(level);
}

export interface CvssScore {
  type: 'CVSS_V2' | 'CVSS_V3' | 'CVSS_V4';
  vector: string;
  /** The base score. */
  score: number;
  level: SeverityLevel;
}

export interface SeverityAssessment {
  level: SeverityLevel;
  /** Where the level came from. `unknown` means the `unknown-severity` input decided. */
  source: 'database_specific' | 'CVSS_V4' | 'CVSS_V3' | 'CVSS_V2' | 'unknown';
  /** The database's own label, e.g. GHSA's `MODERATE`. */
  label?: string;
  /** The CVSS vector the record carries (preferring the newest CVSS version) and its base score. */
  cvss?: CvssScore;
}

/** GitHub's advisory labels (database_specific.severity); MODERATE is GHSA's word for medium. */
const LABELS: Readonly<Record<string, AssignableSeverity>> = {
  CRITICAL: 'critical',
  HIGH: 'high',
  MODERATE: 'medium',
  MEDIUM: 'medium',
  LOW: 'low',
};

/**
 * A record's severity: the database's label when it has one (GHSA's reviewed judgement), else the
 * base score of its newest CVSS vector (record-level `severity`, then the matched `affected[]`
 * entries' own, which the spec allows instead), else `unknownSeverity`: an advisory nobody rated
 * still blocks at the default policy until someone decides.
 */
export function assessSeverity(
  record: OsvRecord,
  affected: readonly OsvAffected[],
  unknownSeverity: AssignableSeverity,
): SeverityAssessment {
  const vectors = [...(record.severity ?? []), ...affected.flatMap((a) => a.severity ?? [])];
  const cvss = bestCvss(vectors);
  const rawLabel = record.database_specific?.['severity'];
  const label = typeof rawLabel === 'string' ? LABELS[rawLabel.toUpperCase()] : undefined;
  if (label !== undefined) {
    const assessment: SeverityAssessment = { level: label, source: 'database_specific', label: rawLabel as string };
    if (cvss !== undefined) assessment.cvss = cvss;
    return assessment;
  }
  if (cvss !== undefined) return { level: cvss.level, source: cvss.type, cvss };
  return { level: unknownSeverity, source: 'unknown' };
}

const PREFERENCE: readonly CvssScore['type'][] = ['CVSS_V4', 'CVSS_V3', 'CVSS_V2'];

/** The first scorable vector of the newest CVSS version present. */
function bestCvss(entries: readonly OsvSeverity[]): CvssScore | undefined {
  for (const type of PREFERENCE) {
    for (const entry of entries) {
      if (entry.type !== type) continue;
      const scored = scoreCvss(type, entry.score);
      if (scored !== undefined) return scored;
    }
  }
  return undefined;
}

/** Scores a CVSS vector with ae-cvss-calculator; undefined when the vector is incomplete or invalid. */
export function scoreCvss(type: CvssScore['type'], vector: string): CvssScore | undefined {
  if (type === 'CVSS_V4') {
    // FIRST's v4.0 scoring (macro vectors and interpolation), including threat and environmental
    // metrics when the vector sets them (CVSS-BT/BE/BTE, spec §1.3): the score the vector stands for.
    const scored = cvss4Score(vector);
    return scored === undefined ? undefined : { type, vector, score: scored.score, level: scored.severity };
  }
  let calculator;
  try {
    if (type === 'CVSS_V3') {
      if (vector.startsWith('CVSS:3.1/')) calculator = new cvssCalculator.Cvss3P1(vector);
      else if (vector.startsWith('CVSS:3.0/')) calculator = new cvssCalculator.Cvss3P0(vector);
      else return undefined;
    } else {
      calculator = new cvssCalculator.Cvss2(vector);
    }
    if (!calculator.isBaseFullyDefined()) return undefined;
    const score = calculator.calculateScores().base;
    if (typeof score !== 'number' || !Number.isFinite(score)) return undefined;
    return { type, vector, score, level: rating(type, score) };
  } catch {
    // The library throws plain TypeErrors on malformed vectors: treat them as "no usable vector".
    return undefined;
  }
}

/** FIRST's qualitative ratings (CVSS v3.1 §5, v4.0 §6); for v2, NVD's three bands. */
function rating(type: CvssScore['type'], score: number): SeverityLevel {
  if (type === 'CVSS_V2') return score >= 7 ? 'high' : score >= 4 ? 'medium' : 'low';
  if (score === 0) return 'none';
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}
