import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import osvSchema from '../schema/osv-schema.json' with { type: 'json' };

// ajv-formats is CommonJS with a default export that TypeScript sees as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export interface OsvValidation {
  /** Violations that make the record unreadable for matching: the database is refused. */
  errors: string[];
  /** Violations of the schema's vocabulary lists only (see `isVocabularyError`): the record is kept. */
  warnings: string[];
}

let validator: ReturnType<Ajv2020['compile']> | undefined;

function compiled(): ReturnType<Ajv2020['compile']> {
  if (validator === undefined) {
    // strict: false because the OSV schema uses annotations ajv's strict mode does not know.
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    validator = ajv.compile(osvSchema);
  }
  return validator;
}

/**
 * The schema pins the record id prefixes and ecosystem names it knew at its commit; databases add new
 * ones faster than the schema is released. A record whose only fault is such a new name is still
 * well-formed, and an unknown ecosystem never matches a component anyway, so it is kept with a warning.
 */
function isVocabularyError(error: ErrorObject): boolean {
  if (error.keyword !== 'pattern') return false;
  return error.instancePath === '/id' || /^\/affected\/\d+\/package\/ecosystem$/.test(error.instancePath);
}

/** Validates one parsed record against the OSV JSON Schema (draft 2020-12). */
export function validateOsvRecord(record: unknown): OsvValidation {
  const validate = compiled();
  if (validate(record)) return { errors: [], warnings: [] };
  // An `if` error only says its `then` failed; the `then` failure is reported on its own.
  const problems = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
  const describe = (e: ErrorObject): string => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`;
  return {
    errors: problems.filter((e) => !isVocabularyError(e)).map(describe),
    warnings: problems.filter(isVocabularyError).map(describe),
  };
}
