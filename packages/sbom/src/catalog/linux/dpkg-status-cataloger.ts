import { readFile, readdir } from 'node:fs/promises';
import {
  debCopyrightLicenses,
  formatDebRelations,
  parseDpkgStatus,
  type DebControl,
  type DebRelationGroup,
  type DpkgStatusEntry,
} from '@packaging-factory/formats';
import type { CatalogContext, CatalogOutput, Cataloger, DistroRelease } from '../cataloger.ts';
import { debPurl, debVendor, parseContact } from '../deb-cataloger.ts';
import { newComponent, type SbomComponent } from '../sbom-component.ts';
import { distroQualifier, sortProperties, withQualifiers } from './purl-qualifiers.ts';
import { readFileInRoot, resolveInRoot, rootFilesystemOf } from './root-path.ts';

/**
 * The dpkg database of installed packages as SBOM components: one per installed binary package,
 * named and versioned as the binary (what is on disk); the source package it was built from is
 * recorded in properties and in the purl `upstream` qualifier (what Debian advisories are keyed by).
 */

const PROP = 'packaging-factory:deb';
// Fields too long or too volatile to repeat as properties.
const NOT_PROPERTIES = new Set(['description', 'conffiles', 'status']);

const STATUS_FILE = /(^|\/)var\/lib\/(dpkg\/status|dpkg\/status\.d\/[^/]+|opkg\/status)$/;

export interface DpkgStatusOptions {
  /** Shown name of the status file (the component's `packaging-factory:source`). */
  source: string;
  distro?: DistroRelease;
  /** Root filesystem holding usr/share/doc/<package>/copyright files, for licenses. */
  root?: string;
}

/**
 * The purl namespace: an Origin (or Vendor) field names the vendor; otherwise the distribution
 * of the root filesystem (an Ubuntu image's packages are Ubuntu's), else Debian's by convention.
 */
function vendorOf(entry: DpkgStatusEntry, distro: DistroRelease | undefined): string {
  const f = entry.fields;
  const declared = ['Origin', 'Vendor', 'origin', 'vendor'].some((n) => f[n] !== undefined && f[n].trim() !== '');
  // debVendor reads only the control fields; a status entry has the same ones.
  if (declared) return debVendor({ fields: f } as Pick<DebControl, 'fields'> as DebControl);
  return distro?.id ?? 'debian';
}

function isLibrary(entry: DpkgStatusEntry): boolean {
  const section = entry.section?.split('/').pop() ?? '';
  return ['libs', 'libdevel', 'oldlibs'].includes(section) || (entry.package ?? '').startsWith('lib');
}

/** Catalogues the entries of one status file: installed packages, Depends/Pre-Depends linked among them. */
const COPYRIGHT_READS_AT_ONCE = 16;

/** Names under usr/share/doc in the root (resolved inside it), so packages without a doc dir cost nothing. */
async function docDirectoryNames(root: string): Promise<Set<string>> {
  const dir = await resolveInRoot(root, 'usr/share/doc');
  if (dir === undefined) return new Set();
  return new Set(await readdir(dir).catch(() => []));
}

export async function catalogDpkgStatus(text: string, options: DpkgStatusOptions): Promise<CatalogOutput> {
  const status = parseDpkgStatus(text, options.source);
  const notes = [...status.notes];
  const installed: { entry: DpkgStatusEntry; component: SbomComponent }[] = [];
  const docNames = options.root === undefined ? undefined : await docDirectoryNames(options.root);
  const withCopyright: SbomComponent[] = [];
  for (const entry of status.entries) {
    if (entry.package === undefined) {
      const hint =
        entry.source === undefined
          ? ''
          : ` (Source: ${entry.source.name}${entry.source.version === undefined ? '' : ` ${entry.source.version}`})`;
      notes.push(`${options.source}: paragraph ${entry.index} has no Package field${hint}; skipped`);
      continue;
    }
    if (!entry.installed) {
      const state = entry.status === undefined ? 'malformed status' : `${entry.status.want} ${entry.status.flag} ${entry.status.state}`;
      notes.push(`${options.source}: ${entry.package} is not installed (${state}); not listed`);
      continue;
    }
    if (entry.version === undefined) notes.push(`${options.source}: ${entry.package} has no Version field; listed without a version`);
    const vendor = vendorOf(entry, options.distro);
    const source =
      entry.source !== undefined && entry.source.version !== undefined
        ? { name: entry.source.name, version: entry.source.version }
        : undefined;
    const purl = withQualifiers(debPurl(vendor, entry.package, entry.version, entry.architecture, source), distroQualifier(options.distro));
    const component = newComponent({
      ref: purl,
      type: isLibrary(entry) ? 'library' : 'application',
      ecosystem: 'deb',
      name: entry.package,
      purl,
      scope: 'required',
    });
    if (entry.version !== undefined) component.version = entry.version;
    if (entry.description !== undefined) component.description = entry.description;
    if (entry.maintainer !== undefined) component.supplier = parseContact(entry.maintainer);
    if (entry.homepage !== undefined && /^https?:\/\//.test(entry.homepage))
      component.externalReferences.push({ type: 'website', url: entry.homepage });
    if (entry.license !== undefined) component.licenses.push(entry.license);
    component.properties.push(['packaging-factory:source', options.source]);
    for (const [name, value] of Object.entries(entry.fields)) {
      if (NOT_PROPERTIES.has(name.toLowerCase())) continue;
      component.properties.push([`${PROP}:${name}`, value.replace(/\n/g, ' ').trim()]);
    }
    if (entry.status !== undefined)
      component.properties.push([`${PROP}:Status`, `${entry.status.want} ${entry.status.flag} ${entry.status.state}`]);
    if (entry.source !== undefined) {
      component.properties.push([`${PROP}:source-name`, entry.source.name]);
      if (entry.source.version !== undefined) component.properties.push([`${PROP}:source-version`, entry.source.version]);
    }
    if (docNames?.has(entry.package) === true && entry.license === undefined) withCopyright.push(component);
    installed.push({ entry, component });
  }
  // Copyright files read a few at a time: one sequential chroot-style resolution per package made
  // a 3,000-package root wait on the disk most of the time.
  const root = options.root;
  if (root !== undefined) {
    for (let i = 0; i < withCopyright.length; i += COPYRIGHT_READS_AT_ONCE) {
      await Promise.all(
        withCopyright.slice(i, i + COPYRIGHT_READS_AT_ONCE).map(async (component) => {
          const copyright = await readFileInRoot(root, `usr/share/doc/${component.name}/copyright`).catch(() => undefined);
          if (copyright !== undefined) component.licenses.push(...debCopyrightLicenses(copyright.toString('utf8')));
        }),
      );
    }
  }

  // Depends/Pre-Depends among the installed packages of this file: for 'a | b', the first
  // alternative installed, by name or through an installed package's Provides; same
  // architecture preferred (multi-arch systems install libc6:amd64 and libc6:i386 side by side).
  const byName = new Map<string, SbomComponent[]>();
  const byProvides = new Map<string, SbomComponent[]>();
  const add = (map: Map<string, SbomComponent[]>, key: string, component: SbomComponent): void => {
    const list = map.get(key) ?? [];
    list.push(component);
    map.set(key, list);
  };
  const archOf = new Map<SbomComponent, string | undefined>();
  for (const { entry, component } of installed) {
    add(byName, entry.package as string, component);
    archOf.set(component, entry.architecture);
    for (const group of entry.provides) for (const alt of group) add(byProvides, alt.name, component);
  }
  const pick = (list: SbomComponent[] | undefined, arch: string | undefined): SbomComponent | undefined =>
    list?.find((c) => archOf.get(c) === arch || archOf.get(c) === 'all') ?? list?.[0];
  for (const { entry, component } of installed) {
    const unresolved: DebRelationGroup[] = [];
    for (const group of [...entry.preDepends, ...entry.depends]) {
      let target: SbomComponent | undefined;
      for (const alt of group) {
        target = pick(byName.get(alt.name), entry.architecture) ?? pick(byProvides.get(alt.name), entry.architecture);
        if (target !== undefined) break;
      }
      if (target === undefined) unresolved.push(group);
      else if (target !== component) component.dependsOn.add(target.ref);
    }
    if (unresolved.length > 0) component.properties.push([`${PROP}:depends-unresolved`, formatDebRelations(unresolved)]);
    sortProperties(component.properties);
  }
  const seen = new Set<string>();
  const components: SbomComponent[] = [];
  for (const { component } of installed) {
    if (seen.has(component.ref)) {
      notes.push(`${options.source}: ${component.name} ${component.version ?? ''} appears twice; listed once`);
      continue;
    }
    seen.add(component.ref);
    components.push(component);
  }
  components.sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  return { components, notes, unreadable: [] };
}

/**
 * dpkg status files by path (var/lib/dpkg/status, status.d/* of distroless images, opkg's status);
 * a file named explicitly when its first bytes are a Package paragraph.
 */
export const dpkgStatusCataloger: Cataloger = {
  kind: 'dpkg-status',
  role: 'manifest',
  matches: (c) =>
    (STATUS_FILE.test(c.relative) && !c.name.endsWith('.md5sums')) ||
    (c.explicit && (c.name === 'status' || /^Package:\s*\S+/m.test(c.head.toString('latin1')))),
  async catalog(target, ctx: CatalogContext) {
    const text = await readFile(target.file, 'utf8');
    const options: DpkgStatusOptions = { source: target.shown };
    if (ctx.distro !== undefined) options.distro = ctx.distro;
    const root = rootFilesystemOf(target.file, STATUS_FILE);
    if (root !== undefined) options.root = root;
    return catalogDpkgStatus(text, options);
  },
};
