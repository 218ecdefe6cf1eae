import { normalizePythonName } from './python-names.ts';

/**
 * Dependency specifiers (PEP 508, packaging.python.org/en/latest/specifications/dependency-specifiers/):
 * `name [extras] (versionspec | @ url) ; marker`. Used for Requires-Dist in core metadata and for
 * requirement lines in requirements files. Markers are kept as written, not evaluated: the
 * environment the package will run in is unknown here. Only `extra == "x"` is read out of them,
 * because it says the dependency is optional (installed only with that extra).
 */

export type VersionOperator = '===' | '==' | '!=' | '~=' | '<=' | '>=' | '<' | '>';

export interface VersionSpecifier {
  operator: VersionOperator;
  /** As written (may end in '.*' after == and !=). */
  version: string;
}

export interface Pep508Requirement {
  /** The project name as written. */
  name: string;
  /** PEP 503 normalised name. */
  normalized: string;
  extras: string[];
  specifiers: VersionSpecifier[];
  /** `@ url` direct reference. */
  url?: string;
  /** The marker expression after ';', as written (trimmed). */
  marker?: string;
  /** Extras named by `extra == "..."` clauses of the marker: the requirement applies only with them. */
  markerExtras: string[];
}

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/;
// Longest operators first so '===' is not read as '==' followed by '='.
const SPECIFIER = /^(===|==|!=|~=|<=|>=|<|>)\s*([^\s,;()@]+)/;

/** `extra == "x"` (or `"x" == extra`) clauses of a marker. */
export function markerExtras(marker: string): string[] {
  const found = new Set<string>();
  for (const match of marker.matchAll(/\bextra\s*==\s*(['"])([^'"]*)\1|(['"])([^'"]*)\3\s*==\s*extra\b/g)) {
    const value = match[2] ?? match[4];
    if (value !== undefined && value !== '') found.add(normalizePythonName(value));
  }
  return [...found].sort();
}

/** Splits a specifier list ('>=1.0, <2' or '(>=1.0,<2)'); undefined when it is not one. */
export function parseVersionSpecifiers(text: string): VersionSpecifier[] | undefined {
  let rest = text.trim();
  if (rest.startsWith('(') && rest.endsWith(')')) rest = rest.slice(1, -1).trim();
  if (rest === '') return [];
  const specifiers: VersionSpecifier[] = [];
  for (const part of rest.split(',')) {
    const match = SPECIFIER.exec(part.trim());
    if (match === null || match[0].length !== part.trim().length) return undefined;
    specifiers.push({ operator: match[1] as VersionOperator, version: match[2] ?? '' });
  }
  return specifiers;
}

/**
 * Parses one dependency specifier; undefined when the text does not start with a project name.
 * Lenient where real files are: whitespace anywhere between tokens, a parenthesised specifier list
 * (old Requires-Dist style `foo (>=1.0)`), and a `@ url` after a version list.
 */
export function parsePep508(text: string): Pep508Requirement | undefined {
  let rest = text.trim();
  const nameMatch = NAME.exec(rest);
  if (nameMatch === null) return undefined;
  const name = nameMatch[0];
  rest = rest.slice(name.length).trimStart();
  const requirement: Pep508Requirement = {
    name,
    normalized: normalizePythonName(name),
    extras: [],
    specifiers: [],
    markerExtras: [],
  };

  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close === -1) return undefined;
    requirement.extras = rest
      .slice(1, close)
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '')
      .map(normalizePythonName);
    rest = rest.slice(close + 1).trimStart();
  }

  // The marker starts at the first ';' (a URL may contain ';' only when followed by no space, per PEP 508).
  const urlMarker = rest.startsWith('@') ? /\s;/.exec(rest) : null;
  const markerAt = rest.startsWith('@') ? (urlMarker === null ? -1 : urlMarker.index + 1) : rest.indexOf(';');
  if (markerAt !== -1) {
    const marker = rest.slice(markerAt + 1).trim();
    if (marker !== '') {
      requirement.marker = marker;
      requirement.markerExtras = markerExtras(marker);
    }
    rest = rest.slice(0, markerAt).trim();
  }

  const at = rest.indexOf('@');
  if (at !== -1) {
    const url = rest.slice(at + 1).trim();
    if (url !== '') requirement.url = url;
    rest = rest.slice(0, at).trim();
  }
  const specifiers = parseVersionSpecifiers(rest);
  if (specifiers === undefined) return undefined;
  requirement.specifiers = specifiers;
  return requirement;
}

/**
 * The version a specifier list pins exactly: `===x` (arbitrary equality), else `==x` without a
 * wildcard. Ranges, exclusions and `==1.*` pin nothing: the installed version is not known.
 */
export function pinnedVersion(specifiers: readonly VersionSpecifier[]): string | undefined {
  const arbitrary = specifiers.find((s) => s.operator === '===');
  if (arbitrary !== undefined) return arbitrary.version;
  return specifiers.find((s) => s.operator === '==' && !s.version.endsWith('.*'))?.version;
}

/** A specifier list written back canonically ('>=1.0,<2'). */
export function formatSpecifiers(specifiers: readonly VersionSpecifier[]): string {
  return specifiers.map((s) => `${s.operator}${s.version}`).join(',');
}
