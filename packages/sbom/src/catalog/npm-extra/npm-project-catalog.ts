import { cleanNpmVersion, parseInstalledNpmManifest, type InstalledNpmPackage } from '../../npm/npm-installed.ts';
import type { NpmLockfile } from '../../npm/npm-lockfile.ts';
import { catalogNpmLockfile, npmPurl } from '../npm-cataloger.ts';
import { catalogInstalledNpmProject, type NpmProjectReport } from '../npm-installed-cataloger.ts';
import { mergeComponents, newComponent, type SbomComponent } from '../sbom-component.ts';
import { manifestObject, npmAuthor, npmDeclaredDependencies, npmExternalReferences } from './npm-manifest-facts.ts';

/**
 * One npm project outside a .deb: a package tarball (its package.json, bundled node_modules and
 * npm-shrinkwrap.json) or a project directory on disk (package.json, node_modules, lockfile).
 * The installed package.json files are the truth for what is there; the lockfile adds integrity,
 * resolved URLs and dev/optional flags, and is cross-checked against the tree
 * (catalogInstalledNpmProject, shared with the .deb cataloger).
 */

export interface NpmProjectParts {
  /** The project directory as paths in properties and the report name it ('package' in a tarball). */
  dir: string;
  /** `packaging-factory:source` of the project's own component. */
  source: string;
  /** `packaging-factory:source` of the packages of its tree. */
  treeSource: string;
  /** The project's package.json text, when it has one. */
  manifest?: { text: string; origin: string };
  /** Installed (or bundled) packages keyed by install path ('node_modules/a/node_modules/b'). */
  installed: ReadonlyMap<string, InstalledNpmPackage>;
  /** Install paths that are links this reader could not follow, with their targets. */
  external: ReadonlyMap<string, string>;
  lock?: { file: string; shown: string; lockfile: NpmLockfile };
  /**
   * True for an installed project: the tree is everything there is, so a locked package missing
   * from it is not shipped. False for a package tarball: its shrinkwrap pins what npm will install
   * beside the bundled packages, so those are dependencies of the package all the same.
   */
  treeIsComplete: boolean;
  /** sha256 of the file the project is (a tarball). */
  sha256?: string;
}

export interface NpmProjectCatalog {
  components: SbomComponent[];
  /** The project's own component, when its package.json names it. */
  root?: SbomComponent;
  notes: string[];
  /** The tree-versus-lockfile cross-check, when there was a tree. */
  report?: NpmProjectReport;
}

function describeMismatches(report: NpmProjectReport, lockShown: string): string[] {
  const notes: string[] = [];
  for (const m of report.mismatches) {
    notes.push(`${m.path} is ${m.installedName}@${m.installedVersion} but ${lockShown} locks ${m.lockedName}@${m.lockedVersion}`);
  }
  if (report.notInLockfile.length > 0) {
    notes.push(
      `${report.notInLockfile.length} installed package(s) under ${report.dir} have no entry in ${lockShown}: ${report.notInLockfile.map((p) => `${p.name}@${p.version}`).join(', ')}`,
    );
  }
  return notes;
}

function rootComponent(parts: NpmProjectParts): SbomComponent | undefined {
  if (parts.manifest === undefined) return undefined;
  const own = parseInstalledNpmManifest(parts.manifest.text, parts.dir, `${parts.dir}/package.json`, parts.manifest.origin);
  const fields = manifestObject(parts.manifest.text);
  // A project without a declared name is an application under development, not a package: no purl to give it.
  if (typeof fields['name'] !== 'string' || fields['name'].trim() === '') return undefined;
  const ref = npmPurl(own.name, own.version);
  const [group, name] =
    own.name.startsWith('@') && own.name.includes('/')
      ? [own.name.slice(0, own.name.indexOf('/')), own.name.slice(own.name.indexOf('/') + 1)]
      : [undefined, own.name];
  // Judgement, as for .debs: a package that installs programs (`bin`) is an application.
  const type = fields['bin'] !== undefined ? 'application' : 'library';
  const root = newComponent({ ref, type, ecosystem: 'npm', name, purl: ref, scope: 'required' });
  if (group !== undefined) root.group = group;
  if (own.version !== '') root.version = cleanNpmVersion(own.version);
  root.licenses = [...own.licenses];
  const supplier = npmAuthor(fields);
  if (supplier !== undefined) root.supplier = supplier;
  if (typeof fields['description'] === 'string' && fields['description'].trim() !== '') root.description = fields['description'].trim();
  root.externalReferences = npmExternalReferences(fields);
  if (parts.sha256 !== undefined) root.hashes.set('SHA-256', parts.sha256);
  root.properties.push(['packaging-factory:source', parts.source]);
  return root;
}

/** Catalogues one project: its own component, the tree's packages and the lockfile's. */
export function catalogNpmProject(parts: NpmProjectParts): NpmProjectCatalog {
  const notes: string[] = [];
  const root = rootComponent(parts);
  const lists: SbomComponent[][] = [];
  let report: NpmProjectReport | undefined;
  const refAtPath = new Map<string, string>();
  // Refs the lockfile gives the project itself (its root entry): the package.json's facts stand for it.
  const lockRootRefs = new Set<string>();

  // An installed project with a lock is cross-checked even when its tree is empty (nothing installed is a finding too).
  if (parts.installed.size > 0 || parts.external.size > 0 || (parts.treeIsComplete && parts.lock !== undefined)) {
    const tree = catalogInstalledNpmProject({
      dir: parts.dir,
      installed: parts.installed,
      external: parts.external,
      source: parts.treeSource,
      ...(parts.lock === undefined ? {} : { lock: { file: parts.lock.shown, lockfile: parts.lock.lockfile } }),
    });
    report = tree.report;
    if (tree.root !== undefined) lockRootRefs.add(tree.root.ref);
    if (parts.lock !== undefined) notes.push(...describeMismatches(tree.report, parts.lock.shown));
    // In a tarball, the tree is what is bundled; what the shrinkwrap adds comes from the lock below.
    lists.push(parts.treeIsComplete ? tree.components : tree.components.filter((c) => c.scope !== 'excluded'));
    for (const [installPath, pkg] of parts.installed) refAtPath.set(installPath, npmPurl(pkg.name, pkg.version));
  }
  if (parts.lock !== undefined) {
    if (!parts.treeIsComplete) {
      const locked = catalogNpmLockfile(parts.lock.lockfile, { source: parts.lock.shown });
      if (locked.root !== undefined) lockRootRefs.add(locked.root.ref);
      lists.push(locked.components);
    }
    for (const pkg of parts.lock.lockfile.packages) {
      if (!refAtPath.has(pkg.path) && pkg.link === undefined) refAtPath.set(pkg.path, npmPurl(pkg.name, pkg.version));
    }
  }

  let components = mergeComponents(lists);
  if (root !== undefined) {
    lockRootRefs.add(root.ref);
    for (const component of components.filter((c) => lockRootRefs.has(c.ref))) {
      for (const dep of component.dependsOn) if (dep !== root.ref) root.dependsOn.add(dep);
    }
    components = components.filter((c) => !lockRootRefs.has(c.ref));
    const fields = manifestObject(parts.manifest?.text ?? '{}');
    for (const { kind, name, range } of npmDeclaredDependencies(fields)) {
      const ref = refAtPath.get(`node_modules/${name}`);
      if (ref !== undefined && ref !== root.ref) root.dependsOn.add(ref);
      // Neither bundled nor locked: npm resolves it at install time, so only the declaration is known.
      else if (ref === undefined) root.properties.push(['packaging-factory:npm:declared-dependency', `${name}@${range} (${kind})`]);
    }
    components.push(root);
  }
  for (const component of components) {
    component.properties.sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : av > bv ? 1 : 0) : a < b ? -1 : 1));
  }
  components.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  const result: NpmProjectCatalog = { components, notes };
  if (root !== undefined) result.root = root;
  if (report !== undefined) result.report = report;
  return result;
}
