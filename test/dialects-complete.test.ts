/**
 * What each dialect's seed documents beyond the basic lifecycle, end to end through the real hub
 * to loopback receivers that verify as the seeds' snippets do: routes and their EasyRoutes and
 * Courrex events, ETA events, pickup, fee and currency, reasons, unassignment, only real status
 * changes, and Zippex's own registration calls.
 */
import { createPartner, createPartnerKey, linkPartner } from '../common/partners/partners';
import { PROFILES } from '../common/dialects/profiles';
import { createDriver, createStop, eventually } from './support/fixtures';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { type Received, Receiver } from './support/receiver';
import { SEED_VERIFIERS } from './support/seed-verifiers';

let hub: TestHub;
let receiver: Receiver;
beforeAll(async () => {
  hub = await startTestHub();
  receiver = await new Receiver().start();
});
afterAll(async () => {
  await hub.stop();
  await receiver.stop();
});

type Provider = keyof typeof PROFILES;

/** A subscription of the dialect to its own receiver path; returns the path and secret. */
async function subscribe(t: TestTenant, provider: Provider, events: string[] = ['*']): Promise<{ path: string; secret: string; id: string }> {
  const path = `/${provider}/${t.tenantId}/${Math.random().toString(36).slice(2)}`;
  const res = await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: `${receiver.url}${path}`, provider, events } });
  expect(res.status).toBe(201);
  return { path, secret: res.body.secret, id: res.body.id };
}

const move = async (t: TestTenant, stopId: string, action: string, body?: unknown) => {
  const res = await hub.call('POST', `/v1/stops/${stopId}/${action}`, { key: t.key, body });
  expect([action, res.status, res.body.error]).toEqual([action, 200, undefined]);
  return res.body;
};

/** Everything the path got, once `count` arrived and half a second passed with nothing more. */
async function settled(path: string, count: number): Promise<Received[]> {
  await receiver.waitFor(path, count);
  await new Promise((r) => setTimeout(r, 600));
  return receiver.at(path);
}

const verified = (provider: Provider, got: Received[], secret: string): void => {
  for (const r of got) expect(SEED_VERIFIERS[provider](r.rawBody, r.headers, secret)).toBe(true);
};

describe('routes', () => {
  test('a route lives planned → dispatched → started → completed in its own workflow, and EasyRoutes and Courrex hear it', async () => {
    const t = await hub.tenant();
    const er = await subscribe(t, 'easyroutes');
    const cx = await subscribe(t, 'courrex');
    const driver = await createDriver(hub, t.key, { name: 'Rein' });
    const a = await createStop(hub, t.key);
    const b = await createStop(hub, t.key);

    const created = await hub.call('POST', '/v1/routes', { key: t.key, body: { driver_id: driver.id, name: 'Morning', stop_ids: [a.id, b.id] } });
    expect(created.status).toBe(201);
    const route = created.body;
    expect(route).toMatchObject({ status: 'planned', name: 'Morning', driver: { id: driver.id, name: 'Rein' }, stops: [{ stop_id: a.id, position: 1 }, { stop_id: b.id, position: 2 }] });

    const reordered = await hub.call('PATCH', `/v1/routes/${route.id}`, { key: t.key, body: { stop_ids: [b.id, a.id], name: 'Morning run' } });
    expect(reordered.status).toBe(200);
    expect(reordered.body.stops.map((s: any) => s.stop_id)).toEqual([b.id, a.id]);
    expect(reordered.body.name).toBe('Morning run');
    // Reordering must name the route's stops exactly.
    const other = await createStop(hub, t.key);
    const wrong = await hub.call('PATCH', `/v1/routes/${route.id}`, { key: t.key, body: { stop_ids: [a.id, other.id] } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details.field).toBe('stop_ids');

    const dispatched = await hub.call('POST', `/v1/routes/${route.id}/dispatch`, { key: t.key });
    expect(dispatched.status).toBe(200);
    expect(dispatched.body.status).toBe('dispatched');
    for (const s of [a, b]) expect((await hub.call('GET', `/v1/stops/${s.id}`, { key: t.key })).body).toMatchObject({ status: 'assigned', driver_id: driver.id });
    expect((await hub.call('POST', `/v1/routes/${route.id}/dispatch`, { key: t.key })).status).toBe(409);

    const started = await hub.call('POST', `/v1/routes/${route.id}/start`, { key: t.key });
    expect(started.body).toMatchObject({ status: 'started' });
    expect(Date.parse(started.body.started_at)).not.toBeNaN();

    for (const s of [b, a]) {
      await move(t, s.id, 'pick-up');
      await move(t, s.id, 'depart');
    }
    await move(t, b.id, 'complete');
    await move(t, a.id, 'fail', { reason: 'not_home' });
    // The route completes by itself once its last stop has ended.
    const done = await eventually(() => hub.call('GET', `/v1/routes/${route.id}`, { key: t.key }), (r) => r.body.status === 'completed');
    expect(done.body.status).toBe('completed');
    // The workflow closes right after it has written the completion.
    const wf = await eventually(() => hub.temporal.workflow.getHandle(`route/${route.id}`).describe(), (d) => d.status.name === 'COMPLETED');
    expect(wf.status.name).toBe('COMPLETED');

    // EasyRoutes: every ROUTE_* topic with the Route object; STOP_STATUS_UPDATED once per real change.
    const topics = ['ROUTE_CREATED', 'ROUTE_UPDATED', 'ROUTE_DISPATCHED', 'ROUTE_STARTED', 'ROUTE_COMPLETED'];
    const stopChanges = 2 /* created */ + 2 /* READY */ + 2 /* OUT_FOR_DELIVERY once each */ + 2; /* DELIVERED, ATTEMPTED */
    const got = await settled(er.path, topics.length + stopChanges + 1 /* the third stop's creation */);
    verified('easyroutes', got, er.secret);
    expect(got.filter((r) => r.body.topic.startsWith('ROUTE_')).map((r) => r.body.topic).sort()).toEqual([...topics].sort());
    const completedTopic = got.find((r) => r.body.topic === 'ROUTE_COMPLETED')!.body;
    expect(completedTopic.objectId).toBe(route.id);
    expect(completedTopic.payload).toMatchObject({ id: route.id, status: 'COMPLETED', driver: { id: driver.id, name: 'Rein' } });
    expect(completedTopic.payload.stops.map((s: any) => [s.id, s.status])).toEqual([[b.id, 'DELIVERED'], [a.id, 'ATTEMPTED']]);
    const outFor = got.filter((r) => r.body.payload?.status === 'OUT_FOR_DELIVERY').map((r) => r.body.objectId);
    expect(outFor.sort()).toEqual([a.id, b.id].sort());
    expect(got.find((r) => r.body.payload?.status === 'ATTEMPTED')!.body.payload.reason).toBe('not_home');

    // Courrex: the route's start and end are its driver.online and driver.offline.
    const cxGot = await settled(cx.path, 1);
    verified('courrex', cxGot, cx.secret);
    const online = cxGot.find((r) => r.body.type === 'driver.online')!.body;
    expect(online.data).toMatchObject({ id: driver.id, status: 'online', active_route_id: route.id });
    expect(cxGot.find((r) => r.body.type === 'driver.offline')!.body.data).toMatchObject({ id: driver.id, status: 'offline', active_route_id: null });
  }, 60_000);

  test('dispatch is refused with 409 naming every stop that cannot go to the driver, and changes nothing', async () => {
    const t = await hub.tenant();
    const driver = await createDriver(hub, t.key, { zone: 'north' });
    const ok = await createStop(hub, t.key);
    const southern = await createStop(hub, t.key, { zone: 'south' });
    const route = (await hub.call('POST', '/v1/routes', { key: t.key, body: { driver_id: driver.id, stop_ids: [ok.id, southern.id] } })).body;
    const refused = await hub.call('POST', `/v1/routes/${route.id}/dispatch`, { key: t.key });
    expect(refused.status).toBe(409);
    expect(refused.body.error.details.stops).toEqual([expect.objectContaining({ stop_id: southern.id, reason: 'zone_mismatch' })]);
    expect((await hub.call('GET', `/v1/stops/${ok.id}`, { key: t.key })).body.status).toBe('pending');
    expect((await hub.call('GET', `/v1/routes/${route.id}`, { key: t.key })).body.status).toBe('planned');

    // A stop is on one route at a time; a deleted route lets it go (ROUTE_DELETED, then 404).
    const twice = await hub.call('POST', '/v1/routes', { key: t.key, body: { driver_id: driver.id, stop_ids: [ok.id] } });
    expect(twice.status).toBe(409);
    expect(twice.body.error.details.stops).toEqual([{ stop_id: ok.id, route_id: route.id }]);
    const deleted = await hub.call('DELETE', `/v1/routes/${route.id}`, { key: t.key });
    expect(deleted.body.status).toBe('deleted');
    expect((await hub.call('GET', `/v1/routes/${route.id}`, { key: t.key })).status).toBe(404);
    expect((await hub.call('POST', '/v1/routes', { key: t.key, body: { driver_id: driver.id, stop_ids: [ok.id] } })).status).toBe(201);
    const events = (await hub.call('GET', '/v1/events?limit=100', { key: t.key })).body.items.map((e: any) => e.event_type);
    expect(events.filter((e: string) => e.startsWith('route.'))).toEqual(['route.created', 'route.deleted', 'route.created']);
  }, 60_000);

  test('bad input names the field and writes nothing; other tenants\' routes are 404', async () => {
    const t = await hub.tenant();
    const driver = await createDriver(hub, t.key);
    const stop = await createStop(hub, t.key);
    const cases: [unknown, string][] = [
      [{ driver_id: driver.id, stop_ids: [] }, 'stop_ids'],
      [{ driver_id: driver.id, stop_ids: [stop.id, stop.id] }, 'stop_ids'],
      [{ driver_id: driver.id, stop_ids: ['stop_01NOSUCHSTOP00000000000000'] }, 'stop_ids'],
      [{ driver_id: 'drv_01NOSUCHDRIVER000000000000', stop_ids: [stop.id] }, 'driver_id'],
      [{ driver_id: driver.id, stop_ids: [stop.id], name: 'a\u0000b' }, 'name'],
      [{ driver_id: driver.id, stop_ids: [stop.id], extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const res = await hub.call('POST', '/v1/routes', { key: t.key, body });
      expect([field, res.status]).toEqual([field, 400]);
      expect(JSON.stringify(res.body.error)).toContain(field);
    }
    expect((await hub.call('GET', '/v1/routes', { key: t.key })).body.data).toEqual([]);
    const mine = (await hub.call('POST', '/v1/routes', { key: t.key, body: { driver_id: driver.id, stop_ids: [stop.id] } })).body;
    const other = await hub.tenant();
    expect((await hub.call('GET', `/v1/routes/${mine.id}`, { key: other.key })).status).toBe(404);
    expect((await hub.call('POST', `/v1/routes/${mine.id}/dispatch`, { key: other.key })).status).toBe(404);
  }, 60_000);
});

test('ETA: a location report that moves the current stop\'s ETA by 2 minutes or more is stop.eta_updated (naveera trip.eta_updated), at most once a minute', async () => {
  const t = await hub.tenant();
  const std = await subscribe(t, 'standard', ['stop.eta_updated']);
  const nv = await subscribe(t, 'naveera', ['trip.eta_updated']);
  const driver = await createDriver(hub, t.key);
  const stop = await createStop(hub, t.key);
  await move(t, stop.id, 'assign', { driver_id: driver.id });
  const { lat, lng } = stop.geocoded;
  const report = (dLat: number) => hub.call('POST', `/v1/drivers/${driver.id}/location`, { key: t.key, body: { lat: lat + dLat, lng, speed_mps: 8 } });

  expect((await report(0.05)).status).toBe(200); // ~5.5 km away: the stop's first ETA
  const [first] = await receiver.waitFor(std.path, 1);
  expect(first!.body).toMatchObject({ type: 'stop.eta_updated', data: { id: stop.id, eta_minutes: expect.any(Number) } });
  expect(Date.parse(first!.body.data.eta_at)).toBeGreaterThan(Date.now());
  const live = await hub.call('GET', `/v1/drivers/${driver.id}/live`, { key: t.key });
  expect(first!.body.data.eta_minutes).toBe(live.body.eta_minutes);
  const [trip] = await receiver.waitFor(nv.path, 1);
  expect(trip!.body.data.trip).toMatchObject({ eta_minutes: first!.body.data.eta_minutes, estimated_arrival_time: first!.body.data.eta_at });
  verified('naveera', [trip!], nv.secret);

  // Within the minute nothing more, however far the driver goes.
  await report(0.01);
  await new Promise((r) => setTimeout(r, 600));
  expect(receiver.at(std.path)).toHaveLength(1);
  // A minute later (the last announcement moved back), a move of under 2 minutes is still nothing…
  await hub.db.updateTable('stops').set({ eta_announced_at: new Date(Date.now() - 61_000) }).where('id', '=', stop.id).execute();
  await report(0.0495);
  await new Promise((r) => setTimeout(r, 600));
  expect(receiver.at(std.path)).toHaveLength(1);
  // …and one of 2 minutes or more is announced.
  await report(0.01);
  const [, second] = await receiver.waitFor(std.path, 2);
  expect(second!.body.data.eta_minutes).toBeLessThan(first!.body.data.eta_minutes - 1);
  // The ETA is not a change of the stop.
  expect((await hub.call('GET', `/v1/stops/${stop.id}`, { key: t.key })).body.version).toBe(2);
}, 60_000);

test('pickup, fee, currency and reasons reach Zippex, Naveera and Kourier; only real status changes are sent', async () => {
  const t = await hub.tenant();
  const zx = await subscribe(t, 'zippex');
  const kr = await subscribe(t, 'kourier');
  const nv = await subscribe(t, 'naveera');
  const driver = await createDriver(hub, t.key);
  const stop = await createStop(hub, t.key, { pickup: { address: '350 W Georgia St, Vancouver, BC V6B 6B1', name: 'Coastal Bites' }, fee: 1249, currency: 'CAD' });
  expect(stop).toMatchObject({ pickup: { address: '350 W Georgia St, Vancouver, BC V6B 6B1', name: 'Coastal Bites' }, fee: 1249, currency: 'CAD' });
  await hub.call('PATCH', `/v1/stops/${stop.id}`, { key: t.key, body: { notes: 'ring twice' } }); // no status change
  await move(t, stop.id, 'assign', { driver_id: driver.id });
  await move(t, stop.id, 'unassign');
  await move(t, stop.id, 'assign', { driver_id: driver.id });
  await move(t, stop.id, 'pick-up');
  await move(t, stop.id, 'depart');
  await move(t, stop.id, 'fail', { reason: 'refused' });

  // Zippex: no name for an unassignment or a plain edit.
  const z = await settled(zx.path, 6);
  verified('zippex', z, zx.secret);
  expect(z.map((r) => r.body.type)).toEqual(expect.arrayContaining(['delivery.created', 'delivery.driver_assigned', 'delivery.picked_up', 'delivery.in_transit', 'delivery.failed']));
  expect(z).toHaveLength(6); // two assignments
  const failed = z.find((r) => r.body.type === 'delivery.failed')!.body.data;
  expect(failed).toMatchObject({ status: 'failed', fee: 1249, currency: 'cad', pickup: { address: '350 W Georgia St, Vancouver, BC V6B 6B1', name: 'Coastal Bites' }, reason: 'refused' });

  // Kourier: created, then one delivery.updated per real status change (not the notes edit).
  const k = await settled(kr.path, 7);
  verified('kourier', k, kr.secret);
  expect(k.map((r) => r.body.status)).toEqual(['pending', 'assigned', 'pending', 'assigned', 'picked_up', 'in_transit', 'failed']);
  expect(k[6]!.body).toMatchObject({ event: 'delivery.updated', delivery_id: stop.id, reason: 'refused' });

  // Naveera: a refusal is a canceled trip, not a no-show; the pickup address is filled.
  const n = await settled(nv.path, 1);
  const last = n.map((r) => r.body).filter((b) => b.event_type === 'trip.status_changed').pop();
  expect(last.data.trip).toMatchObject({ status: 'canceled', previous_status: 'in_progress', pickup_address: '350 W Georgia St, Vancouver, BC V6B 6B1' });
  expect(n.filter((r) => r.body.event_type === 'trip.status_changed').map((r) => r.body.data.trip.status)).toEqual(['assigned', 'scheduled', 'assigned', 'arrived', 'in_progress', 'canceled']);

  // Bad values name their field and write nothing.
  const before = (await hub.call('GET', '/v1/stops', { key: t.key })).body.data.length;
  for (const [body, field] of [
    [{ fee: 12.5, currency: 'EUR' }, 'fee'],
    [{ fee: 100 }, 'currency'],
    [{ fee: 100, currency: 'XYZ' }, 'currency'],
    [{ pickup: { address: '' } }, 'pickup'],
    [{ pickup: { address: 'Somewhere 1', phone: '+1' } }, 'pickup'],
  ] as const) {
    const res = await hub.call('POST', '/v1/stops', { key: t.key, body: { address: 'Pikk 19, Tallinn', ...body } });
    expect([field, res.status]).toEqual([field, 400]);
    expect(JSON.stringify(res.body.error)).toContain(field);
  }
  expect((await hub.call('GET', '/v1/stops', { key: t.key })).body.data).toHaveLength(before);
}, 60_000);

test('Naveera\'s status follows the failure reason: not_home is a no_show, refused is canceled, in webhooks and in the Partner API', async () => {
  const t = await hub.tenant();
  const nv = await subscribe(t, 'naveera', ['trip.status_changed']);
  const partner = await createPartner(hub.db, 'Reason Broker', 'enterprise');
  await linkPartner(hub.db, partner.id, t.tenantId);
  const key = await createPartnerKey(hub.db, { partnerId: partner.id, env: 'test' });
  const driver = await createDriver(hub, t.key);
  const ended: Record<string, string> = {};
  for (const reason of ['not_home', 'refused'] as const) {
    const stop = await createStop(hub, t.key, { broker_id: partner.id, broker_trip_id: `BRK-${reason}-${t.tenantId}` });
    for (const [a, body] of [['assign', { driver_id: driver.id }], ['pick-up'], ['depart'], ['fail', { reason }]] as const) await move(t, stop.id, a, body);
    ended[reason] = stop.id;
  }
  const got = await settled(nv.path, 8);
  const last = (stopId: string) => got.filter((r) => r.body.data.trip.broker_trip_id?.includes(stopId === ended.not_home ? 'not_home' : 'refused')).map((r) => r.body.data.trip.status);
  expect(last(ended.not_home!)).toEqual(['assigned', 'arrived', 'in_progress', 'no_show']);
  expect(last(ended.refused!)).toEqual(['assigned', 'arrived', 'in_progress', 'canceled']);

  const trips = (query: string) =>
    hub.call('GET', `/api/partner/v1/trips${query}`, { headers: { authorization: `Bearer ${key.keyId}:${key.secret}` } }).then((r) => r.body.items.map((i: any) => [i.broker_trip_id, i.status]));
  expect(await trips('?status=no_show')).toEqual([[`BRK-not_home-${t.tenantId}`, 'no_show']]);
  expect(await trips('?status=canceled')).toEqual([[`BRK-refused-${t.tenantId}`, 'canceled']]);
  const history = await hub.call('GET', `/api/partner/v1/trips/by-external-id/BRK-refused-${t.tenantId}`, { headers: { authorization: `Bearer ${key.keyId}:${key.secret}` } });
  expect(history.body.status).toBe('canceled');
});

test('Kourier\'s test event carries the sample stop\'s id, as the other dialects\' do', async () => {
  const t = await hub.tenant();
  const kr = await subscribe(t, 'kourier');
  const res = await hub.call('POST', `/v1/webhooks/subscriptions/${kr.id}/test`, { key: t.key });
  expect(res.status).toBe(202);
  const [got] = await receiver.waitFor(kr.path, 1);
  expect(got!.body.delivery_id).toMatch(/^stop_/);
  expect(got!.body.delivery_id).not.toBe(kr.id);
});

test('Zippex registration: POST, GET and DELETE /v1/webhooks as the seed shows them, the same subscriptions as /v1/webhooks/subscriptions', async () => {
  const t = await hub.tenant();
  const url = `${receiver.url}/zippex-registered/${t.tenantId}`;
  const created = await hub.call('POST', '/v1/webhooks', { key: t.key, body: { url, events: ['delivery.created', 'delivery.delivered', 'delivery.cancelled'], description: 'Production delivery updates' } });
  expect(created.status).toBe(201);
  expect(Object.keys(created.body).sort()).toEqual(['active', 'created_at', 'description', 'events', 'id', 'secret', 'url']);
  expect(created.body).toMatchObject({ url, active: true, description: 'Production delivery updates' });
  expect(created.body.id).toMatch(/^wh_/);
  expect(created.body.secret).toMatch(/^whsec_/);

  const listed = await hub.call('GET', '/v1/webhooks', { key: t.key });
  expect(listed.body).toEqual({ data: [{ ...created.body, secret: undefined }].map(({ secret: _s, ...w }) => w) });
  const subs = await hub.call('GET', '/v1/webhooks/subscriptions', { key: t.key });
  expect(subs.body.items).toEqual([expect.objectContaining({ provider: 'zippex', url, events: created.body.events })]);
  const subId: string = subs.body.items[0].id;
  expect(subId.replace(/^whsub_/, 'wh_')).toBe(created.body.id);

  // It delivers as any zippex subscription, signed with the secret it showed.
  await createStop(hub, t.key);
  const [got] = await receiver.waitFor(`/zippex-registered/${t.tenantId}`, 1);
  expect(got!.body.type).toBe('delivery.created');
  verified('zippex', [got!], created.body.secret);

  for (const [body, field] of [
    [{ url, events: ['delivery.exploded'] }, 'events'],
    [{ url }, 'events'],
    [{ url: 'ftp://example.com/x', events: ['*'] }, 'url'],
    [{ url, events: ['*'], secret: 'mine' }, 'secret'],
  ] as const) {
    const res = await hub.call('POST', '/v1/webhooks', { key: t.key, body });
    expect([field, res.status]).toEqual([field, 400]);
    expect(JSON.stringify(res.body.error)).toContain(field);
  }
  expect((await hub.call('GET', '/v1/webhooks', { key: t.key })).body.data).toHaveLength(1);

  const other = await hub.tenant();
  expect((await hub.call('DELETE', `/v1/webhooks/${created.body.id}`, { key: other.key })).status).toBe(404);
  const deleted = await hub.call('DELETE', `/v1/webhooks/${created.body.id}`, { key: t.key });
  expect(deleted.body).toEqual({ id: created.body.id, deleted: true });
  expect((await hub.call('GET', '/v1/webhooks', { key: t.key })).body.data).toEqual([]);
  expect((await hub.call('GET', `/v1/webhooks/subscriptions/${subId}`, { key: t.key })).status).toBe(404);
});
