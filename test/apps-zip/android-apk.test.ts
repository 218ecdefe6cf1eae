import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import {
  parseBinaryXml,
  readAndroidManifest,
  readApk,
  readApkSigningBlock,
  readZipEntries,
  ResourceTable,
} from '@packaging-factory/formats';
import { androidApkCataloger, androidPurl, canonicalPurl, catalogApk, renderCycloneDxJson } from '@packaging-factory/sbom';
import { tempDir } from '../support/context.ts';
import { APK_FIXTURES, factoryError, factoryErrorSync, requireTool, run, zipFiles } from './app-tools.ts';
import { chunksOf, prng, withUtf8StringPool } from './axml-tools.ts';

/**
 * Android APKs: the binary AndroidManifest.xml and resources.arsc parsers against androguard's
 * test APKs (expected values from its test suite) and against APKs built and signed here by aapt
 * and apksigner, cross-checked with `aapt dump badging` and `apksigner verify`. Damaged manifests
 * and tables must fail as ARCHIVE_CORRUPT naming the file, never with a RangeError.
 */

interface ApkCase {
  file: string;
  sha256: string;
  expected_manifest: Record<string, unknown>;
}
const cases = (JSON.parse(await readFile(path.join(APK_FIXTURES, 'cases.json'), 'utf8')) as { android_apk: ApkCase[] }).android_apk;

const aaptAvailable = await requireTool('aapt', ['version'], 'aapt android-framework-res');
const FRAMEWORK_RES = '/usr/share/android-framework-res/framework-res.apk';
const signerAvailable =
  aaptAvailable &&
  (await requireTool('apksigner', ['--version'], 'apksigner')) &&
  (await requireTool('keytool', ['-help'], 'default-jdk-headless'));
const zipAvailable = await requireTool('zip', ['-v'], 'zip');

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function workDir(): Promise<string> {
  const dir = await tempDir('apps-zip-apk-');
  dirs.push(dir);
  return dir;
}

/** The fields `aapt dump badging` prints that our reader also reads. */
interface Badging {
  package?: string;
  versionCode?: string;
  versionName?: string;
  minSdkVersion?: string;
  targetSdkVersion?: string;
  maxSdkVersion?: string;
  permissions: string[];
  label?: string;
  launchable?: string;
  icons: { density: number; path: string }[];
}

async function badging(apk: string): Promise<Badging> {
  // aapt exits non-zero on an unresolvable reference (AndroidManifest_ShortName.apk has no
  // resources.arsc) yet prints everything before it: keep its stdout either way.
  const stdout = await run('aapt', ['dump', 'badging', apk]).then(
    (r) => r.stdout,
    (error: { stdout?: string }) => error.stdout ?? '',
  );
  const result: Badging = { permissions: [], icons: [] };
  for (const line of stdout.split('\n')) {
    const pkg = /^package: name='([^']*)' versionCode='([^']*)' versionName='([^']*)'/.exec(line);
    if (pkg !== null) [, result.package, result.versionCode, result.versionName] = pkg;
    const field = /^(sdkVersion|targetSdkVersion|maxSdkVersion):'([^']*)'/.exec(line);
    if (field?.[1] === 'sdkVersion') result.minSdkVersion = field[2];
    else if (field?.[1] === 'targetSdkVersion') result.targetSdkVersion = field[2];
    else if (field?.[1] === 'maxSdkVersion') result.maxSdkVersion = field[2];
    const permission = /^uses-permission(?:-sdk-23)?: name='([^']*)'/.exec(line);
    if (permission?.[1] !== undefined) result.permissions.push(permission[1]);
    const label = /^application-label:'(.*)'$/.exec(line);
    if (label !== null) result.label = label[1];
    const launchable = /^launchable-activity: name='([^']*)'/.exec(line);
    if (launchable !== null) result.launchable = launchable[1];
    const icon = /^application-icon-(\d+):'([^']*)'/.exec(line);
    if (icon?.[1] !== undefined && icon[2] !== undefined) result.icons.push({ density: Number(icon[1]), path: icon[2] });
  }
  return result;
}

describe('android: the androguard fixture APKs (binary-packages/android_apk)', () => {
  // No case is skipped: both must pass.
  const SKIPPED: Record<string, string> = {};
  let passed = 0;
  afterAll(() => {
    console.log(`FIXTURE binary-packages/android_apk: ${passed}/${cases.length}`);
    expect(passed).toBe(cases.length - Object.keys(SKIPPED).length);
  });

  test.each(cases.map((c) => [c.file, c] as const))('%s: every expected manifest field', async (_file, c) => {
    const file = path.join(APK_FIXTURES, c.file);
    const apk = await readApk(file);
    const m = apk.manifest;
    const e = c.expected_manifest;
    const actual: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    const compare = (key: string, value: unknown): void => {
      if (key in e) {
        expected[key] = e[key];
        actual[key] = value;
      }
    };
    compare('package', m.package);
    compare('versionCode', m.versionCode);
    compare('versionName', m.versionName);
    compare('minSdkVersion', m.minSdkVersion);
    compare('targetSdkVersion', m.targetSdkVersion);
    compare('maxSdkVersion', m.maxSdkVersion ?? null);
    compare('app_name', m.applicationLabel);
    compare('main_activity', m.mainActivity);
    compare('permissions', m.permissions);
    compare('declared_permissions', m.declaredPermissions);
    // androguard's get_app_icon() picks the highest density; ours lists highest first.
    compare('app_icon_default', m.applicationIcons[0]);
    compare('activities', m.activities);
    compare('services', m.services);
    compare('valid_apk', true);
    if ('activity_name_raw_attribute' in e) {
      const bytes = (await readZipEntries(file, (n) => n === 'AndroidManifest.xml')).get('AndroidManifest.xml');
      const doc = parseBinaryXml(bytes ?? Buffer.alloc(0), c.file);
      const activity = doc.root.children.find((x) => x.name === 'application')?.children.find((x) => x.name === 'activity');
      compare('activity_name_raw_attribute', activity?.attributes.find((a) => a.name === 'name')?.raw);
    }
    expect(Object.keys(expected).sort()).toEqual(Object.keys(e).sort());
    expect(actual).toEqual(expected);
    const { component } = await catalogApk(file, c.file);
    expect(component.hashes.get('SHA-256')).toBe(c.sha256);
    passed += 1;
  });

  (aaptAvailable ? test : test.skip).each(cases.map((c) => [c.file, c] as const))('%s: agrees with aapt dump badging', async (_file, c) => {
    const file = path.join(APK_FIXTURES, c.file);
    const [apk, aapt] = await Promise.all([readApk(file), badging(file)]);
    expect(aapt.package).toBe(apk.manifest.package);
    expect(aapt.versionCode).toBe(apk.manifest.versionCode);
    expect(aapt.versionName).toBe(apk.manifest.versionName);
    expect(aapt.minSdkVersion).toBe(apk.manifest.minSdkVersion);
    expect(aapt.targetSdkVersion).toBe(apk.manifest.targetSdkVersion);
    expect(aapt.label).toBe(apk.manifest.applicationLabel);
    expect(aapt.launchable).toBe(apk.manifest.mainActivity);
    expect(aapt.permissions).toEqual(apk.manifest.permissions);
  });

  test('without resources.arsc a label reference stays unresolved and is reported, not invented', async () => {
    const { component, notes, apk } = await catalogApk(path.join(APK_FIXTURES, 'android-apk/AndroidManifest_ShortName.apk'), 'short.apk');
    expect(apk.hasResources).toBe(false);
    expect(apk.manifest.applicationLabel).toBeUndefined();
    expect(apk.manifest.unresolved).toEqual(['application label @0x7f060000', 'application icon @0x7f020003']);
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringContaining("short.apk: the manifest's application label @0x7f060000 is not in resources.arsc (the APK has none)"),
      ]),
    );
    expect(component.properties.some(([n]) => n === 'packaging-factory:android:label')).toBe(false);
    expect(component.purl).toBe('pkg:generic/com.android.galaxy4@1.0?version_code=1');
  });
});

const MANIFEST = `<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android"
    package="org.example.factory" android:versionCode="4200" android:versionName="@string/version_name">
  <uses-sdk android:minSdkVersion="21" android:targetSdkVersion="29" android:maxSdkVersion="33"/>
  <uses-permission android:name="android.permission.INTERNET"/>
  <uses-permission android:name="android.permission.CAMERA"/>
  <uses-permission-sdk-23 android:name="android.permission.READ_CONTACTS"/>
  <permission android:name="org.example.factory.permission.C2D" android:protectionLevel="signature"/>
  <application android:label="@string/app_name" android:icon="@drawable/icon" android:debuggable="true">
    <activity android:name=".MainActivity" android:label="@string/app_name">
      <intent-filter>
        <action android:name="android.intent.action.MAIN"/>
        <category android:name="android.intent.category.LAUNCHER"/>
      </intent-filter>
    </activity>
    <activity android:name="Settings"/>
    <activity android:name="org.other.lib.Viewer"/>
    <service android:name=".Sync"/>
    <receiver android:name=".Boot"/>
  </application>
</manifest>
`;
// versionName points at a string that is itself a reference: resolution follows the chain.
const STRINGS = `<resources>
  <string name="app_name">Factory Ünïcode ✓</string>
  <string name="version_name">@string/real_version</string>
  <string name="real_version">2.5.1-beta</string>
</resources>`;
const STRINGS_FR = '<resources><string name="app_name">Usine</string></resources>';
const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

/** Builds an APK with aapt from MANIFEST and resources; `utf16` makes aapt write a UTF-16 value pool. */
async function buildApk(dir: string, name: string, utf16: boolean, manifest = MANIFEST, strings = STRINGS): Promise<string> {
  const src = path.join(dir, `${name}-src`);
  for (const [file, content] of Object.entries({
    'AndroidManifest.xml': manifest,
    'res/values/strings.xml': strings,
    'res/values-fr/strings.xml': STRINGS_FR,
    'res/drawable-mdpi/icon.png': PNG_1X1,
    'res/drawable-xhdpi/icon.png': PNG_1X1,
  })) {
    await mkdir(path.dirname(path.join(src, file)), { recursive: true });
    await writeFile(path.join(src, file), content);
  }
  const apk = path.join(dir, `${name}.apk`);
  await run('aapt', [
    'package',
    '-f',
    ...(utf16 ? ['--utf16'] : []),
    '-M',
    path.join(src, 'AndroidManifest.xml'),
    '-S',
    path.join(src, 'res'),
    '-I',
    FRAMEWORK_RES,
    '-F',
    apk,
  ]);
  return apk;
}

(aaptAvailable ? describe : describe.skip)('android: APKs built by aapt', () => {
  let dir: string;
  let apk8: string;
  let apk16: string;

  beforeAll(async () => {
    dir = await workDir();
    apk8 = await buildApk(dir, 'utf8', false);
    apk16 = await buildApk(dir, 'utf16', true);
  });

  test('the value string pools are UTF-8 and UTF-16 respectively, and read the same', async () => {
    const flags = async (apk: string): Promise<number> => {
      const arsc = (await readZipEntries(apk, (n) => n === 'resources.arsc')).get('resources.arsc') ?? Buffer.alloc(0);
      const pool = chunksOf(arsc).find((c) => c.type === 0x0001);
      return arsc.readUInt32LE((pool?.offset ?? 0) + 16) & 0x100;
    };
    expect(await flags(apk8)).toBe(0x100);
    expect(await flags(apk16)).toBe(0);
    const [a, b] = await Promise.all([readApk(apk8), readApk(apk16)]);
    expect(a.manifest).toEqual(b.manifest);
  });

  test('every manifest field, matching aapt dump badging', async () => {
    const { manifest: m } = await readApk(apk8);
    const aapt = await badging(apk8);
    expect(m).toMatchObject({
      package: 'org.example.factory',
      versionCode: '4200',
      versionName: '2.5.1-beta',
      minSdkVersion: '21',
      targetSdkVersion: '29',
      maxSdkVersion: '33',
      permissions: ['android.permission.INTERNET', 'android.permission.CAMERA', 'android.permission.READ_CONTACTS'],
      declaredPermissions: ['org.example.factory.permission.C2D'],
      applicationLabel: 'Factory Ünïcode ✓',
      activities: ['org.example.factory.MainActivity', 'org.example.factory.Settings', 'org.other.lib.Viewer'],
      services: ['org.example.factory.Sync'],
      receivers: ['org.example.factory.Boot'],
      mainActivity: 'org.example.factory.MainActivity',
      debuggable: true,
      unresolved: [],
    });
    expect({
      package: m.package,
      versionCode: m.versionCode,
      versionName: m.versionName,
      minSdkVersion: m.minSdkVersion,
      targetSdkVersion: m.targetSdkVersion,
      maxSdkVersion: m.maxSdkVersion,
      permissions: m.permissions,
      label: m.applicationLabel,
      launchable: m.mainActivity,
    }).toEqual({
      package: aapt.package,
      versionCode: aapt.versionCode,
      versionName: aapt.versionName,
      minSdkVersion: aapt.minSdkVersion,
      targetSdkVersion: aapt.targetSdkVersion,
      maxSdkVersion: aapt.maxSdkVersion,
      permissions: aapt.permissions,
      label: aapt.label,
      launchable: aapt.launchable,
    });
    expect(m.applicationIcons).toEqual([...aapt.icons].sort((x, y) => y.density - x.density).map((i) => i.path));
  });

  test('a UTF-8 string pool in the compiled XML (as aapt2 writes it) reads the same tree', async () => {
    const xml = (await readZipEntries(apk8, (n) => n === 'AndroidManifest.xml')).get('AndroidManifest.xml') ?? Buffer.alloc(0);
    const pool = chunksOf(xml).find((c) => c.type === 0x0001);
    expect(xml.readUInt32LE((pool?.offset ?? 0) + 16) & 0x100).toBe(0);
    const utf8 = withUtf8StringPool(xml);
    expect(utf8.readUInt32LE((pool?.offset ?? 0) + 16) & 0x100).toBe(0x100);
    expect(parseBinaryXml(utf8, 'utf8.xml')).toEqual(parseBinaryXml(xml, 'utf16.xml'));
  });

  test('the resource table gives every configuration of a string and resolves the default', async () => {
    const arsc = (await readZipEntries(apk8, (n) => n === 'resources.arsc')).get('resources.arsc') ?? Buffer.alloc(0);
    const table = new ResourceTable(arsc, 'resources.arsc');
    const { stdout } = await run('aapt', ['dump', 'resources', apk8]);
    const id = Number(/resource (0x[0-9a-f]+) org\.example\.factory:string\/app_name/.exec(stdout)?.[1]);
    expect(table.packageName(0x7f)).toBe('org.example.factory');
    const candidates = table.lookup(id);
    expect(candidates.map((c) => [c.config.isDefault, c.config.language, c.value?.string])).toEqual([
      [true, '', 'Factory Ünïcode ✓'],
      [false, 'fr', 'Usine'],
    ]);
    expect(table.resolveText(id)).toBe('Factory Ünïcode ✓');
    expect(table.lookup(0x7f7f0000)).toEqual([]);
  });

  test('hostile: every truncation of the compiled manifest is ARCHIVE_CORRUPT naming the file', async () => {
    const xml = (await readZipEntries(apk8, (n) => n === 'AndroidManifest.xml')).get('AndroidManifest.xml') ?? Buffer.alloc(0);
    for (let cut = 0; cut < xml.length; cut += 1) {
      const error = factoryErrorSync(() => parseBinaryXml(xml.subarray(0, cut), 'cut.apk:AndroidManifest.xml'));
      expect(error.code).toBe('ARCHIVE_CORRUPT');
      expect(error.message.startsWith('cut.apk:AndroidManifest.xml: ')).toBe(true);
    }
  });

  test('hostile: random byte damage to the manifest or the table never escapes as anything but ARCHIVE_CORRUPT', async () => {
    const parts = await readZipEntries(apk8, (n) => n === 'AndroidManifest.xml' || n === 'resources.arsc');
    const xml = parts.get('AndroidManifest.xml') ?? Buffer.alloc(0);
    const arsc = parts.get('resources.arsc') ?? Buffer.alloc(0);
    const random = prng(20260101);
    let failures = 0;
    for (let i = 0; i < 3000; i += 1) {
      const damagedXml = Buffer.from(xml);
      const damagedArsc = Buffer.from(arsc);
      const target = i % 2 === 0 ? damagedXml : damagedArsc;
      for (let n = 0; n < 1 + Math.floor(random() * 4); n += 1) target[Math.floor(random() * target.length)] = Math.floor(random() * 256);
      try {
        readAndroidManifest(
          parseBinaryXml(damagedXml, 'x.apk:AndroidManifest.xml'),
          new ResourceTable(damagedArsc, 'x.apk:resources.arsc'),
          'x.apk:AndroidManifest.xml',
        );
      } catch (error) {
        failures += 1;
        if (!(error instanceof FactoryError)) throw error;
        expect(error.code).toBe('ARCHIVE_CORRUPT');
        expect(error.subject).toMatch(/^x\.apk:(AndroidManifest\.xml|resources\.arsc)$/);
      }
    }
    // Damage must be detected often; most single-byte hits to string data still parse.
    expect(failures).toBeGreaterThan(100);
  });

  test('hostile: an out-of-range string index, attribute block or string offset is refused by name', async () => {
    const xml = (await readZipEntries(apk8, (n) => n === 'AndroidManifest.xml')).get('AndroidManifest.xml') ?? Buffer.alloc(0);
    const start = chunksOf(xml).find((c) => c.type === 0x0102);
    if (start === undefined) throw new Error('no start element');
    const ext = start.offset + start.headerSize;

    const badName = Buffer.from(xml);
    badName.writeUInt32LE(0x7fffffff, ext + 4);
    expect(factoryErrorSync(() => parseBinaryXml(badName, 'a.apk:AndroidManifest.xml')).message).toMatch(
      /^a\.apk:AndroidManifest\.xml: string index 2147483647 is outside the string pool/,
    );

    const badAttributes = Buffer.from(xml);
    badAttributes.writeUInt16LE(0xfff0, ext + 8);
    expect(factoryErrorSync(() => parseBinaryXml(badAttributes, 'a.apk:AndroidManifest.xml')).message).toMatch(
      /attributes of <manifest> at offset \d+ .* lies outside/,
    );

    const pool = chunksOf(xml).find((c) => c.type === 0x0001);
    const badOffset = Buffer.from(xml);
    // The root element's name string, moved past the pool.
    const nameIndex = xml.readUInt32LE(ext + 4);
    badOffset.writeUInt32LE(0x00ffffff, (pool?.offset ?? 0) + (pool?.headerSize ?? 0) + nameIndex * 4);
    expect(factoryErrorSync(() => parseBinaryXml(badOffset, 'a.apk:AndroidManifest.xml')).code).toBe('ARCHIVE_CORRUPT');

    const notXml = Buffer.from(xml);
    notXml.writeUInt16LE(0x0002, 0);
    expect(factoryErrorSync(() => parseBinaryXml(notXml, 'a.apk:AndroidManifest.xml')).message).toContain('not Android binary XML');
  });

  test('hostile: a versionName reference loop (aapt accepts it) is ARCHIVE_CORRUPT, not a hang', async () => {
    const loop = await buildApk(
      dir,
      'loop',
      false,
      MANIFEST.replace('@string/version_name', '@string/loop_a'),
      '<resources><string name="app_name">X</string><string name="loop_a">@string/loop_b</string><string name="loop_b">@string/loop_a</string></resources>',
    );
    const error = await factoryError(() => readApk(loop));
    expect([error.code, error.subject]).toEqual(['ARCHIVE_CORRUPT', 'loop.apk:resources.arsc']);
    expect(error.message).toMatch(/more than 8 references/);
  });

  (zipAvailable ? test : test.skip)(
    'hostile APKs: no manifest, a damaged manifest, a damaged table are ARCHIVE_CORRUPT naming the entry',
    async () => {
      const parts = await readZipEntries(apk8, () => true);
      const xml = parts.get('AndroidManifest.xml') ?? Buffer.alloc(0);
      const arsc = parts.get('resources.arsc') ?? Buffer.alloc(0);

      const none = await zipFiles(path.join(dir, 'none'), path.join(dir, 'none.apk'), { 'classes.dex': 'dex\n035' });
      const noManifest = await factoryError(() => readApk(none));
      expect(noManifest.code).toBe('ARCHIVE_CORRUPT');
      expect(noManifest.message).toContain('none.apk has no AndroidManifest.xml');

      const truncated = await zipFiles(path.join(dir, 'trunc'), path.join(dir, 'trunc.apk'), {
        'AndroidManifest.xml': xml.subarray(0, xml.length - 9),
        'resources.arsc': arsc,
      });
      const badManifest = await factoryError(() => readApk(truncated));
      expect([badManifest.code, badManifest.subject]).toEqual(['ARCHIVE_CORRUPT', 'trunc.apk:AndroidManifest.xml']);

      const brokenTable = Buffer.from(arsc);
      brokenTable.writeUInt32LE(arsc.length + 100, 4);
      const table = await zipFiles(path.join(dir, 'table'), path.join(dir, 'table.apk'), {
        'AndroidManifest.xml': xml,
        'resources.arsc': brokenTable,
      });
      const badTable = await factoryError(() => readApk(table));
      expect([badTable.code, badTable.subject]).toEqual(['ARCHIVE_CORRUPT', 'table.apk:resources.arsc']);
    },
  );

  test('the catalogued component: generic purl with version_code, one property per fact, sha256 of the file', async () => {
    const { component, notes } = await catalogApk(apk8, 'dist/utf8.apk');
    expect(notes).toEqual([]);
    expect(component).toMatchObject({
      ref: 'pkg:generic/org.example.factory@2.5.1-beta?version_code=4200',
      purl: 'pkg:generic/org.example.factory@2.5.1-beta?version_code=4200',
      type: 'application',
      ecosystem: 'android',
      name: 'org.example.factory',
      version: '2.5.1-beta',
    });
    expect(component.hashes.get('SHA-256')).toBe(
      createHash('sha256')
        .update(await readFile(apk8))
        .digest('hex'),
    );
    const props = component.properties;
    expect(props.filter(([n]) => n === 'packaging-factory:android:permission').map(([, v]) => v)).toEqual([
      'android.permission.CAMERA',
      'android.permission.INTERNET',
      'android.permission.READ_CONTACTS',
    ]);
    expect(props).toEqual(
      expect.arrayContaining([
        ['packaging-factory:source', 'dist/utf8.apk'],
        ['packaging-factory:android:versionCode', '4200'],
        ['packaging-factory:android:minSdkVersion', '21'],
        ['packaging-factory:android:targetSdkVersion', '29'],
        ['packaging-factory:android:maxSdkVersion', '33'],
        ['packaging-factory:android:label', 'Factory Ünïcode ✓'],
        ['packaging-factory:android:signed', 'false'],
      ]),
    );
    expect(props).toEqual([...props].sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1)));
    // The purl is already in the purl specification's canonical form.
    expect(canonicalPurl(component.ref)).toBe(component.ref);
    // A versionName-less manifest falls back to versionCode as the version.
    expect(androidPurl({ package: 'a.B', versionCode: '7' })).toBe('pkg:generic/a.B@7');
  });
});

(signerAvailable ? describe : describe.skip)('android: signing schemes, as apksigner reports them', () => {
  let dir: string;
  let unsigned: string;
  let keystore: string;

  beforeAll(async () => {
    dir = await workDir();
    unsigned = await buildApk(dir, 'to-sign', false);
    keystore = path.join(dir, 'ks.p12');
    await run('keytool', [
      '-genkeypair',
      '-keystore',
      keystore,
      '-storetype',
      'PKCS12',
      '-storepass',
      'factory',
      '-alias',
      'k',
      '-keyalg',
      'EC',
      '-groupname',
      'secp256r1',
      '-dname',
      'CN=Factory Test',
      '-validity',
      '2',
    ]);
  });

  async function sign(name: string, args: string[]): Promise<{ apk: string; verified: string[] }> {
    const apk = path.join(dir, `${name}.apk`);
    await run('apksigner', ['sign', '--ks', keystore, '--ks-pass', 'pass:factory', ...args, '--out', apk, unsigned]);
    // The manifest says minSdkVersion 21, where Android still needs v1: a v2-only APK verifies for 24+.
    const verifyFor = args.includes('--v1-signing-enabled') ? ['--min-sdk-version', '24'] : [];
    const { stdout } = await run('apksigner', ['verify', '-v', ...verifyFor, apk]);
    const verified = [...stdout.matchAll(/^Verified using (v[\d.]+) scheme .*: true$/gm)].map((m) => m[1] ?? '');
    return { apk, verified };
  }

  test('v1 + v2 + v3 (min SDK 21): the schemes match apksigner verify, with the v1 block file', async () => {
    const { apk, verified } = await sign('v123', ['--min-sdk-version', '21', '--v3-signing-enabled', 'true']);
    expect(verified).toEqual(['v1', 'v2', 'v3']);
    const read = await readApk(apk);
    expect(read.signing.schemes).toEqual(verified);
    expect(read.signing.v1SignatureFiles).toEqual(['META-INF/K.EC']);
    const { component } = await catalogApk(apk, 'v123.apk');
    expect(component.properties.filter(([n]) => n === 'packaging-factory:android:signatureScheme').map(([, v]) => v)).toEqual([
      'v1',
      'v2',
      'v3',
    ]);
    expect(component.properties).toContainEqual(['packaging-factory:android:signed', 'true']);
  });

  test('v2 only: no v1 files, the signing block before the central directory', async () => {
    const { apk, verified } = await sign('v2', [
      '--v1-signing-enabled',
      'false',
      '--v2-signing-enabled',
      'true',
      '--v3-signing-enabled',
      'false',
    ]);
    expect(verified).toEqual(['v2']);
    const read = await readApk(apk);
    expect(read.signing.schemes).toEqual(['v2']);
    expect(read.signing.v1SignatureFiles).toEqual([]);
    expect(read.signing.block?.entries).toContain('v2');
  });

  test('an unsigned APK has no signing block', async () => {
    expect(await readApkSigningBlock(unsigned)).toBeUndefined();
    expect((await readApk(unsigned)).signing.schemes).toEqual([]);
  });

  test('hostile: a signing block whose size points outside the file is ARCHIVE_CORRUPT', async () => {
    const { apk } = await sign('v2-bad', ['--v1-signing-enabled', 'false', '--v3-signing-enabled', 'false']);
    const bytes = await readFile(apk);
    const magic = bytes.lastIndexOf(Buffer.from('APK Sig Block 42', 'latin1'));
    bytes.writeBigUInt64LE(BigInt(bytes.length * 2), magic - 8);
    const damaged = path.join(dir, 'damaged.apk');
    await writeFile(damaged, bytes);
    const error = await factoryError(() => readApkSigningBlock(damaged));
    expect(error.code).toBe('ARCHIVE_CORRUPT');
    expect(error.subject).toBe(damaged);
  });

  test('the cataloger claims .apk ZIPs (and explicit ZIPs starting with AndroidManifest.xml) and yields a schema-valid CycloneDX component', async () => {
    const { apk } = await sign('cat', ['--min-sdk-version', '21']);
    const head = (await readFile(apk)).subarray(0, 512);
    const unsignedHead = (await readFile(unsigned)).subarray(0, 512);
    const candidate = { path: apk, name: 'cat.apk', relative: 'cat.apk', head, explicit: false };
    expect(androidApkCataloger.matches(candidate)).toBe(true);
    expect(androidApkCataloger.matches({ ...candidate, name: 'cat.zip' })).toBe(false);
    // aapt writes AndroidManifest.xml first: an explicitly named file is recognised by it.
    expect(androidApkCataloger.matches({ ...candidate, name: 'app.bin', head: unsignedHead, explicit: true })).toBe(true);
    // Alpine's .apk is a gzip stream, not a ZIP.
    expect(androidApkCataloger.matches({ ...candidate, head: Buffer.from([0x1f, 0x8b, 8, 0]) })).toBe(false);
    const output = await androidApkCataloger.catalog({ file: apk, shown: 'cat.apk' }, { exec: undefined as never, workDir: dir });
    expect(output.components).toHaveLength(1);
    const json = await renderCycloneDxJson({ components: output.components, sources: [] });
    const bom = JSON.parse(json) as { components: { purl: string; hashes: { content: string }[] }[] };
    expect(bom.components[0]?.purl).toBe('pkg:generic/org.example.factory@2.5.1-beta?version_code=4200');
  });
});
