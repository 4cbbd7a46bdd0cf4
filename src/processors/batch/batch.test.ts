import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countItems, type Batch, type LogsBatch, type MetricsBatch } from '../../model/batch';
import { emptyResource, emptyScope, str } from '../../model/common';
import type { NumberDataPoint } from '../../model/metrics';
import type { Consumer } from '../../pipeline/component';
import { overloadedError } from '../../pipeline/errors';
import { Batcher } from './batcher';
import { wireOf } from '../../model/wire';
import { decodeLogsRequestWire, encodeLogsRequest } from '../../otlp/proto';
import { splitBatch } from './split';

function point(v: number): NumberDataPoint {
  return { attributes: [{ key: 'i', value: str(String(v)) }], startTimeMs: 0, startTimeNs: 0, timeMs: 1, timeNs: 2, flags: 0, valueType: 'double', value: v, exemplars: [] };
}

function metrics(resources: number, metricsPer: number, pointsPer: number, tag = ''): MetricsBatch {
  let v = 0;
  return {
    signal: 'metrics',
    resourceMetrics: Array.from({ length: resources }, (_, r) => ({
      resource: { ...emptyResource(), attributes: [{ key: 'r', value: str(`${tag}${r}`) }] },
      schemaUrl: '',
      scopeMetrics: [
        {
          scope: emptyScope(),
          schemaUrl: '',
          metrics: Array.from({ length: metricsPer }, (_, m) => ({
            name: `m${m}`,
            description: '',
            unit: '',
            metadata: [],
            data: { type: 'sum' as const, temporality: 1, isMonotonic: true, dataPoints: Array.from({ length: pointsPer }, () => point(v++)) },
          })),
        },
      ],
    })),
  };
}

function logs(n: number): LogsBatch {
  return {
    signal: 'logs',
    resourceLogs: [
      {
        resource: emptyResource(),
        schemaUrl: '',
        scopeLogs: [
          {
            scope: emptyScope(),
            schemaUrl: '',
            logRecords: Array.from({ length: n }, (_, i) => ({
              timeMs: i, timeNs: 0, observedTimeMs: 0, observedTimeNs: 0, severityNumber: 9, severityText: 'INFO',
              body: str(`r${i}`), attributes: [], droppedAttributesCount: 0, flags: 0, traceId: new Uint8Array(), spanId: new Uint8Array(), eventName: '',
            })),
          },
        ],
      },
    ],
  };
}

/** Every point value of a metrics batch, in order. */
function values(b: Batch): number[] {
  const out: number[] = [];
  if (b.signal !== 'metrics') return out;
  for (const rm of b.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) if (m.data.type === 'sum') for (const p of m.data.dataPoints) out.push(p.value as number);
  return out;
}

class Recorder implements Consumer {
  batches: Batch[] = [];
  fail: Error | undefined;
  consume(batch: Batch): Promise<void> {
    this.batches.push(batch);
    return this.fail ? Promise.reject(this.fail) : Promise.resolve();
  }
}

test('splitBatch keeps every point, in order, in pieces of at most max', () => {
  const b = metrics(3, 4, 5); // 60 points
  for (const max of [1, 7, 20, 59, 60, 100]) {
    const pieces = splitBatch(b, max);
    assert.deepEqual(pieces.flatMap(values), values(b), `max ${max}`);
    for (const p of pieces) assert.ok(countItems(p) <= max && countItems(p) > 0, `piece of ${countItems(p)} with max ${max}`);
    assert.equal(pieces.length, Math.ceil(60 / max));
  }
});

test('splitBatch gives later pieces their own copy of a shared resource', () => {
  const b = metrics(1, 1, 4);
  const [a, c] = splitBatch(b, 2) as MetricsBatch[];
  assert.notEqual(a.resourceMetrics[0].resource, c.resourceMetrics[0].resource);
  assert.deepEqual(a.resourceMetrics[0].resource, c.resourceMetrics[0].resource);
});

test('splitBatch splits logs across scopes', () => {
  const pieces = splitBatch(logs(10), 3);
  assert.deepEqual(pieces.map(countItems), [3, 3, 3, 1]);
});

test('batcher sends when send_batch_size is reached and resolves callers after downstream accepted', async () => {
  const rec = new Recorder();
  const b = new Batcher({ timeoutMs: 60_000, sendBatchSize: 10, sendBatchMaxSize: 0 }, rec, 'batch');
  const p1 = b.consume(metrics(1, 1, 4, 'a'));
  const p2 = b.consume(metrics(1, 1, 4, 'b'));
  assert.equal(rec.batches.length, 0, 'nothing sent below the size');
  const p3 = b.consume(metrics(1, 1, 4, 'c'));
  await Promise.all([p1, p2, p3]);
  assert.equal(rec.batches.length, 1);
  assert.equal(countItems(rec.batches[0]), 12);
  await b.shutdown(Date.now() + 1000);
});

test('batcher sends on timeout', async () => {
  const rec = new Recorder();
  const b = new Batcher({ timeoutMs: 20, sendBatchSize: 1000, sendBatchMaxSize: 0 }, rec, 'batch');
  await b.consume(metrics(1, 1, 3));
  assert.equal(rec.batches.length, 1);
  await b.shutdown(Date.now() + 1000);
});

test('batcher splits at send_batch_max_size', async () => {
  const rec = new Recorder();
  const b = new Batcher({ timeoutMs: 60_000, sendBatchSize: 10, sendBatchMaxSize: 10 }, rec, 'batch');
  const input = metrics(2, 3, 5); // 30 points
  await b.consume(input);
  assert.deepEqual(rec.batches.map(countItems), [10, 10, 10]);
  assert.deepEqual(rec.batches.flatMap(values), values(metrics(2, 3, 5)));
  await b.shutdown(Date.now() + 1000);
});

test('batcher passes downstream errors to every caller of the flush', async () => {
  const rec = new Recorder();
  rec.fail = overloadedError('queue full', 'exporter x', 2000);
  const b = new Batcher({ timeoutMs: 60_000, sendBatchSize: 4, sendBatchMaxSize: 0 }, rec, 'batch');
  const results = await Promise.allSettled([b.consume(metrics(1, 1, 2)), b.consume(metrics(1, 1, 2))]);
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.equal((r as PromiseRejectedResult).reason.code, 'OVERLOADED');
    assert.equal((r as PromiseRejectedResult).reason.retryAfterMs, 2000);
  }
  await b.shutdown(Date.now() + 1000);
});

test('batcher flushes what is pending on shutdown and refuses new data afterwards', async () => {
  const rec = new Recorder();
  const b = new Batcher({ timeoutMs: 60_000, sendBatchSize: 1000, sendBatchMaxSize: 0 }, rec, 'batch');
  const pending = b.consume(metrics(1, 2, 2));
  await b.shutdown(Date.now() + 1000);
  await pending;
  assert.equal(countItems(rec.batches[0]), 4);
  await assert.rejects(b.consume(metrics(1, 1, 1)), { code: 'UNAVAILABLE' });
});

test('batcher shutdown returns at the deadline when downstream hangs', async () => {
  const hang: Consumer = { consume: () => new Promise(() => {}) };
  const b = new Batcher({ timeoutMs: 60_000, sendBatchSize: 1000, sendBatchMaxSize: 0 }, hang, 'batch');
  void b.consume(metrics(1, 1, 1));
  const t0 = Date.now();
  await b.shutdown(Date.now() + 50);
  assert.ok(Date.now() - t0 < 5000);
});

test('batcher drain sends what is held and then passes new data straight on', async () => {
  const rec = new Recorder();
  const b = new Batcher({ timeoutMs: 60_000, sendBatchSize: 1000, sendBatchMaxSize: 0 }, rec, 'batch');
  const held = b.consume(metrics(1, 1, 2));
  b.drain();
  await held;
  assert.equal(rec.batches.length, 1);
  await b.consume(metrics(1, 1, 1));
  assert.equal(rec.batches.length, 2, 'a batch arriving while draining is sent at once');
  await b.shutdown(Date.now() + 1000);
});

test('splitBatch passes resources still in wire form on whole when they fit, and decodes only the one it must cut', () => {
  const sizes = [3, 4, 2, 6];
  const resources = sizes.map((n) => {
    const rl = logs(n).resourceLogs[0];
    for (const lr of rl.scopeLogs[0].logRecords) lr.body = str(`${n}-${(lr.body as { value: string }).value}`);
    return rl;
  });
  const wire = decodeLogsRequestWire(encodeLogsRequest(resources)).data;
  assert.ok(wire.every((r) => wireOf(r)));
  const pieces = splitBatch({ signal: 'logs', resourceLogs: wire }, 7) as LogsBatch[];
  assert.deepEqual(pieces.map(countItems), [7, 7, 1]);
  // 3 + 4 fill the first piece whole; 2 fits whole; 6 is cut into 5 + 1.
  assert.deepEqual(pieces.map((p) => p.resourceLogs.map((r) => wireOf(r) !== undefined)), [[true, true], [true, false], [false]]);
  assert.equal(wire.filter((r) => wireOf(r)).length, 3, 'only the resource that was cut was decoded');
  const bodies = pieces.flatMap((p) => p.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((sl) => sl.logRecords.map((lr) => (lr.body as { value: string }).value))));
  assert.deepEqual(bodies, sizes.flatMap((n) => Array.from({ length: n }, (_, i) => `${n}-r${i}`)));
});
