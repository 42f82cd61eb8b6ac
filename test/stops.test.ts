import { stopStateQuery } from '../common/temporal/stop-lifecycle';
import { SA } from '../common/temporal/search-attributes';
import { TRANSITIONS } from '../common/stops/lifecycle';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { createDriver, createStop, eventually, stopBody, stopIn } from './support/fixtures';

let hub: TestHub;
let t: TestTenant;
let other: TestTenant;
let driver: any;
beforeAll(async () => {
  hub = await startTestHub();
  t = await hub.tenant();
  other = await hub.tenant();
  driver = await createDriver(hub, t.key);
});
afterAll(async () => hub.stop());

const countRows = async (tenantId: string) => {
  const [stops, events] = await Promise.all([
    hub.db.selectFrom('stops').select(({ fn }) => fn.countAll<string>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow(),
    hub.db.selectFrom('events').select(({ fn }) => fn.countAll<string>().as('n')).where('tenant_id', '=', tenantId).executeTakeFirstOrThrow(),
  ]);
  return { stops: Number(stops.n), events: Number(events.n) };
};

describe('POST /v1/stops', () => {
  test('creates the stop as the seed shows it, with a lifecycle workflow, a history row and a stop.created event', async () => {
    const body = stopBody();
    const res = await hub.call('POST', '/v1/stops', { key: t.key, body });
    expect(res.status).toBe(201);
    const stop = res.body;
    expect(stop.id).toMatch(/^stop_[0-9A-Z]{26}$/);
    expect(res.headers.get('location')).toBe(`/v1/stops/${stop.id}`);
    expect(stop).toMatchObject({
      status: 'pending',
      address: body.address,
      customer_name: body.customer_name,
      phone: body.phone,
      order_amount: 245,
      payment_method: 'prepaid',
      time_window: { from: '2026-05-08T07:00:00.000Z', to: '2026-05-08T10:00:00.000Z' },
      external_ref: body.external_ref,
      driver_id: null,
      version: 1,
    });
    expect(Date.parse(stop.created_at)).not.toBeNaN();

    // The outbox relay starts the lifecycle workflow right after the commit.
    const handle = hub.temporal.workflow.getHandle(`stop/${stop.id}`);
    const description = await eventually(
      () => handle.describe().catch(() => undefined),
      (d) => d !== undefined,
      5_000,
    );
    expect(description!.status.name).toBe('RUNNING');
    expect(description!.typedSearchAttributes.get(SA.TenantId)).toBe(t.tenantId);
    expect(description!.typedSearchAttributes.get(SA.StopId)).toBe(stop.id);
    const started = () => hub.db.selectFrom('stops').select('lifecycle_started_at').where('id', '=', stop.id).executeTakeFirstOrThrow();
    expect((await eventually(started, (r) => r.lifecycle_started_at !== null, 5_000)).lifecycle_started_at).not.toBeNull();
    const state = await handle.query(stopStateQuery);
    expect(state.stop?.id).toBe(stop.id);

    const events = await hub.db.selectFrom('events').selectAll().where('subject_id', '=', stop.id).execute();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'stop.created', sequence: 1, id: `evt_${stop.id.slice(5)}_0001` });
    expect(events[0]!.payload).toMatchObject({ id: stop.id, status: 'pending', external_ref: body.external_ref });

    const history = await hub.call('GET', `/v1/stops/${stop.id}/history`, { key: t.key });
    expect(history.body.history).toEqual([
      expect.objectContaining({ from_status: null, to_status: 'pending', source: 'api' }),
    ]);
  });

  test('geocodes the address offline with an honest confidence', async () => {
    const stop = await createStop(hub, t.key);
    const geocoded = await eventually(
      async () => (await hub.call('GET', `/v1/stops/${stop.id}`, { key: t.key })).body,
      (s) => s.geocoded !== null,
    );
    expect(geocoded.geocoded).toEqual({ lat: expect.closeTo(59.437, 2), lng: expect.closeTo(24.754, 2), confidence: 'medium' });
    expect(geocoded.geocode_warnings.join(' ')).toMatch(/street-level/);
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ['a phone that is not E.164', { phone: '21345678' }, 'phone'],
    ['a time window that ends before it starts', { time_window: { from: '2026-05-08T12:00:00Z', to: '2026-05-08T09:00:00Z' } }, 'time_window.from'],
    ['a negative amount', { order_amount: -1 }, 'order_amount'],
    ['an unknown payment method', { payment_method: 'bitcoin' }, 'payment_method'],
    ['an address of the wrong type', { address: 12345 }, 'address'],
    ['a missing address', { address: undefined }, 'address'],
    ['a huge address', { address: 'x'.repeat(100_000) }, 'address'],
    ['a NUL character', { notes: 'a\u0000b' }, 'notes'],
    ['a date out of range', { time_window: { from: '9999-01-01T00:00:00Z', to: '9999-01-02T00:00:00Z' } }, 'time_window.from'],
    ['a date without a zone', { time_window: { from: '2026-05-08T09:00:00', to: '2026-05-08T12:00:00' } }, 'time_window.from'],
    ['an unknown field', { colour: 'red' }, 'colour'],
    ['a number as a string', { order_amount: '245' }, 'order_amount'],
  ];
  test.each(invalid)('rejects %s with a 400 naming the field, and writes nothing', async (_label, override, field) => {
    const before = await countRows(t.tenantId);
    const body = { ...stopBody(), ...override };
    const res = await hub.call('POST', '/v1/stops', { key: t.key, body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_error');
    expect(res.body.error.details.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(res.body.error.details.field).toBeDefined();
    expect(await countRows(t.tenantId)).toEqual(before);
  });

  test('an amount that overflows to Infinity is a 400', async () => {
    const raw = JSON.stringify(stopBody()).replace('"order_amount":245', '"order_amount":1e309');
    const res = await hub.call('POST', '/v1/stops', { key: t.key, rawBody: raw, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toBe('order_amount');
  });

  test('names every bad field at once', async () => {
    const res = await hub.call('POST', '/v1/stops', { key: t.key, body: { address: '', phone: 'x', order_amount: -5, payment_method: 'gold' } });
    expect(res.status).toBe(400);
    const fields = res.body.error.details.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['address', 'phone', 'order_amount', 'payment_method']));
    expect(res.body.error.details.errors.find((e: any) => e.field === 'phone').value).toBe('x');
  });

  test('rejects non-object bodies', async () => {
    for (const body of [[], 'a string', 42, null]) {
      const res = await hub.call('POST', '/v1/stops', { key: t.key, body });
      expect(res.status).toBe(400);
    }
  });

  test('accepts unicode text', async () => {
    const stop = await createStop(hub, t.key, { address: '東京都千代田区 1-1, Tōkyō 🚚, Japan', customer_name: 'Zoë Ångström' });
    expect(stop.customer_name).toBe('Zoë Ångström');
  });

  test('external_ref is unique per tenant: 409 in the same tenant, fine in another', async () => {
    const stop = await createStop(hub, t.key);
    const before = await countRows(t.tenantId);
    const dup = await hub.call('POST', '/v1/stops', { key: t.key, body: stopBody({ external_ref: stop.external_ref }) });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'conflict', details: { field: 'external_ref', value: stop.external_ref } });
    expect(await countRows(t.tenantId)).toEqual(before);
    await createStop(hub, other.key, { external_ref: stop.external_ref });
  });

  test('a key without stops:write gets 403 naming the scope', async () => {
    const reader = await hub.tenant(['stops:read']);
    const res = await hub.call('POST', '/v1/stops', { key: reader.key, body: stopBody() });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'forbidden', details: { required_scope: 'stops:write' } });
  });
});

describe('reading stops', () => {
  test('GET /v1/stops/:id, and 404 for another tenant or a malformed id', async () => {
    const stop = await createStop(hub, t.key);
    expect((await hub.call('GET', `/v1/stops/${stop.id}`, { key: t.key })).body.id).toBe(stop.id);
    for (const path of [`/v1/stops/${stop.id}`, `/v1/stops/${stop.id}/history`]) {
      const res = await hub.call('GET', path, { key: other.key });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('not_found');
    }
    expect((await hub.call('PATCH', `/v1/stops/${stop.id}`, { key: other.key, body: { notes: 'x' } })).status).toBe(404);
    expect((await hub.call('POST', `/v1/stops/${stop.id}/cancel`, { key: other.key })).status).toBe(404);
    expect((await hub.call('GET', '/v1/stops/../../etc/passwd', { key: t.key })).status).toBe(404);
    expect((await hub.call('GET', '/v1/stops/stop_%00', { key: t.key })).status).toBe(404);
  });

  test('lists with filters and walks pages without skipping or repeating while others write', async () => {
    const tenant = await hub.tenant();
    const created = [];
    for (let i = 0; i < 7; i++) created.push(await createStop(hub, tenant.key));
    const drv = await createDriver(hub, tenant.key);
    await hub.call('POST', `/v1/stops/${created[2].id}/assign`, { key: tenant.key, body: { driver_id: drv.id } });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    const writer = (async () => {
      for (let i = 0; i < 3; i++) await createStop(hub, tenant.key);
    })();
    do {
      const res: any = await hub.call('GET', `/v1/stops?limit=3${cursor ? `&cursor=${cursor}` : ''}`, { key: tenant.key });
      expect(res.status).toBe(200);
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.data.map((s: any) => s.id));
      cursor = res.body.next_cursor;
      pages++;
    } while (cursor && pages < 10);
    await writer;
    expect(new Set(seen).size).toBe(seen.length);
    for (const s of created) expect(seen).toContain(s.id);

    const assigned = await hub.call('GET', '/v1/stops?status=assigned', { key: tenant.key });
    expect(assigned.body.data.map((s: any) => s.id)).toEqual([created[2].id]);
    const byDriver = await hub.call('GET', `/v1/stops?driver_id=${drv.id}`, { key: tenant.key });
    expect(byDriver.body.data).toHaveLength(1);
    const byRef = await hub.call('GET', `/v1/stops?external_ref=${encodeURIComponent(created[4].external_ref)}`, { key: tenant.key });
    expect(byRef.body.data.map((s: any) => s.id)).toEqual([created[4].id]);
    const multi = await hub.call('GET', '/v1/stops?status=pending,assigned&limit=100', { key: tenant.key });
    expect(multi.body.data.length).toBe(10);
    const since = await hub.call('GET', `/v1/stops?updated_since=${encodeURIComponent(created[6].updated_at)}&limit=100`, { key: tenant.key });
    expect(since.body.data.map((s: any) => s.id)).not.toContain(created[0].id);
    // Another tenant's list never shows them.
    const foreign = await hub.call('GET', '/v1/stops?limit=100', { key: other.key });
    expect(foreign.body.data.map((s: any) => s.id)).not.toContain(created[0].id);
  });

  test('bad list queries are 400s', async () => {
    for (const q of ['limit=0', 'limit=101', 'limit=abc', 'status=lost', 'cursor=nonsense', 'updated_since=yesterday', 'frobnicate=1', 'limit=1&limit=2']) {
      const res = await hub.call('GET', `/v1/stops?${q}`, { key: t.key });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_error');
    }
  });
});

describe('lifecycle', () => {
  test('a full delivery: every move writes one history row and one event, in order, with a snapshot', async () => {
    const stop = await createStop(hub, t.key);
    const steps: [string, unknown, string][] = [
      ['assign', { driver_id: driver.id }, 'assigned'],
      ['pick-up', undefined, 'picked_up'],
      ['depart', undefined, 'in_transit'],
      ['complete', { notes: 'left with neighbour', proof: { photo_urls: ['https://cdn.example/p1.jpg'], signature_url: 'https://cdn.example/sig.png', signee_name: 'J. Doe' } }, 'completed'],
    ];
    for (const [action, body, status] of steps) {
      const res = await hub.call('POST', `/v1/stops/${stop.id}/${action}`, { key: t.key, body });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe(status);
    }
    const final = (await hub.call('GET', `/v1/stops/${stop.id}`, { key: t.key })).body;
    expect(final).toMatchObject({ status: 'completed', driver_id: driver.id, version: 5 });
    expect(final.completion).toMatchObject({ notes: 'left with neighbour', proof: { signee_name: 'J. Doe' } });

    const history = (await hub.call('GET', `/v1/stops/${stop.id}/history`, { key: t.key })).body.history;
    expect(history.map((h: any) => [h.from_status, h.to_status])).toEqual([
      [null, 'pending'], ['pending', 'assigned'], ['assigned', 'picked_up'], ['picked_up', 'in_transit'], ['in_transit', 'completed'],
    ]);
    const events = await hub.db.selectFrom('events').selectAll().where('subject_id', '=', stop.id).orderBy('sequence').execute();
    expect(events.map((e) => e.type)).toEqual(['stop.created', 'stop.assigned', 'stop.picked_up', 'stop.in_transit', 'stop.completed']);
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5]);
    expect(events.map((e) => e.id)).toEqual(history.map((h: any) => h.event_id));
    expect(events.map((e) => (e.payload as any).status)).toEqual(['pending', 'assigned', 'picked_up', 'in_transit', 'completed']);
    // Positions are strictly increasing per tenant.
    const positions = events.map((e) => BigInt(e.position));
    for (let i = 1; i < positions.length; i++) expect(positions[i]! > positions[i - 1]!).toBe(true);

    const result = await hub.temporal.workflow.getHandle(`stop/${stop.id}`).result();
    expect(result).toEqual({ stop_id: stop.id, status: 'completed' });
  });

  test('fail needs a reason from the enum; cancel and unassign work from their states', async () => {
    const inTransit = await stopIn(hub, t.key, 'in_transit', driver.id);
    const noReason = await hub.call('POST', `/v1/stops/${inTransit.id}/fail`, { key: t.key, body: { reason: 'aliens' } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.details.field).toBe('reason');
    const failed = await hub.call('POST', `/v1/stops/${inTransit.id}/fail`, { key: t.key, body: { reason: 'refused', notes: 'customer refused' } });
    expect(failed.status).toBe(200);
    expect(failed.body.failure).toMatchObject({ reason: 'refused', notes: 'customer refused' });

    const assigned = await stopIn(hub, t.key, 'assigned', driver.id);
    const unassigned = await hub.call('POST', `/v1/stops/${assigned.id}/unassign`, { key: t.key });
    expect(unassigned.body).toMatchObject({ status: 'pending', driver_id: null });
    const cancelled = await hub.call('POST', `/v1/stops/${assigned.id}/cancel`, { key: t.key, body: { reason: 'duplicate order' } });
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancellation: { reason: 'duplicate order' } });
    const events = await hub.db.selectFrom('events').select('type').where('subject_id', '=', assigned.id).orderBy('sequence').execute();
    expect(events.map((e) => e.type)).toEqual(['stop.created', 'stop.assigned', 'stop.unassigned', 'stop.cancelled']);
  });

  const ACTIONS: Record<string, { path: string; body?: unknown }> = {
    assign: { path: 'assign', body: {} },
    unassign: { path: 'unassign' },
    pick_up: { path: 'pick-up' },
    depart: { path: 'depart' },
    complete: { path: 'complete' },
    fail: { path: 'fail', body: { reason: 'other' } },
    cancel: { path: 'cancel' },
  };
  for (const status of ['pending', 'assigned', 'picked_up', 'in_transit', 'completed', 'failed', 'cancelled']) {
    test(`from ${status}, every move the lifecycle does not allow is a 409 with the current status`, async () => {
      const stop = await stopIn(hub, t.key, status, driver.id);
      const before = await hub.db.selectFrom('events').select('id').where('subject_id', '=', stop.id).execute();
      for (const [action, { path, body }] of Object.entries(ACTIONS)) {
        if ((TRANSITIONS as any)[action].from.includes(status)) continue;
        const payload = action === 'assign' ? { driver_id: driver.id } : body;
        const res = await hub.call('POST', `/v1/stops/${stop.id}/${path}`, { key: t.key, body: payload });
        expect([action, res.status]).toEqual([action, 409]);
        expect(res.body.error.details.current_status).toBe(status);
      }
      if (['completed', 'failed', 'cancelled'].includes(status)) {
        const patch = await hub.call('PATCH', `/v1/stops/${stop.id}`, { key: t.key, body: { notes: 'late' } });
        expect(patch.status).toBe(409);
      }
      const after = await hub.db.selectFrom('events').select('id').where('subject_id', '=', stop.id).execute();
      expect(after).toHaveLength(before.length);
    });
  }

  test('an unknown action is a 404', async () => {
    const stop = await createStop(hub, t.key);
    expect((await hub.call('POST', `/v1/stops/${stop.id}/teleport`, { key: t.key })).status).toBe(404);
  });

  test('a stop cancelled right after its creation: every cancel is a 200 and no workflow task fails', async () => {
    // A cancel racing the workflow's first task used to cancel a local activity in flight; the
    // task then failed and, retried, applied the cancel a second time (a 409 for a done cancel).
    const runs = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const stop = await createStop(hub, t.key);
        const answer = await hub.call('POST', `/v1/stops/${stop.id}/cancel`, { key: t.key, body: { reason: 'customer_request' } });
        return { stop, status: answer.status };
      }),
    );
    expect(runs.map((r) => r.status)).toEqual(runs.map(() => 200));
    const stops = runs.map((r) => r.stop);
    for (const stop of stops) {
      const history = await hub.temporal.workflow.getHandle(`stop/${stop.id}`).fetchHistory();
      expect(history.events?.filter((e) => e.workflowTaskFailedEventAttributes)).toEqual([]);
    }
  });

  test('two concurrent transitions: exactly one wins, the other gets 409, no lost update', async () => {
    const second = await createDriver(hub, t.key);
    for (let round = 0; round < 3; round++) {
      const stop = await createStop(hub, t.key);
      const results = await Promise.all([
        hub.call('POST', `/v1/stops/${stop.id}/assign`, { key: t.key, body: { driver_id: driver.id } }),
        hub.call('POST', `/v1/stops/${stop.id}/assign`, { key: t.key, body: { driver_id: second.id } }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
      const winner = results.find((r) => r.status === 200)!.body.driver_id;
      const row = (await hub.call('GET', `/v1/stops/${stop.id}`, { key: t.key })).body;
      expect(row.driver_id).toBe(winner);
      const events = await hub.db.selectFrom('events').select('type').where('subject_id', '=', stop.id).execute();
      expect(events.map((e) => e.type).sort()).toEqual(['stop.assigned', 'stop.created']);
    }
    const racing = await stopIn(hub, t.key, 'in_transit', driver.id);
    const endings = await Promise.all([
      hub.call('POST', `/v1/stops/${racing.id}/complete`, { key: t.key }),
      hub.call('POST', `/v1/stops/${racing.id}/fail`, { key: t.key, body: { reason: 'damaged' } }),
      hub.call('POST', `/v1/stops/${racing.id}/cancel`, { key: t.key }),
    ]);
    expect(endings.filter((r) => r.status === 200)).toHaveLength(1);
    expect(endings.filter((r) => r.status === 409)).toHaveLength(2);
    const history = (await hub.call('GET', `/v1/stops/${racing.id}/history`, { key: t.key })).body.history;
    expect(history).toHaveLength(5);
  });

  test('PATCH changes fields, emits stop.updated, re-geocodes, and guards external_ref', async () => {
    const stop = await createStop(hub, t.key);
    const taken = await createStop(hub, t.key);
    const res = await hub.call('PATCH', `/v1/stops/${stop.id}`, { key: t.key, body: { notes: 'ring twice', address: 'Storgatan 1, Stockholm, Sweden', time_window: null } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ notes: 'ring twice', address: 'Storgatan 1, Stockholm, Sweden', time_window: null, version: 2 });
    const geocoded = await eventually(
      async () => (await hub.call('GET', `/v1/stops/${stop.id}`, { key: t.key })).body,
      (s) => s.geocoded?.lat !== undefined && Math.abs(s.geocoded.lat - 59.33) < 0.1,
    );
    expect(geocoded.geocoded.confidence).toBe('medium');
    const dup = await hub.call('PATCH', `/v1/stops/${stop.id}`, { key: t.key, body: { external_ref: taken.external_ref } });
    expect(dup.status).toBe(409);
    for (const body of [{}, { status: 'completed' }, { phone: '123' }]) {
      expect((await hub.call('PATCH', `/v1/stops/${stop.id}`, { key: t.key, body })).status).toBe(400);
    }
    const events = await hub.db.selectFrom('events').select('type').where('subject_id', '=', stop.id).execute();
    expect(events.map((e) => e.type).sort()).toEqual(['stop.created', 'stop.updated']);
  });
});

describe('assignment rules', () => {
  test('zone mismatch is 409 zone_mismatch; offline is 409; unknown or foreign driver is 400', async () => {
    const northDriver = await createDriver(hub, t.key, { zone: 'north' });
    const southStop = await createStop(hub, t.key, { zone: 'south' });
    const mismatch = await hub.call('POST', `/v1/stops/${southStop.id}/assign`, { key: t.key, body: { driver_id: northDriver.id } });
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.error.details).toMatchObject({ reason: 'zone_mismatch', stop_zone: 'south', driver_zone: 'north' });

    const offline = await createDriver(hub, t.key, { online: false });
    const off = await hub.call('POST', `/v1/stops/${southStop.id}/assign`, { key: t.key, body: { driver_id: offline.id } });
    expect(off.status).toBe(409);
    expect(off.body.error.details.reason).toBe('driver_offline');

    const foreign = await createDriver(hub, other.key);
    for (const driverId of [foreign.id, 'drv_01ARZ3NDEKTSV4RRFFQ69G5FAV']) {
      const res = await hub.call('POST', `/v1/stops/${southStop.id}/assign`, { key: t.key, body: { driver_id: driverId } });
      expect(res.status).toBe(400);
      expect(res.body.error.details.field).toBe('driver_id');
    }
    const southDriver = await createDriver(hub, t.key, { zone: 'south' });
    expect((await hub.call('POST', `/v1/stops/${southStop.id}/assign`, { key: t.key, body: { driver_id: southDriver.id } })).status).toBe(200);
    const events = await hub.db.selectFrom('events').select('type').where('subject_id', '=', southStop.id).execute();
    expect(events).toHaveLength(2);
  });
});

describe('durability', () => {
  test('a worker stopped mid-lifecycle: the waiting move completes on a new worker, nothing lost or doubled', async () => {
    const stop = await stopIn(hub, t.key, 'assigned', driver.id);
    const workerHandles = [...(hub as any).workers];
    for (const w of workerHandles) await w.stop();

    const pickUp = hub.call('POST', `/v1/stops/${stop.id}/pick-up`, { key: t.key });
    await new Promise((r) => setTimeout(r, 1_500));
    const unchanged = (await hub.call('GET', `/v1/stops/${stop.id}`, { key: t.key })).body;
    expect(unchanged.status).toBe('assigned');

    await hub.startWorker();
    const res = await pickUp;
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('picked_up');
    const depart = await hub.call('POST', `/v1/stops/${stop.id}/depart`, { key: t.key });
    expect(depart.body.status).toBe('in_transit');

    const events = await hub.db.selectFrom('events').select(['type', 'sequence']).where('subject_id', '=', stop.id).orderBy('sequence').execute();
    expect(events.map((e) => e.sequence)).toEqual([1, 2, 3, 4]);
    const history = await hub.db.selectFrom('stop_history').select('seq').where('stop_id', '=', stop.id).execute();
    expect(history).toHaveLength(4);
  });
});
