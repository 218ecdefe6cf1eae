import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import { databaseProvenance, loadOsvDatabase, packageKey, queryIds, type OsvDatabase } from '@packaging-factory/vuln';
import { readZipDirectory, ZipFormatError } from '@packaging-factory/formats';
import { tempDir } from '../support/context.ts';
import { readMatchingCases } from '../vuln/fixtures.ts';
import { MATCHING_DB, writeEcosystemDumps, writeZip } from './zip-dumps.ts';

const CASES = readMatchingCases();

async function failure(promise: Promise<unknown>): Promise<FactoryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FactoryError) return error;
    throw error;
  }
  throw new Error('expected the load to fail');
}

function mismatches(database: OsvDatabase): string[] {
  return CASES.flatMap((c) => {
    const got = queryIds(database, c.ecosystem, c.name, c.version).sort();
    const want = [...c.expected_ids].sort();
    return JSON.stringify(got) === JSON.stringify(want) ? [] : [`${c.id}: got [${got.join(', ')}], expected [${want.join(', ')}]`];
  });
}

let dir: string;
beforeEach(async () => {
  dir = await tempDir('osv-zip-test-');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('osv.dev per-ecosystem all.zip dumps', () => {
  it('loads a directory of <ECOSYSTEM>/all.zip files to the same records, digest and answers as the JSON directory', async () => {
    const zips = await writeEcosystemDumps(MATCHING_DB, path.join(dir, 'dumps'));
    expect(zips.map((z) => path.relative(dir, z))).toEqual(
      ['Alpine', 'Debian', 'Go', 'Maven', 'PyPI', 'npm'].map((e) => `dumps/${e}/all.zip`),
    );
    const fromJson = await loadOsvDatabase(MATCHING_DB);
    const fromZips = await loadOsvDatabase(path.join(dir, 'dumps'));
    expect(fromZips.info).toMatchObject({ files: 157, records: 156, withdrawn: 1, duplicates: 0, kind: 'directory' });
    expect(fromZips.info.sha256).toBe(fromJson.info.sha256);
    expect(fromZips.info.snapshot).toBe(fromJson.info.snapshot);
    expect(fromZips.ecosystems()).toEqual(fromJson.ecosystems());
    // Every osv-matching query answers the same from the dumps as the fixture expects.
    expect(mismatches(fromZips)).toEqual([]);
    expect(fromZips.record('DLA-3008-1')).toEqual(fromJson.record('DLA-3008-1'));
    // Preloading the queried packages changes when records are parsed, not what is answered.
    const preloaded = await loadOsvDatabase(path.join(dir, 'dumps'), undefined, {
      preload: new Set(CASES.map((c) => packageKey(c.ecosystem, c.name))),
    });
    expect(preloaded.info.sha256).toBe(fromJson.info.sha256);
    expect(mismatches(preloaded)).toEqual([]);
  });

  it('loads one all.zip given directly and names it as the source, with its sha256 and newest entry time', async () => {
    const [npmZip] = (await writeEcosystemDumps(path.join(MATCHING_DB), path.join(dir, 'dumps'))).filter((z) => z.includes('/npm/'));
    const database = await loadOsvDatabase(npmZip!);
    expect(database.info).toMatchObject({ kind: 'zip', path: npmZip, files: 10, records: 10 });
    expect(queryIds(database, 'npm', 'lodash', '4.17.20').sort()).toEqual(['GHSA-29mw-wpgm-hmr9', 'GHSA-35jh-r3h4-6jhm']);
    const provenance = databaseProvenance(database);
    expect(provenance.sources).toEqual([
      {
        path: npmZip,
        kind: 'zip',
        sha256: createHash('sha256')
          .update(await readFile(npmZip!))
          .digest('hex'),
        size: (await readFile(npmZip!)).length,
        entries: 10,
        newestEntryTime: '2025-01-02T03:04:06.000Z',
      },
    ]);
  });

  it('reads ZIP64 extra fields and stored (uncompressed) entries', async () => {
    const files = (await readdir(path.join(MATCHING_DB, 'npm'))).sort();
    const entries = await Promise.all(
      files.map(async (file, i) => ({
        name: file,
        data: await readFile(path.join(MATCHING_DB, 'npm', file)),
        zip64: i % 2 === 0,
        store: i % 3 === 0,
      })),
    );
    const zip = await writeZip(path.join(dir, 'npm-all.zip'), entries);
    const listed = readZipDirectory(await readFile(zip), 100);
    expect(listed.map((e) => e.name)).toEqual(files);
    expect(listed.filter((e) => e.method === 0).length).toBe(4);
    const database = await loadOsvDatabase(zip);
    expect(database.info.records).toBe(10);
    expect(database.info.sha256).toBe((await loadOsvDatabase(path.join(MATCHING_DB, 'npm'))).info.sha256);
  });

  it('reads the ZIP64 end of central directory that dumps of more than 65,535 entries need', async () => {
    const files = (await readdir(path.join(MATCHING_DB, 'Go'))).sort();
    const entries = await Promise.all(files.map(async (name) => ({ name, data: await readFile(path.join(MATCHING_DB, 'Go', name)) })));
    const zip = await writeZip(path.join(dir, 'go-all.zip'), entries, { zip64End: true });
    const bytes = await readFile(zip);
    // The classic end record says 0xffff entries: the count only exists in the ZIP64 record.
    expect(bytes.readUInt16LE(bytes.length - 22 + 10)).toBe(0xffff);
    expect(readZipDirectory(bytes, 100).length).toBe(37);
    expect((await loadOsvDatabase(zip)).info).toMatchObject({ files: 37, records: 36, withdrawn: 1 });
  });

  it('mixes JSON records and zips in one directory; an advisory in two dumps counts once, silently when identical', async () => {
    await writeEcosystemDumps(MATCHING_DB, path.join(dir, 'db'));
    // The lodash GHSA records also name RubyGems: osv.dev puts them in both dumps.
    const lodash = await readFile(path.join(MATCHING_DB, 'npm', 'GHSA-35jh-r3h4-6jhm.json'));
    await writeZip(path.join(dir, 'db', 'RubyGems', 'all.zip'), [{ name: 'GHSA-35jh-r3h4-6jhm.json', data: lodash }]);
    await mkdir(path.join(dir, 'db', 'extra'));
    await cp(path.join(MATCHING_DB, 'Go', 'GO-2022-0274.json'), path.join(dir, 'db', 'extra', 'GO-2022-0274.json'));
    const database = await loadOsvDatabase(path.join(dir, 'db'));
    expect(database.info).toMatchObject({ files: 159, records: 156, duplicates: 2, warnings: [] });
    expect(databaseProvenance(database).sources.map((s) => [s.kind, path.relative(dir, s.path)])).toEqual([
      ['json-directory', 'db'],
      ['zip', 'db/Alpine/all.zip'],
      ['zip', 'db/Debian/all.zip'],
      ['zip', 'db/Go/all.zip'],
      ['zip', 'db/Maven/all.zip'],
      ['zip', 'db/PyPI/all.zip'],
      ['zip', 'db/RubyGems/all.zip'],
      ['zip', 'db/npm/all.zip'],
    ]);
  });

  it('ignores entries that are not .json records (a directory entry, a README)', async () => {
    const record = await readFile(path.join(MATCHING_DB, 'npm', 'GHSA-35jh-r3h4-6jhm.json'));
    const zip = await writeZip(path.join(dir, 'all.zip'), [
      { name: 'README.txt', data: 'not a record' },
      { name: 'GHSA-35jh-r3h4-6jhm.json', data: record },
    ]);
    expect((await loadOsvDatabase(zip)).info).toMatchObject({ files: 1, records: 1 });
  });
});

describe('a database that cannot be read fails closed with SCAN_DB_UNAVAILABLE', () => {
  it('a missing path, named', async () => {
    const missing = path.join(dir, 'osv', 'all.zip');
    const error = await failure(loadOsvDatabase(missing));
    expect(error.code).toBe('SCAN_DB_UNAVAILABLE');
    expect(error.message).toContain(missing);
  });

  it('an empty archive and an archive without records', async () => {
    const empty = await writeZip(path.join(dir, 'empty.zip'), []);
    expect((await failure(loadOsvDatabase(empty))).message).toMatch(/holds no \.json records/);
    const readme = await writeZip(path.join(dir, 'readme.zip'), [{ name: 'README', data: 'x' }]);
    expect((await failure(loadOsvDatabase(readme))).code).toBe('SCAN_DB_UNAVAILABLE');
  });

  it('a file that is not a ZIP, and a truncated download', async () => {
    const notZip = path.join(dir, 'all.zip');
    await writeFile(notZip, '<html>503 Service Unavailable</html>');
    const error = await failure(loadOsvDatabase(notZip));
    expect(error.code).toBe('SCAN_DB_UNAVAILABLE');
    expect(error.message).toMatch(/not a readable ZIP archive: no end of central directory record/);
    expect(error.cause).toBeInstanceOf(ZipFormatError);

    await writeEcosystemDumps(MATCHING_DB, path.join(dir, 'dumps'));
    const whole = await readFile(path.join(dir, 'dumps', 'Maven', 'all.zip'));
    const truncated = path.join(dir, 'truncated.zip');
    await writeFile(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    expect((await failure(loadOsvDatabase(truncated))).message).toMatch(/not a readable ZIP archive/);
  });

  it('an entry whose compressed data is damaged', async () => {
    const record = await readFile(path.join(MATCHING_DB, 'Maven', 'GHSA-269g-pwp5-87pp.json'));
    const zip = await writeZip(path.join(dir, 'all.zip'), [{ name: 'GHSA-269g-pwp5-87pp.json', data: record }]);
    const bytes = await readFile(zip);
    // The data starts after the 30-byte local header and the name; overwrite its middle.
    const start = 30 + 'GHSA-269g-pwp5-87pp.json'.length;
    bytes.fill(0xff, start + 10, start + 60);
    await writeFile(zip, bytes);
    const error = await failure(loadOsvDatabase(zip));
    expect(error.code).toBe('SCAN_DB_UNAVAILABLE');
    expect(error.message).toMatch(/GHSA-269g-pwp5-87pp\.json (does not inflate|inflates to)/);
  });

  it('an entry that is not JSON, or lacks what the index needs, named by archive and entry', async () => {
    const notJson = await writeZip(path.join(dir, 'a.zip'), [{ name: 'GHSA-xxxx-xxxx-xxxx.json', data: '{"id": "GHSA-xxxx' }]);
    const error = await failure(loadOsvDatabase(notJson));
    expect(error.message).toBe(`OSV record ${notJson} (a.zip!GHSA-xxxx-xxxx-xxxx.json) is not valid JSON`);
    expect(error.subject).toBe(notJson);
    const noModified = await writeZip(path.join(dir, 'b.zip'), [
      { name: 'GHSA-xxxx-xxxx-xxxx.json', data: '{"id": "GHSA-xxxx-xxxx-xxxx"}' },
    ]);
    expect((await failure(loadOsvDatabase(noModified))).message).toMatch(/does not match the OSV schema: .*modified/);
  });

  it('an archive with only withdrawn records', async () => {
    const record = JSON.parse(await readFile(path.join(MATCHING_DB, 'npm', 'GHSA-35jh-r3h4-6jhm.json'), 'utf8')) as Record<string, unknown>;
    record['withdrawn'] = '2025-09-01T00:00:00Z';
    const zip = await writeZip(path.join(dir, 'all.zip'), [{ name: 'GHSA-35jh-r3h4-6jhm.json', data: JSON.stringify(record) }]);
    expect((await failure(loadOsvDatabase(zip))).message).toMatch(/no usable records \(1 read, 1 withdrawn\)/);
  });
});

describe('schema validation: on use by default, everything with validation all', () => {
  async function dbWithBrokenRange(): Promise<string> {
    const record = JSON.parse(await readFile(path.join(MATCHING_DB, 'npm', 'GHSA-35jh-r3h4-6jhm.json'), 'utf8')) as {
      affected: { ranges: { events: unknown }[] }[];
    };
    // A range without events breaks the schema but not what the index reads.
    delete (record.affected[0]!.ranges[0] as { events?: unknown }).events;
    const ok = await readFile(path.join(MATCHING_DB, 'Go', 'GO-2022-0274.json'));
    return writeZip(path.join(dir, 'all.zip'), [
      { name: 'GHSA-35jh-r3h4-6jhm.json', data: JSON.stringify(record) },
      { name: 'GO-2022-0274.json', data: ok },
    ]);
  }

  it('on-use: loads, answers for other packages, and fails closed when a lookup reaches the broken record', async () => {
    const database = await loadOsvDatabase(await dbWithBrokenRange());
    expect(database.info).toMatchObject({ records: 2, validation: 'on-use' });
    expect(queryIds(database, 'Go', 'github.com/opencontainers/runc', '1.0.0')).toEqual(expect.any(Array));
    let thrown: unknown;
    try {
      queryIds(database, 'npm', 'lodash', '4.17.20');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(FactoryError);
    expect((thrown as FactoryError).code).toBe('SCAN_DB_UNAVAILABLE');
    expect((thrown as FactoryError).message).toMatch(/all\.zip!GHSA-35jh-r3h4-6jhm\.json does not match the OSV schema: .*events/);
  });

  it('preload: records naming a package the caller will look up are validated (and kept) while loading', async () => {
    const zip = await dbWithBrokenRange();
    const elsewhere = await loadOsvDatabase(zip, undefined, { preload: new Set([packageKey('Go', 'github.com/opencontainers/runc')]) });
    expect(elsewhere.info.records).toBe(2);
    const error = await failure(loadOsvDatabase(zip, undefined, { preload: new Set([packageKey('npm', 'lodash')]) }));
    expect(error.message).toMatch(/GHSA-35jh-r3h4-6jhm\.json\) does not match the OSV schema: .*events/);
  });

  it('all: refuses the database while loading', async () => {
    const error = await failure(loadOsvDatabase(await dbWithBrokenRange(), undefined, { validation: 'all' }));
    expect(error.message).toMatch(/GHSA-35jh-r3h4-6jhm\.json\) does not match the OSV schema: .*events/);
  });

  it('a JSON record changed on disk after loading is refused when it is used', async () => {
    await cp(path.join(MATCHING_DB, 'npm'), path.join(dir, 'db'), { recursive: true });
    const database = await loadOsvDatabase(path.join(dir, 'db'));
    const file = path.join(dir, 'db', 'GHSA-35jh-r3h4-6jhm.json');
    await writeFile(file, (await readFile(file, 'utf8')).replace('"summary": "', '"summary": "Edited: '));
    expect(() => database.record('GHSA-35jh-r3h4-6jhm')).toThrow(/changed after the database was loaded/);
  });
});

describe('provenance of the data', () => {
  it('records source, snapshot and a digest that follows the records, not their layout', async () => {
    await writeEcosystemDumps(MATCHING_DB, path.join(dir, 'dumps'));
    const database = await loadOsvDatabase(path.join(dir, 'dumps'));
    const provenance = databaseProvenance(database);
    expect(provenance).toMatchObject({
      kind: 'directory',
      location: path.join(dir, 'dumps'),
      snapshot: database.info.snapshot,
      counts: { read: 157, inUse: 156, withdrawn: 1, duplicates: 0 },
      validation: 'on-use',
    });
    // The digest is reproducible from the published rule: sorted "<id>\t<modified>\t<sha256>\n" lines.
    const lines = database
      .recordDigests()
      .map((r) => `${r.id}\t${r.modified}\t${r.sha256}\n`)
      .sort();
    expect(provenance.digest.value).toBe(createHash('sha256').update(lines.join('')).digest('hex'));
    // The snapshot is the newest modified of the records read.
    const newest = database
      .recordDigests()
      .map((r) => r.modified)
      .sort()
      .pop();
    expect(provenance.snapshot.slice(0, 19)).toBe(newest!.slice(0, 19));

    // The same Go dump rebuilt gives the same digest; one changed record in it changes the digest.
    const goFiles = (await readdir(path.join(MATCHING_DB, 'Go'))).sort();
    const goEntries = async (edit: boolean): Promise<{ name: string; data: Buffer }[]> =>
      Promise.all(
        goFiles.map(async (name) => {
          const data = await readFile(path.join(MATCHING_DB, 'Go', name));
          return {
            name,
            data:
              edit && name === 'GO-2022-0274.json'
                ? Buffer.from(data.toString('utf8').replace('"summary": "', '"summary": "Edited: '))
                : data,
          };
        }),
      );
    await writeZip(path.join(dir, 'dumps', 'Go', 'all.zip'), (await goEntries(false)).reverse());
    expect(databaseProvenance(await loadOsvDatabase(path.join(dir, 'dumps'))).digest.value).toBe(provenance.digest.value);
    await writeZip(path.join(dir, 'dumps', 'Go', 'all.zip'), await goEntries(true));
    expect(databaseProvenance(await loadOsvDatabase(path.join(dir, 'dumps'))).digest.value).not.toBe(provenance.digest.value);
  });
});
