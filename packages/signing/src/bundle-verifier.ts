import { createHash, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier, type SignedEntity } from '@sigstore/verify';
import { keyFingerprint } from './key-material.ts';

/** What a successful key-based verification established. */
export interface BundleVerification {
  kind: 'message-signature' | 'dsse';
  /** Fingerprint of the key that verified the signature. */
  fingerprint: string;
  /** The hint the bundle carries (unauthenticated: the key given to the verifier is what counts). */
  hint: string;
  hintMatches: boolean;
  mediaType: string;
  /** For DSSE bundles: the signed payload and its type. */
  payload?: Buffer;
  payloadType?: string;
}

export type BundleVerificationResult = ({ ok: true } & BundleVerification) | { ok: false; reason: string; cause?: unknown };

type TrustedRoot = Parameters<typeof toTrustMaterial>[0];

/**
 * An empty trusted root: no CA, TSA, transparency or CT log. Key mode trusts exactly one public
 * key; the key finder below supplies it whatever hint the bundle carries.
 */
const EMPTY_ROOT: TrustedRoot = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

/**
 * Verifies a key-based bundle with @sigstore/verify against one trusted public key. Thresholds are 0
 * because key mode has no witnesses; a bundle that does carry tlog entries or timestamps fails here
 * (their logs and authorities are not in the trust material), which is fail-closed.
 * `artifact` is required for message-signature bundles.
 */
export function verifyBundleWithKey(bundle: Bundle, publicKey: KeyObject, artifact?: Buffer): BundleVerificationResult {
  const keyContent = bundle.verificationMaterial.content;
  if (keyContent.$case !== 'publicKey') {
    return {
      ok: false,
      reason: 'the bundle carries a certificate (keyless signing), not a public key hint; it cannot be verified with a key',
    };
  }
  const hint = keyContent.publicKey.hint;
  const fingerprint = keyFingerprint(publicKey);
  let entity: SignedEntity;
  try {
    if (bundle.content.$case === 'messageSignature') {
      if (artifact === undefined) return { ok: false, reason: 'a message-signature bundle needs the artifact to verify' };
      const messageDigest = bundle.content.messageSignature.messageDigest;
      // The Verifier checks the signature over the artifact but never compares the bundle's
      // messageDigest without a tlog entry: do it here so a bundle naming another digest fails.
      const actual = createHash('sha256').update(artifact).digest();
      if (messageDigest === undefined || !actual.equals(messageDigest.digest)) {
        return { ok: false, reason: "the artifact's sha256 differs from the digest recorded in the bundle" };
      }
      entity = toSignedEntity(bundle, artifact);
      if (publicKey.asymmetricKeyType === 'ed25519') entity = withPureEd25519(entity, artifact, bundle.content.messageSignature.signature);
    } else {
      entity = toSignedEntity(bundle);
    }
  } catch (error) {
    return { ok: false, reason: 'the bundle cannot be read as a signed entity', cause: error };
  }
  const trust = toTrustMaterial(EMPTY_ROOT, () => ({ publicKey, validFor: () => true }));
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  try {
    verifier.verify(entity);
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error), cause: error };
  }
  const result: { ok: true } & BundleVerification = {
    ok: true,
    kind: bundle.content.$case === 'dsseEnvelope' ? 'dsse' : 'message-signature',
    fingerprint,
    hint,
    hintMatches: hint === fingerprint,
    mediaType: bundle.mediaType,
  };
  if (bundle.content.$case === 'dsseEnvelope') {
    result.payload = bundle.content.dsseEnvelope.payload;
    result.payloadType = bundle.content.dsseEnvelope.payloadType;
  }
  return result;
}

/**
 * @sigstore/verify 3.1.x verifies message signatures with `crypto.verify('sha256', ...)`, which
 * OpenSSL rejects for Ed25519 keys (PureEdDSA takes no digest), so every Ed25519 message
 * signature would fail. Sigstore's PKIX_ED25519 signs the artifact bytes themselves (as cosign
 * does), so for Ed25519 only the signature check is swapped for the pure one; key lookup,
 * thresholds and the rest of the Verifier's checks still run.
 */
function withPureEd25519(entity: SignedEntity, artifact: Buffer, signature: Buffer): SignedEntity {
  return {
    ...entity,
    signature: {
      signature: entity.signature.signature,
      compareSignature: (other: Buffer) => entity.signature.compareSignature(other),
      compareDigest: (digest: Buffer) => entity.signature.compareDigest(digest),
      verifySignature: (key: KeyObject) => {
        try {
          return cryptoVerify(null, artifact, key, signature);
        } catch {
          return false;
        }
      },
    },
  };
}
