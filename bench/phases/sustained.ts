/**
 * Whole stop lives at a fixed rate, stepped up: the rate of deliveries days the hub sustains, not
 * what a burst reaches. Open loop: a new life starts every 1/rate s whatever the answers take;
 * within a life each step (create, assign, pick up, depart, complete) is sent when the one before
 * answered. Fan-out 1. Each rate runs BENCH_SUSTAINED_STEP_S (default 60) seconds; a step passes
 * when the p99 of the moves sent during it is ≤ 250 ms and no backlog grew (stops without a
 * workflow, the delivery queue, each task queue's workflow tasks). Steps go up until one fails,
 * and at least three run.
 */
import type { Harness } from '../lib/harness';
import { call } from '../lib/harness';
import { lifecycleBacklog, pendingDeliveries, PHASE_DEADLINE_MS } from '../lib/hub-state';
import { percentile } from '../lib/process-stats';
import type { CountingReceiver } from '../lib/receiver';
import { record, say, sleep } from '../lib/report';
import { recordCpu, stackCpu } from '../lib/stack-cpu';
import { clearSubscriptions, subscribe } from '../lib/subscriptions';
import { workflowTaskBacklog } from '../../common/temporal/task-queue-backlog';
import { type Backlogs, backlogGrowth, isFlat } from '../lib/backlog-growth';

const P99_LIMIT_MS = 250;
const MIN_STEPS = 3;
const SAMPLE_MS = 2_000;
/** Rates as fractions of the trivial-workflow rate of the same run, unless BENCH_SUSTAINED_RATES names lives/s. */
const FRACTIONS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5];
const LIFE = [['assign', true], ['pick-up', false], ['depart', false], ['complete', false]] as const;

async function backlogsNow(h: Harness, queues: readonly string[]): Promise<Backlogs> {
  const [stopsWithoutWorkflow, deliveryQueue, ...tasks] = await Promise.all([
    lifecycleBacklog(h),
    pendingDeliveries(h),
    ...queues.map((q) => workflowTaskBacklog(h.services.temporal, q).catch(() => 0)),
  ]);
  return { stopsWithoutWorkflow: stopsWithoutWorkflow!, deliveryQueue: deliveryQueue!, tasks: Object.fromEntries(queues.map((q, i) => [q, tasks[i]!])) };
}

export interface SustainedOptions {
  driverId: string;
  queues: readonly string[];
  /** Trivial workflows per second of the Temporal server, measured in this run. */
  trivialRate: number;
}

interface Step {
  rate: number;
  started: number;
  end: number;
  lives: number;
  errors: number;
  growth: Record<string, number>;
  cpu: ReturnType<ReturnType<typeof stackCpu>>;
}

/** Latencies of the moves sent during a step; a move still waiting counts as its wait so far. */
function movesOf(step: Pick<Step, 'started' | 'end'>, sent: readonly { t0: number; ms?: number }[], now = Date.now()): number[] {
  return sent.filter((m) => m.t0 >= step.started && m.t0 < step.end).map((m) => m.ms ?? now - m.t0);
}

const passes = (step: Step, moves: number[]): boolean => percentile(moves, 99) <= P99_LIMIT_MS && isFlat(step.growth, step.rate) && step.errors === 0;

export async function sustainedPhase(h: Harness, receiver: CountingReceiver, o: SustainedOptions): Promise<void> {
  const stepSeconds = Number(process.env.BENCH_SUSTAINED_STEP_S ?? 60);
  const rates = process.env.BENCH_SUSTAINED_RATES
    ? process.env.BENCH_SUSTAINED_RATES.split(',').map(Number)
    : FRACTIONS.map((f) => Math.max(1, Math.round(f * o.trivialRate)));
  receiver.reset();
  const subs = await subscribe(h, receiver, 1, h.key, 'sustained');
  const lives: Promise<void>[] = [];
  const sent: { t0: number; ms?: number }[] = [];
  const steps: Step[] = [];
  let events = 0;
  let errors = 0;
  for (const rate of rates) {
    say(`sustained: ${rate} stop lives/s for ${stepSeconds} s ...`);
    const samples: Backlogs[] = [];
    const cpu = stackCpu(h);
    const errorsBefore = errors;
    const started = Date.now();
    const end = started + stepSeconds * 1000;
    let nextSample = started;
    let begun = 0;
    for (let tick = started; tick < end; tick += 1000 / rate) {
      await sleep(Math.max(0, tick - Date.now()));
      if (Date.now() >= nextSample) {
        nextSample += SAMPLE_MS;
        void backlogsNow(h, o.queues).then((b) => samples.push(b));
      }
      begun++;
      lives.push(
        (async () => {
          const created = await call(h, 'POST', '/v1/stops', { address: 'Pikk 19, Tallinn, Estonia' });
          if (created.status !== 201) return void errors++;
          events++;
          for (const [action, needsDriver] of LIFE) {
            const move: { t0: number; ms?: number } = { t0: Date.now() };
            sent.push(move);
            const res = await call(h, 'POST', `/v1/stops/${created.body.id}/${action}`, needsDriver ? { driver_id: o.driverId } : undefined);
            move.ms = Date.now() - move.t0;
            if (res.status !== 200) return void errors++;
            events++;
          }
        })(),
      );
    }
    const step: Step = { rate, started, end, lives: begun, errors: errors - errorsBefore, growth: backlogGrowth(samples), cpu: cpu() };
    steps.push(step);
    // Decided now, on what has answered (a move still out counts as its wait so far), so the load goes on.
    if (!passes(step, movesOf(step, sent)) && steps.length >= MIN_STEPS) break;
  }
  await Promise.all(lives);
  // Reported once every move has answered: the exact latencies of the moves each step sent.
  let best: number | undefined;
  for (const step of steps) {
    const moves = movesOf(step, sent);
    const label = `sustained ${step.rate} lives/s (${(step.rate / o.trivialRate).toFixed(2)}× trivial)`;
    const ok = passes(step, moves);
    if (ok) best = step.rate;
    record(`${label}: move p50 / p99, errors`, `${percentile(moves, 50)} / ${percentile(moves, 99)} ms, ${step.errors}`);
    record(`${label}: backlog growth (${Object.keys(step.growth).join(' / ')})`, Object.values(step.growth).join(' / '));
    recordCpu(label, step.cpu, step.lives, 'stop life');
    record(`${label}: passed`, ok ? 'yes' : 'no');
  }
  const waited = Date.now();
  while (receiver.deliveries < events && Date.now() - waited < PHASE_DEADLINE_MS) await sleep(50);
  record('sustained: deliveries arrived, duplicates / bad signatures', `${receiver.deliveries}/${events}, ${receiver.duplicates} / ${receiver.badSignatures}`);
  record(
    `sustained: highest rate with move p99 ≤ ${P99_LIMIT_MS} ms and every backlog flat`,
    best === undefined ? 'none of the steps' : `${best} stop lives/s = ${(best / o.trivialRate).toFixed(2)}× the trivial-workflow rate (${o.trivialRate.toFixed(1)}/s)`,
  );
  await clearSubscriptions(h, subs.ids);
}
