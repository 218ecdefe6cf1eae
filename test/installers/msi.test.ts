import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ExecRunner, MemoryLogger, type FactoryError } from '@packaging-factory/core';
import {
  decodeMsiStreamName,
  encodeMsiStreamName,
  hasCompoundFileMagic,
  MsiDatabase,
  readMsiPackage,
  withCompoundFile,
  type MsiPackage,
  type MsiValue,
} from '@packaging-factory/formats';
import { catalogMsi, installerCatalogers, msiCataloger, msiPurl, type CatalogCandidate } from '@packaging-factory/sbom';
import { msiinfoExport, msiinfoSuminfo, msiinfoTables, requireTools, run, wxs, type WxsProduct } from './installer-tools.ts';

/**
 * The .msi reader and cataloger against MSIs built by wixl and msibuild (msitools), every field
 * cross-checked against msiinfo, which reads through libmsi (the Wine-derived implementation):
 * every table's columns, definitions, keys and rows, the Property table, and the summary stream.
 * No externally authored MSI with an oracle exists in ../shared/fixtures (binary-packages README).
 */

const available = await requireTools(['wixl', 'msibuild', 'msiinfo'], 'wixl msitools');
const describeMsi = available ? describe : describe.skip;

interface BuiltCase {
  id: string;
  file: string;
  /** What the case exercises. */
  about: string;
}

let dir = '';
const cases: BuiltCase[] = [];
const passed = new Map<string, number>();

function pass(id: string): void {
  passed.set(id, (passed.get(id) ?? 0) + 1);
}

async function withWixl(id: string, product: Omit<WxsProduct, 'file'>, about: string, arch?: string): Promise<BuiltCase> {
  const source = path.join(dir, `${id}.wxs`);
  const payload = path.join(dir, `${id}.txt`);
  await writeFile(payload, `payload of ${id}\n`);
  // wixl resolves File/@Source relative to its working directory and refuses absolute paths.
  await writeFile(source, wxs({ ...product, file: path.basename(payload) }));
  const file = path.join(dir, `${id}.msi`);
  await run('wixl', [...(arch === undefined ? [] : ['-a', arch]), '-o', file, source], { cwd: dir });
  return { id, file, about };
}

/** Our cell as msiinfo prints it: null as empty, integers in decimal. */
function shown(value: MsiValue): string {
  return value === null ? '' : String(value);
}

function codeOf(error: unknown): string | undefined {
  return (error as FactoryError).code;
}

async function expectFailure(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeDefined();
  expect(codeOf(caught)).toBe(code);
  expect((caught as Error).message).toMatch(pattern);
}

beforeAll(async () => {
  if (!available) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'installers-msi-'));
  cases.push(
    await withWixl(
      'plain',
      {
        name: 'Hello Tool',
        version: '1.2.3',
        manufacturer: 'Example Corp',
        productCode: '{12345678-1234-1234-1234-123456789012}',
        upgradeCode: '{87654321-4321-4321-4321-210987654321}',
        description: 'Hello desc',
        comments: 'first package',
      },
      'smallest package, x86 (Template Intel)',
    ),
    await withWixl(
      'x64-cp1252',
      {
        name: 'Rich Café™ Tool',
        version: '10.20.30.40',
        manufacturer: 'Rich € Corp',
        productCode: '{9523EDAD-6EAB-44BC-ABC6-0FD1B5389B0B}',
        upgradeCode: '{11111111-2222-3333-4444-666666666666}',
        language: 1031,
        properties: { ARPURLINFOABOUT: 'https://example.org/rich', ARPCONTACT: 'support@example.org', ALLUSERS: '1' },
      },
      'x64 package; names outside ASCII in the database code page (€ and ™ differ between windows-1252 and latin1)',
      'x64',
    ),
    await withWixl(
      'many-properties',
      {
        name: 'Pool Grower',
        version: '2.0.0',
        manufacturer: 'Pool Co',
        productCode: '{AAAAAAAA-0000-0000-0000-000000000001}',
        upgradeCode: '{AAAAAAAA-0000-0000-0000-000000000002}',
        properties: Object.fromEntries(Array.from({ length: 1100 }, (_, i) => [`PROP_${i}`, `value number ${i} of the pool`])),
      },
      '1100 extra properties: string data and the Property stream outgrow the mini stream (regular FAT chains)',
    ),
  );

  // UTF-8 database code page and characters no ANSI page holds: wixl cannot write them, msibuild
  // can (_ForceCodepage import, then an SQL update through libmsi).
  const utf8 = path.join(dir, 'utf8.msi');
  await writeFile(utf8, await readFile(cases[0]?.file as string));
  await writeFile(path.join(dir, '_ForceCodepage.idt'), '\r\n\r\n65001\t_ForceCodepage\r\n');
  await run('msibuild', [utf8, '-i', path.join(dir, '_ForceCodepage.idt')]);
  await run('msibuild', [utf8, '-q', "UPDATE Property SET Value='工具 Ωmega Grüße' WHERE Property='ProductName'"]);
  await run('msibuild', [utf8, '-q', "UPDATE Property SET Value='Производитель' WHERE Property='Manufacturer'"]);
  cases.push({ id: 'utf8-pool', file: utf8, about: 'string pool in code page 65001 with CJK, Greek and Cyrillic values' });

  // More than 65535 strings: libmsi switches string references to 3 bytes and sets the pool flag;
  // a value of 64 KiB or more takes a two-entry pool record.
  const big = path.join(dir, 'long-refs.msi');
  await writeFile(big, await readFile(cases[0]?.file as string));
  const rows = ['Property\tValue', 's72\tl0', 'Property\tProperty'];
  rows.push(
    'ProductName\tBig Pool',
    'ProductVersion\t4.5.6',
    'Manufacturer\tPool Co',
    'ProductCode\t{BBBBBBBB-1234-1234-1234-123456789012}',
    'UpgradeCode\t{CCCCCCCC-4321-4321-4321-210987654321}',
    'ProductLanguage\t1033',
  );
  for (let i = 0; i < 34_000; i++) rows.push(`P${String(i).padStart(5, '0')}\tvalue-${i}`);
  rows.push(`LongValue\t${'x'.repeat(70_000)}`);
  await writeFile(path.join(dir, 'Property.idt'), `${rows.join('\r\n')}\r\n`);
  await run('msibuild', [big, '-i', path.join(dir, 'Property.idt')]);
  cases.push({ id: 'long-refs', file: big, about: '68k strings (3-byte string references) and a 70,000-byte string' });
});

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
  if (!available) return;
  const total = cases.length;
  const ok = cases.filter((c) => (passed.get(c.id) ?? 0) >= 4).length;
  console.log(`FIXTURE installers/msi-built-by-msitools: ${ok}/${total}`);
});

describeMsi('MSI stream names', () => {
  test('table names decode as libmsi writes them (the streams msiinfo lists as tables)', async () => {
    const file = cases[0]?.file as string;
    const names = await withCompoundFile(file, (cfb) => Promise.resolve(cfb.entries.map((e) => decodeMsiStreamName(e.name))));
    const tables = names.filter((n) => n.table && !n.name.startsWith('_')).map((n) => n.name);
    expect(tables.sort()).toEqual(expect.arrayContaining(['Property', 'File', 'Component']));
    expect(names).toEqual(
      expect.arrayContaining([
        { name: '\u0005SummaryInformation', table: false },
        { name: 'product.cab', table: false },
      ]),
    );
    for (const n of names) expect(decodeMsiStreamName(encodeMsiStreamName(n.name, n.table))).toEqual(n);
  });
});

describeMsi.each([0, 1, 2, 3, 4])('MSI case %i cross-checked with msiinfo', (index) => {
  const theCase = (): BuiltCase => cases[index] as BuiltCase;

  test('every table: columns, definitions, keys and rows equal msiinfo export', async () => {
    const { id, file } = theCase();
    const expectedTables = await msiinfoTables(file);
    await withCompoundFile(file, async (cfb) => {
      const db = await MsiDatabase.open(cfb);
      expect(db.tableNames()).toEqual(expectedTables);
      for (const table of expectedTables) {
        const oracle = await msiinfoExport(file, table);
        const schema = db.schema(table);
        expect(schema?.columns.map((c) => c.name)).toEqual(oracle.columns);
        expect(schema?.columns.map((c) => c.definition)).toEqual(oracle.definitions);
        expect(schema?.columns.filter((c) => c.key).map((c) => c.name)).toEqual(oracle.keys);
        const rows = (await db.rows(table)).map((row) => row.map(shown));
        expect(rows).toEqual(oracle.rows);
      }
    });
    pass(id);
  });

  test('Property table and identity fields equal msiinfo export Property', async () => {
    const { id, file } = theCase();
    const pkg = await readMsiPackage(file);
    const oracle = await msiinfoExport(file, 'Property');
    expect(pkg.properties).toEqual(Object.fromEntries(oracle.rows.map(([k, v]) => [k, v ?? ''])));
    expect(pkg.productName).toBe(pkg.properties['ProductName']);
    expect(pkg.productVersion).toBe(pkg.properties['ProductVersion']);
    expect(pkg.manufacturer).toBe(pkg.properties['Manufacturer']);
    expect(pkg.productCode).toMatch(/^\{[0-9A-F-]{36}\}$/);
    expect(pkg.upgradeCode).toMatch(/^\{[0-9A-F-]{36}\}$/);
    pass(id);
  });

  test('summary information equals msiinfo suminfo', async () => {
    const { id, file } = theCase();
    const summary = (await readMsiPackage(file)).summary;
    const oracle = await msiinfoSuminfo(file);
    expect(summary).toBeDefined();
    expect(summary?.title).toBe(oracle.get('Title'));
    expect(summary?.subject).toBe(oracle.get('Subject'));
    expect(summary?.author).toBe(oracle.get('Author'));
    expect(summary?.keywords).toBe(oracle.get('Keywords'));
    expect(summary?.comments ?? '').toBe(oracle.get('Comments') ?? '');
    expect(summary?.template).toBe(oracle.get('Template'));
    expect(summary?.revisionNumber).toBe(oracle.get('Revision number (UUID)'));
    expect(summary?.creatingApplication).toBe(oracle.get('Application'));
    expect(`${summary?.pageCount} (${summary?.pageCount?.toString(16)})`).toBe(oracle.get('Version'));
    expect(`${summary?.wordCount} (${summary?.wordCount?.toString(16)})`).toBe(oracle.get('Source'));
    expect(`${summary?.security} (${summary?.security?.toString(16)})`).toBe(oracle.get('Security'));
    // msiinfo prints FILETIMEs with ctime() in local time, to the second.
    expect(new Date(summary?.createTime ?? '').getTime()).toBe(new Date(oracle.get('Created') ?? '').getTime());
    expect(summary?.platforms).toEqual([(oracle.get('Template') ?? '').split(';')[0]]);
    pass(id);
  });

  test('the cataloger emits the product as msiinfo sees it', async () => {
    const { id, file } = theCase();
    const props = new Map((await msiinfoExport(file, 'Property')).rows.map(([k, v]) => [k as string, v ?? '']));
    const suminfo = await msiinfoSuminfo(file);
    const output = await msiCataloger.catalog(
      { file, shown: `dist/${id}.msi` },
      { exec: new ExecRunner(new MemoryLogger()), workDir: dir },
    );
    expect(output.components).toHaveLength(1);
    const component = output.components[0];
    const platform = (suminfo.get('Template') ?? '').split(';')[0];
    const arch = platform === 'Intel' ? 'x86' : 'x64';
    const expectedPurl = `pkg:generic/${encodeURIComponent(props.get('ProductName') ?? '')}@${props.get('ProductVersion')}?arch=${arch}`;
    expect(component?.purl).toBe(expectedPurl);
    expect(component?.ref).toBe(expectedPurl);
    expect(component?.name).toBe(props.get('ProductName'));
    expect(component?.version).toBe(props.get('ProductVersion'));
    expect(component?.ecosystem).toBe('windows');
    expect(component?.type).toBe('application');
    expect(component?.supplier).toEqual({ name: props.get('Manufacturer') });
    expect(component?.hashes.get('SHA-256')).toBe(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    );
    const properties = new Map(component?.properties);
    expect(properties.get('packaging-factory:source')).toBe(`dist/${id}.msi`);
    expect(properties.get('packaging-factory:windows:ProductCode')).toBe(props.get('ProductCode'));
    expect(properties.get('packaging-factory:windows:UpgradeCode')).toBe(props.get('UpgradeCode'));
    expect(properties.get('packaging-factory:windows:ProductLanguage')).toBe(props.get('ProductLanguage'));
    expect(properties.get('packaging-factory:windows:PackageCode')).toBe(suminfo.get('Revision number (UUID)'));
    const names = component?.properties.map(([n, v]) => `${n}=${v}`) ?? [];
    expect(names).toEqual([...names].sort());
    pass(id);
  });
});

describeMsi('what each case exercises', () => {
  test('the x64 case reads windows-1252 characters and its ARP properties', async () => {
    const pkg = await readMsiPackage(cases[1]?.file as string);
    expect(pkg.codePage).toBe(0);
    expect(pkg.productName).toBe('Rich Café™ Tool');
    expect(pkg.manufacturer).toBe('Rich € Corp');
    expect(pkg.productLanguage).toBe('1031');
    expect(pkg.summary?.platforms).toEqual(['x64']);
    const output = await catalogMsi(cases[1]?.file as string, 'rich.msi');
    expect(output.components[0]?.purl).toBe('pkg:generic/Rich%20Caf%C3%A9%E2%84%A2%20Tool@10.20.30.40?arch=x64');
    expect(output.components[0]?.externalReferences).toEqual([{ type: 'website', url: 'https://example.org/rich' }]);
    expect(new Map(output.components[0]?.properties).get('packaging-factory:windows:ALLUSERS')).toBe('1');
  });

  test('the UTF-8 case decodes CJK, Greek and Cyrillic from code page 65001', async () => {
    const pkg = await readMsiPackage(cases[3]?.file as string);
    expect(pkg.codePage).toBe(65001);
    expect(pkg.productName).toBe('工具 Ωmega Grüße');
    expect(pkg.manufacturer).toBe('Производитель');
  });

  test('the long-refs case uses 3-byte string references and a long string record', async () => {
    const file = cases[4]?.file as string;
    await withCompoundFile(file, async (cfb) => {
      const db = await MsiDatabase.open(cfb);
      expect(db.stringRefBytes).toBe(3);
    });
    const pkg = await readMsiPackage(file);
    expect(Object.keys(pkg.properties)).toHaveLength(34_007);
    expect(pkg.properties['LongValue']).toBe('x'.repeat(70_000));
    expect(pkg.productName).toBe('Big Pool');
  });

  test('the plain case uses 2-byte references; the many-properties case has a Property stream past the mini-stream cutoff', async () => {
    await withCompoundFile(cases[0]?.file as string, async (cfb) => expect((await MsiDatabase.open(cfb)).stringRefBytes).toBe(2));
    const sizes = await withCompoundFile(cases[2]?.file as string, (cfb) =>
      Promise.resolve(cfb.entries.filter((e) => decodeMsiStreamName(e.name).name === 'Property').map((e) => e.size)),
    );
    expect(sizes).toHaveLength(1);
    expect(sizes[0]).toBeGreaterThanOrEqual(4096);
  });
});

describeMsi('purl choices', () => {
  const base = (platforms: string[]): MsiPackage => ({
    properties: {},
    codePage: 0,
    tables: [],
    summary: { platforms, languages: [1033] },
  });
  test('Template platforms map to purl arch values; several platforms or none leave arch out', () => {
    expect(msiPurl(base(['Intel']), 'A', '1')).toBe('pkg:generic/A@1?arch=x86');
    expect(msiPurl(base(['x64']), 'A', '1')).toBe('pkg:generic/A@1?arch=x64');
    expect(msiPurl(base(['Arm64']), 'A', '1')).toBe('pkg:generic/A@1?arch=arm64');
    expect(msiPurl(base(['Intel64']), 'A', '1')).toBe('pkg:generic/A@1?arch=ia64');
    expect(msiPurl(base(['Intel', 'x64']), 'A', '1')).toBe('pkg:generic/A@1');
    expect(msiPurl(base([]), 'A B', '1.0')).toBe('pkg:generic/A%20B@1.0');
  });
});

describeMsi('matching', () => {
  test('compound-file magic and an .msi name are both required', async () => {
    const head = (await readFile(cases[0]?.file as string)).subarray(0, 512);
    const candidate = (name: string, bytes: Buffer): CatalogCandidate => ({
      path: `/x/${name}`,
      name,
      relative: name,
      head: bytes,
      explicit: false,
    });
    expect(hasCompoundFileMagic(head)).toBe(true);
    expect(msiCataloger.matches(candidate('setup.msi', head))).toBe(true);
    expect(msiCataloger.matches(candidate('SETUP.MSI', head))).toBe(true);
    expect(msiCataloger.matches(candidate('report.doc', head))).toBe(false);
    expect(msiCataloger.matches(candidate('patch.msp', head))).toBe(false);
    expect(msiCataloger.matches(candidate('setup.msi', Buffer.from('PK\x03\x04 not a compound file')))).toBe(false);
    expect(installerCatalogers.map((c) => c.kind)).toEqual(['msi', 'macos-pkg']);
  });
});

describeMsi('hostile and broken files', () => {
  let hostile = '';
  beforeAll(async () => {
    hostile = await mkdtemp(path.join(os.tmpdir(), 'installers-msi-hostile-'));
  });
  afterAll(async () => {
    await rm(hostile, { recursive: true, force: true });
  });

  async function variant(name: string, bytes: Buffer): Promise<string> {
    const file = path.join(hostile, name);
    await writeFile(file, bytes);
    return file;
  }

  /** Deterministic pseudo-random bytes (a SHA-256 chain), so a failure reproduces. */
  function noise(length: number, seed: string): Buffer {
    const chunks: Buffer[] = [];
    let block = createHash('sha256').update(seed).digest();
    while (chunks.length * 32 < length) {
      chunks.push(block);
      block = createHash('sha256').update(block).digest();
    }
    return Buffer.concat(chunks).subarray(0, length);
  }

  test('a truncated MSI is ARCHIVE_CORRUPT naming the file', async () => {
    const original = await readFile(cases[2]?.file as string);
    const file = await variant('truncated.msi', original.subarray(0, 3000));
    await expectFailure(
      readMsiPackage(file),
      'ARCHIVE_CORRUPT',
      new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*(outside the file|ends inside)`),
    );
  });

  test('a file shorter than the header is ARCHIVE_CORRUPT', async () => {
    const file = await variant('tiny.msi', Buffer.from('d0cf11e0a1b11ae1', 'hex'));
    await expectFailure(readMsiPackage(file), 'ARCHIVE_CORRUPT', /shorter than a compound file header/);
  });

  test('random bytes behind the compound-file magic are ARCHIVE_CORRUPT', async () => {
    const file = await variant('random.msi', Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), noise(16_384, 'random')]));
    await expectFailure(readMsiPackage(file), 'ARCHIVE_CORRUPT', /random\.msi is not a readable compound file/);
  });

  test('a real header followed by noise fails with a clear error, never a hang', async () => {
    const original = await readFile(cases[0]?.file as string);
    for (const seed of ['a', 'b', 'c', 'd', 'e']) {
      const file = await variant(`noise-${seed}.msi`, Buffer.concat([original.subarray(0, 512), noise(original.length - 512, seed)]));
      let caught: unknown;
      try {
        await readMsiPackage(file);
      } catch (error) {
        caught = error;
      }
      expect(['ARCHIVE_CORRUPT', 'ARCHIVE_LIMIT']).toContain(codeOf(caught));
    }
  });

  test('a FAT loop in the directory chain is refused, not followed forever', async () => {
    const bytes = Buffer.from(await readFile(cases[0]?.file as string));
    const directoryStart = bytes.readUInt32LE(48);
    const fatSector = bytes.readUInt32LE(76);
    bytes.writeUInt32LE(directoryStart, (fatSector + 1) * 512 + directoryStart * 4);
    const file = await variant('loop.msi', bytes);
    await expectFailure(readMsiPackage(file), 'ARCHIVE_CORRUPT', /the directory loops back to sector/);
  });

  test('a directory sector number beyond the file is refused', async () => {
    const bytes = Buffer.from(await readFile(cases[0]?.file as string));
    bytes.writeUInt32LE(0x00ffffff, 48);
    const file = await variant('far.msi', bytes);
    await expectFailure(readMsiPackage(file), 'ARCHIVE_CORRUPT', /outside the file/);
  });

  test('a database without a Property table is refused', async () => {
    const file = path.join(hostile, 'no-property.msi');
    await writeFile(file, await readFile(cases[0]?.file as string));
    await run('msibuild', [file, '-q', 'DROP TABLE Property']);
    await expectFailure(readMsiPackage(file), 'ARCHIVE_CORRUPT', /has no Property table/);
    await expectFailure(catalogMsi(file, 'no-property.msi'), 'ARCHIVE_CORRUPT', /no-property\.msi has no Property table/);
  });

  test('a compound file without a string pool is not a Windows Installer database', async () => {
    const bytes = Buffer.from(await readFile(cases[0]?.file as string));
    const name = Buffer.from(encodeMsiStreamName('_StringPool', true), 'utf16le');
    const at = bytes.indexOf(name);
    expect(at).toBeGreaterThan(0);
    bytes.write('X', at, 'utf16le');
    const file = await variant('no-pool.msi', bytes);
    await expectFailure(readMsiPackage(file), 'ARCHIVE_CORRUPT', /not a Windows Installer database: it has no string pool/);
  });
});
