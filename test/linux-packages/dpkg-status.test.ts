import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ExecRunner, MemoryLogger } from '@packaging-factory/core';
import { debCopyrightLicenses, parseDpkgStatus, readDebCopyrightLicenses } from '@packaging-factory/formats';
import {
  catalogDpkgStatus,
  dpkgStatusCataloger,
  expandSbomInputs,
  findDistroRelease,
  linuxCatalogers,
  type SbomComponent,
} from '@packaging-factory/sbom';
import { tempDir } from '../support/context.ts';
import { BINARY_PACKAGES, fixtureLine, INVENTORY, requireTool, run } from './linux-tools.ts';

/**
 * dpkg status databases. osv-scanner's cases use vulnerability-inventory semantics (one entry per
 * installed package named by its SOURCE package and version), so they are compared through the
 * source-name/source-version properties we record; syft's cases are raw status records, compared
 * field by field. The host's own /var/lib/dpkg/status is checked against dpkg-query.
 */

interface OsvCase {
  id: string;
  format: string;
  fixture: string;
  expected_packages: { name: string; version: string }[];
}
interface SyftDpkgRecord {
  Package: string;
  Version: string;
  Source?: string;
  Architecture: string;
  InstalledSize?: number;
  Maintainer?: string;
  Depends?: string[];
  Provides?: string[];
}

const osvCases = (
  JSON.parse(await readFile(path.join(INVENTORY, 'osv-scanner-v1/cases.json'), 'utf8')) as { cases: OsvCase[] }
).cases.filter((c) => c.id.startsWith('dpkg-status/'));
const syftCases = (
  JSON.parse(await readFile(path.join(INVENTORY, 'syft/cases.json'), 'utf8')) as {
    cases: { id: string; fixture: string; expected_packages: SyftDpkgRecord[] }[];
  }
).cases.filter((c) => c.id.startsWith('parse_dpkg_db/'));

/**
 * Cases that cannot pass, with the reason. osv-scanner reports a paragraph with no Package field
 * under its Source name; an SBOM component needs the binary package's name, so such a paragraph is
 * reported in the notes instead (asserted below).
 */
const OSV_SKIPS: Record<string, string> = {
  'dpkg-status/TestParseDpkgStatus_Malformed':
    'util-linux comes from a paragraph with no Package field: no binary name, so noted, not listed',
};

const tally = { osv: { passed: 0, total: 0 }, syft: { passed: 0, total: 0 }, copyright: { passed: 0, total: 0 } };
afterAll(() => {
  console.log(fixtureLine('package-inventory/osv-scanner-v1 dpkg-status', tally.osv.passed, tally.osv.total));
  console.log(fixtureLine('package-inventory/syft dpkg', tally.syft.passed, tally.syft.total));
  console.log(fixtureLine('binary-packages/deb copyright licenses', tally.copyright.passed, tally.copyright.total));
  expect(tally.osv).toEqual({ passed: 4, total: 5 });
  expect(tally.syft).toEqual({ passed: 4, total: 4 });
  if (dpkgAvailable) expect(tally.copyright).toEqual({ passed: 2, total: 3 });
});

const prop = (c: SbomComponent | undefined, name: string): string | undefined =>
  c?.properties.find(([n]) => n === `packaging-factory:deb:${name}`)?.[1];

describe('dpkg status against osv-scanner v1.9.2 (source-package semantics)', () => {
  it.each(osvCases)('$id', async (testCase) => {
    tally.osv.total += 1;
    const file = path.join(INVENTORY, 'osv-scanner-v1', testCase.fixture);
    const out = await catalogDpkgStatus(await readFile(file, 'utf8'), { source: testCase.fixture });
    const ours = out.components.map((c) => `${prop(c, 'source-name')}@${prop(c, 'source-version') ?? ''}`).sort();
    const wanted = testCase.expected_packages.map((p) => `${p.name}@${p.version}`).sort();
    const skip = OSV_SKIPS[testCase.id];
    if (skip !== undefined) {
      // What we do instead: every other package matches, and the nameless paragraph is noted.
      expect(ours).toEqual(wanted.filter((w) => !w.startsWith('util-linux@')));
      expect(out.notes.some((n) => n.includes('no Package field') && n.includes('util-linux 2.36.1-8+deb11u1'))).toBe(true);
      console.log(`SKIP ${testCase.id}: ${skip}`);
      return;
    }
    expect(ours).toEqual(wanted);
    tally.osv.passed += 1;
  });
});

describe('dpkg status against syft (binary package records)', () => {
  it.each(syftCases)('$id', async (testCase) => {
    tally.syft.total += 1;
    const file = path.join(INVENTORY, 'syft', testCase.fixture);
    const out = await catalogDpkgStatus(await readFile(file, 'utf8'), { source: testCase.fixture });
    expect(out.components.map((c) => c.name).sort()).toEqual(testCase.expected_packages.map((p) => p.Package).sort());
    for (const wanted of testCase.expected_packages) {
      const c = out.components.find((x) => x.name === wanted.Package);
      expect(c?.version).toBe(wanted.Version);
      expect(prop(c, 'Architecture')).toBe(wanted.Architecture);
      expect(prop(c, 'source-name')).toBe(wanted.Source ?? wanted.Package);
      if (wanted.Maintainer !== undefined) expect(prop(c, 'Maintainer')).toBe(wanted.Maintainer);
      if (wanted.InstalledSize !== undefined) {
        // Kept as written; syft reads a unit suffix with go-humanize ('4KB' = 4000).
        const written = prop(c, 'Installed-Size') ?? '';
        const unit = /^(\d+)\s*KB$/i.exec(written);
        expect(unit === null ? Number(written) : Number(unit[1]) * 1000).toBe(wanted.InstalledSize);
      }
      const list = (name: string): string[] =>
        (prop(c, name) ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      if (wanted.Depends !== undefined) expect(list('Depends')).toEqual(wanted.Depends);
      if (wanted.Provides !== undefined) expect(list('Provides')).toEqual(wanted.Provides);
    }
    tally.syft.passed += 1;
  });

  it('notes the entries it leaves out (config-files only)', async () => {
    const file = path.join(INVENTORY, 'syft/fixtures/debian/testdata/var/lib/dpkg/status.d/deinstall');
    const out = await catalogDpkgStatus(await readFile(file, 'utf8'), { source: 'deinstall' });
    expect(out.notes).toContain('deinstall: linux-image-6.8.0-1029-aws is not installed (deinstall ok config-files); not listed');
    expect(out.components[0]?.purl).toBe(
      'pkg:deb/debian/linux-image-6.14.0-1012-aws@6.14.0-1012.12~24.04.1?arch=amd64&upstream=linux-signed-aws-6.14',
    );
  });
});

const dpkgAvailable = (await requireTool('dpkg-deb', 'dpkg')) && (await requireTool('dpkg-query', 'dpkg'));

describe('DEP-5 copyright licenses', () => {
  it('reads License short names from a machine-readable copyright file and nothing from free text', () => {
    const text = [
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
      'Upstream-Name: thing',
      '',
      'Files: *',
      'Copyright: 2020 Someone',
      'License: GPL-2+ or Artistic',
      '',
      'Files: debian/*',
      'Copyright: 2021 Packager',
      'License: MIT',
      '',
      'License: MIT',
      ' Permission is hereby granted...',
      '',
    ].join('\n');
    expect(debCopyrightLicenses(text)).toEqual(['GPL-2+ or Artistic', 'MIT']);
    expect(debCopyrightLicenses('This package was debianized by someone.\nLicense: GPL\n')).toEqual([]);
  });

  const expectedLicenses: Record<string, string[] | { skip: string }> = {
    'deb/zlib1g_1.2.13.dfsg-1_amd64.deb': ['Zlib'],
    'deb/libpam-runtime_1.5.2-6+deb12u2_all.deb': [
      'BSD-3-clause or GPL',
      'GPL-2',
      'GPL-2+',
      'GPL-3',
      'GPL-3+ with Bison exception',
      'BSD-tcp_wrappers',
      'LGPL-2+',
      'public-domain',
      'Beerware',
    ],
    // The fixture README says GPL-3+, but hello's copyright file is free text (no DEP-5 Format):
    // nothing machine-readable to take it from.
    'deb/hello_2.10-3_amd64.deb': { skip: 'free-text copyright file (not DEP-5)' },
  };

  (dpkgAvailable ? it.each : it.skip.each)(Object.keys(expectedLicenses))(
    '%s: licenses from the package’s own copyright file',
    async (file) => {
      tally.copyright.total += 1;
      const name = path.basename(file).split('_')[0] as string;
      const licenses = await readDebCopyrightLicenses(path.join(BINARY_PACKAGES, file), name, new ExecRunner(new MemoryLogger()));
      const wanted = expectedLicenses[file];
      if (wanted !== undefined && 'skip' in wanted) {
        expect(licenses).toEqual([]);
        console.log(`SKIP ${file}: ${wanted.skip}`);
        return;
      }
      for (const license of wanted as string[]) expect(licenses).toContain(license);
      tally.copyright.passed += 1;
    },
  );
});

(dpkgAvailable ? describe : describe.skip)('the host’s dpkg database against dpkg-query', () => {
  it('lists exactly the installed packages dpkg-query lists, with source names and versions', async () => {
    const { stdout } = await run(
      'dpkg-query',
      ['-W', '-f', '${db:Status-Abbrev}|${Package}|${Architecture}|${Version}|${source:Package}|${source:Version}\\n'],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    const theirs = stdout
      .split('\n')
      .filter((l) => /^[ih]i/.test(l))
      .map((l) => l.split('|').slice(1).join('|'))
      .sort();
    const out = await catalogDpkgStatus(await readFile('/var/lib/dpkg/status', 'utf8'), { source: '/var/lib/dpkg/status', root: '/' });
    const ours = out.components
      .map((c) => [c.name, prop(c, 'Architecture'), c.version, prop(c, 'source-name'), prop(c, 'source-version')].join('|'))
      .sort();
    expect(theirs.length).toBeGreaterThan(50);
    expect(ours).toEqual(theirs);
    // Every Depends of an installed system is satisfied on it, bar virtual/optional oddities.
    const linked = out.components.filter((c) => c.dependsOn.size > 0).length;
    expect(linked).toBeGreaterThan(theirs.length / 2);
    // Licenses come from the DEP-5 copyright files under /usr/share/doc.
    expect(out.components.filter((c) => c.licenses.length > 0).length).toBeGreaterThan(10);
  });
});

describe('a root filesystem with os-release, status, status.d and copyright files', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir('dpkg-root-');
    await mkdir(path.join(root, 'etc'), { recursive: true });
    await writeFile(path.join(root, 'etc/os-release'), 'NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\nVERSION_CODENAME=jammy\n');
    await mkdir(path.join(root, 'var/lib/dpkg/status.d'), { recursive: true });
    const status = [
      'Package: app',
      'Status: install ok installed',
      'Architecture: amd64',
      'Version: 1.0-1',
      'Source: app-src (1.0-0.1)',
      'Maintainer: App Maintainers <app@example.org>',
      'Depends: libfoo (>= 1) | libbar, virtual-thing, missing-pkg (>= 2)',
      'Pre-Depends: libc6:any',
      'Description: the application',
      ' More text.',
      '',
      'Package: libbar',
      'Status: install ok installed',
      'Architecture: amd64',
      'Version: 2.0',
      'Section: libs',
      '',
      'Package: libfoo',
      'Status: deinstall ok config-files',
      'Architecture: amd64',
      'Version: 1.5',
      '',
      'Package: provider',
      'Status: hold ok installed',
      'Architecture: all',
      'Version: 3',
      'Provides: virtual-thing',
      '',
      'Package: libc6',
      'Status: install ok installed',
      'Architecture: amd64',
      'Version: 2.35-0ubuntu3',
      'Source: glibc',
      '',
    ].join('\n');
    await writeFile(path.join(root, 'var/lib/dpkg/status'), status);
    await writeFile(path.join(root, 'var/lib/dpkg/status.d/extra'), 'Package: extra\nVersion: 9\nArchitecture: amd64\n');
    await writeFile(path.join(root, 'var/lib/dpkg/status.d/extra.md5sums'), 'd41d8cd98f00b204e9800998ecf8427e  usr/bin/extra\n');
    await mkdir(path.join(root, 'usr/share/doc/app'), { recursive: true });
    await writeFile(
      path.join(root, 'usr/share/doc/app/copyright'),
      'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: 2024 A\nLicense: Apache-2.0\n',
    );
    // A doc directory that is an absolute symlink: resolved inside the root.
    await symlink('/usr/share/doc/app', path.join(root, 'usr/share/doc/libbar'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is walked: status and status.d entries matched, md5sums not', async () => {
    const found = await expandSbomInputs([root], root, linuxCatalogers, { distroOf: findDistroRelease });
    expect(found.map((f) => [path.relative(root, f.file), f.cataloger.kind, f.distro?.qualifier])).toEqual([
      ['var/lib/dpkg/status', 'dpkg-status', 'ubuntu-22.04'],
      ['var/lib/dpkg/status.d/extra', 'dpkg-status', 'ubuntu-22.04'],
    ]);
  });

  it('lists installed packages with the distro qualifier, source properties, licenses and dependencies', async () => {
    const distro = await findDistroRelease(root);
    expect(distro?.qualifier).toBe('ubuntu-22.04');
    const file = path.join(root, 'var/lib/dpkg/status');
    const out = await dpkgStatusCataloger.catalog(
      { file, shown: 'rootfs/var/lib/dpkg/status' },
      { exec: new ExecRunner(new MemoryLogger()), workDir: root, root, ...(distro === undefined ? {} : { distro }) },
    );
    const byName = new Map(out.components.map((c) => [c.name, c]));
    expect([...byName.keys()].sort()).toEqual(['app', 'libbar', 'libc6', 'provider']);
    const app = byName.get('app');
    expect(app?.purl).toBe('pkg:deb/ubuntu/app@1.0-1?arch=amd64&distro=ubuntu-22.04&upstream=app-src%401.0-0.1');
    expect(prop(app, 'source-name')).toBe('app-src');
    expect(prop(app, 'source-version')).toBe('1.0-0.1');
    expect(app?.description).toBe('the application');
    expect(app?.supplier).toEqual({ name: 'App Maintainers', email: 'app@example.org' });
    expect(app?.licenses).toEqual(['Apache-2.0']);
    expect(byName.get('libbar')?.licenses).toEqual(['Apache-2.0']);
    expect(byName.get('libbar')?.type).toBe('library');
    // 'libfoo | libbar': libfoo is only config-files, so libbar; virtual-thing through Provides.
    expect([...(app?.dependsOn ?? [])].sort()).toEqual(
      [byName.get('libbar')?.ref, byName.get('libc6')?.ref, byName.get('provider')?.ref].sort(),
    );
    expect(prop(app, 'depends-unresolved')).toBe('missing-pkg (>= 2)');
    expect(byName.get('libc6')?.purl).toBe('pkg:deb/ubuntu/libc6@2.35-0ubuntu3?arch=amd64&distro=ubuntu-22.04&upstream=glibc');
    expect(out.notes).toContain('rootfs/var/lib/dpkg/status: libfoo is not installed (deinstall ok config-files); not listed');
    const refs = out.components.map((c) => c.ref);
    expect(refs).toEqual([...refs].sort());
  });

  it('keeps a damaged file readable: bad lines and fields are noted, not fatal', () => {
    const parsed = parseDpkgStatus('garbage line\nPackage: ok\nVersion: 1\nDepends: (((\nStatus: install ok installed\n', 'damaged');
    expect(parsed.entries).toHaveLength(1);
    expect(parsed.entries[0]?.depends).toEqual([]);
    expect(parsed.notes.join('\n')).toMatch(/garbage line/);
    expect(parsed.notes.join('\n')).toMatch(/Depends field cannot be parsed/);
  });
});
