import { digestFile, FactoryError } from '@packaging-factory/core';
import { readMsiPackage, type MsiPackage } from '@packaging-factory/formats';
import { formatPurl } from '../../purl/package-url.ts';
import type { CatalogOutput } from '../cataloger.ts';
import { newComponent, sortProperties, type SbomComponent } from '../sbom-component.ts';

/**
 * Windows Installer packages (.msi). The component is the product the package installs, as
 * Windows itself names it in "Apps & features": ProductName and ProductVersion from the Property
 * table, Manufacturer as supplier.
 *
 * purl: there is no registered purl type for MSI (purl-spec issue #255 is still open), so the
 * package is `pkg:generic/<ProductName>@<ProductVersion>`, the spec's type for software without
 * a package registry; ProductName is kept as written because generic defines no normalisation.
 * The `arch` qualifier carries the summary Template's platform (Intel → x86, x64, Arm64 → arm64):
 * one product is routinely shipped as an x86 and an x64 MSI with the same name and version, and
 * without it the two would collapse into one SBOM component. ProductCode, UpgradeCode and the
 * package code are not part of the purl (they are GUIDs no scanner looks up) but are kept as
 * `packaging-factory:windows:*` properties, where a Windows inventory can match them.
 */

/** Summary Template platform names (Windows Installer SDK, "Template Summary") → purl arch values. */
const PLATFORM_ARCH: Record<string, string> = { intel: 'x86', x64: 'x64', amd64: 'x64', intel64: 'ia64', arm: 'arm', arm64: 'arm64' };

/** Property-table rows worth recording: identity, and the Add/Remove Programs entries vendors fill in. */
const RECORDED_PROPERTIES = [
  'ProductCode',
  'UpgradeCode',
  'ProductLanguage',
  'Manufacturer',
  'ALLUSERS',
  'ARPCOMMENTS',
  'ARPCONTACT',
  'ARPHELPLINK',
  'ARPURLINFOABOUT',
  'ARPURLUPDATEINFO',
];

/** The purl of an MSI's product; undefined parts of the identity fall back as documented above. */
export function msiPurl(pkg: MsiPackage, name: string, version: string): string {
  const platforms = pkg.summary?.platforms ?? [];
  const qualifiers: Record<string, string> = {};
  if (platforms.length === 1) {
    const platform = platforms[0] as string;
    qualifiers['arch'] = PLATFORM_ARCH[platform.toLowerCase()] ?? platform.toLowerCase();
  }
  return formatPurl({ type: 'generic', name, version, qualifiers });
}

/** Catalogues one .msi: its product as an application component. */
export async function catalogMsi(file: string, shown: string): Promise<CatalogOutput> {
  const pkg = await readMsiPackage(file);
  const missing = (property: string): FactoryError =>
    new FactoryError('ARCHIVE_CORRUPT', `${shown} has no ${property} property, which every Windows Installer package must set`, {
      subject: shown,
      hint: 'set the property in the package source (WiX: Product/@Name and @Version) and rebuild',
    });
  if (pkg.productName === undefined) throw missing('ProductName');
  if (pkg.productVersion === undefined) throw missing('ProductVersion');
  const purl = msiPurl(pkg, pkg.productName, pkg.productVersion);
  const component: SbomComponent = newComponent({
    ref: purl,
    type: 'application',
    ecosystem: 'windows',
    name: pkg.productName,
    version: pkg.productVersion,
    purl,
    scope: 'required',
  });
  component.hashes.set('SHA-256', await digestFile(file));
  if (pkg.manufacturer !== undefined) component.supplier = { name: pkg.manufacturer };
  const properties: [string, string][] = [['packaging-factory:source', shown]];
  for (const name of RECORDED_PROPERTIES) {
    const value = pkg.properties[name];
    if (value !== undefined && value !== '') properties.push([`packaging-factory:windows:${name}`, value]);
  }
  const summary = pkg.summary;
  if (summary !== undefined) {
    if (summary.revisionNumber !== undefined) properties.push(['packaging-factory:windows:PackageCode', summary.revisionNumber]);
    if (summary.template !== undefined) properties.push(['packaging-factory:windows:Template', summary.template]);
    if (summary.author !== undefined) properties.push(['packaging-factory:windows:Author', summary.author]);
    if (summary.pageCount !== undefined) properties.push(['packaging-factory:windows:InstallerVersion', String(summary.pageCount)]);
    if (summary.creatingApplication !== undefined)
      properties.push(['packaging-factory:windows:CreatingApplication', summary.creatingApplication]);
    if (summary.subject !== undefined && summary.subject !== '') component.description = summary.subject;
  }
  component.properties = sortProperties(properties);
  for (const name of ['ARPURLINFOABOUT', 'ARPHELPLINK']) {
    const url = pkg.properties[name];
    if (url !== undefined && /^https?:\/\/\S+$/.test(url)) {
      component.externalReferences.push({ type: 'website', url });
      break;
    }
  }
  const notes: string[] = [];
  if (summary === undefined)
    notes.push(`${shown}: no SummaryInformation stream (Windows refuses to install such a package); platform unknown`);
  return { components: [component], notes, unreadable: [] };
}
