export type { ArtifactSigner, SignerIdentity } from './artifact-signer.ts';
export { KeySigner } from './key-signer.ts';
export {
  algorithmOf,
  isPemText,
  keyFingerprint,
  parsePrivateKey,
  parsePublicKey,
  publicKeyPem,
  readKeyText,
  secretFragments,
  SUPPORTED_KEYS,
  type KeyText,
  type LoadedKeyPair,
  type SigningAlgorithm,
} from './key-material.ts';
export { verifyBundleWithKey, type BundleVerification, type BundleVerificationResult } from './bundle-verifier.ts';
export { bundleFileName, dsseEnvelopeLine, readBundle, serializeBundle, writeBundle } from './bundle-file.ts';
export { verifyArtifact, type VerifiedArtifact } from './verify-artifact.ts';
export { EPHEMERAL_KEY_WARNING, resolveSigner, type SignerOptions } from './resolve-signer.ts';
export { recordSigstoreLibraries, sigstoreLibraries } from './sigstore-libraries.ts';
export { consumerCommands, shellQuote, type CommandContext } from './verify-commands.ts';
export { sign, signStage, type SignOptions } from './sign-stage.ts';
export { verify, verifyStage, type VerifyOptions } from './verify-stage.ts';
