import { compareSemver } from './npm-ecosystem.ts';
import type { OsvAffected, OsvEvent, OsvRange } from './osv-record.ts';
import { type EcosystemSupport, VersionSyntaxError } from './version-comparator.ts';

/** How an `affected[]` entry relates to one version. */
export type AffectedVerdict =
  | { affected: true; via: 'versions' | 'range' }
  | { affected: false }
  /** The entry has ranges but a version in play cannot be ordered: the caller must not say "not affected". */
  | { affected: 'undecidable'; reason: string };

type Compare = (a: string, b: string) => number;

/**
 * OSV's `IsVulnerable` for one `affected[]` entry (schema spec, "Evaluation"): listed in `versions`,
 * or inside any SEMVER/ECOSYSTEM range. GIT ranges need the repository's commit graph and are skipped;
 * their `versions` list (which the spec requires alongside them) still counts.
 */
export function evaluateAffected(affected: OsvAffected, version: string, support: EcosystemSupport): AffectedVerdict {
  // IncludedInVersions: exact string equality, as the spec's pseudocode says.
  if ((affected.versions ?? []).includes(version)) return { affected: true, via: 'versions' };
  let undecidable: string | undefined;
  for (const range of affected.ranges ?? []) {
    const compare = comparatorFor(range, support);
    if (compare === undefined) continue;
    try {
      if (includedInRange(version, range, compare)) return { affected: true, via: 'range' };
    } catch (error) {
      if (!(error instanceof VersionSyntaxError)) throw error;
      undecidable ??= `${range.type} range cannot be evaluated: ${error.message}`;
    }
  }
  return undecidable === undefined ? { affected: false } : { affected: 'undecidable', reason: undecidable };
}

/** SEMVER ranges always order by SemVer 2.0 precedence; ECOSYSTEM ranges by the ecosystem's rules. */
function comparatorFor(range: OsvRange, support: EcosystemSupport): Compare | undefined {
  if (range.type === 'SEMVER') return (a, b) => compareSemver(a, b, 'SemVer');
  if (range.type === 'ECOSYSTEM') return (a, b) => support.compare(a, b);
  return undefined;
}

/** The version an event names, whatever its kind. */
export function eventVersion(event: OsvEvent): string {
  return event.introduced ?? event.fixed ?? event.last_affected ?? event.limit ?? '';
}

/**
 * The spec's `IncludedInRanges` for one range: within the limits, then walk the events sorted by
 * version; `introduced` switches vulnerable on at or above it, `fixed` off at or above it,
 * `last_affected` off strictly above it. `introduced: "0"` sorts before every version and
 * `limit: "*"` after every version (spec, "Special values").
 */
export function includedInRange(version: string, range: OsvRange, compare: Compare): boolean {
  if (!beforeLimits(version, range, compare)) return false;
  const events = sortEvents(range.events, compare);
  let vulnerable = false;
  for (const event of events) {
    if (event.introduced !== undefined && (event.introduced === '0' || compare(version, event.introduced) >= 0)) vulnerable = true;
    else if (event.fixed !== undefined && compare(version, event.fixed) >= 0) vulnerable = false;
    else if (event.last_affected !== undefined && compare(version, event.last_affected) > 0) vulnerable = false;
  }
  return vulnerable;
}

function beforeLimits(version: string, range: OsvRange, compare: Compare): boolean {
  const limits = range.events.filter((e) => e.limit !== undefined).map((e) => e.limit!);
  // No limit event means an implicit `limit: "*"`.
  if (limits.length === 0) return true;
  return limits.some((limit) => limit.includes('*') || compare(version, limit) < 0);
}

/** Events by version (stable for equal versions); `introduced: "0"` first, `*` limits last. */
function sortEvents(events: readonly OsvEvent[], compare: Compare): OsvEvent[] {
  const rank = (event: OsvEvent): number => {
    if (event.introduced === '0') return -1;
    if (event.limit?.includes('*') === true) return 1;
    return 0;
  };
  return events
    .map((event, index) => ({ event, index }))
    .sort((x, y) => {
      const rx = rank(x.event);
      const ry = rank(y.event);
      if (rx !== 0 || ry !== 0) return rx - ry || x.index - y.index;
      return compare(eventVersion(x.event), eventVersion(y.event)) || x.index - y.index;
    })
    .map((entry) => entry.event);
}

/** The `fixed` versions named by an entry's evaluable ranges, in the entry's order, without repeats. */
export function fixedVersions(affected: OsvAffected): string[] {
  const fixed: string[] = [];
  for (const range of affected.ranges ?? []) {
    if (range.type === 'GIT') continue;
    for (const event of range.events) if (event.fixed !== undefined && !fixed.includes(event.fixed)) fixed.push(event.fixed);
  }
  return fixed;
}
