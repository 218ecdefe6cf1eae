import type { Bundle } from '@sigstore/bundle';
import type { SigningAlgorithm } from './key-material.ts';

/** Who signed: recorded in the evidence pack (never the key itself). Keyless/KMS/HSM add kinds later. */
export interface SignerIdentity {
  kind: 'key';
  /** sha256 of the public key's DER SubjectPublicKeyInfo, hex; also the bundle's key hint. */
  fingerprint: string;
  algorithm: SigningAlgorithm;
  /** A one-time key generated for this run: its signatures prove integrity only, not identity. */
  ephemeral: boolean;
}

/**
 * A signing backend producing Sigstore bundles. Stages depend on this interface only, so later
 * backends (keyless Fulcio, cloud KMS, PKCS#11) slot in without touching the stages.
 */
export interface ArtifactSigner {
  readonly identity: SignerIdentity;
  /** The public key as SPKI PEM: what consumers verify with. */
  readonly publicKeyPem: string;
  /** A message-signature bundle over the artifact's bytes (a Buffer) or a file's content (a path). */
  signArtifact(bytesOrFile: Buffer | string): Promise<Bundle>;
  /** A DSSE-envelope bundle over the payload, signed over its PAE with the payload type. */
  signDsse(payload: Buffer, payloadType: string): Promise<Bundle>;
}
