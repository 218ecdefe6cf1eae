/**
 * Debian releases as OSV names them in `Debian:<RELEASE>`: the `version` column of distro-info-data's
 * debian.csv, or the `series` for releases without a number (`sid`). Keyed by series (codename).
 */
const RELEASES: Readonly<Record<string, string>> = {
  buzz: '1.1',
  rex: '1.2',
  bo: '1.3',
  hamm: '2.0',
  slink: '2.1',
  potato: '2.2',
  woody: '3.0',
  sarge: '3.1',
  etch: '4.0',
  lenny: '5.0',
  squeeze: '6.0',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
  sid: 'sid',
  unstable: 'sid',
};

const NUMBERED = new Set(Object.values(RELEASES));

/**
 * The OSV release for a purl `distro` qualifier: `debian-12`, `debian-12.5` (a point release of 12),
 * `12`, `bookworm`, `debian-bookworm`. Undefined when the value names no Debian release we know.
 */
export function debianRelease(distro: string): string | undefined {
  const value = distro
    .trim()
    .toLowerCase()
    .replace(/^debian[-_ ]?/, '');
  if (value === '') return undefined;
  const byName = RELEASES[value];
  if (byName !== undefined) return byName;
  const numeric = /^(\d+)(?:\.(\d+))?(?:\.\d+)*$/.exec(value);
  if (numeric === null) return undefined;
  const major = Number(numeric[1]);
  // From 7 on, point releases share the major number (12.5 is bookworm), and releases newer than this
  // table are still numbered that way; before 7, 3.0 and 3.1 were different releases.
  if (major >= 7) return String(major);
  const candidate = `${major}.${numeric[2] ?? '0'}`;
  return NUMBERED.has(candidate) ? candidate : undefined;
}
