import { createHash, createPrivateKey as createPrivateKeyFromPem, createPublicKey } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import type { SerializedBundle } from '@sigstore/bundle';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { FactoryError, runStage, type StageOutcome } from '@packaging-factory/core';
import {
  KeySigner,
  signStage,
  verifyArtifact,
  verifyStage,
  type ArtifactSigner,
  type SignOptions,
  type VerifyOptions,
} from '@packaging-factory/signing';
import { makeTestSession, tempDir, type TestSession } from '../support/context.ts';
import { ecdsaP256, ecdsaP384, ed25519, rsa3072, type PemPair } from './keys.ts';

const sessions: TestSession[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.cleanup();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function session(): Promise<TestSession> {
  const s = await makeTestSession({ env: { PATH: process.env['PATH'] ?? '' }, correlationId: 'test-run-1' });
  sessions.push(s);
  return s;
}

/** Writes two small artifacts into the work dir. */
async function artifacts(s: TestSession): Promise<string[]> {
  const dir = path.join(s.dir, 'dist');
  await mkdir(dir, { recursive: true });
  const a = path.join(dir, 'hello_1.0_amd64.deb');
  const b = path.join(dir, 'hello-1.0.tar.gz');
  await writeFile(a, Buffer.from('!<arch>\ndebian-binary   fake but real bytes\n'));
  await writeFile(b, Buffer.alloc(70_000, 7));
  return [a, b];
}

async function sign(s: TestSession, options: Partial<SignOptions> & { files: string[] }): Promise<StageOutcome> {
  const ctx = await s.contextFor('sign');
  return runStage(signStage, { ephemeralKey: false, outputDir: path.join(s.dir, 'factory-out/signatures'), ...options }, ctx);
}

async function verify(s: TestSession, options: VerifyOptions): Promise<StageOutcome> {
  const ctx = await s.contextFor('verify');
  return runStage(verifyStage, options, ctx);
}

function fingerprintOf(publicPem: string): string {
  return createHash('sha256')
    .update(createPublicKey(publicPem).export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function errorCodes(outcome: StageOutcome): string[] {
  return outcome.record.errors.map((e) => e.code);
}

describe.each<[string, () => PemPair, string]>([
  ['ECDSA P-256', () => ecdsaP256(), 'ecdsa-p256-sha256'],
  ['Ed25519', () => ed25519(), 'ed25519'],
  ['RSA 3072', () => rsa3072(), 'rsa-pkcs1v15-sha256'],
])('sign + verify round trip with %s', (_label, makeKey, algorithm) => {
  test('writes one verified v0.3 bundle per artifact, named <artifact>.sigstore.json, and verify passes', async () => {
    const s = await session();
    const files = await artifacts(s);
    const key = makeKey();
    const signed = await sign(s, { files, key: key.privatePem });
    expect(signed.exitCode).toBe(0);
    expect(signed.record.status).toBe('passed');
    const out = path.join(s.dir, 'factory-out/signatures');
    const bundles = signed.result!.outputValues['bundles']!.split('\n');
    expect(bundles).toEqual([path.join(out, 'hello-1.0.tar.gz.sigstore.json'), path.join(out, 'hello_1.0_amd64.deb.sigstore.json')]);
    expect(signed.result!.outputValues['key-fingerprint']).toBe(fingerprintOf(key.publicPem));
    const writtenPublic = await readFile(signed.result!.outputValues['public-key']!, 'utf8');
    expect(fingerprintOf(writtenPublic)).toBe(fingerprintOf(key.publicPem));

    const json = JSON.parse(await readFile(bundles[0]!, 'utf8')) as SerializedBundle;
    expect(json.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(json.verificationMaterial.publicKey?.hint).toBe(fingerprintOf(key.publicPem));
    // No witnesses in key mode; the protobuf JSON mapping omits the empty lists.
    expect(json.verificationMaterial.tlogEntries ?? []).toEqual([]);
    expect(json.verificationMaterial.timestampVerificationData?.rfc3161Timestamps ?? []).toEqual([]);
    expect(json.messageSignature?.messageDigest?.digest).toBe(
      createHash('sha256')
        .update(await readFile(files[1]!))
        .digest('base64'),
    );

    const details = signed.record.details as Record<string, unknown>;
    expect(details['signer']).toEqual({ kind: 'key', fingerprint: fingerprintOf(key.publicPem), algorithm, ephemeral: false });
    expect(details['ephemeralKey']).toBe(false);
    expect(details['bundles']).toHaveLength(2);
    expect(signed.record.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['@sigstore/sign', '@sigstore/verify']));
    expect(signed.record.tools.find((t) => t.name === '@sigstore/sign')?.version).toMatch(/^\d+\.\d+\.\d+/);

    const verified = await verify(s, { files, bundleDir: out, key: key.publicPem });
    expect(verified.record.errors).toEqual([]);
    expect(verified.exitCode).toBe(0);
    expect(verified.result!.outputValues['verified']).toBe('2');
    const plain = await verifyArtifact(files[0]!, bundles[1]!, key.publicPem);
    expect(plain.hintMatches).toBe(true);
  });
});

describe('verify detects tampering', () => {
  async function signedSetup(key: PemPair = ecdsaP256()): Promise<{ s: TestSession; files: string[]; out: string; key: PemPair }> {
    const s = await session();
    const files = await artifacts(s);
    const signed = await sign(s, { files, key: key.privatePem });
    expect(signed.exitCode).toBe(0);
    return { s, files, out: path.join(s.dir, 'factory-out/signatures'), key };
  }

  test.each([
    ['ECDSA', ecdsaP256],
    ['Ed25519', ed25519],
  ])('one flipped artifact byte fails verify with VERIFY_FAILED naming the file (%s)', async (_l, make) => {
    const { s, files, out, key } = await signedSetup(make());
    const bytes = await readFile(files[0]!);
    bytes[10] = bytes[10]! ^ 0x01;
    await writeFile(files[0]!, bytes);
    const outcome = await verify(s, { files, bundleDir: out, key: key.publicPem });
    expect(outcome.exitCode).toBe(1);
    expect(errorCodes(outcome)).toEqual(['VERIFY_FAILED']);
    expect(outcome.record.errors[0]!.message).toContain('hello_1.0_amd64.deb');
    expect(outcome.result!.outputValues['verified']).toBe('1');
  });

  test.each([
    ['ECDSA', ecdsaP256],
    ['Ed25519', ed25519],
  ])('one flipped signature byte in the bundle fails verify (%s)', async (_l, make) => {
    const { s, files, out, key } = await signedSetup(make());
    const bundleFile = path.join(out, 'hello-1.0.tar.gz.sigstore.json');
    const json = JSON.parse(await readFile(bundleFile, 'utf8')) as { messageSignature: { signature: string } };
    const sig = Buffer.from(json.messageSignature.signature, 'base64');
    sig[sig.length - 3] = sig[sig.length - 3]! ^ 0x01;
    json.messageSignature.signature = sig.toString('base64');
    await writeFile(bundleFile, JSON.stringify(json));
    const outcome = await verify(s, { files, bundleDir: out, key: key.publicPem });
    expect(errorCodes(outcome)).toEqual(['VERIFY_FAILED']);
    expect(outcome.record.errors[0]!.message).toContain('hello-1.0.tar.gz');
    await expect(verifyArtifact(files[1]!, bundleFile, key.publicPem)).rejects.toMatchObject({ code: 'VERIFY_FAILED' });
  });

  test('a different public key fails verify', async () => {
    const { s, files, out } = await signedSetup();
    const outcome = await verify(s, { files, bundleDir: out, key: ecdsaP256().publicPem });
    expect(outcome.exitCode).toBe(1);
    expect(errorCodes(outcome)).toEqual(['VERIFY_FAILED', 'VERIFY_FAILED']);
  });

  test('an Ed25519 bundle does not verify with another Ed25519 key', async () => {
    const { files, out } = await signedSetup(ed25519());
    await expect(verifyArtifact(files[0]!, path.join(out, 'hello_1.0_amd64.deb.sigstore.json'), ed25519().publicPem)).rejects.toMatchObject(
      {
        code: 'VERIFY_FAILED',
      },
    );
  });

  test('a bundle whose recorded digest was changed fails even though the signature is intact', async () => {
    const { files, out, key } = await signedSetup();
    const bundleFile = path.join(out, 'hello-1.0.tar.gz.sigstore.json');
    const json = JSON.parse(await readFile(bundleFile, 'utf8')) as { messageSignature: { messageDigest: { digest: string } } };
    json.messageSignature.messageDigest.digest = createHash('sha256').update('something else').digest('base64');
    await writeFile(bundleFile, JSON.stringify(json));
    await expect(verifyArtifact(files[1]!, bundleFile, key.publicPem)).rejects.toThrow(/digest/);
  });

  test('a missing bundle is VERIFY_BUNDLE_MISSING; the default bundle location is next to the file', async () => {
    const { s, files, out, key } = await signedSetup();
    await rm(path.join(out, 'hello-1.0.tar.gz.sigstore.json'));
    const outcome = await verify(s, { files, bundleDir: out, key: key.publicPem });
    expect(errorCodes(outcome)).toEqual(['VERIFY_BUNDLE_MISSING']);
    const nextTo = await verify(s, { files: [files[0]!], key: key.publicPem });
    expect(errorCodes(nextTo)).toEqual(['VERIFY_BUNDLE_MISSING']);
    await writeFile(`${files[0]!}.sigstore.json`, await readFile(path.join(out, 'hello_1.0_amd64.deb.sigstore.json')));
    const found = await verify(s, { files: [files[0]!], key: key.publicPem });
    expect(found.exitCode).toBe(0);
  });

  test('a private key given to verify is refused', async () => {
    const { s, files, out, key } = await signedSetup();
    const outcome = await verify(s, { files, bundleDir: out, key: key.privatePem });
    expect(outcome.exitCode).toBe(2);
    expect((outcome.error as FactoryError).message).toContain("input 'key' holds a private key");
  });
});

describe('sign key handling', () => {
  test('an encrypted PKCS#8 key signs with its passphrase, and fails without it or with a wrong one', async () => {
    const s = await session();
    const files = await artifacts(s);
    const key = ecdsaP256('correct horse battery staple');
    const ok = await sign(s, { files, key: key.privatePem, keyPassphrase: 'correct horse battery staple' });
    expect(ok.exitCode).toBe(0);
    expect(ok.result!.outputValues['key-fingerprint']).toBe(fingerprintOf(key.publicPem));
    const missing = await sign(s, { files, key: key.privatePem });
    expect(errorCodes(missing)).toEqual(['SIGN_KEY_INVALID']);
    expect(missing.record.errors[0]!.subject).toBe('key-passphrase');
    const wrong = await sign(s, { files, key: key.privatePem, keyPassphrase: 'wrong' });
    expect(errorCodes(wrong)).toEqual(['SIGN_KEY_INVALID']);
    expect(wrong.exitCode).toBe(2);
  });

  test('the key input accepts a path to a PEM file', async () => {
    const s = await session();
    const files = await artifacts(s);
    const keyDir = await tempDir('factory-keys-');
    dirs.push(keyDir);
    const key = ed25519();
    await writeFile(path.join(keyDir, 'signing.pem'), key.privatePem);
    const outcome = await sign(s, { files, key: path.join(keyDir, 'signing.pem') });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.result!.outputValues['key-fingerprint']).toBe(fingerprintOf(key.publicPem));
  });

  test.each([
    ['no key and ephemeral-key false', undefined, /input 'key' is empty/],
    [
      'a malformed PEM',
      '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n',
      /not a readable private key/,
    ],
    ['a public key', 'PUBLIC', /holds a public key/],
    ['an unsupported curve', 'P384', /unsupported EC key on curve secp384r1/],
    ['a path that does not exist', '/nonexistent/signing.pem', /does not name a readable file/],
  ])('%s is SIGN_KEY_INVALID naming the key input', async (_label, keyValue, message) => {
    const s = await session();
    const files = await artifacts(s);
    const key = keyValue === 'PUBLIC' ? ecdsaP256().publicPem : keyValue === 'P384' ? ecdsaP384().privatePem : keyValue;
    const outcome = await sign(s, key === undefined ? { files } : { files, key });
    expect(outcome.exitCode).toBe(2);
    expect(errorCodes(outcome)).toEqual(['SIGN_KEY_INVALID']);
    expect(outcome.record.errors[0]!.subject).toBe('key');
    expect(outcome.record.errors[0]!.message).toMatch(message);
    expect(outcome.record.outputs).toEqual([]);
  });

  test('parse reads the declared inputs by their exact names', () => {
    expect(Object.keys(signStage.inputs).sort()).toEqual(['ephemeral-key', 'files', 'key', 'key-passphrase', 'output-dir']);
    expect(Object.keys(signStage.outputs).sort()).toEqual(['bundles', 'key-fingerprint', 'public-key']);
    expect(Object.keys(verifyStage.inputs).sort()).toEqual(['bundle', 'bundle-dir', 'files', 'key']);
    expect(Object.keys(verifyStage.outputs)).toEqual(['verified']);
    const options = signStage.parse({ files: 'a.deb\nb.rpm', 'ephemeral-key': 'true', key: '' }, { workDir: '/w', env: {} });
    // Paths and globs are kept as given; the stage expands them from the working directory when it runs.
    expect(options).toEqual({ files: ['a.deb', 'b.rpm'], ephemeralKey: true, outputDir: '/w/factory-out/signatures' });
    expect(signStage.parse({ files: 'dist/*.deb' }, { workDir: '/w', env: {} }).files).toEqual(['dist/*.deb']);
    expect(verifyStage.parse({ files: 'dist/*', key: 'k.pem', 'bundle-dir': 'sigs' }, { workDir: '/w', env: {} })).toEqual({
      files: ['dist/*'],
      key: 'k.pem',
      bundleDir: '/w/sigs',
    });
    expect(() => signStage.parse({ files: '' }, { workDir: '/w', env: {} })).toThrow(/input 'files' is required/);
  });

  test('two artifacts with one file name are refused before anything is signed', async () => {
    const s = await session();
    const [a] = await artifacts(s);
    await mkdir(path.join(s.dir, 'other'), { recursive: true });
    const twin = path.join(s.dir, 'other', path.basename(a!));
    await writeFile(twin, 'twin');
    const outcome = await sign(s, { files: [a!, twin], key: ecdsaP256().privatePem });
    expect(errorCodes(outcome)).toEqual(['INPUT_INVALID']);
  });
});

describe('ephemeral key', () => {
  test('signs with a one-time P-256 key, publishes its public key and says loudly that it proves integrity only', async () => {
    const s = await session();
    const files = await artifacts(s);
    const outcome = await sign(s, { files, ephemeralKey: true });
    expect(outcome.exitCode).toBe(0);
    const publicKeyPath = outcome.result!.outputValues['public-key']!;
    expect(path.basename(publicKeyPath)).toBe('ephemeral-public-key.pem');
    const details = outcome.record.details as Record<string, unknown>;
    expect(details['ephemeralKey']).toBe(true);
    expect(details['signer']).toMatchObject({ kind: 'key', algorithm: 'ecdsa-p256-sha256', ephemeral: true });
    expect(outcome.record.notes?.join('\n')).toMatch(/integrity only.*not identity/);
    expect(outcome.result!.summary).toContain('EPHEMERAL');
    expect(outcome.result!.summary).toMatch(/integrity only/);
    expect(s.logger.lines.some((l) => l.level === 'warn' && /EPHEMERAL/.test(l.message))).toBe(true);
    const publicPem = await readFile(publicKeyPath, 'utf8');
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    const verified = await verify(s, { files, bundleDir: path.dirname(publicKeyPath), key: publicKeyPath });
    expect(verified.exitCode).toBe(0);
    // The private half never leaves the process: only the public key and bundles were written.
    expect(outcome.record.outputs.map((o) => o.role).sort()).toEqual(['public-key', 'signature', 'signature']);
  });

  test('two ephemeral runs use different keys', () => {
    expect(KeySigner.ephemeral().identity.fingerprint).not.toBe(KeySigner.ephemeral().identity.fingerprint);
  });
});

describe('verification right after signing', () => {
  test('a signer whose bundles do not match its public key fails the stage with SIGN_VERIFY_FAILED and writes nothing', async () => {
    const s = await session();
    const files = await artifacts(s);
    const real = KeySigner.ephemeral();
    const liar: ArtifactSigner = {
      identity: real.identity,
      publicKeyPem: ecdsaP256().publicPem,
      signArtifact: (b) => real.signArtifact(b),
      signDsse: (p, t) => real.signDsse(p, t),
    };
    const outDir = path.join(s.dir, 'factory-out/signatures');
    const outcome = await sign(s, { files, signer: liar, outputDir: outDir });
    expect(outcome.exitCode).toBe(1);
    expect(errorCodes(outcome)).toEqual(['SIGN_VERIFY_FAILED']);
    await expect(readFile(path.join(outDir, 'hello-1.0.tar.gz.sigstore.json'))).rejects.toThrow();
  });
});

describe('library behaviour we rely on or work around', () => {
  test('@sigstore/verify alone rejects a valid Ed25519 message signature (why verifyBundleWithKey swaps in the pure check)', async () => {
    const signer = KeySigner.fromPrivateKey(createPrivateKeyFromPem(ed25519().privatePem));
    const data = Buffer.from('artifact bytes');
    const bundle = await signer.signArtifact(data);
    const publicKey = createPublicKey(signer.publicKeyPem);
    const trust = toTrustMaterial(
      {
        mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
        tlogs: [],
        ctlogs: [],
        certificateAuthorities: [],
        timestampAuthorities: [],
      },
      () => ({ publicKey, validFor: () => true }),
    );
    const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
    // If this starts passing after an upgrade, the workaround in bundle-verifier.ts can go.
    expect(() => verifier.verify(toSignedEntity(bundle, data))).toThrow(/signature verification failed/);
    const ecdsa = KeySigner.ephemeral();
    const ecdsaBundle = await ecdsa.signArtifact(data);
    const ecdsaKey = createPublicKey(ecdsa.publicKeyPem);
    const ecdsaTrust = toTrustMaterial(
      {
        mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
        tlogs: [],
        ctlogs: [],
        certificateAuthorities: [],
        timestampAuthorities: [],
      },
      () => ({ publicKey: ecdsaKey, validFor: () => true }),
    );
    expect(() =>
      new Verifier(ecdsaTrust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(ecdsaBundle, data)),
    ).not.toThrow();
    // And with the default thresholds (1 tlog entry, 1 timestamp), a witness-less bundle is refused.
    expect(() => new Verifier(ecdsaTrust).verify(toSignedEntity(ecdsaBundle, data))).toThrow();
  });
});

describe('globs in files, expanded like generate-sbom and publish do', () => {
  /** The two artifacts plus a third file the .deb glob must not pick up. */
  async function mixed(s: TestSession): Promise<string[]> {
    const files = await artifacts(s);
    await writeFile(path.join(s.dir, 'dist', 'hello_1.0_arm64.deb'), Buffer.from('!<arch>\nanother arch\n'));
    return files;
  }

  test("sign 'dist/*.deb' signs exactly the .deb files, resolved from the working directory", async () => {
    const s = await session();
    await mixed(s);
    const outcome = await sign(s, { files: ['dist/*.deb'], key: ecdsaP256().privatePem });
    expect(outcome.record.errors).toEqual([]);
    expect(outcome.exitCode).toBe(0);
    expect(outcome.record.inputs.map((i) => i.path)).toEqual(['dist/hello_1.0_amd64.deb', 'dist/hello_1.0_arm64.deb']);
    const out = path.join(s.dir, 'factory-out/signatures');
    expect(outcome.result!.outputValues['bundles']!.split('\n')).toEqual([
      path.join(out, 'hello_1.0_amd64.deb.sigstore.json'),
      path.join(out, 'hello_1.0_arm64.deb.sigstore.json'),
    ]);
  });

  test('the same glob through parse (as the action and the CLI pass it) signs the same files', async () => {
    const s = await session();
    await mixed(s);
    const key = ed25519();
    const options = signStage.parse({ files: 'dist/*.deb\ndist/*.tar.gz', key: key.privatePem }, { workDir: s.dir, env: {} });
    const outcome = await runStage(signStage, options, await s.contextFor('sign'));
    expect(outcome.exitCode).toBe(0);
    expect(outcome.record.inputs.map((i) => i.name)).toEqual(['hello-1.0.tar.gz', 'hello_1.0_amd64.deb', 'hello_1.0_arm64.deb']);
    const verified = await verify(s, {
      files: ['dist/*'],
      bundleDir: path.join(s.dir, 'factory-out/signatures'),
      key: key.publicPem,
    });
    expect(verified.record.errors).toEqual([]);
    expect(verified.result!.outputValues['verified']).toBe('3');
  });

  test('a glob that matches nothing is FILE_NOT_FOUND naming the input, and nothing is signed or verified', async () => {
    const s = await session();
    await mixed(s);
    const signed = await sign(s, { files: ['dist/*.rpm'], key: ecdsaP256().privatePem });
    expect(signed.exitCode).toBe(2);
    expect(errorCodes(signed)).toEqual(['FILE_NOT_FOUND']);
    expect(signed.record.errors[0]!.subject).toBe('files');
    expect(signed.record.errors[0]!.message).toContain("input 'files'");
    expect(signed.record.errors[0]!.message).toContain('dist/*.rpm');
    await expect(readFile(path.join(s.dir, 'factory-out/signatures/public-key.pem'))).rejects.toThrow();

    const verified = await verify(s, { files: ['dist/*.rpm'], key: ecdsaP256().publicPem });
    expect(verified.exitCode).toBe(2);
    expect(errorCodes(verified)).toEqual(['FILE_NOT_FOUND']);
    expect(verified.record.errors[0]!.subject).toBe('files');
    // A plain path that does not exist is refused the same way, not read as a glob.
    const missing = await sign(s, { files: ['dist/nope.deb'], key: ecdsaP256().privatePem });
    expect(errorCodes(missing)).toEqual(['FILE_NOT_FOUND']);
    expect(missing.record.errors[0]!.subject).toBe('files');
  });

  test("one 'bundle' with a glob that matches several artifacts is INPUT_INVALID", async () => {
    const s = await session();
    await mixed(s);
    const key = ecdsaP256();
    const signed = await sign(s, { files: ['dist/*.deb'], key: key.privatePem });
    expect(signed.exitCode).toBe(0);
    const bundle = path.join(s.dir, 'factory-out/signatures/hello_1.0_amd64.deb.sigstore.json');
    const outcome = await verify(s, { files: ['dist/*.deb'], bundle, key: key.publicPem });
    expect(errorCodes(outcome)).toEqual(['INPUT_INVALID']);
    expect(outcome.record.errors[0]!.message).toContain('2 artifacts');
    const single = await verify(s, { files: ['dist/*amd64.deb'], bundle, key: key.publicPem });
    expect(single.exitCode).toBe(0);
  });
});
