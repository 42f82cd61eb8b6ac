import { type Backlogs, backlogGrowth, isFlat } from '../bench/lib/backlog-growth';

const sample = (stops: number, queue: number, lifecycle: number): Backlogs => ({ stopsWithoutWorkflow: stops, deliveryQueue: queue, tasks: { lifecycle } });

test('a backlog that spikes and drains is flat; one that climbs is not', () => {
  const spiky = [0, 40, 0, 3, 0, 2, 1, 0, 2].map((n) => sample(0, n, 1));
  expect(backlogGrowth(spiky)).toEqual({ 'stops without a workflow': 0, 'delivery queue': -38, lifecycle: 0 });
  expect(isFlat(backlogGrowth(spiky), 10)).toBe(true);

  const climbing = [0, 5, 10, 20, 30, 40, 50, 60, 70].map((n) => sample(0, 0, n));
  expect(backlogGrowth(climbing).lifecycle).toBe(60);
  expect(isFlat(backlogGrowth(climbing), 10)).toBe(false);
  // Two seconds' worth of lives is allowed: 60 is within 2 × 40 lives/s.
  expect(isFlat(backlogGrowth(climbing), 40)).toBe(true);
});

test('no samples is never flat', () => {
  expect(isFlat(backlogGrowth([]), 10)).toBe(false);
});
