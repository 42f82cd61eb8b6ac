/** `/v1/openapi.json` and `/docs` (Swagger UI served from the local npm package, no CDN). */
import express, { Router } from 'express';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { buildOpenApiDocument } from '../openapi';

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
  <script src="/docs/init.js"></script>
</body>
</html>`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/v1/openapi.json', dom_id: '#swagger-ui', deepLinking: true });`;

export function docsRoutes(): Router {
  const router = Router();
  const document = buildOpenApiDocument();
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
