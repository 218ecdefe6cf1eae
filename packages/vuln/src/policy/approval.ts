import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier, type Signer } from '@sigstore/verify';
import { verifyBundleWithKey } from '@packaging-factory/signing';
import { describeReviewer, type SecurityPolicy, type SecurityReviewer } from './security-policy.ts';

/** Who approved a file: a key (by fingerprint) or a keyless identity with its issuer. */
export type Approver =
  { kind: 'key'; fingerprint: string; reviewer: string } | { kind: 'keyless'; identity: string; issuer: string; reviewer: string };

export interface Approval {
  approved: boolean;
  approver?: Approver;
  /** Why it is or is not approved, for the report. */
  reason: string;
}

/**
 * Checks that `bundlePath` holds a Sigstore bundle signing exactly `bytes` (a message signature;
 * a DSSE attestation is not an approval of the file) by one of the policy's security reviewers.
 *
 * - Key reviewers: the bundle must verify with the reviewer's public key (the signing package's
 *   verifier, no witnesses).
 * - Keyless reviewers: the bundle is verified with @sigstore/verify against the policy's trusted
 *   root (certificate chain to a Fulcio CA, SCT, transparency log entry and a timestamp, each
 *   threshold 1, as cosign does), then the certificate's SAN and OIDC issuer must equal a listed
 *   reviewer's `identity` and `issuer` exactly.
 *
 * Never throws for an unapproved file: a missing bundle, a bad signature, an altered file or an
 * unlisted signer is a result with `approved: false` and the reason.
 */
export async function verifyApproval(bytes: Buffer, bundlePath: string | undefined, policy: SecurityPolicy | undefined): Promise<Approval> {
  if (policy === undefined) return { approved: false, reason: 'no scan policy names the security reviewers who may approve it' };
  if (bundlePath === undefined) return { approved: false, reason: 'no approval bundle (a Sigstore bundle signed by a security reviewer)' };
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(JSON.parse(await readFile(bundlePath, 'utf8')));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      approved: false,
      reason: code === 'ENOENT' ? `approval bundle ${bundlePath} does not exist` : `approval bundle ${bundlePath} is not a Sigstore bundle`,
    };
  }
  if (bundle.content.$case !== 'messageSignature') {
    return { approved: false, reason: 'the approval bundle is a DSSE attestation, not a signature over the file' };
  }
  // The bundle records the digest it signed; a file changed after approval no longer matches it.
  const digest = createHash('sha256').update(bytes).digest();
  const recorded = bundle.content.messageSignature.messageDigest?.digest;
  if (recorded === undefined || !digest.equals(recorded)) {
    return { approved: false, reason: 'the file differs from the one the approval bundle signed (altered after approval?)' };
  }
  const material = bundle.verificationMaterial.content.$case;
  if (material === 'publicKey') return approveWithKey(bundle, bytes, policy.reviewers);
  return approveKeyless(bundle, bytes, policy);
}

function approveWithKey(bundle: Bundle, bytes: Buffer, reviewers: readonly SecurityReviewer[]): Approval {
  const keyReviewers = reviewers.filter((r) => r.kind === 'key');
  if (keyReviewers.length === 0)
    return { approved: false, reason: 'the bundle is signed with a key, and the policy lists no key reviewers' };
  let lastReason = 'the signature does not verify with any listed reviewer key';
  for (const reviewer of keyReviewers) {
    const result = verifyBundleWithKey(bundle, reviewer.publicKey, bytes);
    if (result.ok) {
      return {
        approved: true,
        approver: { kind: 'key', fingerprint: result.fingerprint, reviewer: describeReviewer(reviewer) },
        reason: `signed by ${describeReviewer(reviewer)}`,
      };
    }
    // A hint naming this reviewer's key with a failing signature is the telling reason.
    const hint = bundle.verificationMaterial.content.$case === 'publicKey' ? bundle.verificationMaterial.content.publicKey.hint : '';
    if (hint === reviewer.fingerprint) lastReason = `the signature does not verify with ${describeReviewer(reviewer)}: ${result.reason}`;
  }
  return { approved: false, reason: lastReason };
}

function approveKeyless(bundle: Bundle, bytes: Buffer, policy: SecurityPolicy): Approval {
  const keyless = policy.reviewers.filter((r) => r.kind === 'keyless');
  if (keyless.length === 0) {
    return { approved: false, reason: 'the bundle is signed keyless (a certificate), and the policy lists no keyless reviewers' };
  }
  if (policy.trustedRoot === undefined) {
    return { approved: false, reason: 'the bundle is signed keyless, and no trusted root is configured (policy trusted-root)' };
  }
  let signer: Signer;
  try {
    const verifier = new Verifier(toTrustMaterial(policy.trustedRoot), { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 });
    signer = verifier.verify(toSignedEntity(bundle, bytes));
  } catch (error) {
    return { approved: false, reason: `the keyless bundle does not verify: ${error instanceof Error ? error.message : String(error)}` };
  }
  const identity = signer.identity?.subjectAlternativeName;
  const issuer = signer.identity?.extensions?.issuer;
  if (identity === undefined || issuer === undefined) {
    return { approved: false, reason: 'the signing certificate names no identity or no OIDC issuer' };
  }
  const reviewer = keyless.find((r) => r.identity === identity && r.issuer === issuer);
  if (reviewer === undefined) {
    return { approved: false, reason: `signed by ${identity} (issuer ${issuer}), who is not a listed security reviewer` };
  }
  return {
    approved: true,
    approver: { kind: 'keyless', identity, issuer, reviewer: describeReviewer(reviewer) },
    reason: `signed by ${identity} (issuer ${issuer})`,
  };
}
