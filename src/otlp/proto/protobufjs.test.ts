/**
 * An independent decoder and encoder for ours: protobufjs loading our own
 * description of the wire format (test/fixtures/otlp.proto).
 *
 * The expected protobufjs objects are derived from the model by the spec's
 * rules (proto3 defaults omitted, oneof members and `optional` fields present
 * when set, int64/fixed64 as decimal strings), written here independently of
 * the encoder. They are checked three ways: protobufjs decodes our output to
 * them; protobufjs encodes them and our decoder returns the model; and our
 * encoder reproduces protobufjs's (canonical) bytes exactly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import path from 'node:path';
import protobuf from 'protobufjs';
import type { AnyValue, InstrumentationScope, KeyValue, Resource } from '../../model/common';
import type { LogRecord } from '../../model/logs';
import type { Exemplar, Metric, ResourceMetrics } from '../../model/metrics';
import type { ResourceSpans, Span } from '../../model/traces';
import type { ResourceLogs } from '../../model/logs';
import { sampleLogs, sampleMetrics, sampleTraces } from './fixtures';
import {
  decodeExportResponse, decodeLogsRequest, decodeMetricsRequest, decodeTracesRequest,
  encodeExportResponse, encodeLogsRequest, encodeMetricsRequest, encodeTracesRequest,
} from './index';

const root = protobuf.loadSync(path.resolve(__dirname, '../../../../test/fixtures/otlp.proto'));
const type = (name: string) => root.lookupType(`otlptest.${name}`);
const toObject = (name: string, buf: Uint8Array) =>
  type(name).toObject(type(name).decode(buf), { longs: String, bytes: Array, defaults: false, arrays: false });
const fromObject = (name: string, obj: object) => type(name).encode(type(name).fromObject(obj)).finish();

type Obj = Record<string, unknown>;

/** Drops proto3 defaults: undefined, '', 0 (+0 only), false, empty arrays, and `omit` keys. */
function o(entries: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(entries)) {
    if (v === undefined || v === '' || v === false || (v === 0 && !Object.is(v, -0))) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}

const nanos = (ms: number, ns: number): string | undefined =>
  ms === 0 && ns === 0 ? undefined : (BigInt(ms) * 1000000n + BigInt(ns)).toString();
const int64 = (v: number | bigint): string => BigInt(v).toString();
const ids = (b: Uint8Array): number[] | undefined => (b.length ? Array.from(b) : undefined);

function any(v: AnyValue): Obj {
  switch (v.kind) {
    case 'string':
      return { stringValue: v.value };
    case 'bool':
      return { boolValue: v.value };
    case 'int':
      return { intValue: int64(v.value) };
    case 'double':
      return { doubleValue: v.value };
    case 'bytes':
      return { bytesValue: Array.from(v.value) };
    case 'array':
      return { arrayValue: o({ values: v.value.map(any) }) };
    case 'kvlist':
      return { kvlistValue: o({ values: v.value.map(kv) }) };
    case 'empty':
      return {};
  }
}

const kv = (a: KeyValue): Obj => o({ key: a.key, value: any(a.value) });

function resource(r: Resource): Obj | undefined {
  const out = o({
    attributes: r.attributes.map(kv),
    droppedAttributesCount: r.droppedAttributesCount,
    entityRefs: r.entityRefs.map((e) => o({ schemaUrl: e.schemaUrl, type: e.type, idKeys: e.idKeys, descriptionKeys: e.descriptionKeys })),
  });
  return Object.keys(out).length ? out : undefined;
}

function scope(s: InstrumentationScope): Obj | undefined {
  const out = o({ name: s.name, version: s.version, attributes: s.attributes.map(kv), droppedAttributesCount: s.droppedAttributesCount });
  return Object.keys(out).length ? out : undefined;
}

function exemplar(e: Exemplar): Obj {
  return o({
    timeUnixNano: nanos(e.timeMs, e.timeNs),
    asDouble: e.valueType === 'double' ? e.value : undefined,
    spanId: ids(e.spanId),
    traceId: ids(e.traceId),
    asInt: e.valueType === 'int' ? int64(e.value) : undefined,
    filteredAttributes: e.filteredAttributes.map(kv),
  });
}

/** Adds `key: value` even when value is a default (oneof members, `optional` fields). */
function present(obj: Obj, key: string, value: unknown): Obj {
  if (value !== undefined) obj[key] = value;
  return obj;
}

function metric(m: Metric): Obj {
  const base = o({ name: m.name, description: m.description, unit: m.unit, metadata: m.metadata.map(kv) });
  const d = m.data;
  const times = (p: { startTimeMs: number; startTimeNs: number; timeMs: number; timeNs: number }) => ({
    startTimeUnixNano: nanos(p.startTimeMs, p.startTimeNs),
    timeUnixNano: nanos(p.timeMs, p.timeNs),
  });
  switch (d.type) {
    case 'gauge':
    case 'sum': {
      const dataPoints = d.dataPoints.map((p) => {
        const out = o({ ...times(p), exemplars: p.exemplars.map(exemplar), attributes: p.attributes.map(kv), flags: p.flags });
        if (p.valueType === 'double') out.asDouble = p.value;
        if (p.valueType === 'int') out.asInt = int64(p.value);
        return out;
      });
      if (d.type === 'gauge') return { ...base, gauge: o({ dataPoints }) };
      return { ...base, sum: o({ dataPoints, aggregationTemporality: d.temporality, isMonotonic: d.isMonotonic }) };
    }
    case 'histogram': {
      const dataPoints = d.dataPoints.map((p) => {
        const out = o({
          ...times(p), count: p.count ? String(p.count) : undefined, bucketCounts: p.bucketCounts.map(String),
          explicitBounds: p.explicitBounds, exemplars: p.exemplars.map(exemplar), attributes: p.attributes.map(kv), flags: p.flags,
        });
        present(out, 'sum', p.sum);
        present(out, 'min', p.min);
        return present(out, 'max', p.max);
      });
      return { ...base, histogram: o({ dataPoints, aggregationTemporality: d.temporality }) };
    }
    case 'exponentialHistogram': {
      const buckets = (b: { offset: number; bucketCounts: number[] }) => {
        const out = o({ offset: b.offset, bucketCounts: b.bucketCounts.map(String) });
        return Object.keys(out).length ? out : undefined;
      };
      const dataPoints = d.dataPoints.map((p) => {
        const out = o({
          attributes: p.attributes.map(kv), ...times(p), count: p.count ? String(p.count) : undefined, scale: p.scale,
          zeroCount: p.zeroCount ? String(p.zeroCount) : undefined, positive: buckets(p.positive), negative: buckets(p.negative),
          flags: p.flags, exemplars: p.exemplars.map(exemplar), zeroThreshold: p.zeroThreshold,
        });
        present(out, 'sum', p.sum);
        present(out, 'min', p.min);
        return present(out, 'max', p.max);
      });
      return { ...base, exponentialHistogram: o({ dataPoints, aggregationTemporality: d.temporality }) };
    }
    case 'summary': {
      const dataPoints = d.dataPoints.map((p) =>
        o({
          ...times(p), count: p.count ? String(p.count) : undefined, sum: p.sum,
          quantileValues: p.quantileValues.map((q) => o({ quantile: q.quantile, value: q.value })),
          attributes: p.attributes.map(kv), flags: p.flags,
        }),
      );
      return { ...base, summary: o({ dataPoints }) };
    }
    case 'empty':
      return base;
  }
}

function expectMetrics(rms: ResourceMetrics[]): Obj {
  return o({
    resourceMetrics: rms.map((rm) =>
      o({
        resource: resource(rm.resource),
        scopeMetrics: rm.scopeMetrics.map((sm) => o({ scope: scope(sm.scope), metrics: sm.metrics.map(metric), schemaUrl: sm.schemaUrl })),
        schemaUrl: rm.schemaUrl,
      }),
    ),
  });
}

function logRecord(l: LogRecord): Obj {
  return o({
    timeUnixNano: nanos(l.timeMs, l.timeNs), severityNumber: l.severityNumber, severityText: l.severityText,
    body: l.body.kind === 'empty' ? undefined : any(l.body), attributes: l.attributes.map(kv),
    droppedAttributesCount: l.droppedAttributesCount, flags: l.flags, traceId: ids(l.traceId), spanId: ids(l.spanId),
    observedTimeUnixNano: nanos(l.observedTimeMs, l.observedTimeNs), eventName: l.eventName,
  });
}

function expectLogs(rls: ResourceLogs[]): Obj {
  return o({
    resourceLogs: rls.map((rl) =>
      o({
        resource: resource(rl.resource),
        scopeLogs: rl.scopeLogs.map((sl) => o({ scope: scope(sl.scope), logRecords: sl.logRecords.map(logRecord), schemaUrl: sl.schemaUrl })),
        schemaUrl: rl.schemaUrl,
      }),
    ),
  });
}

function span(s: Span): Obj {
  const status = o({ message: s.status.message, code: s.status.code });
  return o({
    traceId: ids(s.traceId), spanId: ids(s.spanId), traceState: s.traceState, parentSpanId: ids(s.parentSpanId),
    name: s.name, kind: s.kind, startTimeUnixNano: nanos(s.startTimeMs, s.startTimeNs), endTimeUnixNano: nanos(s.endTimeMs, s.endTimeNs),
    attributes: s.attributes.map(kv), droppedAttributesCount: s.droppedAttributesCount,
    events: s.events.map((e) => o({ timeUnixNano: nanos(e.timeMs, e.timeNs), name: e.name, attributes: e.attributes.map(kv), droppedAttributesCount: e.droppedAttributesCount })),
    droppedEventsCount: s.droppedEventsCount,
    links: s.links.map((l) => o({ traceId: ids(l.traceId), spanId: ids(l.spanId), traceState: l.traceState, attributes: l.attributes.map(kv), droppedAttributesCount: l.droppedAttributesCount, flags: l.flags })),
    droppedLinksCount: s.droppedLinksCount,
    status: Object.keys(status).length ? status : undefined,
    flags: s.flags,
  });
}

function expectTraces(rss: ResourceSpans[]): Obj {
  return o({
    resourceSpans: rss.map((rs) =>
      o({
        resource: resource(rs.resource),
        scopeSpans: rs.scopeSpans.map((ss) => o({ scope: scope(ss.scope), spans: ss.spans.map(span), schemaUrl: ss.schemaUrl })),
        schemaUrl: rs.schemaUrl,
      }),
    ),
  });
}

const SIGNALS = [
  { name: 'metrics', msg: 'ExportMetricsServiceRequest', model: sampleMetrics, expect: expectMetrics, encode: encodeMetricsRequest, decode: decodeMetricsRequest },
  { name: 'logs', msg: 'ExportLogsServiceRequest', model: sampleLogs, expect: expectLogs, encode: encodeLogsRequest, decode: decodeLogsRequest },
  { name: 'traces', msg: 'ExportTraceServiceRequest', model: sampleTraces, expect: expectTraces, encode: encodeTracesRequest, decode: decodeTracesRequest },
] as const;

for (const s of SIGNALS) {
  test(`${s.name}: protobufjs decodes our encoding to the expected values`, () => {
    const model = s.model();
    const bytes = (s.encode as (d: unknown) => Uint8Array)(model);
    assert.deepStrictEqual(toObject(s.msg, bytes), (s.expect as (d: unknown) => Obj)(model));
  });

  test(`${s.name}: protobufjs's canonical encoding decodes to the model, and we re-encode it byte for byte`, () => {
    const model = s.model();
    const canonical = fromObject(s.msg, (s.expect as (d: unknown) => Obj)(model));
    const decoded = s.decode(canonical);
    assert.equal(decoded.rejected, 0);
    assert.deepStrictEqual(decoded.data, model);
    assert.deepStrictEqual(Buffer.from((s.encode as (d: unknown) => Uint8Array)(decoded.data)), Buffer.from(canonical));
  });
}

test('int64 beyond 2^53 reaches protobufjs as an exact Long', () => {
  const msg = type('ExportMetricsServiceRequest').decode(encodeMetricsRequest(sampleMetrics())) as unknown as {
    resourceMetrics: { resource: { attributes: { key: string; value: { intValue: { toString(): string } } }[] }; scopeMetrics: { metrics: { gauge: { dataPoints: { asInt: { toString(): string } }[] } }[] }[] }[];
  };
  const attrs = msg.resourceMetrics[0].resource.attributes;
  assert.equal(attrs.find((a) => a.key === 'int64.max')!.value.intValue.toString(), '9223372036854775807');
  assert.equal(attrs.find((a) => a.key === 'int64.min')!.value.intValue.toString(), '-9223372036854775808');
  assert.equal(attrs.find((a) => a.key === 'int.2^53')!.value.intValue.toString(), '9007199254740992');
  assert.equal(msg.resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[1].asInt.toString(), '9223372036854775807');
});

test('export responses match protobufjs', () => {
  for (const signal of ['metrics', 'logs', 'traces'] as const) {
    assert.equal(encodeExportResponse(signal, 0, '').length, 0);
    const bytes = encodeExportResponse(signal, 7, 'bad spans ✗');
    assert.deepStrictEqual(toObject('ExportResponse', bytes), { partialSuccess: { rejected: '7', errorMessage: 'bad spans ✗' } });
    assert.deepStrictEqual(toObject('ExportResponse', encodeExportResponse(signal, 0, 'warning only')), { partialSuccess: { errorMessage: 'warning only' } });
    const theirs = fromObject('ExportResponse', { partialSuccess: { rejected: '12345678901', errorMessage: 'x' } });
    assert.deepStrictEqual(decodeExportResponse(signal, theirs), { rejected: 12345678901, errorMessage: 'x' });
    assert.deepStrictEqual(decodeExportResponse(signal, new Uint8Array(0)), { rejected: 0, errorMessage: '' });
  }
});
