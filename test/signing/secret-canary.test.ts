import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, expect, test } from '@jest/globals';
import { runStage } from '@packaging-factory/core';
import { secretFragments, signStage, verifyStage } from '@packaging-factory/signing';
import { makeTestSession, tempDir, type TestSession } from '../support/context.ts';
import { ecdsaP256, ed25519 } from './keys.ts';
import { findLeaks, leakForms } from './secret-canary.ts';

const sessions: TestSession[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.cleanup();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function setup(): Promise<{ s: TestSession; files: string[] }> {
  const s = await makeTestSession({ env: { PATH: process.env['PATH'] ?? '' }, correlationId: 'canary-run' });
  sessions.push(s);
  await mkdir(path.join(s.dir, 'dist'), { recursive: true });
  const files = [path.join(s.dir, 'dist', 'app.bin'), path.join(s.dir, 'dist', 'app.txt')];
  await writeFile(files[0]!, Buffer.alloc(4096, 1));
  await writeFile(files[1]!, 'hello\n');
  return { s, files };
}

test('the private key planted as a canary appears in no written file, event or log line', async () => {
  const { s, files } = await setup();
  const passphrase = 'canary-passphrase-0f9e8d7c';
  const key = ecdsaP256(passphrase);
  const ctx = await s.contextFor('sign');
  const outDir = path.join(s.dir, 'factory-out/signatures');
  const signed = await runStage(
    signStage,
    { files, key: key.privatePem, keyPassphrase: passphrase, ephemeralKey: false, outputDir: outDir },
    ctx,
  );
  expect(signed.exitCode).toBe(0);
  // Failure paths carry the key too: a wrong passphrase and a key given as a file.
  const wrong = await runStage(
    signStage,
    { files, key: key.privatePem, keyPassphrase: 'nope-nope', ephemeralKey: false, outputDir: outDir },
    await s.contextFor('sign'),
  );
  expect(wrong.exitCode).toBe(2);
  const verified = await runStage(verifyStage, { files, bundleDir: outDir, key: key.publicPem }, await s.contextFor('verify'));
  expect(verified.exitCode).toBe(0);

  const forms = leakForms(key.privatePem, passphrase);
  expect(forms.length).toBeGreaterThan(5);
  expect(await findLeaks([s.dir], s.logger.text(), forms)).toEqual([]);
  // The stage registered the key and passphrase for masking (the action adapter turns these into ::add-mask::).
  for (const fragment of secretFragments(key.privatePem)) expect(s.logger.secrets.has(fragment)).toBe(true);
  expect(s.logger.secrets.has(passphrase)).toBe(true);
});

test('the canary check itself finds a planted leak (it can fail)', async () => {
  const { s } = await setup();
  const key = ed25519();
  const forms = leakForms(key.privatePem);
  await writeFile(path.join(s.dir, 'oops.log'), `debug: ${key.privatePem.split('\n')[1] ?? ''}\n`);
  expect((await findLeaks([s.dir], '', forms)).length).toBeGreaterThan(0);
  expect((await findLeaks([s.dir], `x ${forms[0] ?? ''}`, forms)).some((l) => l.startsWith('log'))).toBe(true);
});

test('a malformed key is never echoed in errors, records or events', async () => {
  const { s, files } = await setup();
  const canaryBody = 'Q0FOQVJZLWtleS1tYXRlcmlhbC1kby1ub3QtbGVhaw';
  const malformed = `-----BEGIN PRIVATE KEY-----\n${canaryBody}\n-----END PRIVATE KEY-----\n`;
  const keyDir = await tempDir('factory-canary-key-');
  dirs.push(keyDir);
  const outcome = await runStage(
    signStage,
    { files, key: malformed, ephemeralKey: false, outputDir: path.join(s.dir, 'factory-out/signatures') },
    await s.contextFor('sign'),
  );
  expect(outcome.record.errors.map((e) => e.code)).toEqual(['SIGN_KEY_INVALID']);
  // Also a one-line secret that is neither PEM nor a path: treated as a path, never echoed.
  const oneLine = await runStage(
    signStage,
    { files, key: canaryBody, ephemeralKey: false, outputDir: path.join(s.dir, 'factory-out/signatures') },
    await s.contextFor('sign'),
  );
  expect(oneLine.record.errors.map((e) => e.code)).toEqual(['SIGN_KEY_INVALID']);
  expect(await findLeaks([s.dir], s.logger.text(), [canaryBody])).toEqual([]);
});
