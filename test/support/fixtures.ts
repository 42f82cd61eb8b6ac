/** Small builders for tests: a stop, an online driver, a stop walked to a given status. */
import { expect } from '@jest/globals';
import type { TestHub } from './hub';

let counter = 0;

export function stopBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    address: 'Pikk 19, 10123 Tallinn, Estonia',
    customer_name: 'Mia Lindqvist',
    phone: '+4521345678',
    order_amount: 245.0,
    payment_method: 'prepaid',
    time_window: { from: '2026-05-08T09:00:00+02:00', to: '2026-05-08T12:00:00+02:00' },
    notes: 'Use back entrance via courtyard',
    external_ref: `order-${Date.now()}-${counter}`,
    ...overrides,
  };
}

export async function createStop(hub: TestHub, key: string, overrides: Record<string, unknown> = {}): Promise<any> {
  const res = await hub.call('POST', '/v1/stops', { key, body: stopBody(overrides) });
  expect(res.status).toBe(201);
  return res.body;
}

export async function createDriver(hub: TestHub, key: string, opts: { zone?: string; online?: boolean; name?: string } = {}): Promise<any> {
  const res = await hub.call('POST', '/v1/drivers', { key, body: { name: opts.name ?? 'Driver', zone: opts.zone } });
  expect(res.status).toBe(201);
  if (opts.online !== false) {
    const online = await hub.call('POST', `/v1/drivers/${res.body.id}/online`, { key });
    expect(online.status).toBe(200);
    return online.body;
  }
  return res.body;
}

const PATH_TO: Record<string, { action: string; body?: (driverId: string) => unknown }[]> = {
  pending: [],
  assigned: [{ action: 'assign', body: (d) => ({ driver_id: d }) }],
  picked_up: [{ action: 'assign', body: (d) => ({ driver_id: d }) }, { action: 'pick-up' }],
  in_transit: [{ action: 'assign', body: (d) => ({ driver_id: d }) }, { action: 'pick-up' }, { action: 'depart' }],
  completed: [{ action: 'assign', body: (d) => ({ driver_id: d }) }, { action: 'pick-up' }, { action: 'depart' }, { action: 'complete' }],
  failed: [{ action: 'assign', body: (d) => ({ driver_id: d }) }, { action: 'pick-up' }, { action: 'depart' }, { action: 'fail', body: () => ({ reason: 'not_home' }) }],
  cancelled: [{ action: 'cancel', body: () => ({ reason: 'customer asked' }) }],
};

/** Creates a stop and moves it to `status` through the API. */
export async function stopIn(hub: TestHub, key: string, status: string, driverId: string): Promise<any> {
  let stop = await createStop(hub, key);
  for (const step of PATH_TO[status]!) {
    const res = await hub.call('POST', `/v1/stops/${stop.id}/${step.action}`, { key, body: step.body?.(driverId) });
    expect(res.status).toBe(200);
    stop = res.body;
  }
  expect(stop.status).toBe(status);
  return stop;
}

export async function eventually<T>(probe: () => Promise<T>, accept: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!accept(last) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    last = await probe();
  }
  return last;
}
