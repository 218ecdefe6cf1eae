/**
 * Ubuntu releases as OSV names them in `Ubuntu:<RELEASE>`: the `YY.MM` version with a mandatory
 * `:LTS` for long-term releases, optionally behind `Pro:` for Ubuntu Pro/ESM fixes (OSV schema,
 * defined ecosystems, "Ubuntu"). Series (codenames) from distro-info-data's ubuntu.csv.
 */
const SERIES: Readonly<Record<string, string>> = {
  warty: '4.10',
  hoary: '5.04',
  breezy: '5.10',
  dapper: '6.06',
  edgy: '6.10',
  feisty: '7.04',
  gutsy: '7.10',
  hardy: '8.04',
  intrepid: '8.10',
  jaunty: '9.04',
  karmic: '9.10',
  lucid: '10.04',
  maverick: '10.10',
  natty: '11.04',
  oneiric: '11.10',
  precise: '12.04',
  quantal: '12.10',
  raring: '13.04',
  saucy: '13.10',
  trusty: '14.04',
  utopic: '14.10',
  vivid: '15.04',
  wily: '15.10',
  xenial: '16.04',
  yakkety: '16.10',
  zesty: '17.04',
  artful: '17.10',
  bionic: '18.04',
  cosmic: '18.10',
  disco: '19.04',
  eoan: '19.10',
  focal: '20.04',
  groovy: '20.10',
  hirsute: '21.04',
  impish: '21.10',
  jammy: '22.04',
  kinetic: '22.10',
  lunar: '23.04',
  mantic: '23.10',
  noble: '24.04',
  oracular: '24.10',
  plucky: '25.04',
  questing: '25.10',
  resolute: '26.04',
};

/** LTS releases: 6.06, then every April of an even year from 8.04 on. */
function isLts(version: string): boolean {
  if (version === '6.06') return true;
  const m = /^(\d+)\.04$/.exec(version);
  return m !== null && Number(m[1]) >= 8 && Number(m[1]) % 2 === 0;
}

/**
 * The OSV release for a purl `distro` qualifier: `ubuntu-22.04`, `22.04`, `jammy`, `ubuntu-jammy`,
 * `ubuntu-22.04.3` (a point release) → `22.04:LTS`. Undefined when it names no Ubuntu release.
 */
export function ubuntuRelease(distro: string): string | undefined {
  const value = distro
    .trim()
    .toLowerCase()
    .replace(/^ubuntu[-_ ]?/, '');
  const version = SERIES[value] ?? /^(\d{1,2}\.(?:04|06|10))(?:\.\d+)*$/.exec(value)?.[1];
  if (version === undefined) return undefined;
  return isLts(version) ? `${version}:LTS` : version;
}

/**
 * Whether an advisory scoped to `advisory` (`22.04:LTS`, `Pro:18.04:LTS`, `Pro:FIPS:22.04:LTS`) applies to
 * a system of release `query`. Pro/ESM advisories count: without Pro the system does not get their
 * fixes, so their affected versions are still affected on it.
 */
export function sameUbuntuRelease(advisory: string, query: string): boolean {
  const version = (release: string): string | undefined => /(?:^|:)(\d{1,2}\.\d{2})(?::|$)/.exec(release)?.[1];
  const a = version(advisory);
  return a !== undefined && a === version(query);
}
