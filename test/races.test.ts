/**
 * Races on unique constraints: eight identical requests at once (or eight requests claiming the
 * same value) get exactly one success and, for the other seven, the very 409 (code, message,
 * details) that the check before the write gives a request sent after the winner: never a 500,
 * never a second copy.
 */
import { sql, type Transaction } from 'kysely';
import { PARTNER_BASE } from '../api/partner/operations';
import type { Database } from '../common/db/schema';
import { createPartner, createPartnerKey, linkPartner } from '../common/partners/partners';
import { createDriver, createStop, stopBody } from './support/fixtures';
import { type ApiResponse, startTestHub, type TestHub, type TestTenant } from './support/hub';

const N = 8;

let hub: TestHub;
let t: TestTenant;
let brokerId: string;
let driverId: string;

beforeAll(async () => {
  hub = await startTestHub();
  t = await hub.tenant();
  brokerId = (await createPartner(hub.db, 'Race Broker', 'enterprise')).id;
  await linkPartner(hub.db, brokerId, t.tenantId);
  driverId = (await createDriver(hub, t.key)).id;
});
afterAll(async () => hub.stop());

type Trx = Transaction<Database>;

/** Locks a tenant's event counter, which every write that records an event takes last. */
const tenantRow = (tenantId: string) => (trx: Trx) => trx.selectFrom('tenants').select('id').where('id', '=', tenantId).forUpdate().execute();
/** Takes the lock that serialises an owner's subscription creates (common/subscriptions/subscriptions.ts). */
const subscriptionLock = (owner: string) => (trx: Trx) => sql`select pg_advisory_xact_lock(hashtextextended(${`subscriptions:${owner}`}, 0))`.execute(trx);

/** Backends of this database waiting for a lock (the holder itself is not). */
async function waitingForLocks(): Promise<number> {
  const { rows } = await sql<{ n: string }>`select count(*)::text as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(hub.db);
  return Number(rows[0]!.n);
}

/** Runs `run` while `hold` is held by a transaction of the test's own, and lets go after it. */
async function whileHeld<T>(hold: (trx: Trx) => Promise<unknown>, run: () => Promise<T>): Promise<T> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let held!: () => void;
  const isHeld = new Promise<void>((r) => (held = r));
  const holder = hub.db.transaction().execute(async (trx) => {
    await hold(trx);
    held();
    await released;
  });
  await isHeld;
  try {
    return await run();
  } finally {
    release();
    await holder;
  }
}

/** Waits until `n` requests have answered or wait for a lock. */
async function untilInPlace(n: number, answered: () => number): Promise<void> {
  for (const deadline = Date.now() + 10_000; answered() + (await waitingForLocks()) < n && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
}

/**
 * Sends `N` requests at once (the i-th built by `send(i)`) while `hold` is held, and lets go
 * only once every request has either answered or waits for a lock: the first writer waits at
 * the lock, the others at its row (or its key), so all N are past their checks before anyone
 * commits and the losers really meet the constraint.
 */
async function race(send: (i: number) => Promise<ApiResponse>, hold: (trx: Trx) => Promise<unknown> = tenantRow(t.tenantId)): Promise<ApiResponse[]> {
  let answered = 0;
  const { pending } = await whileHeld(hold, async () => {
    const sent = Array.from({ length: N }, (_, i) => send(i).finally(() => (answered += 1)));
    await untilInPlace(N, () => answered);
    return { pending: sent };
  });
  return Promise.all(pending);
}

/**
 * One answer is `success`, the rest are 409s; returns the winner and the losers' bodies (for
 * comparing with the sequential 409).
 */
function oneWinner(results: ApiResponse[], success: number): { winner: ApiResponse; losers: unknown[] } {
  expect(results.map((r) => r.status).sort()).toEqual([success, ...Array<number>(N - 1).fill(409)]);
  return { winner: results.find((r) => r.status === success)!, losers: results.filter((r) => r.status === 409).map((r) => r.body) };
}

const sameAnswers = (losers: unknown[], sequential: ApiResponse): void => {
  expect(sequential.status).toBe(409);
  expect(losers).toEqual(Array<unknown>(N - 1).fill(sequential.body));
};

const byStopId = (a: { stop_id: string }, b: { stop_id: string }): number => (a.stop_id < b.stop_id ? -1 : 1);

const stopsWhere = (column: 'external_ref' | 'broker_trip_id', value: string) =>
  hub.db.selectFrom('stops').select('id').where('tenant_id', '=', t.tenantId).where(column, '=', value).execute();

describe('stops_tenant_external_ref_key', () => {
  test('POST /v1/stops: 8 stops with one external_ref at once', async () => {
    const body = stopBody();
    const { winner, losers } = oneWinner(await race(() => hub.call('POST', '/v1/stops', { key: t.key, body })), 201);
    sameAnswers(losers, await hub.call('POST', '/v1/stops', { key: t.key, body }));
    expect(losers[0]).toEqual({ error: { code: 'conflict', message: `a stop with external_ref "${String(body.external_ref)}" already exists`, details: { field: 'external_ref', value: body.external_ref, reason: 'duplicate_external_ref' } } });
    expect(await stopsWhere('external_ref', String(body.external_ref))).toEqual([{ id: winner.body.id }]);
  });

  test('PATCH /v1/stops/:id: 8 stops given one external_ref at once', async () => {
    const stops = await Promise.all(Array.from({ length: N + 1 }, () => createStop(hub, t.key)));
    const ref = `patched-${Date.now()}`;
    const patch = (id: string) => hub.call('PATCH', `/v1/stops/${id}`, { key: t.key, body: { external_ref: ref } });
    const { winner, losers } = oneWinner(await race((i) => patch(stops[i].id)), 200);
    sameAnswers(losers, await patch(stops[N].id));
    expect((losers[0] as any).error.details).toEqual({ field: 'external_ref', value: ref, reason: 'duplicate_external_ref' });
    expect(await stopsWhere('external_ref', ref)).toEqual([{ id: winner.body.id }]);
    // The losers' stops are as they were, and still free to change.
    const loser = stops.find((s) => s.id !== winner.body.id)!;
    const after = await hub.call('PATCH', `/v1/stops/${loser.id}`, { key: t.key, body: { notes: 'still movable' } });
    expect([after.status, after.body.external_ref, after.body.version]).toEqual([200, loser.external_ref, 2]);
  });

  test('POST /v1/stops/bulk: 8 imports of one batch at once', async () => {
    const batch = [stopBody(), stopBody(), stopBody()];
    const { winner, losers } = oneWinner(await race(() => hub.call('POST', '/v1/stops/bulk', { key: t.key, body: batch })), 201);
    const sequential = await hub.call('POST', '/v1/stops/bulk', { key: t.key, body: batch });
    sameAnswers(losers, sequential);
    const ids = winner.body.stops.map((s: { id: string }) => s.id);
    expect(sequential.body.error.details).toEqual({
      reason: 'duplicate_external_ref',
      existing: batch.map((s, index) => ({ external_ref: s.external_ref, index, stop_id: ids[index] })).sort(byStopId),
    });
    const imported = await hub.db.selectFrom('stops').select('import_id').distinct().where('id', 'in', ids).execute();
    expect(imported).toEqual([{ import_id: winner.body.import_id }]);
    expect(await stopsWhere('external_ref', String(batch[0]!.external_ref))).toHaveLength(1);
  });
});

describe('stops_broker_trip_key', () => {
  const tripBody = (tripId: string) => stopBody({ external_ref: null, broker_id: brokerId, broker_trip_id: tripId });

  test('POST /v1/stops: 8 trips with one broker_trip_id at once', async () => {
    const body = tripBody(`trip-${Date.now()}`);
    const { winner, losers } = oneWinner(await race(() => hub.call('POST', '/v1/stops', { key: t.key, body })), 201);
    sameAnswers(losers, await hub.call('POST', '/v1/stops', { key: t.key, body }));
    expect((losers[0] as any).error).toEqual({ code: 'conflict', message: 'this broker already has a trip with this broker_trip_id', details: { field: 'broker_trip_id', value: body.broker_trip_id, reason: 'duplicate_broker_trip_id' } });
    expect(await stopsWhere('broker_trip_id', String(body.broker_trip_id))).toEqual([{ id: winner.body.id }]);
  });

  test('PATCH /v1/stops/:id: 8 trips of one broker given one broker_trip_id at once', async () => {
    const stops = await Promise.all(Array.from({ length: N + 1 }, (_, i) => createStop(hub, t.key, { broker_id: brokerId, broker_trip_id: `own-${Date.now()}-${i}` })));
    const tripId = `patched-trip-${Date.now()}`;
    const patch = (id: string) => hub.call('PATCH', `/v1/stops/${id}`, { key: t.key, body: { broker_trip_id: tripId } });
    const { winner, losers } = oneWinner(await race((i) => patch(stops[i].id)), 200);
    sameAnswers(losers, await patch(stops[N].id));
    expect((losers[0] as any).error.details).toEqual({ field: 'broker_trip_id', value: tripId, reason: 'duplicate_broker_trip_id' });
    expect(await stopsWhere('broker_trip_id', tripId)).toEqual([{ id: winner.body.id }]);
  });

  test('POST /v1/stops/bulk: 8 imports of one batch of trips at once', async () => {
    const batch = [tripBody(`bulk-trip-${Date.now()}-a`), tripBody(`bulk-trip-${Date.now()}-b`)];
    const { winner, losers } = oneWinner(await race(() => hub.call('POST', '/v1/stops/bulk', { key: t.key, body: batch })), 201);
    const sequential = await hub.call('POST', '/v1/stops/bulk', { key: t.key, body: batch });
    sameAnswers(losers, sequential);
    const ids = winner.body.stops.map((s: { id: string }) => s.id);
    expect(sequential.body.error.details).toEqual({
      reason: 'duplicate_broker_trip_id',
      existing: batch.map((s, index) => ({ broker_id: brokerId, broker_trip_id: s.broker_trip_id, index, stop_id: ids[index] })).sort(byStopId),
    });
    expect(await stopsWhere('broker_trip_id', String(batch[0]!.broker_trip_id))).toHaveLength(1);
  });

  test('a batch that repeats a broker_trip_id for its broker is a 409 naming the items, and writes nothing', async () => {
    const tripId = `repeated-${Date.now()}`;
    const batch = [tripBody(tripId), stopBody({ external_ref: null }), tripBody(tripId)];
    const res = await hub.call('POST', '/v1/stops/bulk', { key: t.key, body: batch });
    expect([res.status, res.body.error.details]).toEqual([409, { reason: 'duplicate_broker_trip_id', duplicates: [{ broker_id: brokerId, broker_trip_id: tripId, indexes: [0, 2] }] }]);
    expect(await stopsWhere('broker_trip_id', tripId)).toEqual([]);
  });
});

describe('route_stops_pkey', () => {
  test('POST /v1/routes: 8 routes of the same two stops at once', async () => {
    const stops = [await createStop(hub, t.key), await createStop(hub, t.key)];
    const body = { driver_id: driverId, name: 'race', stop_ids: stops.map((s) => s.id) };
    const { winner, losers } = oneWinner(await race(() => hub.call('POST', '/v1/routes', { key: t.key, body })), 201);
    sameAnswers(losers, await hub.call('POST', '/v1/routes', { key: t.key, body }));
    expect((losers[0] as any).error).toEqual({
      code: 'conflict',
      message: 'a stop is on one route at a time',
      details: { field: 'stop_ids', stops: stops.map((s) => ({ stop_id: s.id, route_id: winner.body.id })).sort(byStopId) },
    });
    const routes = await hub.db.selectFrom('routes').select('id').where('tenant_id', '=', t.tenantId).where('name', '=', 'race').execute();
    expect(routes).toEqual([{ id: winner.body.id }]);
  });

  test('8 routes naming the same stops, half in the opposite order: one wins, seven 409s, no deadlock', async () => {
    const stops = [await createStop(hub, t.key), await createStop(hub, t.key), await createStop(hub, t.key)];
    const ids = stops.map((s) => s.id);
    const results = await race((i) => hub.call('POST', '/v1/routes', { key: t.key, body: { driver_id: driverId, stop_ids: i % 2 ? [...ids].reverse() : ids } }));
    const { winner, losers } = oneWinner(results, 201);
    for (const loser of losers) expect((loser as any).error.details.stops).toEqual([...ids].sort().map((id) => ({ stop_id: id, route_id: winner.body.id })));
  });
});

describe('idempotency_keys_pkey: the same keyed request 8 times at once', () => {
  const inProgress = { message: 'a request with this Idempotency-Key is still in progress; retry shortly', details: { field: 'Idempotency-Key', reason: 'idempotency_key_in_progress' } };

  /** The work is done once: one 201, seven 409s in progress; a retry after it answered replays it. */
  async function keyedRace(path: string, body: () => unknown, auth: string, opts: { base?: string; hold?: (trx: Trx) => Promise<unknown> } = {}): Promise<ApiResponse> {
    const { base = '', hold } = opts;
    const headers = { 'idempotency-key': `race-${Date.now()}-${Math.random()}` };
    const send = () => hub.call('POST', `${base}${path}`, { key: auth, body: body(), headers });
    const { winner, losers } = oneWinner(await race(send, hold), 201);
    expect(winner.headers.get('x-idempotency-replayed')).toBeNull();
    // The Partner API renders codes in upper case.
    expect(losers).toEqual(Array<unknown>(N - 1).fill({ error: { ...inProgress, code: base ? 'CONFLICT' : 'conflict' } }));
    const retried = await send();
    expect([retried.status, retried.headers.get('x-idempotency-replayed'), retried.body]).toEqual([201, 'true', winner.body]);
    return winner;
  }

  test('POST /v1/stops', async () => {
    const body = stopBody();
    const first = await keyedRace('/v1/stops', () => body, t.key);
    expect(await stopsWhere('external_ref', String(body.external_ref))).toEqual([{ id: first.body.id }]);
  });

  test('POST /v1/routes', async () => {
    const stop = await createStop(hub, t.key);
    const first = await keyedRace('/v1/routes', () => ({ driver_id: driverId, stop_ids: [stop.id] }), t.key);
    expect(await hub.db.selectFrom('route_stops').select('route_id').where('stop_id', '=', stop.id).execute()).toEqual([{ route_id: first.body.id }]);
  });

  test('POST /v1/stops/bulk', async () => {
    const batch = [stopBody(), stopBody()];
    const first = await keyedRace('/v1/stops/bulk', () => batch, t.key);
    expect(await stopsWhere('external_ref', String(batch[0]!.external_ref))).toEqual([{ id: first.body.stops[0].id }]);
  });

  test('POST /v1/webhooks/subscriptions', async () => {
    const u = await hub.tenant();
    const first = await keyedRace('/v1/webhooks/subscriptions', () => ({ url: 'http://127.0.0.1:9/race' }), u.key, { hold: subscriptionLock(u.tenantId) });
    expect(await hub.db.selectFrom('webhook_subscriptions').select('id').where('tenant_id', '=', u.tenantId).execute()).toEqual([{ id: first.body.id }]);
  });

  test('Partner API: POST /webhooks/subscriptions (the 409 in the Partner API\'s shape)', async () => {
    const partnerId = (await createPartner(hub.db, 'Keyed Broker', 'enterprise')).id;
    const key = await createPartnerKey(hub.db, { partnerId, env: 'test' });
    const first = await keyedRace('/webhooks/subscriptions', () => ({ url: 'http://127.0.0.1:9/race' }), `${key.keyId}:${key.secret}`, { base: PARTNER_BASE, hold: subscriptionLock(partnerId) });
    expect(await hub.db.selectFrom('webhook_subscriptions').select('id').where('partner_id', '=', partnerId).execute()).toEqual([{ id: first.body.id }]);
  });

  test('a keyed retry that took over a record judged abandoned while its first still runs: 409 in progress, and the first answer is kept', async () => {
    const body = stopBody();
    const headers = { 'idempotency-key': `twin-${Date.now()}` };
    const send = () => hub.call('POST', '/v1/stops', { key: t.key, body, headers });
    let answered = 0;
    const [first, twin] = await whileHeld(tenantRow(t.tenantId), async () => {
      const a = send().finally(() => (answered += 1));
      await untilInPlace(1, () => answered);
      // The first looks abandoned (as after a crash): the twin takes its record over and meets its stop's id.
      await hub.db.updateTable('idempotency_keys').set({ locked_at: sql<Date>`now() - interval '1 minute'` }).where('owner_id', '=', t.tenantId).where('key', '=', headers['idempotency-key']).execute();
      const b = send().finally(() => (answered += 1));
      await untilInPlace(2, () => answered);
      return [a, b];
    });
    expect([(await first).status, (await twin).status, (await twin).body]).toEqual([201, 409, { error: { code: 'conflict', ...inProgress } }]);
    const retried = await send();
    expect([retried.status, retried.headers.get('x-idempotency-replayed'), retried.body]).toEqual([201, 'true', (await first).body]);
    expect(await stopsWhere('external_ref', String(body.external_ref))).toHaveLength(1);
  });
});
