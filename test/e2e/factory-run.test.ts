import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { validateEvidencePack, digestFile, type EvidencePackDocument } from '@packaging-factory/core';
import { verifyArtifact } from '@packaging-factory/signing';
import { repoRoot, runFactory } from './run-cli.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const fixtures = path.resolve(repoRoot, '..', 'shared', 'fixtures');
const PIPELINE = path.join(repoRoot, 'examples', 'hello', 'pipeline.yml');
const STAGES = ['build-package', 'generate-sbom', 'scan', 'sign', 'test-install', 'attest-provenance', 'publish'];

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

async function cyclonedxValidator(): Promise<(doc: unknown) => string[]> {
  const dir = path.join(fixtures, 'cyclonedx', 'schema');
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  for (const name of ['spdx.schema.json', 'jsf-0.82.schema.json']) {
    ajv.addSchema(await readJson<object>(path.join(dir, name)));
  }
  const validate = ajv.compile(await readJson<object>(path.join(dir, 'bom-1.6.schema.json')));
  return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
}

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'factory-e2e-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('factory run examples/hello', () => {
  let out: string;
  let result: Awaited<ReturnType<typeof runFactory>>;
  beforeAll(async () => {
    out = path.join(tmp, 'out');
    result = await runFactory(['run', PIPELINE, '--out', out]);
  }, 300_000);

  test('passes every stage and prints the table', () => {
    expect(result.stderr).not.toMatch(/internal error/i);
    expect(result.code).toBe(0);
    for (const stage of STAGES) expect(result.stdout).toMatch(new RegExp(`^${stage}\\s+passed`, 'm'));
    expect(result.stdout).toContain('pipeline passed');
  });

  test('writes a schema-valid evidence pack with seven passing records and one correlation id', async () => {
    const pack = await readJson<EvidencePackDocument>(path.join(out, 'evidence-pack.json'));
    expect(validateEvidencePack(pack)).toEqual([]);
    expect(pack.records.map((r) => r.stage)).toEqual(STAGES);
    expect(pack.records.every((r) => r.status === 'passed')).toBe(true);
    const events = (await readFile(path.join(out, 'events.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { correlationId: string });
    expect(events.length).toBeGreaterThan(7);
    expect(new Set(events.map((e) => e.correlationId))).toEqual(new Set([pack.correlationId]));
  });

  test('the SBOM is valid CycloneDX 1.6 and lists the npm dependencies inside the .deb', async () => {
    const sbom = await readJson<{ specVersion: string; components: { purl?: string }[] }>(path.join(out, 'sbom.cdx.json'));
    expect((await cyclonedxValidator())(sbom)).toEqual([]);
    expect(sbom.specVersion).toBe('1.6');
    const purls = JSON.stringify(sbom);
    expect(purls).toContain('pkg:npm/minimist@1.2.8');
    expect(purls).toMatch(/pkg:deb\/[a-z]+\/hello-factory@1\.0\.0/);
  });

  test('every signature bundle verifies against the run public key, and a tampered artifact does not', async () => {
    const pack = await readJson<EvidencePackDocument>(path.join(out, 'evidence-pack.json'));
    const sign = pack.records.find((r) => r.stage === 'sign')!;
    expect(sign.details?.['ephemeralKey']).toBe(true);
    const signatures = path.join(out, 'signatures');
    const files = await readdir(signatures);
    const publicKey = files.find((f) => f.endsWith('.pem'));
    expect(publicKey).toBeDefined();
    const pem = await readFile(path.join(signatures, publicKey!), 'utf8');
    const deb = (await readdir(path.join(out, 'packages'))).find((f) => f.endsWith('.deb'))!;
    const debPath = path.join(out, 'packages', deb);
    await expect(verifyArtifact(debPath, path.join(signatures, `${deb}.sigstore.json`), pem)).resolves.toBeDefined();
    const tampered = path.join(tmp, deb);
    const bytes = await readFile(debPath);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 10) ^ 0x01, bytes.length - 10);
    await writeFile(tampered, bytes);
    await expect(verifyArtifact(tampered, path.join(signatures, `${deb}.sigstore.json`), pem)).rejects.toThrow();
  });

  test('the provenance subject digests equal the artifacts', async () => {
    const line = (await readFile(path.join(out, 'attestations', 'provenance.intoto.jsonl'), 'utf8')).trim();
    const envelope = JSON.parse(line) as { payload: string; payloadType: string };
    const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as {
      predicateType: string;
      subject: { name: string; digest: { sha256: string } }[];
      predicate: { runDetails: { metadata: { invocationId: string } } };
    };
    expect(statement.predicateType).toBe('https://slsa.dev/provenance/v1');
    const pack = await readJson<EvidencePackDocument>(path.join(out, 'evidence-pack.json'));
    expect(statement.predicate.runDetails.metadata.invocationId).toBe(pack.correlationId);
    const deb = (await readdir(path.join(out, 'packages'))).find((f) => f.endsWith('.deb'))!;
    const subject = statement.subject.find((s) => s.name === deb);
    expect(subject?.digest.sha256).toBe(await digestFile(path.join(out, 'packages', deb)));
  });

  test('the release directory holds every asset and a SHA256SUMS that matches them', async () => {
    const release = path.join(out, 'release', 'v1.0.0');
    const assets = await readdir(release);
    for (const expected of [
      'SHA256SUMS',
      'sbom.cdx.json',
      'sbom.spdx.json',
      'sbom.spdx.json.sigstore.json',
      'scan-report.json',
      'provenance.intoto.jsonl',
      'evidence-pack.json',
    ]) {
      expect(assets).toContain(expected);
    }
    expect(assets.some((a) => a.endsWith('.deb'))).toBe(true);
    const sums = (await readFile(path.join(release, 'SHA256SUMS'), 'utf8')).trim().split('\n');
    expect(sums.length).toBeGreaterThanOrEqual(assets.length - 2);
    for (const line of sums) {
      const [digest, name] = line.split(/\s+/);
      expect(await digestFile(path.join(release, name!))).toBe(digest);
    }
  });

  test('building the .deb twice gives identical bytes', async () => {
    const second = path.join(tmp, 'out-second');
    const again = await runFactory(['run', PIPELINE, '--out', second]);
    expect(again.code).toBe(0);
    const deb = (await readdir(path.join(out, 'packages'))).find((f) => f.endsWith('.deb'))!;
    expect(await digestFile(path.join(second, 'packages', deb))).toBe(await digestFile(path.join(out, 'packages', deb)));
  }, 300_000);
});

describe('factory run fails closed', () => {
  async function variant(name: string, edit: (dir: string) => Promise<void>): Promise<string> {
    const dir = path.join(tmp, name);
    await cp(path.join(repoRoot, 'examples', 'hello'), dir, { recursive: true, verbatimSymlinks: true });
    await edit(dir);
    return dir;
  }

  test('a blocking vulnerability stops the pipeline before sign and publish (exit 1)', async () => {
    const dir = await variant('vulnerable', async (d) => {
      // Ship an affected minimist (GHSA-xvch-5gv4-984h, critical): the installed package.json and the lockfile agree.
      const lock = path.join(d, 'pkgroot', 'usr', 'lib', 'hello-factory', 'package-lock.json');
      await writeFile(
        lock,
        (await readFile(lock, 'utf8'))
          .replaceAll('minimist/-/minimist-1.2.8.tgz', 'minimist/-/minimist-1.2.5.tgz')
          .replace(/("node_modules\/minimist": \{\s*"version": ")1\.2\.8/, '$11.2.5'),
      );
      const installed = path.join(d, 'pkgroot', 'usr', 'lib', 'hello-factory', 'node_modules', 'minimist', 'package.json');
      await writeFile(installed, (await readFile(installed, 'utf8')).replace(/"version":\s*"1\.2\.8"/, '"version": "1.2.5"'));
    });
    const out = path.join(dir, 'out');
    const run = await runFactory(['run', path.join(dir, 'pipeline.yml'), '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('GHSA-xvch-5gv4-984h');
    const pack = await readJson<EvidencePackDocument>(path.join(out, 'evidence-pack.json'));
    expect(pack.records.map((r) => `${r.stage}:${r.status}`)).toEqual(['build-package:passed', 'generate-sbom:passed', 'scan:failed']);
    expect(pack.records[2]?.errors[0]?.code).toBe('SCAN_BLOCKED');
    await expect(readdir(path.join(out, 'release'))).rejects.toThrow();
    await expect(readdir(path.join(out, 'signatures'))).rejects.toThrow();
  }, 300_000);

  test('a missing vulnerability database fails the scan with exit 2, never a pass', async () => {
    const dir = await variant('no-db', async (d) => {
      await rm(path.join(d, 'osv-db'), { recursive: true });
    });
    const out = path.join(dir, 'out');
    const run = await runFactory(['run', path.join(dir, 'pipeline.yml'), '--out', out]);
    expect(run.code).toBe(2);
    const pack = await readJson<EvidencePackDocument>(path.join(out, 'evidence-pack.json'));
    expect(pack.records.at(-1)).toMatchObject({ stage: 'scan', status: 'failed' });
    expect(pack.records.at(-1)?.errors[0]?.code).toBe('SCAN_DB_UNAVAILABLE');
  }, 300_000);

  test('a pipeline file with an unknown input is rejected with exit 2 naming it', async () => {
    const dir = await variant('bad-config', async (d) => {
      const file = path.join(d, 'pipeline.yml');
      await writeFile(file, (await readFile(file, 'utf8')).replace('fail-on: high', 'fail-on: high\n    fail-onn: low'));
    });
    const run = await runFactory(['run', path.join(dir, 'pipeline.yml'), '--out', path.join(dir, 'out')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('fail-onn');
  });
});
