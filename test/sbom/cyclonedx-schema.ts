import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import addDraft2019Formats from 'ajv-formats-draft2019';
import { FIXTURES } from '../formats/deb-tools.ts';

/**
 * An independent validator for our output: the CycloneDX 1.6 JSON schema from the specification
 * repository (shared fixtures), compiled with plain ajv (draft-07), formats asserted, the schemas
 * it references mapped to the local copies by their $id.
 */

const SCHEMA_DIR = path.join(FIXTURES, 'cyclonedx/schema');

// ajv-formats is CommonJS with a default export that TypeScript sees as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export async function compileCycloneDxSchema(file: 'bom-1.5.schema.json' | 'bom-1.6.schema.json'): Promise<(doc: unknown) => string[]> {
  const load = async (name: string): Promise<Record<string, unknown>> =>
    JSON.parse(await readFile(path.join(SCHEMA_DIR, name), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  addDraft2019Formats(ajv, { formats: ['idn-email', 'iri-reference'] });
  for (const name of ['spdx.schema.json', 'jsf-0.82.schema.json', 'cryptography-defs.schema.json']) {
    const schema = await load(name);
    ajv.addSchema(schema, `http://cyclonedx.org/schema/${name}`);
  }
  const validate = ajv.compile(await load(file));
  return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`));
}
