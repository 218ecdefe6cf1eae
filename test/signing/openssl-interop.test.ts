import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import { runStage } from '@packaging-factory/core';
import { signStage } from '@packaging-factory/signing';
import { makeTestSession, tempDir, type TestSession } from '../support/context.ts';
import { requireTool } from './keys.ts';

const sessions: TestSession[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const s of sessions.splice(0)) await s.cleanup();
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

/** The shell lines of the summary's "openssl and jq" block: what a consumer would paste. */
function opensslBlock(summary: string): string[] {
  const start = summary.indexOf('With openssl and jq only:');
  const block = summary.slice(start).split('```sh\n')[1]?.split('```')[0] ?? '';
  return block.split('\n').filter((l) => l.trim() !== '');
}

describe.each([
  ['EC P-256', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']],
  ['Ed25519', ['-algorithm', 'ed25519']],
  ['RSA 2048', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']],
])('keys made by openssl (%s)', (_label, genArgs) => {
  test('sign with an encrypted openssl key; the summary openssl commands verify the artifact and reject a tampered one', async () => {
    if (!requireTool('openssl', 'openssl') || !requireTool('jq', 'jq') || !requireTool('base64', 'coreutils')) return;
    const s = await makeTestSession({ env: { PATH: process.env['PATH'] ?? '' } });
    sessions.push(s);
    const keyDir = await tempDir('factory-openssl-key-');
    dirs.push(keyDir);
    const keyFile = path.join(keyDir, 'signing-key.pem');
    execFileSync('openssl', ['genpkey', ...genArgs, '-aes-256-cbc', '-pass', 'pass:s3cret-pass', '-out', keyFile], { stdio: 'ignore' });
    expect(await readFile(keyFile, 'utf8')).toContain('BEGIN ENCRYPTED PRIVATE KEY');
    await mkdir(path.join(s.dir, 'dist'), { recursive: true });
    const artifact = path.join(s.dir, 'dist', 'tool_2.1.0_linux_amd64.tar.gz');
    await writeFile(artifact, Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251)));

    const outcome = await runStage(
      signStage,
      {
        files: [artifact],
        key: keyFile,
        keyPassphrase: 's3cret-pass',
        ephemeralKey: false,
        outputDir: path.join(s.dir, 'factory-out/signatures'),
      },
      await s.contextFor('sign'),
    );
    expect(outcome.exitCode).toBe(0);
    // The fingerprint is sha256 over the DER SPKI, the same as openssl computes it.
    const der = execFileSync('openssl', ['pkey', '-in', keyFile, '-passin', 'pass:s3cret-pass', '-pubout', '-outform', 'DER']);
    const opensslFingerprint = execFileSync('openssl', ['dgst', '-sha256', '-r'], { input: der }).toString().split(' ')[0];
    expect(outcome.result!.outputValues['key-fingerprint']).toBe(opensslFingerprint);

    const lines = opensslBlock(outcome.result!.summary);
    expect(lines).toHaveLength(2);
    const run = (): ReturnType<typeof spawnSync> =>
      spawnSync('bash', ['-euo', 'pipefail', '-c', lines.join('\n')], { cwd: s.dir, encoding: 'utf8' });
    const good = run();
    expect(`${String(good.stdout)}${String(good.stderr)}`).toMatch(/Verified OK|Signature Verified Successfully/);
    expect(good.status).toBe(0);

    const bytes = await readFile(artifact);
    bytes[100] = bytes[100]! ^ 0x80;
    await writeFile(artifact, bytes);
    const bad = run();
    expect(bad.status).not.toBe(0);
  });
});
