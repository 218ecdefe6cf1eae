import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * Validates requests and responses against the committed subset of GitHub's OpenAPI description
 * (openapi-subset.json, extracted from @octokit/openapi by scripts/extract-github-openapi.mjs).
 *
 * The description is OpenAPI 3.0.3, whose Schema Object is a dialect of JSON Schema draft-04/07
 * plus `nullable` (OAS 3.0.3 §4.7.24). We translate it to plain draft-07 for ajv:
 * `nullable: true` becomes a `null` type (and a `null` enum member), and OpenAPI-only annotations
 * (`example`, `externalDocs`, `x-*`) are dropped.
 *
 * The fake is stricter than GitHub in one way: objects that declare `properties` are closed
 * (no undeclared properties), so the fake cannot invent response fields and the client cannot
 * send misspelled request fields without a test failing.
 */

export interface OperationMatch {
  operationId: string;
  method: string;
  template: string;
  /** Raw path parameter values, percent-decoded. */
  pathParams: Record<string, string>;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Record<string, unknown>;
  'x-multi-segment'?: boolean;
}

interface MediaType {
  schema?: Record<string, unknown>;
}

interface ResponseObject {
  description: string;
  content?: Record<string, MediaType>;
}

interface Operation {
  operationId: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, ResponseObject | { $ref: string }>;
  servers?: { url: string }[];
}

interface Route {
  operation: Operation;
  method: string;
  template: string;
  /** Path prefix from the servers object (`/api/v3`, `/api/uploads`). */
  base: string;
  pattern: RegExp;
  names: string[];
  literalSegments: number;
}

interface SubsetDocument {
  'x-extracted-from': { package: string; version: string; file: string };
  servers: { url: string; variables?: Record<string, { default: string }> }[];
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, Record<string, unknown>>;
}

const GENERIC_RESPONSES: Record<number, { $ref: string }> = {
  401: { $ref: '#/components/responses/requires_authentication' },
  404: { $ref: '#/components/responses/not_found' },
  422: { $ref: '#/components/responses/validation_failed' },
};

const SUBSET_ID = 'https://packaging-factory.test/github-openapi-subset.json';
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** The operations of the subset, routed and validated. */
export class OpenApiSubset {
  readonly source: SubsetDocument['x-extracted-from'];
  private readonly routes: Route[] = [];
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly document: SubsetDocument) {
    this.source = document['x-extracted-from'];
    this.ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats(this.ajv);
    const schemas = document.components['schemas'] ?? {};
    const converted: Record<string, unknown> = {};
    for (const [name, schema] of Object.entries(schemas)) converted[name] = toJsonSchema(schema);
    this.ajv.addSchema({ $id: SUBSET_ID, definitions: converted });
    const defaultBase = serverPath(document.servers[0]);
    for (const [template, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        const override = operation.servers?.[0];
        const base = override === undefined ? defaultBase : serverPath(override);
        const names: string[] = [];
        const parameters = this.parameters(operation);
        const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_whole, name: string) => {
          names.push(name);
          // `x-multi-segment` path parameters (a tag name like release/1.0) may span segments.
          const multi = parameters.find((p) => p.in === 'path' && p.name === name)?.['x-multi-segment'] === true;
          return multi ? '(.+)' : '([^/]+)';
        });
        this.routes.push({
          operation,
          method: method.toUpperCase(),
          template,
          base,
          pattern: new RegExp(`^${base}${source}$`),
          names,
          literalSegments: template.split('/').filter((s) => s !== '' && !s.startsWith('{')).length,
        });
      }
    }
    // OAS 3.0.3 §4.7.8: concrete paths match before templated ones (`releases/tags/{tag}` before `releases/{release_id}`).
    this.routes.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  static load(file: string | URL): OpenApiSubset {
    return new OpenApiSubset(JSON.parse(readFileSync(file, 'utf8')) as SubsetDocument);
  }

  /** The path prefixes the description's servers declare (`/api/v3`, `/api/uploads`). */
  get bases(): string[] {
    return [...new Set(this.routes.map((r) => r.base))];
  }

  /** The server path of one operation (where its upload URL must point). */
  baseOf(operationId: string): string {
    const route = this.routes.find((r) => r.operation.operationId === operationId);
    if (route === undefined) throw new Error(`operation ${operationId} is not in the subset`);
    return route.base;
  }

  match(method: string, pathname: string): OperationMatch | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const found = route.pattern.exec(pathname);
      if (found === null) continue;
      const pathParams: Record<string, string> = {};
      route.names.forEach((name, index) => {
        pathParams[name] = decodeURIComponent(found[index + 1] ?? '');
      });
      return { operationId: route.operation.operationId, method, template: route.template, pathParams };
    }
    return undefined;
  }

  /** Checks path and query parameters and the body; returns violations (empty when valid) and typed parameters. */
  validateRequest(
    match: OperationMatch,
    request: { query: URLSearchParams; contentType: string | undefined; body: Buffer },
  ): { violations: string[]; params: Record<string, unknown>; json: unknown } {
    const operation = this.operation(match.operationId);
    const violations: string[] = [];
    const params: Record<string, unknown> = {};
    const parameters = this.parameters(operation);
    for (const parameter of parameters.filter((p) => p.in === 'path')) {
      const raw = match.pathParams[parameter.name];
      if (raw === undefined) {
        violations.push(`path parameter ${parameter.name} missing`);
        continue;
      }
      params[parameter.name] = this.checkParameter(parameter, raw, violations);
    }
    for (const key of new Set(request.query.keys())) {
      if (!parameters.some((p) => p.in === 'query' && p.name === key)) violations.push(`query parameter '${key}' is not declared`);
    }
    for (const parameter of parameters.filter((p) => p.in === 'query')) {
      const raw = request.query.get(parameter.name);
      if (raw === null) {
        if (parameter.required === true) violations.push(`required query parameter '${parameter.name}' missing`);
        continue;
      }
      params[parameter.name] = this.checkParameter(parameter, raw, violations);
    }

    let json: unknown;
    const body = operation.requestBody;
    if (request.body.length === 0) {
      if (body?.required === true) violations.push('request body is required');
      return { violations, params, json };
    }
    if (body === undefined) {
      violations.push('operation declares no request body, but one was sent');
      return { violations, params, json };
    }
    const mediaType = (request.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    const declared = Object.keys(body.content);
    if (mediaType === 'application/json' && declared.includes('application/json')) {
      try {
        json = JSON.parse(request.body.toString('utf8'));
      } catch {
        violations.push('request body is not valid JSON');
        return { violations, params, json };
      }
      const schema = body.content['application/json']?.schema;
      if (schema !== undefined) violations.push(...this.check(schema, json, 'request body'));
    } else if (declared.includes('application/octet-stream')) {
      // `{type: string, format: binary}` is the raw bytes: any Content-Type names the asset's type
      // (GitHub stores it as the asset's content_type), so there is nothing more to check here.
    } else {
      violations.push(`request Content-Type '${mediaType}' is not one of ${declared.join(', ')}`);
    }
    return { violations, params, json };
  }

  /**
   * Checks a response status and JSON body against the operation. `fallback` names a component
   * schema for statuses whose description declares no content (upload's 422).
   */
  validateResponse(operationId: string, status: number, body: unknown, fallback?: string): string[] {
    const operation = this.operation(operationId);
    // GitHub answers these on any operation (no credentials, unknown resource, refused change); the
    // description declares them on some operations only, so they are checked against the shared
    // response components wherever an operation leaves them out.
    const declared = operation.responses[String(status)] ?? GENERIC_RESPONSES[status];
    if (declared === undefined) return [`status ${status} is not declared for ${operationId}`];
    const response = this.resolve<ResponseObject>(declared);
    const schema = response.content?.['application/json']?.schema;
    if (schema === undefined) {
      if (body === undefined) return [];
      if (fallback !== undefined) return this.check({ $ref: `#/components/schemas/${fallback}` }, body, `response ${status}`);
      return [`status ${status} of ${operationId} declares no body, but one was sent`];
    }
    if (body === undefined) return [`status ${status} of ${operationId} declares a JSON body, none was sent`];
    return this.check(schema, body, `response ${status}`);
  }

  private operation(operationId: string): Operation {
    const route = this.routes.find((r) => r.operation.operationId === operationId);
    if (route === undefined) throw new Error(`operation ${operationId} is not in the subset`);
    return route.operation;
  }

  private parameters(operation: Operation): Parameter[] {
    return (operation.parameters ?? []).map((p) => this.resolve<Parameter>(p));
  }

  private resolve<T>(value: T | { $ref: string }): T {
    if (value === null || typeof value !== 'object' || !('$ref' in value)) return value;
    const [, , section, name] = value.$ref.split('/');
    const found = section === undefined || name === undefined ? undefined : this.document.components[section]?.[name];
    if (found === undefined) throw new Error(`dangling $ref ${value.$ref} in the subset`);
    return this.resolve(found as T | { $ref: string });
  }

  /** Path and query values are strings on the wire; coerce by the declared type, then validate. */
  private checkParameter(parameter: Parameter, raw: string, violations: string[]): unknown {
    const schema = parameter.schema ?? {};
    let value: unknown = raw;
    if (schema['type'] === 'integer') value = /^-?\d+$/.test(raw) ? Number(raw) : raw;
    if (schema['type'] === 'boolean') value = raw === 'true' ? true : raw === 'false' ? false : raw;
    violations.push(...this.check(schema, value, `${parameter.in} parameter '${parameter.name}'`));
    return value;
  }

  private check(schema: Record<string, unknown>, value: unknown, where: string): string[] {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (validate === undefined) {
      validate = this.ajv.compile(toJsonSchema(schema) as object);
      this.compiled.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${where}${e.instancePath} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`);
  }
}

/** The path part of a server URL template (`{protocol}://{hostname}/api/v3` → `/api/v3`). */
function serverPath(server: { url: string; variables?: Record<string, { default: string }> } | undefined): string {
  if (server === undefined) return '';
  const url = server.url.replace(/\{([^}]+)\}/g, (_whole, name: string) => server.variables?.[name]?.default ?? name);
  return new URL(url).pathname.replace(/\/$/, '');
}

const DROPPED = new Set(['example', 'externalDocs', 'xml', 'discriminator']);

/** OAS 3.0 Schema Object → JSON Schema draft-07, closing objects that declare properties. */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (node === null || typeof node !== 'object') return node;
  const source = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (DROPPED.has(key) || key.startsWith('x-') || key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string') {
      out[key] = value.replace(/^#\/components\/schemas\//, `${SUBSET_ID}#/definitions/`);
    } else if (key === 'properties' && value !== null && typeof value === 'object') {
      // Property names are data, not keywords: convert each property's schema, keep every name.
      out[key] = Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, toJsonSchema(schema)]));
    } else {
      out[key] = toJsonSchema(value);
    }
  }
  const combined = 'allOf' in out || 'anyOf' in out || 'oneOf' in out;
  if ('properties' in out && !('additionalProperties' in out) && !combined) out['additionalProperties'] = false;
  if (source['nullable'] === true) {
    if (Array.isArray(out['enum'])) out['enum'] = [...(out['enum'] as unknown[]), null];
    if (typeof out['type'] === 'string') {
      out['type'] = [out['type'], 'null'];
    } else if (out['type'] === undefined) {
      return { anyOf: [{ type: 'null' }, out] };
    }
  }
  return out;
}
