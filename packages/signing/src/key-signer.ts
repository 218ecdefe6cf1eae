import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { assertBundleLatest, BUNDLE_V03_MEDIA_TYPE, type Bundle } from '@sigstore/bundle';
import { DSSEBundleBuilder, MessageSignatureBundleBuilder, type Signature, type Signer } from '@sigstore/sign';
import { FactoryError } from '@packaging-factory/core';
import type { ArtifactSigner, SignerIdentity } from './artifact-signer.ts';
import { algorithmOf, digestFor, keyFingerprint, publicKeyPem, type SigningAlgorithm } from './key-material.ts';

/**
 * The @sigstore/sign `Signer` for a key held in memory. The bundle builders hand it the bytes to
 * sign: the artifact itself for message signatures, the DSSE PAE for envelopes.
 */
class KeyObjectSigner implements Signer {
  constructor(
    private readonly privateKey: KeyObject,
    private readonly algorithm: SigningAlgorithm,
    private readonly publicPem: string,
    private readonly hint: string,
  ) {}

  sign(data: Buffer): Promise<Signature> {
    const signature = sign(digestFor(this.algorithm), data, this.privateKey);
    return Promise.resolve({ signature, key: { $case: 'publicKey', publicKey: this.publicPem, hint: this.hint } });
  }
}

/**
 * Signs with a private key (PEM secret or a one-time key): Sigstore bundles v0.3 with the key's
 * fingerprint as hint and no witnesses (no Fulcio certificate, no Rekor entry, no timestamp).
 */
export class KeySigner implements ArtifactSigner {
  readonly identity: SignerIdentity;
  readonly publicKeyPem: string;
  private readonly signer: KeyObjectSigner;

  private constructor(privateKey: KeyObject, ephemeral: boolean) {
    const publicKey = createPublicKey(privateKey);
    const algorithm = algorithmOf(privateKey, 'key', 'SIGN_KEY_INVALID');
    this.publicKeyPem = publicKeyPem(publicKey);
    this.identity = { kind: 'key', fingerprint: keyFingerprint(publicKey), algorithm, ephemeral };
    this.signer = new KeyObjectSigner(privateKey, algorithm, this.publicKeyPem, this.identity.fingerprint);
  }

  /** A signer for a private key the caller loaded (see parsePrivateKey). */
  static fromPrivateKey(privateKey: KeyObject, options: { ephemeral?: boolean } = {}): KeySigner {
    return new KeySigner(privateKey, options.ephemeral ?? false);
  }

  /** A one-time ECDSA P-256 key living only in this process: integrity without identity. */
  static ephemeral(): KeySigner {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return new KeySigner(privateKey, true);
  }

  async signArtifact(bytesOrFile: Buffer | string): Promise<Bundle> {
    const data = typeof bytesOrFile === 'string' ? await readArtifact(bytesOrFile) : bytesOrFile;
    const builder = new MessageSignatureBundleBuilder({ signer: this.signer, witnesses: [] });
    const bundle = await builder.create({ data });
    // @sigstore/sign 4.1.x builds message-signature bundles with `certificateChain: true`, which
    // only picks the v0.2 media type (and a chain for certificates). With a public-key hint the
    // content is the same in v0.2 and v0.3 (v0.3 only forbids x509CertificateChain), so we label it
    // v0.3 and let assertBundleLatest confirm it conforms.
    bundle.mediaType = BUNDLE_V03_MEDIA_TYPE;
    assertConforms(bundle);
    return bundle;
  }

  async signDsse(payload: Buffer, payloadType: string): Promise<Bundle> {
    const builder = new DSSEBundleBuilder({ signer: this.signer, witnesses: [] });
    const bundle = await builder.create({ data: payload, type: payloadType });
    assertConforms(bundle);
    return bundle;
  }
}

function assertConforms(bundle: Bundle): void {
  try {
    assertBundleLatest(bundle);
  } catch (error) {
    throw new FactoryError('SIGN_FAILED', 'the signing library produced a bundle that is not a valid Sigstore bundle v0.3', {
      cause: error,
    });
  }
}

async function readArtifact(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    throw new FactoryError('FILE_UNREADABLE', `cannot read ${file} to sign it`, {
      cause: error,
      subject: file,
      hint: 'check that the path exists and is a readable file',
    });
  }
}
