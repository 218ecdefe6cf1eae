import { execFileSync } from 'node:child_process';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runStage, type RawInputs, type StageOutcome } from '@packaging-factory/core';
import { scanStage, validateOpenVex, validateSarif, type ScanReport } from '@packaging-factory/vuln';
import { makeTestSession, type TestSession } from '../support/context.ts';
import { startOsvFake, type OsvFake } from '../support/osv-fake/osv-fake.ts';
import { npm, writeSbom } from '../vuln/scan-fixtures.ts';
import { writeEcosystemDumps, writeZip, MATCHING_DB } from '../vuln-database/zip-dumps.ts';
import { makeReviewer, type Reviewer } from '../vuln-policy/reviewer-key.ts';

const NPM_DB = path.join(MATCHING_DB, 'npm');

let session: TestSession;
beforeEach(async () => {
  session = await makeTestSession({ correlationId: 'scan-wiring', now: () => new Date('2025-03-01T12:00:00Z') });
});
afterEach(async () => {
  await session.cleanup();
});

/** lodash 4.17.20 (GHSA-35jh high, GHSA-29mw medium), minimist 1.2.5 (GHSA-xvch critical), ansi-html 0.0.7 (GHSA-whgm high). */
async function vulnerableSbom(): Promise<string> {
  return writeSbom(session.dir, [npm('lodash', '4.17.20'), npm('minimist', '1.2.5'), npm('ansi-html', '0.0.7')]);
}

interface Run {
  outcome: StageOutcome;
  report: ScanReport | undefined;
  details: Record<string, unknown>;
}

async function scan(raw: RawInputs): Promise<Run> {
  const options = scanStage.parse({ output: 'report.json', ...raw }, { workDir: session.dir, env: {} });
  const outcome = await runStage(scanStage, options, await session.contextFor('scan'));
  let report: ScanReport | undefined;
  try {
    report = JSON.parse(await readFile(options.output, 'utf8')) as ScanReport;
  } catch {
    report = undefined;
  }
  return { outcome, report, details: outcome.record.details ?? {} };
}

describe('scan stage: the db input', () => {
  it('reads one osv.dev all.zip, records its provenance, and gives the directory’s digest', async () => {
    const sbom = await vulnerableSbom();
    await writeEcosystemDumps(MATCHING_DB, path.join(session.dir, 'dumps'));
    const npmZip = path.join(session.dir, 'dumps', 'npm', 'all.zip');
    const fromZip = await scan({ sbom, db: npmZip, 'fail-on': 'none' });
    const fromDir = await scan({ sbom, db: NPM_DB, 'fail-on': 'none', output: 'dir.json' });
    expect(fromZip.outcome.exitCode).toBe(0);
    const provenance = fromZip.details['database'] as {
      kind: string;
      location: string;
      sources: { kind: string; sha256?: string }[];
      digest: { value: string };
    };
    expect(provenance.kind).toBe('zip');
    expect(provenance.location).toBe(npmZip);
    expect(provenance.sources).toEqual([
      expect.objectContaining({ kind: 'zip', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string }),
    ]);
    expect(provenance.digest.value).toBe((fromDir.details['database'] as { digest: { value: string } }).digest.value);
    expect(fromZip.report?.findings.map((f) => f.id)).toEqual(fromDir.report?.findings.map((f) => f.id));
    expect(fromZip.report?.findings.length).toBe(4);
  });

  it('reads a directory of per-ecosystem zips', async () => {
    const sbom = await vulnerableSbom();
    await writeEcosystemDumps(MATCHING_DB, path.join(session.dir, 'dumps'));
    const run = await scan({ sbom, db: 'dumps', 'fail-on': 'none' });
    expect(run.outcome.exitCode).toBe(0);
    const provenance = run.details['database'] as { kind: string; sources: { kind: string }[] };
    expect(provenance.kind).toBe('directory');
    expect(provenance.sources.filter((s) => s.kind === 'zip').length).toBe(6);
    expect(run.report?.database.kind).toBe('directory');
  });

  it('fails closed (exit 2) on an empty zip', async () => {
    const sbom = await vulnerableSbom();
    const empty = await writeZip(path.join(session.dir, 'empty.zip'), []);
    const run = await scan({ sbom, db: empty });
    expect(run.outcome.exitCode).toBe(2);
    expect(run.outcome.record.errors[0]?.code).toBe('SCAN_DB_UNAVAILABLE');
  });

  describe('osv-api', () => {
    let fake: OsvFake;
    beforeEach(async () => {
      fake = await startOsvFake({ recordsDir: MATCHING_DB });
    });
    afterEach(async () => {
      await fake.close();
    });

    it('asks the API about the SBOM’s packages, caches the records, and records the API as the source', async () => {
      const sbom = await vulnerableSbom();
      const run = await scan({ sbom, db: 'osv-api', 'osv-api-url': fake.url, 'cache-dir': 'osv-cache' });
      expect(run.outcome.exitCode).toBe(1);
      expect(run.report?.blockingIds).toEqual(['GHSA-35jh-r3h4-6jhm', 'GHSA-whgm-jr23-g3j9', 'GHSA-xvch-5gv4-984h']);
      const provenance = run.details['database'] as { kind: string; location: string };
      expect(provenance).toMatchObject({ kind: 'osv-api', location: fake.url });
      expect(run.report?.coverage).toEqual([{ ecosystem: 'npm', components: 3, records: 4, covered: true }]);
      expect(run.outcome.record.inputs.find((i) => i.role === 'osv-database')).toMatchObject({ name: 'osv-api', path: fake.url });
      const batches = fake.requests.filter((r) => r.route === 'querybatch');
      expect(batches.length).toBe(1);
      expect((await readdir(path.join(session.dir, 'osv-cache'), { recursive: true })).length).toBeGreaterThan(0);
      // A second run answers the records from the cache: only querybatch goes to the network.
      const before = fake.requests.filter((r) => r.route === 'vulns').length;
      await scan({ sbom, db: 'osv-api', 'osv-api-url': fake.url, 'cache-dir': 'osv-cache', output: 'again.json' });
      expect(fake.requests.filter((r) => r.route === 'vulns').length).toBe(before);
    });

    it('fails closed (exit 2) when the API cannot be reached', async () => {
      const sbom = await vulnerableSbom();
      await fake.close();
      const run = await scan({ sbom, db: 'osv-api', 'osv-api-url': fake.url });
      expect(run.outcome.exitCode).toBe(2);
      expect(run.outcome.record.errors[0]?.code).toBe('SCAN_DB_UNAVAILABLE');
      fake = await startOsvFake({ recordsDir: MATCHING_DB });
    }, 60_000);

    it('names a bad osv-api-url', () => {
      expect(() => scanStage.parse({ sbom: 'b.json', db: 'osv-api', 'osv-api-url': 'ftp://x' }, { workDir: '/w', env: {} })).toThrow(
        expect.objectContaining({ code: 'INPUT_INVALID', subject: 'osv-api-url' }) as Error,
      );
    });
  });

  it('reads an SPDX 2.3 SBOM', async () => {
    const spdx = {
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: 'hello',
      documentNamespace: 'https://example.com/spdx/hello',
      creationInfo: { created: '2025-01-01T00:00:00Z', creators: ['Tool: test'] },
      packages: [
        {
          SPDXID: 'SPDXRef-lodash',
          name: 'lodash',
          versionInfo: '4.17.20',
          downloadLocation: 'NOASSERTION',
          externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:npm/lodash@4.17.20' }],
        },
      ],
    };
    const sbom = path.join(session.dir, 'bom.spdx.json');
    await writeFile(sbom, JSON.stringify(spdx));
    const run = await scan({ sbom, db: NPM_DB });
    expect(run.outcome.exitCode).toBe(1);
    expect(run.report?.blockingIds).toEqual(['GHSA-35jh-r3h4-6jhm']);
  });
});

/** The npm records plus one advisory with no fix, rated only by a CVSS v4.0 vector. */
async function databaseWithUnfixed(): Promise<string> {
  const db = path.join(session.dir, 'db');
  await cp(NPM_DB, db, { recursive: true });
  const record = {
    schema_version: '1.6.0',
    id: 'GHSA-2222-3333-4444',
    modified: '2025-01-01T00:00:00Z',
    published: '2025-01-01T00:00:00Z',
    aliases: ['CVE-2099-0001'],
    summary: 'left-pad pads too much',
    severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' }],
    affected: [{ package: { ecosystem: 'npm', name: 'left-pad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }] }],
  };
  await writeFile(path.join(db, 'GHSA-2222-3333-4444.json'), JSON.stringify(record));
  return db;
}

describe('scan stage: only-fixed and CVSS v4', () => {
  it('rates a CVSS v4.0 vector with FIRST’s calculator and blocks on it', async () => {
    const db = await databaseWithUnfixed();
    const sbom = await writeSbom(session.dir, [npm('left-pad', '1.3.0')]);
    const run = await scan({ sbom, db });
    expect(run.outcome.exitCode).toBe(1);
    const finding = run.report!.findings[0]!;
    expect(finding).toMatchObject({
      id: 'GHSA-2222-3333-4444',
      severity: 'critical',
      severitySource: 'CVSS_V4',
      score: 9.3,
      blocking: true,
    });
    expect(finding.fixedVersions).toEqual([]);
    expect(run.outcome.result?.summary).toContain('no fix yet');
  });

  it('only-fixed: a finding without a fixed version is reported, not blocking; fixable ones still block', async () => {
    const db = await databaseWithUnfixed();
    const sbom = await writeSbom(session.dir, [npm('left-pad', '1.3.0')]);
    const run = await scan({ sbom, db, 'only-fixed': 'true' });
    expect(run.outcome.exitCode).toBe(0);
    expect(run.outcome.record.decision?.result).toBe('pass');
    expect(run.report?.findings[0]).toMatchObject({ id: 'GHSA-2222-3333-4444', blocking: false });
    expect(run.report?.findings[0]?.notes).toContain('no fixed version is known: reported, not blocking (input only-fixed)');
    expect(run.report?.policy.onlyFixed).toBe(true);
    const both = await scan({
      sbom: await writeSbom(session.dir, [npm('left-pad', '1.3.0'), npm('lodash', '4.17.20')]),
      db,
      'only-fixed': 'true',
      output: 'both.json',
    });
    expect(both.outcome.exitCode).toBe(1);
    expect(both.report?.blockingIds).toEqual(['GHSA-35jh-r3h4-6jhm']);
  });

  it('rejects a non-boolean only-fixed', () => {
    expect(() => scanStage.parse({ sbom: 'b.json', db: 'd', 'only-fixed': 'yes' }, { workDir: '/w', env: {} })).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID', subject: 'only-fixed' }) as Error,
    );
  });
});

function exceptionEntry(fields: Record<string, string>): string {
  return `  - ${Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n    ')}\n`;
}

const NOT_AFFECTED = {
  status: 'not_affected',
  justification: 'vulnerable_code_not_in_execute_path',
  reason: 'template() is never called with user input',
  owner: 'platform-team',
  expires: '2025-12-31',
  ticket: 'SEC-42',
};

const EXCEPTIONS =
  'version: 1\nexceptions:\n' +
  exceptionEntry({ id: 'CVE-2021-23337', package: "'pkg:npm/lodash@4.17.*'", ...NOT_AFFECTED }) +
  exceptionEntry({
    id: 'GHSA-whgm-jr23-g3j9',
    package: 'pkg:npm/ansi-html',
    status: 'affected',
    reason: 'dev server only',
    owner: 'web-team',
    expires: '2025-06-30',
    ticket: 'SEC-43',
  }) +
  exceptionEntry({ id: 'CVE-2020-28500', package: 'pkg:npm/lodash', ...NOT_AFFECTED, expires: '2025-01-31' });

function openVex(statements: unknown[]): string {
  return `${JSON.stringify(
    {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.com/vex/scan-wiring-1',
      author: 'security team',
      timestamp: '2025-02-01T00:00:00Z',
      version: 1,
      statements,
    },
    null,
    2,
  )}\n`;
}

const MINIMIST_VEX = openVex([
  {
    vulnerability: { name: 'CVE-2021-44906' },
    products: [{ '@id': 'pkg:npm/minimist@1.2.5' }],
    status: 'not_affected',
    justification: 'vulnerable_code_not_in_execute_path',
  },
]);

describe('scan stage: policy, exceptions and VEX', () => {
  let reviewer: Reviewer;
  beforeEach(async () => {
    reviewer = await makeReviewer(session.dir);
  });

  it('approved exceptions and VEX covering every blocking finding pass with exceptions, and the evidence says which', async () => {
    const sbom = await vulnerableSbom();
    const exceptions = path.join(session.dir, 'exceptions.yml');
    await reviewer.approve(exceptions, EXCEPTIONS);
    const vex = path.join(session.dir, 'minimist.vex.json');
    await reviewer.approve(vex, MINIMIST_VEX);
    const run = await scan({
      sbom,
      db: NPM_DB,
      policy: reviewer.policyFile,
      exceptions: 'exceptions.yml',
      vex: 'minimist.vex.json',
      'openvex-output': 'out/scan.openvex.json',
    });
    expect(run.outcome.exitCode).toBe(0);
    expect(run.outcome.record.status).toBe('passed');
    expect(run.outcome.record.decision?.result).toBe('pass-with-exceptions');
    expect(run.outcome.result?.outputValues?.['decision']).toBe('pass-with-exceptions');
    expect(run.report?.blockingIds).toEqual([]);
    expect(run.report?.counts).toMatchObject({ blocking: 3, accepted: 3 });
    expect(run.report?.accepted.map((a) => [a.id, a.by, a.blocking])).toEqual([
      ['GHSA-35jh-r3h4-6jhm', 'exception', true],
      ['GHSA-whgm-jr23-g3j9', 'exception', true],
      ['GHSA-xvch-5gv4-984h', 'vex', true],
    ]);
    const exceptionsDetail = run.details['exceptions'] as {
      approved: boolean;
      approver: { kind: string };
      entries: { state: string; reason: string; owner?: string }[];
    };
    expect(exceptionsDetail.approved).toBe(true);
    expect(exceptionsDetail.approver.kind).toBe('key');
    expect(exceptionsDetail.entries.map((e) => e.state)).toEqual(['active', 'active', 'expired']);
    expect(exceptionsDetail.entries[2]?.reason).toBe('expired on 2025-01-31');
    expect(run.details['vex']).toEqual([expect.objectContaining({ approved: true, format: 'openvex', statements: 1 })]);
    // The expired entry is listed as ignored in the summary, as is each entry's state.
    const summary = run.outcome.result!.summary;
    expect(summary).toContain('**Ignored exceptions** — expired: CVE-2020-28500.');
    expect(summary).toContain('**Decision: pass-with-exceptions**');
    expect(summary).toMatch(/\| high 7\.2 \| GHSA-35jh-r3h4-6jhm .*\| no \(accepted\) \| exceptions\[0\] not_affected/);
    // The approved not_affected exception became an OpenVEX statement about the finding's purl.
    const written = JSON.parse(await readFile(path.join(session.dir, 'out', 'scan.openvex.json'), 'utf8')) as {
      statements: { vulnerability: { name: string }; products: { '@id': string }[]; status: string }[];
    };
    expect(validateOpenVex(written)).toEqual([]);
    expect(written.statements.map((s) => [s.vulnerability.name, s.products.map((p) => p['@id']), s.status])).toEqual([
      ['GHSA-35jh-r3h4-6jhm', ['pkg:npm/lodash@4.17.20'], 'not_affected'],
    ]);
    expect(run.outcome.result?.outputValues?.['openvex']).toBe(path.join('out', 'scan.openvex.json'));
    expect(run.outcome.record.outputs.map((o) => o.role)).toEqual(['report', 'openvex']);
  });

  it('an unapproved exceptions file is ignored: the scan fails and the summary lists every entry as unapproved', async () => {
    const sbom = await vulnerableSbom();
    await writeFile(path.join(session.dir, 'exceptions.yml'), EXCEPTIONS);
    const run = await scan({ sbom, db: NPM_DB, policy: reviewer.policyFile, exceptions: 'exceptions.yml' });
    expect(run.outcome.exitCode).toBe(1);
    expect(run.outcome.record.decision?.result).toBe('fail');
    expect(run.outcome.record.errors[0]?.code).toBe('SCAN_BLOCKED');
    expect(run.report?.exceptions?.entries.map((e) => e.state)).toEqual(['unapproved', 'unapproved', 'unapproved']);
    expect(run.report?.exceptions?.approval).toMatch(/exceptions\.yml\.sigstore\.json does not exist/);
    expect(run.outcome.result?.summary).toContain(
      '**Ignored exceptions** — unapproved: CVE-2021-23337, GHSA-whgm-jr23-g3j9, CVE-2020-28500.',
    );
    expect(run.outcome.record.notes).toContain(
      '3 exception(s) ignored (CVE-2021-23337: unapproved, GHSA-whgm-jr23-g3j9: unapproved, CVE-2020-28500: unapproved)',
    );
  });

  it('an exceptions file changed after approval is unapproved', async () => {
    const sbom = await vulnerableSbom();
    const file = path.join(session.dir, 'exceptions.yml');
    await reviewer.approve(file, EXCEPTIONS);
    await writeFile(file, EXCEPTIONS.replace('2025-12-31', '2026-12-31'));
    const run = await scan({ sbom, db: NPM_DB, policy: reviewer.policyFile, exceptions: 'exceptions.yml' });
    expect(run.outcome.exitCode).toBe(1);
    expect(run.report?.exceptions?.approval).toMatch(/altered after approval/);
  });

  it('exceptions without a policy approve nothing', async () => {
    const sbom = await vulnerableSbom();
    await reviewer.approve(path.join(session.dir, 'exceptions.yml'), EXCEPTIONS);
    const run = await scan({ sbom, db: NPM_DB, exceptions: 'exceptions.yml' });
    expect(run.outcome.exitCode).toBe(1);
    expect(run.report?.exceptions?.entries.every((e) => e.state === 'unapproved')).toBe(true);
  });

  it('an unapproved VEX document is reported and never applied', async () => {
    const sbom = await writeSbom(session.dir, [npm('minimist', '1.2.5')]);
    await writeFile(path.join(session.dir, 'minimist.vex.json'), MINIMIST_VEX);
    const run = await scan({ sbom, db: NPM_DB, policy: reviewer.policyFile, vex: 'minimist.vex.json' });
    expect(run.outcome.exitCode).toBe(1);
    expect(run.report?.vex).toEqual([expect.objectContaining({ approved: false })]);
    expect(run.outcome.result?.summary).toContain('**not approved, ignored**');
  });

  it('a broken policy is an input error (exit 2)', async () => {
    const sbom = await vulnerableSbom();
    await writeFile(path.join(session.dir, 'bad-policy.yml'), 'version: 1\nsecurity-reviewers: nope\n');
    const run = await scan({ sbom, db: NPM_DB, policy: 'bad-policy.yml' });
    expect(run.outcome.exitCode).toBe(2);
    expect(run.outcome.record.errors[0]?.code).toBe('SCAN_POLICY_INVALID');
    expect(run.report).toBeUndefined();
  });

  it('writes a schema-valid SARIF log with accepted findings as external suppressions', async () => {
    const sbom = await vulnerableSbom();
    await reviewer.approve(path.join(session.dir, 'exceptions.yml'), EXCEPTIONS);
    const run = await scan({ sbom, db: NPM_DB, policy: reviewer.policyFile, exceptions: 'exceptions.yml', sarif: 'scan.sarif' });
    expect(run.outcome.exitCode).toBe(1);
    expect(run.outcome.record.errors[0]?.message).toContain('GHSA-xvch-5gv4-984h');
    expect(run.outcome.record.errors[0]?.message).not.toContain('GHSA-35jh-r3h4-6jhm');
    const log = JSON.parse(await readFile(path.join(session.dir, 'scan.sarif'), 'utf8')) as {
      runs: {
        tool: { driver: { rules: { id: string }[] } };
        results: {
          ruleId: string;
          suppressions?: { kind: string }[];
          locations: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
        }[];
      }[];
    };
    expect(validateSarif(log).errors).toEqual([]);
    const results = log.runs[0]!.results;
    expect(log.runs[0]!.tool.driver.rules.map((r) => r.id)).toEqual([
      'GHSA-29mw-wpgm-hmr9',
      'GHSA-35jh-r3h4-6jhm',
      'GHSA-whgm-jr23-g3j9',
      'GHSA-xvch-5gv4-984h',
    ]);
    expect(results.filter((r) => r.suppressions !== undefined).map((r) => [r.ruleId, r.suppressions![0]!.kind])).toEqual([
      ['GHSA-35jh-r3h4-6jhm', 'external'],
      ['GHSA-whgm-jr23-g3j9', 'external'],
    ]);
    expect(results[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('bom.cdx.json');
    expect(results[0]!.locations[0]!.physicalLocation.region.startLine).toBeGreaterThan(1);
    expect(run.outcome.result?.outputValues?.['sarif']).toBe('scan.sarif');
  });
});

const CLAMAV_TOOLS = ['clamscan', 'sigtool'];
const clamMissing = CLAMAV_TOOLS.filter((tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});

/** The EICAR test file, assembled at run time so the repository never holds the string itself. */
function eicar(): Buffer {
  return Buffer.from(['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-', 'ANTIVIRUS-TEST-', 'FILE!$H+H*'].join(''), 'latin1');
}

describe('scan stage: malware step', () => {
  it('needs malware-files when enabled', () => {
    expect(() => scanStage.parse({ sbom: 'b.json', db: 'd', 'malware-scan': 'true' }, { workDir: '/w', env: {} })).toThrow(
      expect.objectContaining({ code: 'INPUT_MISSING', subject: 'malware-files' }) as Error,
    );
  });

  it('fails closed (exit 2) without a signature database, before writing anything', async () => {
    const sbom = await vulnerableSbom();
    await writeFile(path.join(session.dir, 'artifact.bin'), 'hello');
    const run = await scan({ sbom, db: NPM_DB, 'fail-on': 'none', 'malware-scan': 'true', 'malware-files': 'artifact.bin' });
    expect(run.outcome.exitCode).toBe(2);
    expect(run.outcome.record.errors[0]?.code).toBe('SCAN_MALWARE_DB_UNAVAILABLE');
    expect(run.report).toBeUndefined();
  });

  if (clamMissing.length > 0 && process.env['CI'] === undefined) {
    it.skip(`skipped: ${clamMissing.join(', ')} not installed (apt-get install clamav)`, () => {});
  } else {
    it('fails on an EICAR file and passes a clean one, with ClamAV’s findings in the report', async () => {
      if (clamMissing.length > 0) throw new Error(`CI must install ${clamMissing.join(', ')} for the malware tests`);
      const sbom = await vulnerableSbom();
      const database = path.join(session.dir, 'clamav-db');
      await mkdir(database);
      await writeFile(path.join(session.dir, 'eicar.com'), eicar());
      const signature = execFileSync('sigtool', ['--md5', 'eicar.com'], { cwd: session.dir, encoding: 'utf8' });
      await writeFile(path.join(database, 'test.hdb'), signature);
      await writeFile(path.join(session.dir, 'clean.txt'), 'nothing to see\n');
      const inputs = { sbom, db: NPM_DB, 'fail-on': 'none', 'malware-scan': 'true', 'clamav-database': 'clamav-db' };
      const infected = await scan({ ...inputs, 'malware-files': 'eicar.com\nclean.txt' });
      expect(infected.outcome.exitCode).toBe(1);
      expect(infected.outcome.record.decision?.result).toBe('fail');
      expect(infected.outcome.record.errors.map((e) => e.code)).toEqual(['SCAN_MALWARE_FOUND']);
      expect(infected.report?.malware?.infected).toBe(1);
      expect(infected.outcome.result?.summary).toContain('**Malware scan**');
      expect(infected.outcome.record.tools.map((t) => t.name)).toContain('clamscan');
      const clean = await scan({ ...inputs, 'malware-files': 'clean.txt', output: 'clean.json' });
      expect(clean.outcome.exitCode).toBe(0);
      expect(clean.report?.malware?.decision).toBe('clean');
    }, 120_000);
  }
});
