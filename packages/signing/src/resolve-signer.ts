import { FactoryError, type StageContext } from '@packaging-factory/core';
import type { ArtifactSigner } from './artifact-signer.ts';
import { isPemText, parsePrivateKey, readKeyText, secretFragments } from './key-material.ts';
import { KeySigner } from './key-signer.ts';

/** The key-related options shared by the sign and attest-provenance stages. */
export interface SignerOptions {
  /** Private key PEM text, or a path to a PEM file (input `key`). */
  key?: string;
  /** Passphrase of an encrypted PKCS#8 key (input `key-passphrase`). */
  keyPassphrase?: string;
  /** Generate a one-time ECDSA P-256 key when no key is given (input `ephemeral-key`). */
  ephemeralKey: boolean;
  /** A ready signer from a programmatic caller (the CLI passes one signer to sign and attest). */
  signer?: ArtifactSigner;
}

/**
 * The signer a stage uses: a programmatic one, the `key` input, or a one-time key. Every form the
 * private key could leak as is masked before anything else happens.
 */
export async function resolveSigner(options: SignerOptions, ctx: StageContext): Promise<ArtifactSigner> {
  if (options.keyPassphrase !== undefined && options.keyPassphrase !== '') ctx.exec.mask(options.keyPassphrase);
  if (options.key !== undefined && isPemText(options.key)) for (const fragment of secretFragments(options.key)) ctx.exec.mask(fragment);
  if (options.signer !== undefined) return options.signer;
  if (options.key !== undefined && options.key !== '') {
    const keyText = await readKeyText(options.key, ctx.workDir, 'key', 'SIGN_KEY_INVALID');
    for (const fragment of secretFragments(keyText.text)) ctx.exec.mask(fragment);
    const pair = parsePrivateKey(keyText.text, options.keyPassphrase, 'key');
    return KeySigner.fromPrivateKey(pair.privateKey);
  }
  if (options.ephemeralKey) return KeySigner.ephemeral();
  throw new FactoryError('SIGN_KEY_INVALID', "no signing key: input 'key' is empty and 'ephemeral-key' is false", {
    subject: 'key',
    hint: "pass the private key PEM (or its path) in 'key' from a secret, or set 'ephemeral-key: true' for integrity-only signatures",
  });
}

/** The loud warning every output of an ephemeral-key run carries. */
export const EPHEMERAL_KEY_WARNING =
  'Signed with an EPHEMERAL key generated for this run: these signatures prove integrity only (the files are unchanged since signing), not identity (anyone can make such a key). Distribute the public key through a trusted channel, or sign with a managed key.';
