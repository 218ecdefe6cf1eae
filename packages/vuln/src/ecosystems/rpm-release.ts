/**
 * Releases of the RPM-based distributions OSV covers, from a purl's `distro` qualifier, and how an
 * advisory's ecosystem suffix is matched against them (OSV schema, defined ecosystems).
 */

/** `rhel-9.2`, `redhat-9`, `el9`, `9.2` → `9.2` / `9`: the release number, minor kept when given. */
export function numericRelease(distro: string, keepMinor: boolean): string | undefined {
  const m = /(?:^|[^0-9.])(\d+)(?:\.(\d+))?(?:\.\d+)*$/.exec(distro.trim());
  if (m === null) return undefined;
  return keepMinor && m[2] !== undefined ? `${m[1]}.${m[2]}` : m[1];
}

/**
 * Red Hat scopes records by a CPE with `cpe:/[oa]:redhat:` removed (`enterprise_linux:9::appstream`,
 * `rhel_eus:9.2::baseos`). RHEL itself is the `enterprise_linux` product and its extended-support
 * streams (`rhel_eus`, `rhel_aus`, `rhel_e4s`, `rhel_tus`...); other products (OpenShift, Software
 * Collections...) are separate repositories a RHEL system does not have just by its release. A
 * stream pinned to a minor release applies only to that minor release when the system names one.
 */
export function sameRedHatRelease(advisory: string, query: string): boolean {
  const [product = '', version = ''] = advisory.split(':');
  if (product !== 'enterprise_linux' && !product.startsWith('rhel')) return false;
  const [advisoryMajor, advisoryMinor] = version.split('.');
  const [queryMajor, queryMinor] = query.split('.');
  if (advisoryMajor !== queryMajor) return false;
  return advisoryMinor === undefined || queryMinor === undefined || advisoryMinor === queryMinor;
}

/** AlmaLinux, Rocky Linux, Mageia: `AlmaLinux:9` — the major release only. */
export function sameMajorRelease(advisory: string, query: string): boolean {
  return advisory.split('.')[0] === query.split('.')[0];
}

/**
 * openSUSE names releases by their PRETTY_NAME (`Leap 15.5`, `Tumbleweed`, `Leap Micro 5.5`); purls
 * write `opensuse-leap-15.5`, `opensuse-tumbleweed`, `leap-15.5`.
 */
export function openSuseRelease(distro: string): string | undefined {
  const value = distro
    .trim()
    .toLowerCase()
    .replace(/^opensuse[-_ ]?/, '');
  if (value === 'tumbleweed') return 'Tumbleweed';
  const micro = /^leap[-_ ]?micro[-_ ]?(\d+\.\d+)$/.exec(value);
  if (micro !== null) return `Leap Micro ${micro[1]}`;
  const leap = /^(?:leap[-_ ]?)?(\d+\.\d+)$/.exec(value);
  return leap === null ? undefined : `Leap ${leap[1]}`;
}

/** SUSE: `sles-15.5`, `sles-15-sp5`, `sles_sap-15.5` → `15 SP5`, matched against `Linux Enterprise Server 15 SP5`. */
export function suseRelease(distro: string): string | undefined {
  const m = /(\d+)(?:[.-](?:sp)?(\d+))?$/i.exec(distro.trim());
  if (m === null) return undefined;
  return m[2] === undefined || m[2] === '0' ? m[1] : `${m[1]} SP${m[2]}`;
}

export function sameSuseRelease(advisory: string, query: string): boolean {
  return advisory === query || advisory.endsWith(` ${query}`);
}
