import { PackageURL } from 'packageurl-js';

/**
 * A package pattern in purl form: `pkg:type/[namespace/]name[@version][?qualifiers]`, where `*`
 * matches any run of characters inside the name path (not across `/`) or the version. Percent
 * escapes are decoded, so `pkg:npm/%40scope/name` and `pkg:npm/@scope/name` are the same pattern.
 */
export interface PurlPattern {
  /** The pattern as written. */
  text: string;
  type: string;
  /** Namespace and name joined with `/`, decoded. */
  path: string;
  version?: string;
  qualifiers: Record<string, string>;
}

/** Parses a purl pattern; undefined when it is not `pkg:type/name...`. */
export function parsePurlPattern(text: string): PurlPattern | undefined {
  if (!text.startsWith('pkg:')) return undefined;
  let rest = text.slice(4).replace(/^\/+/, '');
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const qualifiers: Record<string, string> = {};
  const question = rest.indexOf('?');
  if (question >= 0) {
    for (const pair of rest.slice(question + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      if (eq <= 0) return undefined;
      qualifiers[pair.slice(0, eq).toLowerCase()] = decode(pair.slice(eq + 1));
    }
    rest = rest.slice(0, question);
  }
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  const type = rest.slice(0, slash).toLowerCase();
  let path = rest.slice(slash + 1);
  // The version is introduced by the last '@' of the last segment: `@scope/name@1.0` keeps its scope.
  const lastSlash = path.lastIndexOf('/');
  const at = path.lastIndexOf('@');
  let version: string | undefined;
  if (at > lastSlash && at > 0) {
    version = decode(path.slice(at + 1));
    path = path.slice(0, at);
  }
  const segments = path.split('/').filter((s) => s !== '');
  if (segments.length === 0) return undefined;
  const pattern: PurlPattern = { text, type, path: segments.map(decode).join('/'), qualifiers };
  if (version !== undefined && version !== '') pattern.version = version;
  return pattern;
}

/**
 * True when the purl falls under the pattern: same type, the name path and version match (globs
 * allowed; no version in the pattern means every version), and every qualifier the pattern names
 * has the same value in the purl. Names compare the way each ecosystem compares them (purl-spec:
 * PyPI names are case-insensitive with `-`, `_` and `.` equivalent; npm, deb, apk, rpm... are
 * compared as written, except that types are lower case).
 */
export function purlMatchesPattern(pattern: PurlPattern, purl: string): boolean {
  let parsed: PackageURL;
  try {
    parsed = PackageURL.fromString(purl);
  } catch {
    return false;
  }
  if (parsed.type.toLowerCase() !== pattern.type) return false;
  const path = [parsed.namespace, parsed.name].filter((s): s is string => s !== undefined && s !== null && s !== '').join('/');
  const normalize = nameNormalizer(pattern.type);
  if (!globMatches(normalize(pattern.path), normalize(path), '[^/]*')) return false;
  if (pattern.version !== undefined) {
    if (parsed.version === undefined || parsed.version === null) return false;
    if (!globMatches(pattern.version, parsed.version, '.*')) return false;
  }
  const qualifiers = parsed.qualifiers ?? {};
  return Object.entries(pattern.qualifiers).every(([key, value]) => qualifiers[key] === value);
}

/** Convenience: parse and match; an unparseable pattern matches nothing. */
export function matchesPurlPattern(patternText: string, purl: string): boolean {
  const pattern = parsePurlPattern(patternText);
  return pattern !== undefined && purlMatchesPattern(pattern, purl);
}

function nameNormalizer(type: string): (name: string) => string {
  // purl-spec PURL-TYPES: pypi names are lower-cased and '_' becomes '-' (PEP 503 also folds '.').
  if (type === 'pypi') return (name) => name.toLowerCase().replace(/[-_.]+/g, '-');
  // purl-spec: github, bitbucket and golang-style hosts are case-insensitive; npm names are lower case by registry rule.
  if (type === 'github' || type === 'bitbucket' || type === 'npm') return (name) => name.toLowerCase();
  return (name) => name;
}

function globMatches(glob: string, value: string, star: string): boolean {
  const source = glob
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join(star);
  return new RegExp(`^${source}$`, 'u').test(value);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
