/**
 * The processor with its real parts: the config loader (schema defaults,
 * durations), the shared MetricMerger, an OpenTelemetry SDK meter and the
 * JSON logger. Expected values are computed from what is sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNoopMeter, type Meter } from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { defaultRegistry } from '../../components';
import { formatProblem, loadConfig } from '../../config/load';
import type { Batch, MetricsBatch } from '../../model/batch';
import { anyValueToJs, emptyScope, str, type Attributes } from '../../model/common';
import type { HistogramDataPoint, Metric, NumberDataPoint } from '../../model/metrics';
import type { Processor } from '../../pipeline/component';
import { createLogger, LogOutput, silentLogger, type Logger } from '../../telemetry/logger';
import { cardinalityGuardProcessorFactory, type CardinalityGuardConfig } from './index';

class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}

  /** Every data point of the instrument `name`, as [attributes, value]. */
  async points(name: string): Promise<Array<[Record<string, unknown>, number]>> {
    const { resourceMetrics } = await this.collect();
    const out: Array<[Record<string, unknown>, number]> = [];
    for (const sm of resourceMetrics.scopeMetrics)
      for (const m of sm.metrics) if (m.descriptor.name === name) for (const p of m.dataPoints) out.push([p.attributes, p.value as number]);
    return out;
  }
}

function meter(): { meter: Meter; reader: TestReader } {
  const reader = new TestReader();
  return { meter: new MeterProvider({ readers: [reader] }).getMeter('test'), reader };
}

/** The processor's config as the loader gives it: defaults filled, durations in ms. */
function load(cfg: Record<string, unknown>): CardinalityGuardConfig {
  const doc = {
    receivers: { otlp: null },
    processors: { cardinality_guard: cfg },
    exporters: { debug: null },
    service: { pipelines: { metrics: { receivers: ['otlp'], processors: ['cardinality_guard'], exporters: ['debug'] } } },
  };
  const r = loadConfig([{ name: 'guard.yaml', text: JSON.stringify(doc) }], defaultRegistry(), {});
  assert.deepEqual(r.problems.map(formatProblem), []);
  return r.config!.processors.get('cardinality_guard')!.config;
}

function create(cfg: Record<string, unknown>, opts: { meter?: Meter; logger?: Logger } = {}): { proc: Processor; out: Batch[] } {
  const out: Batch[] = [];
  const settings = { id: 'cardinality_guard', kind: 'processor' as const, logger: opts.logger ?? silentLogger, meter: opts.meter ?? createNoopMeter(), signal: 'metrics' as const, pipeline: 'metrics' };
  const proc = cardinalityGuardProcessorFactory.create(load(cfg), settings, { consume: async (b) => void out.push(b) });
  return { proc, out };
}

function attrs(o: Record<string, string>): Attributes {
  return Object.entries(o).map(([key, v]) => ({ key, value: str(v) }));
}

function numberPoint(a: Record<string, string>, value: number, start = 1000, time = 2000): NumberDataPoint {
  return { attributes: attrs(a), startTimeMs: start, startTimeNs: 0, timeMs: time, timeNs: 0, flags: 0, valueType: 'double', value, exemplars: [] };
}

function sum(name: string, temporality: 1 | 2, points: NumberDataPoint[]): Metric {
  return { name, description: '', unit: '1', metadata: [], data: { type: 'sum', temporality, isMonotonic: true, dataPoints: points } };
}

function batch(...metrics: Metric[]): MetricsBatch {
  return {
    signal: 'metrics',
    resourceMetrics: [{ resource: { attributes: attrs({ 'service.name': 'claude-code' }), droppedAttributesCount: 0, entityRefs: [] }, schemaUrl: '', scopeMetrics: [{ scope: { ...emptyScope(), name: 'com.anthropic.claude_code' }, schemaUrl: '', metrics }] }],
  };
}

const session = (i: number): Record<string, string> => ({ model: 'm', type: 'input', 'session.id': `s${i}` });

/** Output points of one metric, as [attributes as JSON, point]. */
function outPoints(out: Batch[], name: string): Array<[string, NumberDataPoint | HistogramDataPoint]> {
  const res: Array<[string, NumberDataPoint | HistogramDataPoint]> = [];
  for (const b of out) {
    if (b.signal !== 'metrics') continue;
    for (const rm of b.resourceMetrics)
      for (const sm of rm.scopeMetrics)
        for (const m of sm.metrics) {
          if (m.name !== name || (m.data.type !== 'sum' && m.data.type !== 'histogram')) continue;
          for (const p of m.data.dataPoints) {
            const o = Object.fromEntries(p.attributes.map((kv) => [kv.key, anyValueToJs(kv.value)]));
            res.push([JSON.stringify(o, Object.keys(o).sort()), p]);
          }
        }
  }
  return res;
}

/** Delta outputs accumulated per identity, as the Prometheus exporter adds them. */
function accumulate(out: Batch[], name: string): Map<string, number> {
  const acc = new Map<string, number>();
  for (const [k, p] of outPoints(out, name)) acc.set(k, (acc.get(k) ?? 0) + ((p as NumberDataPoint).value as number));
  return acc;
}

const SESSIONS = 50;
const LIMIT = 10;
/** Session i sends i + 1 per round. */
const sent = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k + 1).reduce((a, b) => a + b, 0);

for (const action of ['strip', 'overflow'] as const) {
  test(`${action}: ${SESSIONS} delta sessions, limit ${LIMIT}: ${LIMIT} session series plus one merged series, totals exact`, async () => {
    const { proc, out } = create({ max_series_per_metric: LIMIT, action });
    await proc.start();
    // Round one in one batch (merged inside it), round two one request per session.
    await proc.consume(batch(sum('tokens', 1, Array.from({ length: SESSIONS }, (_, i) => numberPoint(session(i), i + 1)))));
    assert.equal(outPoints(out, 'tokens').length, LIMIT + 1, 'the batch leaves with one point per admitted series');
    for (let i = 0; i < SESSIONS; i++) await proc.consume(batch(sum('tokens', 1, [numberPoint(session(i), i + 1)])));
    await proc.shutdown(Date.now() + 1000);

    const acc = accumulate(out, 'tokens');
    assert.equal(acc.size, LIMIT + 1);
    for (let i = 0; i < LIMIT; i++) assert.equal(acc.get(JSON.stringify(session(i), Object.keys(session(i)).sort())), 2 * (i + 1), `s${i} flows unchanged`);
    const merged = action === 'strip' ? '{"model":"m","type":"input"}' : '{"otel.metric.overflow":true}';
    assert.equal(acc.get(merged), 2 * sent(LIMIT, SESSIONS));
    assert.equal([...acc.values()].reduce((a, b) => a + b, 0), 2 * sent(0, SESSIONS), 'the total is what was sent');
  });
}

test('strip on cumulative sums: the merged series is the sum of each source session’s latest value', async () => {
  const { proc, out } = create({ max_series_per_metric: 2 });
  await proc.consume(batch(sum('active', 2, Array.from({ length: 6 }, (_, i) => numberPoint(session(i), 10 * (i + 1))))));
  // Later only two of the stripped sessions report, with grown values.
  await proc.consume(batch(sum('active', 2, [numberPoint(session(2), 100, 1000, 3000), numberPoint(session(3), 200, 1000, 3000)])));
  await proc.shutdown(Date.now() + 1000);
  const stripped = outPoints(out, 'active').filter(([k]) => k === '{"model":"m","type":"input"}').map(([, p]) => (p as NumberDataPoint).value);
  assert.deepEqual(stripped, [30 + 40 + 50 + 60, 100 + 200 + 50 + 60]);
});

test('strip on delta histograms: bucket counts, count and sum add up', async () => {
  const { proc, out } = create({ max_series_per_metric: 2 });
  const hist = (i: number): HistogramDataPoint => ({ ...numberPoint(session(i), 0), count: 3, sum: i, bucketCounts: [1, 0, 2], explicitBounds: [1, 2], exemplars: [], min: undefined, max: undefined });
  const points = Array.from({ length: 5 }, (_, i) => hist(i));
  await proc.consume(batch({ name: 'duration', description: '', unit: 's', metadata: [], data: { type: 'histogram', temporality: 1, dataPoints: points } }));
  const merged = outPoints(out, 'duration').filter(([k]) => k === '{"model":"m","type":"input"}').map(([, p]) => p as HistogramDataPoint);
  assert.equal(merged.length, 1);
  assert.deepEqual([merged[0].count, merged[0].sum, merged[0].bucketCounts], [9, 2 + 3 + 4, [3, 0, 6]]);
});

test('drop: points past the limits leave, metrics left empty go, and the counter says how many', async () => {
  const { meter: m, reader } = meter();
  const { proc, out } = create({ max_series_per_metric: 3, max_series_total: 3, action: 'drop' }, { meter: m });
  await proc.consume(batch(sum('tokens', 1, Array.from({ length: 5 }, (_, i) => numberPoint(session(i), 1))), sum('cost', 1, [numberPoint(session(0), 1), numberPoint(session(1), 1)])));
  const b = out[0] as MetricsBatch;
  assert.deepEqual(b.resourceMetrics[0].scopeMetrics[0].metrics.map((x) => x.name), ['tokens'], 'cost had no admitted point left');
  assert.equal(outPoints(out, 'tokens').length, 3);
  const counts = (await reader.points('otel_pipeline_cardinality_guard_overflow_points')).map(([a, v]) => `${a.metric}/${a.action}=${v}`).sort();
  assert.deepEqual(counts, ['cost/drop=2', 'tokens/drop=2']);
  await proc.shutdown(Date.now() + 1000);
});

test('self-telemetry: series of the top 20 metrics only, and the tracked total', async () => {
  const { meter: m, reader } = meter();
  const { proc } = create({}, { meter: m });
  await proc.start();
  const metrics = Array.from({ length: 25 }, (_, i) => sum(`m${i}`, 1, Array.from({ length: i + 1 }, (_, j) => numberPoint(session(j), 1))));
  await proc.consume(batch(...metrics));
  const series = (await reader.points('otel_pipeline_cardinality_guard_series')).map(([a, v]) => [a.metric, v]).sort((x, y) => (y[1] as number) - (x[1] as number));
  assert.deepEqual(series, Array.from({ length: 20 }, (_, k) => [`m${24 - k}`, 25 - k]));
  const tracked = await reader.points('otel_pipeline_cardinality_guard_tracked_series');
  assert.deepEqual(tracked.map(([, v]) => v), [(25 * 26) / 2]);
  await proc.shutdown(Date.now() + 1000);
});

test('one warning per metric, naming it and session.id as the key with the most distinct values', async () => {
  const lines: string[] = [];
  const logger = createLogger(new LogOutput('info', { write: (l) => void lines.push(l) }));
  const { proc } = create({ max_series_per_metric: 3, action: 'overflow' }, { logger });
  for (let round = 0; round < 2; round++) await proc.consume(batch(sum('claude_code.token.usage', 1, Array.from({ length: 6 }, (_, i) => numberPoint(session(i), 1)))));
  const warns = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 'warn');
  assert.equal(warns.length, 1, lines.join(''));
  assert.equal(warns[0].metric, 'claude_code.token.usage');
  assert.equal(warns[0].limit, 3);
  assert.deepEqual(warns[0].top_keys[0], { key: 'session.id', distinct_values: 3 });
  await proc.shutdown(Date.now() + 1000);
});

test('idle series free their slots on a timer, without traffic', async () => {
  const { meter: m, reader } = meter();
  const { proc, out } = create({ max_series_per_metric: 1, action: 'overflow', idle_timeout: '100ms' }, { meter: m });
  await proc.start();
  await proc.consume(batch(sum('tokens', 1, [numberPoint(session(0), 1)])));
  await proc.consume(batch(sum('tokens', 1, [numberPoint(session(1), 1)])));
  assert.deepEqual([...accumulate(out, 'tokens').keys()], [JSON.stringify(session(0), Object.keys(session(0)).sort()), '{"otel.metric.overflow":true}']);
  const until = Date.now() + 10_000;
  while ((await reader.points('otel_pipeline_cardinality_guard_tracked_series'))[0]?.[1] !== 0) {
    assert.ok(Date.now() < until, 'the idle series was freed within 10 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  out.length = 0;
  await proc.consume(batch(sum('tokens', 1, [numberPoint(session(1), 1)])));
  assert.deepEqual([...accumulate(out, 'tokens').keys()], [JSON.stringify(session(1), Object.keys(session(1)).sort())], 'the freed slot admits s1');
  await proc.shutdown(Date.now() + 1000);
});

test('summaries cannot be merged: their new series past the limit are dropped, whatever the action', async () => {
  const { meter: m, reader } = meter();
  const { proc, out } = create({ max_series_per_metric: 1, action: 'strip' }, { meter: m });
  const point = (i: number) => ({ ...numberPoint(session(i), 0), count: 2, sum: 5, quantileValues: [{ quantile: 0.5, value: 2 }] });
  await proc.consume(batch({ name: 'latency', description: '', unit: 's', metadata: [], data: { type: 'summary', dataPoints: [0, 1, 2].map(point) } }, sum('tokens', 1, [0, 1, 2].map((i) => numberPoint(session(i), 1)))));
  const metrics = (out[0] as MetricsBatch).resourceMetrics[0].scopeMetrics[0].metrics;
  const latency = metrics.find((x) => x.name === 'latency')!;
  assert.deepEqual(latency.data.type === 'summary' && latency.data.dataPoints.map((p) => p.attributes.find((kv) => kv.key === 'session.id')?.value), [str('s0')]);
  assert.equal(outPoints(out, 'tokens').length, 2, 'the sum beside it is still stripped and merged');
  const counts = (await reader.points('otel_pipeline_cardinality_guard_overflow_points')).map(([a, v]) => `${a.metric}/${a.action}=${v}`).sort();
  assert.deepEqual(counts, ['latency/drop=2', 'tokens/strip=2']);
  await proc.shutdown(Date.now() + 1000);
});
