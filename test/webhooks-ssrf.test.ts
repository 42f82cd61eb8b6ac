/** Without the development setting, no webhook can reach a private, loopback or metadata address. */
import { isPublicAddress } from '../common/subscriptions/url-policy';
import { SecretBox } from '../common/subscriptions/secrets';
import { startTestHub, type TestHub } from './support/hub';
import { createStop, eventually } from './support/fixtures';
import { Receiver } from './support/receiver';

let hub: TestHub;
let receiver: Receiver;
beforeAll(async () => {
  hub = await startTestHub({ env: { HUB_ALLOW_PRIVATE_URLS: '' } });
  receiver = await new Receiver().start();
});
afterAll(async () => {
  await hub.stop();
  await receiver.stop();
});

test('address classification (pure)', () => {
  for (const ip of ['127.0.0.1', '::1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::ffff:127.0.0.1', 'fd00:ec2::254', 'fe80::1', '224.0.0.1']) {
    expect([ip, isPublicAddress(ip)]).toEqual([ip, false]);
  }
  for (const ip of ['93.184.216.34', '1.1.1.1', '2606:4700:4700::1111']) expect([ip, isPublicAddress(ip)]).toEqual([ip, true]);
});

test('subscriptions to http, loopback, private, link-local or metadata targets are refused', async () => {
  const t = await hub.tenant();
  const refused = [
    'http://93.184.216.34/hook',
    'https://127.0.0.1/hook',
    'https://[::1]/hook',
    'https://10.0.0.5/hook',
    'https://192.168.0.10/hook',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::ffff:127.0.0.1]/hook',
    'https://100.64.0.1/hook',
    'https://localhost/hook',
    `https://localhost:${new URL(receiver.url).port}/hook`,
    'https://user:pass@93.184.216.34/hook',
    'ftp://93.184.216.34/hook',
    'https://no-such-host.invalid/hook',
  ];
  for (const url of refused) {
    const res = await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url } });
    expect([url, res.status]).toEqual([url, 400]);
    expect(res.body.error.details.field).toBe('url');
  }
  const pub = await hub.call('POST', '/v1/webhooks/subscriptions', { key: t.key, body: { url: 'https://93.184.216.34/hook' } });
  expect(pub.status).toBe(201);
  const patch = await hub.call('PATCH', `/v1/webhooks/subscriptions/${pub.body.id}`, { key: t.key, body: { url: 'https://127.0.0.1/hook' } });
  expect(patch.status).toBe(400);
});

test('every try re-checks the address it connects to: a host that now resolves to loopback is refused', async () => {
  const t = await hub.tenant();
  const port = new URL(receiver.url).port;
  // As if these passed the check when saved and their DNS later pointed home (rebinding).
  for (const url of [`http://localhost:${port}/rebind`, `http://127.0.0.1:${port}/rebind-literal`]) {
    await hub.db
      .insertInto('webhook_subscriptions')
      .values({ id: `whsub_${Date.now()}${url.length}`, tenant_id: t.tenantId, provider: 'standard', url, events: ['stop.created'], retry_schedule: [1], secret_enc: new SecretBox(hub.config.secretKey).seal('whsec_AAAA') })
      .execute();
  }
  await createStop(hub, t.key);
  const deliveries = await eventually(
    async () => (await hub.call('GET', '/v1/webhooks/deliveries', { key: t.key })).body.items,
    (items: any[]) => items.length === 2 && items.every((d) => d.status === 'failed'),
  );
  for (const d of deliveries) {
    expect(d.error_message).toMatch(/non-public|not a public address|must use https/);
  }
  expect(receiver.received).toHaveLength(0);
});
