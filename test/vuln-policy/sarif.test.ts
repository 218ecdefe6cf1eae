import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import {
  applyExceptions,
  buildSarifLog,
  exceptionSuppressions,
  loadExceptionSet,
  validateSarif,
  type ExceptionSet,
} from '@packaging-factory/vuln';
import { tempDir } from '../support/context.ts';
import { FIXTURES } from '../vuln/fixtures.ts';
import { makeReviewer } from './reviewer-key.ts';
import { scanVulnerableSbom, type ScannedSbom } from './scan-findings.ts';

const SARIF = path.join(FIXTURES, 'sarif');

interface SchemaCase {
  file: string;
  schema_validity_by_assembler: string;
  expected_github_schema_validation?: string | null;
}

interface Cases {
  sarif_tutorials_samples: { files: SchemaCase[] };
  codeql_action: { files: SchemaCase[] };
}

const cases = JSON.parse(readFileSync(path.join(SARIF, 'cases.json'), 'utf8')) as Cases;
const sdkCases = JSON.parse(readFileSync(path.join(SARIF, 'sarif-sdk-validate', 'cases.json'), 'utf8')) as { cases: SchemaCase[] };

/** Our verdict for a fixture file: 'valid' or 'invalid' against the schema (not JSON is invalid). */
function verdict(file: string): { valid: boolean; warnings: string[] } {
  let log: unknown;
  try {
    log = JSON.parse(readFileSync(path.join(SARIF, file), 'utf8'));
  } catch {
    return { valid: false, warnings: [] };
  }
  const result = validateSarif(log);
  return { valid: result.errors.length === 0, warnings: result.warnings };
}

function runSubset(name: string, list: readonly SchemaCase[], expectedTotal: number): void {
  const failures = list
    .filter((c) => verdict(c.file).valid !== c.schema_validity_by_assembler.startsWith('valid'))
    .map((c) => `${c.file}: expected ${c.schema_validity_by_assembler}`);
  console.log(`FIXTURE sarif/${name}: ${list.length - failures.length}/${list.length}`);
  expect(list).toHaveLength(expectedTotal);
  expect(failures).toEqual([]);
}

describe('SARIF 2.1.0 schema validation against the shared fixtures', () => {
  test('sarif-tutorials samples (all valid)', () => {
    runSubset('tutorials', cases.sarif_tutorials_samples.files, 31);
  });

  test('codeql-action test data (3 valid, 2 invalid)', () => {
    runSubset('codeql-action', cases.codeql_action.files, 5);
  });

  test("sarif-sdk validate inputs (the assembler's draft-04 verdicts: 51 valid, 5 invalid of which one is not JSON)", () => {
    runSubset('sdk-validate', sdkCases.cases, 56);
    expect(sdkCases.cases.filter((c) => c.schema_validity_by_assembler === 'valid')).toHaveLength(51);
  });

  test("what GitHub's upload accepts: invalid-sarif refused; with-invalid-uri accepted with URI warnings", () => {
    const judged = cases.codeql_action.files.filter(
      (c) => c.expected_github_schema_validation !== null && c.expected_github_schema_validation !== undefined,
    );
    const failures = judged.filter((c) => verdict(c.file).valid !== (c.expected_github_schema_validation === 'valid')).map((c) => c.file);
    const invalidUri = verdict('codeql-action/with-invalid-uri.sarif');
    const uriWarnings = invalidUri.warnings.filter((w) =>
      ['/runs/0/tool/driver/rules/0/helpUri', '/runs/0/results/0/locations/0/physicalLocation/artifactLocation/uri'].some((p) =>
        w.startsWith(p),
      ),
    );
    const passed = judged.length - failures.length - (uriWarnings.length === 2 ? 0 : 1);
    console.log(`FIXTURE sarif/github-upload: ${passed}/${judged.length}`);
    expect(judged).toHaveLength(3);
    expect(failures).toEqual([]);
    expect(uriWarnings).toHaveLength(2);
    expect(verdict('codeql-action/valid-sarif.sarif').warnings).toEqual([]);
  });
});

describe('our SARIF log from real findings', () => {
  let dir: string;
  let scanned: ScannedSbom;
  let exceptions: ExceptionSet;
  const NOW = new Date('2025-03-01T00:00:00Z');
  const tool = {
    name: 'packaging-factory-scan',
    version: '0.1.0',
    informationUri: 'https://github.com/packaging-factory/packaging-factory',
  };

  beforeAll(async () => {
    dir = await tempDir('vuln-policy-sarif-');
    scanned = await scanVulnerableSbom(dir);
    const reviewer = await makeReviewer(dir);
    const file = path.join(dir, 'exceptions.yml');
    const bundle = await reviewer.approve(
      file,
      'version: 1\nexceptions:\n  - id: CVE-2021-23337\n    package: pkg:npm/lodash\n    status: not_affected\n    justification: vulnerable_code_not_in_execute_path\n    reason: template() never sees user input\n    owner: platform-team\n    expires: 2025-12-31\n    ticket: SEC-42\n',
    );
    exceptions = await loadExceptionSet({ file, bundle, policy: reviewer.policy, now: NOW });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function build(): Record<string, unknown> {
    const applied = applyExceptions(scanned.findings, exceptions, NOW);
    return buildSarifLog({
      findings: scanned.findings,
      suppressions: exceptionSuppressions(applied),
      tool,
      artifact: { uri: 'dist/bom.cdx.json', text: scanned.sbomText },
    });
  }

  test('validates against the SARIF 2.1.0 schema with no warnings', () => {
    expect(validateSarif(build())).toEqual({ errors: [], warnings: [] });
  });

  test('one rule per vulnerability with GitHub security-severity, tags and the advisory link', () => {
    const run = (build()['runs'] as Record<string, unknown>[])[0]!;
    const driver = (run['tool'] as { driver: Record<string, unknown> }).driver;
    expect(driver).toMatchObject({ name: 'packaging-factory-scan', version: '0.1.0', informationUri: tool.informationUri });
    const rules = driver['rules'] as Record<string, unknown>[];
    expect(rules.map((r) => r['id'])).toEqual(['GHSA-29mw-wpgm-hmr9', 'GHSA-35jh-r3h4-6jhm', 'GHSA-whgm-jr23-g3j9', 'GHSA-xvch-5gv4-984h']);
    const minimist = rules[3]!;
    expect(minimist['helpUri']).toBe('https://osv.dev/vulnerability/GHSA-xvch-5gv4-984h');
    expect(minimist['properties']).toMatchObject({
      tags: expect.arrayContaining(['security', 'CVE-2021-44906']) as unknown,
      'security-severity': '9.8',
    });
    for (const rule of rules) {
      const severity = Number((rule['properties'] as Record<string, string>)['security-severity']);
      expect(severity).toBeGreaterThanOrEqual(0.1);
      expect(severity).toBeLessThanOrEqual(10);
    }
  });

  test('results point at the SBOM line of the component, carry levels, fingerprints and the exception as a suppression', () => {
    const run = (build()['runs'] as Record<string, unknown>[])[0]!;
    const results = run['results'] as Record<string, unknown>[];
    const lines = scanned.sbomText.split('\n');
    expect(results).toHaveLength(4);
    for (const result of results) {
      const location = (
        result['locations'] as { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[]
      )[0]!;
      const purl = (result['properties'] as { purl: string }).purl;
      expect(location.physicalLocation.artifactLocation.uri).toBe('dist/bom.cdx.json');
      expect(lines[location.physicalLocation.region.startLine - 1]).toContain(`"purl": "${purl}"`);
    }
    const byRule = Object.fromEntries(results.map((r) => [r['ruleId'] as string, r]));
    expect(byRule['GHSA-xvch-5gv4-984h']).toMatchObject({
      level: 'error',
      message: {
        text: expect.stringContaining(
          'minimist 1.2.5 (pkg:npm/minimist@1.2.5) is affected by GHSA-xvch-5gv4-984h (CVE-2021-44906), severity critical.',
        ) as unknown,
      },
    });
    expect((byRule['GHSA-xvch-5gv4-984h']!['message'] as { text: string }).text).toContain('Fixed in 1.2.6.');
    expect(byRule['GHSA-29mw-wpgm-hmr9']!['level']).toBe('warning');
    expect(byRule['GHSA-35jh-r3h4-6jhm']!['suppressions']).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: expect.stringContaining(
          'not affected (vulnerable_code_not_in_execute_path): template() never sees user input — owner platform-team, ticket SEC-42',
        ) as unknown,
      },
    ]);
    expect(byRule['GHSA-xvch-5gv4-984h']!['suppressions']).toBeUndefined();
    expect(JSON.stringify(build())).toBe(JSON.stringify(build()));
    const fingerprints = results.map((r) => (r['partialFingerprints'] as Record<string, string>)['vulnerabilityPackage/v1']);
    expect(new Set(fingerprints).size).toBe(4);
  });

  test('a lockfile location: the package-lock key line', () => {
    const lock = `{\n  "name": "app",\n  "packages": {\n    "": {},\n    "node_modules/minimist": {\n      "version": "1.2.5"\n    }\n  }\n}\n`;
    const log = buildSarifLog({
      findings: scanned.findings.filter((f) => f.package.name === 'minimist'),
      tool,
      artifact: { uri: 'package-lock.json', text: lock },
    });
    const result = ((log['runs'] as Record<string, unknown>[])[0]!['results'] as Record<string, unknown>[])[0]!;
    expect(result['locations']).toMatchObject([{ physicalLocation: { region: { startLine: 5, startColumn: 5 } } }]);
    expect(validateSarif(log).errors).toEqual([]);
  });
});
