import { FactoryError } from '@packaging-factory/core';
import { PackageURL } from 'packageurl-js';
import { debianRelease } from './debian-release.ts';
import { alpineRelease } from './ecosystems/alpine-release.ts';
import { numericRelease, openSuseRelease, suseRelease } from './ecosystems/rpm-release.ts';
import { ubuntuRelease } from './ecosystems/ubuntu-release.ts';
import type { PackageQuery } from './sbom-components.ts';

/** A purl as the matcher looks it up: OSV ecosystem, name and version, release, and the names to try. */
export interface PurlComponent extends PackageQuery {
  /** The package name as OSV writes it (`org.apache.logging.log4j:log4j-core`, `golang.org/x/text`). */
  name: string;
  /** The purl, as given. */
  purl: string;
}

/** Spellings a purl does not carry but an SBOM component might (the registry's own case for npm names). */
export interface PurlHints {
  /** The component's own name, `group/name` joined for scoped npm packages. */
  name?: string;
}

/**
 * Maps a purl string to the package to look up, e.g. `pkg:pypi/requests@2.19.0` → PyPI `requests`
 * 2.19.0, `pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=debian-12&upstream=openssl` → Debian:12,
 * looked up as `libssl3` and as its source `openssl`. Throws SCAN_PURL_INVALID for a purl that does
 * not parse or names no version, SCAN_PURL_UNSUPPORTED for a type no OSV ecosystem we order covers.
 */
export function componentFromPurl(purl: string): PurlComponent {
  let parsed: PackageURL;
  try {
    parsed = PackageURL.fromString(purl);
  } catch (error) {
    throw new FactoryError('SCAN_PURL_INVALID', `'${purl}' is not a valid package URL: ${(error as Error).message}`, {
      cause: error,
      subject: purl,
      hint: 'write it as pkg:TYPE/[NAMESPACE/]NAME@VERSION[?QUALIFIERS], e.g. pkg:pypi/requests@2.19.0 (https://github.com/package-url/purl-spec)',
    });
  }
  if (parsed.version === undefined || parsed.version === null || parsed.version === '') {
    throw new FactoryError('SCAN_PURL_INVALID', `'${purl}' names no version: there is nothing to look up`, {
      subject: purl,
      hint: 'add the installed version after @, e.g. pkg:npm/lodash@4.17.20',
    });
  }
  const query = queryFromPurl(parsed, parsed.version);
  if (typeof query === 'string') {
    throw new FactoryError('SCAN_PURL_UNSUPPORTED', `'${purl}' cannot be scanned: ${query}`, {
      subject: purl,
      hint: 'scan covers purl types npm, pypi, maven, golang, nuget, gem, cargo, deb (debian, ubuntu), rpm and apk',
    });
  }
  return { ...query, name: query.lookups[0]!.name, purl };
}

/** The query for a parsed purl and the version in use, or why it cannot be scanned. */
export function queryFromPurl(purl: PackageURL, version: string, hints: PurlHints = {}): PackageQuery | string {
  const qualifiers = purl.qualifiers ?? {};
  const joined = (separator: string): string => (purl.namespace ? `${purl.namespace}${separator}${purl.name}` : purl.name);
  const language = (ecosystem: string, name: string): PackageQuery => ({ ecosystem, version, lookups: [{ name, version }] });
  switch (purl.type) {
    case 'npm': {
      // The purl spec lowercases npm names, but the registry (and OSV) keep legacy mixed-case names
      // such as `JSONStream`: take the component's own spelling when it is the same name ignoring case.
      const purlName = joined('/');
      const name = hints.name !== undefined && hints.name.toLowerCase() === purlName.toLowerCase() ? hints.name : purlName;
      return language('npm', name);
    }
    case 'pypi':
      return language('PyPI', purl.name);
    case 'maven':
      if (!purl.namespace) return 'maven purl without a groupId (namespace)';
      return language('Maven', `${purl.namespace}:${purl.name}`);
    case 'golang':
      // The module path is namespace/name; a subpath names a package inside the module.
      return language('Go', joined('/'));
    case 'nuget':
      return language('NuGet', purl.name);
    case 'gem':
      return language('RubyGems', purl.name);
    case 'cargo':
      return language('crates.io', purl.name);
    case 'deb':
      return debQuery(purl, version, qualifiers);
    case 'rpm':
      return rpmQuery(purl, version, qualifiers);
    case 'apk':
      return apkQuery(purl, version, qualifiers);
    default:
      return `unsupported purl type: ${purl.type}`;
  }
}

type Qualifiers = Record<string, string>;

/** Release and note for a distro qualifier, given the ecosystem's reading of it. */
function releaseOf(
  ecosystem: string,
  distro: string | undefined,
  read: (distro: string) => string | undefined,
): Pick<PackageQuery, 'release' | 'releaseNote'> {
  if (distro === undefined || distro === '') {
    return { releaseNote: `no distro qualifier in the purl: matched ${ecosystem} advisories of every release` };
  }
  const release = read(distro);
  if (release === undefined) {
    return {
      releaseNote: `distro qualifier '${distro}' names no known ${ecosystem} release: matched ${ecosystem} advisories of every release`,
    };
  }
  return { release };
}

/**
 * Distribution advisories name source packages. The purl's `upstream` qualifier names the binary's
 * source (`name` or `name@version`; the versions differ for binNMUs): it is looked up too.
 */
function withUpstream(name: string, version: string, upstream: string | undefined): { name: string; version: string }[] {
  const lookups = [{ name, version }];
  if (upstream === undefined || upstream === '') return lookups;
  const at = upstream.indexOf('@');
  const source = at >= 0 ? upstream.slice(0, at) : upstream;
  const sourceVersion = at >= 0 && upstream.slice(at + 1) !== '' ? upstream.slice(at + 1) : version;
  if (source !== '' && (source !== name || sourceVersion !== version)) lookups.push({ name: source, version: sourceVersion });
  return lookups;
}

function debQuery(purl: PackageURL, version: string, qualifiers: Qualifiers): PackageQuery | string {
  const vendor = purl.namespace?.toLowerCase();
  const lookups = withUpstream(purl.name, version, qualifiers['upstream']);
  if (vendor === 'debian') return { ecosystem: 'Debian', version, lookups, ...releaseOf('Debian', qualifiers['distro'], debianRelease) };
  if (vendor === 'ubuntu') return { ecosystem: 'Ubuntu', version, lookups, ...releaseOf('Ubuntu', qualifiers['distro'], ubuntuRelease) };
  return `unsupported purl type: deb/${purl.namespace ?? ''} (Debian and Ubuntu are scanned)`;
}

/** rpm vendors (purl namespace) with an OSV ecosystem, and how each reads a distro qualifier. */
const RPM_VENDORS: Readonly<Record<string, { ecosystem: string; release: (distro: string) => string | undefined }>> = {
  redhat: { ecosystem: 'Red Hat', release: (d) => numericRelease(d, true) },
  almalinux: { ecosystem: 'AlmaLinux', release: (d) => numericRelease(d, false) },
  rocky: { ecosystem: 'Rocky Linux', release: (d) => numericRelease(d, false) },
  rockylinux: { ecosystem: 'Rocky Linux', release: (d) => numericRelease(d, false) },
  mageia: { ecosystem: 'Mageia', release: (d) => numericRelease(d, false) },
  opensuse: { ecosystem: 'openSUSE', release: openSuseRelease },
  suse: { ecosystem: 'SUSE', release: suseRelease },
  photon: { ecosystem: 'Photon OS', release: (d) => numericRelease(d, true) },
  azurelinux: { ecosystem: 'Azure Linux', release: (d) => numericRelease(d, true) },
  openeuler: { ecosystem: 'openEuler', release: () => undefined },
};

/**
 * rpm: the purl keeps the epoch in a qualifier (purl-spec rpm definition) while OSV writes
 * `epoch:version-release`; `upstream` is the source rpm's file name (`openssl-3.0.7-24.el9.src.rpm`),
 * whose name is what most RPM distributions' advisories use.
 */
function rpmQuery(purl: PackageURL, version: string, qualifiers: Qualifiers): PackageQuery | string {
  const vendor = RPM_VENDORS[purl.namespace?.toLowerCase() ?? ''];
  if (vendor === undefined) return `unsupported purl type: rpm/${purl.namespace ?? ''} (no OSV ecosystem for this vendor)`;
  const epoch = qualifiers['epoch'];
  const evr = epoch !== undefined && epoch !== '' && epoch !== '0' && !/^\d+:/.test(version) ? `${epoch}:${version}` : version;
  const lookups = [{ name: purl.name, version: evr }];
  const source = sourceRpm(qualifiers['upstream']);
  if (source !== undefined) {
    const sourceVersion =
      source.version === undefined
        ? evr
        : epoch !== undefined && epoch !== '' && epoch !== '0'
          ? `${epoch}:${source.version}`
          : source.version;
    if (source.name !== purl.name || sourceVersion !== evr) lookups.push({ name: source.name, version: sourceVersion });
  }
  return { ecosystem: vendor.ecosystem, version: evr, lookups, ...releaseOf(vendor.ecosystem, qualifiers['distro'], vendor.release) };
}

/** `openssl-3.0.7-24.el9.src.rpm` → openssl, 3.0.7-24.el9; a bare name stays a name. */
function sourceRpm(upstream: string | undefined): { name: string; version?: string } | undefined {
  if (upstream === undefined || upstream === '') return undefined;
  const file = /^(.+)-([^-]+)-([^-]+)\.(?:no)?src\.rpm$/.exec(upstream);
  if (file !== null) return { name: file[1]!, version: `${file[2]}-${file[3]}` };
  const at = upstream.indexOf('@');
  return at >= 0 ? { name: upstream.slice(0, at), version: upstream.slice(at + 1) } : { name: upstream };
}

const APK_VENDORS: Readonly<Record<string, string>> = { alpine: 'Alpine', wolfi: 'Wolfi', chainguard: 'Chainguard' };

/** apk: Alpine records are keyed by origin (source) package, which `upstream` carries; releases are branches. */
function apkQuery(purl: PackageURL, version: string, qualifiers: Qualifiers): PackageQuery | string {
  const ecosystem = APK_VENDORS[purl.namespace?.toLowerCase() ?? ''];
  if (ecosystem === undefined) return `unsupported purl type: apk/${purl.namespace ?? ''} (Alpine, Wolfi and Chainguard are scanned)`;
  const lookups = withUpstream(purl.name, version, qualifiers['upstream']);
  // Wolfi and Chainguard are rolling: their records carry no release.
  if (ecosystem !== 'Alpine') return { ecosystem, version, lookups };
  return { ecosystem, version, lookups, ...releaseOf('Alpine', qualifiers['distro'], alpineRelease) };
}
