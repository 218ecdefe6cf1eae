import type { KeyObject } from 'node:crypto';
import path from 'node:path';
import { digestFile, FactoryError } from '@packaging-factory/core';
import { parsePublicKey, readBundle, verifyBundleWithKey } from '@packaging-factory/signing';
import { IN_TOTO_PAYLOAD_TYPE, type InTotoStatement } from './in-toto-statement.ts';
import { validateStatement } from './statement-validator.ts';

/** A DSSE attestation bundle that verified, with its statement. */
export interface VerifiedAttestation {
  statement: InTotoStatement<unknown>;
  fingerprint: string;
}

/**
 * Verifies an attestation bundle (provenance or evidence pack) against a public key, checks the
 * statement against the in-toto spec, and, for each file given, that a subject with its name
 * carries its sha256. Throws VERIFY_FAILED naming what did not match.
 */
export async function verifyAttestation(
  bundlePath: string,
  publicKeyPem: string | KeyObject,
  subjectFiles: readonly string[] = [],
): Promise<VerifiedAttestation> {
  const publicKey = typeof publicKeyPem === 'string' ? parsePublicKey(publicKeyPem, 'key') : publicKeyPem;
  const bundle = await readBundle(bundlePath);
  const result = verifyBundleWithKey(bundle, publicKey);
  if (!result.ok) {
    throw new FactoryError('VERIFY_FAILED', `${path.basename(bundlePath)}: attestation signature verification failed: ${result.reason}`, {
      cause: result.cause,
      subject: bundlePath,
    });
  }
  if (result.kind !== 'dsse' || result.payload === undefined || result.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new FactoryError('VERIFY_FAILED', `${path.basename(bundlePath)} is not a DSSE bundle of an in-toto statement`, {
      subject: bundlePath,
    });
  }
  let statement: InTotoStatement<unknown>;
  try {
    statement = JSON.parse(result.payload.toString('utf8')) as InTotoStatement<unknown>;
  } catch (error) {
    throw new FactoryError('VERIFY_FAILED', `${path.basename(bundlePath)}: the signed payload is not JSON`, {
      cause: error,
      subject: bundlePath,
    });
  }
  const validation = validateStatement(statement);
  if (!validation.valid) {
    throw new FactoryError(
      'VERIFY_FAILED',
      `${path.basename(bundlePath)}: the signed statement breaks the in-toto spec: ${validation.errors.slice(0, 5).join('; ')}`,
      {
        subject: bundlePath,
      },
    );
  }
  for (const file of subjectFiles) {
    const name = path.basename(file);
    const sha256 = await digestFile(file);
    const subject = statement.subject.find((s) => s.name === name);
    if (subject === undefined) {
      throw new FactoryError('VERIFY_FAILED', `${name} is not a subject of ${path.basename(bundlePath)}`, { subject: file });
    }
    if (subject.digest?.['sha256'] !== sha256) {
      throw new FactoryError(
        'VERIFY_FAILED',
        `${name}: sha256 ${sha256} differs from the attested ${subject.digest?.['sha256'] ?? '(none)'}`,
        {
          subject: file,
        },
      );
    }
  }
  return { statement, fingerprint: result.fingerprint };
}
