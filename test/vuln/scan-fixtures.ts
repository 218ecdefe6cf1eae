import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FIXTURES } from './fixtures.ts';

export const EXAMPLE_DB = path.resolve(import.meta.dirname, '../../examples/hello/osv-db');
export const MATCHING_DB = path.join(FIXTURES, 'osv-matching', 'db');

export interface TestComponent {
  /** CycloneDX component type; library when absent. */
  type?: string;
  name: string;
  version?: string;
  purl?: string;
  group?: string;
  properties?: { name: string; value: string }[];
  components?: TestComponent[];
}

/** Writes a minimal CycloneDX 1.6 JSON SBOM with these components (nested ones kept nested). */
export async function writeSbom(dir: string, components: TestComponent[], name = 'bom.cdx.json'): Promise<string> {
  const convert = (c: TestComponent): Record<string, unknown> => {
    const out: Record<string, unknown> = { type: c.type ?? 'library', 'bom-ref': c.purl ?? `${c.name}@${c.version ?? ''}`, name: c.name };
    if (c.group !== undefined) out['group'] = c.group;
    if (c.version !== undefined) out['version'] = c.version;
    if (c.purl !== undefined) out['purl'] = c.purl;
    if (c.properties !== undefined) out['properties'] = c.properties;
    if (c.components !== undefined) out['components'] = c.components.map(convert);
    return out;
  };
  const bom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    version: 1,
    metadata: { component: { type: 'application', name: 'hello', version: '1.0.0', 'bom-ref': 'hello' } },
    components: components.map(convert),
  };
  const file = path.join(dir, name);
  await writeFile(file, `${JSON.stringify(bom, null, 2)}\n`);
  return file;
}

export function npm(name: string, version: string): TestComponent {
  return { name, version, purl: `pkg:npm/${name.replace('@', '%40')}@${version}` };
}

/**
 * The shape of the SBOM generate-sbom writes for the hello example: the .deb itself (no distro
 * qualifier), its declared-only `nodejs` dependency, the npm app and its two dependencies, and files.
 */
export function helloExampleComponents(): TestComponent[] {
  return [
    { type: 'application', name: 'hello-factory', version: '1.0.0', purl: 'pkg:deb/debian/hello-factory@1.0.0?arch=all' },
    {
      name: 'nodejs',
      purl: 'pkg:deb/debian/nodejs',
      properties: [
        { name: 'packaging-factory:deb:declared-as', value: 'nodejs' },
        { name: 'packaging-factory:deb:declared-only', value: 'true' },
      ],
    },
    { type: 'application', name: 'hello-factory', version: '1.0.0', purl: 'pkg:npm/hello-factory@1.0.0' },
    npm('minimist', '1.2.8'),
    npm('ansi-html', '0.0.9'),
    { type: 'file', name: '/usr/bin/hello-factory' },
    { type: 'file', name: '/usr/lib/hello-factory/index.js' },
  ];
}

/** Copies some real OSV records from the shared osv-matching db into a new database directory. */
export async function copyRecords(target: string, files: string[]): Promise<string> {
  await mkdir(target, { recursive: true });
  for (const file of files) {
    await mkdir(path.join(target, path.dirname(file)), { recursive: true });
    await cp(path.join(MATCHING_DB, file), path.join(target, file));
  }
  return target;
}

/** Reads a real record from the shared db, changes it, and writes it into a database directory. */
export async function writeModifiedRecord(
  target: string,
  file: string,
  change: (record: Record<string, unknown>) => void,
  as = file,
): Promise<void> {
  const record = JSON.parse(await readFile(path.join(MATCHING_DB, file), 'utf8')) as Record<string, unknown>;
  change(record);
  await mkdir(path.join(target, path.dirname(as)), { recursive: true });
  await writeFile(path.join(target, as), `${JSON.stringify(record, null, 2)}\n`);
}
