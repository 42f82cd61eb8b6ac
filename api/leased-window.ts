/**
 * A fixed-window request limit shared by every API replica, without a Postgres write per request.
 *
 * Postgres keeps, per key and window, how many requests have been *leased* to replicas
 * (`rate_limits.points`, never above the limit). A replica takes a lease of a few requests in one
 * statement and spends it in memory; only when it runs out does it ask for more. So replicas
 * together never let more than the limit through. What a replica holds and does not spend by the
 * window's end (or when it stops) is lost to that window: the lease is sized to what the key asked
 * of this replica in the last second, and shrinks to a quarter of what is left, so at the end of a
 * window each replica holds at most one request the others could have used.
 */
import type { Pool } from 'pg';

/** A lease is about this much of the key's recent demand on this replica. */
const LEASE_SECONDS = 1;
/** A lease never takes more than this share of what the window has left. */
const LEASE_SHARE_OF_LEFT = 0.25;
/** Held windows of keys nobody asked for lately are forgotten past this many. */
const PRUNE_ABOVE = 10_000;

export interface WindowState {
  limit: number;
  /** Requests counted in this window (everything leased, less what this replica holds unspent). */
  used: number;
  remaining: number;
  /** Milliseconds until the window resets. */
  resetMs: number;
}

/** When the window resets, in Unix seconds (X-RateLimit-Reset, and a 429's `reset_at`). */
export const resetAtOf = (w: WindowState): number => Math.ceil((Date.now() + w.resetMs) / 1000);

export interface Taken extends WindowState {
  allowed: boolean;
}

interface Held {
  /** Local clock time the window ends. */
  endsAt: number;
  /** Requests leased to this replica and not yet spent. */
  spare: number;
  /** Requests leased to all replicas in this window, as of this replica's last lease. */
  leased: number;
  /** The last lease's size and when it was taken: the key's demand. */
  lastLease: number;
  leasedAt: number;
  /** The lease under way, which every request that finds nothing spare waits on. */
  leasing?: Promise<void>;
}

interface LeaseRow {
  points: number;
  granted: number;
  ends_in_ms: string;
}

export class LeasedWindow {
  private readonly held = new Map<string, Held>();
  /** Pruning walks every held window, so it runs at most once a second. */
  private prunedAt = 0;

  constructor(
    private readonly pool: Pool,
    /** Keys are stored as `<prefix>:<key>`; one prefix per limit and window length. */
    private readonly prefix: string,
    readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Takes one request from `key`'s window, or says when the window resets. */
  async take(key: string): Promise<Taken> {
    // Each round either spends, refuses, or leases at least one more request of a bounded window.
    for (;;) {
      const h = this.current(key);
      if (h && h.spare > 0) {
        h.spare -= 1;
        return { allowed: true, ...this.stateOf(h) };
      }
      if (h && !h.leasing && h.leased >= this.limit) return { allowed: false, ...this.stateOf(h) };
      await (h?.leasing ?? this.lease(key, h));
    }
  }

  /** Where `key` stands, without taking anything (one read). */
  async peek(key: string): Promise<WindowState> {
    const { rows } = await this.pool.query<{ points: number; ends_in_ms: string }>(
      `select points, (expire - (extract(epoch from clock_timestamp()) * 1000)::bigint)::text as ends_in_ms from rate_limits where key = $1`,
      [this.storeKey(key)],
    );
    const row = rows[0];
    const endsIn = row ? Number(row.ends_in_ms) : 0;
    if (!row || endsIn <= 0) return { limit: this.limit, used: 0, remaining: this.limit, resetMs: this.windowMs };
    const spare = this.current(key)?.spare ?? 0;
    const used = Math.max(0, row.points - spare);
    return { limit: this.limit, used, remaining: this.limit - used, resetMs: endsIn };
  }

  private storeKey(key: string): string {
    return `${this.prefix}:${key}`;
  }

  /** The held window of `key`, unless it has ended. */
  private current(key: string): Held | undefined {
    const h = this.held.get(key);
    if (h && Date.now() >= h.endsAt && !h.leasing) {
      this.held.delete(key);
      return undefined;
    }
    return h;
  }

  private stateOf(h: Held): WindowState {
    const used = Math.max(0, h.leased - h.spare);
    return { limit: this.limit, used, remaining: Math.max(0, this.limit - used), resetMs: Math.max(0, h.endsAt - Date.now()) };
  }

  /** How many requests to ask for: the key's demand over the last second, at least one. */
  private wanted(h: Held | undefined): number {
    if (!h || h.lastLease === 0) return 1;
    const seconds = Math.max(0.001, (Date.now() - h.leasedAt) / 1000);
    const perSecond = h.lastLease / seconds;
    const left = this.limit - h.leased;
    return Math.max(1, Math.min(Math.ceil(perSecond * LEASE_SECONDS), Math.floor(left * LEASE_SHARE_OF_LEFT)));
  }

  private lease(key: string, before: Held | undefined): Promise<void> {
    const h: Held = before ?? { endsAt: Infinity, spare: 0, leased: 0, lastLease: 0, leasedAt: Date.now() };
    this.held.set(key, h);
    if (this.held.size > PRUNE_ABOVE && Date.now() - this.prunedAt > 1_000) this.prune();
    const wanted = this.wanted(before);
    h.leasing = this.leaseRow(key, wanted)
      .then((row) => {
        const endsAt = Date.now() + Number(row.ends_in_ms);
        // A new window in Postgres: what this replica held belonged to the old one.
        if (endsAt > h.endsAt + 1_000 || h.endsAt === Infinity) h.spare = 0;
        h.endsAt = endsAt;
        h.spare += row.granted;
        h.leased = row.points;
        h.lastLease = row.granted;
        h.leasedAt = Date.now();
      })
      .finally(() => (h.leasing = undefined));
    return h.leasing;
  }

  /**
   * One statement: a window that has ended starts afresh; otherwise the lease is what was asked,
   * capped by what the window has left (possibly nothing). Postgres's clock decides windows, so
   * replicas with skewed clocks still share one.
   */
  private async leaseRow(key: string, wanted: number): Promise<LeaseRow> {
    const { rows } = await this.pool.query<LeaseRow>(
      `with now as (select (extract(epoch from clock_timestamp()) * 1000)::bigint as ms)
       insert into rate_limits as r (key, points, expire, last_grant)
       select $1, least($2::int, $3::int), now.ms + $4::bigint, least($2::int, $3::int) from now
       on conflict (key) do update set
         points = case when r.expire is null or r.expire <= (select ms from now) then excluded.points
                       else r.points + least($2::int, greatest(0, $3::int - r.points)) end,
         last_grant = case when r.expire is null or r.expire <= (select ms from now) then excluded.points
                           else least($2::int, greatest(0, $3::int - r.points)) end,
         expire = case when r.expire is null or r.expire <= (select ms from now) then excluded.expire else r.expire end
       returning points, last_grant as granted, (expire - (select ms from now))::text as ends_in_ms`,
      [this.storeKey(key), wanted, this.limit, this.windowMs],
    );
    return rows[0]!;
  }

  private prune(): void {
    const now = Date.now();
    this.prunedAt = now;
    for (const [key, h] of this.held) if (now >= h.endsAt && !h.leasing) this.held.delete(key);
  }
}
