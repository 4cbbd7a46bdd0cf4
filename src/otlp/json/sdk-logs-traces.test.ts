/**
 * Log records and spans produced by the real OpenTelemetry JS SDK, serialised
 * by its own OTLP/JSON serializers, must decode to exactly what the SDK made.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createTraceState,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
  type HrTime,
  type SpanContext,
} from '@opentelemetry/api';
import { SeverityNumber, type AnyValue as SdkAnyValue } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { JsonLogsSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { AnyValue, KeyValue } from '../../model/common';
import { getAttribute } from '../../model/common';
import { decodeLogsRequestJson, decodeTracesRequestJson, encodeLogsRequestJson, encodeTracesRequestJson } from './index';

/** The OTLP value an SDK AnyValue stands for (integers are intValue in OTel JS). */
function expectValue(v: SdkAnyValue): AnyValue {
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { kind: 'int', value: v } : { kind: 'double', value: v };
  if (v instanceof Uint8Array) return { kind: 'bytes', value: new Uint8Array(v) };
  if (Array.isArray(v)) return { kind: 'array', value: v.map(expectValue) };
  if (v === null || v === undefined) return { kind: 'empty' };
  return { kind: 'kvlist', value: expectAttrs(v) };
}

function expectAttrs(a: Record<string, SdkAnyValue>): KeyValue[] {
  return Object.keys(a).map((key) => ({ key, value: expectValue(a[key]) }));
}

function parts(t: HrTime): [number, number] {
  return [t[0] * 1000 + Math.floor(t[1] / 1e6), t[1] % 1e6];
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const SPAN_CTX: SpanContext = {
  traceId: '5b8efff798038103d269b633813fc60c',
  spanId: 'eee19b7ec3c1b174',
  traceFlags: TraceFlags.SAMPLED,
};

const BODIES: SdkAnyValue[] = [
  'a plain message',
  12,
  -3.25,
  true,
  new Uint8Array([0, 1, 254, 255]),
  ['x', 2, 2.5, false, ['nested']],
  { user: 'u1', nested: { depth: 2, list: [1, 'two'] }, raw: new Uint8Array([9]) },
  undefined,
];

test('SDK log records decode field by field', async () => {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'codec-test' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('codec.logger', '0.1.0');
  const withSpan = trace.setSpanContext(ROOT_CONTEXT, SPAN_CTX);
  BODIES.forEach((body, seq) =>
    logger.emit({
      body,
      eventName: seq % 2 === 0 ? `claude_code.event_${seq}` : undefined,
      severityNumber: [SeverityNumber.INFO, SeverityNumber.ERROR3, SeverityNumber.FATAL4, undefined][seq % 4],
      severityText: seq % 3 === 0 ? 'INFO' : undefined,
      timestamp: [1700000000 + seq, 123456789 + seq],
      attributes: { seq, 'attr.double': 0.5, 'attr.bytes': new Uint8Array([7, 8]), 'attr.map': { k: ['v', true] } },
      context: seq % 2 === 0 ? withSpan : ROOT_CONTEXT,
    }),
  );
  await provider.forceFlush();
  const sdk = exporter.getFinishedLogRecords();
  assert.equal(sdk.length, BODIES.length);
  const { data, rejected, rejectMessage } = decodeLogsRequestJson(JsonLogsSerializer.serializeRequest(sdk)!);
  assert.equal(rejected, 0, rejectMessage);
  assert.deepEqual(data[0].resource.attributes, [{ key: 'service.name', value: { kind: 'string', value: 'codec-test' } }]);
  const scope = data[0].scopeLogs[0];
  assert.equal(scope.scope.name, 'codec.logger');
  assert.equal(scope.scope.version, '0.1.0');
  const records = data.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords));
  assert.equal(records.length, sdk.length);
  for (const r of records) {
    const seqValue = getAttribute(r.attributes, 'seq');
    assert.equal(seqValue?.kind, 'int');
    const s = sdk[Number(seqValue?.kind === 'int' ? seqValue.value : -1)];
    const where = `record ${String(s.attributes.seq)}`;
    assert.deepEqual([r.timeMs, r.timeNs], parts(s.hrTime), where);
    assert.deepEqual([r.observedTimeMs, r.observedTimeNs], parts(s.hrTimeObserved), where);
    assert.equal(r.severityNumber, s.severityNumber ?? 0, where);
    assert.equal(r.severityText, s.severityText ?? '', where);
    assert.equal(r.eventName, s.eventName ?? '', where);
    assert.deepEqual(r.body, expectValue(s.body), where);
    assert.deepEqual(r.attributes, expectAttrs(s.attributes), where);
    assert.equal(r.droppedAttributesCount, s.droppedAttributesCount, where);
    assert.equal(hex(r.traceId), s.spanContext?.traceId ?? '', where);
    assert.equal(hex(r.spanId), s.spanContext?.spanId ?? '', where);
    assert.equal(r.flags, s.spanContext?.traceFlags ?? 0, where);
  }
  assert.equal(records.filter((r) => r.traceId.length === 16).length, 4, 'some records carry a span context');
  const again = decodeLogsRequestJson(encodeLogsRequestJson(data));
  assert.deepEqual(again.data, data);
  await provider.shutdown();
});

test('SDK spans decode field by field', async () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'codec-test', 'pid': 4242 }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('codec.tracer', '9.9.9');
  const remote: SpanContext = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: createTraceState('vendor=value,other=1'),
  };
  const root = tracer.startSpan(
    'GET /things',
    { kind: SpanKind.SERVER, attributes: { 'http.status_code': 500, 'ok': false, 'ratio': 0.75, 'tags': ['a', 'b'] }, startTime: [1700000000, 1] },
    trace.setSpanContext(ROOT_CONTEXT, remote),
  );
  root.addEvent('exception', { 'exception.message': 'boom', 'attempt': 2 }, [1700000000, 500000001]);
  root.addEvent('bare');
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'it broke' });
  const child = tracer.startSpan(
    'db.query',
    { kind: SpanKind.CLIENT, links: [{ context: remote, attributes: { 'link.kind': 'cause' } }, { context: SPAN_CTX }] },
    trace.setSpan(ROOT_CONTEXT, root),
  );
  child.setStatus({ code: SpanStatusCode.OK });
  child.end([1700000001, 999999999]);
  root.end();
  tracer.startSpan('internal.work').end();
  const sdk = exporter.getFinishedSpans();
  assert.equal(sdk.length, 3);
  const { data, rejected, rejectMessage } = decodeTracesRequestJson(JsonTraceSerializer.serializeRequest(sdk)!);
  assert.equal(rejected, 0, rejectMessage);
  assert.equal(data[0].scopeSpans[0].scope.name, 'codec.tracer');
  assert.equal(data[0].scopeSpans[0].scope.version, '9.9.9');
  assert.deepEqual(data[0].resource.attributes, expectAttrs({ 'service.name': 'codec-test', 'pid': 4242 }));
  const spans = data.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
  assert.equal(spans.length, sdk.length);
  spans.forEach((sp, i) => {
    const s = sdk[i];
    const where = `span ${s.name}`;
    const ctx = s.spanContext();
    assert.equal(hex(sp.traceId), ctx.traceId, where);
    assert.equal(hex(sp.spanId), ctx.spanId, where);
    assert.equal(hex(sp.parentSpanId), s.parentSpanContext?.spanId ?? '', where);
    assert.equal(sp.name, s.name, where);
    assert.equal(sp.traceState, ctx.traceState?.serialize() ?? '', where);
    assert.equal(sp.kind, s.kind + 1, where); // the API has no "unspecified"
    assert.deepEqual([sp.startTimeMs, sp.startTimeNs], parts(s.startTime), where);
    assert.deepEqual([sp.endTimeMs, sp.endTimeNs], parts(s.endTime), where);
    assert.deepEqual(sp.attributes, expectAttrs(s.attributes as Record<string, SdkAnyValue>), where);
    assert.equal(sp.droppedAttributesCount, s.droppedAttributesCount, where);
    assert.equal(sp.droppedEventsCount, s.droppedEventsCount, where);
    assert.equal(sp.droppedLinksCount, s.droppedLinksCount, where);
    assert.deepEqual(sp.status, { code: s.status.code, message: s.status.message ?? '' }, where);
    // OTLP span flags: W3C trace flags plus HAS_IS_REMOTE (0x100) and IS_REMOTE (0x200).
    const remoteBits = 0x100 | (s.parentSpanContext?.isRemote ? 0x200 : 0);
    assert.equal(sp.flags, ctx.traceFlags | remoteBits, where);
    assert.equal(sp.events.length, s.events.length, where);
    sp.events.forEach((e, j) => {
      assert.equal(e.name, s.events[j].name, where);
      assert.deepEqual([e.timeMs, e.timeNs], parts(s.events[j].time), where);
      assert.deepEqual(e.attributes, expectAttrs((s.events[j].attributes ?? {}) as Record<string, SdkAnyValue>), where);
    });
    assert.equal(sp.links.length, s.links.length, where);
    sp.links.forEach((l, j) => {
      const sl = s.links[j];
      assert.equal(hex(l.traceId), sl.context.traceId, where);
      assert.equal(hex(l.spanId), sl.context.spanId, where);
      assert.equal(l.traceState, sl.context.traceState?.serialize() ?? '', where);
      assert.deepEqual(l.attributes, expectAttrs((sl.attributes ?? {}) as Record<string, SdkAnyValue>), where);
      assert.equal(l.flags, sl.context.traceFlags | 0x100 | (sl.context.isRemote ? 0x200 : 0), where);
    });
  });
  const rootSpan = spans.find((s) => s.name === 'GET /things');
  assert.equal(rootSpan?.status.code, 2);
  assert.equal(rootSpan?.kind, 2);
  assert.equal(hex(rootSpan?.parentSpanId ?? new Uint8Array()), remote.spanId);
  assert.equal(rootSpan?.traceState, 'vendor=value,other=1', 'inherited from the remote parent');
  assert.equal(spans.find((s) => s.name === 'db.query')?.links[0].traceState, 'vendor=value,other=1');
  const again = decodeTracesRequestJson(encodeTracesRequestJson(data));
  assert.deepEqual(again.data, data);
  await provider.shutdown();
});
