import { Ajv } from 'ajv';
import spdxSchema from '../../schema/spdx/spdx-schema-2.3.json' with { type: 'json' };

let validator: ReturnType<Ajv['compile']> | undefined;

/**
 * Checks a parsed document against the official SPDX 2.3 JSON schema (draft-07, spdx-spec tag
 * v2.3). The schema declares no `format` keywords, so plain ajv checks all of it. Returns one line
 * per error, empty when valid.
 */
export function validateSpdxDocument(document: unknown): string[] {
  // allErrors: a user fixing a third-party SBOM wants every problem at once, not the first.
  validator ??= new Ajv({ allErrors: true, strict: false, addUsedSchema: false }).compile(spdxSchema);
  if (validator(document)) return [];
  return (validator.errors ?? []).map((e) => {
    const extra =
      e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty?: unknown }).additionalProperty)})` : '';
    return `${e.instancePath === '' ? '/' : e.instancePath} ${e.message ?? 'is invalid'}${extra}`;
  });
}

/** `validateSpdxDocument` for JSON text; text that is not JSON is one error. */
export function validateSpdxJson(json: string): string[] {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch (error) {
    return [`not JSON: ${(error as Error).message}`];
  }
  return validateSpdxDocument(document);
}
