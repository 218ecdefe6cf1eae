import { cachedParser, compareDigits, type EcosystemSupport, VersionSyntaxError } from '../version-comparator.ts';

/**
 * NuGet package versions, ordered like NuGet.Versioning's VersionComparer (Default mode), as the
 * NuGet docs describe ("Package versioning", https://learn.microsoft.com/nuget/concepts/package-versioning):
 * SemVer 2.0 with up to four numeric parts (`Major.Minor.Patch[.Revision]`, the legacy
 * System.Version form; missing parts are 0, so `1.0` = `1.0.0` = `1.0.0.0`), leading zeros
 * allowed, a prerelease label that sorts below the release, labels compared part by part —
 * numeric parts by value and below alphanumeric ones, alphanumeric parts **case-insensitively** —
 * and build metadata ignored.
 */
export interface NuGetVersion {
  numbers: [string, string, string, string];
  labels: string[];
}

const FORMAT =
  /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

function parse(version: string): NuGetVersion {
  const m = FORMAT.exec(version.trim());
  if (m === null) throw new VersionSyntaxError('NuGet', version, 'expected Major[.Minor[.Patch[.Revision]]][-label][+metadata]');
  return { numbers: [m[1]!, m[2] ?? '0', m[3] ?? '0', m[4] ?? '0'], labels: m[5] === undefined ? [] : m[5].split('.') };
}

export const parseNuGetVersion = cachedParser(parse);

function compareLabel(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return compareDigits(a, b);
  if (an !== bn) return an ? -1 : 1;
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

export function compareNuGetVersions(a: string, b: string): number {
  const x = parseNuGetVersion(a);
  const y = parseNuGetVersion(b);
  for (let i = 0; i < 4; i++) {
    const c = compareDigits(x.numbers[i]!, y.numbers[i]!);
    if (c !== 0) return c;
  }
  if (x.labels.length === 0 || y.labels.length === 0) return Math.sign(y.labels.length - x.labels.length);
  const n = Math.min(x.labels.length, y.labels.length);
  for (let i = 0; i < n; i++) {
    const c = compareLabel(x.labels[i]!, y.labels[i]!);
    if (c !== 0) return c;
  }
  return Math.sign(x.labels.length - y.labels.length);
}

export const nugetEcosystem: EcosystemSupport = {
  ecosystem: 'NuGet',
  comparator: 'NuGet.Versioning order (SemVer 2.0 + 4-part versions, case-insensitive labels)',
  // NuGet package ids are case-insensitive (nuget.org treats Newtonsoft.Json and newtonsoft.json as one).
  normaliseName: (name) => name.trim().toLowerCase(),
  isValid: (version) => FORMAT.test(version.trim()),
  compare: compareNuGetVersions,
};
