import { compareDebianVersions, compareSemver, debianEcosystem, npmEcosystem, parseDebianVersion } from '@packaging-factory/vuln';
import { checkComparisons, readComparisons } from './fixtures.ts';

function passRate(name: string, total: number, failures: readonly string[]): void {
  const passed = total - failures.length;
  // Printed so the closing note can quote measured rates, not claimed ones.
  console.log(`${name}: ${passed}/${total} comparisons pass (${((100 * passed) / total).toFixed(2)}%)`);
}

describe('Debian version ordering (dpkg algorithm) against osv-scalibr fixtures', () => {
  it.each(['debian-versions.txt', 'debian-versions-generated.part-shared.txt'])('%s: every comparison holds both ways', (file) => {
    const comparisons = readComparisons(file);
    expect(comparisons.length).toBeGreaterThanOrEqual(30);
    const failures = checkComparisons(comparisons, compareDebianVersions);
    passRate(`debian ${file}`, comparisons.length, failures);
    expect(failures).toEqual([]);
  });

  it('splits epoch at the first colon and revision at the last hyphen', () => {
    expect(parseDebianVersion('1:2.30-1-2')).toEqual({ epoch: '1', upstream: '2.30-1', revision: '2' });
    expect(parseDebianVersion('2.7.4+reloaded2')).toEqual({ epoch: '0', upstream: '2.7.4+reloaded2', revision: '' });
  });

  it('sorts ~ before everything, even the end of the version', () => {
    expect(compareDebianVersions('1.0~rc1', '1.0')).toBe(-1);
    expect(compareDebianVersions('1.0~~', '1.0~')).toBe(-1);
    expect(compareDebianVersions('1.0a', '1.0+')).toBe(-1);
    expect(compareDebianVersions('1:0.1', '9.9')).toBe(1);
  });

  it('refuses what dpkg refuses', () => {
    for (const bad of ['', 'a:1.0', ':1.0', '1.0-', '1.0 2']) {
      expect(debianEcosystem.isValid(bad)).toBe(false);
      expect(() => debianEcosystem.compare(bad, '1.0')).toThrow(/not a valid Debian version/);
    }
  });
});

describe('npm version ordering (node-semver, SemVer 2.0 precedence) against osv-scalibr fixtures', () => {
  const comparisons = readComparisons('semver-versions.txt');
  const failures = checkComparisons(comparisons, (a, b) => compareSemver(a, b));

  it('reports the pass rate', () => {
    passRate('semver semver-versions.txt', comparisons.length, failures);
    expect(comparisons.length).toBeGreaterThan(80);
  });

  it('fails only where the fixture goes beyond what the npm registry accepts', () => {
    // osv-scalibr's generic semver parser accepts numbers beyond 2^53 and more than three numeric
    // components; node-semver (the npm registry's own rules) rejects both, so no npm package can
    // carry such a version. Every other line must hold.
    expect(failures.map((f) => f.replace(/^\d+: /, '').replace(/ \(.*$/, ''))).toEqual([
      '999999999999999999999999999991 < 999999999999999999999999999999',
      '999999999999999999999999999991.999999999999999999999999999991.999999999999999999999999999991 < 999999999999999999999999999999.999999999999999999999999999991.999999999999999999999999999991',
      '1.1.3.4.5 = 1.1.3.4.5',
    ]);
  });

  it('orders prereleases below their release, as OSV SEMVER ranges require', () => {
    expect(npmEcosystem.compare('1.0.0-rc.1', '1.0.0')).toBeLessThan(0);
    expect(npmEcosystem.compare('1.0.0+build.1', '1.0.0')).toBe(0);
    expect(npmEcosystem.isValid('1.2')).toBe(false);
  });
});
