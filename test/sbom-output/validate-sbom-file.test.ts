import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FactoryError } from '@packaging-factory/core';
import { validateSbomFile } from '@packaging-factory/sbom';
import { tempDir } from '../support/context.ts';

let dir: string;
beforeAll(async () => {
  dir = await tempDir('sbom-validate-');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fileWith(name: string, content: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return file;
}

describe('validateSbomFile', () => {
  it('recognises CycloneDX 1.5 and 1.6 and SPDX 2.3, and returns schema errors rather than throwing', async () => {
    const cdx15 = await fileWith('a.cdx.json', JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1 }));
    expect(await validateSbomFile(cdx15)).toEqual({ format: 'cyclonedx', specVersion: '1.5', errors: [] });
    const cdx16 = await fileWith(
      'b.cdx.json',
      JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components: [{ type: 'bogus', name: 'x' }] }),
    );
    const result = await validateSbomFile(cdx16);
    expect(result.format).toBe('cyclonedx');
    expect(result.errors.join('\n')).toMatch(/\/components\/0\/type/);
    const spdx = await fileWith(
      'c.spdx.json',
      JSON.stringify({
        spdxVersion: 'SPDX-2.3',
        SPDXID: 'SPDXRef-DOCUMENT',
        name: 'x',
        dataLicense: 'CC0-1.0',
        creationInfo: { created: '1970-01-01T00:00:00Z', creators: ['Tool: t'] },
        bogus: 1,
      }),
    );
    expect(await validateSbomFile(spdx)).toEqual({
      format: 'spdx',
      specVersion: '2.3',
      errors: ['/ must NOT have additional properties (bogus)'],
    });
  });

  it('accepts a UTF-8 byte order mark', async () => {
    const file = await fileWith('bom.cdx.json', `\uFEFF${JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1 })}`);
    expect((await validateSbomFile(file)).errors).toEqual([]);
  });

  it.each([
    ['not JSON', '{"bomFormat": "CycloneDX",', /is not JSON/],
    ['an array', '[]', /not an SBOM document/],
    ['CycloneDX 1.4', JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.4', version: 1 }), /CycloneDX "1\.4"; only 1\.5 and 1\.6/],
    ['SPDX 2.2', JSON.stringify({ spdxVersion: 'SPDX-2.2' }), /SPDX "SPDX-2\.2"; only SPDX-2\.3/],
    ['another format', JSON.stringify({ bomFormat: 'AnotherFormat', specVersion: '1.6' }), /neither CycloneDX .* nor SPDX/],
  ])('refuses %s as SBOM_UNSUPPORTED_FORMAT naming the file', async (label, content, message) => {
    const file = await fileWith(`${label.replace(/\W+/g, '-')}.json`, content);
    const error = await validateSbomFile(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FactoryError);
    expect((error as FactoryError).code).toBe('SBOM_UNSUPPORTED_FORMAT');
    expect((error as FactoryError).subject).toBe(file);
    expect((error as FactoryError).message).toMatch(message);
    expect((error as FactoryError).message).toContain(file);
  });

  it('reports a missing file as FILE_NOT_FOUND', async () => {
    const file = path.join(dir, 'missing.json');
    await expect(validateSbomFile(file)).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', subject: file });
  });
});
