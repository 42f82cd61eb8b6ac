/** Whether a backlog sampled over a bench step stayed flat or climbed. */

export interface Backlogs {
  stopsWithoutWorkflow: number;
  deliveryQueue: number;
  /** Workflow tasks waiting, per task queue. */
  tasks: Record<string, number>;
}

/**
 * How much each backlog grew over a step: the largest value in its last third minus the largest
 * in its first third (a backlog that spikes and drains is flat; one that climbs is not).
 */
export function backlogGrowth(samples: readonly Backlogs[]): Record<string, number> {
  const third = Math.max(1, Math.floor(samples.length / 3));
  const first = samples.slice(0, third);
  const last = samples.slice(-third);
  const series: Record<string, (b: Backlogs) => number> = {
    'stops without a workflow': (b) => b.stopsWithoutWorkflow,
    'delivery queue': (b) => b.deliveryQueue,
    ...Object.fromEntries(Object.keys(samples[0]?.tasks ?? {}).map((q) => [q, (b: Backlogs) => b.tasks[q] ?? 0])),
  };
  return Object.fromEntries(Object.entries(series).map(([name, of]) => [name, Math.max(...last.map(of)) - Math.max(...first.map(of))]));
}

/**
 * Every backlog is flat when none grew by more than two seconds' worth of new lives (and at
 * least 10 is always allowed: one sample's noise at a low rate). No samples: not flat.
 */
export function isFlat(growth: Record<string, number>, livesPerSecond: number): boolean {
  const slack = Math.max(10, 2 * livesPerSecond);
  return Object.values(growth).every((g) => g <= slack);
}
