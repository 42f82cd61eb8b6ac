/**
 * Wake-ups sent at commit (NOTIFY is transactional): the workers' delivery queue consumer
 * listens, and also polls, so a lost notification only costs a poll interval.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';

export const CHANNELS = {
  /** Deliveries became due (new events, requeued retries, manual retries). */
  deliveries: 'hub_deliveries',
  /** What a subscription receives changed (a trigger sends it, migration 0019); the payload is its owner's id. */
  subscriptions: 'hub_subscriptions',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

/**
 * Inside a transaction, sent when it commits; outside one, at once. On the deliveries channel a
 * payload, when there is one, is the ISO time the earliest of the deliveries falls due (requeued
 * retries ahead of their time): listeners look again then.
 */
export async function notify(db: Kysely<Database>, channel: Channel, payload = ''): Promise<void> {
  await sql`select pg_notify(${channel}, ${payload})`.execute(db);
}
