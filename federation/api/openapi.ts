import { z } from 'zod';
import * as wire from './wire-shapes.ts';
import { defineRoute, type Route } from './route.ts';

/** `/blocks/:height` → `/blocks/{height}` */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** Requests are documented as the client sends them (before defaults and coercion), answers as the server writes them. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const jsonContent = (schema: z.ZodType) => ({ 'application/json': { schema: schemaOf(schema, 'output') } });

function parametersOf(schema: z.ZodType | undefined, location: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = schemaOf(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

/** The OpenAPI 3.1 document, generated from the same route table the server runs. */
export function buildOpenApiDocument(routes: Route[], info: { title: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = openApiPath(route.path);
    paths[path] ??= {};
    paths[path][route.method] = {
      summary: route.summary,
      tags: [route.tag],
      parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body) } } } } : {}),
      responses: {
        [String(route.status ?? 200)]: { description: 'success', ...(route.response ? { content: jsonContent(route.response) } : {}) },
        '4XX': { description: 'refused: `{ error: { code, message } }`, nothing changed', content: jsonContent(wire.errorBody) },
        '503': {
          description: "this member cannot reach its database or its Bitcoin node at the moment: `{ error: { code: 'database-unavailable' or 'bitcoin-unavailable', message } }` and a `Retry-After` header; the request may succeed later or at another member",
          content: jsonContent(wire.errorBody),
        },
      },
    };
  }
  return { openapi: '3.1.0', info, paths };
}

const openApiDocumentSchema = z.strictObject({
  openapi: z.literal('3.1.0'),
  info: z.strictObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())).describe('by path template, then by HTTP method: summary, parameters, request body and response schemas'),
});

/** The routes and `GET /openapi.json`, whose document lists them all, itself included. */
export function withOpenApiRoute(info: { title: string; version: string }, routes: Route[]): Route[] {
  const all = [
    ...routes,
    defineRoute({ method: 'get', path: '/openapi.json', summary: 'this document', tag: 'meta', response: openApiDocumentSchema, handler: () => document }),
  ];
  const document = buildOpenApiDocument(all, info);
  return all;
}
