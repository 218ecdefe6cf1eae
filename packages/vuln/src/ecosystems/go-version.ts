import { cachedParser, compareCodeUnits, compareDigits, type EcosystemSupport, VersionSyntaxError } from '../version-comparator.ts';

/**
 * Go module versions, ordered like golang.org/x/mod/semver (the rules the go command uses):
 * `vMAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]]`, where the shorthands `v1` and `v1.2` mean `v1.0.0`
 * and `v1.2.0` (and may not carry a prerelease or build), numbers have no leading zeros and no
 * upper bound, and build metadata (`+incompatible`) does not take part in the order. Pseudo-versions
 * (`v0.0.0-20191109021931-daa7c04131f5`) are ordinary prereleases and sort by their timestamp.
 * OSV's Go records write versions without the `v` (osv.dev's Go converter strips it), so both
 * spellings are accepted, as is the toolchain's `go1.21rc2` for the `stdlib`/`toolchain` packages.
 */
export interface GoVersion {
  major: string;
  minor: string;
  patch: string;
  /** Dot-separated prerelease identifiers; empty for a release. */
  prerelease: string[];
}

const NUMBER = '(0|[1-9][0-9]*)';
const IDENT = '[0-9A-Za-z-]+';
const FULL = new RegExp(`^${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-(${IDENT}(?:\\.${IDENT})*))?(?:\\+${IDENT}(?:\\.${IDENT})*)?$`);
const SHORT = new RegExp(`^${NUMBER}(?:\\.${NUMBER})?$`);
/** The go command's own release names: go1, go1.21, go1.21.3, go1.21rc2, go1.9beta1. */
const TOOLCHAIN = /^go(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?(?:\.(0|[1-9][0-9]*))?(?:(rc|beta)(\d+))?$/;

/** Turns `go1.21rc2` into `1.21.0-rc.2` the way golang.org/x/vuln maps toolchain tags to SemVer. */
function fromToolchain(version: string): string | undefined {
  const m = TOOLCHAIN.exec(version);
  if (m === null) return undefined;
  const core = `${m[1]}.${m[2] ?? '0'}.${m[3] ?? '0'}`;
  return m[4] === undefined ? core : `${core}-${m[4]}.${m[5]}`;
}

function parse(version: string): GoVersion {
  const toolchain = fromToolchain(version);
  const text = toolchain ?? (version.startsWith('v') ? version.slice(1) : version);
  const short = SHORT.exec(text);
  if (short !== null) return { major: short[1]!, minor: short[2] ?? '0', patch: '0', prerelease: [] };
  const full = FULL.exec(text);
  if (full === null) throw new VersionSyntaxError('Go', version, 'expected [v]MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]');
  const prerelease = full[4] === undefined ? [] : full[4].split('.');
  // SemVer §9 (which x/mod/semver enforces): numeric prerelease identifiers have no leading zeros.
  if (prerelease.some((id) => /^0\d+$/.test(id)))
    throw new VersionSyntaxError('Go', version, 'numeric prerelease identifier with a leading zero');
  return { major: full[1]!, minor: full[2]!, patch: full[3]!, prerelease };
}

export const parseGoVersion = cachedParser(parse);

/** SemVer §11.4: numeric identifiers by value, below alphanumeric ones, which sort in ASCII order. */
function compareIdentifiers(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return compareDigits(a, b);
  if (an !== bn) return an ? -1 : 1;
  return compareCodeUnits(a, b);
}

export function compareGoVersions(a: string, b: string): number {
  const x = parseGoVersion(a);
  const y = parseGoVersion(b);
  const core = compareDigits(x.major, y.major) || compareDigits(x.minor, y.minor) || compareDigits(x.patch, y.patch);
  if (core !== 0) return core;
  // A release sorts above its prereleases.
  if (x.prerelease.length === 0 || y.prerelease.length === 0) return Math.sign(y.prerelease.length - x.prerelease.length);
  const n = Math.min(x.prerelease.length, y.prerelease.length);
  for (let i = 0; i < n; i++) {
    const c = compareIdentifiers(x.prerelease[i]!, y.prerelease[i]!);
    if (c !== 0) return c;
  }
  return Math.sign(x.prerelease.length - y.prerelease.length);
}

function isGoVersion(version: string): boolean {
  try {
    parseGoVersion(version);
    return true;
  } catch {
    return false;
  }
}

/**
 * Go: module paths keep their case in OSV (`github.com/Azure/azure-sdk-for-go`), but the purl spec
 * lowercases golang names, and paths that differ only in case name the same repository on the
 * case-insensitive hosts (the module proxy escapes capitals as `!x` for the same reason): the index
 * compares them ignoring case.
 */
export const goEcosystem: EcosystemSupport = {
  ecosystem: 'Go',
  comparator: 'Go module semver (golang.org/x/mod/semver rules)',
  normaliseName: (name) => name.toLowerCase(),
  isValid: isGoVersion,
  compare: compareGoVersions,
  canonicalVersion: (version) => {
    if (!isGoVersion(version)) return version;
    const toolchain = fromToolchain(version);
    if (toolchain !== undefined) return toolchain;
    const text = version.startsWith('v') ? version.slice(1) : version;
    const short = SHORT.exec(text);
    return short === null ? text : `${short[1]}.${short[2] ?? '0'}.0`;
  },
};
