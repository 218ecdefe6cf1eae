import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isFactoryError } from '@packaging-factory/core';
import { readSpdxPackages, validateCycloneDxJson, validateSbomFile, type CycloneDxSpecVersion } from '@packaging-factory/sbom';

/**
 * The external SBOM fixtures through the validator `factory sbom validate` uses:
 * - ../shared/fixtures/cyclonedx: the CycloneDX specification's own 1.5 and 1.6 valid-/invalid-
 *   documents (86); upstream's oracle is its Java validator.
 * - ../shared/fixtures/spdx: the official SPDX 2.3 example and SBOMs written by syft, osv-scalibr
 *   and actions/attest, with their schema validity and the packages a reader must extract.
 */

const FIXTURES = path.resolve(import.meta.dirname, '../../../shared/fixtures');

interface CycloneDxCase {
  file: string;
  spec_version: CycloneDxSpecVersion;
  expected: 'valid' | 'invalid';
}

interface SpdxCase {
  file: string;
  expected_schema_validity_2_3: 'valid' | 'invalid';
  expected_packages: { SPDXID: string; name: string; versionInfo: string | null; purls: string[] }[];
}

type Verdict = 'valid' | 'invalid' | 'refused';

/** validateSbomFile's answer: valid, schema-invalid, or refused before the schema (not an SBOM it knows). */
async function verdictOf(file: string): Promise<{ verdict: Verdict; detail: string }> {
  try {
    const result = await validateSbomFile(file);
    return { verdict: result.errors.length === 0 ? 'valid' : 'invalid', detail: result.errors.slice(0, 2).join('; ') };
  } catch (error) {
    if (isFactoryError(error) && error.code === 'SBOM_UNSUPPORTED_FORMAT') return { verdict: 'refused', detail: error.message };
    throw error;
  }
}

const fixtureLines: string[] = [];
afterAll(() => {
  for (const line of fixtureLines) console.log(line);
});

describe('CycloneDX specification test documents', () => {
  let cases: CycloneDxCase[];
  beforeAll(async () => {
    cases = (JSON.parse(await readFile(path.join(FIXTURES, 'cyclonedx/cases.json'), 'utf8')) as { cases: CycloneDxCase[] }).cases;
  });

  // The README warns that validators implementing the JSF signature schema's `oneOf` strictly
  // (python-jsonschema) reject valid-signatures-1.5/1.6, valid-attestation-1.6 and
  // valid-standard-1.6, which upstream's Java validator accepts. ajv accepts them too, so no case
  // is expected to disagree; any that does is named in the failure.
  const EXPECTED_DISAGREEMENTS: string[] = [];

  it.each(['1.5', '1.6'] as const)('validateSbomFile agrees with upstream on every CycloneDX %s document', async (version) => {
    const subset = cases.filter((c) => c.spec_version === version);
    const disagreements: string[] = [];
    let refused = 0;
    for (const testCase of subset) {
      const { verdict, detail } = await verdictOf(path.join(FIXTURES, 'cyclonedx', testCase.file));
      // A document refused at detection (bomFormat "AnotherFormat") is not a valid SBOM: the
      // command exits non-zero for it, which is what `invalid-` asks for.
      if (verdict === 'refused') refused += 1;
      const agrees = testCase.expected === 'valid' ? verdict === 'valid' : verdict !== 'valid';
      if (!agrees) disagreements.push(`${testCase.file}: ${verdict} (${detail})`);
    }
    fixtureLines.push(`FIXTURE cyclonedx/${version}: ${subset.length - disagreements.length}/${subset.length}`);
    expect(subset.length).toBe(version === '1.5' ? 39 : 47);
    expect(disagreements).toEqual(EXPECTED_DISAGREEMENTS);
    // Exactly one document is refused before its schema is consulted: invalid-bomformat-1.6.
    expect(refused).toBe(version === '1.6' ? 1 : 0);
  });

  it('the schema alone (validateCycloneDxJson for the stated version) also rejects the one document detection refuses', async () => {
    const text = await readFile(path.join(FIXTURES, 'cyclonedx/tests/1.6/invalid-bomformat-1.6.json'), 'utf8');
    expect((await validateCycloneDxJson(text, '1.6')).join('\n')).toMatch(/bomFormat/);
  });

  it('checks each document against its own version: a 1.6-only field is an error in a 1.5 document', async () => {
    const doc = {
      bomFormat: 'CycloneDX',
      specVersion: '1.5',
      version: 1,
      components: [{ type: 'library', name: 'x', omniborId: ['gitoid:blob:sha1:261eeb9e9f8b2b4b0d119366dda99c6fd7d35c64'] }],
    };
    expect(await validateCycloneDxJson(JSON.stringify(doc), '1.5')).not.toEqual([]);
    expect(await validateCycloneDxJson(JSON.stringify({ ...doc, specVersion: '1.6' }), '1.6')).toEqual([]);
  });
});

describe('SPDX documents from the specification and from other tools', () => {
  let cases: SpdxCase[];
  beforeAll(async () => {
    cases = (JSON.parse(await readFile(path.join(FIXTURES, 'spdx/cases.json'), 'utf8')) as { cases: SpdxCase[] }).cases;
  });

  it('validateSbomFile gives each document its expected SPDX 2.3 schema validity', async () => {
    const disagreements: string[] = [];
    for (const testCase of cases) {
      const { verdict, detail } = await verdictOf(path.join(FIXTURES, 'spdx', testCase.file));
      if (verdict !== testCase.expected_schema_validity_2_3) disagreements.push(`${testCase.file}: ${verdict} (${detail})`);
    }
    fixtureLines.push(`FIXTURE spdx/schema-validity: ${cases.length - disagreements.length}/${cases.length}`);
    expect(cases).toHaveLength(6);
    expect(disagreements).toEqual([]);
  });

  it('names what makes the invalid ones invalid', async () => {
    const scalibr = await validateSbomFile(path.join(FIXTURES, 'spdx/docs/scalibr-json-format.spdx.json'));
    expect(scalibr).toEqual({ format: 'spdx', specVersion: '2.3', errors: ['/creationInfo/creators must be array'] });
    const attest = await validateSbomFile(path.join(FIXTURES, 'spdx/docs/attest-spdx-sbom.json'));
    expect(attest.errors).toContain("/ must have required property 'creationInfo'");
  });

  it('readSpdxPackages extracts the expected packages and purls, valid document or not', async () => {
    const disagreements: string[] = [];
    for (const testCase of cases) {
      const document: unknown = JSON.parse(await readFile(path.join(FIXTURES, 'spdx', testCase.file), 'utf8'));
      const got = readSpdxPackages(document);
      if (JSON.stringify(got) !== JSON.stringify(testCase.expected_packages))
        disagreements.push(`${testCase.file}: ${JSON.stringify(got)}`);
    }
    fixtureLines.push(`FIXTURE spdx/packages: ${cases.length - disagreements.length}/${cases.length}`);
    expect(disagreements).toEqual([]);
  });
});
