import { readFile } from 'node:fs/promises';
import { bundleFromJSON, bundleToJSON, envelopeToJSON, type Bundle } from '@sigstore/bundle';
import { FactoryError, writeFileAtomic, type ErrorCode } from '@packaging-factory/core';

/** The file name of an artifact's bundle, as cosign and the GitHub CLI name them. */
export function bundleFileName(artifactName: string): string {
  return `${artifactName}.sigstore.json`;
}

/** The bundle's JSON text (protobuf JSON mapping, as every Sigstore client writes it). */
export function serializeBundle(bundle: Bundle): string {
  return `${JSON.stringify(bundleToJSON(bundle), null, 2)}\n`;
}

/** Writes a bundle atomically. */
export async function writeBundle(file: string, bundle: Bundle): Promise<void> {
  await writeFileAtomic(file, serializeBundle(bundle));
}

/**
 * The DSSE envelope of a bundle as one JSON line: the `.intoto.jsonl` form that
 * slsa-github-generator publishes (payload, payloadType, signatures[{keyid, sig}]).
 */
export function dsseEnvelopeLine(bundle: Bundle): string {
  if (bundle.content.$case !== 'dsseEnvelope') throw new Error('bug: dsseEnvelopeLine needs a DSSE bundle');
  return `${JSON.stringify(envelopeToJSON(bundle.content.dsseEnvelope))}\n`;
}

/** Reads and parses a bundle file; a missing file and a malformed one get the given codes. */
export async function readBundle(
  file: string,
  codes: { missing: ErrorCode; invalid: ErrorCode } = { missing: 'VERIFY_BUNDLE_MISSING', invalid: 'VERIFY_FAILED' },
): Promise<Bundle> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new FactoryError(codes.missing, `signature bundle ${file} cannot be read`, {
      cause: error,
      subject: file,
      hint: 'download the .sigstore.json bundle published next to the artifact, or point bundle / bundle-dir at it',
    });
  }
  try {
    return bundleFromJSON(JSON.parse(text));
  } catch (error) {
    throw new FactoryError(codes.invalid, `${file} is not a valid Sigstore bundle`, { cause: error, subject: file });
  }
}
