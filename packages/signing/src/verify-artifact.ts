import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { KeyObject } from 'node:crypto';
import { digestBytes, FactoryError } from '@packaging-factory/core';
import { readBundle } from './bundle-file.ts';
import { verifyBundleWithKey, type BundleVerification } from './bundle-verifier.ts';
import { parsePublicKey } from './key-material.ts';

/** An artifact whose bundle verified against the given key. */
export interface VerifiedArtifact extends BundleVerification {
  file: string;
  bundle: string;
  sha256: string;
}

/**
 * Verifies one artifact against its Sigstore bundle and a public key (PEM text or KeyObject).
 * Throws VERIFY_BUNDLE_MISSING when the bundle cannot be read, VERIFY_FAILED naming the file when
 * the digest, signature or key do not match.
 */
export async function verifyArtifact(file: string, bundlePath: string, publicKeyPem: string | KeyObject): Promise<VerifiedArtifact> {
  const publicKey = typeof publicKeyPem === 'string' ? parsePublicKey(publicKeyPem, 'key') : publicKeyPem;
  let artifact: Buffer;
  try {
    artifact = await readFile(file);
  } catch (error) {
    throw new FactoryError('FILE_NOT_FOUND', `${file} cannot be read`, {
      cause: error,
      subject: file,
      hint: 'check the path; relative paths are resolved from the working directory',
    });
  }
  const bundle = await readBundle(bundlePath);
  const result = verifyBundleWithKey(bundle, publicKey, artifact);
  const name = path.basename(file);
  if (!result.ok) {
    throw new FactoryError('VERIFY_FAILED', `${name}: signature verification failed: ${result.reason}`, {
      cause: result.cause,
      subject: file,
      hint: 'the file, its bundle or the public key is not the one that was signed: download them again from the release',
    });
  }
  if (result.kind !== 'message-signature') {
    throw new FactoryError('VERIFY_FAILED', `${name}: ${bundlePath} is a DSSE attestation bundle, not a signature over the file`, {
      subject: file,
      hint: 'pass the <artifact>.sigstore.json bundle written by the sign stage',
    });
  }
  const { ok: _ok, ...verification } = result;
  return { ...verification, file, bundle: bundlePath, sha256: digestBytes(artifact) };
}
