import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isFactoryError } from '@packaging-factory/core';
import {
  applyExceptions,
  applyVex,
  buildOpenVex,
  loadExceptionSet,
  loadVexDocument,
  parseVexDocument,
  validateOpenVex,
  type VexDocument,
} from '@packaging-factory/vuln';
import { tempDir } from '../support/context.ts';
import { makeReviewer, type Reviewer } from './reviewer-key.ts';
import { scanVulnerableSbom, type ScannedSbom } from './scan-findings.ts';

function openVex(statements: object[], timestamp = '2025-01-10T00:00:00Z'): string {
  return `${JSON.stringify(
    {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://openvex.dev/docs/example/vex-test',
      author: 'Security Team <security@example.com>',
      timestamp,
      version: 1,
      statements,
    },
    null,
    2,
  )}\n`;
}

describe('VEX input under the approval rule', () => {
  let dir: string;
  let scanned: ScannedSbom;
  let reviewer: Reviewer;
  beforeAll(async () => {
    dir = await tempDir('vuln-policy-vex-');
    scanned = await scanVulnerableSbom(dir);
    reviewer = await makeReviewer(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function approvedVex(name: string, text: string): Promise<VexDocument> {
    const file = path.join(dir, name);
    const bundle = await reviewer.approve(file, text);
    return loadVexDocument({ file, bundle, policy: reviewer.policy });
  }

  const suppressed = (documents: VexDocument[]): string[] =>
    applyVex(scanned.findings, documents)
      .map((a) => `${a.finding.id}:${a.statement.status}`)
      .sort();

  test('OpenVEX not_affected and fixed suppress, affected and under_investigation do not', async () => {
    const document = await approvedVex(
      'app.openvex.json',
      openVex([
        {
          vulnerability: { name: 'CVE-2021-23337' },
          products: [{ '@id': 'pkg:npm/lodash@4.17.20' }],
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
          impact_statement: 'template() never sees user input',
        },
        {
          vulnerability: { name: 'GHSA-xvch-5gv4-984h' },
          products: [{ '@id': 'pkg:npm/minimist@1.2.5' }],
          status: 'affected',
          action_statement: 'upgrade to 1.2.6',
        },
        {
          vulnerability: { name: 'CVE-2021-23424', aliases: ['GHSA-whgm-jr23-g3j9'] },
          products: [{ '@id': 'pkg:deb/debian/app@1.0', subcomponents: [{ '@id': 'pkg:npm/ansi-html' }] }],
          status: 'under_investigation',
        },
        {
          vulnerability: { name: 'CVE-2020-28500' },
          products: [{ '@id': 'pkg:npm/lodash@4.17.19' }],
          status: 'not_affected',
          justification: 'component_not_present',
        },
      ]),
    );
    expect(document).toMatchObject({ format: 'openvex', approved: true });
    expect(suppressed([document])).toEqual(['GHSA-35jh-r3h4-6jhm:not_affected']);
  });

  test('the latest statement about a finding decides (OpenVEX statements override earlier ones)', async () => {
    const later = await approvedVex(
      'later.openvex.json',
      openVex([
        {
          vulnerability: { name: 'GHSA-whgm-jr23-g3j9' },
          products: [{ '@id': 'pkg:npm/ansi-html' }],
          status: 'under_investigation',
          timestamp: '2025-01-01T00:00:00Z',
        },
        {
          vulnerability: { name: 'GHSA-whgm-jr23-g3j9' },
          products: [{ identifiers: { purl: 'pkg:npm/ansi-html@0.0.7' } }],
          status: 'fixed',
          timestamp: '2025-02-01T00:00:00Z',
        },
      ]),
    );
    expect(suppressed([later])).toEqual(['GHSA-whgm-jr23-g3j9:fixed']);
    const earlier = await approvedVex(
      'earlier.openvex.json',
      openVex([
        {
          vulnerability: { name: 'GHSA-whgm-jr23-g3j9' },
          products: [{ '@id': 'pkg:npm/ansi-html' }],
          status: 'fixed',
          timestamp: '2025-01-01T00:00:00Z',
        },
        {
          vulnerability: { name: 'GHSA-whgm-jr23-g3j9' },
          products: [{ '@id': 'pkg:npm/ansi-html' }],
          status: 'affected',
          action_statement: 'upgrade',
          timestamp: '2025-02-01T00:00:00Z',
        },
      ]),
    );
    expect(suppressed([earlier])).toEqual([]);
  });

  test('a VEX document without a reviewer approval is read, reported and never applied', async () => {
    const file = path.join(dir, 'unapproved.openvex.json');
    await writeFile(
      file,
      openVex([
        {
          vulnerability: { name: 'CVE-2021-23337' },
          products: [{ '@id': 'pkg:npm/lodash' }],
          status: 'not_affected',
          justification: 'component_not_present',
        },
      ]),
    );
    const document = await loadVexDocument({ file, policy: reviewer.policy });
    expect(document.approved).toBe(false);
    expect(document.approval).toContain('no approval bundle');
    expect(suppressed([document])).toEqual([]);
  });

  test('CycloneDX VEX: analysis states map to VEX statuses through bom-refs', async () => {
    const bom = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      version: 1,
      components: [
        { type: 'library', 'bom-ref': 'lodash-ref', name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20' },
        { type: 'library', 'bom-ref': 'minimist-ref', name: 'minimist', version: '1.2.5', purl: 'pkg:npm/minimist@1.2.5' },
      ],
      vulnerabilities: [
        {
          id: 'CVE-2021-23337',
          analysis: { state: 'not_affected', justification: 'code_not_reachable' },
          affects: [{ ref: 'lodash-ref' }],
        },
        { id: 'CVE-2020-28500', analysis: { state: 'in_triage' }, affects: [{ ref: 'lodash-ref' }] },
        {
          id: 'GHSA-xvch-5gv4-984h',
          analysis: { state: 'false_positive' },
          affects: [{ ref: 'urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#minimist-ref' }],
        },
        { id: 'CVE-2021-23424', analysis: { state: 'exploitable' }, affects: [{ ref: 'pkg:npm/ansi-html@0.0.7' }] },
      ],
    };
    const document = await approvedVex('app.vex.cdx.json', `${JSON.stringify(bom, null, 2)}\n`);
    expect(document.format).toBe('cyclonedx');
    expect(document.statements.map((s) => s.status)).toEqual(['not_affected', 'under_investigation', 'not_affected', 'affected']);
    expect(suppressed([document])).toEqual(['GHSA-35jh-r3h4-6jhm:not_affected', 'GHSA-xvch-5gv4-984h:not_affected']);
  });

  test.each([
    [
      'an OpenVEX document without @id',
      openVex([]).replace('"@id": "https://openvex.dev/docs/example/vex-test",', ''),
      /does not follow the v0.2.0 schema: .*@id/,
    ],
    [
      'an OpenVEX not_affected statement without justification or impact',
      openVex([{ vulnerability: { name: 'CVE-1' }, products: [{ '@id': 'pkg:npm/x' }], status: 'not_affected' }]),
      /statements\/0 must match a schema in anyOf/,
    ],
    [
      'a CycloneDX entry without analysis',
      JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', vulnerabilities: [{ id: 'CVE-1', affects: [] }] }),
      /analysis.state is missing/,
    ],
    ['a JSON file of another kind', '{"spdxVersion":"SPDX-2.3"}', /neither an OpenVEX document nor a CycloneDX BOM/],
  ])('%s is refused', (_what, text, message) => {
    let error: unknown;
    try {
      parseVexDocument(text, 'vex.json');
    } catch (e) {
      error = e;
    }
    expect(isFactoryError(error) && error.code).toBe('SCAN_VEX_INVALID');
    expect((error as Error).message).toMatch(message);
  });
});

describe('OpenVEX from approved not_affected exceptions', () => {
  let dir: string;
  let scanned: ScannedSbom;
  let reviewer: Reviewer;
  const NOW = new Date('2025-03-01T00:00:00Z');
  const EXCEPTIONS = `version: 1
exceptions:
  - id: CVE-2021-23337
    package: pkg:npm/lodash@4.17.*
    status: not_affected
    justification: vulnerable_code_not_in_execute_path
    reason: template() is never called with user input
    owner: platform-team
    expires: 2025-12-31
    ticket: SEC-42
  - id: GHSA-xvch-5gv4-984h
    package: pkg:npm/minimist
    status: affected
    reason: accepted until the CLI parser is replaced
    owner: cli-team
    expires: 2025-06-30
    ticket: SEC-43
  - id: CVE-2099-0001
    package: pkg:npm/left-pad@1.3.0
    status: not_affected
    justification: component_not_present
    reason: left-pad was removed
    owner: platform-team
    expires: 2025-12-31
    ticket: SEC-44
`;

  beforeAll(async () => {
    dir = await tempDir('vuln-policy-openvex-');
    scanned = await scanVulnerableSbom(dir);
    reviewer = await makeReviewer(dir);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function build(text: string): Promise<ReturnType<typeof buildOpenVex>> {
    const file = path.join(dir, 'exceptions.yml');
    const bundle = await reviewer.approve(file, text);
    const set = await loadExceptionSet({ file, bundle, policy: reviewer.policy, now: NOW });
    const applied = applyExceptions(scanned.findings, set, NOW);
    return buildOpenVex({
      exceptions: set,
      applied,
      author: 'security team',
      timestamp: '2025-03-01T00:00:00Z',
      tooling: 'packaging-factory-scan 0.1.0',
    });
  }

  test('the document is schema-valid, carries the finding names, products, justification and reason', async () => {
    const output = await build(EXCEPTIONS);
    expect(output.document).toBeDefined();
    expect(validateOpenVex(output.document)).toEqual([]);
    const statements = output.document!['statements'] as Record<string, unknown>[];
    expect(statements).toEqual([
      {
        vulnerability: { '@id': 'https://osv.dev/vulnerability/CVE-2099-0001', name: 'CVE-2099-0001' },
        products: [{ '@id': 'pkg:npm/left-pad@1.3.0', identifiers: { purl: 'pkg:npm/left-pad@1.3.0' } }],
        status: 'not_affected',
        justification: 'component_not_present',
        impact_statement: 'left-pad was removed',
        status_notes: expect.stringContaining('owner platform-team; ticket SEC-44; expires 2025-12-31; approved by key ') as unknown,
      },
      {
        vulnerability: {
          '@id': 'https://osv.dev/vulnerability/GHSA-35jh-r3h4-6jhm',
          name: 'GHSA-35jh-r3h4-6jhm',
          aliases: ['CVE-2021-23337'],
        },
        products: [{ '@id': 'pkg:npm/lodash@4.17.20', identifiers: { purl: 'pkg:npm/lodash@4.17.20' } }],
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        impact_statement: 'template() is never called with user input',
        status_notes: expect.stringContaining('owner platform-team; ticket SEC-42') as unknown,
      },
    ]);
    expect(output.document).toMatchObject({ '@context': 'https://openvex.dev/ns/v0.2.0', timestamp: '2025-03-01T00:00:00Z', version: 1 });
    expect(output.document!['@id']).toMatch(/^https:\/\/openvex\.dev\/docs\/public\/vex-[0-9a-f]{64}$/);
  });

  test('same input, same bytes; other content, another @id', async () => {
    const first = await build(EXCEPTIONS);
    const second = await build(EXCEPTIONS);
    expect(second.text).toBe(first.text);
    const changed = await build(EXCEPTIONS.replace('left-pad was removed', 'left-pad is gone'));
    expect(changed.document!['@id']).not.toBe(first.document!['@id']);
  });

  test('the written document, approved, suppresses the same findings when read back as VEX', async () => {
    const output = await build(EXCEPTIONS);
    const file = path.join(dir, 'exceptions.openvex.json');
    const bundle = await reviewer.approve(file, output.text!);
    const document = await loadVexDocument({ file, bundle, policy: reviewer.policy });
    expect(applyVex(scanned.findings, [document]).map((a) => a.finding.id)).toEqual(['GHSA-35jh-r3h4-6jhm']);
  });

  test('no approved not_affected exception, no document; a glob that covered nothing is reported as skipped', async () => {
    const output = await build(
      'version: 1\nexceptions:\n  - id: CVE-2099-0002\n    package: pkg:npm/left-*\n    status: not_affected\n    justification: component_not_present\n    reason: gone\n    owner: a\n    expires: 2025-12-31\n    ticket: T-1\n',
    );
    expect(output.document).toBeUndefined();
    expect(output.skipped).toEqual([{ index: 0, reason: 'the pattern pkg:npm/left-* covered no finding and is not a single purl' }]);
  });
});
