import path from 'node:path';
import { PackageURL } from 'packageurl-js';
import { digestFile } from '@packaging-factory/core';
import {
  formatRpmDependency,
  hasRpmMagic,
  hasSqliteMagic,
  isBerkeleyHashHead,
  readRpmdbBerkeley,
  readRpmdbSqlite,
  readRpmPackage,
  RPM_SENSE,
  type RpmdbContents,
  type RpmPackageInfo,
} from '@packaging-factory/formats';
import type { CatalogContext, CatalogOutput, Cataloger, DistroRelease } from '../cataloger.ts';
import { parseContact } from '../deb-cataloger.ts';
import { newComponent, type SbomComponent } from '../sbom-component.ts';
import { sortProperties } from './purl-qualifiers.ts';

/**
 * RPM packages and rpm databases as SBOM components. The purl follows the purl-spec rpm type:
 * `pkg:rpm/<vendor>/<name>@<version>-<release>?arch=<arch>&epoch=<epoch>`; the epoch is a
 * qualifier, never part of the purl version (purl-spec examples: `centerim@4.22.10-1.el6?...&epoch=1`).
 * As syft does, the source package file is the `upstream` qualifier (Red Hat advisories are keyed
 * by source package) and found in a root filesystem the package gets `distro=<id>-<version>`.
 */

const PROP = 'packaging-factory:rpm';

// Vendor strings of the major RPM distributions → the namespace their purls use (purl-spec: "the
// vendor such as Fedora or OpenSUSE", lowercased). Others are normalised generically.
const KNOWN_VENDORS: [RegExp, string][] = [
  [/^fedora/i, 'fedora'],
  [/^red hat/i, 'redhat'],
  [/^centos/i, 'centos'],
  [/^rocky/i, 'rocky'],
  [/^almalinux/i, 'almalinux'],
  [/^oracle/i, 'oracle'],
  [/^amazon/i, 'amazon'],
  [/^opensuse/i, 'opensuse'],
  [/^suse/i, 'suse'],
  [/^mandriva/i, 'mandriva'],
  [/^mageia/i, 'mageia'],
];

/** The vendor as a purl namespace: a known distribution's short name, else lower-case words joined by '-', addresses dropped. */
export function rpmVendorNamespace(vendor: string | undefined): string | undefined {
  if (vendor === undefined) return undefined;
  const known = KNOWN_VENDORS.find(([pattern]) => pattern.test(vendor.trim()));
  if (known !== undefined) return known[1];
  const cleaned = vendor
    .replace(/<[^>]*>/g, ' ')
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return cleaned === '' ? undefined : cleaned;
}

export interface RpmPurlOptions {
  /** Namespace: packages installed in a root filesystem belong to its distribution; a loose .rpm to its vendor. */
  preferDistro: boolean;
  distro?: DistroRelease;
}

/**
 * The purl of an RPM. The namespace is required by the purl-spec, but with neither a vendor nor a
 * distribution there is nothing true to put there: it is left out, as syft does
 * (`pkg:rpm/dive@0.9.2-1?arch=x86_64&upstream=dive-0.9.2-1.src.rpm`), rather than invented.
 * Source packages get `arch=src`, the architecture repositories file them under.
 */
export function rpmPurl(info: RpmPackageInfo, options: RpmPurlOptions): string {
  const vendor = rpmVendorNamespace(info.vendor);
  const distroId = options.distro?.id;
  const namespace = options.preferDistro ? (distroId ?? vendor) : (vendor ?? distroId);
  const qualifiers: Record<string, string> = {};
  const arch = info.isSource ? 'src' : info.arch;
  if (arch !== undefined) qualifiers['arch'] = arch;
  if (info.epoch !== undefined) qualifiers['epoch'] = String(info.epoch);
  if (options.distro !== undefined) qualifiers['distro'] = options.distro.qualifier;
  if (info.sourceRpm !== undefined) qualifiers['upstream'] = info.sourceRpm;
  return new PackageURL('rpm', namespace, info.name, `${info.version}-${info.release}`, qualifiers, undefined).toString();
}

/** `[epoch:]version-release`, the form rpm compares (and syft reports) as the package version. */
export function rpmVersion(info: RpmPackageInfo): string {
  return `${info.epoch === undefined ? '' : `${info.epoch}:`}${info.version}-${info.release}`;
}

/** Maps a header onto a component (without dependencies). */
export function rpmComponent(info: RpmPackageInfo, source: string, options: RpmPurlOptions): SbomComponent {
  const purl = rpmPurl(info, options);
  const library = /librar/i.test(info.group ?? '') || info.name.startsWith('lib');
  const component = newComponent({
    ref: purl,
    type: library ? 'library' : 'application',
    ecosystem: 'rpm',
    name: info.name,
    version: rpmVersion(info),
    purl,
    scope: 'required',
  });
  if (info.summary !== undefined) component.description = info.summary;
  if (info.license !== undefined) component.licenses.push(info.license);
  const supplier = info.vendor ?? info.packager;
  if (supplier !== undefined) component.supplier = parseContact(supplier);
  if (info.url !== undefined && /^https?:\/\//.test(info.url)) component.externalReferences.push({ type: 'website', url: info.url });
  const properties: [string, string][] = [
    ['packaging-factory:source', source],
    [`${PROP}:package-type`, info.isSource ? 'source' : 'binary'],
  ];
  const optional: [string, string | number | undefined][] = [
    ['sourcerpm', info.sourceRpm],
    ['arch', info.arch],
    ['epoch', info.epoch],
    ['os', info.os],
    ['vendor', info.vendor],
    ['packager', info.packager],
    ['distribution', info.distribution],
    ['group', info.group],
    ['size', info.size],
    ['buildtime', info.buildTime],
    ['buildhost', info.buildHost],
  ];
  for (const [name, value] of optional) if (value !== undefined) properties.push([`${PROP}:${name}`, String(value)]);
  component.properties = properties;
  return component;
}

function isRpmlib(name: string, flags: number): boolean {
  return (flags & RPM_SENSE.RPMLIB) !== 0 || name.startsWith('rpmlib(');
}

/** Catalogues one .rpm file (binary or source): headers only, the payload is not read. */
export async function catalogRpmFile(file: string, shown: string, distro?: DistroRelease): Promise<CatalogOutput> {
  const pkg = await readRpmPackage(file);
  const options: RpmPurlOptions = { preferDistro: false };
  if (distro !== undefined) options.distro = distro;
  const component = rpmComponent(pkg.info, shown, options);
  component.hashes.set('SHA-256', await digestFile(file));
  // A lone package's requirements name capabilities, not packages: recorded as written.
  for (const dep of pkg.info.requires) {
    if (!isRpmlib(dep.name, dep.flags)) component.properties.push([`${PROP}:requires`, formatRpmDependency(dep)]);
  }
  for (const dep of pkg.info.provides) component.properties.push([`${PROP}:provides`, formatRpmDependency(dep)]);
  sortProperties(component.properties);
  return { components: [component], notes: [], unreadable: [] };
}

/**
 * Catalogues an installed-package database. Requires are resolved within it, as rpm resolves
 * them at install time: a capability to the first package (by instance) providing it, a file path
 * to the package owning that file. What nothing provides is recorded as written.
 */
export function catalogRpmdbContents(contents: RpmdbContents, shown: string, distro?: DistroRelease): CatalogOutput {
  const notes = contents.problems.map((p) => `${shown}: ${p}`);
  const options: RpmPurlOptions = { preferDistro: true };
  if (distro !== undefined) options.distro = distro;
  const byRef = new Map<string, { component: SbomComponent; info: RpmPackageInfo }>();
  const providers = new Map<string, string>();
  const owners = new Map<string, string>();
  let pubkeys = 0;
  for (const { info } of contents.packages) {
    // rpm stores imported signing keys as pseudo-packages named gpg-pubkey: keys, not software.
    if (info.name === 'gpg-pubkey') {
      pubkeys += 1;
      continue;
    }
    const component = rpmComponent(info, shown, options);
    if (byRef.has(component.ref)) {
      notes.push(`${shown}: ${info.name} ${rpmVersion(info)} (${info.arch ?? 'no arch'}) is recorded twice; listed once`);
      continue;
    }
    byRef.set(component.ref, { component, info });
    for (const dep of info.provides) if (!providers.has(dep.name)) providers.set(dep.name, component.ref);
    for (const file of info.files) if (!owners.has(file)) owners.set(file, component.ref);
  }
  if (pubkeys > 0)
    notes.push(`${shown}: ${pubkeys} gpg-pubkey entr${pubkeys === 1 ? 'y' : 'ies'} (imported signing keys) not listed as components`);
  for (const { component, info } of byRef.values()) {
    for (const dep of info.requires) {
      if (isRpmlib(dep.name, dep.flags)) continue;
      const target = dep.name.startsWith('/') ? (owners.get(dep.name) ?? providers.get(dep.name)) : providers.get(dep.name);
      if (target === undefined) component.properties.push([`${PROP}:requires-unresolved`, formatRpmDependency(dep)]);
      else if (target !== component.ref) component.dependsOn.add(target);
    }
    sortProperties(component.properties);
  }
  const components = [...byRef.values()].map((e) => e.component).sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  return { components, notes, unreadable: [] };
}

// rpm ≥ 4.16 keeps rpmdb.sqlite in /var/lib/rpm; Fedora ≥ 36 and openSUSE moved it to
// /usr/lib/sysimage/rpm (with /var/lib/rpm a symlink).
const SQLITE_PATH = /(^|\/)(var\/lib\/rpm|usr\/lib\/sysimage\/rpm)\/rpmdb\.sqlite$/;
const BDB_PATH = /(^|\/)(var\/lib\/rpm|usr\/lib\/sysimage\/rpm)\/Packages$/;

/** .rpm files (binary and source), by the lead magic. */
export const rpmCataloger: Cataloger = {
  kind: 'rpm',
  role: 'artifact',
  matches: (c) => (c.explicit || c.name.endsWith('.rpm')) && hasRpmMagic(c.head),
  catalog: (target, ctx: CatalogContext) => catalogRpmFile(target.file, target.shown, ctx.distro),
};

/** rpm ≥ 4.16's SQLite database. */
export const rpmdbSqliteCataloger: Cataloger = {
  kind: 'rpmdb-sqlite',
  role: 'manifest',
  matches: (c) => (SQLITE_PATH.test(c.relative) || (c.explicit && c.name.endsWith('.sqlite'))) && hasSqliteMagic(c.head),
  async catalog(target, ctx) {
    return catalogRpmdbContents(await readRpmdbSqlite(target.file, ctx.tempDir), target.shown, ctx.distro);
  },
};

/** The Berkeley DB `Packages` hash database of rpm < 4.16. */
export const rpmdbBerkeleyCataloger: Cataloger = {
  kind: 'rpmdb-bdb',
  role: 'manifest',
  matches: (c) => (BDB_PATH.test(c.relative) || (c.explicit && path.basename(c.name) === 'Packages')) && isBerkeleyHashHead(c.head),
  async catalog(target, ctx) {
    return catalogRpmdbContents(await readRpmdbBerkeley(target.file), target.shown, ctx.distro);
  },
};
