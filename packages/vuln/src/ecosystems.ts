import { debianEcosystem } from './debian-ecosystem.ts';
import { npmEcosystem } from './npm-ecosystem.ts';
import type { EcosystemSupport } from './version-comparator.ts';

/** The ecosystems the matcher can order versions for, by OSV base ecosystem name. */
const SUPPORTED: readonly EcosystemSupport[] = [npmEcosystem, debianEcosystem];

const BY_NAME = new Map(SUPPORTED.map((support) => [support.ecosystem, support]));

/** The support for an OSV base ecosystem (`Debian`, not `Debian:12`), or undefined. */
export function ecosystemSupport(base: string): EcosystemSupport | undefined {
  return BY_NAME.get(base);
}

export function supportedEcosystems(): string[] {
  return SUPPORTED.map((support) => support.ecosystem);
}
