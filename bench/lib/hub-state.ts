/** What the hub still has to do, read from Postgres and Temporal, so phases can wait for it or watch it grow. */
import { workflowTaskBacklog } from '../../common/temporal/task-queue-backlog';
import type { Harness } from './harness';
import { sleep } from './report';

/** The longest any phase drives load or waits for the hub to catch up. */
export const PHASE_DEADLINE_MS = 100_000;

/**
 * Waits until no delivery is waiting for its first try, so each phase measures itself, not the
 * one before. Lifecycle starts of stops no move reached are paced background work
 * (HUB_LIFECYCLE_STARTS_PER_SECOND): the backlog they leave is counted, not waited for.
 */
export async function settle(h: Harness): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < PHASE_DEADLINE_MS) {
    if ((await pendingDeliveries(h)) === 0) break;
    await sleep(200);
  }
  return Date.now() - started;
}

/** Deliveries waiting for a try that is due (the delivery queue). */
export async function pendingDeliveries(h: Harness): Promise<number> {
  const row = await h.services.database.db.selectFrom('webhook_deliveries').select((eb) => eb.fn.countAll<string>().as('n')).where('status', '=', 'pending').executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Stops whose lifecycle workflow is still to be started by the paced starter. */
export async function lifecycleBacklog(h: Harness): Promise<number> {
  const row = await h.services.database.db.selectFrom('stops').select((eb) => eb.fn.countAll<string>().as('n')).where('lifecycle_started_at', 'is', null).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Samples each task queue's workflow-task backlog until stopped; keeps the peak. */
export function sampleBacklogs(h: Harness, queues: readonly string[]): { stop(): Promise<Record<string, number>> } {
  const peak: Record<string, number> = Object.fromEntries(queues.map((q) => [q, 0]));
  let running = true;
  const loop = (async () => {
    while (running) {
      await Promise.all(
        queues.map(async (q) => {
          const tasks = await workflowTaskBacklog(h.services.temporal, q).catch(() => 0);
          peak[q] = Math.max(peak[q]!, tasks);
        }),
      );
      await sleep(500);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** Waits until nothing is left over from earlier phases: no delivery due, no stop without its workflow. */
export async function quiesce(h: Harness): Promise<number> {
  await settle(h);
  const started = Date.now();
  while ((await lifecycleBacklog(h)) > 0 && Date.now() - started < PHASE_DEADLINE_MS * 3) await sleep(500);
  return lifecycleBacklog(h);
}
