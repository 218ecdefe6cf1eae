import { cachedParser, type EcosystemSupport } from '../version-comparator.ts';

/**
 * RPM version order, as rpm implements it (lib/rpmvercmp.c `rpmvercmp`, lib/rpmver.c `rpmverParse`;
 * described in rpm's docs/manual/dependencies.md "Versioning" and rpm-version(7)):
 *
 * `[epoch:]version[-release]`: the epoch is the leading digits when a `:` follows them (otherwise
 * there is none, and `a:1` is all version), the release starts after the last `-`. Epoch, version
 * and release compare in turn with rpmvercmp; a missing epoch is 0, and a version without a release
 * sorts below the same version with one (rpm's `compare_values`: present beats absent).
 *
 * rpmvercmp walks both strings: characters other than ASCII letters, digits, `~` and `^` only
 * separate; `~` sorts before anything (even the end), `^` after the end but before anything else;
 * then the next run of digits (or of letters, following the first string) is compared — digit runs
 * numerically (leading zeros dropped, longer wins), letter runs with strcmp; a digit run beats a
 * letter run. When one string runs out, the longer one wins.
 */
export interface RpmVersion {
  epoch: string;
  version: string;
  release: string | undefined;
}

function parse(text: string): RpmVersion {
  const evr = text.trim();
  let epoch = '0';
  let rest = evr;
  const epochEnd = /^(\d*):/.exec(evr);
  if (epochEnd !== null) {
    epoch = epochEnd[1] === '' ? '0' : epochEnd[1]!;
    rest = evr.slice(epochEnd[0].length);
  }
  const hyphen = rest.lastIndexOf('-');
  if (hyphen < 0) return { epoch, version: rest, release: undefined };
  return { epoch, version: rest.slice(0, hyphen), release: rest.slice(hyphen + 1) };
}

export const parseRpmVersion = cachedParser(parse);

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isAlpha = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const TILDE = 126;
const CARET = 94;

/** rpmvercmp on one field: -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  const at = (s: string, k: number): number => (k < s.length ? s.charCodeAt(k) : 0);
  const separator = (c: number): boolean => c !== 0 && !isDigit(c) && !isAlpha(c) && c !== TILDE && c !== CARET;
  while (i < a.length || j < b.length) {
    while (separator(at(a, i))) i++;
    while (separator(at(b, j))) j++;
    const ca = at(a, i);
    const cb = at(b, j);
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    // `^` (a post-release snapshot) sorts after the end of the other string, before any more of it.
    if (ca === CARET || cb === CARET) {
      if (ca === 0) return -1;
      if (cb === 0) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (ca === 0 || cb === 0) break;
    const numeric = isDigit(ca);
    const inRun = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && inRun(a.charCodeAt(ei))) ei++;
    while (ej < b.length && inRun(b.charCodeAt(ej))) ej++;
    // The first string always has a run here; the second may not (a digit run meets letters).
    if (ej === j) return numeric ? 1 : -1;
    let x = a.slice(i, ei);
    let y = b.slice(j, ej);
    if (numeric) {
      x = x.replace(/^0+/, '');
      y = y.replace(/^0+/, '');
      if (x.length !== y.length) return x.length > y.length ? 1 : -1;
    }
    if (x !== y) return x < y ? -1 : 1;
    i = ei;
    j = ej;
  }
  const restA = i < a.length;
  const restB = j < b.length;
  if (!restA && !restB) return 0;
  return restA ? 1 : -1;
}

export function compareRpmVersions(a: string, b: string): number {
  const x = parseRpmVersion(a);
  const y = parseRpmVersion(b);
  const epoch = rpmvercmp(x.epoch, y.epoch);
  if (epoch !== 0) return epoch;
  const version = rpmvercmp(x.version, y.version);
  if (version !== 0) return version;
  if (x.release === undefined || y.release === undefined) {
    if (x.release === y.release) return 0;
    return x.release === undefined ? -1 : 1;
  }
  return rpmvercmp(x.release, y.release);
}

/** The support for one RPM-based OSV ecosystem; they differ in name and release scoping only. */
export function rpmEcosystem(ecosystem: string, sameRelease?: EcosystemSupport['sameRelease']): EcosystemSupport {
  const support: EcosystemSupport = {
    ecosystem,
    comparator: 'rpmvercmp (epoch:version-release)',
    // RPM names are case-sensitive (purl-spec rpm definition).
    normaliseName: (name) => name,
    isValid: (version) => version.trim() !== '',
    compare: compareRpmVersions,
  };
  if (sameRelease !== undefined) support.sameRelease = sameRelease;
  return support;
}
