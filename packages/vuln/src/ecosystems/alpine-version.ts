import { cachedParser, compareCodeUnits, compareDigits, type EcosystemSupport } from '../version-comparator.ts';

/**
 * Alpine (apk) version order. The format, from apk-tools' apk-package(5) "pkgver":
 * `number{.number}...{letter}{_suffix{number}}...{~hash}{-r#}` — dot-separated numbers, at most one
 * lower-case letter, suffixes `_alpha` < `_beta` < `_pre` < `_rc` < (none) < `_cvs` < `_svn` <
 * `_git` < `_hg` < `_p`, each with an optional number, an ignored `~hash`, and the package
 * revision `-rN`. Parts compare in that order, as `apk version -t` does:
 *
 * - numbers by value, except that after the first one a number with a leading zero compares as a
 *   string (apk treats `1.02` like a decimal fraction: `1.02` < `1.1`), missing numbers count as 0;
 * - no letter sorts below any letter; suffixes pairwise, a missing one counting as "none";
 * - the revision by value (missing is `-r0`);
 * - whatever is left unparsed makes a version sort below the same version without leftovers, and
 *   two versions that do not follow the format at all fall back to plain string order (what apk
 *   does with versions it cannot tokenize; the osv-scalibr fixtures pin this down line by line).
 */
export interface AlpineVersion {
  original: string;
  numbers: string[];
  letter: string;
  suffixes: { rank: number; number: string }[];
  revision: string;
  /** Text after the last part that parsed; empty for a well-formed version. */
  rest: string;
  /** The text after the parts ran out is not a `-rN` revision: the version does not follow the format. */
  invalid: boolean;
}

const SUFFIXES = ['alpha', 'beta', 'pre', 'rc', '', 'cvs', 'svn', 'git', 'hg', 'p'];
const NO_SUFFIX = SUFFIXES.indexOf('');
// Longer names first where one is a prefix of another (`pre` before `p`).
const SUFFIX = /^_(alpha|beta|pre|rc|cvs|svn|git|hg|p)(\d*)/;

function parse(original: string): AlpineVersion {
  let rest = original.trim();
  const version: AlpineVersion = { original, numbers: [], letter: '', suffixes: [], revision: '0', rest: '', invalid: false };
  const numbers = /^\d+(?:\.\d+)*/.exec(rest);
  if (numbers !== null) {
    version.numbers = numbers[0].split('.');
    rest = rest.slice(numbers[0].length);
  }
  const letter = /^[a-z]/.exec(rest);
  if (letter !== null) {
    version.letter = letter[0];
    rest = rest.slice(1);
  }
  for (let suffix = SUFFIX.exec(rest); suffix !== null; suffix = SUFFIX.exec(rest)) {
    version.suffixes.push({ rank: SUFFIXES.indexOf(suffix[1]!), number: suffix[2] === '' ? '0' : suffix[2]! });
    rest = rest.slice(suffix[0].length);
  }
  const hash = /^~[0-9a-f]+/.exec(rest);
  if (hash !== null) rest = rest.slice(hash[0].length);
  if (rest !== '') {
    const revision = /^-r(\d*)/.exec(rest);
    if (revision === null) version.invalid = true;
    else {
      version.revision = revision[1] === '' ? '0' : revision[1]!;
      rest = rest.slice(revision[0].length);
    }
  }
  version.rest = rest;
  return version;
}

export const parseAlpineVersion = cachedParser(parse);

function compareNumbers(x: readonly string[], y: readonly string[]): number {
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const a = x[i];
    const b = y[i];
    if (a === undefined || b === undefined) {
      const c = compareDigits(a ?? '0', b ?? '0');
      if (c !== 0) return c;
      continue;
    }
    const c = i > 0 && (a.startsWith('0') || b.startsWith('0')) ? compareCodeUnits(a, b) : compareDigits(a, b);
    if (c !== 0) return c;
  }
  return 0;
}

function compareSuffixes(x: AlpineVersion['suffixes'], y: AlpineVersion['suffixes']): number {
  const none = { rank: NO_SUFFIX, number: '0' };
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const a = x[i] ?? none;
    const b = y[i] ?? none;
    if (a.rank !== b.rank) return a.rank < b.rank ? -1 : 1;
    const c = compareDigits(a.number, b.number);
    if (c !== 0) return c;
  }
  return 0;
}

export function compareAlpineVersions(a: string, b: string): number {
  const x = parseAlpineVersion(a);
  const y = parseAlpineVersion(b);
  if (x.invalid && y.invalid) return compareCodeUnits(x.original, y.original);
  const numbers = compareNumbers(x.numbers, y.numbers);
  if (numbers !== 0) return numbers;
  if (x.letter !== y.letter) {
    if (x.letter === '' || y.letter === '') return x.letter === '' ? -1 : 1;
    return compareCodeUnits(x.letter, y.letter);
  }
  const suffixes = compareSuffixes(x.suffixes, y.suffixes);
  if (suffixes !== 0) return suffixes;
  const revision = compareDigits(x.revision, y.revision);
  if (revision !== 0) return revision;
  if ((x.rest === '') !== (y.rest === '')) return x.rest === '' ? 1 : -1;
  return 0;
}

/** The support for an apk-based ecosystem (Alpine, Wolfi, Chainguard): same order, own names. */
export function apkEcosystem(ecosystem: string): EcosystemSupport {
  return {
    ecosystem,
    comparator: 'apk version order (apk-tools apk-package(5))',
    // apk package names are lower case (purl-spec apk definition: not case sensitive).
    normaliseName: (name) => name.toLowerCase(),
    isValid: (version) => version.trim() !== '',
    compare: compareAlpineVersions,
  };
}
