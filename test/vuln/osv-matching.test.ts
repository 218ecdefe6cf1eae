import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadOsvDatabase, queryIds, supportedEcosystems, type OsvDatabase } from '@packaging-factory/vuln';
import { FIXTURES } from './fixtures.ts';

interface MatchingCase {
  id: string;
  ecosystem: string;
  name: string;
  version: string;
  expected_ids: string[];
}

const MATCHING = path.join(FIXTURES, 'osv-matching');
const queries = JSON.parse(readFileSync(path.join(MATCHING, 'queries.json'), 'utf8')) as { cases: MatchingCase[] };
const supported = new Set(supportedEcosystems());
const cases = queries.cases.filter((c) => supported.has(c.ecosystem.split(':')[0]!));

describe('OSV matching against the osv-matching queries (every supported ecosystem)', () => {
  let database: OsvDatabase;

  beforeAll(async () => {
    database = await loadOsvDatabase(path.join(MATCHING, 'db'));
  });

  it('loads the 157 shared records, skipping the one withdrawn (GO-2025-3543)', () => {
    expect(database.info.files).toBe(157);
    expect(database.info.records).toBe(156);
    expect(database.info.withdrawn).toBe(1);
    expect(database.record('GO-2025-3543')).toBeUndefined();
    expect(database.info.warnings).toEqual([]);
  });

  it('covers every ecosystem the queries use', () => {
    const ecosystems = new Set(cases.map((c) => c.ecosystem.split(':')[0]));
    expect([...ecosystems].sort()).toEqual(['Alpine', 'Debian', 'Go', 'Maven', 'PyPI', 'npm']);
    expect(cases.length).toBe(queries.cases.length);
  });

  it('returns exactly the expected ids for every case', () => {
    const failures: string[] = [];
    for (const c of cases) {
      const got = queryIds(database, c.ecosystem, c.name, c.version).sort();
      const want = [...c.expected_ids].sort();
      if (JSON.stringify(got) !== JSON.stringify(want)) failures.push(`${c.id}: got [${got.join(', ')}], expected [${want.join(', ')}]`);
    }
    const passed = cases.length - failures.length;
    console.log(`osv-matching all ecosystems: ${passed}/${cases.length} queries pass (${((100 * passed) / cases.length).toFixed(2)}%)`);
    expect(failures).toEqual([]);
  });

  it('scopes Debian records to their release', () => {
    // DLA-3008-1 is a Debian:9 advisory; the same vulnerable version on another release is not its business.
    expect(queryIds(database, 'Debian:9', 'openssl', '1.1.0l-1~deb9u5')).toEqual(['DLA-3008-1']);
    expect(queryIds(database, 'Debian:10', 'openssl', '1.1.0l-1~deb9u5')).toEqual([]);
    expect(queryIds(database, 'Debian', 'openssl', '1.1.0l-1~deb9u5')).toEqual(['DLA-3008-1']);
  });

  it('treats npm names as exact and case-sensitive', () => {
    expect(queryIds(database, 'npm', 'lodash', '4.17.20').length).toBeGreaterThan(0);
    expect(queryIds(database, 'npm', 'Lodash', '4.17.20')).toEqual([]);
  });
});
