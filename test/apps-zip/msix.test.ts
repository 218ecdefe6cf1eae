import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  appxPackageFamilyName,
  appxPackageFullName,
  appxPublisherId,
  parseXmlDocument,
  readAppxManifest,
  readMsixPackage,
} from '@packaging-factory/formats';
import { canonicalPurl, catalogMsix, msixBundleCataloger, msixCataloger, msixPurl, renderCycloneDxJson } from '@packaging-factory/sbom';
import { tempDir } from '../support/context.ts';
import { factoryError, factoryErrorSync, requireTool, zipFiles } from './app-tools.ts';

/**
 * MSIX/APPX packages and bundles, built here with Info-ZIP zip in the documented layout
 * (learn.microsoft.com/windows/msix: AppxManifest.xml, AppxBlockMap.xml, [Content_Types].xml,
 * AppxSignature.p7x; bundles: AppxMetadata/AppxBundleManifest.xml), and hostile manifests.
 */

const zipAvailable = await requireTool('zip', ['-v'], 'zip');
const describeWithZip = zipAvailable ? describe : describe.skip;

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function workDir(): Promise<string> {
  const dir = await tempDir('apps-zip-msix-');
  dirs.push(dir);
  return dir;
}

const MS_PUBLISHER = 'CN=Microsoft Corporation, O=Microsoft Corporation, L=Redmond, S=Washington, C=US';
const CONTOSO = 'CN="Contoso, Ltd.", O=Contoso, L=Redmond, S=Washington, C=US';
const xmlAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');

const APPX_MANIFEST = `<?xml version="1.0" encoding="utf-8"?>
<Package xmlns="http://schemas.microsoft.com/appx/manifest/foundation/windows10"
         xmlns:uap="http://schemas.microsoft.com/appx/manifest/uap/windows10"
         xmlns:rescap="http://schemas.microsoft.com/appx/manifest/foundation/windows10/restrictedcapabilities"
         IgnorableNamespaces="uap rescap">
  <Identity Name="Contoso.FactoryApp" Publisher="${xmlAttr(CONTOSO)}" Version="1.2.3.0" ProcessorArchitecture="x64" />
  <Properties>
    <DisplayName>Factory App</DisplayName>
    <PublisherDisplayName>Contoso &amp; Partners</PublisherDisplayName>
    <Description>Builds &#x2713; packages</Description>
    <Logo>Assets\\StoreLogo.png</Logo>
  </Properties>
  <Dependencies>
    <TargetDeviceFamily Name="Windows.Desktop" MinVersion="10.0.17763.0" MaxVersionTested="10.0.22621.0" />
    <PackageDependency Name="Microsoft.VCLibs.140.00.UWPDesktop" MinVersion="14.0.30704.0" Publisher="${MS_PUBLISHER}" />
  </Dependencies>
  <Resources>
    <Resource Language="en-us" />
  </Resources>
  <Applications>
    <Application Id="App" Executable="FactoryApp.exe" EntryPoint="Windows.FullTrustApplication">
      <uap:VisualElements DisplayName="Factory App" Description="Factory" BackgroundColor="transparent"
        Square150x150Logo="Assets\\Square150x150Logo.png" Square44x44Logo="Assets\\Square44x44Logo.png" />
    </Application>
  </Applications>
  <Capabilities>
    <Capability Name="internetClient" />
    <rescap:Capability Name="runFullTrust" />
  </Capabilities>
</Package>
`;

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="exe" ContentType="application/x-msdownload"/><Default Extension="png" ContentType="image/png"/><Override PartName="/AppxManifest.xml" ContentType="application/vnd.ms-appx.manifest+xml"/><Override PartName="/AppxBlockMap.xml" ContentType="application/vnd.ms-appx.blockmap+xml"/><Override PartName="/AppxSignature.p7x" ContentType="application/vnd.ms-appx.signature"/></Types>
`;

function blockMap(files: Record<string, string>): string {
  const entries = Object.entries(files)
    .map(([name, content]) => {
      const hash = createHash('sha256').update(content).digest('base64');
      return `<File Name="${name.replace(/\//g, '\\')}" Size="${content.length}" LfhSize="${30 + name.length}"><Block Hash="${hash}"/></File>`;
    })
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<BlockMap xmlns="http://schemas.microsoft.com/appx/2010/blockmap" HashMethod="http://www.w3.org/2001/04/xmlenc#sha256">${entries}</BlockMap>\n`;
}

/** An .msix laid out like MakeAppx's output: payload, manifest, block map, content types, optionally a signature. */
async function buildMsix(dir: string, name: string, manifest: string | Buffer, signed = true): Promise<string> {
  const payload = { 'FactoryApp.exe': 'MZ\x90\x00 not really a PE', 'Assets/StoreLogo.png': '\x89PNG\r\n' };
  const files: Record<string, string | Buffer> = {
    ...payload,
    'AppxManifest.xml': manifest,
    'AppxBlockMap.xml': blockMap(payload),
    '[Content_Types].xml': CONTENT_TYPES,
  };
  // PKCS#7 DER starts with a SEQUENCE; presence is what is recorded, not validity.
  if (signed) files['AppxSignature.p7x'] = Buffer.concat([Buffer.from('PKCX'), Buffer.from([0x30, 0x82, 0x01, 0x00])]);
  return zipFiles(path.join(dir, `${name}-src`), path.join(dir, name), files);
}

describe('msix: publisher ids and full names follow Windows', () => {
  test.each([
    [MS_PUBLISHER, '8wekyb3d8bbwe'],
    ['CN=Microsoft Windows, O=Microsoft Corporation, L=Redmond, S=Washington, C=US', 'cw5n1h2txyewy'],
  ])('%s → %s (the family-name suffix Windows shows)', (publisher, id) => {
    expect(appxPublisherId(publisher)).toBe(id);
  });

  test('family and full names', () => {
    const identity = { Name: 'Microsoft.WindowsCalculator', Publisher: MS_PUBLISHER, Version: '11.2210.0.0', ProcessorArchitecture: 'x64' };
    expect(appxPackageFamilyName(identity)).toBe('Microsoft.WindowsCalculator_8wekyb3d8bbwe');
    expect(appxPackageFullName(identity)).toBe('Microsoft.WindowsCalculator_11.2210.0.0_x64__8wekyb3d8bbwe');
    expect(msixPurl(identity)).toBe('pkg:generic/Microsoft.WindowsCalculator@11.2210.0.0?arch=x64&publisher_id=8wekyb3d8bbwe');
  });
});

describeWithZip('msix: packages built with zip', () => {
  let dir: string;
  let msix: string;

  beforeAll(async () => {
    dir = await workDir();
    msix = await buildMsix(dir, 'Contoso.FactoryApp_1.2.3.0_x64.msix', APPX_MANIFEST);
  });

  test('identity, properties, dependencies, capabilities and the signature and block map parts', async () => {
    const read = await readMsixPackage(msix);
    expect(read.kind).toBe('package');
    expect(read).toMatchObject({ signed: true, hasBlockMap: true, hasContentTypes: true });
    if (read.kind !== 'package') throw new Error('not a package');
    expect(read.manifest).toEqual({
      namespace: 'http://schemas.microsoft.com/appx/manifest/foundation/windows10',
      identity: { Name: 'Contoso.FactoryApp', Publisher: CONTOSO, Version: '1.2.3.0', ProcessorArchitecture: 'x64' },
      displayName: 'Factory App',
      publisherDisplayName: 'Contoso & Partners',
      description: 'Builds ✓ packages',
      framework: false,
      resourcePackage: false,
      targetDeviceFamilies: [{ Name: 'Windows.Desktop', MinVersion: '10.0.17763.0', MaxVersionTested: '10.0.22621.0' }],
      packageDependencies: [{ Name: 'Microsoft.VCLibs.140.00.UWPDesktop', MinVersion: '14.0.30704.0', Publisher: MS_PUBLISHER }],
      applications: [{ Id: 'App', Executable: 'FactoryApp.exe' }],
      capabilities: ['internetClient', 'runFullTrust'],
    });
  });

  test('the catalogued component and the declared-only framework it depends on', async () => {
    const { components, package: pkg, notes } = await catalogMsix(msix, 'out/app.msix');
    expect(notes).toEqual([]);
    const publisherId = appxPublisherId(CONTOSO);
    expect(pkg).toMatchObject({
      ref: `pkg:generic/Contoso.FactoryApp@1.2.3.0?arch=x64&publisher_id=${publisherId}`,
      type: 'application',
      ecosystem: 'windows',
      name: 'Contoso.FactoryApp',
      version: '1.2.3.0',
      supplier: { name: 'Contoso & Partners' },
      description: 'Builds ✓ packages',
    });
    expect(pkg.hashes.get('SHA-256')).toBe(
      createHash('sha256')
        .update(await readFile(msix))
        .digest('hex'),
    );
    expect(pkg.properties).toEqual(
      expect.arrayContaining([
        ['packaging-factory:source', 'out/app.msix'],
        ['packaging-factory:windows:Publisher', CONTOSO],
        ['packaging-factory:windows:PackageFamilyName', `Contoso.FactoryApp_${publisherId}`],
        ['packaging-factory:windows:PackageFullName', `Contoso.FactoryApp_1.2.3.0_x64__${publisherId}`],
        ['packaging-factory:windows:TargetDeviceFamily', 'Windows.Desktop MinVersion=10.0.17763.0 MaxVersionTested=10.0.22621.0'],
        [
          'packaging-factory:windows:PackageDependency',
          `Microsoft.VCLibs.140.00.UWPDesktop MinVersion=14.0.30704.0 Publisher=${MS_PUBLISHER}`,
        ],
        ['packaging-factory:windows:Capability', 'runFullTrust'],
        ['packaging-factory:windows:AppxSignature.p7x', 'present'],
        ['packaging-factory:windows:AppxBlockMap.xml', 'present'],
      ]),
    );
    const vclibs = 'pkg:generic/Microsoft.VCLibs.140.00.UWPDesktop?publisher_id=8wekyb3d8bbwe';
    expect([...pkg.dependsOn]).toEqual([vclibs]);
    const placeholder = components.find((c) => c.ref === vclibs);
    expect(placeholder?.properties).toEqual(
      expect.arrayContaining([
        ['packaging-factory:declared-only', 'true'],
        ['packaging-factory:windows:MinVersion', '14.0.30704.0'],
      ]),
    );
    expect(components.map((c) => c.ref)).toEqual([...components.map((c) => c.ref)].sort());
    const json = await renderCycloneDxJson({ components, sources: [] });
    const bom = JSON.parse(json) as { dependencies: { ref: string; dependsOn?: string[] }[] };
    expect(bom.dependencies.find((d) => d.ref === pkg.ref)?.dependsOn).toEqual([vclibs]);
  });

  test('an unsigned package says so; a prefixed foundation namespace and a UTF-16 manifest read the same', async () => {
    const unsigned = await buildMsix(dir, 'unsigned.msix', APPX_MANIFEST, false);
    const { package: pkg } = await catalogMsix(unsigned, 'unsigned.msix');
    expect(pkg.properties).toContainEqual(['packaging-factory:windows:AppxSignature.p7x', 'absent']);

    const prefixed = APPX_MANIFEST.replace('<Package xmlns=', '<f:Package xmlns:f=')
      .replace('</Package>', '</f:Package>')
      .replace(
        /<(\/?)(Identity|Properties|DisplayName|PublisherDisplayName|Description|Logo|Dependencies|TargetDeviceFamily|PackageDependency|Resources|Resource|Applications|Application|Capabilities|Capability)\b/g,
        '<$1f:$2',
      );
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(APPX_MANIFEST.replace('utf-8', 'utf-16'), 'utf16le')]);
    const base = await readMsixPackage(msix);
    for (const variant of [await buildMsix(dir, 'prefixed.msix', prefixed), await buildMsix(dir, 'utf16.msix', utf16)]) {
      expect((await readMsixPackage(variant)).manifest).toEqual(base.manifest);
    }
  });

  test('a Windows 8.1 package (2010 manifest namespace) reads too', async () => {
    const legacy = `<?xml version="1.0" encoding="utf-8"?>
<Package xmlns="http://schemas.microsoft.com/appx/2010/manifest" xmlns:m2="http://schemas.microsoft.com/appx/2013/manifest">
  <Identity Name="Contoso.Legacy" Publisher="CN=Contoso" Version="2.0.0.1" ProcessorArchitecture="neutral" />
  <Properties><DisplayName>Legacy</DisplayName><PublisherDisplayName>Contoso</PublisherDisplayName><Logo>logo.png</Logo></Properties>
  <Prerequisites><OSMinVersion>6.3.0</OSMinVersion><OSMaxVersionTested>6.3.0</OSMaxVersionTested></Prerequisites>
  <Applications><Application Id="App" StartPage="index.html" /></Applications>
</Package>`;
    const appx = await buildMsix(dir, 'legacy.appx', legacy);
    const { package: pkg } = await catalogMsix(appx, 'legacy.appx');
    expect(pkg.ref).toBe(`pkg:generic/Contoso.Legacy@2.0.0.1?arch=neutral&publisher_id=${appxPublisherId('CN=Contoso')}`);
  });

  test('a bundle lists its packages as children; the bundle gets resource_id ~ like its full name', async () => {
    const bundleManifest = `<?xml version="1.0" encoding="UTF-8"?>
<Bundle xmlns="http://schemas.microsoft.com/appx/2013/bundle" xmlns:b4="http://schemas.microsoft.com/appx/2018/bundle" SchemaVersion="5.0" IgnorableNamespaces="b4">
  <Identity Name="Contoso.FactoryApp" Publisher="${xmlAttr(CONTOSO)}" Version="1.2.3.0" />
  <Packages>
    <Package Type="application" Version="1.2.3.0" Architecture="x64" FileName="Contoso.FactoryApp_1.2.3.0_x64.msix" Offset="61" Size="4096">
      <Resources><Resource Language="en-us" /></Resources>
    </Package>
    <Package Type="resource" Version="1.2.3.0" ResourceId="split.language-fr" FileName="Contoso.FactoryApp_1.2.3.0_language-fr.msix" Offset="5000" Size="1024">
      <Resources><Resource Language="fr" /></Resources>
    </Package>
  </Packages>
</Bundle>`;
    const inner = await readFile(msix);
    const payload = { 'Contoso.FactoryApp_1.2.3.0_x64.msix': inner, 'Contoso.FactoryApp_1.2.3.0_language-fr.msix': inner };
    const bundle = await zipFiles(
      path.join(dir, 'bundle-src'),
      path.join(dir, 'app.msixbundle'),
      {
        ...payload,
        'AppxMetadata/AppxBundleManifest.xml': bundleManifest,
        'AppxBlockMap.xml': blockMap({ a: 'b' }),
        '[Content_Types].xml': CONTENT_TYPES,
        'AppxSignature.p7x': Buffer.from('PKCX0'),
      },
      ['-0'],
    );
    const read = await readMsixPackage(bundle);
    expect(read.kind).toBe('bundle');
    const { package: pkg, components, notes } = await catalogMsix(bundle, 'app.msixbundle');
    const publisherId = appxPublisherId(CONTOSO);
    expect(pkg.ref).toBe(`pkg:generic/Contoso.FactoryApp@1.2.3.0?arch=neutral&publisher_id=${publisherId}&resource_id=~`);
    expect(pkg.properties).toContainEqual([
      'packaging-factory:windows:PackageFullName',
      `Contoso.FactoryApp_1.2.3.0_neutral_~_${publisherId}`,
    ]);
    expect(pkg.children.map((c) => c.ref)).toEqual([
      `pkg:generic/Contoso.FactoryApp@1.2.3.0?arch=neutral&publisher_id=${publisherId}&resource_id=split.language-fr`,
      `pkg:generic/Contoso.FactoryApp@1.2.3.0?arch=x64&publisher_id=${publisherId}`,
    ]);
    expect(pkg.children[0]?.properties).toEqual(
      expect.arrayContaining([
        ['packaging-factory:source', 'app.msixbundle:Contoso.FactoryApp_1.2.3.0_language-fr.msix'],
        ['packaging-factory:windows:PackageType', 'resource'],
        ['packaging-factory:windows:Language', 'fr'],
      ]),
    );
    expect(components).toHaveLength(1);
    for (const ref of [pkg.ref, ...pkg.children.map((c) => c.ref)]) expect(canonicalPurl(ref)).toBe(ref);
    expect(notes[0]).toContain('their own manifests are not opened');
    await expect(renderCycloneDxJson({ components, sources: [] })).resolves.toContain('resource_id=~');
  });

  test('the catalogers claim .msix/.appx and bundles by magic and extension', async () => {
    const head = (await readFile(msix)).subarray(0, 512);
    const c = { path: msix, name: 'app.msix', relative: 'app.msix', head, explicit: false };
    expect(msixCataloger.matches(c)).toBe(true);
    expect(msixCataloger.matches({ ...c, name: 'App.APPX' })).toBe(true);
    expect(msixCataloger.matches({ ...c, name: 'app.zip' })).toBe(false);
    expect(msixCataloger.matches({ ...c, head: Buffer.from('not a zip') })).toBe(false);
    expect(msixBundleCataloger.matches({ ...c, name: 'app.msixbundle' })).toBe(true);
    expect(msixBundleCataloger.matches(c)).toBe(false);
  });
});

describeWithZip('msix: hostile packages', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await workDir();
  });

  test('no manifest at all', async () => {
    const bare = await zipFiles(path.join(dir, 'bare'), path.join(dir, 'bare.msix'), { 'FactoryApp.exe': 'MZ' });
    const error = await factoryError(() => readMsixPackage(bare));
    expect(error.code).toBe('ARCHIVE_CORRUPT');
    expect(error.message).toContain('neither AppxManifest.xml nor AppxMetadata/AppxBundleManifest.xml');
  });

  test.each([
    ['unclosed element', 'ARCHIVE_CORRUPT', APPX_MANIFEST.replace('</Properties>', '')],
    ['not XML', 'ARCHIVE_CORRUPT', 'PK this is not xml'],
    [
      'undeclared prefix',
      'ARCHIVE_CORRUPT',
      APPX_MANIFEST.replace('<rescap:Capability', '<nope:Capability').replace('</Capabilities>', '</Capabilities>'),
    ],
    ['wrong root namespace', 'ARCHIVE_CORRUPT', APPX_MANIFEST.replace('foundation/windows10"', 'foundation/windows99"')],
    ['no Identity Publisher', 'ARCHIVE_CORRUPT', APPX_MANIFEST.replace(/Publisher="[^"]*" Version="1\.2\.3\.0"/, 'Version="1.2.3.0"')],
    ['a three-part version', 'ARCHIVE_CORRUPT', APPX_MANIFEST.replace('Version="1.2.3.0"', 'Version="1.2.3"')],
  ])('%s → %s naming the manifest', async (name, code, manifest) => {
    const file = await buildMsix(dir, `${name.replace(/\W+/g, '-')}.msix`, manifest);
    const error = await factoryError(() => readMsixPackage(file));
    expect(error.code).toBe(code);
    expect(error.subject).toBe(`${path.basename(file)}:AppxManifest.xml`);
  });

  test('XXE: an external entity is refused and the file it names never appears', async () => {
    const secret = path.join(dir, 'secret.txt');
    await writeFile(secret, 'TOP-SECRET-9f1c2e');
    const xxe = APPX_MANIFEST.replace('<Package ', `<!DOCTYPE Package [<!ENTITY xxe SYSTEM "file://${secret}">]>\n<Package `).replace(
      '<DisplayName>Factory App</DisplayName>',
      '<DisplayName>&xxe;</DisplayName>',
    );
    const file = await buildMsix(dir, 'xxe.msix', xxe);
    const error = await factoryError(() => catalogMsix(file, 'xxe.msix'));
    expect(error.code).toBe('ARCHIVE_UNSAFE');
    expect(JSON.stringify({ message: error.message, hint: error.hint })).not.toContain('TOP-SECRET');
  });

  test('entity expansion ("billion laughs") and plain internal entities are refused, fast, unexpanded', async () => {
    const laughs =
      '<!DOCTYPE Package [<!ENTITY l "lol">' +
      Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
      ']>\n';
    const bomb = APPX_MANIFEST.replace('<Package ', `${laughs}<Package `).replace(
      '<DisplayName>Factory App</DisplayName>',
      '<DisplayName>&l9;</DisplayName>',
    );
    const internal = APPX_MANIFEST.replace('<Package ', '<!DOCTYPE Package [<!ENTITY n "Injected.Name">]>\n<Package ').replace(
      'Name="Contoso.FactoryApp"',
      'Name="&n;"',
    );
    for (const [name, manifest] of [
      ['bomb.msix', bomb],
      ['internal.msix', internal],
    ] as const) {
      const file = await buildMsix(dir, name, manifest);
      const started = Date.now();
      const error = await factoryError(() => readMsixPackage(file));
      expect(error.code).toBe('ARCHIVE_UNSAFE');
      expect(error.message).toMatch(/entity &(l9|n);/);
      expect(Date.now() - started).toBeLessThan(2000);
    }
  });

  test('parseXmlDocument alone: the predefined entities and character references decode, nothing else', () => {
    const root = parseXmlDocument(Buffer.from('<a x="&lt;&amp;&gt;&quot;&apos;&#65;&#x42;">t&#x2713;</a>'), 'a.xml');
    expect(root.attributes.get('x')).toBe('<&>"\'AB');
    expect(root.text).toBe('t✓');
    expect(factoryErrorSync(() => parseXmlDocument(Buffer.from('<a>&#0;</a>'), 'a.xml')).code).toBe('ARCHIVE_CORRUPT');
    expect(factoryErrorSync(() => parseXmlDocument(Buffer.from('<a>&ent;</a>'), 'a.xml')).code).toBe('ARCHIVE_UNSAFE');
    expect(() => readAppxManifest(parseXmlDocument(Buffer.from('<Package/>'), 'm.xml'), 'm.xml')).toThrow(/not <Package> in http/);
  });
});
