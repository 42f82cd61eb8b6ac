/**
 * An API's operations table and the OpenAPI 3.1 document generated from it. Each API (/v1, the
 * Partner API) keeps one table: the route guards read scopes and query rules from it, the router
 * tests hold the Express routes to it, and its document is generated from the same zod schemas
 * that validate the requests.
 */
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, zodToOpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
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

const camel = (segment: string): string => segment.replace(/\.json$/, '').replace(/[-_.]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const pascal = (segment: string): string => camel(segment).replace(/^./, (c) => c.toUpperCase());
/** A list page: its items under `data` or `items`. */
const isPage = (schema: z.ZodType | undefined): boolean => schema instanceof z.ZodObject && ('data' in schema.shape || 'items' in schema.shape);

/**
 * An operation's id, by one rule from its method and path (below `base`), so every id follows
 * the same convention and stays as stable as the path: the resource's segments, then the verb.
 * `GET /v1/stops` stops.list, `POST /v1/stops` stops.create, `GET /v1/stops/:id` stops.get,
 * `PATCH` …update, `DELETE` …delete, `POST /v1/stops/:id/pick-up` stops.pickUp,
 * `GET /v1/stops/:id/history` stops.getHistory, `GET /v1/me` me.get.
 */
export function operationIdOf(o: Pick<Operation, 'method' | 'path' | 'response'>, base: string): string {
  const segments = (o.path.startsWith(`${base}/`) ? o.path.slice(base.length) : o.path).split('/').filter(Boolean);
  const isParam = (s: string | undefined) => s?.startsWith(':') ?? false;
  const last = segments.at(-1);
  const afterParam = segments.length >= 2 && !isParam(last) && isParam(segments.at(-2));
  const resource = segments.filter((s, i) => !isParam(s) && !(afterParam && i === segments.length - 1)).map(camel).join('.');
  let verb: string;
  if (afterParam) verb = o.method === 'get' ? `get${pascal(last!)}` : camel(last!);
  else if (isParam(last)) {
    if (o.method === 'post') throw new Error(`POST ${o.path}: a POST to an item names its action (…/:id/assign)`);
    verb = { get: 'get', patch: 'update', delete: 'delete' }[o.method];
  }
  else verb = { get: isPage(o.response) ? 'list' : 'get', post: 'create', patch: 'update', delete: 'delete' }[o.method];
  return `${resource}.${verb}`;
}

export interface DocumentInfo {
  title: string;
  /** The prefix operation ids leave out (`/v1`). */
  base: string;
  /** Every tag the operations use, with what it groups. */
  tags: Record<string, string>;
  /**
   * Named component schemas (`Stop`, `Error`, …): wherever an operation uses one of these very
   * schemas, the document has a `$ref` to it, so generated clients get a class per name.
   */
  components: Record<string, z.ZodType>;
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
  // zod-to-openapi's registry names that very schema instance wherever it is used, nested in a
  // page or a list too: each becomes a component and a $ref. (Its register() would name a copy.)
  for (const [name, schema] of Object.entries(info.components)) {
    const meta = zodToOpenAPIRegistry.get(schema);
    const named = (meta?._internal as { refId?: string } | undefined)?.refId;
    if (named === undefined) zodToOpenAPIRegistry.add(schema, { ...meta, _internal: { ...meta?._internal, refId: name } });
    else if (named !== name) throw new Error(`one schema named twice: ${named} and ${name}`);
  }
  const ids = new Map<string, Operation>();
  for (const o of operations) {
    if (!(o.tag in info.tags)) throw new Error(`${o.method} ${o.path}: tag ${o.tag} has no description`);
    const operationId = operationIdOf(o, info.base);
    const twin = ids.get(operationId);
    if (twin) throw new Error(`${o.method} ${o.path} and ${twin.method} ${twin.path} would both be ${operationId}`);
    ids.set(operationId, o);
    const names = [...o.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1]!);
    registry.registerPath({
      method: o.method,
      path: openApiPath(o.path),
      operationId,
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
    info: { title: info.title, version: info.version, description: info.description, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    servers: [{ url: '/' }],
    tags: Object.entries(info.tags).map(([name, description]) => ({ name, description })),
  }) as unknown as { paths: Record<string, Record<string, Json>>; components?: { schemas?: Record<string, Json> } };
  /** A named body's own schema (its component), so the rules below are stated once, on it. */
  const resolve = (schema: Json | undefined): Json | undefined => {
    const ref = schema?.$ref;
    return typeof ref === 'string' ? doc.components?.schemas?.[ref.replace('#/components/schemas/', '')] : schema;
  };
  // What the generator cannot see in the zod schemas: refinements, stated as JSON Schema.
  for (const o of operations) {
    const op = doc.paths[openApiPath(o.path)]?.[o.method];
    if (!op) continue;
    const body = ((op.requestBody as Json | undefined)?.content as Json | undefined)?.['application/json'] as Json | undefined;
    const schema = resolve(body?.schema as Json | undefined);
    // A change must change something.
    if (o.method === 'patch' && schema && schema.type === 'object') schema.minProperties = 1;
    info.refine?.(o, { requestSchema: schema, parameters: (op.parameters as Json[] | undefined) ?? [] });
    tightenStrings(schema);
    for (const p of (op.parameters as Json[] | undefined) ?? []) tightenStrings(p.schema);
  }
  return doc;
}
