import { compare as comparePep440, valid as validPep440 } from '@renovatebot/pep440';
import { cachedParser, compareCodeUnits, type EcosystemSupport, VersionSyntaxError } from '../version-comparator.ts';

/**
 * PyPI versions. PEP 440 versions are ordered by @renovatebot/pep440 (Renovate's port of
 * pypa/packaging's `Version`). Older releases on PyPI carry versions PEP 440 rejects
 * (`0.9-doduo`, `1.0.0-2021-05-17T...`); pip and packaging before 22.0 ordered them as
 * `LegacyVersion`, below every PEP 440 version, and advisories still name them, so they are ordered
 * the same way here instead of being refused.
 */

/** packaging's legacy component pattern: digit runs, letter runs, `.` and `-` (anything else is its own part). */
const LEGACY_PART = /(\d+|[a-z]+|\.|-)/;
/** packaging's legacy replacements: pre-release spellings sort as `c`, `dev` as `@` (before letters). */
const LEGACY_REPLACE: Readonly<Record<string, string>> = { pre: 'c', preview: 'c', '-': 'final-', rc: 'c', dev: '@' };

/**
 * The sort key packaging < 22 gave a `LegacyVersion` (setuptools' old `parse_version`): numeric parts
 * zero-padded to 8 digits, word parts prefixed with `*`, `*final` appended, trailing zero parts dropped
 * before each word part and `-` dropped before a pre-release word.
 */
function legacyKey(version: string): string[] {
  const parts: string[] = [];
  const pieces = version.toLowerCase().split(LEGACY_PART);
  const yielded: string[] = [];
  for (const raw of pieces) {
    const part = LEGACY_REPLACE[raw] ?? raw;
    if (part === '' || part === '.') continue;
    yielded.push(/^[0-9]/.test(part) ? part.padStart(8, '0') : `*${part}`);
  }
  yielded.push('*final');
  for (const part of yielded) {
    if (part.startsWith('*')) {
      if (part < '*final') while (parts.length > 0 && parts[parts.length - 1] === '*final-') parts.pop();
      while (parts.length > 0 && parts[parts.length - 1] === '00000000') parts.pop();
    }
    parts.push(part);
  }
  return parts;
}

type Parsed = { pep440: true } | { pep440: false; key: string[] };

const parse = cachedParser((version: string): Parsed => {
  if (validPep440(version) !== null) return { pep440: true };
  if (version.trim() === '' || /\s/.test(version.trim())) throw new VersionSyntaxError('PyPI', version);
  return { pep440: false, key: legacyKey(version.trim()) };
});

function compareKeys(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareCodeUnits(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return Math.sign(a.length - b.length);
}

export function comparePypiVersions(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  if (x.pep440 && y.pep440) return Math.sign(comparePep440(a, b));
  // A legacy key has epoch -1 in packaging: below every PEP 440 version.
  if (x.pep440 !== y.pep440) return x.pep440 ? 1 : -1;
  return compareKeys((x as { key: string[] }).key, (y as { key: string[] }).key);
}

/** True for a PEP 440 version (legacy versions are ordered, but reported as not PEP 440). */
export function isPep440Version(version: string): boolean {
  return validPep440(version) !== null;
}

/** PEP 503 normalised name: lowercase, runs of `-`, `_` and `.` collapsed to one `-`. */
export function normalisePypiName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[-_.]+/g, '-');
}

export const pypiEcosystem: EcosystemSupport = {
  ecosystem: 'PyPI',
  comparator: '@renovatebot/pep440 (PEP 440), packaging LegacyVersion order for non-PEP 440 versions',
  normaliseName: normalisePypiName,
  isValid: (version) => {
    try {
      parse(version);
      return true;
    } catch {
      return false;
    }
  },
  compare: comparePypiVersions,
};
