/** in-toto Statement v1 `_type` (spec/v1/statement.md). */
export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';

/** DSSE payloadType for an in-toto Statement in JSON (spec/v1/envelope.md). */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

/** A DigestSet: algorithm name → lowercase hex (spec/v1/digest_set.md). */
export type DigestSet = Record<string, string>;

/** A ResourceDescriptor (spec/v1/resource_descriptor.md); one of uri, digest or content is required. */
export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: DigestSet;
  content?: string;
  downloadLocation?: string;
  mediaType?: string;
  annotations?: Record<string, unknown>;
}

export interface InTotoStatement<P = Record<string, unknown>> {
  _type: typeof IN_TOTO_STATEMENT_V1;
  subject: ResourceDescriptor[];
  predicateType: string;
  predicate?: P;
}

/**
 * A Statement v1 binding subjects to a predicate. Field order follows the spec's schema listing
 * (_type, subject, predicateType, predicate), which is also what other producers emit.
 */
export function buildStatement<P>(subjects: readonly ResourceDescriptor[], predicateType: string, predicate: P): InTotoStatement<P> {
  return { _type: IN_TOTO_STATEMENT_V1, subject: subjects.map((s) => ({ ...s })), predicateType, predicate };
}

/** The DSSE payload bytes for a statement: compact JSON, UTF-8. */
export function statementPayload(statement: InTotoStatement<unknown>): Buffer {
  return Buffer.from(JSON.stringify(statement), 'utf8');
}
