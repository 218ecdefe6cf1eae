import { debianEcosystem } from './debian-ecosystem.ts';
import { apkEcosystem } from './ecosystems/alpine-version.ts';
import { cratesEcosystem } from './ecosystems/crates-ecosystem.ts';
import { goEcosystem } from './ecosystems/go-version.ts';
import { mavenEcosystem } from './ecosystems/maven-version.ts';
import { nugetEcosystem } from './ecosystems/nuget-version.ts';
import { pypiEcosystem } from './ecosystems/pypi-version.ts';
import { sameMajorRelease, sameRedHatRelease, sameSuseRelease } from './ecosystems/rpm-release.ts';
import { rpmEcosystem } from './ecosystems/rpm-version.ts';
import { rubygemsEcosystem } from './ecosystems/rubygems-version.ts';
import { sameUbuntuRelease } from './ecosystems/ubuntu-release.ts';
import { npmEcosystem } from './npm-ecosystem.ts';
import type { EcosystemSupport } from './version-comparator.ts';

/**
 * The ecosystems the matcher can order versions for, by OSV base ecosystem name (schema, defined
 * ecosystems). Distributions share their packaging system's order: Ubuntu orders like dpkg, the
 * RPM family like rpmvercmp, Wolfi and Chainguard like apk.
 */
const SUPPORTED: readonly EcosystemSupport[] = [
  npmEcosystem,
  goEcosystem,
  pypiEcosystem,
  mavenEcosystem,
  nugetEcosystem,
  rubygemsEcosystem,
  cratesEcosystem,
  debianEcosystem,
  { ...debianEcosystem, ecosystem: 'Ubuntu', sameRelease: sameUbuntuRelease },
  apkEcosystem('Alpine'),
  apkEcosystem('Wolfi'),
  apkEcosystem('Chainguard'),
  rpmEcosystem('Red Hat', sameRedHatRelease),
  rpmEcosystem('AlmaLinux', sameMajorRelease),
  rpmEcosystem('Rocky Linux', sameMajorRelease),
  rpmEcosystem('Mageia', sameMajorRelease),
  rpmEcosystem('openSUSE'),
  rpmEcosystem('SUSE', sameSuseRelease),
  rpmEcosystem('Photon OS'),
  rpmEcosystem('Azure Linux'),
  rpmEcosystem('openEuler'),
];

const BY_NAME = new Map(SUPPORTED.map((support) => [support.ecosystem, support]));

/** The support for an OSV base ecosystem (`Debian`, not `Debian:12`), or undefined. */
export function ecosystemSupport(base: string): EcosystemSupport | undefined {
  return BY_NAME.get(base);
}

/** The OSV base ecosystems the matcher orders versions for, in a fixed order. */
export function supportedEcosystems(): string[] {
  return SUPPORTED.map((support) => support.ecosystem);
}

/** Whether an advisory entry scoped to `advisory` applies to a component of release `query` in this ecosystem. */
export function releaseApplies(support: EcosystemSupport, advisory: string, query: string): boolean {
  return support.sameRelease === undefined ? advisory === query : support.sameRelease(advisory, query);
}
