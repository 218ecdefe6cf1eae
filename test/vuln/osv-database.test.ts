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
      files: 10,
      records: 10,
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
    for (const file of await readdir(path.join(EXAMPLE_DB, 'npm'))) await cp(path.join(EXAMPLE_DB, 'npm', file), path.join(flat, file));
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
