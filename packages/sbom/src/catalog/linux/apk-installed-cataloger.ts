import { readFile } from 'node:fs/promises';
import { PackageURL } from 'packageurl-js';
import { apkTokenName, parseApkInstalled, type ApkInstalledPackage } from '@packaging-factory/formats';
import type { CatalogContext, CatalogOutput, Cataloger, DistroRelease } from '../cataloger.ts';
import { parseContact } from '../deb-cataloger.ts';
import { newComponent, type SbomComponent } from '../sbom-component.ts';
import { sortProperties } from './purl-qualifiers.ts';

/**
 * Alpine's installed database as SBOM components: `pkg:apk/<vendor>/<name>@<version>?arch=...`
 * (purl-spec apk type: the vendor is 'alpine', or the distribution the root filesystem declares,
 * e.g. 'wolfi'; names lower-cased). The origin (source) package is the `upstream` qualifier when it
 * differs, as syft writes it: Alpine's secdb keys advisories by origin.
 */

const PROP = 'packaging-factory:apk';
const INSTALLED_PATH = /(^|\/)lib\/apk\/db\/installed$/;

export interface ApkInstalledOptions {
  source: string;
  distro?: DistroRelease;
}

/** The purl of an installed apk package. */
export function apkPurl(pkg: ApkInstalledPackage, distro?: DistroRelease): string {
  const qualifiers: Record<string, string> = {};
  if (pkg.arch !== undefined) qualifiers['arch'] = pkg.arch;
  if (distro !== undefined) qualifiers['distro'] = distro.qualifier;
  if (pkg.origin !== undefined && pkg.origin !== pkg.name) qualifiers['upstream'] = pkg.origin;
  const name = (pkg.name as string).toLowerCase();
  return new PackageURL(
    'apk',
    distro?.id ?? 'alpine',
    name,
    pkg.version,
    Object.keys(qualifiers).length > 0 ? qualifiers : undefined,
    undefined,
  ).toString();
}

// Alpine writes SPDX expressions in L: nowadays ('MIT AND BSD-2-Clause'); older packages list
// names separated by spaces ('MIT BSD GPL2+'), which syft reports as separate licenses.
function licensesOf(value: string): string[] {
  if (/\s(AND|OR|WITH)\s/.test(value)) return [value];
  return value.split(/\s+/).filter(Boolean);
}

/** Catalogues an installed database; D: entries resolved to the packages (or so:/cmd: providers) within it. */
export function catalogApkInstalled(text: string, options: ApkInstalledOptions): CatalogOutput {
  const db = parseApkInstalled(text, options.source);
  const notes = [...db.notes];
  const byName = new Map<string, SbomComponent>();
  const providers = new Map<string, SbomComponent>();
  const entries: { pkg: ApkInstalledPackage; component: SbomComponent }[] = [];
  for (const pkg of db.packages) {
    const name = pkg.name as string;
    if (pkg.version === undefined) notes.push(`${options.source}: ${name} has no V: (version) line; listed without a version`);
    const purl = apkPurl(pkg, options.distro);
    if (byName.has(name)) {
      notes.push(`${options.source}: ${name} is recorded twice; listed once`);
      continue;
    }
    const component = newComponent({
      ref: purl,
      type: name.startsWith('lib') || pkg.provides.some((p) => p.startsWith('so:')) ? 'library' : 'application',
      ecosystem: 'apk',
      name,
      purl,
      scope: 'required',
    });
    if (pkg.version !== undefined && pkg.version !== '') component.version = pkg.version;
    if (pkg.description !== undefined) component.description = pkg.description;
    if (pkg.license !== undefined) component.licenses.push(...licensesOf(pkg.license));
    if (pkg.maintainer !== undefined) component.supplier = parseContact(pkg.maintainer);
    if (pkg.url !== undefined && /^https?:\/\//.test(pkg.url)) component.externalReferences.push({ type: 'website', url: pkg.url });
    const properties: [string, string][] = [['packaging-factory:source', options.source]];
    const optional: [string, string | number | undefined][] = [
      ['origin', pkg.origin],
      ['arch', pkg.arch],
      ['maintainer', pkg.maintainer],
      ['checksum', pkg.checksum],
      ['commit', pkg.commit],
      ['size', pkg.size],
      ['installed-size', pkg.installedSize],
      ['build-time', pkg.buildTime],
    ];
    for (const [key, value] of optional) if (value !== undefined && value !== '') properties.push([`${PROP}:${key}`, String(value)]);
    for (const token of pkg.provides) properties.push([`${PROP}:provides`, token]);
    component.properties = properties;
    byName.set(name, component);
    for (const token of pkg.provides) {
      const provided = apkTokenName(token);
      if (!providers.has(provided)) providers.set(provided, component);
    }
    entries.push({ pkg, component });
  }
  for (const { pkg, component } of entries) {
    for (const token of pkg.depends) {
      // '!name' is a conflict, not a dependency.
      if (token.startsWith('!')) continue;
      const wanted = apkTokenName(token);
      const target = byName.get(wanted) ?? providers.get(wanted);
      if (target === undefined) component.properties.push([`${PROP}:depends-unresolved`, token]);
      else if (target !== component) component.dependsOn.add(target.ref);
      component.properties.push([`${PROP}:depends`, token]);
    }
    sortProperties(component.properties);
  }
  const components = entries.map((e) => e.component).sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  return { components, notes, unreadable: [] };
}

/** lib/apk/db/installed by path; a file named explicitly when it starts like an installed-db record. */
export const apkInstalledCataloger: Cataloger = {
  kind: 'apk-installed',
  role: 'manifest',
  matches: (c) => INSTALLED_PATH.test(c.relative) || (c.explicit && c.name === 'installed' && /^[A-Za-z]:/.test(c.head.toString('latin1'))),
  async catalog(target, ctx: CatalogContext) {
    const options: ApkInstalledOptions = { source: target.shown };
    if (ctx.distro !== undefined) options.distro = ctx.distro;
    return catalogApkInstalled(await readFile(target.file, 'utf8'), options);
  },
};
