import { digestFile } from '@packaging-factory/core';
import { readIntunewin, type IntunewinMetadata } from '@packaging-factory/formats';
import { formatPurl, type PurlParts } from '../../purl/package-url.ts';
import { newComponent, type SbomComponent } from '../sbom-component.ts';
import { sortComponent } from './component-order.ts';

/**
 * The Package URL of a .intunewin package.
 *
 * purl-spec registers no Intune/Win32-app type, so the registered catch-all `generic` is used:
 * name = Detection.xml Name (the MSI ProductName, or the setup file name for EXE/script setups),
 * version = MsiProductVersion when the setup is an MSI (an EXE setup declares none). Because Name
 * is often just 'setup.exe', the purl-spec known qualifier `checksum` carries FileDigest, the
 * SHA-256 of the unencrypted content: it identifies the content across re-packaging, while the
 * .intunewin file's own hash changes on every run (the Content Prep Tool draws fresh keys).
 */
export function intunewinPurl(metadata: Pick<IntunewinMetadata, 'Name' | 'MsiInfo' | 'Encryption'>): string {
  const version = metadata.MsiInfo?.find(([n]) => n === 'MsiProductVersion')?.[1];
  const digest = fileDigestHex(metadata);
  const parts: PurlParts = { type: 'generic', name: metadata.Name };
  if (version !== undefined) parts.version = version;
  if (digest !== undefined) parts.qualifiers = { checksum: `sha256:${digest}` };
  return formatPurl(parts);
}

/** FileDigest (base64 in Detection.xml) as hex, when it is a SHA-256. */
function fileDigestHex(metadata: Pick<IntunewinMetadata, 'Encryption'>): string | undefined {
  const { FileDigest: digest, FileDigestAlgorithm: algorithm } = metadata.Encryption;
  if (digest === undefined || (algorithm !== undefined && algorithm.toUpperCase() !== 'SHA256')) return undefined;
  const bytes = Buffer.from(digest, 'base64');
  return bytes.length === 32 ? bytes.toString('hex') : undefined;
}

export interface IntunewinCatalog {
  component: SbomComponent;
  metadata: IntunewinMetadata;
  notes: string[];
}

/** One application component for a .intunewin file, from Detection.xml (never its encryption keys). */
export async function catalogIntunewin(file: string, shown: string): Promise<IntunewinCatalog> {
  const metadata = await readIntunewin(file, shown);
  const purl = intunewinPurl(metadata);
  const msi = new Map(metadata.MsiInfo ?? []);
  const component = newComponent({ ref: purl, purl, type: 'application', ecosystem: 'windows', name: metadata.Name });
  const version = msi.get('MsiProductVersion');
  if (version !== undefined) component.version = version;
  const publisher = msi.get('MsiPublisher');
  if (publisher !== undefined) component.supplier = { name: publisher };
  component.hashes.set('SHA-256', await digestFile(file));
  const p = (name: string, value: string | undefined): void => {
    if (value !== undefined && value !== '') component.properties.push([`packaging-factory:windows:${name}`, value]);
  };
  component.properties.push(['packaging-factory:source', shown]);
  p('PackageType', 'intunewin');
  p('Name', metadata.Name);
  p('UnencryptedContentSize', metadata.UnencryptedContentSize);
  p('FileName', metadata.FileName);
  p('SetupFile', metadata.SetupFile);
  p('ToolVersion', metadata.ToolVersion);
  for (const [name, value] of metadata.MsiInfo ?? []) p(name, value);
  p('FileDigest', metadata.Encryption.FileDigest);
  p('FileDigestAlgorithm', metadata.Encryption.FileDigestAlgorithm);
  if (metadata.Contents !== undefined) p('EncryptedContentSize', String(metadata.Contents.size));
  const notes = [`${shown}: the setup files are encrypted; catalogued from Detection.xml only`];
  if (metadata.Contents === undefined)
    notes.push(`${shown}: the encrypted content ${metadata.FileName ?? 'IntunePackage.intunewin'} is missing`);
  return { component: sortComponent(component), metadata, notes };
}
