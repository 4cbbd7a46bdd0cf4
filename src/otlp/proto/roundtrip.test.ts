/**
 * Round trips: decode(encode(x)) deep-equals x for hand-built models covering
 * every metric type, every AnyValue kind and the edge values; and
 * encode(decode(bytes)) reproduces canonical bytes exactly.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResourceMetrics } from '../../model/metrics';
import { MAX_TIME, sampleLogs, sampleMetrics, sampleTraces } from './fixtures';
import {
  decodeLogsRequest,
  decodeMetricsRequest,
  decodeTracesRequest,
  encodeLogsRequest,
  encodeMetricsRequest,
  encodeTracesRequest,
} from './index';

test('metrics: decode(encode(x)) deep-equals x', () => {
  const model = sampleMetrics();
  const out = decodeMetricsRequest(encodeMetricsRequest(model));
  assert.equal(out.rejected, 0);
  assert.equal(out.rejectMessage, '');
  assert.deepStrictEqual(out.data, model);
});

test('logs: decode(encode(x)) deep-equals x', () => {
  const model = sampleLogs();
  const out = decodeLogsRequest(encodeLogsRequest(model));
  assert.equal(out.rejected, 0);
  assert.deepStrictEqual(out.data, model);
});

test('traces: decode(encode(x)) deep-equals x', () => {
  const model = sampleTraces();
  const out = decodeTracesRequest(encodeTracesRequest(model));
  assert.equal(out.rejected, 0);
  assert.deepStrictEqual(out.data, model);
});

test('edge values survive exactly (spot checks beyond deepStrictEqual)', () => {
  const rm = decodeMetricsRequest(encodeMetricsRequest(sampleMetrics())).data[0];
  const gauge = rm.scopeMetrics[0].metrics[0].data;
  assert.equal(gauge.type, 'gauge');
  if (gauge.type !== 'gauge') return;
  assert.equal(gauge.dataPoints[1].value, 9223372036854775807n);
  assert.equal(gauge.dataPoints[1].timeMs, MAX_TIME.ms);
  assert.equal(gauge.dataPoints[1].timeNs, MAX_TIME.ns);
  assert.ok(Object.is(gauge.dataPoints[4].value, -0), '-0 as_double stays -0');
  assert.ok(Number.isNaN(gauge.dataPoints[5].value as number));
  assert.equal(gauge.dataPoints[7].valueType, 'none');
  const attrs = rm.resource.attributes;
  const byKey = new Map(attrs.map((a) => [a.key, a.value]));
  assert.deepStrictEqual(byKey.get('int.2^53'), { kind: 'int', value: 2n ** 53n });
  assert.deepStrictEqual(byKey.get('int.safe.max'), { kind: 'int', value: Number.MAX_SAFE_INTEGER });
  assert.deepStrictEqual(byKey.get('int64.min'), { kind: 'int', value: -(2n ** 63n) });
  assert.deepStrictEqual(byKey.get('str.unicode'), { kind: 'string', value: 'naïve — 日本語 🚀' });
});

test('int vs double is kept apart even for integral doubles', () => {
  const model: ResourceMetrics[] = [{
    resource: { attributes: [{ key: 'd', value: { kind: 'double', value: 3 } }, { key: 'i', value: { kind: 'int', value: 3 } }], droppedAttributesCount: 0, entityRefs: [] },
    scopeMetrics: [],
    schemaUrl: '',
  }];
  const out = decodeMetricsRequest(encodeMetricsRequest(model)).data[0].resource.attributes;
  assert.deepStrictEqual(out.map((a) => a.value.kind), ['double', 'int']);
});

test('encode(decode(bytes)) reproduces our canonical bytes', () => {
  const m = encodeMetricsRequest(sampleMetrics());
  assert.deepStrictEqual(encodeMetricsRequest(decodeMetricsRequest(m).data), m);
  const l = encodeLogsRequest(sampleLogs());
  assert.deepStrictEqual(encodeLogsRequest(decodeLogsRequest(l).data), l);
  const t = encodeTracesRequest(sampleTraces());
  assert.deepStrictEqual(encodeTracesRequest(decodeTracesRequest(t).data), t);
});

test('encoders return fresh copies that later encodes do not overwrite', () => {
  const first = encodeMetricsRequest(sampleMetrics());
  const copy = Uint8Array.from(first);
  encodeTracesRequest(sampleTraces());
  encodeLogsRequest(sampleLogs());
  assert.deepStrictEqual(first, copy);
  assert.equal(first.buffer.byteLength, first.length, 'owns its own ArrayBuffer, not a view of the writer buffer');
});

test('empty requests encode to zero bytes and decode to no data', () => {
  assert.equal(encodeMetricsRequest([]).length, 0);
  assert.deepStrictEqual(decodeMetricsRequest(new Uint8Array(0)), { data: [], rejected: 0, rejectMessage: '' });
  assert.deepStrictEqual(decodeLogsRequest(new Uint8Array(0)).data, []);
  assert.deepStrictEqual(decodeTracesRequest(new Uint8Array(0)).data, []);
});

test('decoded bytes fields are copies: reusing the input buffer does not change them', () => {
  const buf = encodeTracesRequest(sampleTraces());
  const decoded = decodeTracesRequest(buf).data;
  const traceId = Uint8Array.from(decoded[0].scopeSpans[0].spans[0].traceId);
  buf.fill(0);
  assert.deepStrictEqual(decoded[0].scopeSpans[0].spans[0].traceId, traceId);
});

test('large messages (multi-byte length prefixes at every level) round trip', () => {
  const model = sampleMetrics();
  const metric = model[0].scopeMetrics[0].metrics[1];
  if (metric.data.type !== 'sum') throw new Error('fixture changed');
  const point = metric.data.dataPoints[0];
  for (let i = 0; i < 20000; i++) {
    metric.data.dataPoints.push({ ...point, attributes: [{ key: 'i', value: { kind: 'string', value: 'x'.repeat(i % 300) } }], value: i });
  }
  const buf = encodeMetricsRequest(model);
  assert.ok(buf.length > 2_000_000);
  assert.deepStrictEqual(decodeMetricsRequest(buf).data, model);
});
