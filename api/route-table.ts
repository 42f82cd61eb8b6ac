/**
 * The documented operations (OPERATIONS) as a lookup by method and path, so middleware can act
 * on what a request is before any handler runs: its scope, whether it takes a query, and which
 * methods its path allows.
 */
import { type Operation, OPERATIONS } from './openapi';

interface Compiled {
  op: Operation;
  method: string;
  regex: RegExp;
}

export const compileRoutes = (operations: readonly Operation[]): Compiled[] =>
  operations.map((op) => ({
    op,
    method: op.method.toUpperCase(),
    regex: new RegExp(`^${op.path.replace(/:[A-Za-z_]+/g, '[^/]+')}/?$`),
  }));

const ROUTES = compileRoutes(OPERATIONS);

/** The operation a request is, if any. HEAD is GET without a body. */
export function findOperation(method: string, path: string, routes = ROUTES): Operation | undefined {
  const m = method === 'HEAD' ? 'GET' : method;
  return routes.find((r) => r.method === m && r.regex.test(path))?.op;
}

/** The methods a path answers (empty for a path the API does not have). */
export function allowedMethods(path: string, routes = ROUTES): string[] {
  const methods = new Set(routes.filter((r) => r.regex.test(path)).map((r) => r.method));
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods];
}
