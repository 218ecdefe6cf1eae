import path from 'node:path';
import { PackageURL } from 'packageurl-js';
import { digestFile, type ExecRunner } from '@packaging-factory/core';
import {
  debCopyrightLicenses,
  formatDebRelations,
  readDebControl,
  scanDebData,
  type DebControl,
  type DebFileEntry,
  type DebRelationGroup,
} from '@packaging-factory/formats';
import { isIdnEmail } from '../cyclonedx/idn-email.ts';
import { isInstalledNpmManifest, npmInstallLocation, type InstalledNpmPackage } from '../npm/npm-installed.ts';
import { parseNpmLockfile } from '../npm/npm-lockfile.ts';
import { readDebNpmTree } from './deb-npm-tree.ts';
import { catalogInstalledNpmProject, type NpmProjectInput, type NpmProjectReport } from './npm-installed-cataloger.ts';
import { newComponent, type SbomComponent, type SbomContact } from './sbom-component.ts';

export interface DebCatalog {
  /** The package and the npm packages it ships; the package's files are its children. */
  components: SbomComponent[];
  /** The package component (also in `components`). */
  package: SbomComponent;
  /** Its Depends/Pre-Depends, still by name: `linkDebDependencies` turns them into refs. */
  declared: DebRelationGroup[];
  control: DebControl;
  /** The npm lockfiles used (inside the package, sorted). */
  lockfiles: string[];
  /** One report per shipped npm project: installed packages cross-checked against the lockfile. */
  npmProjects: NpmProjectReport[];
  /** node_modules package directories without a package.json (nothing to identify them by). */
  npmUnidentified: string[];
}

const LOCKFILE_NAMES = new Set(['package-lock.json', 'npm-shrinkwrap.json']);

/**
 * The purl namespace: the vendor. dpkg's Origin field (and a non-standard Vendor field some
 * builders write) names it; packages without one are Debian's by convention (purl-spec deb type).
 */
export function debVendor(control: DebControl): string {
  const declared = control.fields['Origin'] ?? control.fields['Vendor'] ?? control.fields['origin'] ?? control.fields['vendor'];
  const cleaned = declared
    ?.trim()
    .toLowerCase()
    .replace(/[^a-z0-9.-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return cleaned !== undefined && cleaned !== '' ? cleaned : 'debian';
}

/**
 * pkg:deb/<vendor>/<name>@<version>?arch=<arch> (purl-spec deb type; the epoch stays in the
 * version). When the binary package comes from a differently named or versioned source package,
 * the `upstream` qualifier says so (`name` or `name@version`, as syft writes it): Debian advisories
 * are keyed by source package, and the scanner looks that name up too.
 */
export function debPurl(vendor: string, name: string, version?: string, arch?: string, source?: { name: string; version: string }): string {
  const qualifiers: Record<string, string> = {};
  if (arch !== undefined) qualifiers['arch'] = arch;
  if (source !== undefined && (source.name !== name || source.version !== version)) {
    qualifiers['upstream'] = source.version !== version ? `${source.name}@${source.version}` : source.name;
  }
  return new PackageURL('deb', vendor, name, version, Object.keys(qualifiers).length > 0 ? qualifiers : undefined, undefined).toString();
}

/**
 * 'Name <email>' → contact; anything else → the name alone. The address is kept only when it passes
 * the CycloneDX schema's idn-email check: Debian allows any RFC 5322 address in Maintainer, and
 * one like 'a@localhost' would make the whole SBOM invalid. The raw field stays in the
 * `packaging-factory:deb:Maintainer` property.
 */
export function parseContact(text: string): SbomContact {
  const match = /^(.*?)\s*<([^<>]+)>\s*$/.exec(text.trim());
  if (match === null) return { name: text.trim() };
  const address = (match[2] ?? '').trim();
  const name = (match[1] ?? '').trim().replace(/^"(.*)"$/, '$1');
  const contact: SbomContact = { name: name === '' ? address : name };
  if (isIdnEmail(address)) contact.email = address;
  return contact;
}

// Judgement: a package that installs programs on PATH is an application; otherwise a package in
// a library section, or named lib*, is a library; everything else an application.
const PROGRAM_DIRS = /^\/(usr\/)?(s?bin|games)\//;

export function debComponentType(control: DebControl, files: readonly DebFileEntry[]): 'application' | 'library' {
  if (files.some((f) => f.type !== 'directory' && PROGRAM_DIRS.test(f.path))) return 'application';
  const section = control.section?.split('/').pop() ?? '';
  if (['libs', 'libdevel', 'oldlibs'].includes(section) || control.package.startsWith('lib')) return 'library';
  return 'application';
}

function fileComponent(pkg: DebControl, file: DebFileEntry): SbomComponent {
  const component = newComponent({
    ref: `file:${pkg.package}_${pkg.version}_${pkg.architecture}:${file.path}`,
    type: 'file',
    ecosystem: 'file',
    name: file.path,
  });
  if (file.sha256 !== undefined) component.hashes.set('SHA-256', file.sha256);
  component.properties.push(
    ['packaging-factory:file:mode', `0${file.mode.toString(8)}`],
    ['packaging-factory:file:size', String(file.size)],
  );
  if (file.type !== 'file') component.properties.push(['packaging-factory:file:type', file.type]);
  if (file.linkTarget !== undefined) component.properties.push(['packaging-factory:file:link-target', file.linkTarget]);
  return component;
}

/** A lockfile npm reads: outside node_modules (a package's own lockfile there is ignored by npm). */
function isProjectLockfile(installedPath: string): boolean {
  return LOCKFILE_NAMES.has(path.posix.basename(installedPath)) && !installedPath.includes('/node_modules/');
}

function isWithin(dir: string, p: string): boolean {
  return dir === '/' ? p.startsWith('/') : p.startsWith(`${dir}/`);
}

function relativeTo(dir: string, p: string): string {
  return dir === '/' ? p.slice(1) : p.slice(dir.length + 1);
}

interface ProjectParts {
  installed: Map<string, InstalledNpmPackage>;
  external: Map<string, string>;
}

/**
 * Groups installed package directories by project: the nearest directory above holding a lockfile
 * (its entries are keyed relative to it, workspaces included), else the directory holding the
 * first node_modules.
 */
function groupByProject(
  lockDirs: readonly string[],
  installed: ReadonlyMap<string, InstalledNpmPackage>,
  external: ReadonlyMap<string, string>,
): Map<string, ProjectParts> {
  const projects = new Map<string, ProjectParts>();
  const partsFor = (dir: string): ProjectParts => {
    let parts = projects.get(dir);
    if (parts === undefined) {
      parts = { installed: new Map(), external: new Map() };
      projects.set(dir, parts);
    }
    return parts;
  };
  for (const dir of lockDirs) partsFor(dir);
  const projectOf = (packageDir: string): string => {
    const locked = lockDirs.filter((d) => isWithin(d, packageDir)).sort((a, b) => b.length - a.length)[0];
    return locked ?? npmInstallLocation(packageDir)?.project ?? path.posix.dirname(packageDir);
  };
  for (const [dir, pkg] of installed) {
    const project = projectOf(dir);
    partsFor(project).installed.set(relativeTo(project, dir), pkg);
  }
  for (const [dir, target] of external) {
    const project = projectOf(dir);
    partsFor(project).external.set(relativeTo(project, dir), target);
  }
  return projects;
}

/**
 * Catalogues a .deb: the package, its files (with sha256) and the npm packages it ships. Those come
 * from the installed package.json files (what Node loads); a lockfile beside them adds integrity,
 * provenance and the root project, and is cross-checked: the reports say where they disagree.
 */
export async function catalogDeb(file: string, exec: ExecRunner, displayName = path.basename(file)): Promise<DebCatalog> {
  const control = await readDebControl(file, exec);
  // Debian policy §12.5: the copyright file lives at /usr/share/doc/<package>/copyright; when it
  // is machine-readable (DEP-5) its License: fields are the package's declared licenses.
  const copyrightPath = `/usr/share/doc/${control.package}/copyright`;
  const scan = await scanDebData(file, exec, (p) => p === copyrightPath || isProjectLockfile(p) || isInstalledNpmManifest(p));
  const vendor = debVendor(control);
  const purl = debPurl(vendor, control.package, control.version, control.architecture, control.source);
  const pkg = newComponent({
    ref: purl,
    type: debComponentType(control, scan.files),
    ecosystem: 'deb',
    name: control.package,
    version: control.version,
    purl,
    scope: 'required',
  });
  pkg.hashes.set('SHA-256', await digestFile(file));
  const copyright = scan.captured.get(copyrightPath);
  if (copyright !== undefined) pkg.licenses.push(...debCopyrightLicenses(copyright.toString('utf8')));
  if (control.description !== undefined) pkg.description = control.description.synopsis;
  if (control.maintainer !== undefined) pkg.supplier = parseContact(control.maintainer);
  if (control.homepage !== undefined && /^https?:\/\//.test(control.homepage))
    pkg.externalReferences.push({ type: 'website', url: control.homepage });
  pkg.properties.push(['packaging-factory:source', displayName]);
  for (const [name, value] of Object.entries(control.fields)) {
    if (name === 'Description') continue;
    pkg.properties.push([`packaging-factory:deb:${name}`, value.replace(/\n/g, ' ').trim()]);
  }
  pkg.properties.push(
    ['packaging-factory:deb:source-name', control.source.name],
    ['packaging-factory:deb:source-version', control.source.version],
  );
  pkg.children = scan.files.filter((f) => f.type !== 'directory').map((f) => fileComponent(control, f));

  const components: SbomComponent[] = [pkg];
  // npm reads npm-shrinkwrap.json in preference to package-lock.json when a project has both
  // (docs.npmjs.com, npm-shrinkwrap.json): the shrinkwrap is the one to check against.
  const lockByDir = new Map<string, string>();
  for (const lockPath of [...scan.captured.keys()].filter(isProjectLockfile).sort()) {
    const dir = path.posix.dirname(lockPath);
    if (!lockByDir.has(dir) || path.posix.basename(lockPath) === 'npm-shrinkwrap.json') lockByDir.set(dir, lockPath);
  }
  const tree = await readDebNpmTree(file, exec, scan, displayName);
  const projects = groupByProject([...lockByDir.keys()], tree.installed, tree.external);
  const npmProjects: NpmProjectReport[] = [];
  for (const [dir, parts] of [...projects].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const lockPath = lockByDir.get(dir);
    const input: NpmProjectInput = {
      dir,
      installed: parts.installed,
      external: parts.external,
      source: `${displayName}:${lockPath ?? `${dir === '/' ? '' : dir}/node_modules`}`,
    };
    if (lockPath !== undefined) {
      const text = (scan.captured.get(lockPath) ?? Buffer.alloc(0)).toString('utf8');
      input.lock = { file: lockPath, lockfile: parseNpmLockfile(text, `${file}:${lockPath}`) };
    }
    const npm = catalogInstalledNpmProject(input);
    components.push(...npm.components);
    npmProjects.push(npm.report);
    if (npm.root !== undefined) pkg.dependsOn.add(npm.root.ref);
    else for (const ref of npm.directRefs) pkg.dependsOn.add(ref);
  }
  return {
    components,
    package: pkg,
    declared: [...control.preDepends, ...control.depends],
    control,
    lockfiles: [...lockByDir.values()].sort(),
    npmProjects,
    npmUnidentified: tree.unidentified,
  };
}

/**
 * Turns Depends/Pre-Depends into dependency refs: a name catalogued in this SBOM links to that
 * component; any other gets a version-less reference component (`pkg:deb/<vendor>/<name>`)
 * saying it is declared, not shipped. Each alternative of 'a | b' is linked.
 */
export function linkDebDependencies(catalogs: readonly DebCatalog[], all: readonly SbomComponent[]): SbomComponent[] {
  const debByName = new Map<string, SbomComponent>();
  for (const component of all)
    if (component.ecosystem === 'deb' && component.version !== undefined) debByName.set(component.name, component);
  const placeholders = new Map<string, SbomComponent>();
  for (const catalog of catalogs) {
    const vendor = debVendor(catalog.control);
    for (const group of catalog.declared) {
      const text = formatDebRelations([group]);
      for (const relation of group) {
        const found = debByName.get(relation.name);
        if (found !== undefined) {
          catalog.package.dependsOn.add(found.ref);
          continue;
        }
        const ref = debPurl(vendor, relation.name);
        let placeholder = placeholders.get(ref);
        if (placeholder === undefined) {
          placeholder = newComponent({ ref, type: 'library', ecosystem: 'deb', name: relation.name, purl: ref });
          placeholder.description = 'Declared Debian dependency; not part of the catalogued packages';
          placeholder.properties.push(['packaging-factory:deb:declared-only', 'true']);
          placeholders.set(ref, placeholder);
        }
        if (!placeholder.properties.some(([n, v]) => n === 'packaging-factory:deb:declared-as' && v === text)) {
          placeholder.properties.push(['packaging-factory:deb:declared-as', text]);
        }
        catalog.package.dependsOn.add(ref);
      }
    }
  }
  return [...placeholders.values()];
}
