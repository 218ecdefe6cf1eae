import { cachedParser, compareCodeUnits, compareDigits, type EcosystemSupport } from '../version-comparator.ts';

/**
 * Maven version order as specified in the POM reference, "Version Order Specification"
 * (https://maven.apache.org/pom.html#Version_Order_Specification) and implemented by
 * org.apache.maven.artifact.versioning.ComparableVersion:
 *
 * - the version splits into tokens at `.`, at `-`, and at every change between digits and
 *   non-digits (which counts as `-`); each token remembers the separator before it; an empty token is `0`;
 * - trailing "null" tokens (`0`, ``, `final`, `ga`, `release`) are trimmed at the end of the version and
 *   before every remaining `-`;
 * - the shorter version is padded with nulls that take the other side's separator (`.0` or `-`);
 * - numbers compare by value; qualifiers `alpha` < `beta` < `milestone` < `rc` = `cr` < `snapshot` <
 *   `` = `final` = `ga` = `release` < `sp` < any other qualifier (alphabetically, case-insensitive),
 *   with `a`, `b`, `m` meaning alpha, beta, milestone when a number follows directly;
 * - between separators: `.qualifier` < `-qualifier` < `-number` < `.number`.
 *
 * Every string is a Maven version, so the order is total and never throws.
 */
interface Token {
  separator: '.' | '-';
  value: string;
  numeric: boolean;
}

const KNOWN_QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];

function normaliseQualifier(value: string, followedByDigit: boolean): string {
  if (value === 'cr') return 'rc';
  if (value === 'ga' || value === 'final' || value === 'release') return '';
  if (followedByDigit) {
    if (value === 'a') return 'alpha';
    if (value === 'b') return 'beta';
    if (value === 'm') return 'milestone';
  }
  return value;
}

function isNull(token: Token): boolean {
  return token.numeric ? /^0+$/.test(token.value) : token.value === '';
}

function tokenize(version: string): Token[] {
  const tokens: Token[] = [];
  const text = version.trim().toLowerCase();
  let separator: '.' | '-' = '-';
  let start = 0;
  const push = (end: number, next: '.' | '-'): void => {
    const raw = text.slice(start, end);
    const numeric = raw === '' || /^\d+$/.test(raw);
    const followedByDigit = end < text.length && /\d/.test(text[end]!);
    tokens.push({ separator, value: raw === '' ? '0' : numeric ? raw : normaliseQualifier(raw, followedByDigit), numeric });
    separator = next;
    start = end;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '.' || c === '-') {
      push(i, c);
      start = i + 1;
      continue;
    }
    // A digit/non-digit boundary inside a token separates like a hyphen ("1a1" is "1-a-1").
    if (i > start && /\d/.test(c) !== /\d/.test(text[i - 1]!)) push(i, '-');
  }
  push(text.length, '-');
  // The first token has no separator of its own; `.` makes "1" and "1.0" pad alike.
  if (tokens[0] !== undefined) tokens[0].separator = '.';
  return trimNulls(tokens);
}

/** Drops null tokens at the end of each hyphen-started group, last group first (never the first token). */
function trimNulls(tokens: Token[]): Token[] {
  const groups: Token[][] = [];
  for (const token of tokens) {
    if (groups.length === 0 || token.separator === '-') groups.push([token]);
    else groups[groups.length - 1]!.push(token);
  }
  for (let g = groups.length - 1; g >= 0; g--) {
    const group = groups[g]!;
    const floor = g === 0 ? 1 : 0;
    while (group.length > floor && isNull(group[group.length - 1]!)) group.pop();
  }
  return groups.flat();
}

export const parseMavenVersion = cachedParser(tokenize);

function qualifierRank(value: string): number {
  const known = KNOWN_QUALIFIERS.indexOf(value);
  return known >= 0 ? known : KNOWN_QUALIFIERS.length;
}

function compareQualifiers(a: string, b: string): number {
  const ra = qualifierRank(a);
  const rb = qualifierRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  return ra === KNOWN_QUALIFIERS.length ? compareCodeUnits(a, b) : 0;
}

/** `.qualifier` < `-qualifier` < `-number` < `.number`. */
function kindRank(token: Token): number {
  if (token.numeric) return token.separator === '-' ? 2 : 3;
  return token.separator === '-' ? 1 : 0;
}

/** A padding token is a null; against a qualifier it counts as the release qualifier ``. */
function compareTokens(a: Token | undefined, b: Token | undefined): number {
  if (a === undefined && b === undefined) return 0;
  if (a === undefined) return -compareTokens(b, undefined);
  if (b === undefined) {
    if (a.numeric) return isNull(a) ? 0 : 1;
    return compareQualifiers(a.value, '');
  }
  if (a.separator !== b.separator) {
    const d = kindRank(a) - kindRank(b);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  if (a.numeric && b.numeric) return compareDigits(a.value, b.value);
  if (a.numeric !== b.numeric) return a.numeric ? 1 : -1;
  return compareQualifiers(a.value, b.value);
}

export function compareMavenVersions(a: string, b: string): number {
  const x = parseMavenVersion(a);
  const y = parseMavenVersion(b);
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const c = compareTokens(x[i], y[i]);
    if (c !== 0) return c;
  }
  return 0;
}

/** Maven: `groupId:artifactId` as OSV writes it; whitespace around either part is not part of the name. */
export function normaliseMavenName(name: string): string {
  return name
    .split(':')
    .map((part) => part.trim())
    .join(':');
}

export const mavenEcosystem: EcosystemSupport = {
  ecosystem: 'Maven',
  comparator: 'Maven ComparableVersion (POM reference, Version Order Specification)',
  normaliseName: normaliseMavenName,
  isValid: (version) => version.trim() !== '',
  compare: compareMavenVersions,
};
