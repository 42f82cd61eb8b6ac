/**
 * Each process keeps who receives an owner's events (its active subscriptions: dialect, filter,
 * schedule), so writing an event costs no query for them. Entries are dropped by the NOTIFY that a
 * trigger sends on every change to what a subscription receives (migration 0019), whichever
 * process or tool made it, so a change takes effect everywhere within about a millisecond of its
 * commit. Nothing is cached while the LISTEN is down (it may have missed notices), and an owner
 * this process is changing is read fresh until its own notice comes back after the commit, so a
 * client that changes a subscription and then writes never meets the old plan on the same replica.
 */
import { listen, type Listener } from '../db/listen';
import { CHANNELS } from '../events/notify';
import type { Logger } from '../logger';
import type { ActiveSubscription } from './plan';

/** A safety net only: notices drop entries long before this. */
const ENTRY_TTL_MS = 60_000;
/** How long an owner changed here is read fresh if its notice never comes (a rolled-back change). */
const UNSETTLED_MS = 5_000;
const MAX_OWNERS = 10_000;

export interface Owner {
  kind: 'tenant' | 'partner';
  id: string;
}

interface Cached {
  subs: readonly ActiveSubscription[];
  at: number;
}

const ownerOf = (sub: ActiveSubscription): string => sub.tenant_id ?? sub.partner_id ?? '';

export class SubscriptionPlans {
  private readonly entries = new Map<string, Cached>();
  /** Owners changed by this process whose notice has not come back yet: until when to read them fresh. */
  private readonly unsettled = new Map<string, number>();
  /** Bumped by every notice, so a read that overlapped one is not kept. */
  private generation = 0;
  private live = false;
  private listener: Listener | undefined;
  private users = 0;

  /** Starts listening (once per process, however many services open); the returned function stops. */
  attach(databaseUrl: string, logger: Logger): () => Promise<void> {
    this.users += 1;
    this.listener ??= listen(databaseUrl, CHANNELS.subscriptions, (owner) => this.noticed(owner), logger, {
      up: () => this.reset(true),
      lost: () => this.reset(false),
    });
    let detached = false;
    return async () => {
      if (detached) return;
      detached = true;
      this.users -= 1;
      if (this.users > 0) return;
      const listener = this.listener;
      this.listener = undefined;
      this.reset(false);
      await listener?.stop();
    };
  }

  /** A subscription of `ownerId` changed and committed ('' for "anything"). */
  noticed(ownerId: string): void {
    this.generation += 1;
    if (!ownerId) this.entries.clear();
    this.entries.delete(ownerId);
    this.unsettled.delete(ownerId);
  }

  /** This process is about to change a subscription of `ownerId`. */
  changing(ownerId: string): void {
    this.generation += 1;
    this.entries.delete(ownerId);
    this.unsettled.set(ownerId, Date.now() + UNSETTLED_MS);
  }

  /**
   * The active subscriptions of `owners`: cached ones from memory, the rest in one `load`, kept
   * for next time when nothing changed meanwhile.
   */
  async lookup(owners: readonly Owner[], load: (missing: readonly Owner[]) => Promise<ActiveSubscription[]>): Promise<ActiveSubscription[]> {
    const now = Date.now();
    const found: ActiveSubscription[] = [];
    const missing: Owner[] = [];
    for (const owner of owners) {
      const cached = this.usable(owner.id, now) ? this.entries.get(owner.id) : undefined;
      if (cached) found.push(...cached.subs);
      else missing.push(owner);
    }
    if (missing.length === 0) return found;
    const generation = this.generation;
    const loaded = await load(missing);
    if (this.live && generation === this.generation) {
      for (const owner of missing) {
        if (this.unsettled.has(owner.id)) continue;
        if (this.entries.size >= MAX_OWNERS) this.entries.delete(this.entries.keys().next().value!);
        this.entries.set(owner.id, { subs: loaded.filter((s) => ownerOf(s) === owner.id), at: now });
      }
    }
    return [...found, ...loaded];
  }

  private usable(ownerId: string, now: number): boolean {
    if (!this.live) return false;
    const until = this.unsettled.get(ownerId);
    if (until !== undefined) {
      if (until > now) return false;
      this.unsettled.delete(ownerId);
    }
    const cached = this.entries.get(ownerId);
    return !!cached && now - cached.at < ENTRY_TTL_MS;
  }

  private reset(live: boolean): void {
    this.generation += 1;
    this.entries.clear();
    this.live = live;
  }
}

/** The process's cache, listening once `openServices` attached it; until then every lookup reads Postgres. */
export const SUBSCRIPTION_PLANS = new SubscriptionPlans();
