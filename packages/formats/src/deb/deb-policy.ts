/**
 * Syntax checks for the control fields we write, per Debian Policy chapter 5. Each returns the
 * problem in words, or undefined when the value is acceptable, so the caller can name its input.
 */

/** Policy §5.6.1 (Source) / §5.6.7 (Package). */
export const DEB_PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

export function debPackageNameProblem(name: string): string | undefined {
  if (DEB_PACKAGE_NAME.test(name)) return undefined;
  return `'${name}' is not a valid Debian package name: use at least two characters from a-z, 0-9, '+', '-', '.', starting with a letter or digit (Debian Policy §5.6.7)`;
}

export interface DebVersionParts {
  epoch: number;
  upstream: string;
  revision?: string;
}

/** Splits `[epoch:]upstream_version[-debian_revision]` (Policy §5.6.12); undefined when malformed. */
export function parseDebVersion(version: string): DebVersionParts | undefined {
  let rest = version;
  let epoch = 0;
  const colon = rest.indexOf(':');
  if (colon !== -1) {
    const epochText = rest.slice(0, colon);
    if (!/^\d+$/.test(epochText)) return undefined;
    epoch = Number(epochText);
    rest = rest.slice(colon + 1);
  }
  let revision: string | undefined;
  const hyphen = rest.lastIndexOf('-');
  if (hyphen !== -1) {
    revision = rest.slice(hyphen + 1);
    rest = rest.slice(0, hyphen);
    // The revision may only hold alphanumerics and '+', '.', '~'.
    if (!/^[A-Za-z0-9+.~]+$/.test(revision)) return undefined;
  }
  // The upstream part starts with a digit; '-' is allowed only when there is a revision, ':'
  // only when there is an epoch.
  const allowed = `A-Za-z0-9.+~${revision !== undefined ? '\\-' : ''}${colon !== -1 ? ':' : ''}`;
  if (!new RegExp(`^[0-9][${allowed}]*$`).test(rest)) return undefined;
  const parts: DebVersionParts = { epoch, upstream: rest };
  if (revision !== undefined) parts.revision = revision;
  return parts;
}

export function debVersionProblem(version: string): string | undefined {
  if (parseDebVersion(version) !== undefined) return undefined;
  return `'${version}' is not a valid Debian version: expected [epoch:]upstream_version[-debian_revision], the upstream part starting with a digit (Debian Policy §5.6.12)`;
}

/** The version as it appears in a .deb file name: dpkg-deb and dpkg-name drop the epoch. */
export function debVersionForFileName(version: string): string {
  const colon = version.indexOf(':');
  return colon === -1 ? version : version.slice(colon + 1);
}

// Policy §5.6.8: a binary package names one Debian architecture, or 'all' for
// architecture-independent packages. Wildcards ('any', 'linux-any') are for source packages only.
const ARCHITECTURE = /^[a-z0-9][a-z0-9-]*$/;

export function debArchitectureProblem(architecture: string): string | undefined {
  if (architecture === 'any' || architecture.endsWith('-any') || architecture.startsWith('any-')) {
    return `'${architecture}' is a wildcard: a binary package needs 'all' or one architecture such as amd64 or arm64 (Debian Policy §5.6.8)`;
  }
  if (ARCHITECTURE.test(architecture)) return undefined;
  return `'${architecture}' is not a valid Debian architecture: use 'all' or a name such as amd64, arm64, armhf, i386 (Debian Policy §5.6.8)`;
}

// Policy §5.6.2: "name <email>"; the name must be quoted if it holds a comma, which we reject
// outright to keep the field unambiguous for every tool that reads it.
const MAINTAINER = /^[^<>,\n]*[^<>,\s][^<>,\n]* <[^<>@\s]+@[^<>@\s]+>$/;

export function debMaintainerProblem(maintainer: string): string | undefined {
  if (MAINTAINER.test(maintainer)) return undefined;
  return `'${maintainer}' is not a valid maintainer: expected 'Full Name <email@example.org>' without commas (Debian Policy §5.6.2)`;
}

/** Policy §5.6.4: sections are lower-case words, optionally prefixed with an area (`contrib/net`). */
export function debSectionProblem(section: string): string | undefined {
  if (/^(?:[a-z0-9-]+\/)?[a-z0-9][a-z0-9+.-]*$/.test(section)) return undefined;
  return `'${section}' is not a valid section: use a lower-case name such as misc, utils, net, or area/section (Debian Policy §5.6.4)`;
}

/** Policy §2.5. 'extra' is deprecated but still understood by dpkg. */
export const DEB_PRIORITIES = ['required', 'important', 'standard', 'optional', 'extra'] as const;

export function debPriorityProblem(priority: string): string | undefined {
  if ((DEB_PRIORITIES as readonly string[]).includes(priority)) return undefined;
  return `'${priority}' is not a Debian priority: use one of ${DEB_PRIORITIES.join(', ')} (Debian Policy §2.5)`;
}
