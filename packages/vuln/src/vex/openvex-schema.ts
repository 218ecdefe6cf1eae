import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import openVexSchema from '../../schema/openvex_json_schema.json' with { type: 'json' };
import { isIri } from './iri-format.ts';

// ajv-formats is CommonJS with a default export that TypeScript sees as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

let validator: ValidateFunction | undefined;

/** Validates a parsed document against the OpenVEX v0.2.0 JSON Schema; returns the problems (empty when valid). */
export function validateOpenVex(document: unknown): string[] {
  if (validator === undefined) {
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    ajv.addFormat('iri', { type: 'string', validate: isIri });
    validator = ajv.compile(openVexSchema);
  }
  if (validator(document)) return [];
  return [
    ...new Set(
      (validator.errors ?? []).filter((e) => e.keyword !== 'if').map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`),
    ),
  ];
}
