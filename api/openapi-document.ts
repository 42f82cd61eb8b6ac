/**
 * An API's operations table and the OpenAPI 3.1 document generated from it. Each API (/v1, the
 * Partner API) keeps one table: the route guards read scopes and query rules from it, the router
 * tests hold the Express routes to it, and its document is generated from the same zod schemas
 * that validate the requests.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

export interface Operation<Scope extends string = string> {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Express-style path, e.g. /v1/stops/:id */
  path: string;
  tag: string;
  summary: string;
  /** null: public; 'any': any valid key. */
  scope: Scope | 'any' | null;
  body?: z.ZodType;
  query?: z.ZodType;
  /** Path parameters' schemas, when not plain strings. */
  params?: Record<string, z.ZodType>;
  status: number;
  response?: z.ZodType;
}

export const openApiPath = (expressPath: string): string => expressPath.replace(/:([A-Za-z_]+)/g, '{$1}');

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
  /** How a caller presents its credentials, for the bearer scheme's description. */
  credentials: string;
  errorSchema: z.ZodType;
}

export function buildOpenApiDocument(operations: readonly Operation[], info: DocumentInfo): object {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', { type: 'http', scheme: 'bearer', description: info.credentials });
  for (const o of operations) {
    const names = [...o.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);
    registry.registerPath({
      method: o.method,
      path: openApiPath(o.path),
      tags: [o.tag],
      summary: o.summary,
      description: o.scope && o.scope !== 'any' ? `Scope: \`${o.scope}\`` : undefined,
      security: o.scope ? [{ [bearer.name]: [] }] : [],
      request: {
        ...(names.length ? { params: z.object(Object.fromEntries(names.map((p) => [p, o.params?.[p] ?? z.string()]))) } : {}),
        ...(o.query ? { query: o.query as z.ZodObject } : {}),
        ...(o.body ? { body: { content: { 'application/json': { schema: o.body } } } } : {}),
      },
      responses: {
        [o.status]: { description: 'OK', ...(o.response ? { content: { 'application/json': { schema: o.response } } } : {}) },
        default: { description: 'Error', content: { 'application/json': { schema: info.errorSchema } } },
      },
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    servers: [{ url: '/' }],
  });
}
