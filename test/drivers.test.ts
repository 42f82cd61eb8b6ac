import { etaMinutes, haversineMeters } from '../common/drivers/eta';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { createDriver, createStop, eventually } from './support/fixtures';

let hub: TestHub;
let t: TestTenant;
let other: TestTenant;
beforeAll(async () => {
  hub = await startTestHub();
  t = await hub.tenant();
  other = await hub.tenant();
});
afterAll(async () => hub.stop());

describe('eta (pure)', () => {
  test('one degree of latitude is about 111.2 km', () => {
    expect(haversineMeters({ lat: 0, lng: 0 }, { lat: 1, lng: 0 })).toBeCloseTo(111_195, -1);
  });
  test('uses the driver speed when moving, and urban speed when standing still', () => {
    const a = { lat: 59.4, lng: 24.75 };
    const b = { lat: 59.43696, lng: 24.75353 };
    const meters = haversineMeters(a, b) * 1.3;
    expect(etaMinutes(a, b, 10)).toBe(Math.ceil(meters / 10 / 60));
    expect(etaMinutes(a, b, 0)).toBe(Math.ceil(meters / (30 / 3.6) / 60));
  });
});

test('creates, reads and lists drivers; another tenant sees none of them', async () => {
  const created = await hub.call('POST', '/v1/drivers', { key: t.key, body: { name: 'Mia', phone: '+4521345678', zone: 'north' } });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ name: 'Mia', phone: '+4521345678', zone: 'north', status: 'offline', location: null });
  expect(created.body.id).toMatch(/^drv_[0-9A-Z]{26}$/);

  const got = await hub.call('GET', `/v1/drivers/${created.body.id}`, { key: t.key });
  expect(got.body).toEqual(created.body);
  for (const path of [`/v1/drivers/${created.body.id}`, `/v1/drivers/${created.body.id}/live`]) {
    expect((await hub.call('GET', path, { key: other.key })).status).toBe(404);
  }
  for (const path of ['online', 'offline', 'location']) {
    const res = await hub.call('POST', `/v1/drivers/${created.body.id}/${path}`, { key: other.key, body: path === 'location' ? { lat: 1, lng: 1 } : undefined });
    expect(res.status).toBe(404);
  }

  await createDriver(hub, t.key, { zone: 'south', name: 'Ola' });
  const north = await hub.call('GET', '/v1/drivers?zone=north', { key: t.key });
  expect(north.body.data.map((d: any) => d.id)).toEqual([created.body.id]);
  const online = await hub.call('GET', '/v1/drivers?status=online', { key: t.key });
  expect(online.body.data.every((d: any) => d.status === 'online')).toBe(true);
  const page1 = await hub.call('GET', '/v1/drivers?limit=1', { key: t.key });
  expect(page1.body.data).toHaveLength(1);
  const page2 = await hub.call('GET', `/v1/drivers?limit=1&cursor=${page1.body.next_cursor}`, { key: t.key });
  expect(page2.body.data[0].id).not.toBe(page1.body.data[0].id);
  const foreign = await hub.call('GET', '/v1/drivers', { key: other.key });
  expect(foreign.body.data).toEqual([]);
});

test('invalid drivers and locations are 400s naming the field, and write nothing', async () => {
  const before = await hub.db.selectFrom('drivers').select('id').where('tenant_id', '=', t.tenantId).execute();
  for (const [body, field] of [
    [{}, 'name'],
    [{ name: 'x', phone: '555' }, 'phone'],
    [{ name: 'x', vehicle: 'van' }, 'vehicle'],
    [{ name: 'x'.repeat(201) }, 'name'],
  ] as const) {
    const res = await hub.call('POST', '/v1/drivers', { key: t.key, body });
    expect(res.status).toBe(400);
    expect(res.body.error.details.errors.map((e: any) => e.field)).toContain(field);
  }
  expect(await hub.db.selectFrom('drivers').select('id').where('tenant_id', '=', t.tenantId).execute()).toHaveLength(before.length);

  const d = await createDriver(hub, t.key);
  for (const [body, field] of [
    [{ lat: 91, lng: 0 }, 'lat'],
    [{ lat: 0, lng: -181 }, 'lng'],
    [{ lat: 0, lng: 0, battery_pct: 120 }, 'battery_pct'],
    [{ lat: '59', lng: 24 }, 'lat'],
  ] as const) {
    const res = await hub.call('POST', `/v1/drivers/${d.id}/location`, { key: t.key, body });
    expect(res.status).toBe(400);
    expect(res.body.error.details.field).toBe(field);
  }
});

test('online and offline emit driver events only when the state changes', async () => {
  const d = await createDriver(hub, t.key, { online: false });
  for (const path of ['online', 'online', 'offline', 'offline', 'online']) {
    const res = await hub.call('POST', `/v1/drivers/${d.id}/${path}`, { key: t.key });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe(path);
  }
  const events = await hub.db.selectFrom('events').selectAll().where('subject_id', '=', d.id).orderBy('position').execute();
  expect(events.map((e) => e.type)).toEqual(['driver.online', 'driver.offline', 'driver.online']);
  expect(events[0]!.payload).toMatchObject({ id: d.id, status: 'online' });
});

test('GET /live has exactly the seed shape, with the next open stop and an ETA', async () => {
  const d = await createDriver(hub, t.key);
  const empty = await hub.call('GET', `/v1/drivers/${d.id}/live`, { key: t.key });
  expect(Object.keys(empty.body).sort()).toEqual(
    ['battery_pct', 'current_stop_id', 'driver_id', 'eta_minutes', 'heading', 'lat', 'lng', 'speed_mps', 'updated_at'].sort(),
  );
  expect(empty.body).toMatchObject({ driver_id: d.id, lat: null, current_stop_id: null, eta_minutes: null });

  const later = await createStop(hub, t.key, { address: 'Raekoja plats 1, Tartu, Estonia', time_window: { from: '2026-05-08T15:00:00Z', to: '2026-05-08T16:00:00Z' } });
  const sooner = await createStop(hub, t.key, { address: 'Pikk 19, Tallinn, Estonia', time_window: { from: '2026-05-08T09:00:00Z', to: '2026-05-08T10:00:00Z' } });
  for (const s of [later, sooner]) {
    await eventually(async () => (await hub.call('GET', `/v1/stops/${s.id}`, { key: t.key })).body, (x) => x.geocoded !== null);
    expect((await hub.call('POST', `/v1/stops/${s.id}/assign`, { key: t.key, body: { driver_id: d.id } })).status).toBe(200);
  }
  const loc = await hub.call('POST', `/v1/drivers/${d.id}/location`, { key: t.key, body: { lat: 59.4, lng: 24.75, speed_mps: 8.4, heading: 184, battery_pct: 64 } });
  expect(loc.status).toBe(200);

  const live = (await hub.call('GET', `/v1/drivers/${d.id}/live`, { key: t.key })).body;
  expect(live).toMatchObject({ driver_id: d.id, lat: 59.4, lng: 24.75, speed_mps: 8.4, heading: 184, battery_pct: 64, current_stop_id: sooner.id });
  expect(live.eta_minutes).toBe(etaMinutes({ lat: 59.4, lng: 24.75 }, { lat: 59.43696, lng: 24.75353 }, 8.4));
  expect(Date.parse(live.updated_at)).not.toBeNaN();

  // Once the sooner stop is under way it stays current; when it is done the next one is.
  await hub.call('POST', `/v1/stops/${later.id}/pick-up`, { key: t.key });
  expect((await hub.call('GET', `/v1/drivers/${d.id}/live`, { key: t.key })).body.current_stop_id).toBe(later.id);
  await hub.call('POST', `/v1/stops/${later.id}/cancel`, { key: t.key });
  expect((await hub.call('GET', `/v1/drivers/${d.id}/live`, { key: t.key })).body.current_stop_id).toBe(sooner.id);
});
