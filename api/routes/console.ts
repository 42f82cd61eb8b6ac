/**
 * The integrator console at /console: static files only. Everything it shows it reads from the
 * public API with the key the user signs in with (held in the tab's session storage), so it can
 * show nothing that key could not read. Its libraries (Preact + htm for the UI, uPlot for the
 * charts) are served from the installed npm packages: no CDN.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Router } from 'express';

/** api/console beside the sources; from the compiled dist/api/routes, the same folder in the repo. */
const CONSOLE_DIR = [path.join(__dirname, '..', 'console'), path.join(__dirname, '..', '..', '..', 'api', 'console')].find((d) => existsSync(path.join(d, 'index.html')))!;
/** A file beside a package's main entry (their `exports` hide the paths themselves). */
const pkg = (name: string, file: string): string => path.join(path.dirname(require.resolve(name)), file);

/** Files by URL path: [content type, file, rewrite]. Preact's hooks import "preact" by bare name; served, it imports the file beside it. */
const FILES: Record<string, [string, string, ((s: string) => string)?]> = {
  '/console': ['text/html', path.join(CONSOLE_DIR, 'index.html')],
  '/console/app.js': ['text/javascript', path.join(CONSOLE_DIR, 'app.js')],
  '/console/style.css': ['text/css', path.join(CONSOLE_DIR, 'style.css')],
  '/console/vendor/preact.js': ['text/javascript', pkg('preact', 'preact.module.js')],
  '/console/vendor/hooks.js': ['text/javascript', pkg('preact/hooks', 'hooks.module.js'), (s) => s.replace(/from\s*["']preact["']/g, 'from"./preact.js"')],
  '/console/vendor/htm.js': ['text/javascript', pkg('htm', 'htm.module.js')],
  '/console/vendor/uplot.js': ['text/javascript', pkg('uplot', 'uPlot.esm.js')],
  '/console/vendor/uplot.css': ['text/css', pkg('uplot', 'uPlot.min.css')],
};

/** No inline scripts, nothing from elsewhere; uPlot sets inline styles. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export function consoleRoutes(): Router {
  const router = Router();
  // Read once at start: a few hundred KB.
  const served = Object.entries(FILES).map(([url, [type, file, rewrite]]) => {
    const text = readFileSync(file, 'utf8');
    return { url, type, body: rewrite ? rewrite(text) : text };
  });
  for (const f of served) {
    router.get(f.url, (_req, res) => {
      res.set({ 'content-type': `${f.type}; charset=utf-8`, 'content-security-policy': CSP, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-cache' }).send(f.body);
    });
  }
  return router;
}
