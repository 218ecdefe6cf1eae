import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { runStage, type EvidencePackDocument, type StageDefinition, type StageOutcome, type StageRecord } from '@packaging-factory/core';
import { buildPackageStage } from '@packaging-factory/formats';
import { generateSbomStage } from '@packaging-factory/sbom';
import { signStage, verifyStage } from '@packaging-factory/signing';
import { scanStage } from '@packaging-factory/vuln';
import { describeWithDpkg, FIXTURES, run } from '../formats/deb-tools.ts';
import { makeTestSession, tempDir, type TestSession } from '../support/context.ts';
import { runFactory, type CliRun } from './run-cli.ts';

/**
 * Hostile and broken inputs, end to end: through the shipped CLI bundle (exit code, stderr, the
 * evidence pack's failed record, nothing written) and through the stage functions with runStage.
 * Every hostile file is built here, in a temp dir: no binary fixtures are committed.
 */

const MTIME = new Date(1_767_225_600_000);

// ---------------------------------------------------------------------------------------------
// Building hostile packages by hand: tar-stream for the tar members, a tiny ar(5) writer for the
// container. dpkg-deb would refuse to build such trees, which is the point.
// ---------------------------------------------------------------------------------------------

interface TarEntrySpec {
  name: string;
  type?: 'file' | 'directory';
  content?: string;
}

/** A tar stream written by tar-stream's packer, names stored exactly as given. */
async function tarBuffer(entries: readonly TarEntrySpec[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack) chunks.push(chunk as Buffer);
  })();
  for (const spec of entries) {
    const type = spec.type ?? 'file';
    const header: Parameters<typeof pack.entry>[0] = {
      name: spec.name,
      type,
      mode: type === 'directory' ? 0o755 : 0o644,
      mtime: MTIME,
      uname: 'root',
      gname: 'root',
    };
    await new Promise<void>((resolve, reject) => {
      const done = (error?: Error | null): void => (error ? reject(error) : resolve());
      if (type === 'file') pack.entry(header, spec.content ?? '', done);
      else pack.entry(header, done);
    });
  }
  pack.finalize();
  await collected;
  return Buffer.concat(chunks);
}

/**
 * An ar(5) archive: the global magic, then per member a 60-byte ASCII header (name/16, mtime/12,
 * uid/6, gid/6, octal mode/8, size/10, "`\n") and the data padded with '\n' to an even offset.
 */
function arArchive(members: readonly { name: string; data: Buffer }[]): Buffer {
  const parts: Buffer[] = [Buffer.from('!<arch>\n', 'latin1')];
  for (const { name, data } of members) {
    const header =
      name.padEnd(16) +
      String(Math.floor(MTIME.getTime() / 1000)).padEnd(12) +
      '0'.padEnd(6) +
      '0'.padEnd(6) +
      '100644'.padEnd(8) +
      String(data.length).padEnd(10) +
      '`\n';
    if (header.length !== 60) throw new Error(`bug: ar header for ${name} is ${header.length} bytes`);
    parts.push(Buffer.from(header, 'latin1'), data);
    if (data.length % 2 === 1) parts.push(Buffer.from('\n', 'latin1'));
  }
  return Buffer.concat(parts);
}

const CONTROL = [
  'Package: hostile',
  'Version: 1.0.0',
  'Architecture: all',
  'Maintainer: Hostile Tester <hostile@example.org>',
  'Description: a package whose data tree escapes its root',
  '',
].join('\n');

/** A .deb (deb(5): debian-binary, control.tar.gz, data.tar.gz) whose data.tar holds `evilName`. */
async function hostileDeb(file: string, evilName: string): Promise<string> {
  const control = await tarBuffer([
    { name: './', type: 'directory' },
    { name: './control', content: CONTROL },
  ]);
  const data = await tarBuffer([
    { name: './', type: 'directory' },
    { name: './usr/', type: 'directory' },
    { name: './usr/share/', type: 'directory' },
    { name: evilName, content: 'root::0:0:owned:/root:/bin/sh\n' },
  ]);
  await writeFile(
    file,
    arArchive([
      { name: 'debian-binary', data: Buffer.from('2.0\n', 'latin1') },
      { name: 'control.tar.gz', data: gzipSync(control) },
      { name: 'data.tar.gz', data: gzipSync(data) },
    ]),
  );
  return file;
}

/** A well-formed .deb built by the real dpkg-deb, then cut to half its size. */
async function truncatedDeb(dir: string): Promise<string> {
  const root = path.join(dir, 'good-root');
  await mkdir(path.join(root, 'DEBIAN'), { recursive: true });
  await mkdir(path.join(root, 'usr', 'share', 'good'), { recursive: true });
  await writeFile(path.join(root, 'DEBIAN', 'control'), CONTROL.replace('hostile', 'good').replace(/Description: .*/, 'Description: fine'));
  // Incompressible content keeps data.tar the bulk of the file, so the cut lands inside it.
  await writeFile(path.join(root, 'usr', 'share', 'good', 'blob.bin'), randomBytes(64 * 1024));
  const file = path.join(dir, 'truncated.deb');
  await run('dpkg-deb', ['--root-owner-group', '-Zgzip', '--build', root, file]);
  const { size } = await stat(file);
  await truncate(file, Math.floor(size / 2));
  return file;
}

// ---------------------------------------------------------------------------------------------
// Running and inspecting.
// ---------------------------------------------------------------------------------------------

interface Scratch {
  dir: string;
  /** Empty directory the stage's output goes into; must still be empty after a refusal. */
  outDir: string;
  pack: string;
}

const dirs: string[] = [];
const sessions: TestSession[] = [];
afterAll(async () => {
  for (const session of sessions) await session.cleanup();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function scratch(prefix: string): Promise<Scratch> {
  const dir = await tempDir(`factory-hostile-${prefix}-`);
  dirs.push(dir);
  const outDir = path.join(dir, 'out');
  await mkdir(outDir);
  return { dir, outDir, pack: path.join(dir, 'evidence', 'evidence-pack.json') };
}

/** The shipped CLI in the scratch dir, with its own RUNNER_TEMP so stage temp dirs do not leak into /tmp. */
async function cli(s: Scratch, args: string[]): Promise<CliRun> {
  const runnerTemp = path.join(s.dir, 'runner-temp');
  await mkdir(runnerTemp, { recursive: true });
  return runFactory([...args, '--evidence-pack', s.pack], { cwd: s.dir, env: { RUNNER_TEMP: runnerTemp } });
}

/** The only record the CLI appended to a fresh pack, checked to be that stage's. */
async function onlyRecord(s: Scratch, stage: StageRecord['stage']): Promise<StageRecord> {
  const pack = JSON.parse(await readFile(s.pack, 'utf8')) as EvidencePackDocument;
  expect(pack.records.map((r) => r.stage)).toEqual([stage]);
  return pack.records[0]!;
}

/** Runs a stage in process the way the CLI does: parse inside, one evidence record either way. */
async function stage<O>(definition: StageDefinition<O>, raw: Record<string, string>, workDir: string): Promise<StageOutcome> {
  const env = { PATH: process.env['PATH'] };
  const session = await makeTestSession({ env, workDir });
  sessions.push(session);
  const ctx = await session.contextFor(definition.name);
  const parsing: StageDefinition<Record<string, string>> = {
    ...definition,
    parse: (r) => r as Record<string, string>,
    run: (r, c) => definition.run(definition.parse(r, { workDir, env }), c),
  };
  const outcome = await runStage(parsing, raw, ctx);
  const pack = JSON.parse(await readFile(session.evidencePath, 'utf8')) as EvidencePackDocument;
  expect(pack.records).toEqual([outcome.record]);
  return outcome;
}

/** The failure as the CLI prints it: `error CODE: message` naming `subject`, and no stack trace. */
function expectCliError(result: CliRun, code: string, exitCode: number, named: string): void {
  expect({ exit: result.code, stdout: result.stdout }).toEqual({ exit: exitCode, stdout: '' });
  expect(result.stderr).not.toMatch(/INTERNAL|internal error|\n\s+at /);
  const line = result.stderr.split('\n').find((l) => l.startsWith(`error ${code}: `));
  expect(line).toBeDefined();
  expect(line).toContain(named);
}

function expectFailedRecord(record: StageRecord, code: string, named: string): void {
  expect(record.status).toBe('failed');
  expect(record.outputs).toEqual([]);
  expect(record.errors).toHaveLength(1);
  expect(record.errors[0]!.code).toBe(code);
  expect(record.errors[0]!.message).toContain(named);
}

// ---------------------------------------------------------------------------------------------
// 1–3: hostile and damaged .deb files through generate-sbom.
// ---------------------------------------------------------------------------------------------

describeWithDpkg('factory sbom refuses hostile and damaged .deb files', () => {
  const cases = [
    { title: 'a data.tar entry climbing out of the root (./../../etc/evil)', entry: './../../etc/evil' },
    { title: 'a data.tar entry with an absolute path (/etc/evil)', entry: '/etc/evil' },
  ];

  describe.each(cases)('$title', ({ entry }) => {
    let s: Scratch;
    let deb: string;
    let result: CliRun;
    beforeAll(async () => {
      s = await scratch('traversal');
      deb = await hostileDeb(path.join(s.dir, 'hostile.deb'), entry);
      result = await cli(s, ['sbom', deb, '--output', path.join(s.outDir, 'sbom.cdx.json')]);
    });

    test('the CLI exits 2 with ARCHIVE_UNSAFE naming the file and the entry', () => {
      expectCliError(result, 'ARCHIVE_UNSAFE', 2, deb);
      expect(result.stderr).toContain(`'${entry}'`);
    });

    test('the evidence pack records generate-sbom as failed with ARCHIVE_UNSAFE', async () => {
      const record = await onlyRecord(s, 'generate-sbom');
      expectFailedRecord(record, 'ARCHIVE_UNSAFE', deb);
      expect(record.errors[0]!.message).toContain(entry);
      expect(record.errors[0]!.subject).toBe(deb);
      expect(record.decision?.result).toBe('error');
    });

    test('no SBOM, temp or partial file is written beside the output', async () => {
      expect(await readdir(s.outDir)).toEqual([]);
    });

    test('the stage function refuses it the same way', async () => {
      const outcome = await stage(generateSbomStage, { paths: deb, output: path.join(s.outDir, 'stage.cdx.json') }, s.dir);
      expect(outcome.exitCode).toBe(2);
      expectFailedRecord(outcome.record, 'ARCHIVE_UNSAFE', deb);
      expect(outcome.error).toMatchObject({ code: 'ARCHIVE_UNSAFE', subject: deb });
      expect(await readdir(s.outDir)).toEqual([]);
    });
  });

  describe('a .deb built by dpkg-deb and cut in half', () => {
    let s: Scratch;
    let deb: string;
    let result: CliRun;
    beforeAll(async () => {
      s = await scratch('truncated');
      deb = await truncatedDeb(s.dir);
      result = await cli(s, ['sbom', deb, '--output', path.join(s.outDir, 'sbom.cdx.json')]);
    });

    test('the CLI exits 2 with ARCHIVE_CORRUPT naming the file and what is wrong', () => {
      expectCliError(result, 'ARCHIVE_CORRUPT', 2, deb);
      // The ar reader sees a member whose declared size runs past the end of the file.
      expect(result.stderr).toMatch(/member 'data\.tar\.gz' claims \d+ bytes but only \d+ remain/);
    });

    test('the evidence pack records ARCHIVE_CORRUPT, and nothing is written', async () => {
      const record = await onlyRecord(s, 'generate-sbom');
      expectFailedRecord(record, 'ARCHIVE_CORRUPT', deb);
      expect(record.errors[0]!.subject).toBe(deb);
      expect(await readdir(s.outDir)).toEqual([]);
    });

    test('the stage function refuses it the same way', async () => {
      const outcome = await stage(generateSbomStage, { paths: deb, output: path.join(s.outDir, 'stage.cdx.json') }, s.dir);
      expect(outcome.exitCode).toBe(2);
      expectFailedRecord(outcome.record, 'ARCHIVE_CORRUPT', deb);
      expect(await readdir(s.outDir)).toEqual([]);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 4 and 6: not a package at all, and no file at all.
// ---------------------------------------------------------------------------------------------

describe('factory sbom on something that is not a package', () => {
  let s: Scratch;
  let file: string;
  let result: CliRun;
  beforeAll(async () => {
    s = await scratch('random');
    file = path.join(s.dir, 'x.deb');
    // Random bytes: the name says .deb, the content does not (formats are detected by magic).
    await writeFile(file, Buffer.concat([Buffer.from('NOTAR\n'), randomBytes(4096)]));
    result = await cli(s, ['sbom', file, '--output', path.join(s.outDir, 'sbom.cdx.json')]);
  });

  test('the CLI exits 2 with SBOM_UNSUPPORTED_FORMAT naming the file and what is accepted', () => {
    expectCliError(result, 'SBOM_UNSUPPORTED_FORMAT', 2, file);
    const line = result.stderr.split('\n').find((l) => l.startsWith('error SBOM_UNSUPPORTED_FORMAT: '));
    expect(line).toMatch(/named like a Debian package, but its content is not one/);
    expect(result.stderr).toMatch(/what to do: generate-sbom reads \.deb, .*package-lock\.json/);
  });

  test('the evidence pack records the failure and no SBOM is written', async () => {
    const record = await onlyRecord(s, 'generate-sbom');
    expectFailedRecord(record, 'SBOM_UNSUPPORTED_FORMAT', file);
    expect(record.errors[0]!.subject).toBe(file);
    expect(record.errors[0]!.hint).toMatch(/\.deb/);
    expect(await readdir(s.outDir)).toEqual([]);
  });

  test('the stage function refuses it the same way', async () => {
    const outcome = await stage(generateSbomStage, { paths: file, output: path.join(s.outDir, 'stage.cdx.json') }, s.dir);
    expect(outcome.exitCode).toBe(2);
    expectFailedRecord(outcome.record, 'SBOM_UNSUPPORTED_FORMAT', file);
  });
});

describe('factory sbom on a path that does not exist', () => {
  let s: Scratch;
  let missing: string;
  let result: CliRun;
  beforeAll(async () => {
    s = await scratch('missing');
    missing = path.join(s.dir, 'no-such-package_1.0_all.deb');
    result = await cli(s, ['sbom', missing, '--output', path.join(s.outDir, 'sbom.cdx.json')]);
  });

  test('the CLI exits 2 with FILE_NOT_FOUND naming the path', () => {
    expectCliError(result, 'FILE_NOT_FOUND', 2, missing);
  });

  test('the evidence pack records FILE_NOT_FOUND against the paths input', async () => {
    const record = await onlyRecord(s, 'generate-sbom');
    expectFailedRecord(record, 'FILE_NOT_FOUND', missing);
    expect(record.errors[0]!.subject).toBe('paths');
    expect(await readdir(s.outDir)).toEqual([]);
  });

  test('the stage function refuses it the same way', async () => {
    const outcome = await stage(generateSbomStage, { paths: missing, output: path.join(s.outDir, 'stage.cdx.json') }, s.dir);
    expect(outcome.exitCode).toBe(2);
    expectFailedRecord(outcome.record, 'FILE_NOT_FOUND', missing);
  });
});

// ---------------------------------------------------------------------------------------------
// 5: the pass-through path of build-package with the traversal .deb.
// ---------------------------------------------------------------------------------------------

describeWithDpkg('factory build-package --package with a traversal .deb', () => {
  let s: Scratch;
  let deb: string;
  let result: CliRun;
  beforeAll(async () => {
    s = await scratch('passthrough');
    deb = await hostileDeb(path.join(s.dir, 'hostile.deb'), './../../etc/evil');
    result = await cli(s, ['build-package', '--package', deb, '--output-dir', s.outDir]);
  });

  // The pass-through walks the data tree as generate-sbom does: a hostile package is never vouched for.
  test('the CLI refuses it (exit 2, ARCHIVE_UNSAFE) instead of passing it through with a digest', async () => {
    expectCliError(result, 'ARCHIVE_UNSAFE', 2, deb);
    expectFailedRecord(await onlyRecord(s, 'build-package'), 'ARCHIVE_UNSAFE', deb);
  });

  test('the stage function refuses it (exit 2, ARCHIVE_UNSAFE)', async () => {
    const outcome = await stage(buildPackageStage, { package: deb, 'output-dir': s.outDir }, s.dir);
    expect(outcome.exitCode).toBe(2);
    expectFailedRecord(outcome.record, 'ARCHIVE_UNSAFE', deb);
  });
});

// ---------------------------------------------------------------------------------------------
// 7: scan with a corrupt SBOM, and with a database holding a record that is not JSON.
// ---------------------------------------------------------------------------------------------

const VALID_SBOM = {
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  version: 1,
  components: [{ type: 'library', name: 'minimist', version: '1.2.8', purl: 'pkg:npm/minimist@1.2.8' }],
};
const VALID_OSV_RECORD = path.join(FIXTURES, 'osv-matching', 'db', 'npm', 'GHSA-29mw-wpgm-hmr9.json');

describe('factory scan with broken inputs', () => {
  let s: Scratch;
  let db: string;
  beforeAll(async () => {
    s = await scratch('scan');
    db = path.join(s.dir, 'osv');
    await mkdir(path.join(db, 'npm'), { recursive: true });
    await copyFile(VALID_OSV_RECORD, path.join(db, 'npm', path.basename(VALID_OSV_RECORD)));
  });

  describe('an SBOM that is not JSON', () => {
    let sbom: string;
    let result: CliRun;
    let t: Scratch;
    beforeAll(async () => {
      t = { ...s, pack: path.join(s.dir, 'evidence-sbom', 'evidence-pack.json') };
      sbom = path.join(s.dir, 'corrupt.cdx.json');
      await writeFile(sbom, '{"bomFormat": "CycloneDX", "components": [ {"name": "trunc');
      result = await cli(t, ['scan', sbom, '--db', db, '--output', path.join(s.outDir, 'scan-report.json')]);
    });

    test('the CLI exits 2 with SCAN_SBOM_INVALID naming the SBOM', () => {
      expectCliError(result, 'SCAN_SBOM_INVALID', 2, sbom);
    });

    test('the evidence pack records it and no report is written', async () => {
      const record = await onlyRecord(t, 'scan');
      expectFailedRecord(record, 'SCAN_SBOM_INVALID', sbom);
      expect(record.errors[0]!.subject).toBe('sbom');
      expect(await readdir(s.outDir)).toEqual([]);
    });

    test('the stage function refuses it the same way', async () => {
      const outcome = await stage(scanStage, { sbom, db, output: path.join(s.outDir, 'stage-report.json') }, s.dir);
      expect(outcome.exitCode).toBe(2);
      expectFailedRecord(outcome.record, 'SCAN_SBOM_INVALID', sbom);
    });
  });

  describe('an OSV database with one record that is not JSON', () => {
    let sbom: string;
    let broken: string;
    let result: CliRun;
    let t: Scratch;
    beforeAll(async () => {
      t = { ...s, pack: path.join(s.dir, 'evidence-db', 'evidence-pack.json') };
      sbom = path.join(s.dir, 'valid.cdx.json');
      await writeFile(sbom, JSON.stringify(VALID_SBOM));
      broken = path.join(db, 'npm', 'GHSA-xxxx-xxxx-xxxx.json');
      await writeFile(broken, '{"id": "GHSA-xxxx-xxxx-xxxx", "modified": ');
      result = await cli(t, ['scan', sbom, '--db', db, '--output', path.join(s.outDir, 'scan-report.json')]);
    });

    test('the CLI exits 2 with SCAN_DB_UNAVAILABLE naming the broken record', () => {
      expectCliError(result, 'SCAN_DB_UNAVAILABLE', 2, broken);
      expect(result.stderr).toMatch(/is not valid JSON/);
    });

    test('the evidence pack records it against that file and no report is written', async () => {
      const record = await onlyRecord(t, 'scan');
      expectFailedRecord(record, 'SCAN_DB_UNAVAILABLE', broken);
      expect(record.errors[0]!.subject).toBe(broken);
      expect(await readdir(s.outDir)).toEqual([]);
    });

    test('the stage function refuses it the same way', async () => {
      const outcome = await stage(scanStage, { sbom, db, output: path.join(s.outDir, 'stage-report.json') }, s.dir);
      expect(outcome.exitCode).toBe(2);
      expectFailedRecord(outcome.record, 'SCAN_DB_UNAVAILABLE', broken);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// 8: sign with a public key, verify without a bundle.
// ---------------------------------------------------------------------------------------------

describe('factory sign and verify with the wrong key material or no bundle', () => {
  let s: Scratch;
  let artifact: string;
  let publicKeyFile: string;
  beforeAll(async () => {
    s = await scratch('signing');
    artifact = path.join(s.dir, 'artifact.txt');
    await writeFile(artifact, 'release payload\n');
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    publicKeyFile = path.join(s.dir, 'public-key.pem');
    await writeFile(publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }).toString());
  });

  describe('sign with a key file holding a PUBLIC key', () => {
    let result: CliRun;
    let t: Scratch;
    beforeAll(async () => {
      t = { ...s, pack: path.join(s.dir, 'evidence-sign', 'evidence-pack.json') };
      result = await cli(t, ['sign', artifact, '--key', publicKeyFile, '--output-dir', s.outDir]);
    });

    test('the CLI exits 2 with SIGN_KEY_INVALID naming the key input', () => {
      expectCliError(result, 'SIGN_KEY_INVALID', 2, "input 'key'");
      expect(result.stderr).toMatch(/holds a public key/);
    });

    test('the evidence pack records it and no bundle or public key is written', async () => {
      const record = await onlyRecord(t, 'sign');
      expectFailedRecord(record, 'SIGN_KEY_INVALID', "input 'key'");
      expect(record.errors[0]!.subject).toBe('key');
      expect(await readdir(s.outDir)).toEqual([]);
    });

    test('the stage function refuses it the same way', async () => {
      const outcome = await stage(signStage, { files: artifact, key: publicKeyFile, 'output-dir': s.outDir }, s.dir);
      expect(outcome.exitCode).toBe(2);
      expectFailedRecord(outcome.record, 'SIGN_KEY_INVALID', "input 'key'");
      expect(await readdir(s.outDir)).toEqual([]);
    });
  });

  describe('verify a file whose bundle is missing', () => {
    let result: CliRun;
    let t: Scratch;
    beforeAll(async () => {
      t = { ...s, pack: path.join(s.dir, 'evidence-verify', 'evidence-pack.json') };
      result = await cli(t, ['verify', artifact, '--key', publicKeyFile]);
    });

    test('the CLI exits 1 (a gate said no) with VERIFY_BUNDLE_MISSING naming the artifact and the bundle path', () => {
      expect(result.stdout).toBe('verified=0\n');
      expect(result.stderr).not.toMatch(/INTERNAL|\n\s+at /);
      expect(result.code).toBe(1);
      const line = result.stderr.split('\n').find((l) => l.startsWith('error VERIFY_BUNDLE_MISSING: '));
      expect(line).toContain('artifact.txt');
      expect(line).toContain('artifact.txt.sigstore.json');
    });

    test('the evidence pack records verify as failed with VERIFY_BUNDLE_MISSING', async () => {
      const record = await onlyRecord(t, 'verify');
      expectFailedRecord(record, 'VERIFY_BUNDLE_MISSING', 'artifact.txt.sigstore.json');
      expect(record.errors[0]!.subject).toBe(artifact);
      expect(record.decision?.result).toBe('fail');
    });

    test('the stage function refuses it the same way', async () => {
      const outcome = await stage(verifyStage, { files: artifact, key: publicKeyFile }, s.dir);
      expect(outcome.exitCode).toBe(1);
      expectFailedRecord(outcome.record, 'VERIFY_BUNDLE_MISSING', 'artifact.txt.sigstore.json');
    });
  });
});
