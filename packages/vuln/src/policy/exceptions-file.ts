import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parseDocument } from 'yaml';
import { FactoryError } from '@packaging-factory/core';
import exceptionsSchema from '../../schema/scan-exceptions.schema.json' with { type: 'json' };

// ajv-formats is CommonJS with a default export that TypeScript sees as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

/** OpenVEX v0.2.0 status justifications (the VEX working group's list). */
export const VEX_JUSTIFICATIONS = [
  'component_not_present',
  'vulnerable_code_not_present',
  'vulnerable_code_not_in_execute_path',
  'vulnerable_code_cannot_be_controlled_by_adversary',
  'inline_mitigations_already_exist',
] as const;
export type VexJustification = (typeof VEX_JUSTIFICATIONS)[number];

/**
 * One entry of an exceptions file (format version 1). Example:
 *
 * ```yaml
 * version: 1
 * exceptions:
 *   - id: CVE-2021-23337            # the vulnerability id or any alias
 *     package: pkg:npm/lodash@4.17.* # purl pattern; '*' globs inside the name or version
 *     status: not_affected           # or: affected (an accepted risk)
 *     justification: vulnerable_code_not_in_execute_path  # OpenVEX; required for not_affected
 *     reason: template() is never called with user input
 *     owner: platform-team
 *     expires: 2025-06-30            # last day it holds (UTC)
 *     ticket: https://tracker.example/SEC-42
 * ```
 *
 * The file counts only when a Sigstore bundle over its exact bytes was signed by a security
 * reviewer of the scan policy (see `loadExceptionSet` and docs/policy.md).
 */
export interface ExceptionEntry {
  id: string;
  package: string;
  status: 'not_affected' | 'affected';
  justification?: VexJustification;
  reason: string;
  owner: string;
  /** ISO date (YYYY-MM-DD): the last day the exception holds. */
  expires: string;
  ticket: string;
}

/** An entry as read: its index, and either the valid entry or why it is invalid. */
export interface ReadExceptionEntry {
  index: number;
  /** The raw value from the file (for reports when it is invalid). */
  raw: unknown;
  entry?: ExceptionEntry;
  /** Schema problems naming the field, e.g. `exceptions[2].expires: must match format "date"`. */
  problems: string[];
}

export interface ExceptionsFile {
  version: 1;
  entries: ReadExceptionEntry[];
}

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (validator === undefined) {
    // strictRequired off: the not_affected `then` branch requires a property defined one level up.
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
    addFormats(ajv);
    validator = ajv.compile(exceptionsSchema);
  }
  return validator;
}

/**
 * Parses and validates an exceptions file (YAML). Problems inside one entry make that entry
 * invalid (reported, never applied) while the others are still read; a file that is not YAML or
 * whose top level is wrong (no `version: 1`, no `exceptions` list) throws SCAN_EXCEPTIONS_INVALID.
 */
export function parseExceptionsFile(text: string, subject: string): ExceptionsFile {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new FactoryError('SCAN_EXCEPTIONS_INVALID', `${subject} is not valid YAML: ${document.errors[0]!.message}`, {
      subject,
      hint: 'see docs/policy.md for the exceptions file format',
    });
  }
  const data: unknown = document.toJS();
  const validate = compiled();
  const valid = validate(data);
  const errors = valid ? [] : (validate.errors ?? []).filter((e) => e.keyword !== 'if');
  const byEntry = new Map<number, string[]>();
  const topLevel: string[] = [];
  for (const error of errors) {
    const match = /^\/exceptions\/(\d+)(\/.*)?$/.exec(error.instancePath);
    if (match === null) {
      topLevel.push(describe(error));
      continue;
    }
    const index = Number(match[1]);
    byEntry.set(index, [...(byEntry.get(index) ?? []), describeEntryError(index, match[2] ?? '', error)]);
  }
  if (topLevel.length > 0) {
    throw new FactoryError('SCAN_EXCEPTIONS_INVALID', `${subject} is not a version 1 exceptions file: ${topLevel.join('; ')}`, {
      subject,
      hint: 'the file needs `version: 1` and an `exceptions:` list; see docs/policy.md',
    });
  }
  const list = (data as { exceptions: unknown[] }).exceptions;
  const entries = list.map((raw, index): ReadExceptionEntry => {
    const problems = [...new Set(byEntry.get(index) ?? [])].sort();
    if (problems.length === 0 && !isRealDate((raw as ExceptionEntry).expires)) {
      problems.push(`exceptions[${index}].expires: '${(raw as ExceptionEntry).expires}' is not a calendar date`);
    }
    return problems.length === 0 ? { index, raw, entry: raw as ExceptionEntry, problems } : { index, raw, problems };
  });
  return { version: 1, entries };
}

function describe(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'top level' : error.instancePath;
  if (error.keyword === 'additionalProperties')
    return `${where}: unknown field '${String((error.params as { additionalProperty: string }).additionalProperty)}'`;
  if (error.keyword === 'required') return `${where}: missing '${String((error.params as { missingProperty: string }).missingProperty)}'`;
  return `${where}: ${error.message ?? 'is invalid'}`;
}

/** `exceptions[2].justification: required when status is not_affected`, naming the entry and field. */
function describeEntryError(index: number, pointer: string, error: ErrorObject): string {
  const entry = `exceptions[${index}]`;
  const field = pointer.replace(/^\//, '').replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = String((error.params as { missingProperty: string }).missingProperty);
    if (missing === 'justification') return `${entry}.justification: required when status is not_affected (an OpenVEX justification)`;
    return `${entry}.${missing}: missing`;
  }
  if (error.keyword === 'additionalProperties') {
    return `${entry}.${String((error.params as { additionalProperty: string }).additionalProperty)}: unknown field`;
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(String).join(', ');
    return `${entry}.${field}: must be one of ${allowed}`;
  }
  if (error.keyword === 'pattern' && field === 'package')
    return `${entry}.package: must be a purl pattern pkg:type/[namespace/]name[@version]`;
  if (error.keyword === 'pattern' && field === 'expires') return `${entry}.expires: must be an ISO date YYYY-MM-DD`;
  if (error.keyword === 'type' && field === '') return `${entry}: must be a mapping of id, package, status, reason, owner, expires, ticket`;
  return `${entry}${field === '' ? '' : `.${field}`}: ${error.message ?? 'is invalid'}`;
}

/** YAML reads an unquoted 2025-06-31 as a string; the schema's pattern does not know month lengths. */
function isRealDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}
