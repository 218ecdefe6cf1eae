import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isFactoryError } from '@packaging-factory/core';
import {
  applyExceptions,
  decideGate,
  loadExceptionSet,
  matchesPurlPattern,
  parseExceptionsFile,
  type ExceptionSet,
} from '@packaging-factory/vuln';
import { tempDir } from '../support/context.ts';
import { makeReviewer, type Reviewer } from './reviewer-key.ts';
import { findingFor, scanVulnerableSbom, type ScannedSbom } from './scan-findings.ts';

const NOW = new Date('2025-03-01T12:00:00Z');

function entry(fields: Record<string, string>): string {
  return `  - ${Object.entries(fields)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\n    ')}\n`;
}

const BASE = {
  status: 'not_affected',
  justification: 'vulnerable_code_not_in_execute_path',
  reason: 'the vulnerable function is never called',
  owner: 'platform-team',
  expires: '2025-12-31',
  ticket: 'SEC-1',
};

describe('purl patterns', () => {
  test.each([
    ['pkg:npm/lodash', 'pkg:npm/lodash@4.17.20', true],
    ['pkg:npm/lodash@4.17.20', 'pkg:npm/lodash@4.17.20', true],
    ['pkg:npm/lodash@4.17.*', 'pkg:npm/lodash@4.17.20', true],
    ['pkg:npm/lodash@4.16.*', 'pkg:npm/lodash@4.17.20', false],
    ['pkg:npm/lodash', 'pkg:npm/lodash-es@4.17.20', false],
    ['pkg:npm/lodash*', 'pkg:npm/lodash-es@4.17.20', true],
    ['pkg:npm/@babel/*', 'pkg:npm/%40babel/core@7.0.0', true],
    ['pkg:npm/%40babel/core@7.0.0', 'pkg:npm/%40babel/core@7.0.0', true],
    ['pkg:npm/*', 'pkg:npm/%40babel/core@7.0.0', false],
    ['pkg:pypi/Django_Rest', 'pkg:pypi/django-rest@1.0', true],
    ['pkg:deb/debian/openssl?distro=debian-12', 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12', true],
    ['pkg:deb/debian/openssl?distro=debian-11', 'pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=debian-12', false],
    ['pkg:pypi/lodash', 'pkg:npm/lodash@4.17.20', false],
  ])('%s against %s → %s', (pattern, purl, expected) => {
    expect(matchesPurlPattern(pattern, purl)).toBe(expected);
  });
});

describe('exceptions file validation', () => {
  test('each problem names the entry and the field, and only that entry is invalid', () => {
    const text =
      'version: 1\nexceptions:\n' +
      entry({ id: 'CVE-2021-23337', package: 'pkg:npm/lodash', ...BASE }) +
      entry({ id: 'CVE-2020-28500', package: 'lodash', ...BASE, status: 'not_affected', justification: 'because' }) +
      entry({ id: 'CVE-2021-44906', package: 'pkg:npm/minimist', ...BASE, expires: '2025-02-30' }) +
      entry({
        id: 'CVE-2021-23424',
        package: 'pkg:npm/ansi-html',
        status: 'not_affected',
        reason: 'x',
        owner: 'y',
        expires: '2025-12-31',
        ticket: 'z',
      }) +
      entry({ id: 'CVE-1', package: 'pkg:npm/x', ...BASE, color: 'blue' });
    const parsed = parseExceptionsFile(text, 'exceptions.yml');
    expect(parsed.entries.map((e) => e.problems)).toEqual([
      [],
      [
        'exceptions[1].justification: must be one of component_not_present, vulnerable_code_not_present, vulnerable_code_not_in_execute_path, vulnerable_code_cannot_be_controlled_by_adversary, inline_mitigations_already_exist',
        'exceptions[1].package: must be a purl pattern pkg:type/[namespace/]name[@version]',
      ],
      ['exceptions[2].expires: must match format "date"'],
      ['exceptions[3].justification: required when status is not_affected (an OpenVEX justification)'],
      ['exceptions[4].color: unknown field'],
    ]);
  });

  test('a file without version 1 is refused as a whole', () => {
    const error = (() => {
      try {
        parseExceptionsFile('exceptions: []\n', 'exceptions.yml');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isFactoryError(error) && error.code).toBe('SCAN_EXCEPTIONS_INVALID');
    expect((error as Error).message).toContain("missing 'version'");
  });

  test('text that is not YAML is refused', () => {
    expect(() => parseExceptionsFile('version: 1\nexceptions: [\n', 'x.yml')).toThrow(/not valid YAML/);
  });
});

describe('applying approved exceptions to real findings', () => {
  let dir: string;
  let scanned: ScannedSbom;
  let reviewer: Reviewer;
  beforeAll(async () => {
    dir = await tempDir('vuln-policy-exceptions-');
    scanned = await scanVulnerableSbom(dir);
    reviewer = await makeReviewer(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function approvedSet(text: string, approve = true): Promise<ExceptionSet> {
    const file = path.join(dir, 'exceptions.yml');
    const bundle = await reviewer.approve(file, text);
    if (!approve) await writeFile(file, `${text}# edited after approval\n`);
    return loadExceptionSet({ file, bundle, policy: reviewer.policy, now: NOW });
  }

  test('the scan found what the fixture database says', () => {
    expect(scanned.findings.map((f) => `${f.id} ${f.severity} ${f.blocking}`).sort()).toEqual([
      'GHSA-29mw-wpgm-hmr9 medium false',
      'GHSA-35jh-r3h4-6jhm high true',
      'GHSA-whgm-jr23-g3j9 high true',
      'GHSA-xvch-5gv4-984h critical true',
    ]);
  });

  test('an exception by alias and purl glob covers the finding; expired and unmatched ones do not', async () => {
    const set = await approvedSet(
      'version: 1\nexceptions:\n' +
        entry({ id: 'CVE-2021-23337', package: 'pkg:npm/lodash@4.17.*', ...BASE }) +
        entry({ id: 'GHSA-xvch-5gv4-984h', package: 'pkg:npm/minimist', ...BASE, expires: '2025-02-28' }) +
        entry({
          id: 'CVE-2021-23424',
          package: 'pkg:npm/ansi-html@0.0.8',
          ...BASE,
          status: 'affected',
          justification: 'component_not_present',
        }),
    );
    expect(set.entries.map((e) => `${e.index}:${e.state}`)).toEqual(['0:active', '1:expired', '2:active']);
    expect(set.entries[1]!.reason).toBe('expired on 2025-02-28');
    const applied = applyExceptions(scanned.findings, set, NOW);
    expect(applied.map((a) => `${a.finding.id}←${a.index}`)).toEqual(['GHSA-35jh-r3h4-6jhm←0']);
    const gate = decideGate(scanned.findings, applied);
    expect(gate.decision).toBe('fail');
    expect(gate.blocking.map((f) => f.id).sort()).toEqual(['GHSA-whgm-jr23-g3j9', 'GHSA-xvch-5gv4-984h']);
  });

  test('when every blocking finding is covered the gate passes with exceptions, and the findings are not changed', async () => {
    const set = await approvedSet(
      'version: 1\nexceptions:\n' +
        entry({ id: 'GHSA-35jh-r3h4-6jhm', package: 'pkg:npm/lodash', ...BASE }) +
        entry({ id: 'cve-2021-44906', package: 'pkg:npm/minimist@1.2.5', ...BASE }) +
        entry({
          id: 'GHSA-whgm-jr23-g3j9',
          package: 'pkg:npm/ansi-html@*',
          ...BASE,
          status: 'affected',
          reason: 'accepted until the upgrade',
        }),
    );
    const before = JSON.stringify(scanned.findings);
    const applied = applyExceptions(scanned.findings, set, NOW);
    expect(JSON.stringify(scanned.findings)).toBe(before);
    expect(applied.map((a) => a.finding.id).sort()).toEqual(['GHSA-35jh-r3h4-6jhm', 'GHSA-whgm-jr23-g3j9', 'GHSA-xvch-5gv4-984h']);
    const gate = decideGate(scanned.findings, applied);
    expect(gate).toMatchObject({ decision: 'pass-with-exceptions', blocking: [] });
    expect(gate.excepted).toHaveLength(3);
    // The same set a day after the entries expire applies nothing.
    expect(applyExceptions(scanned.findings, set, new Date('2026-01-01'))).toEqual([]);
  });

  test('an exceptions file edited after approval applies nothing and says why', async () => {
    const set = await approvedSet(
      'version: 1\nexceptions:\n' + entry({ id: 'GHSA-35jh-r3h4-6jhm', package: 'pkg:npm/lodash', ...BASE }),
      false,
    );
    expect(set.approved).toBe(false);
    expect(set.entries[0]!.state).toBe('unapproved');
    expect(applyExceptions(scanned.findings, set, NOW)).toEqual([]);
    expect(decideGate(scanned.findings, []).decision).toBe('fail');
  });

  test('a scan that could not decide fails even with every finding covered; nothing blocking passes', () => {
    const lodash = findingFor(scanned.findings, 'GHSA-29mw-wpgm-hmr9');
    expect(decideGate([lodash], []).decision).toBe('pass');
    expect(decideGate([lodash], [], 1).decision).toBe('fail');
  });
});
