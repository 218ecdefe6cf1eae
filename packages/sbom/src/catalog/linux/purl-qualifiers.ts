import { PackageURL } from 'packageurl-js';
import type { DistroRelease } from '../cataloger.ts';

/** Adds qualifiers to a purl built elsewhere (e.g. `debPurl`), keeping the canonical form (sorted keys). */
export function withQualifiers(purl: string, extra: Record<string, string | undefined>): string {
  const parsed = PackageURL.fromString(purl);
  const qualifiers: Record<string, string> = { ...(parsed.qualifiers ?? {}) };
  for (const [key, value] of Object.entries(extra)) if (value !== undefined && value !== '') qualifiers[key] = value;
  return new PackageURL(
    parsed.type,
    parsed.namespace,
    parsed.name,
    parsed.version,
    Object.keys(qualifiers).length > 0 ? qualifiers : undefined,
    parsed.subpath,
  ).toString();
}

/** The `distro` qualifier value, when the package was found in a root filesystem with an os-release. */
export function distroQualifier(distro: DistroRelease | undefined): Record<string, string | undefined> {
  return { distro: distro?.qualifier };
}

export { sortProperties } from '../sbom-component.ts';
