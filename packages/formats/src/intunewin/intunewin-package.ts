import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import { DEFAULT_ZIP_LIMITS, listZipEntries, readZipEntries, type ZipLimits } from '../zip/zip-archive.ts';
import { parseXmlDocument, type XmlElement } from '../msix/xml-document.ts';

/**
 * A .intunewin file, the output of Microsoft's Win32 Content Prep Tool (IntuneWinAppUtil): a ZIP
 * holding IntuneWinPackage/Metadata/Detection.xml (an <ApplicationInfo> document written by .NET's
 * XmlSerializer) and IntuneWinPackage/Contents/IntunePackage.intunewin, the setup folder zipped and
 * encrypted with AES-256-CBC plus HMAC-SHA256. Only the metadata is readable without the keys.
 *
 * Detection.xml's EncryptionInfo holds those keys (EncryptionKey, MacKey, InitializationVector) and
 * the MAC in clear text: anyone holding them can decrypt the payload. They are deliberately never
 * read into the result (only ProfileIdentifier, FileDigest and FileDigestAlgorithm are), so no SBOM,
 * log or error message can carry them.
 */

export const INTUNEWIN_DETECTION = 'IntuneWinPackage/Metadata/Detection.xml';
export const INTUNEWIN_CONTENTS_DIR = 'IntuneWinPackage/Contents/';

const METADATA_LIMITS: ZipLimits = { ...DEFAULT_ZIP_LIMITS, maxEntryBytes: 8 * 1024 * 1024, maxTotalBytes: 16 * 1024 * 1024 };

/** EncryptionInfo children that are safe to repeat: none of them decrypts anything. */
const PUBLIC_ENCRYPTION_FIELDS = ['ProfileIdentifier', 'FileDigest', 'FileDigestAlgorithm'] as const;

export interface IntunewinMetadata {
  /** ApplicationInfo/Name: the MSI ProductName or the setup file's name. */
  Name: string;
  UnencryptedContentSize?: string;
  /** The encrypted payload's file name inside IntuneWinPackage/Contents. */
  FileName?: string;
  SetupFile?: string;
  /** ApplicationInfo/@ToolVersion: the Content Prep Tool version. */
  ToolVersion?: string;
  /** MsiInfo children (MsiProductCode, MsiProductVersion, MsiPublisher, MsiUpgradeCode...), in document order; absent for non-MSI setups. */
  MsiInfo?: [string, string][];
  /** ProfileIdentifier, FileDigest (base64 SHA-256 of the unencrypted payload) and FileDigestAlgorithm; never the keys. */
  Encryption: Partial<Record<(typeof PUBLIC_ENCRYPTION_FIELDS)[number], string>>;
  /** The encrypted payload entry and its stored size, when present. */
  Contents?: { entry: string; size: number };
}

function invalid(subject: string, message: string): FactoryError {
  return new FactoryError('ARCHIVE_CORRUPT', `${subject}: ${message}`, {
    subject,
    hint: 'rebuild the package with the Microsoft Win32 Content Prep Tool (IntuneWinAppUtil)',
  });
}

function child(parent: XmlElement, name: string): XmlElement | undefined {
  return parent.children.find((c) => c.name === name && c.namespace === undefined);
}

/** Reads Detection.xml's parsed root (never its encryption keys). */
export function readDetectionXml(root: XmlElement, subject: string): Omit<IntunewinMetadata, 'Contents'> {
  if (root.name !== 'ApplicationInfo' || root.namespace !== undefined)
    throw invalid(subject, `the root element is <${root.name}>, not <ApplicationInfo>`);
  const name = child(root, 'Name')?.text ?? '';
  if (name === '') throw invalid(subject, '<ApplicationInfo> has no <Name>');
  const metadata: Omit<IntunewinMetadata, 'Contents'> = { Name: name, Encryption: {} };
  for (const key of ['UnencryptedContentSize', 'FileName', 'SetupFile'] as const) {
    const value = child(root, key)?.text;
    if (value !== undefined && value !== '') metadata[key] = value;
  }
  const toolVersion = root.attributes.get('ToolVersion');
  if (toolVersion !== undefined && toolVersion !== '') metadata.ToolVersion = toolVersion;
  const encryption = child(root, 'EncryptionInfo');
  if (encryption !== undefined) {
    for (const key of PUBLIC_ENCRYPTION_FIELDS) {
      const value = child(encryption, key)?.text;
      if (value !== undefined && value !== '') metadata.Encryption[key] = value;
    }
  }
  const msi = child(root, 'MsiInfo');
  if (msi !== undefined) {
    metadata.MsiInfo = msi.children
      .filter((c) => c.namespace === undefined && c.name.startsWith('Msi') && c.text !== '')
      .map((c): [string, string] => [c.name, c.text]);
  }
  return metadata;
}

/** Reads a .intunewin file's Detection.xml and checks that its encrypted payload is there. */
export async function readIntunewin(
  file: string,
  displayName = path.basename(file),
  limits: ZipLimits = METADATA_LIMITS,
): Promise<IntunewinMetadata> {
  const entries = await listZipEntries(file, limits);
  if (!entries.some((e) => e.name === INTUNEWIN_DETECTION)) {
    throw new FactoryError('ARCHIVE_CORRUPT', `${displayName} has no ${INTUNEWIN_DETECTION}: it is not a Win32 Content Prep Tool package`, {
      subject: displayName,
      hint: 'rebuild the package with the Microsoft Win32 Content Prep Tool (IntuneWinAppUtil)',
    });
  }
  const bytes = (await readZipEntries(file, (n) => n === INTUNEWIN_DETECTION, limits)).get(INTUNEWIN_DETECTION) ?? Buffer.alloc(0);
  const subject = `${displayName}:${INTUNEWIN_DETECTION}`;
  const metadata: IntunewinMetadata = readDetectionXml(parseXmlDocument(bytes, subject), subject);
  const fileName = metadata.FileName;
  if (fileName !== undefined) {
    if (fileName.includes('/') || fileName.includes('\\') || fileName === '..' || fileName === '.') {
      throw invalid(subject, `<FileName> '${fileName}' is not a plain file name`);
    }
    const entry = entries.find((e) => e.name === INTUNEWIN_CONTENTS_DIR + fileName);
    if (entry !== undefined) metadata.Contents = { entry: entry.name, size: entry.uncompressedSize };
  }
  return metadata;
}
