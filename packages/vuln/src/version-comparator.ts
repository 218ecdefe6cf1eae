/**
 * How one OSV ecosystem names and orders its package versions. The matcher knows nothing about any
 * ecosystem: it looks the base ecosystem up here, so a new ecosystem is one more entry.
 */
export interface EcosystemSupport {
  /** The OSV base ecosystem name, e.g. `npm`, `Debian`. */
  readonly ecosystem: string;
  /** The library or algorithm that orders versions, for the report. */
  readonly comparator: string;
  /** The package name as the database indexes it (npm: exact and case-sensitive; PyPI: PEP 503). */
  normaliseName(name: string): string;
  /** True when `compare` can order this version. */
  isValid(version: string): boolean;
  /** Negative, zero or positive like a sort callback; throws VersionSyntaxError when either version is invalid. */
  compare(a: string, b: string): number;
  /**
   * The version spelled as the ecosystem's advisories spell it, before the exact-string `versions`
   * lookup (Go: go.mod writes `v1.2.3`, OSV writes `1.2.3`). Absent: the version as given.
   */
  canonicalVersion?(version: string): string;
  /**
   * Whether an advisory entry scoped to `advisory` (the part after the first colon of its
   * ecosystem, e.g. `Pro:22.04:LTS`) applies to a component of release `query`. Absent: equal strings.
   */
  sameRelease?(advisory: string, query: string): boolean;
}

/** A version the ecosystem's comparator cannot order: the matcher turns it into an undecidable match. */
export class VersionSyntaxError extends Error {
  override readonly name = 'VersionSyntaxError';
  constructor(
    readonly ecosystem: string,
    readonly version: string,
    reason?: string,
  ) {
    super(`'${version}' is not a valid ${ecosystem} version${reason ? `: ${reason}` : ''}`);
  }
}

/**
 * Compares two strings of decimal digits as unbounded integers (leading zeros ignored): advisories
 * carry date-stamped components such as `20191002222144` and the fixtures go past 2^53.
 */
export function compareDigits(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length - 1 && a.charCodeAt(i) === 48) i++;
  while (j < b.length - 1 && b.charCodeAt(j) === 48) j++;
  const x = a.length - i;
  const y = b.length - j;
  if (x !== y) return x < y ? -1 : 1;
  for (; i < a.length; i++, j++) {
    const d = a.charCodeAt(i) - b.charCodeAt(j);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

/** Code-unit order, -1/0/1: the same on every machine and locale (what C's strcmp does on ASCII). */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Memoises a version parser: a scan compares each component's version against many events, and
 * the records' event versions recur across components. Bounded so a long scan cannot grow it without limit.
 */
export function cachedParser<T>(parse: (version: string) => T, limit = 50_000): (version: string) => T {
  const cache = new Map<string, T>();
  return (version) => {
    const hit = cache.get(version);
    if (hit !== undefined) return hit;
    const parsed = parse(version);
    if (cache.size >= limit) cache.clear();
    cache.set(version, parsed);
    return parsed;
  };
}
