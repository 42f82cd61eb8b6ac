/**
 * The integrator console in a real browser (Debian's Chromium, as the docs-page test drives it):
 * sign in, create a subscription to an endpoint that is down, see a stop's failed deliveries
 * with their tries, bring the endpoint back, recover since, and every missing event arrives
 * exactly once. Screenshots at a phone's and a laptop's width go to test-results/.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createDriver, createStop, eventually } from './support/fixtures';
import { startTestHub, type TestHub, type TestTenant } from './support/hub';
import { Receiver } from './support/receiver';

let hub: TestHub;
let receiver: Receiver;
let browser: Browser;
const shots = path.join(__dirname, '..', 'test-results');

beforeAll(async () => {
  hub = await startTestHub();
  receiver = await new Receiver().start();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(shots, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await hub.stop();
  await receiver.stop();
});

async function signIn(page: Page, t: TestTenant): Promise<void> {
  await page.goto(`${hub.url}/console`);
  await page.getByLabel('API key').fill(t.key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'New subscription' }).waitFor();
}

test('sign in, watch a stop\'s deliveries fail, bring the endpoint back, recover since: every missing event arrives once', async () => {
  const t = await hub.tenant();
  let up = false;
  receiver.on('/console-down', (_r, _n, res) => res.writeHead(up ? 200 : 503).end(up ? 'ok' : 'down for maintenance'));
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const external: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(hub.url)) external.push(r.url());
  });
  const since = new Date(Date.now() - 60_000);
  await signIn(page, t);
  // The key lives in the tab's session storage, never in a cookie or the URL.
  expect(await page.evaluate(() => Object.keys((globalThis as any).sessionStorage))).toEqual(['dispatch-hub-key']);
  expect((await page.context().cookies()).length).toBe(0);
  expect(page.url()).not.toContain(t.key);

  await page.getByLabel('Endpoint URL').fill(`${receiver.url}/console-down`);
  await page.getByLabel('Events (comma-separated, * for all)').fill('*');
  await page.getByRole('button', { name: 'Create' }).click();
  const secret = await page.getByTestId('secret').textContent();
  expect(secret).toMatch(/^whsec_/);
  const sub = (await hub.call('GET', '/v1/webhooks/subscriptions', { key: t.key })).body.items[0];
  // Two quick tries, so the deliveries end failed within the test.
  await hub.call('PATCH', `/v1/webhooks/subscriptions/${sub.id}`, { key: t.key, body: { retry_schedule: [1] } });

  const driver = await createDriver(hub, t.key);
  const stop = await createStop(hub, t.key);
  for (const [action, body] of [['assign', { driver_id: driver.id }], ['pick-up'], ['depart'], ['complete']] as const) {
    expect((await hub.call('POST', `/v1/stops/${stop.id}/${action}`, { key: t.key, body })).status).toBe(200);
  }
  // The driver going online and the stop's five events: six deliveries, all failing.
  const missing = 6;
  await eventually(
    async () => (await hub.call('GET', `/v1/webhooks/deliveries?subscription_id=${sub.id}&status=failed`, { key: t.key })).body.total,
    (n) => n === missing,
    30_000,
  );

  await page.getByRole('link', { name: `${receiver.url}/console-down` }).click();
  await page.locator('tr[data-status="failed"]').nth(missing - 1).waitFor({ timeout: 15_000 });
  expect(await page.locator('tr[data-status="failed"]').count()).toBe(missing);
  await page.screenshot({ path: path.join(shots, 'console-subscription-1280.png'), fullPage: true });

  // A delivery shows every try, with the request as sent and the answer.
  await page.locator('tr[data-status="failed"] a').first().click();
  await page.getByTestId('attempt').nth(1).waitFor();
  const tries = await page.getByTestId('attempt').allTextContents();
  expect(tries).toHaveLength(2);
  expect(tries[0]).toContain('status 503');
  expect(tries[0]).toContain('webhook-signature: v1,');
  expect(tries[0]).toContain('down for maintenance');
  await page.goBack();

  up = true;
  const before = receiver.at('/console-down').length;
  const local = new Date(since.getTime() - since.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
  await page.getByLabel('Re-send failed deliveries since').fill(local);
  await page.getByRole('button', { name: 'Recover since' }).click();
  await page.getByTestId('recovery').filter({ hasText: 'Recovery completed' }).waitFor({ timeout: 30_000 });
  expect(await page.getByTestId('recovery').textContent()).toContain(`${missing} succeeded`);
  const after = receiver.at('/console-down').slice(before);
  const ids = after.map((r) => r.headers['webhook-id']);
  expect(ids).toHaveLength(missing);
  expect(new Set(ids).size).toBe(missing);

  // The list refreshes by itself: the failed rows are gone without a reload.
  await eventually(() => page.locator('tr[data-status="failed"]').count(), (n) => n === 0, 15_000);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(shots, 'console-subscription-390.png'), fullPage: true });
  await page.getByRole('link', { name: 'Events' }).click();
  await page.getByRole('button', { name: 'stop.completed' }).waitFor();
  await page.screenshot({ path: path.join(shots, 'console-events-390.png'), fullPage: true });
  expect(external).toEqual([]); // no CDN
  await page.close();
}, 120_000);

test('a wrong key is refused at sign-in and the console shows nothing', async () => {
  const page = await browser.newPage();
  await page.goto(`${hub.url}/console`);
  await page.getByLabel('API key').fill('dh_test_not_a_real_key_00000000000');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').waitFor();
  expect(await page.evaluate(() => (globalThis as any).sessionStorage.length)).toBe(0);
  const res = await fetch(`${hub.url}/console`);
  expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
  await page.close();
});
