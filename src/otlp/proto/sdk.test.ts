/**
 * Interop with the real OpenTelemetry JS SDK: telemetry produced by
 * sdk-metrics / sdk-logs / sdk-trace-base, serialised by otlp-transformer's
 * Protobuf*Serializer, decoded by us and checked field by field against the
 * SDK's own objects (times from their HrTime, ids from their hex strings).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { context, SpanKind, SpanStatusCode, trace, ValueType, type HrTime } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ProtobufLogsSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality, AggregationType, DataPointType, MeterProvider, MetricReader, type ResourceMetrics as SdkResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { AnyValue, KeyValue } from '../../model/common';
import { decodeLogsRequest, decodeMetricsRequest, decodeTracesRequest, sniffProtoSignal } from './index';

/** HrTime → the model's (ms, ns-past-ms), computed exactly with BigInt. */
function parts(hr: HrTime): { ms: number; ns: number } {
  const total = BigInt(hr[0]) * 1_000_000_000n + BigInt(hr[1]);
  return { ms: Number(total / 1_000_000n), ns: Number(total % 1_000_000n) };
}

/** The OTLP mapping of a JS attribute / body value, as the spec defines it for JS. */
function anyFromJs(v: unknown): AnyValue {
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return { kind: 'double', value: v };
    return { kind: 'int', value: Number.isSafeInteger(v) ? v : BigInt(v) };
  }
  if (v instanceof Uint8Array) return { kind: 'bytes', value: Uint8Array.from(v) };
  if (Array.isArray(v)) return { kind: 'array', value: v.map(anyFromJs) };
  if (v !== null && typeof v === 'object') return { kind: 'kvlist', value: attrs(v as Record<string, unknown>) };
  return { kind: 'empty' };
}

const attrs = (o: Record<string, unknown> | undefined): KeyValue[] =>
  Object.entries(o ?? {}).map(([key, value]) => ({ key, value: anyFromJs(value) }));

const hexBytes = (hex: string | undefined): Uint8Array => Uint8Array.from(Buffer.from(hex ?? '', 'hex'));

const METRIC_ATTRS = {
  'str': 'value', 'int': 42, 'neg': -7, 'big': 2 ** 60, 'dbl': 2.5, 'bool': true,
  'strs': ['a', 'b'], 'nums': [1, 2.5], 'bools': [false, true], 'ünïcödé': '✓',
};

class TestReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

async function collectMetrics(temporality: AggregationTemporality): Promise<SdkResourceMetrics> {
  const reader = new TestReader({ aggregationTemporalitySelector: () => temporality });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'sdk-test', 'host.cores': 8 }),
    readers: [reader],
    views: [{ instrumentName: 'exp.histogram', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('sdk.test.meter', '1.0.0');
  meter.createCounter('counter.double', { description: 'a double counter', unit: 'By' }).add(1.25, METRIC_ATTRS);
  const ints = meter.createCounter('counter.int', { valueType: ValueType.INT });
  ints.add(3, { route: '/a' });
  ints.add(4, { route: '/b' });
  meter.createUpDownCounter('updown', { valueType: ValueType.INT }).add(-5, { q: 'x' });
  meter.createGauge('gauge.double').record(-0.5, { zone: 'eu' });
  meter.createGauge('gauge.int', { valueType: ValueType.INT }).record(2 ** 40);
  const hist = meter.createHistogram('histogram', { unit: 'ms', advice: { explicitBucketBoundaries: [0, 10, 100] } });
  for (const v of [1, 5, 50, 500]) hist.record(v, { op: 'get' });
  const exp = meter.createHistogram('exp.histogram');
  for (const v of [0.001, 3, 1000, 1e6]) exp.record(v);
  const { resourceMetrics, errors } = await reader.collect();
  assert.deepStrictEqual(errors, []);
  await provider.shutdown();
  return resourceMetrics;
}

for (const [label, temporality, expected] of [
  ['delta', AggregationTemporality.DELTA, 1],
  ['cumulative', AggregationTemporality.CUMULATIVE, 2],
] as const) {
  test(`sdk-metrics (${label}) decodes field by field`, async () => {
    const sdk = await collectMetrics(temporality);
    const bytes = ProtobufMetricsSerializer.serializeRequest(sdk)!;
    assert.equal(sniffProtoSignal(bytes), 'metrics');
    const out = decodeMetricsRequest(bytes);
    assert.equal(out.rejected, 0);
    assert.equal(out.data.length, 1);
    assert.deepStrictEqual(out.data[0].resource.attributes, attrs(sdk.resource.attributes));
    const sdkScopes = sdk.scopeMetrics;
    assert.equal(out.data[0].scopeMetrics.length, sdkScopes.length);
    const scope = out.data[0].scopeMetrics[0];
    assert.equal(scope.scope.name, 'sdk.test.meter');
    assert.equal(scope.scope.version, '1.0.0');
    const sdkMetrics = sdkScopes[0].metrics;
    assert.equal(scope.metrics.length, sdkMetrics.length);
    assert.equal(sdkMetrics.length, 7);
    for (let i = 0; i < sdkMetrics.length; i++) {
      const want = sdkMetrics[i];
      const got = scope.metrics[i];
      assert.equal(got.name, want.descriptor.name);
      assert.equal(got.description, want.descriptor.description);
      assert.equal(got.unit, want.descriptor.unit);
      assert.equal(got.data.type === 'empty' ? 0 : got.data.dataPoints.length, want.dataPoints.length, got.name);
      const d = got.data;
      want.dataPoints.forEach((wp, j) => {
        const gp = d.type === 'empty' ? undefined : d.dataPoints[j];
        assert.ok(gp, `${got.name}[${j}]`);
        const start = parts(wp.startTime);
        const end = parts(wp.endTime);
        assert.deepStrictEqual([gp.startTimeMs, gp.startTimeNs, gp.timeMs, gp.timeNs], [start.ms, start.ns, end.ms, end.ns]);
        assert.deepStrictEqual(gp.attributes, attrs(wp.attributes));
      });
      switch (want.dataPointType) {
        case DataPointType.SUM:
          assert.equal(d.type, 'sum');
          if (d.type !== 'sum') break;
          assert.equal(d.temporality, expected);
          assert.equal(d.isMonotonic, want.isMonotonic);
          d.dataPoints.forEach((p, j) => {
            assert.equal(p.valueType, want.descriptor.valueType === ValueType.INT ? 'int' : 'double');
            assert.equal(p.value, want.dataPoints[j].value);
          });
          break;
        case DataPointType.GAUGE:
          assert.equal(d.type, 'gauge');
          if (d.type !== 'gauge') break;
          d.dataPoints.forEach((p, j) => {
            assert.equal(p.valueType, want.descriptor.valueType === ValueType.INT ? 'int' : 'double');
            assert.equal(p.value, want.dataPoints[j].value);
          });
          break;
        case DataPointType.HISTOGRAM:
          assert.equal(d.type, 'histogram');
          if (d.type !== 'histogram') break;
          assert.equal(d.temporality, expected);
          d.dataPoints.forEach((p, j) => {
            const h = want.dataPoints[j].value;
            assert.deepStrictEqual(
              { count: p.count, sum: p.sum, min: p.min, max: p.max, bucketCounts: p.bucketCounts, explicitBounds: p.explicitBounds },
              { count: h.count, sum: h.sum, min: h.min, max: h.max, bucketCounts: h.buckets.counts, explicitBounds: h.buckets.boundaries },
            );
          });
          break;
        case DataPointType.EXPONENTIAL_HISTOGRAM:
          assert.equal(d.type, 'exponentialHistogram');
          if (d.type !== 'exponentialHistogram') break;
          assert.equal(d.temporality, expected);
          d.dataPoints.forEach((p, j) => {
            const h = want.dataPoints[j].value;
            assert.deepStrictEqual(
              { count: p.count, sum: p.sum, min: p.min, max: p.max, scale: p.scale, zeroCount: p.zeroCount, positive: p.positive, negative: p.negative },
              {
                count: h.count, sum: h.sum, min: h.min, max: h.max, scale: h.scale, zeroCount: h.zeroCount,
                positive: { offset: h.positive.offset, bucketCounts: h.positive.bucketCounts },
                negative: { offset: h.negative.offset, bucketCounts: h.negative.bucketCounts },
              },
            );
          });
          break;
      }
    }
    const names = scope.metrics.map((m) => `${m.name}:${m.data.type}`).sort();
    assert.deepStrictEqual(names, [
      'counter.double:sum', 'counter.int:sum', 'exp.histogram:exponentialHistogram', 'gauge.double:gauge',
      'gauge.int:gauge', 'histogram:histogram', 'updown:sum',
    ]);
  });
}

test('sdk-logs records decode field by field (every body kind, event names, span context)', async () => {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'logs-test' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('claude-code', '2.1.0');
  const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 };
  const ctx = trace.setSpanContext(context.active(), spanContext);
  const bodies: unknown[] = [
    'a string body', 42, -(2 ** 60), 3.75, true, Uint8Array.from([0, 1, 255]), ['x', 1, 2.5, false, null],
    { nested: { deeper: [1, 'two'] }, n: null, bytes: Uint8Array.from([9]) }, undefined,
  ];
  bodies.forEach((body, i) => {
    logger.emit({
      body: body as never,
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      eventName: i % 2 ? `claude_code.event_${i}` : undefined,
      timestamp: [1700000000 + i, 123456789],
      attributes: { 'str': 's', 'int': i, 'dbl': 0.5, 'bool': false, 'arr': ['a'], 'map': { k: 'v' }, 'bytes': Uint8Array.from([i]) },
      context: i === 0 ? ctx : undefined,
    });
  });
  const records = exporter.getFinishedLogRecords();
  assert.equal(records.length, bodies.length);
  const bytes = ProtobufLogsSerializer.serializeRequest(records)!;
  assert.equal(sniffProtoSignal(bytes), 'logs');
  const out = decodeLogsRequest(bytes);
  assert.equal(out.rejected, 0);
  assert.deepStrictEqual(out.data[0].resource.attributes, attrs(records[0].resource.attributes));
  const scope = out.data[0].scopeLogs[0];
  assert.deepStrictEqual([scope.scope.name, scope.scope.version], ['claude-code', '2.1.0']);
  assert.equal(scope.logRecords.length, records.length);
  records.forEach((want, i) => {
    const got = scope.logRecords[i];
    const time = parts(want.hrTime);
    const observed = parts(want.hrTimeObserved);
    assert.deepStrictEqual([got.timeMs, got.timeNs], [time.ms, time.ns]);
    assert.equal(got.timeNs, 456789, 'sub-millisecond nanoseconds kept (123456789 ns = 123 ms + 456789 ns)');
    assert.deepStrictEqual([got.observedTimeMs, got.observedTimeNs], [observed.ms, observed.ns]);
    assert.equal(got.severityNumber, SeverityNumber.WARN);
    assert.equal(got.severityText, 'WARN');
    assert.equal(got.eventName, want.eventName ?? '');
    assert.deepStrictEqual(got.body, anyFromJs(want.body));
    assert.deepStrictEqual(got.attributes, attrs(want.attributes));
    assert.deepStrictEqual(got.traceId, hexBytes(want.spanContext?.traceId));
    assert.deepStrictEqual(got.spanId, hexBytes(want.spanContext?.spanId));
    assert.equal(got.flags, want.spanContext?.traceFlags ?? 0);
  });
  assert.deepStrictEqual(scope.logRecords[0].traceId, hexBytes('0af7651916cd43dd8448eb211c80319c'));
  assert.deepStrictEqual(scope.logRecords[2].body, { kind: 'int', value: -(2n ** 60n) });
  await provider.shutdown();
});

test('sdk-trace-base spans decode field by field (events, links, status, parents)', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'trace-test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('sdk.test.tracer', '3.0.0');
  const remote = { traceId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', spanId: 'bbbbbbbbbbbbbbbb', traceFlags: 1, isRemote: true };
  const root = tracer.startSpan('root', { kind: SpanKind.SERVER, startTime: [1700000000, 1], attributes: METRIC_ATTRS },
    trace.setSpanContext(context.active(), remote));
  root.addEvent('started', { step: 1 }, [1700000000, 500]);
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'it broke' });
  const child = tracer.startSpan('child', {
    kind: SpanKind.CLIENT,
    startTime: [1700000001, 0],
    links: [{ context: { traceId: 'cccccccccccccccccccccccccccccccc', spanId: 'dddddddddddddddd', traceFlags: 0 }, attributes: { why: 'batch' } }],
  }, trace.setSpan(context.active(), root));
  child.setStatus({ code: SpanStatusCode.OK });
  child.end([1700000001, 999999999]);
  root.end([1700000002, 0]);
  tracer.startSpan('lonely', { kind: SpanKind.PRODUCER }, context.active()).end();

  const spans = exporter.getFinishedSpans();
  assert.equal(spans.length, 3);
  const bytes = ProtobufTraceSerializer.serializeRequest(spans)!;
  assert.equal(sniffProtoSignal(bytes), 'traces');
  const out = decodeTracesRequest(bytes);
  assert.equal(out.rejected, 0);
  const scope = out.data[0].scopeSpans[0];
  assert.deepStrictEqual([scope.scope.name, scope.scope.version], ['sdk.test.tracer', '3.0.0']);
  assert.equal(scope.spans.length, spans.length);
  spans.forEach((want, i) => {
    const got = scope.spans[i];
    const ctx = want.spanContext();
    assert.equal(got.name, want.name);
    assert.deepStrictEqual(got.traceId, hexBytes(ctx.traceId));
    assert.deepStrictEqual(got.spanId, hexBytes(ctx.spanId));
    assert.deepStrictEqual(got.parentSpanId, hexBytes(want.parentSpanContext?.spanId));
    assert.equal(got.kind, want.kind + 1, 'OTLP SpanKind is the API kind + 1');
    const start = parts(want.startTime);
    const end = parts(want.endTime);
    assert.deepStrictEqual([got.startTimeMs, got.startTimeNs, got.endTimeMs, got.endTimeNs], [start.ms, start.ns, end.ms, end.ns]);
    assert.deepStrictEqual(got.attributes, attrs(want.attributes));
    assert.deepStrictEqual(got.status, { code: want.status.code, message: want.status.message ?? '' });
    const remoteBit = want.parentSpanContext?.isRemote ? 0x200 : 0;
    assert.equal(got.flags, (ctx.traceFlags & 0xff) | 0x100 | remoteBit);
    assert.deepStrictEqual(
      got.events.map((e) => ({ name: e.name, ...tp(e.timeMs, e.timeNs), attributes: e.attributes })),
      want.events.map((e) => ({ name: e.name, ...tp(parts(e.time).ms, parts(e.time).ns), attributes: attrs(e.attributes) })),
    );
    assert.deepStrictEqual(
      got.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: l.attributes, flags: l.flags })),
      want.links.map((l) => ({
        traceId: hexBytes(l.context.traceId), spanId: hexBytes(l.context.spanId), attributes: attrs(l.attributes),
        flags: (l.context.traceFlags & 0xff) | 0x100 | (l.context.isRemote ? 0x200 : 0),
      })),
    );
  });
  const byName = new Map(scope.spans.map((s) => [s.name, s]));
  assert.deepStrictEqual(byName.get('root')!.parentSpanId, hexBytes('bbbbbbbbbbbbbbbb'));
  assert.deepStrictEqual(byName.get('child')!.parentSpanId, byName.get('root')!.spanId);
  assert.equal(byName.get('root')!.startTimeNs, 1);
  assert.equal(byName.get('child')!.endTimeNs, 999999);
  assert.equal(byName.get('lonely')!.parentSpanId.length, 0);
  await provider.shutdown();
});

const tp = (ms: number, ns: number) => ({ ms, ns });
