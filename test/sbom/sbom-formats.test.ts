import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCli } from '@packaging-factory/cli';
import { validateSbomFile } from '@packaging-factory/sbom';
import { sbomStageRunner } from './sbom-stage-runner.ts';
import { DEB_FIXTURES, describeWithDpkg, FIXTURES } from '../formats/deb-tools.ts';

const HELLO = path.join(DEB_FIXTURES, 'deb/hello_2.10-3_amd64.deb');
const SYFT = path.join(FIXTURES, 'package-inventory/syft/fixtures');

const { work, generate, cleanup } = sbomStageRunner('sbom-formats-');
afterAll(cleanup);

async function cli(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
    env: { PATH: process.env['PATH'] },
    cwd,
  });
  return { code, out, err };
}

interface Cdx {
  specVersion: string;
  components: { purl?: string }[];
}
interface Spdx {
  spdxVersion: string;
  documentNamespace: string;
  packages: { name: string; externalRefs?: { referenceType: string; referenceLocator: string }[] }[];
}

describeWithDpkg('SBOM formats', () => {
  it('writes CycloneDX and SPDX from the same catalogue, both schema-valid and byte-identical across runs', async () => {
    const dir = await work();
    await copyFile(HELLO, path.join(dir, 'hello_2.10-3_amd64.deb'));
    const first = await generate({ paths: 'hello_2.10-3_amd64.deb', format: 'both', output: 'a/sbom.cdx.json' }, dir);
    expect(first.error).toBeUndefined();
    const values = first.result!.outputValues;
    expect(values['cyclonedx']).toBe(path.join(dir, 'a/sbom.cdx.json'));
    expect(values['spdx']).toBe(path.join(dir, 'a/sbom.spdx.json'));
    expect(values['sbom']).toBe(values['cyclonedx']);
    expect(first.record.outputs.map((o) => o.name).sort()).toEqual(['sbom.cdx.json', 'sbom.spdx.json']);
    expect(await validateSbomFile(values['cyclonedx']!)).toEqual({ format: 'cyclonedx', specVersion: '1.6', errors: [] });
    expect(await validateSbomFile(values['spdx']!)).toEqual({ format: 'spdx', specVersion: '2.3', errors: [] });
    const cdx = JSON.parse(await readFile(values['cyclonedx']!, 'utf8')) as Cdx;
    const spdx = JSON.parse(await readFile(values['spdx']!, 'utf8')) as Spdx;
    const spdxPurls = spdx.packages.flatMap((p) =>
      (p.externalRefs ?? []).filter((r) => r.referenceType === 'purl').map((r) => r.referenceLocator),
    );
    expect(spdxPurls.sort()).toEqual(
      cdx.components
        .map((c) => c.purl)
        .filter((p): p is string => p !== undefined)
        .sort(),
    );
    expect(spdxPurls).toContain('pkg:deb/debian/hello@2.10-3?arch=amd64');

    const second = await generate({ paths: 'hello_2.10-3_amd64.deb', format: 'both', output: 'b/sbom.cdx.json' }, dir);
    expect(await readFile(second.result!.outputValues['spdx']!)).toEqual(await readFile(values['spdx']!));
    expect(await readFile(second.result!.outputValues['cyclonedx']!)).toEqual(await readFile(values['cyclonedx']!));
  });

  it('writes CycloneDX 1.5 on request, and SPDX alone', async () => {
    const dir = await work();
    const cdx15 = await generate({ paths: HELLO, 'cyclonedx-version': '1.5', output: 'x.cdx.json' }, dir);
    expect((JSON.parse(await readFile(path.join(dir, 'x.cdx.json'), 'utf8')) as Cdx).specVersion).toBe('1.5');
    expect((await validateSbomFile(path.join(dir, 'x.cdx.json'))).errors).toEqual([]);
    expect(cdx15.record.details).toMatchObject({ specVersion: '1.5' });
    const spdxOnly = await generate({ paths: HELLO, format: 'spdx-json' }, dir);
    expect(spdxOnly.result!.outputValues['sbom']).toBe(path.join(dir, 'factory-out/sbom.spdx.json'));
    expect(spdxOnly.result!.outputValues['cyclonedx']).toBe('');
    expect((JSON.parse(await readFile(path.join(dir, 'factory-out/sbom.spdx.json'), 'utf8')) as Spdx).spdxVersion).toBe('SPDX-2.3');
  });
});

describe('root filesystems', () => {
  it('gives OS packages the distro qualifier from the root os-release, and counts per ecosystem in the summary', async () => {
    const dir = await work();
    const debianRoot = path.join(dir, 'debian-root');
    await mkdir(path.join(debianRoot, 'etc'), { recursive: true });
    await mkdir(path.join(debianRoot, 'var/lib/dpkg/status.d'), { recursive: true });
    await writeFile(path.join(debianRoot, 'etc/os-release'), 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n');
    await copyFile(path.join(SYFT, 'debian/testdata/var/lib/dpkg/status.d/single'), path.join(debianRoot, 'var/lib/dpkg/status.d/single'));
    const alpineRoot = path.join(dir, 'alpine-root');
    await mkdir(path.join(alpineRoot, 'etc'), { recursive: true });
    await mkdir(path.join(alpineRoot, 'lib/apk/db'), { recursive: true });
    await writeFile(path.join(alpineRoot, 'etc/os-release'), 'ID=alpine\nVERSION_ID=3.18.4\n');
    await copyFile(path.join(SYFT, 'alpine/testdata/single'), path.join(alpineRoot, 'lib/apk/db/installed'));
    const outcome = await generate({ paths: 'debian-root\nalpine-root' }, dir);
    expect(outcome.error).toBeUndefined();
    const bom = JSON.parse(await readFile(outcome.result!.outputValues['sbom']!, 'utf8')) as Cdx;
    const purls = bom.components.map((c) => c.purl ?? '');
    const debs = purls.filter((p) => p.startsWith('pkg:deb/'));
    const apks = purls.filter((p) => p.startsWith('pkg:apk/'));
    expect(debs.length).toBeGreaterThan(0);
    expect(apks.length).toBeGreaterThan(0);
    for (const p of debs) expect(p).toContain('distro=debian-12');
    for (const p of apks) expect(p).toContain('distro=alpine-3.18.4');
    expect(outcome.result!.summary).toMatch(/\| Debian packages \| \d+ \|/);
    expect(outcome.result!.summary).toMatch(/\| Alpine packages \| \d+ \|/);
    expect(outcome.result!.summary).toContain('| License (as declared) | Packages |');
  });
});

describe('factory sbom validate', () => {
  it('exits 0 for valid documents, 1 for a schema failure, 2 for a file that is no SBOM', async () => {
    const dir = await work();
    const lock = path.join(FIXTURES, 'package-inventory/osv-scanner-v1/fixtures/npm/one-package.v2.json');
    const made = await generate({ paths: lock, format: 'both', output: 'sbom.cdx.json' }, dir);
    expect(made.error).toBeUndefined();
    const ok = await cli(['sbom', 'validate', 'sbom.cdx.json', 'sbom.spdx.json'], dir);
    expect(ok).toMatchObject({ code: 0 });
    expect(ok.out).toContain('sbom.cdx.json: valid CycloneDX 1.6');
    expect(ok.out).toContain('sbom.spdx.json: valid SPDX 2.3');

    const spdx = JSON.parse(await readFile(path.join(dir, 'sbom.spdx.json'), 'utf8')) as Record<string, unknown>;
    delete spdx['creationInfo'];
    await writeFile(path.join(dir, 'broken.spdx.json'), JSON.stringify(spdx));
    const broken = await cli(['sbom', 'validate', 'broken.spdx.json'], dir);
    expect(broken.code).toBe(1);
    expect(broken.out).toMatch(/broken\.spdx\.json: INVALID SPDX 2\.3[\s\S]*creationInfo/);

    await writeFile(path.join(dir, 'other.json'), '{"hello": "world"}');
    const other = await cli(['sbom', 'validate', 'other.json'], dir);
    expect(other.code).toBe(2);
    expect(other.err).toContain('other.json');
    expect((await cli(['sbom', 'validate'], dir)).code).toBe(2);
  });
});
