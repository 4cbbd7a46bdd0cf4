/**
 * Metrics produced by the real OpenTelemetry JS SDK, serialised by its own
 * OTLP/JSON serializer, must decode to exactly what the SDK collected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValueType, type Attributes as SdkAttributes, type HrTime } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  MeterProvider,
  MetricReader,
  type ExponentialHistogram,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import type { AnyValue, KeyValue } from '../../model/common';
import type { Metric } from '../../model/metrics';
import { decodeMetricsRequestJson, encodeMetricsRequestJson } from './index';

class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** The OTLP value an SDK attribute value stands for (integers are intValue in OTel JS). */
function expectValue(v: unknown): AnyValue {
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { kind: 'int', value: v } : { kind: 'double', value: v };
  if (Array.isArray(v)) return { kind: 'array', value: v.map(expectValue) };
  if (v === null || v === undefined) return { kind: 'empty' };
  throw new Error(`unexpected attribute value ${String(v)}`);
}

function expectAttrs(a: SdkAttributes): KeyValue[] {
  return Object.keys(a).map((key) => ({ key, value: expectValue(a[key]) }));
}

function parts(t: HrTime): [number, number] {
  return [t[0] * 1000 + Math.floor(t[1] / 1e6), t[1] % 1e6];
}

const ATTRS: SdkAttributes = {
  'str': 'value',
  'int': 42,
  'negative.int': -7,
  'double': 2.5,
  'bool': true,
  'false': false,
  'str.array': ['a', 'b'],
  'int.array': [1, 2, 3],
  'double.array': [0.5, 1.5],
  'bool.array': [true, false],
};

/**
 * The metrics SDK stamps points with Date.now(), whole milliseconds; a clock
 * with sub-millisecond fractions makes the timestamps exercise the ns part.
 */
async function collect(temporality: AggregationTemporality) {
  const realNow = Date.now;
  let tick = 0;
  Date.now = () => 1700000000000 + tick++ * 7.123457;
  try {
    return await collectWithClock(temporality);
  } finally {
    Date.now = realNow;
  }
}

async function collectWithClock(temporality: AggregationTemporality) {
  const reader = new TestReader({ aggregationTemporalitySelector: () => temporality });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'codec-test', 'service.instance.count': 3, 'host.up': true }),
    readers: [reader],
    views: [{ instrumentName: 'latency.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('codec.meter', '1.2.3');
  meter.createCounter('requests.double', { description: 'a double counter', unit: 's' }).add(1.5, ATTRS);
  meter.createCounter('requests.int', { valueType: ValueType.INT }).add(3, { route: '/a' });
  meter.createUpDownCounter('queue.int', { valueType: ValueType.INT }).add(-4, { q: 'x' });
  meter.createUpDownCounter('queue.double').add(-0.25);
  meter.createGauge('temperature').record(21.75, { room: 'b' });
  meter.createGauge('connections', { valueType: ValueType.INT }).record(17);
  const hist = meter.createHistogram('latency', { unit: 'ms', advice: { explicitBucketBoundaries: [1, 10, 100] } });
  for (const v of [0.5, 5, 50, 500, 7]) hist.record(v, { op: 'get' });
  const exp = meter.createHistogram('latency.exp');
  for (const v of [0.001, 3, 3.5, 1000, 0]) exp.record(v);
  const { resourceMetrics, errors } = await reader.collect();
  assert.deepEqual(errors, []);
  await provider.shutdown();
  return resourceMetrics;
}

function checkMetric(got: Metric, sdk: MetricData, temporality: AggregationTemporality): void {
  const where = `metric ${sdk.descriptor.name}`;
  assert.equal(got.name, sdk.descriptor.name, where);
  assert.equal(got.description, sdk.descriptor.description, where);
  assert.equal(got.unit, sdk.descriptor.unit, where);
  const wantTemporality = temporality === AggregationTemporality.DELTA ? 1 : 2;
  const d = got.data;
  assert.notEqual(d.type, 'empty', where);
  if (d.type === 'empty') return;
  assert.equal(d.dataPoints.length, sdk.dataPoints.length, where);
  d.dataPoints.forEach((p, i) => {
    const sp = sdk.dataPoints[i];
    assert.deepEqual(p.attributes, expectAttrs(sp.attributes), where);
    assert.deepEqual([p.startTimeMs, p.startTimeNs], parts(sp.startTime), where);
    assert.deepEqual([p.timeMs, p.timeNs], parts(sp.endTime), where);
  });
  switch (sdk.dataPointType) {
    case DataPointType.SUM:
    case DataPointType.GAUGE: {
      if (sdk.dataPointType === DataPointType.SUM) {
        assert.equal(d.type, 'sum', where);
        if (d.type === 'sum') {
          assert.equal(d.isMonotonic, sdk.isMonotonic, where);
          assert.equal(d.temporality, wantTemporality, where);
        }
      } else assert.equal(d.type, 'gauge', where);
      if (d.type !== 'sum' && d.type !== 'gauge') return;
      const wantType = sdk.descriptor.valueType === ValueType.INT ? 'int' : 'double';
      d.dataPoints.forEach((p, i) => {
        assert.equal(p.valueType, wantType, where);
        assert.equal(p.value, sdk.dataPoints[i].value, where);
      });
      break;
    }
    case DataPointType.HISTOGRAM:
      assert.equal(d.type, 'histogram', where);
      if (d.type !== 'histogram') return;
      assert.equal(d.temporality, wantTemporality, where);
      d.dataPoints.forEach((p, i) => {
        const h = sdk.dataPoints[i].value as Histogram;
        assert.equal(p.count, h.count, where);
        assert.equal(p.sum, h.sum, where);
        assert.equal(p.min, h.min, where);
        assert.equal(p.max, h.max, where);
        assert.deepEqual(p.bucketCounts, h.buckets.counts, where);
        assert.deepEqual(p.explicitBounds, h.buckets.boundaries, where);
      });
      break;
    case DataPointType.EXPONENTIAL_HISTOGRAM:
      assert.equal(d.type, 'exponentialHistogram', where);
      if (d.type !== 'exponentialHistogram') return;
      assert.equal(d.temporality, wantTemporality, where);
      d.dataPoints.forEach((p, i) => {
        const h = sdk.dataPoints[i].value as ExponentialHistogram;
        assert.equal(p.count, h.count, where);
        assert.equal(p.sum, h.sum, where);
        assert.equal(p.min, h.min, where);
        assert.equal(p.max, h.max, where);
        assert.equal(p.scale, h.scale, where);
        assert.equal(p.zeroCount, h.zeroCount, where);
        assert.deepEqual(p.positive, { offset: h.positive.offset, bucketCounts: h.positive.bucketCounts }, where);
        assert.deepEqual(p.negative, { offset: h.negative.offset, bucketCounts: h.negative.bucketCounts }, where);
        // The SDK drops negative histogram values, so only positive buckets can be covered here.
        assert.ok(p.positive.bucketCounts.length > 1 && p.zeroCount === 1, 'test data covers buckets and zero');
      });
      break;
    default:
      assert.fail('unexpected SDK point type');
  }
}

for (const temporality of [AggregationTemporality.CUMULATIVE, AggregationTemporality.DELTA]) {
  const label = temporality === AggregationTemporality.DELTA ? 'delta' : 'cumulative';

  test(`SDK metrics (${label}) decode field by field`, async () => {
    const sdk = await collect(temporality);
    const body = JsonMetricsSerializer.serializeRequest(sdk);
    assert.ok(body, 'serializer produced a body');
    const { data, rejected, rejectMessage } = decodeMetricsRequestJson(body);
    assert.equal(rejected, 0, rejectMessage);
    assert.equal(data.length, 1);
    assert.deepEqual(data[0].resource.attributes, expectAttrs(sdk.resource.attributes as SdkAttributes));
    assert.equal(data[0].scopeMetrics.length, sdk.scopeMetrics.length);
    const sm = data[0].scopeMetrics[0];
    assert.equal(sm.scope.name, 'codec.meter');
    assert.equal(sm.scope.version, '1.2.3');
    const sdkMetrics = sdk.scopeMetrics[0].metrics;
    assert.equal(sm.metrics.length, sdkMetrics.length);
    assert.equal(sdkMetrics.length, 8, 'every instrument reported');
    sm.metrics.forEach((m, i) => checkMetric(m, sdkMetrics[i], temporality));
    const subMs = sm.metrics.flatMap((m) => (m.data.type === 'empty' ? [] : m.data.dataPoints.map((p) => p.timeNs)));
    assert.ok(subMs.length === 8 && subMs.every((ns) => ns !== 0), 'timestamps carry sub-ms nanoseconds');
  });

  test(`SDK metrics (${label}) survive our encoder`, async () => {
    const sdk = await collect(temporality);
    const first = decodeMetricsRequestJson(JsonMetricsSerializer.serializeRequest(sdk)!).data;
    const again = decodeMetricsRequestJson(encodeMetricsRequestJson(first));
    assert.deepEqual(again.data, first);
    assert.equal(again.rejected, 0);
  });
}
