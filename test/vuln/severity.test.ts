import { assessSeverity, isBlocking, scoreCvss, type OsvRecord } from '@packaging-factory/vuln';

const record = (extra: Partial<OsvRecord>): OsvRecord => ({ id: 'GHSA-xxxx-xxxx-xxxx', modified: '2024-01-01T00:00:00Z', ...extra });

describe('severity', () => {
  it("takes GHSA's label first; MODERATE is medium", () => {
    const moderate = record({
      database_specific: { severity: 'MODERATE' },
      severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' }],
    });
    expect(assessSeverity(moderate, [], 'high')).toEqual({
      level: 'medium',
      source: 'database_specific',
      label: 'MODERATE',
      cvss: { type: 'CVSS_V3', vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L', score: 5.3, level: 'medium' },
    });
  });

  it('scores CVSS v3.1, v3.0 and v4.0 vectors with FIRST’s ratings', () => {
    expect(scoreCvss('CVSS_V3', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toMatchObject({ score: 9.8, level: 'critical' });
    expect(scoreCvss('CVSS_V3', 'CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H')).toMatchObject({ score: 7.2, level: 'high' });
    expect(scoreCvss('CVSS_V3', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N')).toMatchObject({ score: 0, level: 'none' });
    expect(scoreCvss('CVSS_V4', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N')).toMatchObject({
      score: 9.3,
      level: 'critical',
    });
    expect(scoreCvss('CVSS_V4', 'CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N')?.level).toBe('low');
    expect(scoreCvss('CVSS_V2', 'AV:N/AC:L/Au:N/C:P/I:P/A:P')).toMatchObject({ score: 7.5, level: 'high' });
  });

  it('refuses incomplete or malformed vectors instead of guessing', () => {
    expect(scoreCvss('CVSS_V3', 'CVSS:3.1/AV:N')).toBeUndefined();
    expect(scoreCvss('CVSS_V3', 'CVSS:3.1/garbage')).toBeUndefined();
    expect(scoreCvss('CVSS_V4', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toBeUndefined();
  });

  it('prefers the newest CVSS version when there is no label', () => {
    const both = record({
      severity: [
        { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' },
        { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
      ],
    });
    expect(assessSeverity(both, [], 'high')).toMatchObject({ level: 'critical', source: 'CVSS_V4' });
  });

  it('uses the affected entry’s own severity when the record has none', () => {
    const scoped = record({});
    const entry = { severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' }] };
    expect(assessSeverity(scoped, [entry], 'high')).toMatchObject({ level: 'medium', source: 'CVSS_V3' });
  });

  it('falls back to the unknown-severity choice', () => {
    expect(assessSeverity(record({}), [], 'high')).toEqual({ level: 'high', source: 'unknown' });
    expect(assessSeverity(record({ database_specific: { severity: 'WHATEVER' } }), [], 'low')).toEqual({ level: 'low', source: 'unknown' });
  });

  it('blocks at or above the threshold; none blocks nothing', () => {
    expect(isBlocking('high', 'high')).toBe(true);
    expect(isBlocking('critical', 'high')).toBe(true);
    expect(isBlocking('medium', 'high')).toBe(false);
    expect(isBlocking('high', 'critical')).toBe(false);
    expect(isBlocking('low', 'low')).toBe(true);
    expect(isBlocking('none', 'low')).toBe(false);
    expect(isBlocking('critical', 'none')).toBe(false);
  });
});

describe('severity: CVSS v4.0', () => {
  it('scores a v4.0 vector as FIRST does, threat metrics included (CVSS-BT), and rates it by the v4.0 scale', () => {
    const base = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';
    expect(scoreCvss('CVSS_V4', base)).toEqual({ type: 'CVSS_V4', vector: base, score: 9.3, level: 'critical' });
    // E:U (no known exploitation) lowers the score; the reference values are those of test/vuln-policy/cvss4.test.ts (FIRST's calculator).
    const physical = 'CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H';
    expect(scoreCvss('CVSS_V4', physical)).toMatchObject({ score: 7.3, level: 'high' });
    expect(scoreCvss('CVSS_V4', `${physical}/E:U`)).toMatchObject({ score: 4.1, level: 'medium' });
  });

  it('prefers a v4.0 vector over a v3.1 one and ignores an incomplete one', () => {
    const both = record({
      severity: [
        { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:L' },
        { type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N' },
      ],
    });
    expect(assessSeverity(both, [], 'low')).toMatchObject({ level: 'critical', source: 'CVSS_V4' });
    const incomplete = record({ severity: [{ type: 'CVSS_V4', score: 'CVSS:4.0/AV:N/AC:L' }] });
    expect(assessSeverity(incomplete, [], 'medium')).toEqual({ level: 'medium', source: 'unknown' });
  });
});
