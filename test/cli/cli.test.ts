import { generateKeyPairSync } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { runCli, STAGE_COMMANDS } from '@packaging-factory/cli';
import type { EvidencePackDocument } from '@packaging-factory/core';
import { tempDir } from '../support/context.ts';

const root = path.resolve(import.meta.dirname, '..', '..');

async function cli(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
    env: { PATH: process.env['PATH'], ...env },
    cwd,
  });
  return { code, out, err };
}

describe('factory CLI', () => {
  test('no command prints usage and exits 2; --help exits 0; every stage command is listed', async () => {
    const dir = await tempDir('factory-cli-');
    const none = await cli([], dir);
    expect(none.code).toBe(2);
    const help = await cli(['--help'], dir);
    expect(help.code).toBe(0);
    for (const command of STAGE_COMMANDS) expect(help.out).toContain(`factory ${command.name}`);
  });

  test('an unknown command exits 2 and says so', async () => {
    const result = await cli(['frobnicate'], await tempDir('factory-cli-'));
    expect(result.code).toBe(2);
    expect(result.err).toContain("unknown command 'frobnicate'");
  });

  test("a stage command's --help lists its flags: the action's inputs, same names", async () => {
    const result = await cli(['scan', '--help'], await tempDir('factory-cli-'));
    expect(result.code).toBe(0);
    for (const flag of ['--sbom', '--db', '--fail-on', '--output', '--evidence-pack']) expect(result.out).toContain(flag);
    expect(result.out).toContain('one of: critical|high|medium|low|none');
  });

  test('an unknown flag is a usage error (exit 2) naming the flag', async () => {
    const result = await cli(['scan', '--fail-onn', 'low'], await tempDir('factory-cli-'));
    expect(result.code).toBe(2);
    expect(result.err).toContain('--fail-onn');
  });

  test('a bad choice is recorded as a failed stage with exit 2 naming the input', async () => {
    const dir = await tempDir('factory-cli-');
    const result = await cli(['scan', 'sbom.json', '--db', 'db', '--fail-on', 'severe'], dir);
    expect(result.code).toBe(2);
    expect(result.err).toContain("input 'fail-on' must be one of");
    const pack = JSON.parse(await readFile(path.join(dir, 'factory-out', 'evidence-pack.json'), 'utf8')) as EvidencePackDocument;
    expect(pack.records).toHaveLength(1);
    expect(pack.records[0]).toMatchObject({ stage: 'scan', status: 'failed' });
    expect(pack.records[0]?.errors[0]?.code).toBe('INPUT_INVALID');
  });

  test('sign takes its key from FACTORY_KEY, never printing it; verify then passes, and fails on a changed file', async () => {
    const dir = await tempDir('factory-cli-');
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await writeFile(path.join(dir, 'artifact.txt'), 'release payload\n');
    const sign = await cli(['sign', 'artifact.txt', '--output-dir', 'sigs'], dir, { FACTORY_KEY: pem });
    expect(sign.code).toBe(0);
    expect(sign.out + sign.err).not.toContain(pem.split('\n')[1]);
    expect(sign.out).toMatch(/^public-key=.*public-key\.pem$/m);
    const verify = await cli(
      ['verify', 'artifact.txt', '--bundle', 'sigs/artifact.txt.sigstore.json', '--key', 'sigs/public-key.pem'],
      dir,
    );
    expect(verify.code).toBe(0);
    expect(verify.out).toContain('verified=1');
    await writeFile(path.join(dir, 'artifact.txt'), 'release payload, altered\n');
    const tampered = await cli(
      ['verify', 'artifact.txt', '--bundle', 'sigs/artifact.txt.sigstore.json', '--key', 'sigs/public-key.pem'],
      dir,
    );
    expect(tampered.code).toBe(1);
    expect(tampered.err).toContain('VERIFY_FAILED');
    const pack = JSON.parse(await readFile(path.join(dir, 'factory-out', 'evidence-pack.json'), 'utf8')) as EvidencePackDocument;
    expect(pack.records.map((r) => `${r.stage}:${r.status}`)).toEqual(['sign:passed', 'verify:passed', 'verify:failed']);
    expect(new Set(pack.records.map(() => pack.correlationId)).size).toBe(1);
  });

  test('factory run (in process) runs the example end to end, prints the table, and replaces its own output on a re-run', async () => {
    const dir = await tempDir('factory-cli-');
    const out = path.join(dir, 'out');
    const pipeline = path.join(root, 'examples', 'hello', 'pipeline.yml');
    const first = await cli(['run', pipeline, '--out', out, '--correlation-id', 'cli-test-run'], dir);
    expect(first.err).not.toMatch(/internal error/i);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/^publish\s+passed\s+published/m);
    expect(first.err).toContain('▶ [7/7] publish');
    expect(first.err).toContain('EPHEMERAL');
    const pack = JSON.parse(await readFile(path.join(out, 'evidence-pack.json'), 'utf8')) as EvidencePackDocument;
    expect(pack.correlationId).toBe('cli-test-run');
    expect(pack.records).toHaveLength(7);
    const second = await cli(['run', pipeline, '--out', out], dir);
    expect(second.code).toBe(0);
  }, 120_000);

  test('factory run refuses to clear a non-empty directory it did not create', async () => {
    const dir = await tempDir('factory-cli-');
    await writeFile(path.join(dir, 'precious.txt'), 'keep me');
    const result = await cli(['run', path.join(root, 'examples', 'hello', 'pipeline.yml'), '--out', dir], dir);
    expect(result.code).toBe(2);
    expect(result.err).toContain('not empty');
    expect(await readFile(path.join(dir, 'precious.txt'), 'utf8')).toBe('keep me');
  });
});

test('`npx factory --version` works from the repository after npm ci, with no build step', async () => {
  const result = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
    const child = spawn('npx', ['--no-install', 'factory', '--version'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: root,
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'] },
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
  expect(result.code).toBe(0);
  expect(result.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
}, 60_000);
