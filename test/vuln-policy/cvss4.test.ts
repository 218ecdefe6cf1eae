import { cvss4Score } from '@packaging-factory/vuln';

/**
 * Expected scores from FIRST's CVSS v4.0 calculator, as recorded in the test vectors of Red Hat's
 * `cvss` library (https://github.com/RedHatProductSecurity/cvss, tests/vectors_simple4 at commit
 * 99d01937a7e0130f30893e6a405a37aea31d921c, tests/vectors_threat4 at b02c410d, tests/vectors_security4
 * at 89801dce, and tests/test_cvss4.py), whose README says the vectors "were generated using
 * official JavaScript generators" — the calculator FIRST publishes at https://www.first.org/cvss/calculator/4.0.
 */
const BASE_VECTORS: [string, number][] = [
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:L', 9.2],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:H/SI:N/SA:L', 7.8],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:L/SA:N', 6.9],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:H/SI:L/SA:H', 7.9],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:L/VI:N/VA:N/SC:L/SI:N/SA:L', 5.3],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', 8.6],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N', 5.1],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/VI:N/VA:N/SC:H/SI:N/SA:N', 8.3],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:A/VC:H/VI:H/VA:H/SC:H/SI:N/SA:H', 9.3],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:P/VC:L/VI:L/VA:N/SC:L/SI:N/SA:N', 4.8],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:N/SA:H', 9.5],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:A/VC:N/VI:N/VA:N/SC:L/SI:N/SA:N', 2.1],
  ['CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:L/SC:L/SI:N/SA:N', 1.8],
  ['CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:N/VC:H/VI:H/VA:N/SC:L/SI:H/SA:L', 9.4],
  ['CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:A/VC:N/VI:N/VA:N/SC:N/SI:H/SA:N', 4.0],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:N', 9.9],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N', 8.7],
  ['CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:P/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N', 0.0],
];

/** Threat (CVSS-BT) and environmental (CVSS-BE) vectors: the score changes, the base score does not. */
const EXTENDED_VECTORS: [string, number, number, string][] = [
  ['CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:A', 7.3, 7.3, 'CVSS-BT'],
  ['CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:P', 5.9, 7.3, 'CVSS-BT'],
  ['CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/E:U', 4.1, 7.3, 'CVSS-BT'],
  ['CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:L/IR:L/AR:L', 5.4, 7.3, 'CVSS-BE'],
  ['CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/CR:M/IR:M/AR:M', 5.5, 7.3, 'CVSS-BE'],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/AR:L', 7.9, 8.7, 'CVSS-BE'],
  ['CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MSI:H', 7.7, 0.0, 'CVSS-BE'],
];

describe('CVSS v4.0 scores (ae-cvss-calculator against FIRST calculator results)', () => {
  test('base vectors score as FIRST scores them', () => {
    const failures = BASE_VECTORS.filter(([vector, expected]) => cvss4Score(vector)?.score !== expected).map(
      ([vector, expected]) => `${vector}: expected ${expected}, got ${cvss4Score(vector)?.score}`,
    );
    console.log(`FIXTURE cvss4/base: ${BASE_VECTORS.length - failures.length}/${BASE_VECTORS.length}`);
    expect(failures).toEqual([]);
  });

  test('threat and environmental metrics change the score but not the base score', () => {
    const failures = EXTENDED_VECTORS.filter(([vector, score, base, nomenclature]) => {
      const scored = cvss4Score(vector);
      return scored?.score !== score || scored.baseScore !== base || scored.nomenclature !== nomenclature;
    }).map(([vector]) => `${vector}: got ${JSON.stringify(cvss4Score(vector))}`);
    console.log(`FIXTURE cvss4/threat-environmental: ${EXTENDED_VECTORS.length - failures.length}/${EXTENDED_VECTORS.length}`);
    expect(failures).toEqual([]);
  });

  test('the rating follows FIRST §6 bands', () => {
    expect(cvss4Score('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:N')?.severity).toBe('critical');
    expect(cvss4Score('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N')?.severity).toBe('high');
    expect(cvss4Score('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:N/SC:N/SI:L/SA:N')?.severity).toBe('medium');
    expect(cvss4Score('CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:L/SC:L/SI:N/SA:N')?.severity).toBe('low');
    expect(cvss4Score('CVSS:4.0/AV:A/AC:H/AT:P/PR:L/UI:P/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N')?.severity).toBe('none');
  });

  test.each([
    ['a v3.1 vector', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'],
    ['a vector missing base metrics', 'CVSS:4.0/AV:N/AC:L'],
    ['an unknown metric value', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:J'],
    ['an empty string', ''],
  ])('%s has no v4.0 score', (_what, vector) => {
    expect(cvss4Score(vector)).toBeUndefined();
  });
});
