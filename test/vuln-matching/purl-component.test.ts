import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import { componentFromPurl, loadOsvDatabase, matchPackage, readSbomComponents, type OsvDatabase } from '@packaging-factory/vuln';
import { tempDir } from '../support/context.ts';
import { FIXTURES } from '../vuln/fixtures.ts';

/** (ecosystem, release, lookups) of a purl: what the matcher will ask. */
function key(purl: string): [string, string | undefined, string[]] {
  const c = componentFromPurl(purl);
  return [c.ecosystem, c.release, c.lookups.map((l) => `${l.name}@${l.version}`)];
}

describe('componentFromPurl: language ecosystems', () => {
  it('maps each language purl type to its OSV ecosystem and name', () => {
    expect(key('pkg:npm/%40babel/core@7.0.0')).toEqual(['npm', undefined, ['@babel/core@7.0.0']]);
    expect(key('pkg:pypi/requests@2.19.0')).toEqual(['PyPI', undefined, ['requests@2.19.0']]);
    expect(key('pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar')).toEqual([
      'Maven',
      undefined,
      ['org.apache.logging.log4j:log4j-core@2.14.1'],
    ]);
    expect(key('pkg:golang/golang.org/x/text@v0.3.8')).toEqual(['Go', undefined, ['golang.org/x/text@v0.3.8']]);
    expect(key('pkg:nuget/Newtonsoft.Json@13.0.1')).toEqual(['NuGet', undefined, ['Newtonsoft.Json@13.0.1']]);
    expect(key('pkg:gem/rack@2.2.3?platform=ruby')).toEqual(['RubyGems', undefined, ['rack@2.2.3']]);
    expect(key('pkg:cargo/hyper@0.14.10')).toEqual(['crates.io', undefined, ['hyper@0.14.10']]);
    expect(componentFromPurl('pkg:pypi/requests@2.19.0').name).toBe('requests');
  });
});

describe('componentFromPurl: distributions take their release from the distro qualifier', () => {
  it('reads Debian and Ubuntu releases in either spelling, and the source package', () => {
    expect(key('pkg:deb/debian/openssl@1.1.0l-1~deb9u5?distro=debian-9')).toEqual(['Debian', '9', ['openssl@1.1.0l-1~deb9u5']]);
    expect(key('pkg:deb/debian/openssl@1.1.0l-1~deb9u5?distro=stretch')).toEqual(['Debian', '9', ['openssl@1.1.0l-1~deb9u5']]);
    expect(key('pkg:deb/debian/libssl3@3.0.11-1~deb12u2?distro=bookworm&upstream=openssl')).toEqual([
      'Debian',
      '12',
      ['libssl3@3.0.11-1~deb12u2', 'openssl@3.0.11-1~deb12u2'],
    ]);
    expect(key('pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.10?distro=ubuntu-22.04&upstream=openssl')).toEqual([
      'Ubuntu',
      '22.04:LTS',
      ['libssl3@3.0.2-0ubuntu1.10', 'openssl@3.0.2-0ubuntu1.10'],
    ]);
    expect(key('pkg:deb/ubuntu/bash@5.2-1?distro=jammy')[1]).toBe('22.04:LTS');
    expect(key('pkg:deb/ubuntu/bash@5.2-1?distro=ubuntu-23.10')[1]).toBe('23.10');
  });

  it('reads Alpine branches from alpine-3.18, 3.18 and alpine-3.18.4', () => {
    for (const distro of ['alpine-3.18', '3.18', 'alpine-3.18.4', 'v3.18']) {
      expect(key(`pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=${distro}`)).toEqual(['Alpine', 'v3.18', ['musl@1.2.4-r2']]);
    }
    expect(key('pkg:apk/alpine/libcrypto3@3.1.4-r1?distro=alpine-3.18.4&upstream=openssl')[2]).toEqual([
      'libcrypto3@3.1.4-r1',
      'openssl@3.1.4-r1',
    ]);
    const edge = componentFromPurl('pkg:apk/alpine/musl@1.2.4-r2?distro=edge');
    expect(edge.release).toBeUndefined();
    expect(edge.releaseNote).toMatch(/names no known Alpine release/);
  });

  it('maps rpm vendors to OSV ecosystems, puts the epoch back, and looks up the source rpm', () => {
    expect(
      key('pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&distro=rhel-9.2&upstream=openssl-3.0.7-24.el9.src.rpm'),
    ).toEqual(['Red Hat', '9.2', ['openssl-libs@1:3.0.7-24.el9', 'openssl@1:3.0.7-24.el9']]);
    expect(key('pkg:rpm/almalinux/bash@5.1.8-6.el9?distro=almalinux-9.3')).toEqual(['AlmaLinux', '9', ['bash@5.1.8-6.el9']]);
    expect(key('pkg:rpm/rocky/bash@5.1.8-6.el9?distro=rocky-9')[0]).toBe('Rocky Linux');
    expect(key('pkg:rpm/opensuse/curl@8.0.1-1.1?distro=opensuse-leap-15.5')).toEqual(['openSUSE', 'Leap 15.5', ['curl@8.0.1-1.1']]);
    expect(key('pkg:rpm/suse/curl@8.0.1-1.1?distro=sles-15.5')[1]).toBe('15 SP5');
  });
});

describe('componentFromPurl: what it refuses', () => {
  const code = (purl: string): string | undefined => {
    try {
      componentFromPurl(purl);
      return undefined;
    } catch (error) {
      return error instanceof FactoryError ? error.code : 'not a FactoryError';
    }
  };

  it('names the purl that does not parse, has no version, or has no OSV ecosystem', () => {
    expect(code('npm/lodash@4.17.20')).toBe('SCAN_PURL_INVALID');
    expect(code('pkg:npm/lodash')).toBe('SCAN_PURL_INVALID');
    expect(code('pkg:hex/plug@1.14.0')).toBe('SCAN_PURL_UNSUPPORTED');
    expect(code('pkg:rpm/fedora/bash@5.2-1.fc39')).toBe('SCAN_PURL_UNSUPPORTED');
    // The purl spec requires a Maven namespace (groupId): packageurl-js refuses the purl itself.
    expect(code('pkg:maven/log4j-core@2.14.1')).toBe('SCAN_PURL_INVALID');
    expect(() => componentFromPurl('npm/lodash@4.17.20')).toThrow(/npm\/lodash@4\.17\.20/);
  });
});

describe('purls end to end against the osv-matching database', () => {
  let db: OsvDatabase;
  beforeAll(async () => {
    db = await loadOsvDatabase(path.join(FIXTURES, 'osv-matching', 'db'));
  });
  const ids = (purl: string): string[] => matchPackage(db, componentFromPurl(purl)).map((m) => m.record.id);

  it('finds the same advisories a query by ecosystem finds', () => {
    expect(ids('pkg:deb/debian/libssl1.1@1.1.0l-1~deb9u5?distro=stretch&upstream=openssl')).toEqual(['DLA-3008-1']);
    expect(ids('pkg:deb/debian/openssl@1.1.0l-1~deb9u5?distro=debian-10')).toEqual([]);
    expect(ids('pkg:apk/alpine/musl@1.2.4-r2?distro=alpine-3.18.4')).toEqual(['ALPINE-CVE-2025-26519']);
    expect(ids('pkg:golang/github.com/gogo/protobuf@v1.3.1')).toHaveLength(1);
    expect(ids('pkg:pypi/Jinja2@2.10.1')).toHaveLength(1);
    expect(ids('pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1')).toHaveLength(1);
  });
});

describe('SPDX 2.x SBOMs', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await tempDir('spdx-components-');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads packages by their purl external reference and versionInfo', async () => {
    const purlRef = (locator: string, category = 'PACKAGE-MANAGER'): object => ({
      referenceCategory: category,
      referenceType: 'purl',
      referenceLocator: locator,
    });
    const file = path.join(dir, 'bom.spdx.json');
    await writeFile(
      file,
      JSON.stringify({
        spdxVersion: 'SPDX-2.3',
        SPDXID: 'SPDXRef-DOCUMENT',
        packages: [
          { SPDXID: 'SPDXRef-requests', name: 'requests', versionInfo: '2.19.0', externalRefs: [purlRef('pkg:pypi/requests@2.19.0')] },
          {
            SPDXID: 'SPDXRef-lodash',
            name: 'lodash',
            versionInfo: '4.17.20',
            externalRefs: [purlRef('pkg:npm/lodash', 'PACKAGE_MANAGER')],
          },
          { SPDXID: 'SPDXRef-tool', name: 'tool', versionInfo: '1.0', primaryPackagePurpose: 'APPLICATION' },
          { SPDXID: 'SPDXRef-plug', name: 'plug', versionInfo: '1.14.0', externalRefs: [purlRef('pkg:hex/plug@1.14.0')] },
        ],
      }),
    );
    const result = await readSbomComponents(file);
    expect(result.total).toBe(4);
    expect(result.scannable.map((c) => [c.bomRef, c.query.ecosystem, c.query.version])).toEqual([
      ['SPDXRef-requests', 'PyPI', '2.19.0'],
      ['SPDXRef-lodash', 'npm', '4.17.20'],
    ]);
    expect(result.unscannable.map((u) => [u.name, u.type, u.reason])).toEqual([['tool', 'application', 'no purl']]);
    expect(result.skipped.map((s) => s.reason)).toEqual(['unsupported purl type: hex']);
  });
});
