import { readFile } from 'node:fs/promises';
import { FactoryError } from '@packaging-factory/core';
import { CYCLONEDX_SPEC_VERSIONS, type CycloneDxSpecVersion, validateCycloneDxJson } from '../cyclonedx/cyclonedx-json.ts';
import { SPDX_VERSION } from '../spdx/spdx-document.ts';
import { validateSpdxDocument } from '../spdx/spdx-schema.ts';

export interface SbomValidation {
  format: 'cyclonedx' | 'spdx';
  specVersion: string;
  /** Schema errors, one per line; empty when the document is valid. */
  errors: string[];
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks an SBOM file against the official schema of its format and version: CycloneDX JSON 1.5 or
 * 1.6 (recognised by `bomFormat` and `specVersion`) or SPDX 2.3 JSON (`spdxVersion`). A file that is
 * not JSON, or another format or version, is SBOM_UNSUPPORTED_FORMAT naming the file; a missing file
 * is FILE_NOT_FOUND. Schema errors are returned, not thrown: the caller decides (exit 1).
 */
export async function validateSbomFile(file: string): Promise<SbomValidation> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'FILE_UNREADABLE';
    throw new FactoryError(code, `cannot read the SBOM ${file}: ${(error as Error).message}`, { subject: file, cause: error });
  }
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new FactoryError('SBOM_UNSUPPORTED_FORMAT', `${file} is not JSON: ${(error as Error).message}`, {
      subject: file,
      hint: 'pass a CycloneDX 1.5/1.6 JSON or SPDX 2.3 JSON document (XML and tag-value are not supported)',
      cause: error,
    });
  }
  const unsupported = (what: string): FactoryError =>
    new FactoryError('SBOM_UNSUPPORTED_FORMAT', `${file} is ${what}`, {
      subject: file,
      hint: 'pass a CycloneDX 1.5/1.6 JSON or SPDX 2.3 JSON document',
    });
  if (!isRecord(document)) throw unsupported('JSON but not an SBOM document (not an object)');
  if (document['bomFormat'] === 'CycloneDX') {
    const version = document['specVersion'];
    if (!CYCLONEDX_SPEC_VERSIONS.includes(version as CycloneDxSpecVersion))
      throw unsupported(`CycloneDX ${JSON.stringify(version)}; only 1.5 and 1.6 are supported`);
    const specVersion = version as CycloneDxSpecVersion;
    return { format: 'cyclonedx', specVersion, errors: await validateCycloneDxJson(text.replace(/^\uFEFF/, ''), specVersion) };
  }
  if ('spdxVersion' in document) {
    const version = document['spdxVersion'];
    if (version !== SPDX_VERSION) throw unsupported(`SPDX ${JSON.stringify(version)}; only ${SPDX_VERSION} is supported`);
    return { format: 'spdx', specVersion: '2.3', errors: validateSpdxDocument(document) };
  }
  throw unsupported('JSON but neither CycloneDX (no bomFormat "CycloneDX") nor SPDX (no spdxVersion)');
}
