import type { Finding } from '../findings.ts';
import type { ExceptionEntry } from './exceptions-file.ts';
import type { ExceptionSet } from './exception-set.ts';
import { parsePurlPattern, purlMatchesPattern } from './purl-pattern.ts';

/** A finding an active exception covers. The finding itself is left as the scan made it. */
export interface AppliedException {
  finding: Finding;
  exception: ExceptionEntry;
  /** The entry's index in the exceptions file. */
  index: number;
  /** The exceptions file. */
  file: string;
}

/**
 * Every name a finding goes by: its id, the ids of the records merged into it and their aliases,
 * upper-cased (GHSA ids are written in either case; CVE, PYSEC and the rest are upper case by rule).
 */
export function findingNames(finding: Finding): Set<string> {
  return new Set([finding.id, ...finding.ids, ...finding.aliases].map((name) => name.toUpperCase()));
}

/**
 * Pairs findings with the active exceptions of the set that cover them: the exception's id is the
 * finding's id or one of its aliases, and its purl pattern matches the finding's purl. An entry
 * past its `expires` day at `now` is not applied even if it was active when the set was loaded.
 * A finding covered by several entries is paired with the first in file order. Sorted like the findings.
 */
export function applyExceptions(findings: readonly Finding[], set: ExceptionSet, now: Date): AppliedException[] {
  const today = now.toISOString().slice(0, 10);
  const candidates = set.entries
    .filter((s) => s.state === 'active' && s.entry !== undefined && s.entry.expires >= today)
    .map((s) => ({ index: s.index, entry: s.entry!, pattern: parsePurlPattern(s.entry!.package) }));
  const applied: AppliedException[] = [];
  for (const finding of findings) {
    const purl = finding.package.purl;
    if (purl === undefined) continue;
    const names = findingNames(finding);
    const match = candidates.find(
      (c) => c.pattern !== undefined && names.has(c.entry.id.toUpperCase()) && purlMatchesPattern(c.pattern, purl),
    );
    if (match !== undefined) applied.push({ finding, exception: match.entry, index: match.index, file: set.file });
  }
  return applied;
}
