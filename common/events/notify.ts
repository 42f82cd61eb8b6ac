/**
 * Wake-ups sent at commit (NOTIFY is transactional): the workers' delivery queue consumer
 * listens, and also polls, so a lost notification only costs a poll interval.
 */
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';

export const CHANNELS = {
  /** Deliveries became due (new events, requeued retries, manual retries). */
  deliveries: 'hub_deliveries',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

/** Inside a transaction, sent when it commits; outside one, at once. */
export async function notify(db: Kysely<Database>, channel: Channel): Promise<void> {
  await sql`select pg_notify(${channel}, '')`.execute(db);
}
