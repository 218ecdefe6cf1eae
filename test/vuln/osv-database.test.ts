import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { compareTimestamps, loadOsvDatabase, validateOsvRecord } from '@packaging-factory/vuln';
import { MemoryLogger } from '@packaging-factory/core';
import { tempDir } from '../support/context.ts';
import { FIXTURES } from './fixtures.ts';
import { EXAMPLE_DB, MATCHING_DB, writeModifiedRecord } from './scan-fixtures.ts';

const EXAMPLES = path.join(FIXTURES, 'osv-schema', 'examples');

describe('OSV record validation against the vendored OSV schema', () => {
  it.each(['osv-linter-testdata', 'ghsa-converted'])(
    'accepts the real records in %s and rejects the one without introduced',
    async (folder) => {
      const files = (await readdir(path.join(EXAMPLES, folder))).filter((f) => f.endsWith('.json')).sort();
      const rejected: string[] = [];
      for (const file of files) {
        const record: unknown = JSON.parse(await readFile(path.join(EXAMPLES, folder, file), 'utf8'));
        if (validateOsvRecord(record).errors.length > 0) rejected.push(file);
      }
      // The fixture README: every example validates except nointroduced-CVE-2023-41045.json.
      expect(rejected).toEqual(folder === 'osv-linter-testdata' ? ['nointroduced-CVE-2023-41045.json'] : []);
    },
  );

  it('keeps a record whose only fault is an ecosystem newer than the schema, with a warning', () => {
    const record = {
      id: 'GHSA-aaaa-bbbb-cccc',
      modified: '2024-01-01T00:00:00Z',
      affected: [{ package: { ecosystem: 'NewEcosystem', name: 'x' } }],
    };
    const result = validateOsvRecord(record);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([expect.stringContaining('/affected/0/package/ecosystem')]);
  });

  it('rejects structural faults', () => {
    const noEvents = {
      id: 'GHSA-aaaa-bbbb-cccc',
      modified: '2024-01-01T00:00:00Z',
      affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER' }] }],
    };
    expect(validateOsvRecord(noEvents).errors.length).toBeGreaterThan(0);
    expect(validateOsvRecord({ id: 'GHSA-aaaa-bbbb-cccc', modified: 'yesterday' }).errors.length).toBeGreaterThan(0);
  });
});

describe('loading an OSV database directory', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await tempDir('osv-db-test-');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('describes the example database: counts, snapshot and a digest over (id, modified, file sha256)', async () => {
    const database = await loadOsvDatabase(EXAMPLE_DB);
    expect(database.info).toMatchObject({
      files: 12,
      records: 12,
      withdrawn: 0,
      duplicates: 0,
      snapshot: '2025-09-29T21:12:31.102523Z',
      warnings: [],
    });
    expect(database.info.sha256).toMatch(/^[0-9a-f]{64}$/);
    // GHSA-xvch-5gv4-984h lists minimist twice (two ranges in two affected entries): both are indexed.
    expect(
      database
        .lookup('npm', 'minimist')
        .map((e) => e.record.id)
        .sort(),
    ).toEqual(['GHSA-vh95-rmgr-6w4m', 'GHSA-vh95-rmgr-6w4m', 'GHSA-xvch-5gv4-984h', 'GHSA-xvch-5gv4-984h']);
  });

  it('gives the same digest for the same data in another place and layout, and a new one when a record changes', async () => {
    const flat = path.join(dir, 'flat');
    await mkdir(flat);
    for (const folder of ['npm', 'Debian']) {
      for (const file of await readdir(path.join(EXAMPLE_DB, folder))) await cp(path.join(EXAMPLE_DB, folder, file), path.join(flat, file));
    }
    const original = await loadOsvDatabase(EXAMPLE_DB);
    expect((await loadOsvDatabase(flat)).info.sha256).toBe(original.info.sha256);
    const changed = path.join(flat, 'GHSA-29mw-wpgm-hmr9.json');
    await writeFile(changed, (await readFile(changed, 'utf8')).replace('"summary": "', '"summary": "Edited: '));
    expect((await loadOsvDatabase(flat)).info.sha256).not.toBe(original.info.sha256);
  });

  it('keeps the newest copy of a record that appears twice, and says so', async () => {
    await writeModifiedRecord(dir, 'npm/GHSA-35jh-r3h4-6jhm.json', () => undefined, 'a/GHSA-35jh-r3h4-6jhm.json');
    await writeModifiedRecord(
      dir,
      'npm/GHSA-35jh-r3h4-6jhm.json',
      (record) => {
        record['modified'] = '2025-08-12T21:55:57.8Z';
        record['summary'] = 'newer copy';
      },
      'b/GHSA-35jh-r3h4-6jhm.json',
    );
    const logger = new MemoryLogger();
    const database = await loadOsvDatabase(dir, logger);
    expect(database.info).toMatchObject({ files: 2, records: 1, duplicates: 1 });
    expect(database.record('GHSA-35jh-r3h4-6jhm')?.summary).toBe('newer copy');
    expect(logger.text()).toContain('GHSA-35jh-r3h4-6jhm appears in');
  });

  it('counts the records of each ecosystem the example database covers, not the ecosystems the scanner supports', async () => {
    const database = await loadOsvDatabase(EXAMPLE_DB);
    // The lodash GHSA records also name lodash-rails (RubyGems): the records say what they cover.
    expect(database.ecosystems()).toEqual([
      { ecosystem: 'Debian', records: 2, releases: ['7', '9'] },
      { ecosystem: 'RubyGems', records: 7, releases: [] },
      { ecosystem: 'npm', records: 10, releases: [] },
    ]);
    expect(database.recordCount('npm')).toBe(10);
    expect(database.recordCount('PyPI')).toBe(0);
  });

  it('counts a record once per ecosystem, leaves withdrawn ones out and orders releases by number', async () => {
    const database = await loadOsvDatabase(MATCHING_DB);
    const ecosystems = database.ecosystems();
    // 37 Go files, one withdrawn (GO-2025-3543).
    expect(ecosystems.map((e) => [e.ecosystem, e.records])).toEqual([
      ['Alpine', 2],
      ['Debian', 5],
      ['Go', 36],
      ['Maven', 76],
      ['PyPI', 27],
      ['RubyGems', 7],
      ['npm', 10],
    ]);
    expect(database.recordCount('Go')).toBe(36);
    // CVE-2018-5407 has one entry per Alpine release (v3.3 to v3.8), counted once.
    expect(ecosystems.find((e) => e.ecosystem === 'Debian')?.releases).toEqual(['7', '9']);
    expect(ecosystems.find((e) => e.ecosystem === 'Alpine')?.releases).toContain('v3.8');
  });

  it('orders releases by number (9 before 10), named ones after', async () => {
    await writeModifiedRecord(dir, 'Debian/DLA-3008-1.json', () => undefined);
    await writeModifiedRecord(dir, 'Debian/DLA-3051-1.json', (record) => {
      const affected = (record['affected'] as { package: { ecosystem: string } }[])[0]!;
      record['affected'] = [
        { ...affected, package: { ...affected.package, ecosystem: 'Debian:sid' } },
        { ...affected, package: { ...affected.package, ecosystem: 'Debian:10' } },
      ];
    });
    const database = await loadOsvDatabase(dir);
    expect(database.ecosystems()).toEqual([{ ecosystem: 'Debian', records: 2, releases: ['9', '10', 'sid'] }]);
  });

  it('indexes records of every ecosystem in the shared database, by release-free ecosystem', async () => {
    const database = await loadOsvDatabase(MATCHING_DB);
    expect(database.lookup('Debian', 'openssl').map((e) => e.ecosystem.full)).toEqual(['Debian:9']);
    expect(database.lookup('Alpine', 'openssl').length).toBeGreaterThan(0);
  });
});

describe('OSV timestamps', () => {
  it('compare fractions by value, not by string', () => {
    expect(compareTimestamps('2025-01-01T00:00:31.1Z', '2025-01-01T00:00:31Z')).toBe(1);
    expect(compareTimestamps('2026-07-08T06:27:00.690079200Z', '2026-07-08T06:27:00.69Z')).toBe(1);
    expect(compareTimestamps('2024-05-29T23:34:56Z', '2024-05-29T23:34:56.000Z')).toBe(0);
  });
});
