import type { OsvRecord } from '../osv-record.ts';

/**
 * What the loader keeps of a record without keeping the record: enough to index it, resolve
 * duplicates, count ecosystems and digest the database. The record itself is parsed again (and
 * validated against the full OSV schema) only when a lookup needs it; see record-store.ts.
 */
export interface RecordFacts {
  id: string;
  modified: string;
  withdrawn: boolean;
  /** `affected[].package` as (ecosystem, name) pairs, each once, in record order. */
  packages: { ecosystem: string; name: string }[];
}

// RFC 3339 date-time, as the OSV schema's `format: date-time` (ajv-formats' full mode) accepts it.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The facts of a parsed record, or the first fault that makes it unusable for indexing. Every check
 * here is one the OSV schema makes too (required `id` and `modified`, date-time formats, `affected`
 * an array of objects whose `package` has string `ecosystem` and `name`), so no record the schema
 * accepts is refused here; the caller asks the schema validator for the full description of a fault.
 */
export function recordFacts(parsed: unknown): RecordFacts | string {
  if (!isObject(parsed)) return 'a record must be a JSON object';
  const { id, modified, withdrawn, affected } = parsed;
  if (typeof id !== 'string' || id === '') return '/id must be a non-empty string';
  if (typeof modified !== 'string' || !DATE_TIME.test(modified)) return '/modified must be an RFC 3339 date-time';
  if (withdrawn !== undefined && (typeof withdrawn !== 'string' || !DATE_TIME.test(withdrawn)))
    return '/withdrawn must be an RFC 3339 date-time';
  const packages: RecordFacts['packages'] = [];
  if (affected !== undefined && affected !== null) {
    if (!Array.isArray(affected)) return '/affected must be an array';
    const seen = new Set<string>();
    for (const [index, entry] of affected.entries()) {
      if (!isObject(entry)) return `/affected/${index} must be an object`;
      const pkg = entry['package'];
      if (pkg === undefined) continue;
      if (!isObject(pkg) || typeof pkg['ecosystem'] !== 'string' || typeof pkg['name'] !== 'string') {
        return `/affected/${index}/package must have string ecosystem and name`;
      }
      const key = `${pkg['ecosystem']}\u0000${pkg['name']}`;
      if (seen.has(key)) continue;
      seen.add(key);
      packages.push({ ecosystem: pkg['ecosystem'], name: pkg['name'] });
    }
  }
  return { id, modified, withdrawn: withdrawn !== undefined, packages };
}

/** Facts of a record already in memory (the API client's, or a test's). */
export function factsOf(record: OsvRecord): RecordFacts {
  const facts = recordFacts(record);
  if (typeof facts === 'string') throw new TypeError(`record ${String(record.id)}: ${facts}`);
  return facts;
}
