/**
 * Every dialect's names, envelopes and signatures, checked without a server: names against the
 * seeds' tables, and each signed body through the verification code of that provider's seed.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type CanonicalEvent, deliveryNames, eventNamesOf, type HubEvent, messageIdFor, PROFILES, PROVIDERS, type ProviderName } from '../../common/dialects/profiles';
import { sampleStop } from '../../common/dialects/sample';
import { generateSecret } from '../../common/subscriptions/secrets';
import { signatureHeaders } from '../../common/dialects/signing';
import { SEED_VERIFIERS } from '../support/seed-verifiers';

/** What each seed calls a stop's moves (../shared/seeds; ../shared/spec/providers.md). */
const SEED_NAMES: [ProviderName, CanonicalEvent, string[]][] = [
  ['courrex', 'stop.created', ['stop.created']],
  ['courrex', 'stop.assigned', ['stop.assigned']],
  ['courrex', 'stop.completed', ['stop.completed']],
  ['courrex', 'stop.failed', ['stop.failed']],
  ['courrex', 'route.started', ['driver.online']],
  ['courrex', 'route.completed', ['driver.offline']],
  ['courrex', 'stop.picked_up', []],
  ['kourier', 'stop.created', ['delivery.created']],
  ['kourier', 'stop.assigned', ['delivery.updated']],
  ['kourier', 'stop.completed', ['delivery.updated']],
  ['kourier', 'stop.cancelled', ['delivery.cancelled']],
  ['zippex', 'stop.created', ['delivery.created']],
  ['zippex', 'stop.assigned', ['delivery.driver_assigned']],
  ['zippex', 'stop.picked_up', ['delivery.picked_up']],
  ['zippex', 'stop.in_transit', ['delivery.in_transit']],
  ['zippex', 'stop.completed', ['delivery.delivered']],
  ['zippex', 'stop.failed', ['delivery.failed']],
  ['zippex', 'stop.cancelled', ['delivery.cancelled']],
  ['easyroutes', 'stop.created', ['STOP_STATUS_UPDATED']],
  ['easyroutes', 'stop.completed', ['STOP_STATUS_UPDATED']],
  ['easyroutes', 'route.created', ['ROUTE_CREATED']],
  ['easyroutes', 'route.dispatched', ['ROUTE_DISPATCHED']],
  ['naveera', 'stop.created', ['trip.created']],
  ['naveera', 'stop.assigned', ['trip.assigned', 'trip.status_changed']],
  ['naveera', 'stop.completed', ['trip.completed', 'trip.status_changed']],
  ['naveera', 'stop.cancelled', ['trip.canceled', 'trip.status_changed']],
  ['naveera', 'stop.eta_updated', ['trip.eta_updated']],
  ['standard', 'stop.created', ['stop.created']],
  ['standard', 'route.completed', ['route.completed']],
];

const now = new Date().toISOString();
const stopEvent = (type: CanonicalEvent, previous: string | null = 'pending', patch: Record<string, unknown> = {}): HubEvent => ({
  id: 'evt_01JTESTEVENT0000000000000',
  type,
  created_at: now,
  subject_id: 'stop_01JTESTSTOP00000000000000',
  previous_status: previous,
  payload: { ...sampleStop(now), ...patch } as unknown as Record<string, unknown>,
  trip_id: 12345,
});

describe('names', () => {
  test.each(SEED_NAMES)('%s calls %s %j', (provider, type, names) => {
    expect(deliveryNames(provider, stopEvent(type, 'pending', { status: type === 'stop.created' ? 'pending' : 'assigned' }), [])).toEqual(names);
  });

  test.each(PROVIDERS)('%s: a filter keeps only the names it lists, and every listed name exists', (provider) => {
    const all = eventNamesOf(provider);
    expect(all.length).toBeGreaterThan(0);
    const first = PROFILES[provider].names['stop.created']!;
    expect(deliveryNames(provider, stopEvent('stop.created', null), ['no.such.name'])).toEqual([]);
    expect(deliveryNames(provider, stopEvent('stop.created', null), [first[0]!])).toEqual([first[0]]);
    expect(deliveryNames(provider, stopEvent('stop.created', null), ['*'])).toEqual(first);
  });

  test('a second name of one event gets its own message id; the first keeps the event id', () => {
    expect(messageIdFor('naveera', 'stop.assigned', 'evt_1', 'trip.assigned')).toBe('evt_1');
    expect(messageIdFor('naveera', 'stop.assigned', 'evt_1', 'trip.status_changed')).toBe('evt_1_trip_status_changed');
  });

  test('Kourier says delivery.updated for an edit only when the status, in its words, changed', () => {
    expect(deliveryNames('kourier', stopEvent('stop.updated', 'pending', { status: 'pending' }), [])).toEqual([]);
  });
});

describe('signatures, through each seed\'s own verification', () => {
  const signed = (provider: ProviderName, secrets: string[]) => {
    const event = stopEvent('stop.created', null, { status: 'pending' });
    const name = PROFILES[provider].names['stop.created']![0]!;
    const messageId = messageIdFor(provider, 'stop.created', event.id, name);
    const body = JSON.stringify(PROFILES[provider].envelope({ event, name, messageId }));
    const headers = signatureHeaders(provider, { body, secrets, timestamp: Math.floor(Date.now() / 1000), messageId, name, objectId: event.subject_id, eventTimestamp: now });
    const lower: IncomingHttpHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    return { body, headers: lower };
  };

  test.each(PROVIDERS)('%s: the seed accepts what the hub signs', (provider) => {
    const secret = generateSecret(provider);
    const { body, headers } = signed(provider, [secret]);
    expect(SEED_VERIFIERS[provider](Buffer.from(body), headers, secret)).toBe(true);
  });

  test.each(PROVIDERS)('%s: the seed refuses another secret', (provider) => {
    const { body, headers } = signed(provider, [generateSecret(provider)]);
    expect(SEED_VERIFIERS[provider](Buffer.from(body), headers, generateSecret(provider))).toBe(false);
  });

  test.each(PROVIDERS.filter((p) => p !== 'kourier'))('%s: the seed refuses a body changed on the way', (provider) => {
    const secret = generateSecret(provider);
    const { body, headers } = signed(provider, [secret]);
    expect(SEED_VERIFIERS[provider](Buffer.from(body.replace(/}$/, ',"x":1}')), headers, secret)).toBe(false);
  });

  test.each(PROVIDERS)('%s: during a rotation the old secret still verifies only where the header carries two signatures', (provider) => {
    const [fresh, old] = [generateSecret(provider), generateSecret(provider)];
    const { body, headers } = signed(provider, [fresh, old]);
    expect(SEED_VERIFIERS[provider](Buffer.from(body), headers, fresh)).toBe(true);
    // The seed snippets that parse t/v1 into an object keep only the last v1: the newest.
    const oldVerifies = PROFILES[provider].multipleSignatures && provider === 'standard';
    expect(SEED_VERIFIERS[provider](Buffer.from(body), headers, old)).toBe(oldVerifies);
  });
});
