/**
 * An operations table as a lookup by method and path, so middleware can act on what a request
 * is before any handler runs: its scope, whether it takes a query, and which methods its path
 * allows.
 */
import type { Operation } from './openapi-document';

interface CompiledRoute {
  op: Operation;
  method: string;
  regex: RegExp;
}

export class RouteTable {
  private readonly routes: CompiledRoute[];

  constructor(operations: readonly Operation[]) {
    this.routes = operations.map((op) => ({
      op,
      method: op.method.toUpperCase(),
      regex: new RegExp(`^${op.path.replace(/:[A-Za-z_]+/g, '[^/]+')}/?$`),
    }));
  }

  /** The operation a request is, if any. HEAD is GET without a body. */
  find(method: string, path: string): Operation | undefined {
    const m = method === 'HEAD' ? 'GET' : method;
    return this.routes.find((r) => r.method === m && r.regex.test(path))?.op;
  }

  /** The methods a path answers (empty for a path the API does not have). */
  allowedMethods(path: string): string[] {
    const methods = new Set(this.routes.filter((r) => r.regex.test(path)).map((r) => r.method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods];
  }
}
