/**
 * OSV ecosystem strings: a base name with an optional `:<suffix>` (OSV schema, "affected[].package"
 * and the defined-ecosystems table), e.g. `npm`, `Debian:12`, `Alpine:v3.18`. Only the first colon
 * separates: the rest is the release (Root and FreeBSD use further colons inside it).
 */
export interface EcosystemName {
  /** The ecosystem as written, e.g. `Debian:12`. */
  full: string;
  /** The base ecosystem, e.g. `Debian`. */
  base: string;
  /** The release after the first colon, e.g. `12`; undefined when there is none. */
  release: string | undefined;
}

export function parseEcosystem(ecosystem: string): EcosystemName {
  const colon = ecosystem.indexOf(':');
  if (colon < 0) return { full: ecosystem, base: ecosystem, release: undefined };
  const release = ecosystem.slice(colon + 1);
  return { full: ecosystem, base: ecosystem.slice(0, colon), release: release === '' ? undefined : release };
}
