import type { Ajv, SchemaValidateFunction } from 'ajv';

/**
 * JSON Schema `uniqueItems` in linear time.
 *
 * ajv checks `uniqueItems` on arrays of objects by comparing every pair (deep equality, O(n²)):
 * the CycloneDX schemas put it on `components`, `dependencies`, `dependsOn`, `services` and some
 * forty other arrays, so validating a BOM of 4,000 components took 84 s. Here each item is reduced to a
 * canonical JSON text (object keys sorted, so key order does not matter, as JSON Schema equality
 * says: draft-07 validation §6.4.3 with core §4.2.2) and duplicates are found with a Set: the
 * same verdict, in time proportional to the document.
 */

const KEYWORD = 'uniqueItemsByValue';

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** A copy of the schema with every `uniqueItems: true` handed to the linear keyword. */
export function withLinearUniqueItems<T>(schema: T): T {
  if (Array.isArray(schema)) return schema.map((item: unknown) => withLinearUniqueItems(item)) as T;
  if (typeof schema !== 'object' || schema === null) return schema;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'uniqueItems' && value === true) copy[KEYWORD] = true;
    else copy[key] = withLinearUniqueItems(value);
  }
  return copy as T;
}

/** Teaches ajv the keyword `withLinearUniqueItems` puts in place of `uniqueItems`. */
export function addLinearUniqueItems(ajv: Ajv): void {
  const validate: SchemaValidateFunction = (enabled: boolean, data: unknown[]): boolean => {
    if (!enabled) return true;
    const seen = new Map<string, number>();
    for (const [index, item] of data.entries()) {
      const key = canonical(item);
      const first = seen.get(key);
      if (first !== undefined) {
        // Worded as ajv words its own uniqueItems error, so messages stay the same.
        validate.errors = [
          {
            keyword: 'uniqueItems',
            message: `must NOT have duplicate items (items ## ${first} and ${index} are identical)`,
            params: { i: first, j: index },
          },
        ];
        return false;
      }
      seen.set(key, index);
    }
    return true;
  };
  ajv.addKeyword({ keyword: KEYWORD, type: 'array', schemaType: 'boolean', errors: true, validate });
}
