import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { geocodeOffline } from '../common/geocoding/offline';
import { startTestHub, type TestHub } from './support/hub';
import { createDriver, createStop, eventually } from './support/fixtures';

describe('offline gazetteer (pure)', () => {
  test('finds the town, says medium and why', () => {
    const g = geocodeOffline('Pikk 19, 10123 Tallinn, Estonia');
    expect(g).toMatchObject({ confidence: 'medium', lat: expect.closeTo(59.437, 2), lng: expect.closeTo(24.754, 2) });
    expect(g.warnings.join(' ')).toMatch(/street-level/);
  });
  test('an ambiguous town without a country is low', () => {
    expect(geocodeOffline('123 Main St, Springfield').confidence).toBe('low');
  });
  test('nothing recognisable is none, without coordinates', () => {
    expect(geocodeOffline('12345, 67890')).toMatchObject({ confidence: 'none', lat: null, lng: null });
  });
});

describe('a geocoder that is down', () => {
  let server: Server;
  let requests = 0;
  let hub: TestHub;

  beforeAll(async () => {
    // A Nominatim-compatible geocoder that fails its first three requests.
    server = createServer((req, res) => {
      requests++;
      if (requests <= 3) {
        res.writeHead(503).end('down for maintenance');
        return;
      }
      const q = new URL(req.url!, 'http://x').searchParams.get('q');
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify(q ? [{ lat: '59.4370', lon: '24.7536', place_rank: 30, display_name: q }] : []),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    hub = await startTestHub({ env: { HUB_GEOCODER_URL: `http://127.0.0.1:${port}/search` } });
  });
  afterAll(async () => {
    await hub.stop();
    server.close();
  });

  test('never blocks the stop: it is created and moves on while geocoding retries, then gets a street-level fix', async () => {
    const t = await hub.tenant();
    const started = Date.now();
    const stop = await createStop(hub, t.key);
    expect(stop.geocoded).toBeNull();
    expect(Date.now() - started).toBeLessThan(5_000);

    const driver = await createDriver(hub, t.key);
    const assigned = await hub.call('POST', `/v1/stops/${stop.id}/assign`, { key: t.key, body: { driver_id: driver.id } });
    expect(assigned.status).toBe(200);

    const located = await eventually(
      async () => (await hub.call('GET', `/v1/stops/${stop.id}`, { key: t.key })).body,
      (s) => s.geocoded !== null,
      40_000,
    );
    expect(located.geocoded).toEqual({ lat: 59.437, lng: 24.7536, confidence: 'high' });
    expect(located.status).toBe('assigned');
    expect(requests).toBeGreaterThanOrEqual(4);
  }, 60_000);
});
