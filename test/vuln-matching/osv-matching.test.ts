import path from 'node:path';
import { ecosystemSupport, loadOsvDatabase, parseEcosystem, queryIds, type OsvDatabase } from '@packaging-factory/vuln';
import { FIXTURES, readMatchingCases } from '../vuln/fixtures.ts';

const MATCHING = path.join(FIXTURES, 'osv-matching');
const queries = { cases: readMatchingCases() };

describe('OSV matching against every osv-matching query (all ecosystems)', () => {
  let database: OsvDatabase;

  beforeAll(async () => {
    database = await loadOsvDatabase(path.join(MATCHING, 'db'));
  });

  it('has an ordering for every ecosystem the queries use', () => {
    const bases = [...new Set(queries.cases.map((c) => parseEcosystem(c.ecosystem).base))].sort();
    expect(bases).toEqual(['Alpine', 'Debian', 'Go', 'Maven', 'PyPI', 'npm']);
    for (const base of bases) expect(ecosystemSupport(base)).toBeDefined();
  });

  it('returns exactly the expected ids for every case', () => {
    const failures: string[] = [];
    const byEcosystem = new Map<string, { passed: number; total: number }>();
    for (const c of queries.cases) {
      const got = queryIds(database, c.ecosystem, c.name, c.version).sort();
      const want = [...c.expected_ids].sort();
      const ok = JSON.stringify(got) === JSON.stringify(want);
      if (!ok) failures.push(`${c.id}: got [${got.join(', ')}], expected [${want.join(', ')}]`);
      const base = parseEcosystem(c.ecosystem).base;
      const tally = byEcosystem.get(base) ?? { passed: 0, total: 0 };
      tally.total++;
      if (ok) tally.passed++;
      byEcosystem.set(base, tally);
    }
    for (const [base, tally] of [...byEcosystem.entries()].sort()) {
      console.log(`FIXTURE osv-matching/${base}: ${tally.passed}/${tally.total}`);
    }
    console.log(`FIXTURE osv-matching/queries.json: ${queries.cases.length - failures.length}/${queries.cases.length}`);
    expect(failures).toEqual([]);
    expect(queries.cases.length).toBe(48);
  });

  it('normalises PyPI names per PEP 503 on both sides of the lookup', () => {
    const want = queryIds(database, 'PyPI', 'jinja2', '2.10.1');
    expect(want.length).toBeGreaterThan(0);
    expect(queryIds(database, 'PyPI', 'Jinja2', '2.10.1')).toEqual(want);
    expect(queryIds(database, 'PyPI', 'JINJA_2', '2.10.1')).toEqual([]);
    expect(queryIds(database, 'PyPI', 'Flask', '0.12.2')).toEqual(queryIds(database, 'PyPI', 'flask', '0.12.2'));
  });

  it('takes Go versions as go.mod writes them (v prefix) and module paths whatever their case', () => {
    const plain = queryIds(database, 'Go', 'github.com/gogo/protobuf', '1.3.1');
    expect(plain).toHaveLength(1);
    expect(queryIds(database, 'Go', 'github.com/gogo/protobuf', 'v1.3.1')).toEqual(plain);
    expect(queryIds(database, 'Go', 'github.com/Gogo/Protobuf', 'v1.3.1')).toEqual(plain);
    expect(queryIds(database, 'Go', 'github.com/gogo/protobuf', 'v1.3.2')).toEqual([]);
  });

  it('scopes Alpine records to their release branch', () => {
    expect(queryIds(database, 'Alpine:v3.18', 'musl', '1.2.4-r2')).toEqual(['ALPINE-CVE-2025-26519']);
    expect(queryIds(database, 'Alpine:v3.15', 'musl', '1.2.4-r2')).toEqual([]);
    // Without a release the component could be on any branch: every branch's records apply.
    expect(queryIds(database, 'Alpine', 'musl', '1.2.4-r2')).toEqual(['ALPINE-CVE-2025-26519']);
  });

  it('loads the 157 shared records and never matches the one withdrawn (GO-2025-3543)', () => {
    expect(database.info.files).toBe(157);
    expect(database.info.records).toBe(156);
    expect(database.info.withdrawn).toBe(1);
    expect(database.record('GO-2025-3543')).toBeUndefined();
    expect(database.info.warnings).toEqual([]);
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
