import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ExecRunner, MemoryLogger, type FactoryError } from '@packaging-factory/core';
import { hasXarMagic, readMacosPackage, withXarArchive, XarArchive } from '@packaging-factory/formats';
import { catalogMacosPackage, macosPkgCataloger, type CatalogCandidate, type SbomComponent } from '@packaging-factory/sbom';
import { requireTools, run } from './installer-tools.ts';
import { replaceEntryData, splitXar, toSha256Toc } from './xar-rewrite.ts';

/**
 * The xar reader and the macOS .pkg cataloger against archives bsdtar (libarchive) builds from
 * directories laid out like pkgbuild's component packages and productbuild's product archives
 * (Apple, "Distribution XML Reference"; PackageInfo as pkgbuild writes it). bsdtar is the oracle
 * for listings and entry bytes; two variants it cannot write (Apple's sha256 TOC checksum, a
 * bzip2-encoded nested PackageInfo) are made by rewriting its output (xar-rewrite.ts).
 */

const available = await requireTools(['bsdtar', 'bzip2'], 'libarchive-tools bzip2');
const describeXar = available ? describe : describe.skip;

const PACKAGE_INFO = `<?xml version="1.0" encoding="utf-8"?>
<pkg-info overwrite-permissions="true" relocatable="false" identifier="com.example.tool" postinstall-action="none" version="1.2.3" format-version="2" generator-version="InstallCmds-807 (21G72)" install-location="/" auth="root">
    <payload numberOfFiles="12" installKBytes="2048"/>
    <bundle path="./Applications/Tool &amp; Co.app" id="com.example.tool.app" CFBundleShortVersionString="1.2.3" CFBundleVersion="45">
        <bundle path="./Contents/PlugIns/Helper.appex" id="com.example.tool.app.helper" CFBundleShortVersionString="1.2.3" CFBundleVersion="45"/>
    </bundle>
    <bundle-version>
        <bundle id="com.example.tool.app"/>
    </bundle-version>
    <upgrade-bundle>
        <bundle id="com.example.tool.app"/>
    </upgrade-bundle>
    <update-bundle/>
    <atomic-update-bundle/>
    <strict-identifier>
        <bundle id="com.example.tool.app"/>
    </strict-identifier>
    <relocate>
        <bundle id="com.example.tool.app"/>
    </relocate>
    <scripts>
        <preinstall file="./preinstall"/>
        <postinstall file="./postinstall"/>
    </scripts>
</pkg-info>
`;

const HELPER_INFO = `<?xml version="1.0" encoding="utf-8"?>
<pkg-info format-version="2" identifier="com.example.helper" version="0.9.1" install-location="/Library/Example" auth="root">
    <payload numberOfFiles="2" installKBytes="8"/>
</pkg-info>
`;

const DISTRIBUTION = `<?xml version="1.0" encoding="utf-8"?>
<installer-gui-script minSpecVersion="2">
    <title>Example Tool</title>
    <organization>com.example</organization>
    <product id="com.example.tool.product" version="1.2.3"/>
    <options customize="never" require-scripts="false" hostArchitectures="x86_64,arm64"/>
    <domains enable_localSystem="true"/>
    <volume-check><allowed-os-versions><os-version min="11.0"/></allowed-os-versions></volume-check>
    <choices-outline>
        <line choice="default">
            <line choice="com.example.tool"/>
            <line choice="com.example.helper"/>
        </line>
    </choices-outline>
    <choice id="default"/>
    <choice id="com.example.tool" visible="false"><pkg-ref id="com.example.tool"/></choice>
    <choice id="com.example.helper" visible="false"><pkg-ref id="com.example.helper"/><pkg-ref id="com.example.runtime"/></choice>
    <pkg-ref id="com.example.tool" version="1.2.3" onConclusion="none" installKBytes="2048">#Tool.pkg</pkg-ref>
    <pkg-ref id="com.example.helper" version="0.9.1" onConclusion="none" installKBytes="8">#My%20Helper.pkg</pkg-ref>
    <pkg-ref id="com.example.runtime" version="3.1" onConclusion="none">#Runtime.pkg</pkg-ref>
    <pkg-ref id="com.example.tool">
        <bundle-version>
            <bundle CFBundleShortVersionString="1.2.3" CFBundleVersion="45" id="com.example.tool.app" path="Applications/Tool &amp; Co.app"/>
        </bundle-version>
    </pkg-ref>
</installer-gui-script>
`;

interface XarCase {
  id: string;
  file: string;
  /** True when bsdtar can read it back (it knows neither Apple's sha256 header nor bzip2-free mixes of ours). */
  bsdtarReadable: boolean;
  kind: 'component' | 'product';
}

let dir = '';
const cases = new Map<string, XarCase>();
const passed = new Map<string, number>();

function pass(id: string): void {
  passed.set(id, (passed.get(id) ?? 0) + 1);
}

function theCase(id: string): XarCase {
  const found = cases.get(id);
  if (found === undefined) throw new Error(`no case ${id}`);
  return found;
}

async function expectFailure(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeDefined();
  expect((caught as FactoryError).code).toBe(code);
  expect((caught as Error).message).toMatch(pattern);
}

async function bsdtar(id: string, source: string, options: string | undefined, kind: XarCase['kind'], members: string[]): Promise<void> {
  const file = path.join(dir, `${id}.pkg`);
  await run('bsdtar', ['--format', 'xar', ...(options === undefined ? [] : ['--options', options]), '-cf', file, '-C', source, ...members]);
  cases.set(id, { id, file, bsdtarReadable: true, kind });
}

beforeAll(async () => {
  if (!available) return;
  dir = await mkdtemp(path.join(os.tmpdir(), 'installers-xar-'));
  // A component package as pkgbuild lays it out: PackageInfo, Bom, Payload, Scripts.
  const flat = path.join(dir, 'flat');
  await mkdir(flat);
  await writeFile(path.join(flat, 'PackageInfo'), PACKAGE_INFO);
  await writeFile(path.join(flat, 'Bom'), Buffer.from('BOMStore fake bill of materials'));
  await writeFile(path.join(flat, 'Payload'), Buffer.alloc(50_000, 7));
  await writeFile(path.join(flat, 'Scripts'), Buffer.from('scripts archive'));
  const flatMembers = ['PackageInfo', 'Bom', 'Payload', 'Scripts'];
  await bsdtar('flat', flat, undefined, 'component', flatMembers);
  await bsdtar('flat-uncompressed-md5', flat, 'xar:compression=none,xar:checksum=md5,xar:toc-checksum=md5', 'component', flatMembers);
  await bsdtar('flat-no-checksums', flat, 'xar:checksum=none,xar:toc-checksum=none', 'component', flatMembers);

  // A product archive as productbuild lays it out: Distribution, Resources, one directory per component.
  const product = path.join(dir, 'product');
  await mkdir(path.join(product, 'Tool.pkg'), { recursive: true });
  await mkdir(path.join(product, 'My Helper.pkg'), { recursive: true });
  await mkdir(path.join(product, 'Resources', 'en.lproj'), { recursive: true });
  await writeFile(path.join(product, 'Distribution'), DISTRIBUTION);
  await writeFile(path.join(product, 'Resources', 'en.lproj', 'Welcome.rtf'), '{\\rtf1 Welcome}');
  await writeFile(path.join(product, 'Tool.pkg', 'PackageInfo'), PACKAGE_INFO);
  await writeFile(path.join(product, 'Tool.pkg', 'Payload'), Buffer.alloc(10_000, 1));
  await writeFile(path.join(product, 'My Helper.pkg', 'PackageInfo'), HELPER_INFO);
  await writeFile(path.join(product, 'My Helper.pkg', 'Payload'), Buffer.alloc(100, 2));
  await bsdtar('product', product, undefined, 'product', ['Distribution', 'Resources', 'Tool.pkg', 'My Helper.pkg']);

  const productBytes = await readFile(theCase('product').file);
  const sha256 = path.join(dir, 'product-sha256.pkg');
  await writeFile(sha256, toSha256Toc(productBytes));
  cases.set('product-sha256', { id: 'product-sha256', file: sha256, bsdtarReadable: false, kind: 'product' });

  const helperInfo = Buffer.from(HELPER_INFO);
  const bzipped = (await run('bzip2', ['-c', path.join(product, 'My Helper.pkg', 'PackageInfo')], { encoding: 'buffer' })).stdout;
  const mixed = path.join(dir, 'product-bzip2-helper.pkg');
  await writeFile(mixed, replaceEntryData(productBytes, 'My Helper.pkg', 'PackageInfo', bzipped, helperInfo, 'application/x-bzip2'));
  cases.set('product-bzip2-helper', { id: 'product-bzip2-helper', file: mixed, bsdtarReadable: true, kind: 'product' });
});

afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
  if (!available) return;
  const ok = [...cases.keys()].filter((id) => (passed.get(id) ?? 0) >= 2).length;
  console.log(`FIXTURE installers/xar-built-by-bsdtar: ${ok}/${cases.size}`);
});

const ALL = ['flat', 'flat-uncompressed-md5', 'flat-no-checksums', 'product', 'product-sha256', 'product-bzip2-helper'];

describeXar.each(ALL)('xar case %s', (id) => {
  test('the listing equals bsdtar -tf, and every readable entry equals bsdtar -xOf', async () => {
    const { file, bsdtarReadable } = theCase(id);
    await withXarArchive(file, async (xar) => {
      const ours = xar.entries.map((e) => e.path);
      if (bsdtarReadable) {
        const { stdout } = await run('bsdtar', ['-tf', file]);
        expect(ours).toEqual(stdout.split('\n').filter((l) => l !== ''));
      } else {
        const reference = theCase(id.replace(/-sha256$/, ''));
        const { stdout } = await run('bsdtar', ['-tf', reference.file]);
        expect(ours).toEqual(stdout.split('\n').filter((l) => l !== ''));
      }
      for (const entry of xar.entries.filter((e) => e.type === 'file')) {
        if (entry.data?.encoding === 'application/x-bzip2') continue;
        const bytes = await xar.read(entry);
        const oracleFile = bsdtarReadable ? file : theCase(id.replace(/-sha256$/, '')).file;
        const { stdout } = await run('bsdtar', ['-xOf', oracleFile, entry.path], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 });
        expect(bytes.equals(stdout)).toBe(true);
      }
    });
    pass(id);
  });

  test('the header, TOC checksum and encodings are what the case was built with', async () => {
    const { file } = theCase(id);
    const expected: Record<string, { toc: string | undefined; encoding: string }> = {
      flat: { toc: 'sha1', encoding: 'application/x-gzip' },
      'flat-uncompressed-md5': { toc: 'md5', encoding: 'application/octet-stream' },
      'flat-no-checksums': { toc: undefined, encoding: 'application/x-gzip' },
      product: { toc: 'sha1', encoding: 'application/x-gzip' },
      'product-sha256': { toc: 'sha256', encoding: 'application/x-gzip' },
      'product-bzip2-helper': { toc: 'sha1', encoding: 'application/x-gzip' },
    };
    const xar = await XarArchive.open(file);
    try {
      expect(xar.header.version).toBe(1);
      expect(xar.header.headerSize).toBe(28);
      expect(xar.tocChecksum).toBe(expected[id]?.toc);
      expect(xar.header.checksumAlgorithm).toBe(expected[id]?.toc ?? 'none');
      const info = xar.entry(theCase(id).kind === 'product' ? 'Distribution' : 'PackageInfo');
      expect(info?.data?.encoding).toBe(expected[id]?.encoding);
    } finally {
      await xar.close();
    }
    pass(id);
  });
});

function byRef(components: SbomComponent[]): Map<string, SbomComponent> {
  return new Map(components.map((c) => [c.ref, c]));
}

describeXar('PackageInfo and Distribution', () => {
  test('a flat component package: identifier, version, install location, bundles (nested ones too), scripts', async () => {
    const pkg = await readMacosPackage(theCase('flat').file);
    expect(pkg.kind).toBe('component');
    expect(pkg.distribution).toBeUndefined();
    expect(pkg.components).toEqual([
      {
        archivePath: '',
        identifier: 'com.example.tool',
        version: '1.2.3',
        installLocation: '/',
        auth: 'root',
        formatVersion: '2',
        generatorVersion: 'InstallCmds-807 (21G72)',
        payloadFiles: 12,
        installKBytes: 2048,
        bundles: [
          { id: 'com.example.tool.app', path: './Applications/Tool & Co.app', shortVersion: '1.2.3', version: '45' },
          { id: 'com.example.tool.app.helper', path: './Contents/PlugIns/Helper.appex', shortVersion: '1.2.3', version: '45' },
        ],
        scripts: ['postinstall', 'preinstall'],
      },
    ]);
  });

  test('a product archive: title, product id and version, architectures, pkg-refs merged and located', async () => {
    for (const id of ['product', 'product-sha256']) {
      const pkg = await readMacosPackage(theCase(id).file);
      expect(pkg.kind).toBe('product');
      expect(pkg.distribution?.title).toBe('Example Tool');
      expect(pkg.distribution?.productId).toBe('com.example.tool.product');
      expect(pkg.distribution?.productVersion).toBe('1.2.3');
      expect(pkg.distribution?.hostArchitectures).toEqual(['x86_64', 'arm64']);
      expect(pkg.distribution?.pkgRefs.map((r) => [r.id, r.version, r.archivePath])).toEqual([
        ['com.example.helper', '0.9.1', 'My Helper.pkg'],
        ['com.example.runtime', '3.1', undefined],
        ['com.example.tool', '1.2.3', 'Tool.pkg'],
      ]);
      expect(pkg.distribution?.pkgRefs.find((r) => r.id === 'com.example.tool')?.bundles).toEqual([
        { id: 'com.example.tool.app', path: 'Applications/Tool & Co.app', shortVersion: '1.2.3', version: '45' },
      ]);
      expect(pkg.components.map((c) => [c.archivePath, c.identifier, c.version])).toEqual([
        ['My Helper.pkg', 'com.example.helper', '0.9.1'],
        ['Tool.pkg', 'com.example.tool', '1.2.3'],
      ]);
    }
  });
});

describeXar('the macos-pkg cataloger', () => {
  const ctx = (): { exec: ExecRunner; workDir: string } => ({ exec: new ExecRunner(new MemoryLogger()), workDir: dir });

  test('a flat package is one component: generic purl by identifier, the file hash, bundles as properties', async () => {
    const { file } = theCase('flat');
    const output = await macosPkgCataloger.catalog({ file, shown: 'dist/tool.pkg' }, ctx());
    expect(output.components.map((c) => c.ref)).toEqual(['pkg:generic/com.example.tool@1.2.3']);
    const component = output.components[0] as SbomComponent;
    expect(component.ecosystem).toBe('macos');
    expect(component.type).toBe('application');
    expect(component.hashes.get('SHA-256')).toBe(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    );
    expect(component.properties).toEqual([
      ['packaging-factory:macos:auth', 'root'],
      ['packaging-factory:macos:bundle', 'id=com.example.tool.app.helper;version=1.2.3;build=45;path=./Contents/PlugIns/Helper.appex'],
      ['packaging-factory:macos:bundle', 'id=com.example.tool.app;version=1.2.3;build=45;path=./Applications/Tool & Co.app'],
      ['packaging-factory:macos:identifier', 'com.example.tool'],
      ['packaging-factory:macos:install-kbytes', '2048'],
      ['packaging-factory:macos:install-location', '/'],
      ['packaging-factory:macos:payload-files', '12'],
      ['packaging-factory:macos:script', 'postinstall'],
      ['packaging-factory:macos:script', 'preinstall'],
      ['packaging-factory:macos:toc-checksum', 'sha1'],
      ['packaging-factory:source', 'dist/tool.pkg'],
    ]);
    expect(output.unreadable).toEqual([]);
  });

  test('a product archive: the product depends on its component packages; a pkg-ref not carried is declared-only', async () => {
    const { file } = theCase('product');
    const output = await catalogMacosPackage(file, 'dist/product.pkg');
    const refs = byRef(output.components);
    expect([...refs.keys()]).toEqual([
      'pkg:generic/com.example.helper@0.9.1',
      'pkg:generic/com.example.runtime@3.1',
      'pkg:generic/com.example.tool.product@1.2.3',
      'pkg:generic/com.example.tool@1.2.3',
    ]);
    const product = refs.get('pkg:generic/com.example.tool.product@1.2.3') as SbomComponent;
    expect([...product.dependsOn].sort()).toEqual([
      'pkg:generic/com.example.helper@0.9.1',
      'pkg:generic/com.example.runtime@3.1',
      'pkg:generic/com.example.tool@1.2.3',
    ]);
    expect(product.hashes.get('SHA-256')).toBe(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    );
    expect(product.description).toBe('Example Tool');
    const productProps = new Map(product.properties);
    expect(productProps.get('packaging-factory:source')).toBe('dist/product.pkg');
    expect(product.properties.filter(([n]) => n === 'packaging-factory:macos:host-architecture').map(([, v]) => v)).toEqual([
      'arm64',
      'x86_64',
    ]);
    const helper = refs.get('pkg:generic/com.example.helper@0.9.1') as SbomComponent;
    expect(new Map(helper.properties).get('packaging-factory:source')).toBe('dist/product.pkg:My Helper.pkg/PackageInfo');
    expect(helper.hashes.size).toBe(0);
    const runtime = refs.get('pkg:generic/com.example.runtime@3.1') as SbomComponent;
    expect(new Map(runtime.properties).get('packaging-factory:declared-only')).toBe('true');
    expect(output.notes).toEqual([
      'dist/product.pkg: the Distribution installs com.example.runtime, which the archive does not carry readably',
    ]);
  });

  test('a nested PackageInfo in bzip2 is reported unreadable; the product still lists it from its pkg-ref', async () => {
    const output = await catalogMacosPackage(theCase('product-bzip2-helper').file, 'p.pkg');
    expect(output.unreadable).toHaveLength(1);
    expect(output.unreadable[0]?.file).toBe('p.pkg:My Helper.pkg/PackageInfo');
    expect(output.unreadable[0]?.reason).toMatch(/application\/x-bzip2, which this reader does not decode/);
    const helper = byRef(output.components).get('pkg:generic/com.example.helper@0.9.1');
    expect(new Map(helper?.properties).get('packaging-factory:declared-only')).toBe('true');
  });

  test('matching needs the xar magic and a .pkg or .mpkg name', async () => {
    const head = (await readFile(theCase('flat').file)).subarray(0, 512);
    const candidate = (name: string, bytes: Buffer): CatalogCandidate => ({
      path: `/x/${name}`,
      name,
      relative: name,
      head: bytes,
      explicit: true,
    });
    expect(hasXarMagic(head)).toBe(true);
    expect(macosPkgCataloger.matches(candidate('tool.pkg', head))).toBe(true);
    expect(macosPkgCataloger.matches(candidate('suite.mpkg', head))).toBe(true);
    expect(macosPkgCataloger.matches(candidate('Xcode.xip', head))).toBe(false);
    expect(macosPkgCataloger.matches(candidate('tool.pkg', Buffer.from('!<arch>\n')))).toBe(false);
  });
});

describeXar('hostile and broken archives', () => {
  let hostile = '';
  beforeAll(async () => {
    hostile = await mkdtemp(path.join(os.tmpdir(), 'installers-xar-hostile-'));
  });
  afterAll(async () => {
    await rm(hostile, { recursive: true, force: true });
  });
  async function variant(name: string, bytes: Buffer): Promise<string> {
    const file = path.join(hostile, name);
    await writeFile(file, bytes);
    return file;
  }
  const flatBytes = async (): Promise<Buffer> => Buffer.from(await readFile(theCase('flat').file));

  test('bad magic', async () => {
    const bytes = await flatBytes();
    bytes.write('zip!', 0, 'latin1');
    const file = await variant('magic.pkg', bytes);
    await expectFailure(
      readMacosPackage(file),
      'ARCHIVE_CORRUPT',
      /magic\.pkg is not a readable xar archive: the xar magic 'xar!' is missing/,
    );
  });

  test('a TOC length beyond the end of the file', async () => {
    const bytes = await flatBytes();
    bytes.writeBigUInt64BE(BigInt(bytes.length), 8);
    const file = await variant('toc-length.pkg', bytes);
    await expectFailure(readMacosPackage(file), 'ARCHIVE_CORRUPT', /the TOC .* runs past the end of the/);
  });

  test('a wrong uncompressed TOC length', async () => {
    const bytes = await flatBytes();
    bytes.writeBigUInt64BE(bytes.readBigUInt64BE(16) + 1n, 16);
    const file = await variant('toc-size.pkg', bytes);
    await expectFailure(readMacosPackage(file), 'ARCHIVE_CORRUPT', /the TOC inflates to \d+ bytes, not the \d+ the header declares/);
  });

  test('a TOC checksum that does not match (one byte of the stored digest flipped)', async () => {
    const bytes = await flatBytes();
    const heapStart = 28 + Number(bytes.readBigUInt64BE(8));
    bytes[heapStart] = (bytes[heapStart] as number) ^ 0xff;
    const file = await variant('toc-checksum.pkg', bytes);
    await expectFailure(readMacosPackage(file), 'ARCHIVE_CORRUPT', /the TOC's sha1 checksum does not match/);
  });

  test("a flipped byte in PackageInfo's stored data fails its archived checksum", async () => {
    const bytes = await flatBytes();
    const { toc } = splitXar(bytes);
    const match = /<name>PackageInfo<\/name>[\s\S]*?<offset>(\d+)<\/offset>/.exec(toc);
    const heapStart = 28 + Number(bytes.readBigUInt64BE(8));
    const at = heapStart + Number(match?.[1]) + 5;
    bytes[at] = (bytes[at] as number) ^ 0x01;
    const file = await variant('data.pkg', bytes);
    await expectFailure(readMacosPackage(file), 'ARCHIVE_CORRUPT', /entry 'PackageInfo' \(archived\) fails its sha1 checksum/);
  });

  test('a flat package in bzip2 is declined with a clear message', async () => {
    const file = path.join(hostile, 'bzip2.pkg');
    await run('bsdtar', [
      '--format',
      'xar',
      '--options',
      'xar:compression=bzip2',
      '-cf',
      file,
      '-C',
      path.join(dir, 'flat'),
      'PackageInfo',
    ]);
    await expectFailure(
      readMacosPackage(file),
      'ARCHIVE_UNSUPPORTED',
      /entry 'PackageInfo' is stored with application\/x-bzip2, which this reader does not decode/,
    );
  });

  test('a xar that is no installer package', async () => {
    const file = path.join(hostile, 'plain.pkg');
    await run('bsdtar', ['--format', 'xar', '-cf', file, '-C', path.join(dir, 'flat'), 'Bom', 'Payload']);
    await expectFailure(readMacosPackage(file), 'ARCHIVE_CORRUPT', /plain\.pkg is a xar archive but not a macOS installer package/);
  });

  test('a PackageInfo without an identifier', async () => {
    const source = path.join(hostile, 'noid');
    await mkdir(source);
    await writeFile(path.join(source, 'PackageInfo'), '<pkg-info version="1.0"/>');
    const file = path.join(hostile, 'noid.pkg');
    await run('bsdtar', ['--format', 'xar', '-cf', file, '-C', source, 'PackageInfo']);
    await expectFailure(readMacosPackage(file), 'ARCHIVE_CORRUPT', /noid\.pkg:PackageInfo: <pkg-info> has no identifier/);
  });

  test('a PackageInfo declaring a DTD entity is refused, not expanded', async () => {
    const source = path.join(hostile, 'dtd');
    await mkdir(source);
    await writeFile(
      path.join(source, 'PackageInfo'),
      '<?xml version="1.0"?><!DOCTYPE pkg-info [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><pkg-info identifier="&b;" version="1"/>',
    );
    const file = path.join(hostile, 'dtd.pkg');
    await run('bsdtar', ['--format', 'xar', '-cf', file, '-C', source, 'PackageInfo']);
    let caught: unknown;
    try {
      await readMacosPackage(file);
    } catch (error) {
      caught = error;
    }
    expect(['ARCHIVE_UNSAFE', 'ARCHIVE_CORRUPT']).toContain((caught as FactoryError).code);
  });
});
