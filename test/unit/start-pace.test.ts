/** The lifecycle starter's pace rule (worker/start-pace.ts), on its own. */
import { BACKLOG_TASKS, SLOW_FACTOR, SLOW_START_MS, StartPace } from '../../worker/start-pace';

const calm = { budgetFilled: true, meanStartMs: 20, backlogTasks: 0, failed: false };

test('speeds up while starts are quick, there is no backlog and more stops wait than the budget allows, up to the ceiling', () => {
  const pace = new StartPace(100);
  expect(pace.perSecond).toBe(10);
  const seen: number[] = [];
  for (let i = 0; i < 100; i++) {
    pace.observe(calm, i * 250);
    seen.push(pace.perSecond);
  }
  expect(seen[0]).toBe(11);
  expect(seen.every((r, i) => i === 0 || r >= seen[i - 1]!)).toBe(true);
  expect(seen.at(-1)).toBe(100);
});

test('holds its pace when fewer stops wait than it may start', () => {
  const pace = new StartPace(100);
  pace.observe({ ...calm, budgetFilled: false });
  expect(pace.perSecond).toBe(10);
});

test.each([
  ['a slow start', { meanStartMs: SLOW_START_MS + 1 }],
  ['starts a few times slower than the quickest seen (the server is busy)', { meanStartMs: calm.meanStartMs * SLOW_FACTOR * 1.5 }],
  ['a backlog on the lifecycle lane', { backlogTasks: BACKLOG_TASKS + 1 }],
  ['a failed pass', { failed: true, meanStartMs: null }],
])('halves on %s, at most once a second, never below 1 a second', (_name, seen) => {
  const pace = new StartPace(100);
  for (let i = 0; i < 20; i++) pace.observe(calm, i * 250);
  const before = pace.perSecond;
  pace.observe({ ...calm, ...seen }, 10_000);
  expect(pace.perSecond).toBe(before / 2);
  pace.observe({ ...calm, ...seen }, 10_500);
  expect(pace.perSecond).toBe(before / 2);
  for (let t = 11_000; t < 30_000; t += 1_000) pace.observe({ ...calm, ...seen }, t);
  expect(pace.perSecond).toBe(1);
});

test('learns a server that is slower for good: the quickest start seen creeps up, and the pace grows again', () => {
  const pace = new StartPace(100);
  for (let i = 0; i < 5; i++) pace.observe(calm, i * 250);
  const slower = { ...calm, meanStartMs: calm.meanStartMs * SLOW_FACTOR * 2 };
  let t = 10_000;
  while (pace.isSlow(slower.meanStartMs) && t < 10_000 + 3_600_000) pace.observe(slower, (t += 250));
  expect(pace.isSlow(slower.meanStartMs)).toBe(false);
  const before = pace.perSecond;
  pace.observe(slower, (t += 250));
  expect(pace.perSecond).toBe(before + 1);
});

test('a ceiling below the initial pace is the pace', () => {
  expect(new StartPace(3).perSecond).toBe(3);
  expect(StartPace.congested(BACKLOG_TASKS)).toBe(false);
  expect(StartPace.congested(BACKLOG_TASKS + 1)).toBe(true);
});
