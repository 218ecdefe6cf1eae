import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { StageOutcome } from '@packaging-factory/core';
import { CATALOGERS, expandSbomInputs } from '@packaging-factory/sbom';
import { sbomStageRunner } from './sbom-stage-runner.ts';
import { DEB_FIXTURES, describeWithDpkg } from '../formats/deb-tools.ts';

const HELLO = path.join(DEB_FIXTURES, 'deb/hello_2.10-3_amd64.deb');
const NPM_LOCK = path.resolve('../shared/fixtures/package-inventory/osv-scanner-v1/fixtures/npm/one-package.v2.json');

const { work, generate, cleanup } = sbomStageRunner('sbom-walk-');
afterAll(cleanup);

interface Bom {
  components: { purl?: string; properties?: { name: string; value: string }[] }[];
}

async function purlsOf(outcome: StageOutcome): Promise<string[]> {
  const bom = JSON.parse(await readFile(outcome.result!.outputValues['sbom']!, 'utf8')) as Bom;
  return bom.components.map((c) => c.purl ?? '').filter((p) => p !== '');
}

describe('the directory walk', () => {
  it('skips VCS metadata and node_modules, and does not follow symlinks', async () => {
    const dir = await work();
    await mkdir(path.join(dir, 'app/node_modules/x'), { recursive: true });
    await mkdir(path.join(dir, '.git'), { recursive: true });
    await copyFile(NPM_LOCK, path.join(dir, 'app/package-lock.json'));
    await copyFile(NPM_LOCK, path.join(dir, 'app/node_modules/x/package-lock.json'));
    await copyFile(NPM_LOCK, path.join(dir, '.git/package-lock.json'));
    execFileSync('ln', ['-s', path.join(dir, 'app'), path.join(dir, 'link')]);
    const found = await expandSbomInputs([dir], dir, CATALOGERS);
    expect(found.map((f) => [path.relative(dir, f.file), f.cataloger.kind, f.explicit])).toEqual([
      ['app/package-lock.json', 'npm-lockfile', false],
    ]);
  });

  it('names an explicit file no cataloger reads, listing what is supported', async () => {
    const dir = await work();
    await writeFile(path.join(dir, 'notes.md'), 'hello');
    await expect(expandSbomInputs(['notes.md'], dir, CATALOGERS)).rejects.toMatchObject({
      code: 'SBOM_UNSUPPORTED_FORMAT',
      subject: path.join(dir, 'notes.md'),
      hint: expect.stringMatching(/reads \.deb, .*package-lock\.json/) as unknown,
    });
  });
});

describeWithDpkg('archives and unreadable files', () => {
  it('opens a tar.gz and a zip and catalogues what they hold, naming where it was found', async () => {
    const dir = await work();
    const staging = path.join(dir, 'staging');
    await mkdir(path.join(staging, 'inner'), { recursive: true });
    await copyFile(HELLO, path.join(staging, 'inner/hello_2.10-3_amd64.deb'));
    await copyFile(NPM_LOCK, path.join(staging, 'package-lock.json'));
    execFileSync('tar', ['-czf', path.join(dir, 'release.tar.gz'), '-C', staging, '.']);
    execFileSync('python3', [
      '-c',
      'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], "w")\nz.write(sys.argv[2], "debs/hello.deb")\nz.close()',
      path.join(dir, 'bundle.zip'),
      HELLO,
    ]);
    await rm(staging, { recursive: true });
    const outcome = await generate({ paths: dir }, dir);
    expect(outcome.error).toBeUndefined();
    const purls = await purlsOf(outcome);
    expect(purls).toContain('pkg:deb/debian/hello@2.10-3?arch=amd64');
    expect(purls.some((p) => p.startsWith('pkg:npm/'))).toBe(true);
    const sources = outcome.result!.summary;
    expect(sources).toContain('release.tar.gz:inner/hello_2.10-3_amd64.deb');
    expect(sources).toContain('bundle.zip:debs/hello.deb');
    expect(sources).toContain('release.tar.gz:package-lock.json');
  });

  it('refuses a zip whose entry climbs out, even when found by a walk', async () => {
    const dir = await work();
    execFileSync('python3', [
      '-c',
      'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], "w")\nz.writestr("../../evil.deb", "x")\nz.close()',
      path.join(dir, 'evil.zip'),
    ]);
    const outcome = await generate({ paths: dir }, dir);
    expect(outcome.error).toMatchObject({ code: 'ARCHIVE_UNSAFE' });
  });

  it('fails SBOM_INCOMPLETE on a package found by a walk that cannot be read, and lists it under on-unreadable: warn', async () => {
    const dir = await work();
    const bytes = await readFile(HELLO);
    await mkdir(path.join(dir, 'pool'));
    await writeFile(path.join(dir, 'pool/broken_1.0_amd64.deb'), bytes.subarray(0, 2000));
    await copyFile(HELLO, path.join(dir, 'pool/hello_2.10-3_amd64.deb'));
    const failed = await generate({ paths: dir, output: path.join(dir, 'out/fail.cdx.json') }, dir);
    expect(failed.record.status).toBe('failed');
    expect(failed.result?.errors?.[0]?.code).toBe('SBOM_INCOMPLETE');
    expect(failed.result?.summary).toContain('pool/broken_1.0_amd64.deb');
    await expect(readFile(path.join(dir, 'out/fail.cdx.json'))).rejects.toThrow(/ENOENT/);

    const warned = await generate({ paths: dir, 'on-unreadable': 'warn', output: path.join(dir, 'out/warn.cdx.json') }, dir);
    expect(warned.error).toBeUndefined();
    expect(warned.record.status).toBe('passed');
    expect(await purlsOf(warned)).toContain('pkg:deb/debian/hello@2.10-3?arch=amd64');
    expect(warned.result?.summary).toMatch(/\| pool\/broken_1\.0_amd64\.deb \| ARCHIVE_CORRUPT/);
    expect((warned.record.details as { unreadable: unknown[] }).unreadable).toHaveLength(1);
  });
});
