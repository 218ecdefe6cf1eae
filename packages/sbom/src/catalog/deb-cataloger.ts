import path from 'node:path';
import { PackageURL } from 'packageurl-js';
import { digestFile, type ExecRunner } from '@packaging-factory/core';
import {
  formatDebRelations,
  readDebControl,
  scanDebData,
  type DebControl,
  type DebFileEntry,
  type DebRelationGroup,
} from '@packaging-factory/formats';
import { parseNpmLockfile } from '../npm/npm-lockfile.ts';
import { catalogNpmLockfile } from './npm-cataloger.ts';
import { newComponent, type SbomComponent, type SbomContact } from './sbom-component.ts';

export interface DebCatalog {
  /** The package, its npm packages (from embedded lockfiles); the package's files are its children. */
  components: SbomComponent[];
  /** The package component (also in `components`). */
  package: SbomComponent;
  /** Its Depends/Pre-Depends, still by name: `linkDebDependencies` turns them into refs. */
  declared: DebRelationGroup[];
  control: DebControl;
  lockfiles: string[];
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

/** 'Name <email>' → contact; anything else → the name alone. */
export function parseContact(text: string): SbomContact {
  const match = /^(.*?)\s*<([^<>]+)>\s*$/.exec(text.trim());
  if (match === null) return { name: text.trim() };
  const name = (match[1] ?? '').trim().replace(/^"(.*)"$/, '$1');
  return name === '' ? { name: match[2] ?? '', email: match[2] ?? '' } : { name, email: match[2] ?? '' };
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

/** Catalogues a .deb: the package, its files (with sha256) and the npm packages of any lockfile it ships. */
export async function catalogDeb(file: string, exec: ExecRunner, displayName = path.basename(file)): Promise<DebCatalog> {
  const control = await readDebControl(file, exec);
  const scan = await scanDebData(file, exec, (p) => LOCKFILE_NAMES.has(path.posix.basename(p)) && !p.includes('/node_modules/'));
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
  const fileSet = new Set(scan.files.map((f) => f.path));
  const lockfiles = [...scan.captured.keys()].sort();
  for (const lockPath of lockfiles) {
    const text = (scan.captured.get(lockPath) ?? Buffer.alloc(0)).toString('utf8');
    const lock = parseNpmLockfile(text, `${file}:${lockPath}`);
    const npm = catalogNpmLockfile(lock, {
      source: `${displayName}:${lockPath}`,
      installDir: path.posix.dirname(lockPath),
      isInstalled: (installPath) => fileSet.has(`${installPath}/package.json`),
    });
    components.push(...npm.components);
    if (npm.root !== undefined) pkg.dependsOn.add(npm.root.ref);
    else for (const ref of npm.directRefs) pkg.dependsOn.add(ref);
  }
  return { components, package: pkg, declared: [...control.preDepends, ...control.depends], control, lockfiles };
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
