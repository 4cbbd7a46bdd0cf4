import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { countItems, type Batch } from '../../model/batch';
import { PipelineError } from '../../pipeline/errors';
import { ExporterHelper, SendError, type HelperConfig } from './index';
import { bodies, FakeClock, jsonCodec, logs, testSettings, waitFor } from './testkit';
import { WriteAheadLog } from './wal';

type Overrides = { timeout?: number; retry?: Partial<HelperConfig['retry_on_failure']>; queue?: Partial<HelperConfig['sending_queue']> };
function config(o: Overrides = {}): HelperConfig {
  return {
    timeout: o.timeout ?? 1000,
    retry_on_failure: { enabled: true, initial_interval: 5, max_interval: 20, max_elapsed_time: 0, multiplier: 1.5, randomization_factor: 0.5, ...o.retry },
    sending_queue: { enabled: true, num_consumers: 4, queue_size: 100, sizer: 'requests', block_on_overflow: false, ...o.queue },
  };
}

/** A destination that records what it got and can be held closed. */
class Destination {
  readonly got: string[] = [];
  attempts = 0;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  /** Per-batch failure: return an error to throw it. */
  fail: (b: Batch) => Error | undefined = () => undefined;
  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }
  release(): void {
    this.open?.();
    this.gate = undefined;
  }
  readonly send = async (batch: Batch, signal: AbortSignal): Promise<void> => {
    this.attempts++;
    if (this.gate) await Promise.race([this.gate, new Promise((_, rej) => signal.addEventListener('abort', () => rej(new Error('aborted'))))]);
    const err = this.fail(batch);
    if (err) throw err;
    this.got.push(...bodies(batch));
  };
}

const expectCode = (code: string) => (e: unknown) => e instanceof PipelineError && e.code === code;

test('memory queue: every batch is delivered, queue size returns to 0, capacity reported', async () => {
  const { settings, metric } = testSettings();
  const dest = new Destination();
  const h = new ExporterHelper(config(), settings, dest.send, jsonCodec);
  await h.start();
  const expected: string[] = [];
  for (let i = 0; i < 20; i++) {
    const b = logs(`b${i}`, 3);
    expected.push(...bodies(b));
    await h.consume(b);
  }
  await waitFor(() => dest.got.length === expected.length, 'delivery');
  assert.deepEqual([...dest.got].sort(), expected.sort());
  assert.equal(await metric('otel_pipeline_exporter_queue_size', { exporter: 'otlp/test' }), 0);
  assert.equal(await metric('otel_pipeline_exporter_queue_capacity', { exporter: 'otlp/test' }), 100);
  assert.equal(await metric('otel_pipeline_exporter_sent_log_records', { exporter: 'otlp/test' }), expected.length, 'sent counts delivered items');
  await h.shutdown(Date.now() + 2000);
});

test('queue full (requests) → overloaded, counted as enqueue_failed; nothing silently dropped', async () => {
  const { settings, metric } = testSettings();
  const dest = new Destination();
  dest.hold();
  const h = new ExporterHelper(config({ queue: { num_consumers: 1, queue_size: 2 } }), settings, dest.send, jsonCodec);
  await h.start();
  await h.consume(logs('a', 1));
  await waitFor(() => dest.attempts === 1, 'the consumer to take the first batch');
  assert.equal(await metric('otel_pipeline_exporter_in_flight_requests'), 1);
  await h.consume(logs('b', 1));
  await h.consume(logs('c', 1));
  assert.equal(await metric('otel_pipeline_exporter_queue_size'), 2);
  await assert.rejects(h.consume(logs('d', 5)), expectCode('OVERLOADED'));
  assert.equal(await metric('otel_pipeline_exporter_enqueue_failed_log_records', { exporter: 'otlp/test' }), 5);
  dest.release();
  await waitFor(() => dest.got.length === 3, 'delivery');
  assert.deepEqual(dest.got.sort(), ['a-0', 'b-0', 'c-0']);
  await h.shutdown(Date.now() + 2000);
});

test('sizer items: the bound counts log records, not batches', async () => {
  const { settings, metric } = testSettings();
  const dest = new Destination();
  dest.hold();
  const h = new ExporterHelper(config({ queue: { num_consumers: 1, queue_size: 10, sizer: 'items' } }), settings, dest.send, jsonCodec);
  await h.start();
  await h.consume(logs('a', 4));
  await waitFor(() => dest.attempts === 1, 'the consumer to take the first batch');
  await h.consume(logs('b', 4));
  await h.consume(logs('c', 6));
  assert.equal(await metric('otel_pipeline_exporter_queue_size'), 10);
  await assert.rejects(h.consume(logs('d', 1)), expectCode('OVERLOADED'));
  dest.release();
  await waitFor(() => dest.got.length === 14, 'delivery');
  await h.shutdown(Date.now() + 2000);
});

test('block_on_overflow: consume waits for room instead of refusing', async () => {
  const { settings } = testSettings();
  const dest = new Destination();
  dest.hold();
  const h = new ExporterHelper(config({ queue: { num_consumers: 1, queue_size: 1, block_on_overflow: true } }), settings, dest.send, jsonCodec);
  await h.start();
  await h.consume(logs('a', 1));
  await waitFor(() => dest.attempts === 1, 'the consumer to take the first batch');
  await h.consume(logs('b', 1));
  let settled = false;
  const third = h.consume(logs('c', 1)).finally(() => (settled = true));
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'waits while the queue is full');
  dest.release();
  await third;
  await waitFor(() => dest.got.length === 3, 'delivery');
  assert.deepEqual(dest.got.sort(), ['a-0', 'b-0', 'c-0']);
  await h.shutdown(Date.now() + 2000);
});

test('a permanent failure is dropped with its reason and not retried; retryable ones are retried and counted', async () => {
  const { settings, metric, logs: captured } = testSettings();
  const dest = new Destination();
  const seen = new Map<string, number>();
  dest.fail = (b) => {
    const key = bodies(b)[0];
    seen.set(key, (seen.get(key) ?? 0) + 1);
    if (key.startsWith('bad')) return new SendError('400 Bad Request: invalid', { retryable: false, reason: 'http_400' });
    if (key.startsWith('flaky') && seen.get(key)! <= 2) return new SendError('503', { retryable: true, reason: 'http_503' });
    return undefined;
  };
  const h = new ExporterHelper(config(), settings, dest.send, jsonCodec);
  await h.start();
  await h.consume(logs('bad', 7));
  await h.consume(logs('flaky', 2));
  await h.consume(logs('ok', 1));
  await waitFor(() => dest.got.length === 3, 'delivery');
  await h.shutdown(Date.now() + 2000);
  assert.deepEqual(dest.got.sort(), ['flaky-0', 'flaky-1', 'ok-0']);
  assert.equal(seen.get('bad-0'), 1);
  assert.equal(seen.get('flaky-0'), 3);
  assert.equal(await metric('otel_pipeline_exporter_send_failed_log_records', { reason: 'http_400' }), 7);
  assert.equal(await metric('otel_pipeline_exporter_retries', { reason: 'http_503' }), 2);
  const warn = captured.lines.find((l) => l.level === 'warn' && l.reason === 'http_400');
  assert.equal(warn?.items, 7);
});

test('max_elapsed_time: a batch that keeps failing is dropped with the reason', async () => {
  const { settings, metric } = testSettings();
  const dest = new Destination();
  dest.fail = () => new SendError('unavailable', { retryable: true, reason: 'grpc_UNAVAILABLE' });
  const clock = new FakeClock(0.5);
  const h = new ExporterHelper(config({ retry: { initial_interval: 1000, max_interval: 1000, max_elapsed_time: 3500 } }), settings, dest.send, jsonCodec, { clock });
  await h.start();
  await h.consume(logs('x', 4));
  await waitFor(() => dest.attempts === 4, 'four attempts', 5000);
  await h.shutdown(Date.now() + 2000);
  assert.equal(dest.attempts, 4, 'attempts at 0, 1000, 2000, 3000; the next would pass 3500');
  assert.equal(await metric('otel_pipeline_exporter_send_failed_log_records', { reason: 'grpc_UNAVAILABLE' }), 4);
});

test('shutdown drains the queue within the deadline', async () => {
  const { settings, metric } = testSettings();
  const dest = new Destination();
  dest.hold();
  const h = new ExporterHelper(config({ queue: { num_consumers: 2 } }), settings, dest.send, jsonCodec);
  await h.start();
  for (let i = 0; i < 10; i++) await h.consume(logs(`d${i}`, 2));
  const done = h.shutdown(Date.now() + 5000);
  await assert.rejects(h.consume(logs('late', 1)), expectCode('UNAVAILABLE'));
  dest.release();
  await done;
  assert.equal(dest.got.length, 20);
  assert.equal(await metric('otel_pipeline_exporter_send_failed_log_records'), 0);
});

test('memory queue: what is left at the deadline is counted and logged as lost, with the item count', async () => {
  const { settings, metric, logs: captured } = testSettings();
  const dest = new Destination();
  dest.hold();
  const h = new ExporterHelper(config({ queue: { num_consumers: 1 } }), settings, dest.send, jsonCodec);
  await h.start();
  const batches = [logs('a', 2), logs('b', 3), logs('c', 4)];
  for (const b of batches) await h.consume(b);
  await waitFor(() => dest.attempts === 1, 'the first send');
  await h.shutdown(Date.now() + 50);
  const total = batches.reduce((n, b) => n + countItems(b), 0);
  assert.equal(dest.got.length, 0);
  assert.equal(await metric('otel_pipeline_exporter_send_failed_log_records', { reason: 'shutdown' }), total);
  const line = captured.lines.find((l) => l.level === 'warn' && /lost/.test(l.msg));
  assert.equal(line?.items, total);
  await h.shutdown(Date.now() + 50);
});

test('queue disabled: consume sends inline and settles with the outcome', async () => {
  const { settings } = testSettings();
  const dest = new Destination();
  dest.fail = (b) => {
    const k = bodies(b)[0];
    if (k.startsWith('bad')) return new SendError('rejected', { retryable: false, reason: 'http_400' });
    if (k.startsWith('down')) return new SendError('refused', { retryable: true, reason: 'connection' });
    return undefined;
  };
  const h = new ExporterHelper(config({ queue: { enabled: false }, retry: { initial_interval: 1000, max_interval: 1000, max_elapsed_time: 1500 } }), settings, dest.send, jsonCodec, { clock: new FakeClock() });
  await h.start();
  await h.consume(logs('ok', 2));
  assert.deepEqual(dest.got, ['ok-0', 'ok-1']);
  await assert.rejects(h.consume(logs('bad', 1)), expectCode('PERMANENT'));
  const before = dest.attempts;
  await assert.rejects(h.consume(logs('down', 1)), (e: unknown) => e instanceof PipelineError && e.retryable);
  assert.equal(dest.attempts - before, 2, 'retried once within max_elapsed_time');
  await h.shutdown(Date.now() + 1000);
});

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'helper-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('persistent queue: accepted while the destination is down, kept over shutdown, delivered by the next instance', async (t) => {
  const dir = tempDir(t);
  const storage = { directory: dir, max_size: 1 << 20 };
  const down = new Destination();
  down.fail = () => new SendError('connection refused', { retryable: true, reason: 'connection' });
  const first = testSettings();
  const a = new ExporterHelper(config({ queue: { storage } }), first.settings, down.send, jsonCodec);
  await a.start();
  const expected: string[] = [];
  for (let i = 0; i < 6; i++) {
    const b = logs(`p${i}`, i + 1);
    expected.push(...bodies(b));
    await a.consume(b);
  }
  await waitFor(() => down.attempts >= 6, 'attempts');
  await a.shutdown(Date.now() + 100);
  assert.equal(await first.metric('otel_pipeline_exporter_send_failed_log_records'), 0, 'nothing counted as lost: it is on disk');

  const up = new Destination();
  const second = testSettings();
  const b = new ExporterHelper(config({ queue: { storage } }), second.settings, up.send, jsonCodec);
  await b.start();
  assert.ok(second.logs.lines.some((l) => l.msg.includes('replaying') && l.batches === 6 && l.items === 21));
  await waitFor(() => up.got.length === expected.length, 'replayed delivery');
  await b.shutdown(Date.now() + 2000);
  assert.deepEqual([...up.got].sort(), [...expected].sort());

  const wal = new WriteAheadLog(dir, { maxBytes: 1 << 20, logger: second.settings.logger });
  assert.deepEqual(wal.open(), [], 'every delivered batch was acknowledged');
  await wal.close();
});

test('persistent queue: full (max_size) → overloaded; a batch larger than max_size → permanent', async (t) => {
  const dir = tempDir(t);
  const { settings, metric } = testSettings();
  const dest = new Destination();
  dest.hold();
  const one = jsonCodec.encode(logs('f0', 1)).length + 20;
  const h = new ExporterHelper(config({ queue: { num_consumers: 1, storage: { directory: dir, max_size: one * 3 } } }), settings, dest.send, jsonCodec, { walSegmentBytes: one });
  await h.start();
  for (let i = 0; i < 3; i++) await h.consume(logs(`f${i}`, 1));
  await assert.rejects(h.consume(logs('f3', 1)), expectCode('OVERLOADED'));
  assert.equal(await metric('otel_pipeline_exporter_enqueue_failed_log_records'), 1);
  await assert.rejects(h.consume(logs('huge', 50)), expectCode('PERMANENT'));
  dest.release();
  await waitFor(() => dest.got.length === 3, 'delivery');
  await h.shutdown(Date.now() + 2000);
});

test('persistent queue: a permanently rejected batch is dropped and removed, not replayed', async (t) => {
  const dir = tempDir(t);
  const storage = { directory: dir, max_size: 1 << 20 };
  const { settings, metric } = testSettings();
  const dest = new Destination();
  dest.fail = (b) => (bodies(b)[0].startsWith('bad') ? new SendError('400: malformed', { retryable: false, reason: 'http_400' }) : undefined);
  const h = new ExporterHelper(config({ queue: { storage } }), settings, dest.send, jsonCodec);
  await h.start();
  await h.consume(logs('bad', 3));
  await h.consume(logs('good', 2));
  await waitFor(() => dest.got.length === 2 && dest.attempts === 2, 'both sends');
  await h.shutdown(Date.now() + 2000);
  assert.equal(await metric('otel_pipeline_exporter_send_failed_log_records', { reason: 'http_400' }), 3);
  const wal = new WriteAheadLog(dir, { maxBytes: 1 << 20, logger: settings.logger });
  assert.deepEqual(wal.open(), []);
  await wal.close();
});

test('persistent queue: queue_size bounds batches being written too', async (t) => {
  const dir = tempDir(t);
  const { settings } = testSettings();
  const dest = new Destination();
  dest.hold();
  const h = new ExporterHelper(config({ queue: { num_consumers: 1, queue_size: 2, storage: { directory: dir, max_size: 1 << 20 } } }), settings, dest.send, jsonCodec);
  await h.start();
  // Three at once while none is on disk yet: only two may be promised room.
  const results = await Promise.allSettled([h.consume(logs('x', 1)), h.consume(logs('y', 1)), h.consume(logs('z', 1))]);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 2);
  assert.ok(results.some((r) => r.status === 'rejected' && r.reason instanceof PipelineError && r.reason.code === 'OVERLOADED'));
  dest.release();
  await waitFor(() => dest.got.length === 2, 'delivery');
  await h.shutdown(Date.now() + 2000);
});

test('persistent queue: a directory that cannot be used fails start with a clear error', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'not-a-dir');
  fs.writeFileSync(file, 'x');
  const { settings } = testSettings('otlphttp/vendor');
  const h = new ExporterHelper(config({ queue: { storage: { directory: file, max_size: 1 << 20 } } }), settings, new Destination().send, jsonCodec);
  await assert.rejects(h.start(), (e: Error) => e.message.includes('otlphttp/vendor') && e.message.includes('cannot open the persistent queue') && e.message.includes(file));
  await h.shutdown(Date.now() + 1000);
});

test('memory queue: a delivered batch is not kept alive by an idle consumer', async () => {
  // gc() as bin/otel-pipeline enables it, whatever the runner's flags.
  require('node:v8').setFlagsFromString('--expose-gc');
  const gc = require('node:vm').runInNewContext('gc') as () => void;
  const dest = new Destination();
  const { settings } = testSettings();
  const h = new ExporterHelper(config({ queue: { num_consumers: 1 } }), settings, dest.send, jsonCodec);
  await h.start();
  const refs: Array<WeakRef<Batch>> = [];
  // Made and handed over in a function of its own, so no frame of this test holds one.
  const send = async (i: number) => {
    const b = logs(`b${i}`, 1000);
    refs.push(new WeakRef(b));
    await h.consume(b);
  };
  for (let i = 0; i < 3; i++) await send(i);
  await waitFor(() => dest.got.length === 3000, 'all three delivered');
  // Let the consumer reach its next take() and idle there.
  await new Promise((r) => setImmediate(r));
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
  assert.deepEqual(refs.map((r) => r.deref() === undefined), [true, true, true], 'every delivered batch was collected');
  await h.shutdown(Date.now() + 1000);
});

test('warnOncePerDropReason: the first drop of each reason is a warning, later ones of that reason are debug; by default every drop warns', async () => {
  for (const once of [true, false]) {
    const { settings, metric, logs: captured } = testSettings();
    const dest = new Destination();
    dest.fail = (b) => {
      const key = bodies(b)[0];
      return key === 'ok-0' ? undefined : new SendError(`refused ${key}`, { retryable: false, reason: key.startsWith('a') ? 'pg_23514' : 'pg_22P02' });
    };
    const h = new ExporterHelper(config({ queue: { num_consumers: 1 } }), settings, dest.send, jsonCodec, { warnOncePerDropReason: once });
    await h.start();
    for (const tag of ['a1', 'a2', 'b1', 'a3', 'b2', 'ok']) await h.consume(logs(tag, 1));
    await waitFor(() => dest.got.length === 1, 'the good batch');
    await h.shutdown(Date.now() + 2000);
    assert.equal(await metric('otel_pipeline_exporter_send_failed_log_records', { reason: 'pg_23514' }), 3, 'every drop counted either way');
    const drops = (level: string) => captured.lines.filter((l) => l.level === level && l.msg.startsWith('dropping data')).map((l) => l.error);
    if (once) {
      assert.deepEqual(drops('warn'), ['refused a1-0', 'refused b1-0']);
      assert.deepEqual(drops('debug'), ['refused a2-0', 'refused a3-0', 'refused b2-0']);
    } else {
      assert.deepEqual(drops('warn'), ['refused a1-0', 'refused a2-0', 'refused b1-0', 'refused a3-0', 'refused b2-0']);
    }
  }
});
