import { generateKeyPairSync } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isFactoryError } from '@packaging-factory/core';
import { KeySigner, serializeBundle } from '@packaging-factory/signing';
import { loadExceptionSet, loadSecurityPolicy, verifyApproval } from '@packaging-factory/vuln';
import { tempDir } from '../support/context.ts';
import { startSigstoreFakes, type SigstoreFakes } from './sigstore-fakes.ts';

const EXCEPTIONS = `version: 1
exceptions:
  - id: CVE-2021-23337
    package: pkg:npm/lodash@4.17.*
    status: not_affected
    justification: vulnerable_code_not_in_execute_path
    reason: template() is never called with user input
    owner: platform-team
    expires: 2099-12-31
    ticket: SEC-42
`;

function newKey(): { signer: KeySigner; pem: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signer = KeySigner.fromPrivateKey(privateKey);
  return { signer, pem: signer.publicKeyPem };
}

describe('approval of an exceptions file by a key reviewer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('vuln-policy-approval-');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function setUp(): Promise<{ exceptions: string; bundle: string; policy: string; reviewer: KeySigner }> {
    const reviewer = newKey();
    await writeFile(path.join(dir, 'security.pub'), reviewer.pem);
    const policy = path.join(dir, 'policy.yml');
    await writeFile(policy, 'version: 1\nsecurity-reviewers:\n  - name: security team\n    public-key: security.pub\n');
    const exceptions = path.join(dir, 'exceptions.yml');
    await writeFile(exceptions, EXCEPTIONS);
    const bundle = path.join(dir, 'exceptions.yml.sigstore.json');
    await writeFile(bundle, serializeBundle(await reviewer.signer.signArtifact(Buffer.from(EXCEPTIONS))));
    return { exceptions, bundle, policy, reviewer: reviewer.signer };
  }

  test('a bundle over the exact bytes by a listed key approves every entry', async () => {
    const { exceptions, bundle, policy, reviewer } = await setUp();
    const set = await loadExceptionSet({ file: exceptions, bundle, policy: await loadSecurityPolicy(policy), now: new Date('2025-01-01') });
    expect(set.approved).toBe(true);
    expect(set.approver).toEqual({
      kind: 'key',
      fingerprint: reviewer.identity.kind === 'key' ? reviewer.identity.fingerprint : '',
      reviewer: expect.stringContaining('security team') as unknown,
    });
    expect(set.entries.map((e) => e.state)).toEqual(['active']);
  });

  test('an exceptions file changed after approval is ignored and reported as unapproved', async () => {
    const { exceptions, bundle, policy } = await setUp();
    await writeFile(exceptions, EXCEPTIONS.replace('2099-12-31', '2199-12-31'));
    const set = await loadExceptionSet({ file: exceptions, bundle, policy: await loadSecurityPolicy(policy), now: new Date('2025-01-01') });
    expect(set.approved).toBe(false);
    expect(set.entries[0]).toMatchObject({
      state: 'unapproved',
      reason: expect.stringContaining('differs from the one the approval bundle signed') as unknown,
    });
  });

  test('a signature by a key the policy does not list approves nothing', async () => {
    const { bundle, policy } = await setUp();
    const stranger = newKey();
    await writeFile(bundle, serializeBundle(await stranger.signer.signArtifact(Buffer.from(EXCEPTIONS))));
    const approval = await verifyApproval(Buffer.from(EXCEPTIONS), bundle, await loadSecurityPolicy(policy));
    expect(approval).toEqual({ approved: false, reason: 'the signature does not verify with any listed reviewer key' });
  });

  test('a tampered signature is refused', async () => {
    const { bundle, policy } = await setUp();
    const json = JSON.parse(await readFile(bundle, 'utf8')) as { messageSignature: { signature: string } };
    const signature = Buffer.from(json.messageSignature.signature, 'base64');
    signature[signature.length - 1] = signature[signature.length - 1]! ^ 0x01;
    json.messageSignature.signature = signature.toString('base64');
    await writeFile(bundle, JSON.stringify(json));
    const approval = await verifyApproval(Buffer.from(EXCEPTIONS), bundle, await loadSecurityPolicy(policy));
    expect(approval.approved).toBe(false);
    expect(approval.reason).toMatch(/does not verify/);
  });

  test('no bundle, or a bundle path that does not exist, is unapproved', async () => {
    const { exceptions, policy } = await setUp();
    const loaded = await loadSecurityPolicy(policy);
    const none = await loadExceptionSet({ file: exceptions, policy: loaded, now: new Date('2025-01-01') });
    expect(none.entries[0]).toMatchObject({ state: 'unapproved', reason: expect.stringContaining('no approval bundle') as unknown });
    const missing = await verifyApproval(Buffer.from(EXCEPTIONS), path.join(dir, 'nope.json'), loaded);
    expect(missing.reason).toMatch(/does not exist/);
  });

  test('a policy reviewer with both a key and a keyless identity is refused, naming the reviewer', async () => {
    const policy = path.join(dir, 'bad-policy.yml');
    await writeFile(
      policy,
      'security-reviewers:\n  - public-key: x.pub\n    identity: a@example.com\n    issuer: https://issuer.example\n',
    );
    const error = await loadSecurityPolicy(policy).catch((e: unknown) => e);
    expect(isFactoryError(error) && error.code).toBe('SCAN_POLICY_INVALID');
    expect((error as Error).message).toContain('security-reviewers[0]');
  });
});

describe('approval by a keyless reviewer (Fulcio, Rekor and TSA fakes on loopback)', () => {
  let fakes: SigstoreFakes;
  let other: SigstoreFakes;
  let dir: string;
  const identity = 'https://github.com/acme/security/.github/workflows/approve.yml@refs/heads/main';
  const issuer = 'https://token.actions.githubusercontent.com';

  beforeAll(async () => {
    fakes = await startSigstoreFakes();
    other = await startSigstoreFakes();
  });
  afterAll(async () => {
    await fakes.close();
    await other.close();
  });
  beforeEach(async () => {
    dir = await tempDir('vuln-policy-keyless-');
    await writeFile(path.join(dir, 'trusted_root.json'), JSON.stringify(fakes.trustedRoot));
    await writeFile(path.join(dir, 'other_root.json'), JSON.stringify(other.trustedRoot));
    await writeFile(path.join(dir, 'exceptions.yml'), EXCEPTIONS);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function policyFor(reviewerIdentity: string, reviewerIssuer: string, root = 'trusted_root.json'): Promise<string> {
    const file = path.join(dir, 'policy.yml');
    await writeFile(
      file,
      `version: 1\ntrusted-root: ${root}\nsecurity-reviewers:\n  - identity: ${reviewerIdentity}\n    issuer: ${reviewerIssuer}\n`,
    );
    return file;
  }

  async function signedBundle(subject = identity, by = issuer): Promise<string> {
    const bundle = path.join(dir, 'exceptions.yml.sigstore.json');
    await writeFile(bundle, await fakes.signKeyless(Buffer.from(EXCEPTIONS), { subject, issuer: by }));
    return bundle;
  }

  test('a certificate for the listed identity and issuer approves the file', async () => {
    const bundle = await signedBundle();
    const policy = await loadSecurityPolicy(await policyFor(identity, issuer));
    const approval = await verifyApproval(Buffer.from(EXCEPTIONS), bundle, policy);
    expect(approval).toMatchObject({ approved: true, approver: { kind: 'keyless', identity, issuer } });
  });

  test('the same signer under another identity is not a reviewer', async () => {
    const bundle = await signedBundle('https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main');
    const policy = await loadSecurityPolicy(await policyFor(identity, issuer));
    const approval = await verifyApproval(Buffer.from(EXCEPTIONS), bundle, policy);
    expect(approval.approved).toBe(false);
    expect(approval.reason).toContain('who is not a listed security reviewer');
  });

  test('the right identity from another OIDC issuer is not a reviewer', async () => {
    const bundle = await signedBundle(identity, 'https://accounts.example.com');
    const policy = await loadSecurityPolicy(await policyFor(identity, issuer));
    expect((await verifyApproval(Buffer.from(EXCEPTIONS), bundle, policy)).approved).toBe(false);
  });

  test('a bundle whose CA, log and TSA are not in the trusted root does not verify', async () => {
    const bundle = await signedBundle();
    const policy = await loadSecurityPolicy(await policyFor(identity, issuer, 'other_root.json'));
    const approval = await verifyApproval(Buffer.from(EXCEPTIONS), bundle, policy);
    expect(approval.approved).toBe(false);
    expect(approval.reason).toMatch(/does not verify/);
  });

  test('without a trusted root a keyless bundle cannot approve', async () => {
    const bundle = await signedBundle();
    const file = path.join(dir, 'policy.yml');
    await writeFile(file, `security-reviewers:\n  - identity: ${identity}\n    issuer: ${issuer}\n`);
    const approval = await verifyApproval(Buffer.from(EXCEPTIONS), bundle, await loadSecurityPolicy(file));
    expect(approval).toEqual({ approved: false, reason: expect.stringContaining('no trusted root is configured') as unknown });
  });
});
