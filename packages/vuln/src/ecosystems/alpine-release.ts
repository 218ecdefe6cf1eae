/**
 * The OSV release for an apk purl's `distro` qualifier: OSV scopes every Alpine record to a release
 * branch written `v<MAJOR>.<MINOR>` (schema, defined ecosystems, "Alpine"); SBOM tools write the
 * qualifier as `alpine-3.18`, `alpine-3.18.4` (the /etc/alpine-release point release), `3.18` or
 * `v3.18`. Undefined for anything else (`edge` has no OSV release).
 */
export function alpineRelease(distro: string): string | undefined {
  const m = /^(?:alpine[-_ ]?)?v?(\d+)\.(\d+)(?:\.\d+)*$/i.exec(distro.trim());
  return m === null ? undefined : `v${Number(m[1])}.${Number(m[2])}`;
}
