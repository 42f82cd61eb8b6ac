/** Lists the routes an Express app really serves, by walking its routers. */
import type { Express } from 'express';

export interface ServedRoute {
  method: string;
  path: string;
}

function walk(stack: any[], prefix: string, out: ServedRoute[]): void {
  for (const layer of stack) {
    if (layer.route) {
      for (const method of Object.keys(layer.route.methods)) out.push({ method, path: `${prefix}${layer.route.path}` });
    } else if (layer.handle?.stack) {
      const mount = layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : '';
      walk(layer.handle.stack, `${prefix}${mount}`, out);
    }
  }
}

export function servedRoutes(app: Express): ServedRoute[] {
  const out: ServedRoute[] = [];
  walk((app as any).router.stack, '', out);
  return out;
}
