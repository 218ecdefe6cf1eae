import { PackageURL } from 'packageurl-js';
import { depGroupsOf, installedNpmPackages, resolveNpmDependency, type NpmLockfile, type NpmLockPackage } from '../npm/npm-lockfile.ts';
import { sriToHexDigests } from '../npm/sri-hashes.ts';
import { newComponent, uniqueProperties, type SbomComponent } from './sbom-component.ts';

export interface NpmCatalogOptions {
  /** Where the lockfile was found, for the `packaging-factory:source` property. */
  source: string;
  /**
   * Directory the lockfile's project is installed in (inside a .deb: '/usr/lib/app'). When given
   * with `isInstalled`, a package missing from the tree is marked as not shipped.
   */
  installDir?: string;
  isInstalled?: (installPath: string) => boolean;
  /** Extra properties for the component of one lock entry (e.g. what the cross-check found). */
  annotate?: (pkg: NpmLockPackage) => [string, string][];
}

export interface NpmCatalog {
  components: SbomComponent[];
  /** The root project's component, when the lock names it. */
  root?: SbomComponent;
  /** Refs of the root project's direct dependencies (also when the root is unnamed). */
  directRefs: string[];
}

/** `@scope/name` → ['@scope', 'name']. */
function splitScope(name: string): [string | undefined, string] {
  if (name.startsWith('@')) {
    const slash = name.indexOf('/');
    if (slash > 0) return [name.slice(0, slash), name.slice(slash + 1)];
  }
  return [undefined, name];
}

/** Package URL for an npm package (purl-spec: the scope is the namespace, '@' percent-encoded). */
export function npmPurl(name: string, version: string, vcsUrl?: string): string {
  const [scope, bare] = splitScope(name);
  const qualifiers = vcsUrl === undefined ? undefined : { vcs_url: vcsUrl };
  return new PackageURL('npm', scope, bare, version === '' ? undefined : version, qualifiers, undefined).toString();
}

function refOf(pkg: NpmLockPackage): string {
  const vcs = pkg.commit !== undefined ? pkg.resolved : undefined;
  return npmPurl(pkg.name, pkg.version, vcs);
}

type Scope = NonNullable<SbomComponent['scope']>;
const SCOPE_RANK: Record<Scope, number> = { excluded: 0, optional: 1, required: 2 };

/**
 * The scope of one installed copy. Without knowledge of the tree (a lockfile alone), the lock's
 * groups decide: dev-only packages are not shipped. When the tree is known, what is there is
 * shipped whatever the lock calls it (a dev package left in a .deb runs with it): `optional` when
 * npm marks it dev or optional, `required` otherwise; what is not there is `excluded`.
 */
function scopeOf(groups: readonly string[], installed: boolean | undefined): Scope {
  if (installed === false) return 'excluded';
  if (installed === true) return groups.length === 0 ? 'required' : 'optional';
  return groups.includes('dev') ? 'excluded' : groups.includes('optional') ? 'optional' : 'required';
}

/**
 * Turns a lockfile into components: one per distinct installed package (copies at several paths
 * collapse on the purl; the widest scope of the copies wins), with integrity hashes, declared
 * licenses and the dependency graph.
 */
export function catalogNpmLockfile(lock: NpmLockfile, options: NpmCatalogOptions): NpmCatalog {
  const byPath = new Map(lock.packages.map((p) => [p.path, p]));
  const byRef = new Map<string, SbomComponent>();
  // Refs with at least one production copy, and with at least one copy present in the tree.
  const production = new Set<string>();
  const present = new Set<string>();
  const installPathOf = (pkg: NpmLockPackage): string =>
    options.installDir === undefined ? pkg.path : `${options.installDir.replace(/\/$/, '')}/${pkg.path}`;

  const componentFor = (pkg: NpmLockPackage): SbomComponent => {
    const ref = refOf(pkg);
    let component = byRef.get(ref);
    const groups = depGroupsOf(pkg);
    const installed = options.isInstalled === undefined ? undefined : options.isInstalled(installPathOf(pkg));
    const scope = scopeOf(groups, installed);
    if (component === undefined) {
      const [group, name] = splitScope(pkg.name);
      component = newComponent({ ref, type: 'library', ecosystem: 'npm', name, purl: ref, scope });
      if (group !== undefined) component.group = group;
      if (pkg.version !== '') component.version = pkg.version;
      component.hashes = sriToHexDigests(pkg.integrity);
      component.licenses = [...pkg.licenses];
      if (pkg.resolved !== undefined && /^https?:/.test(pkg.resolved)) {
        component.externalReferences.push({ type: 'distribution', url: pkg.resolved });
      } else if (pkg.commit !== undefined && pkg.resolved !== undefined) {
        component.externalReferences.push({ type: 'vcs', url: pkg.resolved });
      }
      component.properties.push(['packaging-factory:source', options.source]);
      byRef.set(ref, component);
    } else if (SCOPE_RANK[scope] > SCOPE_RANK[component.scope ?? 'required']) {
      // One copy is shipped (or needed) more than another: the package is.
      component.scope = scope;
    }
    if (!groups.includes('dev')) production.add(ref);
    if (installed !== false) present.add(ref);
    // CycloneDX npm property taxonomy (cyclonedx-property-taxonomy, cdx:npm:package:*).
    component.properties.push(['cdx:npm:package:path', installPathOf(pkg)]);
    if (groups.includes('dev')) component.properties.push(['cdx:npm:package:development', 'true']);
    if (pkg.bundled) component.properties.push(['cdx:npm:package:bundled', 'true']);
    if (installed === false) component.properties.push(['packaging-factory:npm:installed', 'false']);
    if (options.annotate !== undefined) component.properties.push(...options.annotate(pkg));
    return component;
  };

  for (const pkg of installedNpmPackages(lock)) {
    const component = componentFor(pkg);
    for (const name of [...pkg.dependencies, ...pkg.optionalDependencies, ...pkg.peerDependencies]) {
      const target = resolveNpmDependency(byPath, pkg.path, name);
      if (target !== undefined && target !== pkg) component.dependsOn.add(refOf(target));
    }
  }

  const directNames = [
    ...lock.root.dependencies,
    ...lock.root.optionalDependencies,
    ...lock.root.devDependencies,
    ...lock.root.peerDependencies,
  ];
  const directRefs = [
    ...new Set(
      directNames.flatMap((name) => {
        const target = resolveNpmDependency(byPath, '', name);
        return target === undefined ? [] : [refOf(target)];
      }),
    ),
  ].sort();

  const result: NpmCatalog = { components: [], directRefs };
  if (lock.root.name !== '') {
    const ref = npmPurl(lock.root.name, lock.root.version);
    const [group, name] = splitScope(lock.root.name);
    const root = newComponent({ ref, type: 'application', ecosystem: 'npm', name, purl: ref, scope: 'required' });
    if (group !== undefined) root.group = group;
    if (lock.root.version !== '') root.version = lock.root.version;
    root.licenses = [...lock.root.licenses];
    root.properties.push(['packaging-factory:source', options.source]);
    if (options.installDir !== undefined) root.properties.push(['cdx:npm:package:path', options.installDir]);
    for (const dep of directRefs) root.dependsOn.add(dep);
    // A root that is also a dependency of itself (rare self-links) would collide: keep the package.
    if (!byRef.has(ref)) {
      result.root = root;
      result.components.push(root);
    }
  }
  for (const component of byRef.values()) {
    // De-duplicate repeated properties from several install paths, keep a stable order.
    component.properties = uniqueProperties(component.properties);
    // A flag true of one copy only is not true of the package.
    component.properties = component.properties.filter(
      ([n]) =>
        !(n === 'cdx:npm:package:development' && production.has(component.ref)) &&
        !(n === 'packaging-factory:npm:installed' && present.has(component.ref)),
    );
    result.components.push(component);
  }
  return result;
}
