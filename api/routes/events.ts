/**
 * The polling fallback: every event of the tenant in commit order, with a cursor. Positions are
 * handed out in commit order (see common/events/append.ts), so replaying from the last cursor
 * after an outage sees every event exactly once.
 */
import { type RequestHandler, Router } from 'express';
import { sql } from 'kysely';
import { type EventsPage, eventsQuerySchema } from '../../common/schemas/webhooks';
import type { ApiContext } from '../context';
import { ApiError } from '../errors';
import { authOf } from '../middleware/auth';
import { parseQuery } from '../validate';

const encode = (position: string): string => Buffer.from(`p:${position}`).toString('base64url');
function decode(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const m = /^p:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new ApiError(400, 'validation_error', 'after is not a cursor this API returned', { field: 'after', value: cursor.slice(0, 100) });
  return m[1];
}

export function eventRoutes(ctx: ApiContext): Router {
  const router = Router();

  const list: RequestHandler = async (req, res) => {
    const q = parseQuery(eventsQuerySchema, req);
    const after = decode(q.after);
    let query = ctx.db
      .selectFrom('events')
      .select(['id', 'type', 'created_at', 'expires_at', 'payload', 'position'])
      .where('tenant_id', '=', authOf(req).tenantId)
      .where('subject_type', '!=', 'test')
      .where('expires_at', '>', sql<Date>`now()`);
    if (after) query = query.where('position', '>', after);
    // Compared at the millisecond precision clients see in created_at.
    if (q.since) query = query.where(sql`date_trunc('milliseconds', created_at)`, '>', new Date(q.since));
    if (q.event_type) query = query.where('type', '=', q.event_type);
    const rows = await query.orderBy('position').limit(q.limit + 1).execute();
    const items = rows.slice(0, q.limit);
    const last = items[items.length - 1];
    const page: EventsPage = {
      items: items.map((e) => ({
        event_id: e.id,
        event_type: e.type,
        created_at: new Date(e.created_at).toISOString(),
        expires_at: new Date(e.expires_at).toISOString(),
        payload: e.payload,
      })),
      // Always a cursor to resume from, even on the last page (or the one given, if empty).
      next_cursor: last ? encode(last.position) : (q.after ?? null),
      has_more: rows.length > q.limit,
    };
    res.json(page);
  };

  // The same feed under the Naveera path; each path's scope is in the route table.
  router.get('/events', list);
  router.get('/webhooks/events', list);
  return router;
}
