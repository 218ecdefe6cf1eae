import type { SriAlgorithm } from '../npm/sri-hashes.ts';

/**
 * The catalogers' neutral model of what an SBOM lists: serializers (CycloneDX now, SPDX later)
 * translate it, so format-specific choices stay in one place each.
 */

/**
 * Where a component comes from: the purl type for packages ('npm', 'pypi', 'deb', 'rpm', 'apk' for
 * Alpine), 'android' (APK), 'windows' (MSI, MSIX/APPX, .intunewin), 'macos' (.pkg), 'file' for files.
 */
export const SBOM_ECOSYSTEMS = ['npm', 'pypi', 'deb', 'rpm', 'apk', 'android', 'windows', 'macos', 'file'] as const;
export type SbomEcosystem = (typeof SBOM_ECOSYSTEMS)[number];

export interface SbomContact {
  name: string;
  email?: string;
}

export interface SbomComponent {
  /** Unique within one SBOM (the purl for packages, a path-based id for files). */
  ref: string;
  type: 'application' | 'library' | 'file';
  ecosystem: SbomEcosystem;
  name: string;
  /** npm scope ('@types'), kept apart from the name as CycloneDX's `group`. */
  group?: string;
  version?: string;
  purl?: string;
  description?: string;
  /** required: shipped and needed; optional: shipped, may be absent; excluded: not shipped (dev only). */
  scope?: 'required' | 'optional' | 'excluded';
  hashes: Map<SriAlgorithm, string>;
  /** SPDX ids, SPDX expressions or free-text names, as declared. */
  licenses: string[];
  supplier?: SbomContact;
  /** Name/value facts, namespaced (`cdx:npm:package:path`, `packaging-factory:deb:Section`). */
  properties: [string, string][];
  externalReferences: { type: 'website' | 'distribution' | 'vcs'; url: string }[];
  /** Components contained in this one (files of a package). */
  children: SbomComponent[];
  /** Refs of components this one depends on directly. */
  dependsOn: Set<string>;
}

export function newComponent(fields: Pick<SbomComponent, 'ref' | 'type' | 'ecosystem' | 'name'> & Partial<SbomComponent>): SbomComponent {
  return {
    hashes: new Map(),
    licenses: [],
    properties: [],
    externalReferences: [],
    children: [],
    dependsOn: new Set(),
    ...fields,
  };
}

/** One input the SBOM was made from. */
export interface SbomSource {
  file: string;
  /** The cataloger kind that read it ('deb', 'npm-lockfile', 'python-wheel', 'rpm'...). */
  kind: string;
  sha256: string;
}

/** Everything catalogued from the inputs, before serialization. */
export interface SbomCatalog {
  components: SbomComponent[];
  sources: SbomSource[];
}

/** Counts components per ecosystem, nested ones included. */
export function countByEcosystem(components: readonly SbomComponent[]): Record<SbomEcosystem, number> {
  const counts = Object.fromEntries(SBOM_ECOSYSTEMS.map((e) => [e, 0])) as Record<SbomEcosystem, number>;
  const visit = (list: readonly SbomComponent[]): void => {
    for (const component of list) {
      counts[component.ecosystem] += 1;
      visit(component.children);
    }
  };
  visit(components);
  return counts;
}

/**
 * Merges catalogues: one component per ref (the first seen wins its fields; dependencies and
 * properties are unioned), so the same npm package found in two lockfiles appears once.
 */
export function mergeComponents(lists: readonly SbomComponent[][]): SbomComponent[] {
  const byRef = new Map<string, SbomComponent>();
  for (const list of lists) {
    for (const component of list) {
      const existing = byRef.get(component.ref);
      if (existing === undefined) {
        byRef.set(component.ref, component);
        continue;
      }
      for (const dep of component.dependsOn) existing.dependsOn.add(dep);
      for (const property of component.properties) {
        if (!existing.properties.some(([n, v]) => n === property[0] && v === property[1])) existing.properties.push(property);
      }
      // A package shipped by one input and only declared by another is shipped.
      if (existing.scope === 'excluded' && component.scope !== 'excluded') {
        if (component.scope === undefined) delete existing.scope;
        else existing.scope = component.scope;
      }
    }
  }
  return [...byRef.values()];
}

/** Order of properties in every SBOM we write: by name, then value (code-unit order, locale-free). */
export function compareProperties([an, av]: readonly [string, string], [bn, bv]: readonly [string, string]): number {
  return an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0;
}

/** Sorts properties in place by name, then value, and returns them (deterministic output). */
export function sortProperties(properties: [string, string][]): [string, string][] {
  return properties.sort(compareProperties);
}

/** Order of components: by ref. */
export function compareRefs(a: Pick<SbomComponent, 'ref'>, b: Pick<SbomComponent, 'ref'>): number {
  return a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0;
}

/** The properties without repeats of the same name and value, first occurrence kept. */
export function uniqueProperties(properties: readonly [string, string][]): [string, string][] {
  const seen = new Set<string>();
  return properties.filter(([name, value]) => {
    const key = `${name}\u0000${value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
