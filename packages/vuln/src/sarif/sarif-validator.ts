import AjvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';
import type { ErrorObject, ValidateFunction } from 'ajv';
import sarifSchema from '../../schema/sarif-schema-2.1.0.json' with { type: 'json' };

// Both packages are CommonJS with a default export that TypeScript sees as the module object.
type AjvDraft04 = InstanceType<typeof AjvDraft04Module.default>;
const Ajv04 = ((AjvDraft04Module as unknown as { default?: unknown }).default ?? AjvDraft04Module) as new (options: object) => AjvDraft04;
const addFormats = addFormatsModule as unknown as (ajv: AjvDraft04) => AjvDraft04;

export interface SarifValidation {
  /** Violations of the SARIF 2.1.0 schema: GitHub code scanning refuses the upload. */
  errors: string[];
  /**
   * `format` violations only (a helpUri or artifact URI that is not a valid URI): the schema's
   * formats are annotations that GitHub's upload reports as warnings and still accepts
   * (codeql-action upload-lib validateSarifFileSchema, fixture with-invalid-uri.sarif).
   */
  warnings: string[];
}

let structural: ValidateFunction | undefined;
let withFormats: ValidateFunction | undefined;

function compile(validateFormats: boolean): ValidateFunction {
  // The OASIS schema is JSON Schema draft-04 (`id`, boolean exclusiveMinimum): ajv-draft-04 reads it
  // as written. strict: false because the schema's own annotations are not ajv keywords.
  const ajv = new Ajv04({ allErrors: true, strict: false, validateFormats });
  if (validateFormats) addFormats(ajv);
  return ajv.compile(sarifSchema);
}

/** Validates a parsed SARIF log against the SARIF 2.1.0 (errata01) JSON Schema. */
export function validateSarif(log: unknown): SarifValidation {
  structural ??= compile(false);
  withFormats ??= compile(true);
  const errors = structural(log) ? [] : describe(structural.errors);
  const warnings = withFormats(log) ? [] : describe((withFormats.errors ?? []).filter((e) => e.keyword === 'format'));
  return { errors, warnings };
}

function describe(errors: readonly ErrorObject[] | null | undefined): string[] {
  return [...new Set((errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`))];
}
