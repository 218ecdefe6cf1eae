import { generateKeyPairSync } from 'node:crypto';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { validateEvidencePack, type EvidencePackDocument } from '@packaging-factory/core';
import { NODE_20, NODE_24, runAction, type ActionRun } from '../support/action-harness.ts';
import { tempDir } from '../support/context.ts';
import { GitHubFake } from '../support/github-fake/github-fake.ts';

const root = path.resolve(import.meta.dirname, '..', '..');
const action = (name: string): string => path.join(root, 'actions', name);
const REPO = 'octo-org/octo-repo';
const TOKEN = 'ghs_harnessTokenValue0123456789';

/**
 * The shipped bundles, chained as a workflow would chain them: each step is `dist/<name>/index.js`
 * run the way the runner runs it (INPUT_* env, file commands), sharing one workspace and evidence pack.
 */
describe.each([
  ['Node 24', NODE_24],
  ['Node 20', NODE_20],
])('dist bundles chained like a workflow under %s', (_label, nodeBinary) => {
  let workspace: string;
  let fake: GitHubFake;
  let privatePem: string;
  const runs: Record<string, ActionRun> = {};
  const step = async (name: string, inputs: Record<string, string>, timeoutMs = 120_000): Promise<ActionRun> => {
    const run = await runAction({
      actionDir: action(name),
      with: inputs,
      nodeBinary,
      workspace,
      services: { apiUrl: fake.apiUrl },
      token: TOKEN,
      repository: REPO,
      timeoutMs,
    });
    runs[name] = run;
    return run;
  };

  beforeAll(async () => {
    workspace = await tempDir('factory-dist-');
    await cp(path.join(root, 'examples', 'hello', 'pkgroot'), path.join(workspace, 'pkgroot'), { recursive: true, verbatimSymlinks: true });
    await cp(path.join(root, 'examples', 'hello', 'osv-db'), path.join(workspace, 'osv-db'), { recursive: true });
    fake = await GitHubFake.start({ repositories: [REPO], token: TOKEN });
    privatePem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  });
  afterAll(async () => {
    await fake.close();
    await Promise.all(Object.values(runs).map((r) => r.cleanup()));
  });

  test('build-package → generate-sbom → scan → sign → test-install → attest-provenance → publish → verify', async () => {
    const build = await step('build-package', {
      'source-dir': 'pkgroot',
      name: 'hello-factory',
      version: '1.0.0',
      maintainer: 'Demo <demo@example.org>',
      description: 'A tiny greeter',
      depends: 'nodejs',
      'source-date-epoch': '1767225600',
    });
    expect(build.errors).toEqual([]);
    expect(build.exitCode).toBe(0);
    expect(build.outputs['file-name']).toBe('hello-factory_1.0.0_all.deb');
    expect(build.summary).toContain('hello-factory');
    const deb = build.outputs['package']!;

    const sbom = await step('generate-sbom', { paths: deb });
    expect(sbom.exitCode).toBe(0);
    expect(Number(sbom.outputs['component-count'])).toBeGreaterThan(3);

    const scan = await step('scan', { sbom: sbom.outputs['sbom']!, db: 'osv-db' });
    expect(scan.exitCode).toBe(0);
    expect(scan.outputs['decision']).toBe('pass');

    const sign = await step('sign', { files: `${deb}\n${sbom.outputs['sbom']!}`, key: privatePem });
    expect(sign.exitCode).toBe(0);
    // The runner is told to mask the key, and the log never shows it.
    expect(sign.masks.some((m) => privatePem.includes(m) && m.length > 20)).toBe(true);
    expect(sign.log).not.toContain(privatePem.split('\n')[1]);
    expect(sign.outputs['bundles']!.split('\n')).toHaveLength(2);

    const install = await step('test-install', { package: deb, command: 'hello-factory --version', 'expect-output': '^1\\.0\\.0$' });
    expect(install.exitCode).toBe(0);
    expect(install.outputs['result']).toBe('passed');

    const attest = await step('attest-provenance', { subjects: `${deb}\n${sbom.outputs['sbom']!}`, key: privatePem });
    expect(attest.exitCode).toBe(0);

    const publish = await step('publish', {
      tag: 'v1.0.0',
      files: [
        deb,
        sbom.outputs['sbom']!,
        scan.outputs['report']!,
        ...sign.outputs['bundles']!.split('\n'),
        attest.outputs['provenance']!,
        attest.outputs['provenance-bundle']!,
      ].join('\n'),
    });
    expect(publish.log).not.toContain(TOKEN);
    expect(publish.exitCode).toBe(0);
    expect(Number(publish.outputs['asset-count'])).toBeGreaterThanOrEqual(7);
    const [release] = fake.releases(REPO);
    expect(release?.draft).toBe(false);
    expect(release?.assets.map((a) => a.name)).toContain('SHA256SUMS');
    fake.assertNoViolations();

    const verify = await step('verify', {
      files: deb,
      bundle: `${sign.outputs['bundles']!.split('\n')[0]!}`,
      key: sign.outputs['public-key']!,
    });
    expect(verify.exitCode).toBe(0);
    expect(verify.outputs['verified']).toBe('1');

    // One pack, one correlation id, every stage recorded as passed, in order.
    const pack = JSON.parse(await readFile(path.join(workspace, 'factory-evidence', 'evidence-pack.json'), 'utf8')) as EvidencePackDocument;
    expect(validateEvidencePack(pack)).toEqual([]);
    expect(pack.records.map((r) => `${r.stage}:${r.status}`)).toEqual([
      'build-package:passed',
      'generate-sbom:passed',
      'scan:passed',
      'sign:passed',
      'test-install:passed',
      'attest-provenance:passed',
      'publish:passed',
      'verify:passed',
    ]);
    expect(pack.run.source).toBe('github-actions');
    expect(new Set(Object.values(runs).map((r) => r.outputs['correlation-id']))).toEqual(new Set([pack.correlationId]));
    expect(JSON.stringify(pack)).not.toContain(privatePem.split('\n')[1]);
  }, 600_000);

  test('a tampered artifact fails verify with exit 1, an error annotation and a failed record', async () => {
    const deb = runs['build-package']!.outputs['package']!;
    const tampered = path.join(workspace, 'tampered.deb');
    const bytes = await readFile(path.resolve(workspace, deb));
    bytes.writeUInt8(bytes.readUInt8(100) ^ 0xff, 100);
    await writeFile(tampered, bytes);
    const verify = await step('verify', {
      files: 'tampered.deb',
      bundle: runs['sign']!.outputs['bundles']!.split('\n')[0]!,
      key: runs['sign']!.outputs['public-key']!,
    });
    expect(verify.exitCode).toBe(1);
    expect(verify.commands.some((c) => c.command === 'error' && /VERIFY_FAILED|does not match|verif/i.test(c.message))).toBe(true);
    const pack = JSON.parse(await readFile(path.join(workspace, 'factory-evidence', 'evidence-pack.json'), 'utf8')) as EvidencePackDocument;
    expect(pack.records.at(-1)).toMatchObject({ stage: 'verify', status: 'failed' });
  }, 120_000);

  test('a missing database fails the scan closed with exit 2', async () => {
    const scan = await step('scan', { sbom: runs['generate-sbom']!.outputs['sbom']!, db: 'no-such-db' });
    expect(scan.exitCode).toBe(2);
    expect(scan.outputs['status']).toBe('failed');
    expect(scan.commands.filter((c) => c.command === 'error').map((c) => c.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/SCAN_DB_UNAVAILABLE/)]),
    );
  }, 120_000);

  test('publish refuses when the evidence pack holds a failed stage (the scan above)', async () => {
    const publish = await step('publish', { tag: 'v9.9.9', files: runs['build-package']!.outputs['package']! });
    expect(publish.exitCode).toBe(1);
    expect(publish.commands.filter((c) => c.command === 'error').map((c) => c.message)).toEqual(
      expect.arrayContaining([expect.stringMatching(/PUBLISH_EVIDENCE_INCOMPLETE/)]),
    );
    expect(fake.releases(REPO).some((r) => r.tagName === 'v9.9.9')).toBe(false);
  }, 120_000);
});
