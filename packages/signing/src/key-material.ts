import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError, type ErrorCode } from '@packaging-factory/core';

/**
 * The signature schemes we sign with. Each maps to a Sigstore `PublicKeyDetails` value
 * (protobuf-specs sigstore_common.proto): PKIX_ECDSA_P256_SHA_256, PKIX_ED25519 and
 * PKIX_RSA_PKCS1V15_{2048,3072,4096}_SHA256.
 */
export type SigningAlgorithm = 'ecdsa-p256-sha256' | 'ed25519' | 'rsa-pkcs1v15-sha256';

export const SUPPORTED_KEYS = 'ECDSA P-256, Ed25519 or RSA (2048 bits or more)';

/** A private key ready to sign, with its public half. */
export interface LoadedKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
  algorithm: SigningAlgorithm;
}

/** Where a key input's text came from: inline PEM, or a file the input named. */
export interface KeyText {
  text: string;
  source: 'inline' | 'file';
}

/** sha256 over the DER SubjectPublicKeyInfo, lowercase hex: the key's fingerprint and bundle hint. */
export function keyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** The public key as an SPKI PEM ("BEGIN PUBLIC KEY"), the form cosign and openssl read. */
export function publicKeyPem(publicKey: KeyObject): string {
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

/** True when the value is PEM text rather than a path to a PEM file. */
export function isPemText(value: string): boolean {
  return value.includes('-----BEGIN ');
}

/**
 * A key input is PEM text or a path to a PEM file; both are accepted. The value itself is never
 * echoed in errors: a malformed secret must not end up in a log line.
 */
export async function readKeyText(value: string, workDir: string, inputName: string, code: ErrorCode): Promise<KeyText> {
  if (isPemText(value)) return { text: value, source: 'inline' };
  if (value.includes('\n') || value.length > 4096) {
    throw new FactoryError(code, `input '${inputName}' is neither PEM text nor a path to a PEM file`, {
      subject: inputName,
      hint: 'pass the PEM text (with its -----BEGIN ...----- line) or the path of a .pem file',
    });
  }
  try {
    return { text: await readFile(path.resolve(workDir, value), 'utf8'), source: 'file' };
  } catch (error) {
    // Only the errno code as cause: the system message quotes the path, which may be a mistyped secret.
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new FactoryError(code, `input '${inputName}' is not PEM text and does not name a readable file (${reason})`, {
      subject: inputName,
      hint: 'pass the PEM text (with its -----BEGIN ...----- line) or the path of a .pem file',
    });
  }
}

/** The labels of the PEM blocks in a text (`PRIVATE KEY`, `PUBLIC KEY`, ...). */
function pemLabels(text: string): string[] {
  return [...text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----/g)].map((m) => m[1] ?? '');
}

/**
 * Every string a private key PEM could leak as: the whole text, the base64 body on one line, and
 * each body line (GitHub masks secrets line by line, so a multi-line secret must be masked per line).
 */
export function secretFragments(pem: string): string[] {
  const fragments = new Set<string>([pem, pem.trim()]);
  const body = pem
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('-----') && !/^[A-Za-z-]+:/.test(line));
  if (body.length > 0) fragments.add(body.join(''));
  for (const line of body) if (line.length >= 16) fragments.add(line);
  return [...fragments].filter((f) => f.length > 0);
}

/** Parses a private key PEM (PKCS#8, SEC1 or PKCS#1; encrypted PKCS#8 with a passphrase). */
export function parsePrivateKey(pem: string, passphrase: string | undefined, inputName = 'key'): LoadedKeyPair {
  const labels = pemLabels(pem);
  const hint = `give the private key as PEM (${SUPPORTED_KEYS}), e.g. from 'openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256'`;
  if (labels.length === 0) {
    throw new FactoryError('SIGN_KEY_INVALID', `input '${inputName}' holds no PEM block`, { subject: inputName, hint });
  }
  if (labels.every((l) => l === 'PUBLIC KEY' || l === 'CERTIFICATE' || l === 'RSA PUBLIC KEY')) {
    throw new FactoryError('SIGN_KEY_INVALID', `input '${inputName}' holds a public key or certificate; signing needs the private key`, {
      subject: inputName,
      hint: 'pass the private key here; the public key is what consumers use to verify',
    });
  }
  if (labels.some((l) => l.includes('SIGSTORE') || l.includes('COSIGN'))) {
    // cosign's own key format encrypts with scrypt + NaCl secretbox, which node:crypto cannot open.
    throw new FactoryError('SIGN_KEY_INVALID', `input '${inputName}' holds a cosign-format encrypted key, which is not supported`, {
      subject: inputName,
      hint: 'use a PKCS#8 PEM key (optionally encrypted: openssl pkcs8 -topk8 -v2 aes-256-cbc)',
    });
  }
  if (labels.includes('ENCRYPTED PRIVATE KEY') && (passphrase === undefined || passphrase === '')) {
    throw new FactoryError('SIGN_KEY_INVALID', `input '${inputName}' is an encrypted private key and no passphrase was given`, {
      subject: 'key-passphrase',
      hint: "set the 'key-passphrase' input (from a secret)",
    });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(
      passphrase === undefined || passphrase === '' ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase },
    );
  } catch (error) {
    const encrypted = labels.includes('ENCRYPTED PRIVATE KEY');
    throw new FactoryError(
      'SIGN_KEY_INVALID',
      encrypted
        ? `input '${inputName}' could not be decrypted with the given passphrase`
        : `input '${inputName}' is not a readable private key PEM`,
      { cause: error, subject: encrypted ? 'key-passphrase' : inputName, hint: encrypted ? 'check the key-passphrase secret' : hint },
    );
  }
  const algorithm = algorithmOf(privateKey, inputName, 'SIGN_KEY_INVALID');
  return { privateKey, publicKey: createPublicKey(privateKey), algorithm };
}

/** Parses a public key (SPKI PEM, or a certificate whose key is used). Refuses private keys. */
export function parsePublicKey(text: string, inputName = 'key', code: ErrorCode = 'INPUT_INVALID'): KeyObject {
  const labels = pemLabels(text);
  if (labels.some((l) => l.includes('PRIVATE KEY'))) {
    throw new FactoryError(code, `input '${inputName}' holds a private key; verification takes the public key only`, {
      subject: inputName,
      hint: "pass the public key PEM (the sign stage's 'public-key' output), and rotate the private key if it was exposed",
    });
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: text, format: 'pem' });
  } catch (error) {
    throw new FactoryError(code, `input '${inputName}' is not a readable public key PEM`, {
      cause: error,
      subject: inputName,
      hint: 'pass a PEM public key (-----BEGIN PUBLIC KEY-----) or its file path',
    });
  }
  algorithmOf(publicKey, inputName, code);
  return publicKey;
}

/** The signature scheme a key implies; anything else is refused naming what we accept. */
export function algorithmOf(key: KeyObject, inputName: string, code: ErrorCode): SigningAlgorithm {
  const type = key.asymmetricKeyType;
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ed25519') return 'ed25519';
  if (type === 'ec' && details.namedCurve === 'prime256v1') return 'ecdsa-p256-sha256';
  if (type === 'rsa' && (details.modulusLength ?? 0) >= 2048) return 'rsa-pkcs1v15-sha256';
  const what =
    type === 'ec'
      ? `EC key on curve ${details.namedCurve ?? 'unknown'}`
      : type === 'rsa'
        ? `RSA key of ${details.modulusLength ?? 0} bits`
        : `${type ?? 'unknown'} key`;
  throw new FactoryError(code, `input '${inputName}' is an unsupported ${what}`, {
    subject: inputName,
    hint: `use ${SUPPORTED_KEYS}`,
  });
}

/** The digest node:crypto signs with: Ed25519 is PureEdDSA (no prehash), the others hash with SHA-256. */
export function digestFor(algorithm: SigningAlgorithm): 'sha256' | null {
  return algorithm === 'ed25519' ? null : 'sha256';
}
