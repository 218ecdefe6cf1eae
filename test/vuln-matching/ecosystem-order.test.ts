import { ecosystemSupport, normalisePypiName, parseGemVersion, rpmvercmp } from '@packaging-factory/vuln';

/** Sorts with the ecosystem's registered comparator. */
function sorted(ecosystem: string, versions: string[]): string[] {
  const support = ecosystemSupport(ecosystem)!;
  return [...versions].sort((a, b) => support.compare(a, b));
}

function cmp(ecosystem: string, a: string, b: string): number {
  return Math.sign(ecosystemSupport(ecosystem)!.compare(a, b));
}

describe('NuGet order (NuGet.Versioning: SemVer 2.0 with 4-part legacy versions)', () => {
  it('pads to four parts and compares numbers by value', () => {
    expect(cmp('NuGet', '1.0', '1.0.0.0')).toBe(0);
    expect(cmp('NuGet', '1.0.0.1', '1.0.0')).toBe(1);
    expect(cmp('NuGet', '4.2.10', '4.2.9.9')).toBe(1);
    expect(cmp('NuGet', '01.2', '1.2')).toBe(0);
  });

  it('compares prerelease labels case-insensitively, numeric below alphanumeric, and ignores metadata', () => {
    expect(cmp('NuGet', '1.0.0-BETA', '1.0.0-beta')).toBe(0);
    expect(cmp('NuGet', '1.0.0-Beta.2', '1.0.0-beta.10')).toBe(-1);
    expect(cmp('NuGet', '1.0.0-1', '1.0.0-alpha')).toBe(-1);
    expect(cmp('NuGet', '1.0.0-rc.1', '1.0.0')).toBe(-1);
    expect(cmp('NuGet', '1.0.0+abc', '1.0.0+def')).toBe(0);
    expect(sorted('NuGet', ['1.0.0', '1.0.0-RC.1', '1.0.0-alpha', '0.9.9.9', '1.0.0-alpha.2'])).toEqual([
      '0.9.9.9',
      '1.0.0-alpha',
      '1.0.0-alpha.2',
      '1.0.0-RC.1',
      '1.0.0',
    ]);
  });

  it('refuses what NuGet refuses, and folds package id case', () => {
    const nuget = ecosystemSupport('NuGet')!;
    for (const bad of ['1.0.0.0.0', 'v1.0', '1.0-', '']) expect(nuget.isValid(bad)).toBe(false);
    expect(() => nuget.compare('1.0.0.0.0', '1.0')).toThrow(/not a valid NuGet version/);
    expect(nuget.normaliseName('Newtonsoft.Json')).toBe(nuget.normaliseName('newtonsoft.json'));
  });
});

describe('RubyGems order (Gem::Version)', () => {
  it('sorts prereleases (any letter) below the release, and a "-" means ".pre."', () => {
    expect(sorted('RubyGems', ['1.0.0', '1.0.0.rc1', '1.0.0.a', '1.0.0.beta2', '0.9', '1.0.0-1'])).toEqual([
      '0.9',
      '1.0.0.a',
      '1.0.0.beta2',
      '1.0.0-1',
      '1.0.0.rc1',
      '1.0.0',
    ]);
    expect(parseGemVersion('1.0.0-rc1')).toEqual([1n, 'pre', 'rc', 1n]);
  });

  it('ignores trailing zeros and orders numbers by value', () => {
    expect(cmp('RubyGems', '1.0', '1')).toBe(0);
    expect(cmp('RubyGems', '1.0.a.0', '1.a')).toBe(0);
    expect(cmp('RubyGems', '1.10', '1.9')).toBe(1);
    expect(cmp('RubyGems', '', '0')).toBe(0);
  });

  it('refuses what Gem::Version refuses', () => {
    const gems = ecosystemSupport('RubyGems')!;
    for (const bad of ['junk', '1..0', '1.0.']) expect(gems.isValid(bad)).toBe(false);
  });
});

describe('Go order (golang.org/x/mod/semver)', () => {
  it('accepts the v prefix, shorthands and toolchain names, and canonicalises them the OSV way', () => {
    const go = ecosystemSupport('Go')!;
    expect(cmp('Go', 'v1.2', '1.2.0')).toBe(0);
    expect(cmp('Go', 'v1', '1.0.0')).toBe(0);
    expect(go.canonicalVersion?.('v1.2')).toBe('1.2.0');
    expect(go.canonicalVersion?.('go1.21rc2')).toBe('1.21.0-rc.2');
    expect(go.canonicalVersion?.('go1.21.3')).toBe('1.21.3');
    expect(cmp('Go', 'go1.21rc2', '1.21.0')).toBe(-1);
  });

  it('orders pseudo-versions by their timestamp, below the release they precede', () => {
    expect(
      sorted('Go', [
        'v0.3.8',
        'v0.0.0-20220722155259-a9ba230a4035',
        'v0.3.8-0.20221101190312-8d0bb5b6c2c4',
        'v0.0.0-20191109021931-daa7c04131f5',
        'v0.3.7',
      ]),
    ).toEqual([
      'v0.0.0-20191109021931-daa7c04131f5',
      'v0.0.0-20220722155259-a9ba230a4035',
      'v0.3.7',
      'v0.3.8-0.20221101190312-8d0bb5b6c2c4',
      'v0.3.8',
    ]);
    expect(cmp('Go', 'v2.0.0+incompatible', 'v2.0.0')).toBe(0);
  });

  it('refuses what the go command refuses', () => {
    const go = ecosystemSupport('Go')!;
    for (const bad of ['v1.2.3.4', 'v01.2.3', 'v1.2-pre', 'v1.2.3-01', 'latest']) expect(go.isValid(bad)).toBe(false);
  });
});

describe('PyPI order (PEP 440, legacy versions below)', () => {
  it('orders dev, pre, post and local versions per PEP 440', () => {
    expect(sorted('PyPI', ['1.0', '1.0.post1', '1.0rc1', '1.0.dev0', '1.0a1', '1.0+local', '1!0.1'])).toEqual([
      '1.0.dev0',
      '1.0a1',
      '1.0rc1',
      '1.0',
      '1.0+local',
      '1.0.post1',
      '1!0.1',
    ]);
    expect(cmp('PyPI', '1.0.0', '1.0')).toBe(0);
  });

  it('orders versions PEP 440 rejects like packaging < 22 did, below every PEP 440 version', () => {
    expect(cmp('PyPI', '0.9-doduo', '0.1')).toBe(-1);
    expect(cmp('PyPI', '0.9-doduo', '0.9-eevee')).toBe(-1);
  });

  it('normalises names per PEP 503', () => {
    expect(['Jinja2', 'zope.interface', 'Products_PluggableAuthService', 'a-_.b'].map(normalisePypiName)).toEqual([
      'jinja2',
      'zope-interface',
      'products-pluggableauthservice',
      'a-b',
    ]);
  });
});

describe('RPM order (rpmvercmp)', () => {
  it('puts ~ before the end and ^ after it, and compares digit runs numerically', () => {
    expect(rpmvercmp('1.0~rc1', '1.0')).toBe(-1);
    expect(rpmvercmp('1.0^git1', '1.0')).toBe(1);
    expect(rpmvercmp('1.0^git1', '1.0.1')).toBe(-1);
    expect(rpmvercmp('1.010', '1.9')).toBe(1);
    expect(rpmvercmp('1.a', '1.1')).toBe(-1);
  });

  it('compares epoch first, and a release only against a release', () => {
    expect(cmp('Red Hat', '1:1.0-1.el9', '2.0-1.el9')).toBe(1);
    expect(cmp('AlmaLinux', '3.0.7-24.el9', '3.0.7-25.el9')).toBe(-1);
    expect(cmp('openSUSE', '3.0.7', '3.0.7-1')).toBe(-1);
  });
});

describe('Alpine order (apk)', () => {
  it('orders suffixes, letters and revisions like apk version -t', () => {
    expect(sorted('Alpine', ['1.2.4-r2', '1.2.4_rc1-r0', '1.2.4-r10', '1.2.4_p1-r0', '1.2.4a-r0', '1.2.4'])).toEqual([
      '1.2.4_rc1-r0',
      '1.2.4',
      '1.2.4-r2',
      '1.2.4-r10',
      '1.2.4_p1-r0',
      '1.2.4a-r0',
    ]);
  });
});

describe('Maven order (ComparableVersion)', () => {
  it('follows the POM reference examples', () => {
    expect(sorted('Maven', ['1.0', '1.0-SNAPSHOT', '1.0-alpha-1', '1.0-beta-1', '1.0-RC1', '1.0-sp1', '1.0.1', '1.0-1'])).toEqual([
      '1.0-alpha-1',
      '1.0-beta-1',
      '1.0-RC1',
      '1.0-SNAPSHOT',
      '1.0',
      '1.0-sp1',
      '1.0-1',
      '1.0.1',
    ]);
    expect(cmp('Maven', '2.6.7.1', '2.6.7')).toBe(1);
    expect(cmp('Maven', '1.0.RELEASE', '1.0')).toBe(0);
  });
});
