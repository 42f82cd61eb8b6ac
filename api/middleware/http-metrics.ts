/**
 * Counts and times every answer by API, method, route pattern (never the raw path, which would
 * make a series per id) and status; 429s also count as rate-limit rejections.
 */
import type { NextFunction, Request, Response } from 'express';
import { METRICS } from '../../common/metrics/registry';
import { PARTNER_BASE } from '../partner/app';

export function httpMetrics(req: Request, res: Response, next: NextFunction): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const partner = req.originalUrl.startsWith(PARTNER_BASE);
    const api = partner ? 'partner' : 'v1';
    // req.route.path is relative to its router's mount point, and Express has reset baseUrl by
    // the time the answer is sent: the mount points are known.
    const mount = partner ? PARTNER_BASE : req.originalUrl.startsWith('/v1/') ? '/v1' : '';
    const route = req.route?.path ? `${mount}${String(req.route.path)}` : 'unmatched';
    const labels = { api, method: req.method, route, status: String(res.statusCode) };
    METRICS.httpRequests.inc(labels);
    METRICS.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    if (res.statusCode === 429) METRICS.rateLimited.inc({ api });
  });
  next();
}
