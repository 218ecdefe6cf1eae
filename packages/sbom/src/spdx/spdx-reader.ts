/** One `packages[]` entry of an SPDX document, as a reader of someone else's SBOM needs it. */
export interface SpdxPackageSummary {
  SPDXID: string;
  name: string;
  versionInfo: string | null;
  /** Every purl external reference (§7.21 referenceType "purl"), in document order. */
  purls: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The packages of an SPDX 2.x JSON document, in document order, read leniently: the document may
 * come from any tool and need not be schema-valid (validate it first where that matters), so
 * entries without an SPDXID or name are skipped, not fatal. Purls are taken from every external
 * reference of type `purl`, whatever its category: SPDX 2.3 files them under PACKAGE-MANAGER,
 * some writers (osv-scalibr) under SECURITY, and SPDX 2.2 spelled the category PACKAGE_MANAGER.
 */
export function readSpdxPackages(document: unknown): SpdxPackageSummary[] {
  if (!isRecord(document) || !Array.isArray(document['packages'])) return [];
  const out: SpdxPackageSummary[] = [];
  for (const entry of document['packages'] as unknown[]) {
    if (!isRecord(entry)) continue;
    const { SPDXID: id, name, versionInfo, externalRefs } = entry;
    if (typeof id !== 'string' || typeof name !== 'string') continue;
    const purls = (Array.isArray(externalRefs) ? (externalRefs as unknown[]) : [])
      .filter(isRecord)
      .filter((ref) => ref['referenceType'] === 'purl' && typeof ref['referenceLocator'] === 'string')
      .map((ref) => ref['referenceLocator'] as string);
    out.push({ SPDXID: id, name, versionInfo: typeof versionInfo === 'string' ? versionInfo : null, purls });
  }
  return out;
}
