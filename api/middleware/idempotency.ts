/**
 * `Idempotency-Key` on POST and PATCH, stored in Postgres so it holds across replicas and
 * restarts. The same key and request within 24 h replays the first answer
 * (`X-Idempotency-Replayed: true`); the same key with another request is 409; a request that
 * arrives while the first is still running is 409 `idempotency_key_in_progress` at once (as
 * Stripe answers it), and once the first has answered a retry replays that. Handlers derive the ids they
 * create from the key and the request (`createdIdFor`), so a retry after a crash mid-request
 * creates nothing twice, and a key reused after its record expired creates something new.
 *
 * This runs after authentication and the scope check: a stored answer is only ever replayed to
 * a key that may make the request. Answers are stored sealed (they can carry a webhook secret).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { sql } from 'kysely';
import type { Db } from '../../common/db/connect';
import { deterministicId, deterministicUuid, type IdPrefix, newId } from '../../common/ids';
import type { SecretBox } from '../../common/subscriptions/secrets';
import { ApiError } from '../errors';

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;
const TTL_HOURS = 24;
/** A first request still "in progress" after this long died with its process: a retry takes over. */
const ABANDONED_AFTER_MS = 30_000;
/** Answers that say nothing about the request itself, only about this moment or this caller. */
const NOT_KEPT = new Set([401, 403, 408, 429]);

/**
 * The answer to a keyed request while the first with its key still runs: the record says so, or
 * (after a takeover of a record thought abandoned) the id both derive from is taken.
 */
export const keyInProgress = (): ApiError =>
  new ApiError(409, 'conflict', 'a request with this Idempotency-Key is still in progress; retry shortly', { field: 'Idempotency-Key', reason: 'idempotency_key_in_progress' });

/** Answers that leave the key's record to the twin request that shares it (see `answerLeavesRecord`). */
const leavesRecord = new WeakSet<Response>();

/**
 * Marks this answer as not the key's: a keyed request that met its twin's row (both took the
 * key, one of them over a record it judged abandoned) says "in progress", and must neither
 * replace the twin's stored answer nor delete it.
 */
export const answerLeavesRecord = (res: Response): void => {
  leavesRecord.add(res);
};

/** The id of a resource this request creates: derived from its Idempotency-Key and body, else new. */
export function createdIdFor(req: Request, prefix: IdPrefix, tenantId: string): string {
  return req.idempotency ? deterministicId(prefix, tenantId, req.idempotency.key, req.idempotency.requestHash) : newId(prefix);
}

/** The same for a resource whose ids are UUIDs (the Partner API's subscriptions). */
export function createdUuidFor(req: Request, ownerId: string): string {
  return req.idempotency ? deterministicUuid(ownerId, req.idempotency.key, req.idempotency.requestHash) : randomUUID();
}

/** `ownerOf` names whose keys these are: the tenant of a v1 key, the partner of a Partner API key. */
export function idempotency(db: Db, box: SecretBox, ownerOf: (req: Request) => string): RequestHandler {
  return async (req, res, next) => {
    const key = req.get('idempotency-key');
    if (key === undefined || (req.method !== 'POST' && req.method !== 'PATCH')) return next();
    if (!KEY_PATTERN.test(key)) {
      throw new ApiError(400, 'validation_error', 'Idempotency-Key must be 1 to 255 printable ASCII characters', { field: 'Idempotency-Key' });
    }
    const ownerId = ownerOf(req);
    const hash = createHash('sha256').update(`${req.method} ${req.baseUrl}${req.path}\n${req.bodyHash ?? ''}`).digest('hex');

    for (;;) {
      const claimed = await db
        .insertInto('idempotency_keys')
        .values({ owner_id: ownerId, key, request_hash: hash, status: 'in_progress', expires_at: sql<Date>`now() + make_interval(hours => ${TTL_HOURS})` })
        .onConflict((oc) =>
          oc.columns(['owner_id', 'key']).doUpdateSet({ request_hash: hash, status: 'in_progress', response_status: null, response_sealed: null, locked_at: sql`now()`, expires_at: sql`now() + make_interval(hours => ${TTL_HOURS})` })
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

      const existing = await db.selectFrom('idempotency_keys').selectAll().where('owner_id', '=', ownerId).where('key', '=', key).executeTakeFirst();
      // Gone since: the first answered with something not kept (a 5xx), so this one does the work.
      if (!existing) continue;
      if (existing.request_hash !== hash) {
        throw new ApiError(409, 'conflict', 'this Idempotency-Key was used with a different request', { field: 'Idempotency-Key', reason: 'idempotency_key_reused' });
      }
      if (existing.status === 'done') {
        res.setHeader('X-Idempotency-Replayed', 'true');
        res.status(existing.response_status ?? 200).json(existing.response_sealed ? JSON.parse(box.open(existing.response_sealed)) : null);
        return;
      }
      throw keyInProgress();
    }

    req.idempotency = { key, requestHash: hash };
    const send = res.json.bind(res);
    res.json = (body: unknown) => {
      if (leavesRecord.has(res)) return send(body);
      // 5xx and caller-specific answers are not kept: the retry should do the work again.
      const keep = res.statusCode < 500 && !NOT_KEPT.has(res.statusCode);
      const store = keep
        ? db
            .updateTable('idempotency_keys')
            .set({ status: 'done', response_status: res.statusCode, response_sealed: box.seal(JSON.stringify(body ?? null)) })
            .where('owner_id', '=', ownerId)
            .where('key', '=', key)
            .execute()
        : db.deleteFrom('idempotency_keys').where('owner_id', '=', ownerId).where('key', '=', key).execute();
      store.then(
        () => send(body),
        () => send(body),
      );
      return res;
    };
    next();
  };
}
