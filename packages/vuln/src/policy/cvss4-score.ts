// ae-cvss-calculator is a CommonJS bundle: Node exposes its classes on the default export only.
import cvssCalculator from 'ae-cvss-calculator';
import type { SeverityLevel } from '../severity.ts';

/** A CVSS v4.0 vector scored as FIRST's calculator scores it. */
export interface Cvss4Score {
  /** The vector as given. */
  vector: string;
  /**
   * The score of the whole vector, as FIRST's calculator shows it: CVSS-B when only base metrics
   * are set, CVSS-BT / CVSS-BE / CVSS-BTE when threat or environmental metrics are (v4.0 spec §1.3:
   * the score is named after the metric groups it includes).
   */
  score: number;
  /** The base metrics alone (CVSS-B), ignoring any threat or environmental metric in the vector. */
  baseScore: number;
  nomenclature: 'CVSS-B' | 'CVSS-BT' | 'CVSS-BE' | 'CVSS-BTE';
  /** FIRST's qualitative rating of `score` (v4.0 spec §6: None 0.0, Low 0.1-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical 9.0-10.0). */
  severity: SeverityLevel;
}

/**
 * Scores a CVSS v4.0 vector with ae-cvss-calculator (which implements FIRST's v4.0 macro-vector
 * lookup and interpolation). Undefined when the vector is not `CVSS:4.0/...`, does not parse, or
 * lacks a mandatory base metric (AV, AC, AT, PR, UI, VC, VI, VA, SC, SI, SA): an incomplete vector
 * must not silently score as if the missing metrics were absent.
 */
export function cvss4Score(vector: string): Cvss4Score | undefined {
  if (!vector.startsWith('CVSS:4.0/')) return undefined;
  let calculator;
  try {
    calculator = new cvssCalculator.Cvss4P0(vector);
  } catch {
    // The library throws plain errors for unknown metrics or values ("Unknown component value J for component SA").
    return undefined;
  }
  if (!calculator.isBaseFullyDefined()) return undefined;
  const scores = calculator.calculateScores();
  const score = scores.overall;
  const baseScore = scores.baseMetricsOnly;
  if (typeof score !== 'number' || !Number.isFinite(score) || typeof baseScore !== 'number' || !Number.isFinite(baseScore))
    return undefined;
  return {
    vector,
    score,
    baseScore,
    nomenclature: calculator.getNomenclature() as Cvss4Score['nomenclature'],
    severity: cvss4Rating(score),
  };
}

/** FIRST CVSS v4.0 §6 qualitative severity rating scale. */
export function cvss4Rating(score: number): SeverityLevel {
  if (score === 0) return 'none';
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  return 'low';
}
