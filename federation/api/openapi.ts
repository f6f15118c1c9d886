import { z } from 'zod';
import type { Route } from './route.ts';

/** `/blocks/:height` → `/blocks/{height}` */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function schemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

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
        [String(route.status ?? 200)]: { description: 'success' },
        '4XX': { description: 'refused: `{ error: { code, message } }`, nothing changed' },
        '503': { description: "this member cannot reach its database at the moment: `{ error: { code: 'database-unavailable', message } }` and a `Retry-After` header; the request may succeed later or at another member" },
      },
    };
  }
  return { openapi: '3.1.0', info, paths };
}
