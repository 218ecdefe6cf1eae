import { debianEcosystem, evaluateAffected, npmEcosystem, type OsvAffected } from '@packaging-factory/vuln';

const npm = (ranges: OsvAffected['ranges'], versions?: string[]): OsvAffected => {
  const affected: OsvAffected = { package: { ecosystem: 'npm', name: 'pkg' }, ranges };
  if (versions !== undefined) affected.versions = versions;
  return affected;
};

const affected = (entry: OsvAffected, version: string): boolean | 'undecidable' => {
  const verdict = evaluateAffected(entry, version, npmEcosystem);
  return verdict.affected;
};

describe('OSV range evaluation (schema spec, "Evaluation")', () => {
  it('introduced/fixed: affected from introduced up to, not including, fixed', () => {
    const entry = npm([{ type: 'SEMVER', events: [{ introduced: '1.0.0' }, { fixed: '1.0.2' }] }]);
    expect(['0.9.9', '1.0.0', '1.0.1', '1.0.2', '2.0.0'].map((v) => affected(entry, v))).toEqual([false, true, true, false, false]);
  });

  it('evaluates several introduced/fixed pairs in one range, whatever order the events are listed in', () => {
    const entry = npm([
      { type: 'SEMVER', events: [{ fixed: '3.2.5' }, { introduced: '3.0.0' }, { fixed: '1.0.2' }, { introduced: '1.0.0' }] },
    ]);
    expect(['1.0.1', '2.0.0', '3.1.0', '3.2.5'].map((v) => affected(entry, v))).toEqual([true, false, true, false]);
  });

  it('last_affected includes its own version, nothing above', () => {
    const entry = npm([{ type: 'SEMVER', events: [{ introduced: '0' }, { last_affected: '4.5.0' }] }]);
    expect(['0.0.1', '4.5.0', '4.5.1'].map((v) => affected(entry, v))).toEqual([true, true, false]);
  });

  it('introduced "0" alone affects every version', () => {
    const entry = npm([{ type: 'SEMVER', events: [{ introduced: '0' }] }]);
    expect(affected(entry, '0.0.0-alpha')).toBe(true);
    expect(affected(entry, '99.0.0')).toBe(true);
  });

  it('limit bounds the range from above; "*" is infinity', () => {
    const limited = npm([{ type: 'ECOSYSTEM', events: [{ introduced: '1.0.0' }, { limit: '2.0.0' }] }]);
    expect(['1.5.0', '2.0.0', '3.0.0'].map((v) => affected(limited, v))).toEqual([true, false, false]);
    const star = npm([{ type: 'ECOSYSTEM', events: [{ introduced: '1.0.0' }, { limit: '*' }] }]);
    expect(affected(star, '9.0.0')).toBe(true);
  });

  it('orders SEMVER prereleases by precedence: a prerelease of the fixed version is still affected', () => {
    const entry = npm([{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }]);
    expect(affected(entry, '2.0.0-rc.1')).toBe(true);
    expect(affected(entry, '2.0.0+build.5')).toBe(false);
  });

  it('matches the versions list by exact string, and ignores GIT ranges', () => {
    const entry = npm([{ type: 'GIT', repo: 'https://example.invalid/r.git', events: [{ introduced: '0' }] }], ['1.0.0']);
    expect(affected(entry, '1.0.0')).toBe(true);
    expect(affected(entry, '1.0.1')).toBe(false);
  });

  it('cannot say "not affected" when the version cannot be ordered', () => {
    const entry = npm([{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.0' }] }]);
    const verdict = evaluateAffected(entry, 'git+https://example.invalid/x.git', npmEcosystem);
    expect(verdict).toEqual({ affected: 'undecidable', reason: expect.stringContaining('is not a valid') as string });
  });

  it('orders ECOSYSTEM ranges with the ecosystem comparator (Debian: ~ sorts first)', () => {
    const entry: OsvAffected = {
      package: { ecosystem: 'Debian:12', name: 'x' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.2-1' }] }],
    };
    expect(evaluateAffected(entry, '1.2-1~deb12u1', debianEcosystem).affected).toBe(true);
    expect(evaluateAffected(entry, '1:1.0-1', debianEcosystem).affected).toBe(false);
  });
});
