/**
 * An API's operations table and the OpenAPI 3.1 document generated from it. Each API (/v1, the
 * Partner API) keeps one table: the route guards read scopes and query rules from it, the router
 * tests hold the Express routes to it, and its document is generated from the same zod schemas
 * that validate the requests.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig } from '@asteasolutions/zod-to-openapi';
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
  /** The tenant quotas this operation counts toward (a 429 `quota_exceeded` past one). */
  quotas?: readonly string[];
}

export const openApiPath = (expressPath: string): string => expressPath.replace(/:([A-Za-z_]+)/g, '{$1}');

export interface DocumentInfo {
  title: string;
  version: string;
  description: string;
  /** How a caller presents its credentials, for the bearer scheme's description. */
  credentials: string;
  errorSchema: z.ZodType;
  /** The status bad input answers (400 on /v1; the Partner API's seed says 422), and its body. */
  validation: { status: number; schema: z.ZodType };
  /** Extra rules per operation the zod schemas cannot state (refinements), as JSON Schema: gets the generated operation. */
  refine?: (o: Operation, generated: { requestSchema?: Record<string, unknown>; parameters: Record<string, unknown>[] }) => void;
  /** Other 400s the API answers beside bad input (the Partner API's own codes). */
  other400?: string;
}

type Headers = NonNullable<ResponseConfig['headers']>;
const RATE_LIMIT_HEADERS: Headers = {
  'X-RateLimit-Limit': { description: 'Requests allowed in the window', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'Requests left in the window', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'When the window resets (Unix seconds)', schema: { type: 'integer' } },
};

/**
 * Every error an operation can answer, each with the error schema: bad input (body, query or
 * path), no or a bad key, a key without the scope, another tenant's or a missing id, a
 * conflict (a state that refuses the change, or an Idempotency-Key reused with another body),
 * a body too large or not JSON, and the rate limit or a tenant quota (with Retry-After).
 */
function errorResponses(o: Operation, info: DocumentInfo, hasPathParams: boolean) {
  const error = (description: string, headers?: Headers): ResponseConfig => ({ description, content: { 'application/json': { schema: info.errorSchema } }, ...(headers ? { headers } : {}) });
  const writes = o.method !== 'get';
  return {
    ...(info.other400 && (o.query || writes) && o.scope ? { 400: error(info.other400) } : {}),
    ...(o.body || o.query || hasPathParams || writes ? { [info.validation.status]: { description: 'Bad input, naming the field; nothing written', content: { 'application/json': { schema: info.validation.schema } } } } : {}),
    ...(o.scope ? { 401: error('No key, or not a valid one') } : {}),
    ...(o.scope && o.scope !== 'any' ? { 403: error('The key lacks the scope this operation needs (named in details)') } : {}),
    ...(hasPathParams ? { 404: error('No such resource for this key (another tenant\'s or broker\'s is 404 too)') } : {}),
    ...(writes && o.scope ? { 409: error('Conflict: the resource\'s state refuses the change (details say which), or an Idempotency-Key reused with another request') } : {}),
    ...(writes ? { 413: error('Request body larger than the limit'), 415: error('Request body not UTF-8 JSON') } : {}),
    ...(o.scope ? { 429: error(o.quotas ? `Rate limit reached, or over the tenant's quota (\`quota_exceeded\`, details.quota: ${o.quotas.join(' or ')})` : 'Rate limit reached', { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } }, ...(RATE_LIMIT_HEADERS as object) } as Headers) } : {}),
  };
}

type Json = Record<string, unknown>;

/** Request strings refuse NUL (Postgres cannot store it); an http(s) URL says so. */
function tightenStrings(schema: unknown): void {
  if (!schema || typeof schema !== 'object') return;
  const s = schema as Json;
  if (s.type === 'string' && !s.enum && !s.const && !s.pattern) {
    s.pattern = s.format === 'uri' ? '^https?://[^\\u0000]*$' : '^[^\\u0000]*$';
  }
  for (const v of Object.values(s)) {
    if (Array.isArray(v)) v.forEach(tightenStrings);
    else if (v && typeof v === 'object') tightenStrings(v);
  }
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
        // Required where the server refuses a request without one (an empty body is `{}` to it).
        ...(o.body ? { body: { required: !o.body.safeParse({}).success, content: { 'application/json': { schema: o.body } } } } : {}),
      },
      responses: {
        [o.status]: {
          description: 'OK',
          ...(o.response ? { content: { 'application/json': { schema: o.response } } } : {}),
          ...(o.scope ? { headers: RATE_LIMIT_HEADERS } : {}),
        },
        ...errorResponses(o, info, names.length > 0),
        default: { description: 'Error (5xx: retry later; 503 carries Retry-After)', content: { 'application/json': { schema: info.errorSchema } } },
      },
    });
  }
  const doc = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    servers: [{ url: '/' }],
  }) as unknown as { paths: Record<string, Record<string, Json>> };
  // What the generator cannot see in the zod schemas: refinements, stated as JSON Schema.
  for (const o of operations) {
    const op = doc.paths[openApiPath(o.path)]?.[o.method];
    if (!op) continue;
    const body = ((op.requestBody as Json | undefined)?.content as Json | undefined)?.['application/json'] as Json | undefined;
    const schema = body?.schema as Json | undefined;
    // A change must change something.
    if (o.method === 'patch' && schema && schema.type === 'object') schema.minProperties = 1;
    info.refine?.(o, { requestSchema: schema, parameters: (op.parameters as Json[] | undefined) ?? [] });
    tightenStrings(schema);
    for (const p of (op.parameters as Json[] | undefined) ?? []) tightenStrings(p.schema);
  }
  return doc;
}
