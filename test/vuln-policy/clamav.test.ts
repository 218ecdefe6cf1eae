import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isFactoryError, type StageContext } from '@packaging-factory/core';
import { scanForMalware } from '@packaging-factory/vuln';
import { makeTestSession, type TestSession } from '../support/context.ts';

const TOOLS = ['clamscan', 'sigtool', 'dpkg-deb', 'bsdtar', 'rpmbuild'];
const missing = TOOLS.filter((tool) => {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
});

/**
 * The EICAR anti-virus test file (https://www.eicar.org/download-anti-malware-testfile/), assembled
 * at run time so the repository never holds the string itself.
 */
function eicar(): Buffer {
  const parts = ['X5O!P%@AP[4\\PZX54(P^)7CC)7}$', 'EICAR-STANDARD-', 'ANTIVIRUS-TEST-', 'FILE!$H+H*'];
  return Buffer.from(parts.join(''), 'latin1');
}

if (missing.length > 0 && process.env['CI'] === undefined) {
  describe('ClamAV malware step', () => {
    test.skip(`skipped: ${missing.join(', ')} not installed (apt-get install clamav libarchive-tools dpkg-dev rpm)`, () => {});
  });
} else {
  describe('ClamAV malware step', () => {
    let session: TestSession;
    let ctx: StageContext;
    let dir: string;
    let database: string;

    beforeAll(async () => {
      if (missing.length > 0) throw new Error(`CI must install ${missing.join(', ')} for the malware tests`);
      session = await makeTestSession();
      ctx = await session.contextFor('scan');
      dir = session.dir;
      // An EICAR hash signature made by ClamAV's own sigtool, in a database of our own (freshclam needs the network).
      database = path.join(dir, 'clamav-db');
      await mkdir(database);
      await writeFile(path.join(dir, 'eicar.com'), eicar());
      const signature = execFileSync('sigtool', ['--md5', 'eicar.com'], { cwd: dir, encoding: 'utf8' });
      await writeFile(path.join(database, 'test.hdb'), signature);
    });
    afterAll(async () => {
      await session?.cleanup();
    });

    async function buildDeb(name: string, files: Record<string, Buffer | string>): Promise<string> {
      const root = path.join(dir, `${name}-root`);
      await mkdir(path.join(root, 'DEBIAN'), { recursive: true });
      await writeFile(
        path.join(root, 'DEBIAN', 'control'),
        `Package: ${name}\nVersion: 1.0\nArchitecture: all\nMaintainer: Test <test@example.com>\nDescription: malware step test\n`,
      );
      for (const [file, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(root, file)), { recursive: true });
        // dpkg-deb refuses maintainer scripts that are not executable.
        await writeFile(path.join(root, file), content, { mode: file.startsWith('DEBIAN/') ? 0o755 : 0o644 });
      }
      const deb = path.join(dir, `${name}_1.0_all.deb`);
      execFileSync('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, deb], { stdio: 'ignore' });
      return deb;
    }

    async function buildRpm(name: string, post?: string): Promise<string> {
      const top = path.join(dir, `rpm-${name}`);
      await mkdir(path.join(top, 'SOURCES'), { recursive: true });
      await mkdir(path.join(top, 'SPECS'), { recursive: true });
      await writeFile(path.join(top, 'SOURCES', 'eicar.com'), eicar());
      const spec = path.join(top, 'SPECS', `${name}.spec`);
      await writeFile(
        spec,
        [
          `Name: ${name}`,
          'Version: 1.0',
          'Release: 1',
          'Summary: malware step test',
          'License: MIT',
          'BuildArch: noarch',
          '%description',
          'malware step test',
          '%install',
          'mkdir -p %{buildroot}/usr/share/eicar',
          'cp %{_sourcedir}/eicar.com %{buildroot}/usr/share/eicar/eicar.com',
          ...(post !== undefined ? ['%post', post] : []),
          '%files',
          '/usr/share/eicar/eicar.com',
          '',
        ].join('\n'),
      );
      execFileSync('rpmbuild', ['--define', `_topdir ${top}`, '-bb', spec], { stdio: 'ignore' });
      const rpm = path.join(top, 'RPMS', 'noarch', `${name}-1.0-1.noarch.rpm`);
      if (!existsSync(rpm)) throw new Error(`rpmbuild did not write ${rpm}`);
      return rpm;
    }

    test('ClamAV alone does not see inside a .deb: the reason packages are unpacked first', async () => {
      const deb = await buildDeb('eicar-hidden', { 'usr/share/eicar/eicar.com': eicar() });
      const direct = await ctx.exec.run('clamscan', ['--no-summary', '--stdout', `--database=${database}`, deb], { okExitCodes: [0, 1] });
      expect(direct.exitCode).toBe(0);
    });

    test('a .deb carrying the EICAR file is infected, naming the member and the signature', async () => {
      const deb = await buildDeb('eicar-inside', {
        'usr/share/eicar/eicar.com': eicar(),
        'usr/share/doc/eicar-inside/README': 'clean text\n',
      });
      const report = await scanForMalware({ files: [deb], database }, ctx);
      expect(report).toMatchObject({ decision: 'infected', infected: 1, database: { path: database, files: ['test.hdb'] } });
      expect(report.files).toEqual([
        {
          file: deb,
          kind: 'deb',
          unpacked: true,
          status: 'infected',
          detections: [{ member: 'usr/share/eicar/eicar.com', signature: 'eicar.com.UNOFFICIAL' }],
          notes: [],
        },
      ]);
      expect(report.engine).toMatch(/^\d+\.\d+/);
    });

    test('a clean .deb and a clean file pass', async () => {
      const deb = await buildDeb('clean', { 'usr/bin/hello': '#!/bin/sh\necho hello\n' });
      const text = path.join(dir, 'notes.txt');
      await writeFile(text, 'nothing to see\n');
      const report = await scanForMalware({ files: [deb, text], database }, ctx);
      expect(report.decision).toBe('clean');
      expect(report.files.map((f) => `${path.basename(f.file)} ${f.kind} ${f.status}`)).toEqual([
        'clean_1.0_all.deb deb clean',
        'notes.txt file clean',
      ]);
    });

    test('an .rpm payload is unpacked with bsdtar and scanned', async () => {
      const rpm = await buildRpm('eicar-rpm');
      const report = await scanForMalware({ files: [rpm], database }, ctx);
      expect(report.files[0]).toMatchObject({
        kind: 'rpm',
        unpacked: true,
        status: 'infected',
        detections: [{ member: 'usr/share/eicar/eicar.com', signature: 'eicar.com.UNOFFICIAL' }],
      });
    });

    test('a file that is itself the EICAR file is reported as the file', async () => {
      const report = await scanForMalware({ files: [path.join(dir, 'eicar.com')], database }, ctx);
      expect(report.files[0]).toMatchObject({
        kind: 'file',
        status: 'infected',
        detections: [{ member: '.', signature: 'eicar.com.UNOFFICIAL' }],
      });
    });

    test('maintainer scripts are scanned too: .deb control members and .rpm scriptlets (a body signature)', async () => {
      // An .ndb body signature (ClamAV "Extended signatures": Name:TargetType:Offset:HexSignature) for
      // the EICAR string anywhere in any file, so it is found inside a larger shell script.
      const bodyDb = path.join(dir, 'clamav-body-db');
      await mkdir(bodyDb, { recursive: true });
      await writeFile(path.join(bodyDb, 'body.ndb'), `Eicar-Body-Test:0:*:${eicar().toString('hex')}\n`);
      const script = `#!/bin/sh\necho '${eicar().toString('latin1')}' > /dev/null\n`;
      const deb = await buildDeb('eicar-postinst', { 'usr/share/doc/eicar-postinst/README': 'clean\n' });
      const withScript = await buildDeb('eicar-script', { 'DEBIAN/postinst': script, 'usr/share/doc/eicar-script/README': 'clean\n' });
      const rpm = await buildRpm('eicar-scriptlet', `echo '${eicar().toString('latin1')}' > /dev/null`);
      const report = await scanForMalware({ files: [deb, withScript, rpm], database: bodyDb }, ctx);
      expect(report.files.map((f) => [path.basename(f.file), f.status, f.detections])).toEqual([
        ['eicar-postinst_1.0_all.deb', 'clean', []],
        ['eicar-script_1.0_all.deb', 'infected', [{ member: 'DEBIAN/postinst', signature: 'Eicar-Body-Test.UNOFFICIAL' }]],
        [
          'eicar-scriptlet-1.0-1.noarch.rpm',
          'infected',
          [
            // The RPM header keeps scriptlets as plain text, so the body signature also hits the
            // package file itself; the compressed payload is only seen once unpacked.
            { member: '.', signature: 'Eicar-Body-Test.UNOFFICIAL' },
            { member: '.rpm-scriptlets', signature: 'Eicar-Body-Test.UNOFFICIAL' },
            { member: 'usr/share/eicar/eicar.com', signature: 'Eicar-Body-Test.UNOFFICIAL' },
          ],
        ],
      ]);
    });

    test.each([
      ['no database configured', undefined, /no ClamAV signature database is configured/],
      ['a database path that does not exist', '/nonexistent/clamav', /is not a readable directory/],
      ['a database directory without signature files', 'allow-list-only', /holds no signature files/],
    ])('%s fails closed', async (_what, db, message) => {
      let database: string | undefined = db;
      if (db === 'allow-list-only') {
        database = path.join(dir, 'allow-list-only');
        await mkdir(database, { recursive: true });
        await writeFile(path.join(database, 'local.ign2'), 'Eicar-Test-Signature\n');
      }
      const error = await scanForMalware({ files: [path.join(dir, 'eicar.com')], database }, ctx).catch((e: unknown) => e);
      expect(isFactoryError(error) && error.code).toBe('SCAN_MALWARE_DB_UNAVAILABLE');
      expect(isFactoryError(error) && error.exitCode).toBe(2);
      expect((error as Error).message).toMatch(message);
    });
  });
}
