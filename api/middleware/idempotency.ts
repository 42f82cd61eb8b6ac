/**
 * `Idempotency-Key` on POST and PATCH, stored in Postgres so it holds across replicas and
 * restarts. The same key and request within 24 h replays the first answer
 * (`X-Idempotency-Replayed: true`); the same key with another request is 409; a request that
 * arrives while the first is still running waits for its answer. Handlers also derive the ids
 * they create from the key, so even a retry after a crash mid-request creates nothing twice.
 */
import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { sql } from 'kysely';
import type { Db } from '../../common/db/connect';
import { ApiError } from '../errors';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const TTL_HOURS = 24;
/** A first request still "in progress" after this long died with its process: a retry takes over. */
const ABANDONED_AFTER_MS = 30_000;
const WAIT_FOR_FIRST_MS = 15_000;

export function idempotency(db: Db): RequestHandler {
  return async (req, res, next) => {
    const key = req.get('idempotency-key');
    if (key === undefined || (req.method !== 'POST' && req.method !== 'PATCH')) return next();
    if (!KEY_PATTERN.test(key)) {
      throw new ApiError(400, 'validation_error', 'Idempotency-Key must be 1 to 255 printable ASCII characters', { field: 'Idempotency-Key' });
    }
    const tenantId = req.auth!.tenantId;
    const hash = createHash('sha256').update(`${req.method} ${req.originalUrl.split('?')[0]}\n${JSON.stringify(req.body ?? null)}`).digest('hex');

    for (const deadline = Date.now() + WAIT_FOR_FIRST_MS; ; ) {
      const claimed = await db
        .insertInto('idempotency_keys')
        .values({ tenant_id: tenantId, key, request_hash: hash, status: 'in_progress', expires_at: sql<Date>`now() + make_interval(hours => ${TTL_HOURS})` })
        .onConflict((oc) =>
          oc.columns(['tenant_id', 'key']).doUpdateSet({ request_hash: hash, status: 'in_progress', response_status: null, response_body: null, locked_at: sql`now()`, expires_at: sql`now() + make_interval(hours => ${TTL_HOURS})` })
            // Take the row over only when it expired, or when its first request was abandoned.
            .where(({ or, eb }) =>
              or([
                eb('idempotency_keys.expires_at', '<', sql<Date>`now()`),
                eb.and([
                  eb('idempotency_keys.status', '=', 'in_progress'),
                  eb('idempotency_keys.request_hash', '=', hash),
                  eb('idempotency_keys.locked_at', '<', sql<Date>`now() - make_interval(secs => ${ABANDONED_AFTER_MS / 1000})`),
                ]),
              ]),
            ),
        )
        .returning('key')
        .executeTakeFirst();
      if (claimed) break;

      const existing = await db.selectFrom('idempotency_keys').selectAll().where('tenant_id', '=', tenantId).where('key', '=', key).executeTakeFirst();
      if (!existing) continue;
      if (existing.request_hash !== hash) {
        throw new ApiError(409, 'conflict', 'this Idempotency-Key was used with a different request', { field: 'Idempotency-Key', reason: 'idempotency_key_reused' });
      }
      if (existing.status === 'done') {
        res.setHeader('X-Idempotency-Replayed', 'true');
        res.status(existing.response_status ?? 200).json(existing.response_body);
        return;
      }
      if (Date.now() > deadline) {
        throw new ApiError(409, 'conflict', 'a request with this Idempotency-Key is still in progress; retry shortly', { field: 'Idempotency-Key', reason: 'idempotency_key_in_progress' });
      }
      await new Promise((r) => setTimeout(r, 100));
    }

    req.idempotencyKey = key;
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      // 5xx answers are not kept: the retry should do the work again.
      const store =
        res.statusCode < 500
          ? db.updateTable('idempotency_keys').set({ status: 'done', response_status: res.statusCode, response_body: JSON.stringify(body ?? null) }).where('tenant_id', '=', tenantId).where('key', '=', key).execute()
          : db.deleteFrom('idempotency_keys').where('tenant_id', '=', tenantId).where('key', '=', key).execute();
      store.then(
        () => send(body),
        () => send(body),
      );
      return res;
    };
    next();
  };
}
