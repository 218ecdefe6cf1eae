import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import statementSchema from '../schema/in-toto-statement-v1.schema.json' with { type: 'json' };
import provenanceSchema from '../schema/slsa-provenance-v1.schema.json' with { type: 'json' };
import { IN_TOTO_STATEMENT_V1 } from './in-toto-statement.ts';
import { SLSA_PROVENANCE_V1 } from './slsa-provenance.ts';

/** The outcome of checking a statement against the spec: errors break it, warnings are SHOULDs. */
export interface StatementValidation {
  valid: boolean;
  errors: string[];
  warnings: string[];
}

// ajv-formats is CommonJS with a default export that TypeScript sees as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

let validators: { statement: ValidateFunction; provenance: ValidateFunction } | undefined;

function compiled(): { statement: ValidateFunction; provenance: ValidateFunction } {
  if (validators === undefined) {
    // strictRequired is off: the spec's "one of uri, digest or content" is an anyOf of bare `required`s.
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, strictRequired: false });
    addFormats(ajv);
    ajv.addSchema(statementSchema);
    validators = { statement: ajv.compile(statementSchema), provenance: ajv.compile(provenanceSchema) };
  }
  return validators;
}

function messages(validate: ValidateFunction, prefix: string): string[] {
  return (validate.errors ?? []).map((e) => `${prefix}${e.instancePath || ''} ${e.message ?? 'is invalid'}`.trim());
}

/**
 * Checks an in-toto Statement v1 (and, for predicateType https://slsa.dev/provenance/v1, its SLSA
 * Provenance v1 predicate) against the spec text, via JSON Schemas written from it plus the rules a
 * schema cannot say (uniqueness SHOULDs, finishedOn not before startedOn).
 */
export function validateStatement(document: unknown): StatementValidation {
  const { statement, provenance } = compiled();
  const errors: string[] = [];
  const warnings: string[] = [];
  if (!statement(document)) errors.push(...messages(statement, ''));
  if (document === null || typeof document !== 'object') return { valid: false, errors, warnings };
  const doc = document as { _type?: unknown; subject?: unknown; predicateType?: unknown; predicate?: unknown };
  if (doc._type !== IN_TOTO_STATEMENT_V1 && typeof doc._type === 'string') {
    errors.push(`/_type is ${doc._type}, not ${IN_TOTO_STATEMENT_V1}: this is not an in-toto Statement v1`);
  }
  if (Array.isArray(doc.subject)) {
    // statement.md: "If set, name and uri SHOULD be unique within subject."
    for (const field of ['name', 'uri'] as const) {
      const values = doc.subject
        .map((s: unknown) => (s !== null && typeof s === 'object' ? (s as Record<string, unknown>)[field] : undefined))
        .filter((v) => typeof v === 'string');
      const duplicates = values.filter((v, i) => values.indexOf(v) !== i);
      if (duplicates.length > 0) warnings.push(`/subject ${field} values are not unique: ${[...new Set(duplicates)].join(', ')}`);
    }
  }
  if (doc.predicateType === SLSA_PROVENANCE_V1) {
    if (!provenance(doc.predicate)) errors.push(...messages(provenance, '/predicate'));
    const metadata = (doc.predicate as { runDetails?: { metadata?: { startedOn?: unknown; finishedOn?: unknown } } } | undefined)
      ?.runDetails?.metadata;
    if (
      typeof metadata?.startedOn === 'string' &&
      typeof metadata.finishedOn === 'string' &&
      Date.parse(metadata.finishedOn) < Date.parse(metadata.startedOn)
    ) {
      errors.push('/predicate/runDetails/metadata finishedOn is before startedOn');
    }
    const external = (doc.predicate as { buildDefinition?: { externalParameters?: unknown } } | undefined)?.buildDefinition
      ?.externalParameters;
    if (external === undefined || external === null || (typeof external === 'object' && Object.keys(external).length === 0)) {
      // Unset is allowed by the parsing rules, but SLSA Build L1 requires externalParameters.
      warnings.push('/predicate/buildDefinition/externalParameters is empty (required for SLSA Build L1)');
    }
  }
  return { valid: errors.length === 0, errors: [...new Set(errors)], warnings };
}
