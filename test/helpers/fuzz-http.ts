import { expect } from 'chai';
import fc from 'fast-check';
import { hostileJson, hostileJsonValue } from './fuzz.ts';
import type { HttpAnswer } from './http.ts';

/** The subset of JSON Schema that zod writes into the OpenAPI document. */
export interface JsonSchema {
  type?: string | string[];
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: JsonSchema;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
}

/** Values that satisfy `schema` (as far as a schema can say): requests that pass the first check. */
export function fromSchema(schema: JsonSchema | undefined): fc.Arbitrary<unknown> {
  if (!schema) return hostileJsonValue;
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map(fromSchema));
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length <= (schema.maxLength ?? 10_000));
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 80, 200) });
    case 'integer':
    case 'number':
      return fc.integer({ min: Math.max(schema.minimum ?? -(2 ** 31), Number.MIN_SAFE_INTEGER), max: Math.min(schema.maximum ?? 2 ** 31, Number.MAX_SAFE_INTEGER) });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(fromSchema(schema.items), { maxLength: Math.min(schema.maxItems ?? 4, 4) });
    case 'object': {
      const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([name, property]) => [name, fromSchema(property)]));
      return fc.record(properties, { requiredKeys: (schema.required ?? []).filter((name) => name in properties) });
    }
    default:
      return hostileJsonValue;
  }
}

/** Strings for a path segment or query value: hostile text and what URL decoding trips over. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('', '0', '-1', '1.5', '1e400', '9007199254740993', '00', '%zz', '%', '%00', '..', '../..', 'a'.repeat(5000), '💥', 'null', 'undefined', '__proto__', '0x10', ' 1', 'NaN', 'Infinity'),
);

export interface OpenApiOperation {
  method: string;
  path: string;
  parameters: { name: string; in: 'path' | 'query'; schema: JsonSchema }[];
  body?: JsonSchema;
}

/** Every operation a member documents at /openapi.json: the fuzz covers routes added later too. */
export function operationsOf(document: { paths: Record<string, Record<string, { parameters?: OpenApiOperation['parameters']; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>> }): OpenApiOperation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      path,
      parameters: operation.parameters ?? [],
      ...(operation.requestBody ? { body: operation.requestBody.content['application/json']!.schema } : {}),
    })),
  );
}

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const encode = fc.oneof({ arbitrary: fc.constant(true), weight: 4 }, { arbitrary: fc.constant(false), weight: 1 });

function segment(value: fc.Arbitrary<string>): fc.Arbitrary<string> {
  // Mostly percent-encoded as a client would; sometimes raw (what HTTP can carry of it), so
  // malformed escapes like %zz reach the server.
  return fc.tuple(value, encode).map(([text, encoded]) => (encoded ? encodeURIComponent(text) : text.replace(/[^\x21-\x7e]|[/?#&=]/g, '')));
}

/**
 * Requests for one operation: parameters and bodies that satisfy its schemas, values from
 * `known` (real heights, ids, addresses of the chain), hostile values, unknown and repeated
 * query parameters, malformed and mistyped bodies.
 */
export function requestsFor(operation: OpenApiOperation, known: Record<string, string[]>, validBodies: unknown[]): fc.Arbitrary<FuzzRequest> {
  const valueOf = (name: string, schema: JsonSchema) =>
    fc.oneof(fromSchema(schema).map((v) => (typeof v === 'string' ? v : JSON.stringify(v) ?? '')), ...(known[name]?.length ? [fc.constantFrom(...known[name]!)] : []), hostileText);
  const pathParameters = operation.parameters.filter((p) => p.in === 'path');
  const queryParameters = operation.parameters.filter((p) => p.in === 'query');
  const path = fc.tuple(...pathParameters.map((p) => segment(valueOf(p.name, p.schema)))).map((values) => pathParameters.reduce((text, p, i) => text.replace(`{${p.name}}`, values[i]!), operation.path));
  const query = fc
    .tuple(
      fc.tuple(...queryParameters.map((p) => fc.option(segment(valueOf(p.name, p.schema)), { nil: undefined }))),
      fc.array(fc.tuple(segment(fc.constantFrom(...queryParameters.map((p) => p.name), 'limit', 'x', '__proto__')), segment(hostileText)), { maxLength: 2 }),
    )
    .map(([values, extra]) => {
      const pairs = [...queryParameters.flatMap((p, i) => (values[i] === undefined ? [] : [`${encodeURIComponent(p.name)}=${values[i]}`])), ...extra.map(([k, v]) => `${k}=${v}`)];
      return pairs.length > 0 ? `?${pairs.join('&')}` : '';
    });
  const json = (value: unknown) => ({ text: JSON.stringify(value) ?? 'null', type: 'application/json' });
  const body = fc.oneof(
    { arbitrary: hostileJson(validBodies.length > 0 ? validBodies : [{}]).map(json), weight: 4 },
    { arbitrary: fromSchema(operation.body ?? { type: 'object' }).map(json), weight: 3 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text) => ({ text, type: 'application/json' })), weight: 1 },
    { arbitrary: fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', 'application/json; charset=latin1').map((type) => ({ text: '{"a":1}', type })), weight: 1 },
  );
  return fc.tuple(path, query, body, fc.constantFrom(operation.method, operation.method, operation.method, 'GET', 'POST', 'DELETE', 'PUT', 'PATCH')).map(([p, q, b, method]): FuzzRequest => {
    if (method === 'GET' || method === 'DELETE') return { method, path: `${p}${q}`, headers: {} };
    return { method, path: `${p}${q}`, headers: { 'content-type': b.type }, body: b.text };
  });
}

/** What every answer to any request must look like: never a server error, refusals with a reason. */
export function expectWellFormedAnswer(request: FuzzRequest, answer: HttpAnswer): void {
  const where = `${request.method} ${request.path.slice(0, 200)} → ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, where).to.be.below(500);
  if (answer.status < 400) return;
  expect(answer.headers['content-type'], where).to.match(/^application\/json/);
  const body = JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown } };
  expect(body.error?.code, where).to.be.a('string').and.match(/^[a-z][a-z0-9-]*$/);
  expect(body.error?.message, where).to.be.a('string').and.not.match(/\n/);
}
