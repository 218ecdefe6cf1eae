import { parseEcosystem } from './ecosystem.ts';
import { ecosystemSupport, releaseApplies } from './ecosystems.ts';
import type { AffectedEntry, OsvDatabase } from './osv-database.ts';
import { evaluateAffected, fixedVersions } from './osv-range.ts';
import type { OsvAffected, OsvRecord } from './osv-record.ts';
import type { PackageQuery } from './sbom-components.ts';
import type { EcosystemSupport } from './version-comparator.ts';

/** One record that affects a queried package. */
export interface RecordMatch {
  record: OsvRecord;
  /** The `affected[]` entries that matched. */
  affected: OsvAffected[];
  /** The ecosystems of those entries as the record writes them (`Debian:9`). */
  ecosystems: string[];
  /** The package name and version that matched (a Debian binary may match through its source). */
  name: string;
  version: string;
  /** `undecidable`: a version could not be ordered, so the match is assumed (fail closed). */
  via: 'versions' | 'range' | 'undecidable';
  reason?: string;
  /** Versions that fix it and sort above the matched version, ascending. */
  fixed: string[];
}

/**
 * The records affecting one package query, per OSV's IsVulnerable. A query with a release matches
 * records scoped to that release (as the ecosystem defines "same release": `Ubuntu:Pro:22.04:LTS`
 * applies to 22.04) and unscoped ones (`Debian` applies to every release); a query without one
 * matches every release. Withdrawn records never match, whatever source loaded them. An ecosystem
 * we cannot order versions for matches nothing: callers skip such components before they get here.
 */
export function matchPackage(database: OsvDatabase, query: PackageQuery): RecordMatch[] {
  const support = ecosystemSupport(query.ecosystem);
  if (support === undefined) return [];
  const byId = new Map<string, RecordMatch>();
  for (const lookup of query.lookups) {
    const version = canonical(support, lookup.version);
    const candidates = database
      .lookup(query.ecosystem, lookup.name)
      .filter((entry) => typeof entry.record.withdrawn !== 'string' && releaseMatches(support, entry, query.release));
    for (const entry of candidates) {
      const verdict = evaluateAffected(entry.affected, version, support);
      if (verdict.affected === false) continue;
      const existing = byId.get(entry.record.id);
      if (existing !== undefined) {
        existing.affected.push(entry.affected);
        if (!existing.ecosystems.includes(entry.ecosystem.full)) existing.ecosystems.push(entry.ecosystem.full);
        // A decided match outranks an undecidable one for the same record.
        if (existing.via === 'undecidable' && verdict.affected === true) {
          existing.via = verdict.via;
          delete existing.reason;
        }
        continue;
      }
      const match: RecordMatch = {
        record: entry.record,
        affected: [entry.affected],
        ecosystems: [entry.ecosystem.full],
        name: lookup.name,
        version: lookup.version,
        via: verdict.affected === true ? verdict.via : 'undecidable',
        fixed: [],
      };
      if (verdict.affected === 'undecidable') match.reason = verdict.reason;
      byId.set(entry.record.id, match);
    }
  }
  const matches = [...byId.values()].sort((a, b) => (a.record.id < b.record.id ? -1 : a.record.id > b.record.id ? 1 : 0));
  for (const match of matches) match.fixed = fixedAbove(match, canonical(support, match.version), (a, b) => support.compare(a, b));
  return matches;
}

function releaseMatches(support: EcosystemSupport, entry: AffectedEntry, release: string | undefined): boolean {
  if (release === undefined || entry.ecosystem.release === undefined) return true;
  return releaseApplies(support, entry.ecosystem.release, release);
}

function canonical(support: EcosystemSupport, version: string): string {
  return support.canonicalVersion === undefined ? version : support.canonicalVersion(version);
}

function fixedAbove(match: RecordMatch, version: string, compare: (a: string, b: string) => number): string[] {
  const all = [...new Set(match.affected.flatMap(fixedVersions))];
  const safe = (a: string, b: string): number | undefined => {
    try {
      return compare(a, b);
    } catch {
      return undefined;
    }
  };
  const above = all.filter((fixed) => (safe(fixed, version) ?? 1) > 0);
  return above.sort((a, b) => safe(a, b) ?? (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The ids of the records affecting `name@version` in an OSV ecosystem string (`npm`, `Debian:9`):
 * the query the osv-matching fixtures and OSV's `/v1/query` ask.
 */
export function queryIds(database: OsvDatabase, ecosystem: string, name: string, version: string): string[] {
  const parsed = parseEcosystem(ecosystem);
  const query: PackageQuery = { ecosystem: parsed.base, version, lookups: [{ name, version }] };
  if (parsed.release !== undefined) query.release = parsed.release;
  return matchPackage(database, query).map((m) => m.record.id);
}
