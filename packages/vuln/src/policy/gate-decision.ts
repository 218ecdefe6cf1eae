import type { Finding } from '../findings.ts';

export type GateDecision = 'pass' | 'fail' | 'pass-with-exceptions';

export interface GateOutcome {
  decision: GateDecision;
  /** Blocking findings nothing covers: each one fails the gate. */
  blocking: Finding[];
  /** Blocking findings an exception or VEX statement covers: the reason for pass-with-exceptions. */
  excepted: Finding[];
  reason: string;
}

/**
 * The gate: `fail` when a blocking finding (Finding.blocking, i.e. at or above fail-on) is not
 * covered, or when the scan could not decide (`undecided` > 0: fail closed); `pass-with-exceptions`
 * when every blocking finding is covered by an approved exception or VEX statement and at least one
 * needed to be; `pass` when nothing blocked to begin with. Covering non-blocking findings does not
 * change a pass (they are still reported).
 */
export function decideGate(findings: readonly Finding[], covered: readonly { finding: Finding }[], undecided = 0): GateOutcome {
  const coveredSet = new Set(covered.map((c) => c.finding));
  const blockingAll = findings.filter((f) => f.blocking);
  const blocking = blockingAll.filter((f) => !coveredSet.has(f));
  const excepted = blockingAll.filter((f) => coveredSet.has(f));
  const ids = (list: readonly Finding[]): string => [...new Set(list.map((f) => f.id))].join(', ');
  if (undecided > 0 || blocking.length > 0) {
    const parts: string[] = [];
    if (undecided > 0) parts.push(`the scan could not decide (${undecided} reason(s))`);
    if (blocking.length > 0) parts.push(`${blocking.length} blocking finding(s) without an approved exception: ${ids(blocking)}`);
    return { decision: 'fail', blocking, excepted, reason: parts.join('; ') };
  }
  if (excepted.length > 0) {
    return {
      decision: 'pass-with-exceptions',
      blocking,
      excepted,
      reason: `${excepted.length} blocking finding(s) covered by approved exceptions or VEX: ${ids(excepted)}`,
    };
  }
  return { decision: 'pass', blocking, excepted, reason: 'no blocking finding' };
}
