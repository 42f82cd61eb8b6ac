/**
 * `/v1/openapi.json` and `/docs` (Swagger UI served from the local npm package, no CDN), with a
 * section per API: the hub's /v1 and the brokers' Partner API (its document is served by its router).
 */
import express, { Router } from 'express';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { buildV1Document } from '../openapi';
import { PARTNER_BASE } from '../partner/operations';

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Dispatch Hub API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

export const DOC_SECTIONS = [
  { name: 'Dispatch Hub API (/v1)', url: '/v1/openapi.json' },
  { name: 'Naveera Partner API (brokers)', url: `${PARTNER_BASE}/openapi.json` },
];

const INIT = `window.ui = SwaggerUIBundle({
  urls: ${JSON.stringify(DOC_SECTIONS)},
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});`;

export function docsRoutes(): Router {
  const router = Router();
  const document = buildV1Document();
  router.get('/v1/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/docs', (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/docs/init.js', (_req, res) => {
    res.type('application/javascript').send(INIT);
  });
  router.use('/docs/assets', express.static(getAbsoluteFSPath(), { index: false, fallthrough: true }));
  return router;
}
