import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ecosystemSupport,
  evaluateAffected,
  findingsFor,
  matchPackage,
  OsvDatabase,
  queryIds,
  type OsvAffected,
  type OsvRecord,
  type PackageQuery,
  type SbomComponent,
} from '@packaging-factory/vuln';
import { FIXTURES } from '../vuln/fixtures.ts';

const EXAMPLES = path.join(FIXTURES, 'osv-schema', 'examples');

function example(file: string): OsvRecord {
  return JSON.parse(readFileSync(path.join(EXAMPLES, file), 'utf8')) as OsvRecord;
}

/** An in-memory database over these records, as a loader would build it. */
function database(records: OsvRecord[]): OsvDatabase {
  return new OsvDatabase(
    {
      path: '/memory',
      files: records.length,
      bytes: 0,
      records: records.length,
      withdrawn: 0,
      duplicates: 0,
      sha256: '',
      snapshot: '',
      warnings: [],
    },
    records,
  );
}

function record(id: string, affected: OsvAffected[], extra: Partial<OsvRecord> = {}): OsvRecord {
  return { id, modified: '2025-01-01T00:00:00Z', affected, ...extra };
}

const ecosystemRange = (ecosystem: string, name: string, events: OsvAffected['ranges']): OsvAffected => ({
  package: { ecosystem, name },
  ranges: events,
});

describe('OSV evaluation on the schema repository examples', () => {
  it('sorts unsorted events before walking them (GHSA converter output, RubyGems passenger)', () => {
    const db = database([example('ghsa-converted/multiple_ranges_in_package.osv.json')]);
    const affected = (v: string): string[] => queryIds(db, 'RubyGems', 'passenger', v);
    // Events as written: introduced 0, introduced 4.0.1, fixed 4.0.5, fixed 3.0.21.
    expect(['3.0.20', '3.0.21', '4.0.0', '4.0.1', '4.0.4', '4.0.5'].map((v) => affected(v).length)).toEqual([1, 0, 0, 1, 1, 0]);
  });

  it('finds a PyPI record by any spelling of the PEP 503 name', () => {
    const db = database([example('ghsa-converted/pypi_normalize.osv.json')]);
    expect(queryIds(db, 'PyPI', 'Products.PluggableAuthService', '2.6.0')).toEqual(['GHSA-p44j-xrqg-4xrr']);
    expect(queryIds(db, 'PyPI', 'products_pluggableauthservice', '2.6.1')).toEqual([]);
  });

  it('matches each affected Maven artifact by group:artifact', () => {
    const db = database([example('ghsa-converted/full_ranges.osv.json')]);
    expect(queryIds(db, 'Maven', 'com.typesafe.akka:akka-actor_2.11', '2.5.15')).toEqual(['GHSA-mr95-9rr4-668f']);
    expect(queryIds(db, 'Maven', 'com.typesafe.akka:akka-actor_2.11', '2.5.16')).toEqual([]);
    expect(queryIds(db, 'Maven', 'com.typesafe.akka:akka-actor', '2.5.15')).toEqual([]);
  });

  it('scopes the Alpine:v3.x entries of CVE-2018-5407 to their branch and ignores its GIT range', () => {
    const db = database([example('osv-linter-testdata/CVE-2018-5407.json')]);
    expect(queryIds(db, 'Alpine:v3.8', 'openssl', '1.0.2p-r0')).toEqual(['CVE-2018-5407']);
    expect(queryIds(db, 'Alpine:v3.8', 'openssl', '1.0.2q-r0')).toEqual([]);
    expect(queryIds(db, 'Alpine:v3.9', 'openssl', '1.0.2p-r0')).toEqual([]);
  });
});

describe('OSV events: introduced, fixed, last_affected, limit', () => {
  const support = ecosystemSupport('PyPI')!;
  const verdict = (events: { introduced?: string; fixed?: string; last_affected?: string; limit?: string }[], version: string): unknown =>
    evaluateAffected(ecosystemRange('PyPI', 'p', [{ type: 'ECOSYSTEM', events }]), version, support).affected;

  it('introduced "0" affects everything before the fix, PEP 440 pre-releases included', () => {
    const events = [{ introduced: '0' }, { fixed: '2.0' }];
    expect(['0.0.1.dev0', '2.0rc1', '2.0', '2.0.post1'].map((v) => verdict(events, v))).toEqual([true, true, false, false]);
  });

  it('last_affected includes itself; limit caps the range', () => {
    expect(['1.4', '1.4.0', '1.4.1'].map((v) => verdict([{ introduced: '1.0' }, { last_affected: '1.4' }], v))).toEqual([
      true,
      true,
      false,
    ]);
    expect(['1.5', '1.9', '2.0'].map((v) => verdict([{ introduced: '1.0' }, { limit: '1.9' }], v))).toEqual([true, false, false]);
  });

  it('ranges in the same entry combine: any range that includes the version counts', () => {
    const entry = ecosystemRange('PyPI', 'p', [
      { type: 'ECOSYSTEM', events: [{ introduced: '1.0' }, { fixed: '1.1' }] },
      { type: 'ECOSYSTEM', events: [{ introduced: '2.0' }, { fixed: '2.1' }] },
    ]);
    expect(['1.0.5', '1.5', '2.0.1'].map((v) => evaluateAffected(entry, v, support).affected)).toEqual([true, false, true]);
  });
});

describe('record-level semantics', () => {
  it('never matches a withdrawn record, whatever loaded it', () => {
    const affected = [ecosystemRange('npm', 'left-pad', [{ type: 'SEMVER', events: [{ introduced: '0' }] }])];
    const db = database([
      record('GHSA-live-0000-0000', affected),
      record('GHSA-gone-0000-0000', affected, { withdrawn: '2024-01-01T00:00:00Z' }),
    ]);
    expect(queryIds(db, 'npm', 'left-pad', '1.3.0')).toEqual(['GHSA-live-0000-0000']);
  });

  it('applies Ubuntu Pro/ESM and LTS-suffixed entries to the release, not to other releases', () => {
    const entry = (ecosystem: string): OsvAffected =>
      ecosystemRange(ecosystem, 'openssl', [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.0.2-0ubuntu1.15' }] }]);
    const db = database([
      record('USN-1', [entry('Ubuntu:22.04:LTS')]),
      record('USN-2', [entry('Ubuntu:Pro:22.04:LTS')]),
      record('USN-3', [entry('Ubuntu:20.04:LTS')]),
    ]);
    expect(queryIds(db, 'Ubuntu:22.04:LTS', 'openssl', '3.0.2-0ubuntu1.10')).toEqual(['USN-1', 'USN-2']);
    expect(queryIds(db, 'Ubuntu:22.04:LTS', 'openssl', '3.0.2-0ubuntu1.15')).toEqual([]);
  });

  it('applies Red Hat CPE-scoped entries to RHEL releases of the same major (and minor, for pinned streams)', () => {
    const entry = (ecosystem: string): OsvAffected =>
      ecosystemRange(ecosystem, 'openssl', [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1:3.0.7-25.el9' }] }]);
    const db = database([
      record('RHSA-A', [entry('Red Hat:enterprise_linux:9::appstream')]),
      record('RHSA-B', [entry('Red Hat:rhel_eus:9.2::baseos')]),
      record('RHSA-C', [entry('Red Hat:enterprise_linux:8::baseos')]),
      record('RHSA-D', [entry('Red Hat:openshift:4.12::el9')]),
    ]);
    const query = (release: string): string[] =>
      matchPackage(db, {
        ecosystem: 'Red Hat',
        release,
        version: '1:3.0.7-24.el9',
        lookups: [{ name: 'openssl', version: '1:3.0.7-24.el9' }],
      }).map((m) => m.record.id);
    expect(query('9.2')).toEqual(['RHSA-A', 'RHSA-B']);
    expect(query('9.4')).toEqual(['RHSA-A']);
    expect(query('8')).toEqual(['RHSA-C']);
  });

  it('groups records that alias each other into one finding, reporting every id', () => {
    const affected = [ecosystemRange('PyPI', 'requests', [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.20.0' }] }])];
    const db = database([
      record('PYSEC-2018-28', affected, { aliases: ['CVE-2018-18074'] }),
      record('GHSA-x84v-xcm2-53pg', affected, { aliases: ['CVE-2018-18074'] }),
      record('PYSEC-2014-13', affected, { aliases: ['CVE-2014-1829'] }),
    ]);
    const query: PackageQuery = { ecosystem: 'PyPI', version: '2.19.0', lookups: [{ name: 'requests', version: '2.19.0' }] };
    const component: SbomComponent = { name: 'requests', version: '2.19.0', purl: 'pkg:pypi/requests@2.19.0', query };
    const findings = findingsFor(component, matchPackage(db, query), 'high', 'high');
    expect(findings.map((f) => [f.id, f.ids, f.aliases]).sort()).toEqual([
      ['GHSA-x84v-xcm2-53pg', ['GHSA-x84v-xcm2-53pg', 'PYSEC-2018-28'], ['CVE-2018-18074']],
      ['PYSEC-2014-13', ['PYSEC-2014-13'], ['CVE-2014-1829']],
    ]);
    expect(findings.every((f) => f.fixedVersions.join() === '2.20.0')).toBe(true);
  });
});
