import semver from 'semver';
import { type EcosystemSupport, VersionSyntaxError } from './version-comparator.ts';

/**
 * SemVer 2.0 precedence (semver.org §11) through node-semver, the npm registry's own library.
 * `compare` orders prereleases fully (1.0.0-rc.1 < 1.0.0): OSV SEMVER ranges are precedence
 * intervals, not node-semver ranges, which would hide prereleases unless asked to include them.
 * Build metadata is ignored, as §10 says. A leading `v` is tolerated like node-semver does.
 */
export function compareSemver(a: string, b: string, ecosystem = 'SemVer'): number {
  const x = semver.parse(a);
  if (x === null) throw new VersionSyntaxError(ecosystem, a);
  const y = semver.parse(b);
  if (y === null) throw new VersionSyntaxError(ecosystem, b);
  return x.compare(y);
}

export function isSemver(version: string): boolean {
  return semver.parse(version) !== null;
}

/** npm: names exact and case-sensitive (the registry treats `JSONStream` and `jsonstream` as distinct). */
export const npmEcosystem: EcosystemSupport = {
  ecosystem: 'npm',
  comparator: 'semver',
  normaliseName: (name) => name,
  isValid: isSemver,
  compare: (a, b) => compareSemver(a, b, 'npm'),
};
