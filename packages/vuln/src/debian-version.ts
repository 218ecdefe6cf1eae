/**
 * Debian version ordering, as dpkg implements it (lib/dpkg/version.c: parseversion, verrevcmp,
 * dpkg_version_compare) and as Debian Policy §5.6.12 describes it:
 * `[epoch:]upstream_version[-debian_revision]`, compared epoch first (numerically), then upstream,
 * then revision, each part alternating non-digit runs (compared character by character with
 * `~` before everything, even the end of the string, and letters before non-letters) and digit runs
 * (compared numerically).
 */

export interface DebianVersion {
  epoch: string;
  upstream: string;
  revision: string;
}

/** Thrown for a string dpkg would refuse as a version. */
export class DebianVersionError extends Error {
  override readonly name = 'DebianVersionError';
}

/**
 * Splits a version into epoch, upstream and revision. The epoch ends at the first `:`, the revision
 * starts after the last `-` (dpkg's parseversion); a missing epoch is 0 and a missing revision is empty.
 */
export function parseDebianVersion(version: string): DebianVersion {
  const text = version.trim();
  if (text === '') throw new DebianVersionError('empty version string');
  if (/\s/.test(text)) throw new DebianVersionError(`version '${version}' contains embedded spaces`);
  let epoch = '0';
  let rest = text;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    epoch = text.slice(0, colon);
    rest = text.slice(colon + 1);
    if (!/^\d+$/.test(epoch)) throw new DebianVersionError(`epoch in '${version}' is not a number`);
  }
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : '';
  if (upstream === '') throw new DebianVersionError(`'${version}' has an empty upstream version`);
  if (hyphen >= 0 && revision === '') throw new DebianVersionError(`'${version}' has an empty revision`);
  // dpkg accepts these characters only (parseversion's checks for upstream and revision).
  if (!/^[A-Za-z0-9.+~:-]+$/.test(upstream)) throw new DebianVersionError(`'${version}' has an invalid character in its upstream version`);
  if (!/^[A-Za-z0-9.+~]*$/.test(revision)) throw new DebianVersionError(`'${version}' has an invalid character in its revision`);
  return { epoch, upstream, revision };
}

/** True when dpkg would accept the string as a version. */
export function isDebianVersion(version: string): boolean {
  try {
    parseDebianVersion(version);
    return true;
  } catch {
    return false;
  }
}

/** dpkg's `order`: digits 0, letters their code, `~` -1, other characters code + 256; the end is 0. */
function order(text: string, index: number): number {
  if (index >= text.length) return 0;
  const c = text.charCodeAt(index);
  if (isDigit(c)) return 0;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return c;
  if (c === 126) return -1;
  return c + 256;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function digitAt(text: string, index: number): boolean {
  return index < text.length && isDigit(text.charCodeAt(index));
}

/** dpkg's verrevcmp on one part (upstream or revision): negative, zero or positive. */
export function compareVersionPart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !digitAt(a, i)) || (j < b.length && !digitAt(b, j))) {
      const ac = order(a, i);
      const bc = order(b, j);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    while (digitAt(a, i) && digitAt(b, j)) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (digitAt(a, i)) return 1;
    if (digitAt(b, j)) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Compares two digit strings as unbounded integers (epochs may exceed 2^53 in theory). */
function compareNumeric(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Compares two Debian versions like `dpkg --compare-versions`: -1, 0 or 1. Throws DebianVersionError. */
export function compareDebianVersions(a: string, b: string): number {
  const x = parseDebianVersion(a);
  const y = parseDebianVersion(b);
  const result =
    compareNumeric(x.epoch, y.epoch) || compareVersionPart(x.upstream, y.upstream) || compareVersionPart(x.revision, y.revision);
  return Math.sign(result);
}
