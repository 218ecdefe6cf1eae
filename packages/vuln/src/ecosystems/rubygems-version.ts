import { cachedParser, compareCodeUnits, compareDigits, type EcosystemSupport, VersionSyntaxError } from '../version-comparator.ts';

/**
 * RubyGems versions, ordered like Gem::Version#<=> (rubygems/lib/rubygems/version.rb, documented in
 * the Gem::Version class docs and the RubyGems "Patterns" guide):
 *
 * - a version matches `\d+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`; a `-` stands for
 *   `.pre.` (so `1.0.0-rc1` is the prerelease `1.0.0.pre.rc1`); an empty version is `0`;
 * - segments are the runs of digits (compared as numbers) and of letters (strings; any letter makes
 *   the version a prerelease); a string segment sorts below a numeric one, so `1.0.a` < `1.0`;
 * - trailing zero segments are dropped from the numeric part and from the part after the first
 *   string segment ("canonical segments"), and the shorter list is padded with 0.
 */
type Segment = string | bigint;

const FORMAT = /^[0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

function dropTrailingZeros(segments: Segment[]): Segment[] {
  let end = segments.length;
  while (end > 0 && segments[end - 1] === 0n) end--;
  return segments.slice(0, end);
}

function parse(version: string): Segment[] {
  const text = version.trim() === '' ? '0' : version.trim();
  if (!FORMAT.test(text)) throw new VersionSyntaxError('RubyGems', version, 'not a Gem::Version');
  const segments: Segment[] = (text.replaceAll('-', '.pre.').match(/[0-9]+|[a-z]+/gi) ?? []).map((s) => (/^\d+$/.test(s) ? BigInt(s) : s));
  const firstString = segments.findIndex((s) => typeof s === 'string');
  if (firstString < 0) return dropTrailingZeros(segments);
  return [...dropTrailingZeros(segments.slice(0, firstString)), ...dropTrailingZeros(segments.slice(firstString))];
}

export const parseGemVersion = cachedParser(parse);

export function compareGemVersions(a: string, b: string): number {
  const x = parseGemVersion(a);
  const y = parseGemVersion(b);
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const l = x[i] ?? 0n;
    const r = y[i] ?? 0n;
    if (l === r) continue;
    if (typeof l === 'string' && typeof r !== 'string') return -1;
    if (typeof l !== 'string' && typeof r === 'string') return 1;
    if (typeof l === 'string' && typeof r === 'string') return compareCodeUnits(l, r);
    return compareDigits(String(l), String(r));
  }
  return 0;
}

export const rubygemsEcosystem: EcosystemSupport = {
  ecosystem: 'RubyGems',
  comparator: 'Gem::Version order',
  // Gem names are case-sensitive on rubygems.org (`Rack` and `rack` are distinct gems).
  normaliseName: (name) => name,
  isValid: (version) => FORMAT.test(version.trim() === '' ? '0' : version.trim()),
  compare: compareGemVersions,
};
