import { test } from 'node:test';
import assert from 'node:assert/strict';
import { overloadedError } from '../../pipeline/errors';
import { backoffDelay, SendError, sendWithRetry, type RetryConfig } from './retry';
import { FakeClock } from './testkit';

const cfg: RetryConfig = { enabled: true, initial_interval: 5000, max_interval: 30000, max_elapsed_time: 300000, multiplier: 1.5, randomization_factor: 0.5 };
const never = new AbortController().signal;
const unavailable = (retryAfterMs?: number) => new SendError('503', { retryable: true, reason: 'http_503', retryAfterMs });

/** A send that fails `failures` times with `err()` and then succeeds; counts attempts. */
function flaky(failures: number, err: () => Error) {
  const s = { attempts: 0, send: async () => { s.attempts++; if (s.attempts <= failures) throw err(); } };
  return s;
}

test('backoff grows by the multiplier up to max_interval, spread by the randomization factor', () => {
  const expected = [5000, 7500, 11250, 16875, 25312.5, 30000, 30000];
  expected.forEach((interval, n) => {
    assert.equal(backoffDelay(cfg, n, 0.5), Math.round(interval));
    assert.equal(backoffDelay(cfg, n, 0), Math.round(interval * 0.5));
    assert.equal(backoffDelay(cfg, n, 0.999999), Math.round(interval * 1.5 - interval * 0.000001 * 1));
  });
});

test('retries a retryable failure with the backoff waits, then succeeds', async () => {
  const clock = new FakeClock(0.5);
  const s = flaky(4, () => unavailable());
  const retries: string[] = [];
  const out = await sendWithRetry(s.send, cfg, 1000, clock, never, { onRetry: (r) => retries.push(r) });
  assert.deepEqual(out, { ok: true, attempts: 5 });
  assert.deepEqual(clock.sleeps, [5000, 7500, 11250, 16875]);
  assert.deepEqual(retries, ['http_503', 'http_503', 'http_503', 'http_503']);
});

test('Retry-After is a minimum wait, and a shorter one does not shorten the backoff', async () => {
  const clock = new FakeClock(0.5);
  let n = 0;
  const hints = [42000, 100];
  const out = await sendWithRetry(async () => { if (n < hints.length) throw unavailable(hints[n++]); }, cfg, 1000, clock, never);
  assert.equal(out.ok, true);
  assert.deepEqual(clock.sleeps, [42000, 7500]);
});

test('a permanent failure is not retried', async () => {
  const clock = new FakeClock();
  const s = flaky(10, () => new SendError('bad request', { retryable: false, reason: 'http_400' }));
  const out = await sendWithRetry(s.send, cfg, 1000, clock, never);
  assert.equal(s.attempts, 1);
  assert.deepEqual(clock.sleeps, []);
  assert.equal(out.ok, false);
  assert.equal(!out.ok && out.reason, 'http_400');
  assert.equal(!out.ok && out.retryable, false);
});

test('an unclassified error is permanent; a PipelineError keeps its class', async () => {
  const clock = new FakeClock();
  const out = await sendWithRetry(async () => { throw new TypeError('bug'); }, cfg, 1000, clock, never);
  assert.equal(!out.ok && out.reason, 'error');
  assert.equal(out.attempts, 1);
  let n = 0;
  const busy = await sendWithRetry(async () => { if (n++ === 0) throw overloadedError('busy', 'x', 9000); }, cfg, 1000, clock, never);
  assert.equal(busy.ok, true);
  assert.deepEqual(clock.sleeps, [9000]);
});

test('gives up once the next wait would pass max_elapsed_time', async () => {
  const clock = new FakeClock(0.5);
  const s = flaky(100, () => unavailable());
  // Waits 5000, 7500 (elapsed 12500); the next, 11250, would end at 23750 > 20000.
  const out = await sendWithRetry(s.send, { ...cfg, max_elapsed_time: 20000 }, 1000, clock, never);
  assert.equal(out.ok, false);
  assert.equal(s.attempts, 3);
  assert.deepEqual(clock.sleeps, [5000, 7500]);
  assert.equal(!out.ok && out.stopped, false);
  assert.equal(!out.ok && out.reason, 'http_503');
});

test('max_elapsed_time 0 retries until it works', async () => {
  const clock = new FakeClock(0.5);
  const s = flaky(40, () => unavailable());
  const out = await sendWithRetry(s.send, { ...cfg, max_elapsed_time: 0 }, 1000, clock, never);
  assert.equal(out.ok, true);
  assert.equal(s.attempts, 41);
  assert.ok(clock.t > 300000, 'kept going past the default limit');
});

test('retry disabled: one attempt', async () => {
  const s = flaky(1, () => unavailable());
  const out = await sendWithRetry(s.send, { ...cfg, enabled: false }, 1000, new FakeClock(), never);
  assert.equal(s.attempts, 1);
  assert.equal(out.ok, false);
});

test('each attempt is cut at the timeout and aborted through its signal; the timeout is retryable', async () => {
  const clock = new FakeClock(0.5);
  const seen: boolean[] = [];
  let attempts = 0;
  const out = await sendWithRetry(
    (signal) => {
      attempts++;
      if (attempts === 3) return Promise.resolve();
      // Ignores the signal on purpose: the helper must not wait for it.
      return new Promise<void>(() => void signal.addEventListener('abort', () => seen.push(signal.aborted)));
    },
    cfg, 20, clock, never,
  );
  assert.equal(out.ok, true);
  assert.equal(attempts, 3);
  assert.deepEqual(seen, [true, true]);
  assert.deepEqual(clock.sleeps, [5000, 7500]);
});

test('stop ends the attempts as stopped, not as a failure', async () => {
  const ac = new AbortController();
  const p = sendWithRetry((signal) => new Promise<void>((_, rej) => signal.addEventListener('abort', () => rej(new Error('aborted')))), cfg, 0, new FakeClock(), ac.signal);
  ac.abort();
  const out = await p;
  assert.equal(!out.ok && out.stopped, true);
});
