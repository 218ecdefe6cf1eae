/**
 * The part of the SPDX 2.3 JSON document model (spdx-schema-2.3.json, SPDX 2.3 §6–§11) that we
 * write. Property names are the schema's; the schema forbids any other.
 */

export const SPDX_VERSION = 'SPDX-2.3';

/** §7.24 Primary Package Purpose. */
export type SpdxPackagePurpose =
  | 'APPLICATION'
  | 'FRAMEWORK'
  | 'LIBRARY'
  | 'CONTAINER'
  | 'OPERATING_SYSTEM'
  | 'DEVICE'
  | 'FIRMWARE'
  | 'SOURCE'
  | 'ARCHIVE'
  | 'FILE'
  | 'INSTALL'
  | 'OTHER';

/** §7.10 checksum algorithms we can fill from the catalogue. */
export type SpdxChecksumAlgorithm = 'SHA1' | 'SHA256' | 'SHA384' | 'SHA512';

export interface SpdxChecksum {
  algorithm: SpdxChecksumAlgorithm;
  checksumValue: string;
}

export interface SpdxExternalRef {
  referenceCategory: 'SECURITY' | 'PACKAGE-MANAGER' | 'PERSISTENT-ID' | 'OTHER';
  referenceType: string;
  referenceLocator: string;
}

export interface SpdxPackage {
  SPDXID: string;
  name: string;
  versionInfo?: string;
  supplier?: string;
  downloadLocation: string;
  filesAnalyzed: boolean;
  checksums?: SpdxChecksum[];
  homepage?: string;
  sourceInfo?: string;
  licenseConcluded: string;
  licenseDeclared: string;
  copyrightText: string;
  description?: string;
  externalRefs?: SpdxExternalRef[];
  primaryPackagePurpose: SpdxPackagePurpose;
}

export type SpdxRelationshipType = 'DESCRIBES' | 'DEPENDS_ON' | 'CONTAINS';

export interface SpdxRelationship {
  spdxElementId: string;
  relationshipType: SpdxRelationshipType;
  relatedSpdxElement: string;
}

/** §10 Other licensing information detected: the text behind a LicenseRef-. */
export interface SpdxExtractedLicense {
  licenseId: string;
  extractedText: string;
  name: string;
  comment?: string;
}

export interface SpdxDocument {
  spdxVersion: typeof SPDX_VERSION;
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  comment?: string;
  creationInfo: { created: string; creators: string[]; comment?: string };
  packages: SpdxPackage[];
  relationships: SpdxRelationship[];
  hasExtractedLicensingInfos?: SpdxExtractedLicense[];
}
