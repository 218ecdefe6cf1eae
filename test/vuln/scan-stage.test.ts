import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError, runStage, type RawInputs, type StageOutcome } from '@packaging-factory/core';
import { scanStage, supportedEcosystems, type ScanReport } from '@packaging-factory/vuln';
import { makeTestSession, type TestSession } from '../support/context.ts';
import {
  copyRecords,
  EXAMPLE_DB,
  helloExampleComponents,
  MATCHING_DB,
  npm,
  writeModifiedRecord,
  writeSbom,
  type TestComponent,
} from './scan-fixtures.ts';

let session: TestSession;

beforeEach(async () => {
  session = await makeTestSession({ correlationId: 'scan-test', now: () => new Date('2025-01-01T00:00:00Z') });
});

afterEach(async () => {
  await session.cleanup();
});

async function scan(
  components: TestComponent[],
  inputs: Record<string, string> = {},
): Promise<{ outcome: StageOutcome; report?: ScanReport }> {
  const sbom = await writeSbom(session.dir, components);
  const raw: RawInputs = { sbom, db: EXAMPLE_DB, ...inputs };
  const options = scanStage.parse(raw, { workDir: session.dir, env: {} });
  const outcome = await runStage(scanStage, options, await session.contextFor('scan'));
  let report: ScanReport | undefined;
  try {
    report = JSON.parse(await readFile(options.output, 'utf8')) as ScanReport;
  } catch {
    report = undefined;
  }
  return report === undefined ? { outcome } : { outcome, report };
}

function errorCode(outcome: StageOutcome): string | undefined {
  return outcome.record.errors[0]?.code;
}

describe('scan stage: gate', () => {
  it('blocks lodash@4.17.20 on GHSA-35jh-r3h4-6jhm at the default fail-on high', async () => {
    const { outcome, report } = await scan([npm('lodash', '4.17.20')]);
    expect(outcome.exitCode).toBe(1);
    expect(outcome.record.status).toBe('failed');
    expect(outcome.record.decision?.result).toBe('fail');
    expect(errorCode(outcome)).toBe('SCAN_BLOCKED');
    expect(outcome.record.errors[0]?.message).toContain('GHSA-35jh-r3h4-6jhm');
    expect(outcome.record.errors[0]?.message).not.toContain('GHSA-29mw-wpgm-hmr9');
    expect(outcome.result?.outputValues).toEqual({
      report: path.join('factory-out', 'scan-report.json'),
      decision: 'fail',
      'vulnerability-count': '2',
      'blocking-count': '1',
    });
    // Sorted by severity, then id; GHSA's MODERATE is medium.
    expect(report?.findings.map((f) => [f.id, f.severity, f.blocking])).toEqual([
      ['GHSA-35jh-r3h4-6jhm', 'high', true],
      ['GHSA-29mw-wpgm-hmr9', 'medium', false],
    ]);
    const top = report!.findings[0]!;
    expect(top.aliases).toEqual(['CVE-2021-23337']);
    expect(top.fixedVersions).toEqual(['4.17.21']);
    expect(top.vector).toBe('CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H');
    expect(top.score).toBe(7.2);
    expect(top.package).toEqual({
      ecosystem: 'npm',
      name: 'lodash',
      version: '4.17.20',
      purl: 'pkg:npm/lodash@4.17.20',
      bomRef: 'pkg:npm/lodash@4.17.20',
    });
    expect(report?.blockingIds).toEqual(['GHSA-35jh-r3h4-6jhm']);
    expect(outcome.result?.summary).toContain('| high 7.2 | GHSA-35jh-r3h4-6jhm (CVE-2021-23337)');
    expect(outcome.result?.summary).toContain('**Decision: fail**');
  });

  it('passes with the same findings when fail-on is none', async () => {
    const { outcome, report } = await scan([npm('lodash', '4.17.20')], { 'fail-on': 'none' });
    expect(outcome.exitCode).toBe(0);
    expect(outcome.record.status).toBe('passed');
    expect(outcome.record.decision?.result).toBe('pass');
    expect(outcome.result?.outputValues['vulnerability-count']).toBe('2');
    expect(outcome.result?.outputValues['blocking-count']).toBe('0');
    expect(report?.findings.every((f) => !f.blocking)).toBe(true);
  });

  it('passes at fail-on critical when the worst finding is high', async () => {
    const { outcome } = await scan([npm('lodash', '4.17.20')], { 'fail-on': 'critical' });
    expect(outcome.record.status).toBe('passed');
    expect(outcome.result?.outputValues['decision']).toBe('pass');
  });

  it('blocks the moderate finding too at fail-on medium', async () => {
    const { outcome } = await scan([npm('lodash', '4.17.20')], { 'fail-on': 'medium' });
    expect(outcome.result?.outputValues['blocking-count']).toBe('2');
    expect(outcome.record.errors[0]?.message).toContain('GHSA-29mw-wpgm-hmr9');
  });

  it('passes the example app (minimist@1.2.8, ansi-html@0.0.8) against the sample database', async () => {
    const { outcome, report } = await scan([npm('minimist', '1.2.8'), npm('ansi-html', '0.0.8')]);
    expect(outcome.record.status).toBe('passed');
    expect(report?.findings).toEqual([]);
    expect(report?.components).toMatchObject({ total: 2, scanned: 2, skipped: 0 });
    expect(outcome.result?.summary).toContain('No known vulnerabilities');
  });

  it('records the SBOM and the database digest as inputs and the report as output', async () => {
    const { outcome, report } = await scan([npm('minimist', '1.2.0')], { 'fail-on': 'none' });
    const [sbomInput, dbInput] = outcome.record.inputs;
    expect(sbomInput).toMatchObject({ name: 'bom.cdx.json', role: 'sbom' });
    expect(dbInput).toMatchObject({ name: 'osv-db', role: 'osv-database', sha256: report?.database.sha256 });
    expect(outcome.record.outputs).toEqual([
      expect.objectContaining({ path: path.join('factory-out', 'scan-report.json'), role: 'report' }),
    ]);
    expect(outcome.record.tools.map((t) => t.name)).toEqual(['ae-cvss-calculator', 'semver']);
    expect(outcome.record.details).toMatchObject({
      database: { kind: 'directory', counts: { inUse: 12, withdrawn: 0 }, snapshot: '2025-09-29T21:12:31.102523Z' },
    });
    // The pack on disk holds the record too.
    const pack = JSON.parse(await readFile(session.evidencePath, 'utf8')) as { records: { stage: string }[] };
    expect(pack.records.map((r) => r.stage)).toEqual(['scan']);
  });
});

describe('scan stage: the database fails closed', () => {
  it('refuses a missing directory, naming it', async () => {
    const missing = path.join(session.dir, 'no-such-db');
    const { outcome, report } = await scan([npm('lodash', '4.17.20')], { db: missing });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.record.status).toBe('failed');
    expect(errorCode(outcome)).toBe('SCAN_DB_UNAVAILABLE');
    expect(outcome.record.errors[0]?.message).toContain(missing);
    expect(report).toBeUndefined();
  });

  it('refuses a directory without records (a README alone does not count)', async () => {
    const empty = path.join(session.dir, 'empty-db');
    await mkdir(path.join(empty, 'npm'), { recursive: true });
    await writeFile(path.join(empty, 'README.md'), 'nothing here\n');
    const { outcome } = await scan([npm('lodash', '4.17.20')], { db: empty });
    expect(errorCode(outcome)).toBe('SCAN_DB_UNAVAILABLE');
    expect(outcome.record.errors[0]?.message).toContain('no .json records');
  });

  it('refuses a record that is not JSON, naming the file', async () => {
    const db = await copyRecords(path.join(session.dir, 'db'), ['npm/GHSA-35jh-r3h4-6jhm.json']);
    await writeFile(path.join(db, 'npm', 'GHSA-broken.json'), '{"id": "GHSA-broken", "modified": ');
    const { outcome } = await scan([npm('lodash', '4.17.20')], { db });
    expect(errorCode(outcome)).toBe('SCAN_DB_UNAVAILABLE');
    expect(outcome.record.errors[0]?.subject).toBe(path.join(db, 'npm', 'GHSA-broken.json'));
  });

  it('refuses a record that breaks the OSV schema', async () => {
    const db = path.join(session.dir, 'db');
    await writeModifiedRecord(db, 'npm/GHSA-35jh-r3h4-6jhm.json', (record) => {
      delete record['modified'];
    });
    const { outcome } = await scan([npm('lodash', '4.17.20')], { db });
    expect(errorCode(outcome)).toBe('SCAN_DB_UNAVAILABLE');
    expect(outcome.record.errors[0]?.message).toMatch(/does not match the OSV schema: .*modified/);
  });

  it('refuses a database whose only records are withdrawn', async () => {
    const db = path.join(session.dir, 'db');
    await writeModifiedRecord(db, 'npm/GHSA-35jh-r3h4-6jhm.json', (record) => {
      record['withdrawn'] = '2025-09-01T00:00:00Z';
    });
    const { outcome } = await scan([npm('lodash', '4.17.20')], { db });
    expect(errorCode(outcome)).toBe('SCAN_DB_UNAVAILABLE');
    expect(outcome.record.errors[0]?.message).toContain('1 withdrawn');
  });
});

describe('scan stage: fails closed when it cannot decide', () => {
  async function onlyDebianDb(): Promise<string> {
    return copyRecords(path.join(session.dir, 'debian-db'), ['Debian/DLA-3008-1.json', 'Debian/DSA-3029-1.json']);
  }

  it('refuses an SBOM without components (exit 2), and still writes a report saying why', async () => {
    const { outcome, report } = await scan([]);
    expect(outcome.exitCode).toBe(2);
    expect(outcome.record.status).toBe('failed');
    expect(outcome.record.decision?.result).toBe('fail');
    expect(errorCode(outcome)).toBe('SCAN_NOTHING_SCANNED');
    expect(outcome.record.errors[0]?.message).toContain('the SBOM lists no components');
    expect(outcome.record.errors[0]?.subject).toBe('bom.cdx.json');
    expect(outcome.result?.outputValues['decision']).toBe('fail');
    expect(report?.decision).toBe('fail');
    expect(report?.undecided.map((u) => u.code)).toEqual(['SCAN_NOTHING_SCANNED']);
    expect(outcome.result?.summary).toContain('could not decide');
    expect(outcome.result?.summary).not.toContain('No known vulnerabilities');
  });

  it('refuses an SBOM whose components are all of ecosystems it does not scan, counting them', async () => {
    const { outcome } = await scan([
      { name: 'plug', version: '1.14.0', purl: 'pkg:hex/plug@1.14.0' },
      { name: 'phoenix', version: '1.7.0', purl: 'pkg:hex/phoenix@1.7.0' },
      { type: 'file', name: '/srv/app/lib/plug.ex' },
    ]);
    expect(outcome.exitCode).toBe(2);
    expect(errorCode(outcome)).toBe('SCAN_NOTHING_SCANNED');
    expect(outcome.record.errors[0]?.message).toContain(
      "none of the SBOM's 3 components could be scanned: 2 skipped (2× unsupported purl type: hex), 1 file component (package contents)",
    );
    expect(outcome.record.errors[0]?.hint).toMatch(/purls with versions/);
  });

  it('refuses lodash@4.17.20 without a purl: it is listed as unscannable, not passed', async () => {
    const { outcome, report } = await scan([{ name: 'lodash', version: '4.17.20' }]);
    expect(outcome.exitCode).toBe(2);
    expect(errorCode(outcome)).toBe('SCAN_NOTHING_SCANNED');
    expect(outcome.record.errors[0]?.message).toContain('1 package component without a purl or version');
    expect(report?.components.unscannableComponents).toEqual([
      { name: 'lodash', version: '4.17.20', bomRef: 'lodash@4.17.20', type: 'library', reason: 'no purl' },
    ]);
  });

  it('refuses pkg:npm/lodash without a version', async () => {
    const { outcome, report } = await scan([{ name: 'lodash', purl: 'pkg:npm/lodash' }]);
    expect(outcome.exitCode).toBe(2);
    expect(errorCode(outcome)).toBe('SCAN_NOTHING_SCANNED');
    expect(report?.components.unscannableComponents.map((u) => u.reason)).toEqual(['no version in purl or component']);
  });

  it('refuses a declared-only dependency alone: it is not shipped, so nothing was checked', async () => {
    const [, nodejs] = helloExampleComponents();
    const { outcome, report } = await scan([nodejs!]);
    expect(errorCode(outcome)).toBe('SCAN_NOTHING_SCANNED');
    expect(outcome.record.errors[0]?.message).toContain('1 declared-only dependency (not shipped)');
    expect(report?.components).toMatchObject({ declaredOnly: 1, unscannable: 0 });
  });

  it('refuses a vulnerable npm SBOM against a database of Debian records only, naming npm and the count', async () => {
    const db = await onlyDebianDb();
    const { outcome, report } = await scan([npm('lodash', '4.17.20'), npm('minimist', '1.2.0'), npm('lodash', '4.17.20')], { db });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.record.status).toBe('failed');
    expect(outcome.record.errors.map((e) => e.code)).toEqual(['SCAN_DB_UNAVAILABLE']);
    // The duplicate lodash is one component to check.
    expect(outcome.record.errors[0]?.message).toContain('the OSV database has no npm records: 2 npm components cannot be checked');
    expect(outcome.record.errors[0]?.subject).toBe('debian-db');
    expect(outcome.record.errors[0]?.hint).toContain('covers npm');
    expect(report?.coverage).toEqual([{ ecosystem: 'npm', components: 2, records: 0, covered: false }]);
    expect(report?.database.ecosystems).toEqual([{ ecosystem: 'Debian', records: 2, releases: ['7', '9'] }]);
    expect(outcome.result?.outputValues['decision']).toBe('fail');
  });

  it('refuses when the only npm record is withdrawn, even though the database has other records', async () => {
    const db = await onlyDebianDb();
    await writeModifiedRecord(db, 'npm/GHSA-35jh-r3h4-6jhm.json', (record) => {
      record['withdrawn'] = '2025-09-01T00:00:00Z';
    });
    const { outcome } = await scan([npm('lodash', '4.17.20')], { db });
    expect(errorCode(outcome)).toBe('SCAN_DB_UNAVAILABLE');
    expect(outcome.record.errors[0]?.message).toContain('no npm records: 1 npm component cannot be checked');
  });

  it('names each uncovered ecosystem and still reports the blocking findings of the covered one', async () => {
    const db = await copyRecords(path.join(session.dir, 'npm-db'), ['npm/GHSA-35jh-r3h4-6jhm.json']);
    const openssl = {
      name: 'openssl',
      version: '1.1.0l-1~deb9u5',
      purl: 'pkg:deb/debian/openssl@1.1.0l-1~deb9u5?arch=amd64&distro=debian-9',
    };
    const { outcome, report } = await scan([npm('lodash', '4.17.20'), openssl], { db });
    expect(outcome.exitCode).toBe(2);
    expect(outcome.record.errors.map((e) => e.code)).toEqual(['SCAN_DB_UNAVAILABLE', 'SCAN_BLOCKED']);
    expect(outcome.record.errors[0]?.message).toContain('no Debian records: 1 Debian component cannot be checked');
    expect(report?.coverage.map((c) => [c.ecosystem, c.covered])).toEqual([
      ['Debian', false],
      ['npm', true],
    ]);
    expect(report?.blockingIds).toEqual(['GHSA-35jh-r3h4-6jhm']);
    expect(outcome.record.decision?.reason).toMatch(
      /^could not decide: .*; also 1 finding\(s\) at or above fail-on high without an approved exception: GHSA-35jh-r3h4-6jhm$/,
    );
  });

  it('refuses the hello example SBOM against the sample database without its Debian records', async () => {
    const db = await copyRecords(
      path.join(session.dir, 'npm-only'),
      (await readdir(path.join(EXAMPLE_DB, 'npm'))).map((file) => path.posix.join('npm', file)),
    );
    const { outcome } = await scan(helloExampleComponents(), { db });
    expect(errorCode(outcome)).toBe('SCAN_DB_UNAVAILABLE');
    expect(outcome.record.errors[0]?.message).toContain('no Debian records: 1 Debian component cannot be checked');
  });
});

describe('scan stage: what it could not look up', () => {
  it('passes the hello example SBOM against the sample database, counting the declared-only dependency apart', async () => {
    const { outcome, report } = await scan(helloExampleComponents());
    expect(outcome.exitCode).toBe(0);
    expect(outcome.record.status).toBe('passed');
    expect(report?.components).toMatchObject({ total: 7, files: 2, scanned: 4, skipped: 0, unscannable: 0, declaredOnly: 1 });
    expect(report?.components.declaredOnlyComponents.map((d) => d.purl)).toEqual(['pkg:deb/debian/nodejs']);
    expect(report?.coverage).toEqual([
      { ecosystem: 'Debian', components: 1, records: 2, covered: true },
      { ecosystem: 'npm', components: 3, records: 10, covered: true },
    ]);
    expect(report?.undecided).toEqual([]);
    expect(session.logger.text()).not.toContain('unscannable library component');
  });

  it('passes with an unscannable component beside scanned ones, but warns and lists it', async () => {
    const { outcome, report } = await scan([npm('minimist', '1.2.8'), { name: 'lodash', version: '4.17.20' }]);
    expect(outcome.exitCode).toBe(0);
    expect(report?.components).toMatchObject({ scanned: 1, unscannable: 1 });
    expect(report?.components.unscannableComponents.map((u) => u.name)).toEqual(['lodash']);
    expect(session.logger.lines).toContainEqual({ level: 'warn', message: 'unscannable library component: lodash (no purl)' });
    expect(outcome.record.notes).toContain('1 package component(s) unscannable (no purl or no version); see the report');
    expect(outcome.result?.summary).toContain('**Warning:** 1 package component(s) could not be looked up: lodash (no purl)');
  });

  it('reports the ecosystems the database records cover, and the ones the scanner supports apart', async () => {
    const { outcome, report } = await scan([npm('minimist', '1.2.8')]);
    const covered = [
      { ecosystem: 'Debian', records: 2, releases: ['7', '9'] },
      { ecosystem: 'RubyGems', records: 7, releases: [] },
      { ecosystem: 'npm', records: 10, releases: [] },
    ];
    expect(report?.database.ecosystems).toEqual(covered);
    // The scanner orders versions for every ecosystem issue 4 names (and the distributions that share their order).
    expect(report?.tool.ecosystems).toEqual(supportedEcosystems());
    expect(report?.tool.ecosystems).toEqual(
      expect.arrayContaining(['npm', 'Go', 'PyPI', 'Maven', 'NuGet', 'RubyGems', 'crates.io', 'Debian', 'Alpine', 'Red Hat']),
    );
    expect(outcome.record.details).toMatchObject({ databaseEcosystems: covered });
    expect(outcome.result?.summary).toContain('12 records (Debian 2, RubyGems 7, npm 10)');
  });
});

describe('scan stage: records and severities', () => {
  it('ignores a withdrawn record and counts it', async () => {
    const db = await copyRecords(path.join(session.dir, 'db'), ['npm/GHSA-29mw-wpgm-hmr9.json']);
    await writeModifiedRecord(db, 'npm/GHSA-35jh-r3h4-6jhm.json', (record) => {
      record['withdrawn'] = '2025-09-01T00:00:00Z';
    });
    const { outcome, report } = await scan([npm('lodash', '4.17.20')], { db });
    expect(report?.findings.map((f) => f.id)).toEqual(['GHSA-29mw-wpgm-hmr9']);
    expect(report?.database).toMatchObject({ files: 2, records: 1, withdrawn: 1 });
    expect(outcome.record.status).toBe('passed');
  });

  it('treats an advisory without any rating as high by default, and as chosen otherwise', async () => {
    // The real DLA-3008-1 (Debian:9 openssl) carries neither database_specific.severity nor CVSS.
    const db = await copyRecords(path.join(session.dir, 'db'), ['Debian/DLA-3008-1.json']);
    const openssl = {
      name: 'openssl',
      version: '1.1.0l-1~deb9u5',
      purl: 'pkg:deb/debian/openssl@1.1.0l-1~deb9u5?arch=amd64&distro=debian-9',
    };
    const unrated = await scan([openssl], { db });
    expect(unrated.report?.findings.map((f) => [f.id, f.severity, f.severitySource, f.blocking])).toEqual([
      ['DLA-3008-1', 'high', 'unknown', true],
    ]);
    expect(unrated.report?.findings[0]?.notes).toContain('no severity in the advisory: treated as high (input unknown-severity)');
    expect(unrated.outcome.record.status).toBe('failed');
    expect(unrated.report?.findings[0]?.fixedVersions).toEqual(['1.1.0l-1~deb9u6']);

    const lowered = await scan([openssl], { db, 'unknown-severity': 'low', output: 'second.json' });
    expect(lowered.report?.findings.map((f) => [f.severity, f.blocking])).toEqual([['low', false]]);
    expect(lowered.outcome.record.status).toBe('passed');
  });

  it('merges two records that alias each other into one finding', async () => {
    const db = await copyRecords(path.join(session.dir, 'db'), ['npm/GHSA-35jh-r3h4-6jhm.json']);
    // A CVE-keyed copy of the same advisory, as an aggregated database would hold it.
    await writeModifiedRecord(
      db,
      'npm/GHSA-35jh-r3h4-6jhm.json',
      (record) => {
        record['id'] = 'CVE-2021-23337';
        record['aliases'] = ['GHSA-35jh-r3h4-6jhm'];
        delete record['database_specific'];
        record['severity'] = [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }];
      },
      'nvd/CVE-2021-23337.json',
    );
    const { report } = await scan([npm('lodash', '4.17.20')], { db, 'fail-on': 'none' });
    expect(report?.findings).toHaveLength(1);
    const finding = report!.findings[0]!;
    expect(finding.id).toBe('CVE-2021-23337');
    expect(finding.ids).toEqual(['CVE-2021-23337', 'GHSA-35jh-r3h4-6jhm']);
    expect(finding.aliases).toEqual([]);
    // The most severe rated record wins: the CVE copy's vector scores 9.8.
    expect([finding.severity, finding.score]).toEqual(['critical', 9.8]);
  });
});

describe('scan stage: Debian components', () => {
  const nginx = (qualifiers: string): TestComponent => ({
    name: 'nginx',
    version: '1.2.1-2.2+wheezy2',
    purl: `pkg:deb/debian/nginx@1.2.1-2.2%2Bwheezy2${qualifiers}`,
  });

  it('matches only advisories of the release named by the distro qualifier', async () => {
    // DSA-3029-1 is scoped to Debian:7 (wheezy).
    const wheezy = await scan([nginx('?distro=debian-7')], { db: MATCHING_DB, 'fail-on': 'none', output: 'a.json' });
    expect(wheezy.report?.findings.map((f) => [f.id, f.advisoryEcosystems])).toEqual([['DSA-3029-1', ['Debian:7']]]);
    expect(wheezy.report?.findings[0]?.notes).toEqual(['no severity in the advisory: treated as high (input unknown-severity)']);
    const byName = await scan([nginx('?distro=wheezy')], { db: MATCHING_DB, 'fail-on': 'none', output: 'b.json' });
    expect(byName.report?.findings.map((f) => f.id)).toEqual(['DSA-3029-1']);
    const other = await scan([nginx('?distro=debian-12')], { db: MATCHING_DB, 'fail-on': 'none', output: 'c.json' });
    expect(other.report?.findings).toEqual([]);
  });

  it('matches every release without a distro qualifier, and says so', async () => {
    const { report } = await scan([nginx('')], { db: MATCHING_DB, 'fail-on': 'none' });
    expect(report?.findings.map((f) => f.id)).toEqual(['DSA-3029-1']);
    expect(report?.findings[0]?.notes[0]).toBe('no distro qualifier in the purl: matched Debian advisories of every release');
  });

  it('matches a binary package through its source package (purl upstream qualifier)', async () => {
    const libssl = {
      name: 'libssl1.1',
      version: '1.1.0l-1~deb9u5',
      purl: 'pkg:deb/debian/libssl1.1@1.1.0l-1~deb9u5?arch=amd64&distro=debian-9&upstream=openssl',
    };
    const { report } = await scan([libssl], { db: MATCHING_DB, 'fail-on': 'none' });
    expect(report?.findings.map((f) => [f.id, f.package.name, f.package.matchedAs])).toEqual([
      ['DLA-3008-1', 'libssl1.1', 'openssl@1.1.0l-1~deb9u5 (source package)'],
    ]);
  });
});

describe('scan stage: SBOM handling', () => {
  it('scans nested components and lists what it skips', async () => {
    const { report } = await scan(
      [
        { ...npm('express', '4.0.0'), components: [npm('minimist', '1.2.0')] },
        { name: 'vendored-thing', version: '1.0' },
        { name: 'zlib', version: '1.3', purl: 'pkg:conan/zlib@1.3' },
        { name: 'plug', version: '1.14.0', purl: 'pkg:hex/plug@1.14.0' },
      ],
      { 'fail-on': 'none' },
    );
    expect(report?.components).toMatchObject({ total: 5, scanned: 2, skipped: 2, unscannable: 1 });
    expect(report?.components.skippedComponents.map((s) => [s.name, s.reason])).toEqual([
      ['plug', 'unsupported purl type: hex'],
      ['zlib', 'unsupported purl type: conan'],
    ]);
    expect(report?.components.unscannableComponents.map((s) => [s.name, s.type, s.reason])).toEqual([
      ['vendored-thing', 'library', 'no purl'],
    ]);
    expect(report?.findings.map((f) => f.id)).toEqual(['GHSA-xvch-5gv4-984h', 'GHSA-vh95-rmgr-6w4m']);
  });

  it('rejects a document that is neither CycloneDX nor SPDX 2', async () => {
    const sbom = path.join(session.dir, 'spdx.json');
    await writeFile(sbom, JSON.stringify({ spdxVersion: 'SPDX-3.0', '@graph': [] }));
    const options = scanStage.parse({ sbom, db: EXAMPLE_DB }, { workDir: session.dir, env: {} });
    const outcome = await runStage(scanStage, options, await session.contextFor('scan'));
    expect(errorCode(outcome)).toBe('SCAN_SBOM_INVALID');
    expect(outcome.exitCode).toBe(2);
  });
});

describe('scan stage: inputs and determinism', () => {
  it('parses defaults and names a bad choice', () => {
    const options = scanStage.parse({ sbom: 'bom.json', db: 'osv' }, { workDir: '/work', env: {} });
    expect(options).toEqual({
      sbom: '/work/bom.json',
      db: { kind: 'offline', path: '/work/osv' },
      failOn: 'high',
      unknownSeverity: 'high',
      onlyFixed: false,
      output: '/work/factory-out/scan-report.json',
      vex: [],
      malwareScan: false,
      malwareFiles: [],
    });
    expect(() => scanStage.parse({ sbom: 'bom.json', db: 'osv', 'fail-on': 'severe' }, { workDir: '/work', env: {} })).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID', subject: 'fail-on' }) as FactoryError,
    );
    expect(() => scanStage.parse({ sbom: 'bom.json' }, { workDir: '/work', env: {} })).toThrow(
      expect.objectContaining({ code: 'INPUT_MISSING', subject: 'db' }) as FactoryError,
    );
  });

  it('declares the agreed input and output names', () => {
    expect(Object.keys(scanStage.inputs)).toEqual([
      'sbom',
      'db',
      'osv-api-url',
      'cache-dir',
      'fail-on',
      'unknown-severity',
      'only-fixed',
      'policy',
      'trusted-root',
      'exceptions',
      'exceptions-bundle',
      'vex',
      'openvex-output',
      'sarif',
      'malware-scan',
      'clamav-database',
      'malware-files',
      'output',
    ]);
    expect(Object.keys(scanStage.outputs)).toEqual(['report', 'decision', 'vulnerability-count', 'blocking-count', 'sarif', 'openvex']);
    expect(scanStage.positional).toBe('sbom');
  });

  it('writes the same report bytes for the same inputs', async () => {
    const components = [npm('lodash', '4.17.4'), npm('minimist', '0.0.8'), npm('ansi-html', '0.0.1')];
    const first = await scan(components, { 'fail-on': 'none', output: 'one.json' });
    const second = await scan(components, { 'fail-on': 'none', output: 'two.json' });
    const one = await readFile(path.join(session.dir, 'one.json'), 'utf8');
    expect(await readFile(path.join(session.dir, 'two.json'), 'utf8')).toBe(one);
    expect(second.outcome.result?.summary).toBe(first.outcome.result?.summary);
    expect(first.report?.findings.length).toBe(10);
    const rank = (level: string): number => ['critical', 'high', 'medium', 'low', 'none'].indexOf(level);
    const severities = first.report!.findings.map((f) => f.severity);
    expect(severities).toEqual([...severities].sort((a, b) => rank(a) - rank(b)));
  });

  it('lists the same findings whatever the order of the SBOM components', async () => {
    const components = [npm('lodash', '4.17.4'), npm('minimist', '0.0.8'), npm('ansi-html', '0.0.1')];
    const first = await scan(components, { 'fail-on': 'none', output: 'one.json' });
    const second = await scan([...components].reverse(), { 'fail-on': 'none', output: 'two.json' });
    expect(second.report?.findings).toEqual(first.report?.findings);
  });
});
