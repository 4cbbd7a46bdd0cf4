import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { ExponentialHistogramDataPoint, HistogramDataPoint, ResourceMetrics } from '../../model/metrics';
import { MetricMerger, type Rewrite } from './merge';
import { exponential, gauge, histogram, numberPoints, plain, resourceMetrics, sum, type PointSpec } from './testkit';

const DELTA = 1;
const CUMULATIVE = 2;

/** Deletes `key` from every data point. */
function dropPointKey(key: string): Rewrite {
  return (t) => {
    if (t.kind !== 'point') return;
    const i = t.attributes.findIndex((kv) => kv.key === key);
    if (i >= 0) t.attributes.splice(i, 1);
  };
}

const dropSession = dropPointKey('session.id');

function firstPoint(out: ResourceMetrics[]): unknown {
  const d = out[0].scopeMetrics[0].metrics[0].data;
  assert.notEqual(d.type, 'empty');
  return (d as { dataPoints: unknown[] }).dataPoints[0];
}

function merger(opts: Partial<{ maxStreams: number; idleMs: number; now: () => number }> = {}) {
  return new MetricMerger({ maxStreams: opts.maxStreams ?? 1000, idleMs: opts.idleMs ?? 60_000, now: opts.now });
}

/** One request from `session` with a cumulative counter `v` (started at `start`, at `time`). */
function cumulativeFrom(session: string, v: number, time: number, start = 0, extra: Record<string, string> = {}): ResourceMetrics {
  return resourceMetrics({ 'service.name': 'cc' }, [sum('tokens', CUMULATIVE, [{ attrs: { 'session.id': session, model: 'opus', ...extra }, value: v, start, time }])]);
}

test('deltas from three sessions in one batch merge into one point holding the exact sum', () => {
  const m = merger();
  const values = [0.1, 0.2, 0.7];
  const sessions = values.map((v, i): PointSpec => ({ attrs: { 'session.id': `s${i}`, model: 'opus' }, value: v, start: 10 + i, time: 20 + i }));
  const out = m.process([resourceMetrics({ 'service.name': 'cc' }, [sum('tokens', DELTA, sessions)])], dropSession);
  const pts = numberPoints(out, 'tokens');
  assert.equal(pts.length, 1);
  assert.deepEqual(pts[0].attrs, { model: 'opus' });
  assert.equal(pts[0].point.value, values.reduce((a, b) => a + b));
  assert.equal(pts[0].point.valueType, 'double');
  // The merged delta covers every input's interval.
  assert.equal(pts[0].point.startTimeMs, 10_000);
  assert.equal(pts[0].point.timeMs, 22_000);
  assert.equal(m.streams, 0, 'deltas keep no state');
});

test('deltas from three sessions in three resources and requests merge; int stays int', () => {
  const m = merger();
  const rms = [1, 2, 3].map((v, i) =>
    resourceMetrics({ 'service.name': 'cc' }, [sum('lines', DELTA, [{ attrs: { 'session.id': `s${i}`, type: 'added' }, value: v, int: true }, { attrs: { 'session.id': `s${i}`, type: 'removed' }, value: 10 * v, int: true }])]),
  );
  const out = m.process(rms, dropSession);
  assert.equal(out.length, 1, 'identical resources become one');
  assert.equal(out[0].scopeMetrics.length, 1);
  assert.equal(out[0].scopeMetrics[0].metrics.length, 1);
  const pts = numberPoints(out, 'lines');
  assert.deepEqual(pts.map((p) => [p.attrs.type, p.point.value, p.point.valueType]), [['added', 1 + 2 + 3, 'int'], ['removed', 10 + 20 + 30, 'int']]);
});

test('points that do not collide pass through untouched, and attribute order does not split a stream', () => {
  const m = merger();
  const a = resourceMetrics({ 'service.name': 'cc' }, [sum('x', DELTA, [{ attrs: { a: '1', b: '2' }, value: 1 }, { attrs: { a: '1', b: '3' }, value: 2 }])]);
  const first = a.scopeMetrics[0].metrics[0];
  const before = structuredClone((first.data as { dataPoints: unknown[] }).dataPoints);
  const originals = [...(first.data as { dataPoints: unknown[] }).dataPoints];
  const out = m.process([a], () => {});
  const after = (out[0].scopeMetrics[0].metrics[0].data as { dataPoints: unknown[] }).dataPoints;
  assert.equal(after.length, 2);
  after.forEach((p, i) => assert.equal(p, originals[i], 'the same point objects'));
  assert.deepEqual(after, before, 'with the same content');

  const reordered = resourceMetrics({ 'service.name': 'cc' }, [sum('x', DELTA, [{ attrs: { a: '1', b: '2' }, value: 1 }, { attrs: { b: '2', a: '1' }, value: 2 }])]);
  assert.equal(numberPoints(m.process([reordered], () => {}), 'x').length, 1);
});

test('different metric identities never merge: name, unit, temporality, monotonicity, value types of attributes', () => {
  const m = merger();
  const metrics = [
    sum('x', DELTA, [{ attrs: { k: '1' }, value: 1 }]),
    sum('x', DELTA, [{ attrs: { k: '1' }, value: 1 }], false),
    { ...sum('x', DELTA, [{ attrs: { k: '1' }, value: 1 }]), unit: 's' },
    sum('x', DELTA, [{ attrs: { k: 1 }, value: 1 }]),
  ];
  const out = m.process([resourceMetrics({}, metrics)], () => {});
  assert.equal(out[0].scopeMetrics[0].metrics.length, 3, 'the int-valued attribute shares the first metric');
  assert.equal(numberPoints(out, 'x').length, 4);
});

test('cumulative from three sessions: the output is the sum of each session\'s latest value, over batches where only some report', () => {
  const m = merger();
  const latest = new Map<string, number>();
  const expected = () => [...latest.values()].reduce((a, b) => a + b, 0);
  const rounds: Array<Array<[string, number]>> = [
    [['s1', 10], ['s2', 20], ['s3', 30]],
    [['s1', 15]],
    [['s2', 26], ['s3', 31]],
    [['s3', 40]],
  ];
  rounds.forEach((round, r) => {
    // Each session in its own request, as separate SDKs send them.
    for (const [s, v] of round) {
      latest.set(s, v);
      const out = m.process([cumulativeFrom(s, v, 100 + r)], dropSession);
      const pts = numberPoints(out, 'tokens');
      assert.equal(pts.length, 1);
      assert.equal(pts[0].point.value, expected(), `round ${r} after ${s}=${v}`);
      assert.deepEqual(pts[0].attrs, { model: 'opus' });
    }
  });
  assert.equal(m.streams, 3);

  // And all in one batch: one point, the same sum, not a double count.
  latest.set('s1', 50).set('s2', 60);
  const out = m.process([cumulativeFrom('s1', 50, 200), cumulativeFrom('s2', 60, 200)], dropSession);
  const pts = numberPoints(out, 'tokens');
  assert.equal(pts.length, 1);
  assert.equal(pts[0].point.value, expected());
});

test('cumulative: output start is the earliest source start; a reset replaces the source\'s value and the sum may go down', () => {
  const m = merger();
  m.process([cumulativeFrom('s1', 100, 10, 5)], dropSession);
  let pts = numberPoints(m.process([cumulativeFrom('s2', 50, 11, 3)], dropSession), 'tokens');
  assert.equal(pts[0].point.value, 150);
  assert.equal(pts[0].point.startTimeMs, 3000);
  assert.equal(pts[0].point.timeMs, 11_000);
  // s1 restarts: its start moves forward and its counter begins again.
  pts = numberPoints(m.process([cumulativeFrom('s1', 4, 12, 11)], dropSession), 'tokens');
  assert.equal(pts[0].point.value, 4 + 50);
  assert.equal(pts[0].point.startTimeMs, 3000, 's2 still started earliest');
  // A late point from s1's previous life (earlier start) is ignored.
  pts = numberPoints(m.process([cumulativeFrom('s1', 120, 13, 5)], dropSession), 'tokens');
  assert.equal(pts[0].point.value, 4 + 50);
});

test('cumulative: a lone stream with a single point passes through as it came', () => {
  const m = merger();
  const rm = cumulativeFrom('s1', 7, 10, 1);
  const p = (rm.scopeMetrics[0].metrics[0].data as { dataPoints: unknown[] }).dataPoints[0];
  const before = structuredClone(p);
  const out = m.process([rm], () => {});
  const pts = numberPoints(out, 'tokens');
  assert.equal(pts[0].point, p);
  assert.deepEqual(pts[0].point, before);
});

test('cumulative: two points of one source in a batch give its latest value once', () => {
  const newer = { attrs: { 'session.id': 'a' }, value: 9, time: 5 };
  const older = { attrs: { 'session.id': 'a' }, value: 4, time: 3 };
  for (const order of [[newer, older], [older, newer]]) {
    const rm = resourceMetrics({ 'service.name': 'cc' }, [sum('tokens', CUMULATIVE, order)]);
    const pts = numberPoints(merger().process([rm], () => {}), 'tokens');
    assert.equal(pts.length, 1);
    assert.equal(pts[0].point.value, newer.value, 'the newer point wins, whatever the order');
    assert.equal(pts[0].point.timeMs, newer.time * 1000);
  }
});

test('cumulative: beyond maxStreams the least recently seen source is evicted and counted', async () => {
  const reader = new (class extends MetricReader {
    protected async onForceFlush(): Promise<void> {}
    protected async onShutdown(): Promise<void> {}
  })();
  const provider = new MeterProvider({ readers: [reader] });
  const m = new MetricMerger({ maxStreams: 2, idleMs: 60_000 }, provider.getMeter('t'), { processor: 'attributes/x' });
  m.process([cumulativeFrom('s1', 1, 10)], dropSession);
  m.process([cumulativeFrom('s2', 10, 10)], dropSession);
  // s1 seen again: now s2 is the least recently seen.
  m.process([cumulativeFrom('s1', 2, 11)], dropSession);
  const pts = numberPoints(m.process([cumulativeFrom('s3', 100, 12)], dropSession), 'tokens');
  assert.equal(m.streams, 2);
  assert.equal(pts[0].point.value, 2 + 100, 's2 was evicted; s1 and s3 remain');
  const { resourceMetrics: collected } = await reader.collect();
  const metric = (name: string) => collected.scopeMetrics.flatMap((s) => s.metrics).find((x) => x.descriptor.name === name);
  const dropped = metric('otel_pipeline_processor_merge_streams_dropped')!;
  assert.deepEqual(dropped.dataPoints.map((d) => [d.attributes, d.value]), [[{ processor: 'attributes/x', reason: 'evicted' }, 1]]);
  assert.equal(metric('otel_pipeline_processor_merge_streams')!.dataPoints[0].value, 2);
  m.shutdown();
  await provider.shutdown();
});

test('cumulative: a source idle for idleMs expires and leaves the sum', () => {
  let now = 1_000_000;
  const m = merger({ idleMs: 60_000, now: () => now });
  m.process([cumulativeFrom('s1', 5, 10)], dropSession);
  now += 30_000;
  m.process([cumulativeFrom('s2', 7, 11)], dropSession);
  now += 29_999;
  let pts = numberPoints(m.process([cumulativeFrom('s2', 8, 12)], dropSession), 'tokens');
  assert.equal(pts[0].point.value, 5 + 8, 's1 is 59.999 s idle: still held');
  now += 1;
  pts = numberPoints(m.process([cumulativeFrom('s2', 9, 13)], dropSession), 'tokens');
  assert.equal(m.streams, 1);
  assert.equal(pts[0].point.value, 9, 's1 expired at 60 s');
  m.shutdown();
  assert.equal(m.streams, 0);
});

test('delta histograms add bucket-wise; min/max combine; different bounds stay apart', () => {
  const m = merger();
  const bounds = [1, 5, 10];
  const specs = [
    { attrs: { 'session.id': 'a' }, bounds, counts: [1, 0, 2, 0], sum: 13, min: 0.5, max: 7 },
    { attrs: { 'session.id': 'b' }, bounds, counts: [0, 3, 0, 1], sum: 20, min: 2, max: 11 },
    { attrs: { 'session.id': 'c' }, bounds, counts: [4, 1, 1, 0], sum: 9, min: 0.1, max: 6 },
    { attrs: { 'session.id': 'd' }, bounds: [2, 4], counts: [1, 1, 1], sum: 8, min: 1, max: 5 },
  ];
  const out = m.process([resourceMetrics({}, [histogram('latency', DELTA, specs)])], dropSession);
  const pts = out[0].scopeMetrics[0].metrics[0].data.type === 'histogram' ? (out[0].scopeMetrics[0].metrics[0].data.dataPoints as HistogramDataPoint[]) : [];
  assert.equal(pts.length, 2);
  const same = specs.slice(0, 3);
  assert.deepEqual(pts[0].bucketCounts, bounds.concat(0).map((_, i) => same.reduce((a, s) => a + s.counts[i], 0)));
  assert.equal(pts[0].count, same.reduce((a, s) => a + s.counts.reduce((x, y) => x + y, 0), 0));
  assert.equal(pts[0].sum, same.reduce((a, s) => a + s.sum, 0));
  assert.equal(pts[0].min, Math.min(...same.map((s) => s.min)));
  assert.equal(pts[0].max, Math.max(...same.map((s) => s.max)));
  assert.deepEqual(pts[1].explicitBounds, [2, 4], 'the histogram with other bounds is kept as it was');
  assert.deepEqual(pts[1].bucketCounts, [1, 1, 1]);
});

test('cumulative histograms: bucket-wise sum of each source\'s latest', () => {
  const m = merger();
  const bounds = [1, 10];
  const h = (s: string, counts: number[], time: number) =>
    resourceMetrics({}, [histogram('latency', CUMULATIVE, [{ attrs: { 'session.id': s }, bounds, counts, sum: counts.reduce((a, b) => a + b), time }])]);
  m.process([h('a', [1, 2, 3], 10)], dropSession);
  m.process([h('b', [10, 0, 1], 10)], dropSession);
  const out = m.process([h('a', [2, 2, 5], 11)], dropSession);
  const p = firstPoint(out) as HistogramDataPoint;
  assert.deepEqual(p.bucketCounts, [2 + 10, 2 + 0, 5 + 1]);
  assert.equal(p.count, 9 + 11);
  assert.equal(p.sum, 9 + 11);
  assert.equal(p.min, undefined, 'min unknown on the inputs stays unknown');
});

test('exponential histograms merge at the coarser scale', () => {
  const m = merger();
  const out = m.process([resourceMetrics({}, [exponential('e', DELTA, [
    // scale 1: bucket i covers (2^(i/2), 2^((i+1)/2)]; at scale 0 index i>>1.
    { attrs: { 'session.id': 'a' }, count: 6, sum: 20, scale: 1, zeroCount: 1, zeroThreshold: 0, positive: { offset: 2, bucketCounts: [1, 2, 2] }, negative: { offset: 0, bucketCounts: [] }, min: 0, max: 4 },
    { attrs: { 'session.id': 'b' }, count: 3, sum: 10, scale: 0, zeroCount: 0, zeroThreshold: 0, positive: { offset: 1, bucketCounts: [3] }, negative: { offset: 0, bucketCounts: [] }, min: 2, max: 4 },
  ])])], dropSession);
  const p = firstPoint(out) as ExponentialHistogramDataPoint;
  assert.equal(p.scale, 0);
  // a at scale 0: indexes 2>>1=1 (1), 3>>1=1 (2), 4>>1=2 (2) → {1: 3, 2: 2}; plus b {1: 3}.
  assert.deepEqual(p.positive, { offset: 1, bucketCounts: [3 + 3, 2] });
  assert.equal(p.count, 9);
  assert.equal(p.zeroCount, 1);
  assert.equal(p.sum, 30);
});

test('gauges: the last point wins; summaries are kept as they are', () => {
  const m = merger();
  const g = gauge('temp', [{ attrs: { host: 'a' }, value: 1, time: 5 }, { attrs: { host: 'b' }, value: 2, time: 7 }, { attrs: { host: 'c' }, value: 3, time: 6 }]);
  const summary = {
    name: 'q', description: '', unit: '', metadata: [],
    data: { type: 'summary' as const, dataPoints: ['a', 'b'].map((host) => ({ attributes: [{ key: 'host', value: { kind: 'string' as const, value: host } }], startTimeMs: 0, startTimeNs: 0, timeMs: 1, timeNs: 0, flags: 0, count: 1, sum: 1, quantileValues: [] })) },
  };
  const out = m.process([resourceMetrics({}, [g, summary])], dropPointKey('host'));
  const pts = numberPoints(out, 'temp');
  assert.equal(pts.length, 1);
  assert.equal(pts[0].point.value, 2, 'the newest point (time 7)');
  assert.equal(out[0].scopeMetrics[0].metrics[1].data.type === 'summary' && out[0].scopeMetrics[0].metrics[1].data.dataPoints.length, 2);
  assert.equal(m.streams, 0);
});

test('a resource rewrite merges resources and their points; rewrite sees each resource and point once', () => {
  const m = merger();
  const calls = { resource: 0, point: 0 };
  const rms = ['h1', 'h2'].map((host, i) => resourceMetrics({ 'service.name': 'cc', 'host.name': host }, [sum('x', DELTA, [{ attrs: { k: 'v' }, value: i + 1 }])]));
  const out = m.process(rms, (t) => {
    calls[t.kind]++;
    if (t.kind === 'resource') t.attributes.splice(t.attributes.findIndex((kv) => kv.key === 'host.name'), 1);
    else assert.deepEqual(plain(t.resource.attributes), { 'service.name': 'cc' }, 'points see the rewritten resource');
  });
  assert.deepEqual(calls, { resource: 2, point: 2 });
  assert.equal(out.length, 1);
  assert.deepEqual(plain(out[0].resource.attributes), { 'service.name': 'cc' });
  assert.equal(numberPoints(out, 'x')[0].point.value, 3);
});

test('cumulative sources are told apart by resource: the same point attributes from two hosts are two sources', () => {
  const m = merger();
  const dropHost: Rewrite = (t) => {
    if (t.kind === 'resource') t.attributes.splice(t.attributes.findIndex((kv) => kv.key === 'host.name'), 1);
  };
  const from = (host: string, v: number) => resourceMetrics({ 'service.name': 'cc', 'host.name': host }, [sum('x', CUMULATIVE, [{ attrs: { k: 'v' }, value: v, time: 5 }])]);
  m.process([from('h1', 3)], dropHost);
  const out = m.process([from('h2', 4)], dropHost);
  assert.equal(numberPoints(out, 'x')[0].point.value, 7);
  assert.equal(m.streams, 2);
});
