import type { KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { FactoryError } from '@packaging-factory/core';
import { verifyBundleWithKey, type ArtifactSigner } from '@packaging-factory/signing';
import { IN_TOTO_PAYLOAD_TYPE, statementPayload, type InTotoStatement } from './in-toto-statement.ts';

/** A statement DSSE-signed into a Sigstore bundle, and the exact payload bytes signed. */
export interface SignedStatement {
  bundle: Bundle;
  payload: Buffer;
}

/**
 * DSSE-signs a statement (payloadType application/vnd.in-toto+json) and verifies the bundle right
 * away with @sigstore/verify against the public key: a bundle that does not verify, or that
 * carries other bytes than the ones we meant to sign, is never written.
 */
export async function signStatement(
  statement: InTotoStatement<unknown>,
  signer: ArtifactSigner,
  publicKey: KeyObject,
  what: string,
): Promise<SignedStatement> {
  const payload = statementPayload(statement);
  let bundle: Bundle;
  try {
    bundle = await signer.signDsse(payload, IN_TOTO_PAYLOAD_TYPE);
  } catch (error) {
    if (error instanceof FactoryError) throw error;
    throw new FactoryError('ATTEST_FAILED', `signing the ${what} statement failed`, { cause: error });
  }
  const verification = verifyBundleWithKey(bundle, publicKey);
  if (!verification.ok) {
    throw new FactoryError('SIGN_VERIFY_FAILED', `the ${what} attestation just signed does not verify: ${verification.reason}`, {
      cause: verification.cause,
      hint: 'the signer and its public key disagree; check the key backend',
    });
  }
  if (verification.payloadType !== IN_TOTO_PAYLOAD_TYPE || verification.payload === undefined || !verification.payload.equals(payload)) {
    throw new FactoryError('SIGN_VERIFY_FAILED', `the ${what} attestation verifies but does not carry the statement that was signed`);
  }
  return { bundle, payload };
}
