/**
 * The housekeeping workflows' contract: the activities they run. Each is started by a Temporal
 * Schedule (worker/schedules.ts), one run at a time.
 */

export interface HousekeepingActivities {
  /** Finishes what a crash or an outage left undone: lifecycle starts, hand-offs to retry workflows. */
  sweepOutbox(input: { limit: number }): Promise<number>;
  /**
   * Switches off subscriptions that failed without a success for their dialect's window, and
   * puts on watch those whose dialect judges a failure rate; returns the ids switched off.
   */
  checkSubscriptionHealth(): Promise<string[]>;
  /** Deletes up to `limit` events past their retention (with their deliveries and tries). */
  purgeExpiredEvents(input: { limit: number }): Promise<number>;
  /** Idempotency records past their 24 h and rate-limit windows that have closed. */
  purgeExpiredRecords(): Promise<number>;
}
