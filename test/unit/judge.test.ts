/** What one try means for its delivery (common/deliveries/judge.ts), per the profile rules. */
import { judgeTry, type TryPlan } from '../../common/deliveries/judge';

const plan = (attempt: number, delaysSeconds = [5, 60, 600], extra: Partial<TryPlan> = {}): TryPlan => ({ attempt, maxAttempts: delaysSeconds.length + 1, retryBase: 0, delaysSeconds, ...extra });
const answer = (statusCode: number | null, extra: { error?: string | null; retryAfterSeconds?: number | null } = {}) => ({ statusCode, error: extra.error ?? null, retryAfterSeconds: extra.retryAfterSeconds ?? null });

test.each([200, 201, 202, 204, 299])('%i succeeds at once', (code) => {
  expect(judgeTry(plan(1), answer(code))).toEqual({ status: 'succeeded', waitMs: 0, ok: true, gone: false, error: null });
});

test.each([
  [300, 'HTTP 300'],
  [302, 'HTTP 302'],
  [400, 'HTTP 400'],
  [401, 'HTTP 401'],
  [404, 'HTTP 404'],
  [500, 'HTTP 500'],
  [502, 'HTTP 502'],
])('%i fails the try and waits the first delay', (code, error) => {
  expect(judgeTry(plan(1), answer(code))).toMatchObject({ status: 'retrying', waitMs: 5_000, ok: false, error });
});

test('no answer at all fails with the transport error', () => {
  expect(judgeTry(plan(2), answer(null, { error: 'timeout after 15000 ms' }))).toMatchObject({ status: 'retrying', waitMs: 60_000, error: 'timeout after 15000 ms' });
});

test('each retry waits its own delay, and the last try fails for good', () => {
  expect([1, 2, 3, 4].map((a) => judgeTry(plan(a), answer(500)))).toMatchObject([
    { status: 'retrying', waitMs: 5_000 },
    { status: 'retrying', waitMs: 60_000 },
    { status: 'retrying', waitMs: 600_000 },
    { status: 'failed', waitMs: 0 },
  ]);
});

test('410 Gone ends the delivery at once', () => {
  expect(judgeTry(plan(1), answer(410))).toMatchObject({ status: 'failed', gone: true, waitMs: 0 });
});

test.each([429, 503])('%i with Retry-After waits that long, up to the longest delay', (code) => {
  expect(judgeTry(plan(1), answer(code, { retryAfterSeconds: 120 })).waitMs).toBe(120_000);
  expect(judgeTry(plan(1), answer(code, { retryAfterSeconds: 86_400 })).waitMs).toBe(600_000);
  // Never sooner than the schedule.
  expect(judgeTry(plan(2), answer(code, { retryAfterSeconds: 1 })).waitMs).toBe(60_000);
});

test('Retry-After on other answers is not honoured', () => {
  expect(judgeTry(plan(1), answer(500, { retryAfterSeconds: 120 })).waitMs).toBe(5_000);
});

test('a manual retry starts a new series on the same schedule', () => {
  const series = (attempt: number) => plan(attempt, [5, 60, 600], { retryBase: 4, maxAttempts: 8 });
  expect([5, 6, 7, 8].map((a) => judgeTry(series(a), answer(500)))).toMatchObject([
    { status: 'retrying', waitMs: 5_000 },
    { status: 'retrying', waitMs: 60_000 },
    { status: 'retrying', waitMs: 600_000 },
    { status: 'failed' },
  ]);
});
