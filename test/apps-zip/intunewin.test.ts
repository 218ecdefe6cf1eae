import { createHash, randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { readIntunewin } from '@packaging-factory/formats';
import { canonicalPurl, catalogIntunewin, intunewinCataloger, renderCycloneDxJson, type SbomComponent } from '@packaging-factory/sbom';
import { tempDir } from '../support/context.ts';
import { factoryError, requireTool, zipFiles } from './app-tools.ts';

/**
 * .intunewin files in the layout the Win32 Content Prep Tool writes (an outer ZIP with
 * IntuneWinPackage/Metadata/Detection.xml and the encrypted IntuneWinPackage/Contents/
 * IntunePackage.intunewin), built with Info-ZIP zip. Detection.xml carries the AES and HMAC keys in
 * clear: they must never reach the SBOM, notes or errors.
 */

const zipAvailable = await requireTool('zip', ['-v'], 'zip');
const describeWithZip = zipAvailable ? describe : describe.skip;

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

// Planted secrets: distinctive base64 values (32-byte keys, 16-byte IV) that must never come out.
const SECRETS = {
  EncryptionKey: Buffer.from('ENCRYPTION-KEY-must-never-leak!!').toString('base64'),
  MacKey: Buffer.from('MAC-KEY-must-never-leak-anywhere').toString('base64'),
  InitializationVector: Buffer.from('IV-never-leaks!!').toString('base64'),
  Mac: Buffer.from('MAC-VALUE-must-never-leak-either').toString('base64'),
};
const CONTENT = Buffer.from('the unencrypted setup folder, zipped');
const FILE_DIGEST = createHash('sha256').update(CONTENT).digest('base64');

function detectionXml(options: { msi: boolean; name?: string; trailer?: string }): string {
  const msi = options.msi
    ? `
  <MsiInfo>
    <MsiProductCode>{89E4C65D-96DD-435B-9BBB-EF1EAEF5B738}</MsiProductCode>
    <MsiProductVersion>2.51.0</MsiProductVersion>
    <MsiPackageCode>{A721702D-9A23-499F-B48C-5166F83333C6}</MsiPackageCode>
    <MsiUpgradeCode>{DFF82AF0-3F95-4AC9-8EFD-948604FDB028}</MsiUpgradeCode>
    <MsiExecutionContext>System</MsiExecutionContext>
    <MsiRequiresLogon>false</MsiRequiresLogon>
    <MsiRequiresReboot>false</MsiRequiresReboot>
    <MsiIsMachineInstall>true</MsiIsMachineInstall>
    <MsiIsUserInstall>false</MsiIsUserInstall>
    <MsiIncludesServices>false</MsiIncludesServices>
    <MsiIncludesODBCDataSource>false</MsiIncludesODBCDataSource>
    <MsiContainsSystemRegistryKeys>true</MsiContainsSystemRegistryKeys>
    <MsiContainsSystemFolders>false</MsiContainsSystemFolders>
    <MsiPublisher>Contoso &amp; Sons</MsiPublisher>
  </MsiInfo>`
    : '';
  return `<?xml version="1.0" encoding="utf-8"?>
<ApplicationInfo xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ToolVersion="1.8.6.0">
  <Name>${options.name ?? (options.msi ? 'Contoso Factory CLI' : 'setup.exe')}</Name>
  <UnencryptedContentSize>${CONTENT.length}</UnencryptedContentSize>
  <FileName>IntunePackage.intunewin</FileName>
  <SetupFile>${options.msi ? 'contoso-factory-2.51.0.msi' : 'setup.exe'}</SetupFile>
  <EncryptionInfo>
    <EncryptionKey>${SECRETS.EncryptionKey}</EncryptionKey>
    <MacKey>${SECRETS.MacKey}</MacKey>
    <InitializationVector>${SECRETS.InitializationVector}</InitializationVector>
    <Mac>${SECRETS.Mac}</Mac>
    <ProfileIdentifier>ProfileVersion1</ProfileIdentifier>
    <FileDigest>${FILE_DIGEST}</FileDigest>
    <FileDigestAlgorithm>SHA256</FileDigestAlgorithm>
  </EncryptionInfo>${msi}
</ApplicationInfo>${options.trailer ?? ''}`;
}

/** Everything a component carries, Maps and Sets included, as one string to search. */
function dump(component: SbomComponent): string {
  return JSON.stringify(component, (_key, value: unknown) =>
    value instanceof Map ? [...value] : value instanceof Set ? [...value] : value,
  );
}

function expectNoSecret(text: string): void {
  for (const [name, value] of Object.entries(SECRETS)) {
    expect({ name, leaked: text.includes(value) }).toEqual({ name, leaked: false });
    // Nor the decoded bytes, in case something base64-decodes the field.
    expect(text.includes(Buffer.from(value, 'base64').toString('latin1'))).toBe(false);
  }
}

/** A .intunewin in the tool's layout: the encrypted payload is random bytes (we never decrypt it). */
async function buildIntunewin(name: string, detection: string | Buffer, withContents = true): Promise<string> {
  const dir = await tempDir('apps-zip-intunewin-');
  dirs.push(dir);
  const files: Record<string, string | Buffer> = { 'IntuneWinPackage/Metadata/Detection.xml': detection };
  if (withContents) files['IntuneWinPackage/Contents/IntunePackage.intunewin'] = Buffer.concat([randomBytes(48), CONTENT]);
  return zipFiles(path.join(dir, 'src'), path.join(dir, name), files);
}

describeWithZip('intunewin: Detection.xml metadata', () => {
  test('an MSI setup: name, sizes, tool version and every MsiInfo field; FileDigest but no key', async () => {
    const file = await buildIntunewin('factory.intunewin', detectionXml({ msi: true }));
    const metadata = await readIntunewin(file);
    expect(metadata).toEqual({
      Name: 'Contoso Factory CLI',
      UnencryptedContentSize: String(CONTENT.length),
      FileName: 'IntunePackage.intunewin',
      SetupFile: 'contoso-factory-2.51.0.msi',
      ToolVersion: '1.8.6.0',
      Encryption: { ProfileIdentifier: 'ProfileVersion1', FileDigest: FILE_DIGEST, FileDigestAlgorithm: 'SHA256' },
      MsiInfo: [
        ['MsiProductCode', '{89E4C65D-96DD-435B-9BBB-EF1EAEF5B738}'],
        ['MsiProductVersion', '2.51.0'],
        ['MsiPackageCode', '{A721702D-9A23-499F-B48C-5166F83333C6}'],
        ['MsiUpgradeCode', '{DFF82AF0-3F95-4AC9-8EFD-948604FDB028}'],
        ['MsiExecutionContext', 'System'],
        ['MsiRequiresLogon', 'false'],
        ['MsiRequiresReboot', 'false'],
        ['MsiIsMachineInstall', 'true'],
        ['MsiIsUserInstall', 'false'],
        ['MsiIncludesServices', 'false'],
        ['MsiIncludesODBCDataSource', 'false'],
        ['MsiContainsSystemRegistryKeys', 'true'],
        ['MsiContainsSystemFolders', 'false'],
        ['MsiPublisher', 'Contoso & Sons'],
      ],
      Contents: { entry: 'IntuneWinPackage/Contents/IntunePackage.intunewin', size: 48 + CONTENT.length },
    });
    expectNoSecret(JSON.stringify(metadata));
  });

  test('the catalogued component: generic purl with the content checksum, MSI version and publisher', async () => {
    const file = await buildIntunewin('factory.intunewin', detectionXml({ msi: true }));
    const { component, notes } = await catalogIntunewin(file, 'out/factory.intunewin');
    const digestHex = createHash('sha256').update(CONTENT).digest('hex');
    expect(component).toMatchObject({
      ref: `pkg:generic/Contoso%20Factory%20CLI@2.51.0?checksum=sha256:${digestHex}`,
      type: 'application',
      ecosystem: 'windows',
      name: 'Contoso Factory CLI',
      version: '2.51.0',
      supplier: { name: 'Contoso & Sons' },
    });
    expect(component.hashes.get('SHA-256')).toBe(
      createHash('sha256')
        .update(await readFile(file))
        .digest('hex'),
    );
    expect(canonicalPurl(component.ref)).toBe(component.ref);
    expect(component.properties).toEqual(
      expect.arrayContaining([
        ['packaging-factory:source', 'out/factory.intunewin'],
        ['packaging-factory:windows:MsiProductCode', '{89E4C65D-96DD-435B-9BBB-EF1EAEF5B738}'],
        ['packaging-factory:windows:MsiUpgradeCode', '{DFF82AF0-3F95-4AC9-8EFD-948604FDB028}'],
        ['packaging-factory:windows:SetupFile', 'contoso-factory-2.51.0.msi'],
        ['packaging-factory:windows:ToolVersion', '1.8.6.0'],
        ['packaging-factory:windows:FileDigest', FILE_DIGEST],
        ['packaging-factory:windows:EncryptedContentSize', String(48 + CONTENT.length)],
      ]),
    );
    expect(notes).toEqual(['out/factory.intunewin: the setup files are encrypted; catalogued from Detection.xml only']);
  });

  test('planted keys appear nowhere: not in the component, the notes, the CycloneDX document, nor errors', async () => {
    for (const msi of [true, false]) {
      const file = await buildIntunewin(`keys-${msi}.intunewin`, detectionXml({ msi }));
      // Make sure the secrets really are in the input, so the check below can fail.
      const raw = await readFile(path.join(path.dirname(file), 'src/IntuneWinPackage/Metadata/Detection.xml'), 'utf8');
      expect(raw).toContain(SECRETS.EncryptionKey);
      const output = await intunewinCataloger.catalog(
        { file, shown: 'keys.intunewin' },
        { exec: undefined as never, workDir: path.dirname(file) },
      );
      const component = output.components[0];
      if (component === undefined) throw new Error('no component');
      expectNoSecret(dump(component));
      expectNoSecret(JSON.stringify(output.notes));
      expectNoSecret(await renderCycloneDxJson({ components: output.components, sources: [] }));
    }
    // A damaged Detection.xml fails without quoting its content (keys included).
    const broken = await buildIntunewin('broken.intunewin', detectionXml({ msi: true }).replace('</EncryptionInfo>', ''));
    const error = await factoryError(() => catalogIntunewin(broken, 'broken.intunewin'));
    expect(error.code).toBe('ARCHIVE_CORRUPT');
    expectNoSecret(JSON.stringify({ message: error.message, hint: error.hint, subject: error.subject }));
  });

  test('an EXE setup: no version, the checksum keeps two setup.exe packages apart; a UTF-8 BOM is fine', async () => {
    const file = await buildIntunewin(
      'exe.intunewin',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(detectionXml({ msi: false }))]),
    );
    const { component } = await catalogIntunewin(file, 'exe.intunewin');
    expect(component.version).toBeUndefined();
    expect(component.supplier).toBeUndefined();
    expect(component.ref).toBe(`pkg:generic/setup.exe?checksum=sha256:${createHash('sha256').update(CONTENT).digest('hex')}`);
    expect(component.properties.some(([n]) => n.startsWith('packaging-factory:windows:Msi'))).toBe(false);
  });

  test('missing encrypted content is a note; missing Detection.xml, a wrong root or a path in FileName are ARCHIVE_CORRUPT', async () => {
    const noContents = await buildIntunewin('nocontents.intunewin', detectionXml({ msi: true }), false);
    expect((await catalogIntunewin(noContents, 'nocontents.intunewin')).notes).toContain(
      'nocontents.intunewin: the encrypted content IntunePackage.intunewin is missing',
    );

    const dir = await tempDir('apps-zip-intunewin-');
    dirs.push(dir);
    const noDetection = await zipFiles(path.join(dir, 'src'), path.join(dir, 'none.intunewin'), {
      'IntuneWinPackage/Contents/IntunePackage.intunewin': 'x',
    });
    expect((await factoryError(() => readIntunewin(noDetection))).message).toContain('has no IntuneWinPackage/Metadata/Detection.xml');

    const wrongRoot = await buildIntunewin('root.intunewin', '<Application><Name>x</Name></Application>');
    expect((await factoryError(() => readIntunewin(wrongRoot))).message).toContain('not <ApplicationInfo>');

    const climbing = await buildIntunewin(
      'climb.intunewin',
      detectionXml({ msi: true }).replace('<FileName>IntunePackage.intunewin', '<FileName>../../evil'),
    );
    expect((await factoryError(() => readIntunewin(climbing))).code).toBe('ARCHIVE_CORRUPT');
  });

  test('the cataloger claims .intunewin ZIPs, and explicit ZIPs whose first entry is under IntuneWinPackage/', async () => {
    const file = await buildIntunewin('claim.intunewin', detectionXml({ msi: true }));
    const head = (await readFile(file)).subarray(0, 512);
    const c = { path: file, name: 'claim.intunewin', relative: 'claim.intunewin', head, explicit: false };
    expect(intunewinCataloger.matches(c)).toBe(true);
    expect(intunewinCataloger.matches({ ...c, name: 'claim.zip' })).toBe(false);
    expect(intunewinCataloger.matches({ ...c, name: 'claim.zip', explicit: true })).toBe(true);
    expect(intunewinCataloger.matches({ ...c, head: Buffer.from('<ApplicationInfo>') })).toBe(false);
  });
});
