/**
 * Hand-written OTLP/JSON in the style of the spec's examples and of senders
 * that bend it: snake_case names, enum names, int64 as numbers and strings,
 * "NaN"/"Infinity" doubles, upper-case hex ids.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLogsRequestJson, decodeMetricsRequestJson, decodeTracesRequestJson, parseJsonBody, decodeMetricsRequestObject } from './index';

const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

const METRICS = `{
  "resource_metrics": [{
    "resource": {"attributes": [{"key": "service.name", "value": {"string_value": "my.service"}}], "dropped_attributes_count": "2",
      "entity_refs": [{"type": "service", "id_keys": ["service.name"], "description_keys": [], "schema_url": "https://e"}]},
    "scope_metrics": [{
      "scope": {"name": "my.library", "version": "1.0.0", "attributes": [{"key": "my.scope.attribute", "value": {"stringValue": "some scope attribute"}}]},
      "metrics": [
        {"name": "my.counter", "unit": "1", "description": "I am a Counter", "unknown_field": {"x": [1, {"y": null}]},
          "sum": {"aggregation_temporality": "AGGREGATION_TEMPORALITY_CUMULATIVE", "is_monotonic": true,
            "data_points": [{"as_double": 5, "start_time_unix_nano": 1544712660300000000, "time_unix_nano": "1544712660300000001",
              "attributes": [{"key": "my.counter.attr", "value": {"string_value": "some value"}}]}]}},
        {"name": "my.int", "gauge": {"dataPoints": [
          {"asInt": "-9223372036854775808", "timeUnixNano": 18446744073709551615, "flags": 1},
          {"as_int": 9007199254740993, "time_unix_nano": "0"},
          {"asInt": 12, "exemplars": [{"as_double": "-Infinity", "trace_id": "5B8EFFF798038103D269B633813FC60C", "span_id": "EEE19B7EC3C1B174",
            "filtered_attributes": [{"key": "k", "value": {"bool_value": true}}], "time_unix_nano": "1544712660300000000"}]},
          {"asDouble": "NaN"},
          {}
        ]}},
        {"name": "my.histogram", "unit": "ms", "histogram": {"aggregationTemporality": 1, "dataPoints": [
          {"count": "3", "sum": 2.5, "bucket_counts": [1, "1", 1e0], "explicit_bounds": [1, "Infinity"], "min": 0, "max": 2}]}},
        {"name": "my.exp", "exponential_histogram": {"aggregation_temporality": 2, "data_points": [
          {"count": 10, "scale": -3, "zero_count": "2", "zero_threshold": 1e-9, "sum": null,
            "positive": {"offset": -2, "bucket_counts": ["1", 2, "3"]}, "negative": {"offset": "4", "bucketCounts": [2]}}]}},
        {"name": "my.summary", "summary": {"data_points": [{"count": 4, "sum": "12.5",
          "quantile_values": [{"quantile": 0.5, "value": 3}, {"quantile": 1, "value": "Infinity"}]}]}},
        {"name": "no.data"}
      ]
    }]
  }]
}`;

test('hand-written metrics: snake_case, enum names, int64 numbers and strings, special doubles', () => {
  const { data, rejected } = decodeMetricsRequestJson(METRICS);
  assert.equal(rejected, 0);
  const rm = data[0];
  assert.deepEqual(rm.resource, {
    attributes: [{ key: 'service.name', value: { kind: 'string', value: 'my.service' } }],
    droppedAttributesCount: 2,
    entityRefs: [{ schemaUrl: 'https://e', type: 'service', idKeys: ['service.name'], descriptionKeys: [] }],
  });
  const sm = rm.scopeMetrics[0];
  assert.deepEqual(sm.scope.attributes, [{ key: 'my.scope.attribute', value: { kind: 'string', value: 'some scope attribute' } }]);
  const [counter, ints, hist, exp, summary, empty] = sm.metrics;

  assert.equal(counter.description, 'I am a Counter');
  assert.equal(counter.data.type, 'sum');
  if (counter.data.type !== 'sum') return;
  assert.equal(counter.data.temporality, 2);
  assert.equal(counter.data.isMonotonic, true);
  const c0 = counter.data.dataPoints[0];
  assert.deepEqual([c0.startTimeMs, c0.startTimeNs, c0.timeMs, c0.timeNs], [1544712660300, 0, 1544712660300, 1]);
  assert.deepEqual([c0.valueType, c0.value], ['double', 5]);

  assert.equal(ints.data.type, 'gauge');
  if (ints.data.type !== 'gauge') return;
  const [i0, i1, i2, i3, i4] = ints.data.dataPoints;
  assert.deepEqual([i0.valueType, i0.value], ['int', -(2n ** 63n)]);
  // 2^64 - 1 ns, sent as a bare JSON number: still exact.
  assert.deepEqual([i0.timeMs, i0.timeNs, i0.flags], [18446744073709, 551615, 1]);
  assert.deepEqual([i1.valueType, i1.value], ['int', 9007199254740993n], 'a bare number beyond 2^53 stays exact');
  assert.deepEqual([i2.valueType, i2.value], ['int', 12]);
  assert.deepEqual(i2.exemplars, [
    {
      filteredAttributes: [{ key: 'k', value: { kind: 'bool', value: true } }],
      timeMs: 1544712660300,
      timeNs: 0,
      valueType: 'double',
      value: -Infinity,
      spanId: bytes('eee19b7ec3c1b174'),
      traceId: bytes('5b8efff798038103d269b633813fc60c'),
    },
  ]);
  assert.equal(i3.valueType, 'double');
  assert.ok(Number.isNaN(i3.value));
  assert.deepEqual([i4.valueType, i4.value, i4.timeMs], ['none', 0, 0]);

  assert.equal(hist.data.type, 'histogram');
  if (hist.data.type !== 'histogram') return;
  assert.equal(hist.data.temporality, 1);
  const h = hist.data.dataPoints[0];
  assert.deepEqual([h.count, h.sum, h.min, h.max], [3, 2.5, 0, 2]);
  assert.deepEqual(h.bucketCounts, [1, 1, 1]);
  assert.deepEqual(h.explicitBounds, [1, Infinity]);

  assert.equal(exp.data.type, 'exponentialHistogram');
  if (exp.data.type !== 'exponentialHistogram') return;
  const e = exp.data.dataPoints[0];
  assert.deepEqual([e.count, e.sum, e.min, e.max, e.scale, e.zeroCount, e.zeroThreshold], [10, undefined, undefined, undefined, -3, 2, 1e-9]);
  assert.deepEqual(e.positive, { offset: -2, bucketCounts: [1, 2, 3] });
  assert.deepEqual(e.negative, { offset: 4, bucketCounts: [2] });

  assert.equal(summary.data.type, 'summary');
  if (summary.data.type !== 'summary') return;
  assert.deepEqual(summary.data.dataPoints[0].quantileValues, [
    { quantile: 0.5, value: 3 },
    { quantile: 1, value: Infinity },
  ]);
  assert.equal(summary.data.dataPoints[0].sum, 12.5);
  assert.deepEqual(empty.data, { type: 'empty' });
});

test('the same document through parseJsonBody + decode...Object gives the same result', () => {
  const parsed = parseJsonBody(Buffer.from(METRICS));
  assert.deepEqual(decodeMetricsRequestObject(parsed), decodeMetricsRequestJson(METRICS));
});

test('a BOM is tolerated in text and bytes', () => {
  const doc = '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"m","gauge":{"dataPoints":[{"asInt":"1"}]}}]}]}]}';
  const plain = decodeMetricsRequestJson(doc);
  assert.equal(plain.data[0].scopeMetrics[0].metrics[0].name, 'm');
  assert.deepEqual(decodeMetricsRequestJson('\uFEFF' + doc), plain);
  assert.deepEqual(decodeMetricsRequestJson(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(doc)])), plain);
});

test('hand-written logs: severity names, upper-case ids, every body kind, nulls as defaults', () => {
  const doc = `{"resource_logs": [{"resource": null, "scope_logs": [{"scope": {"name": "s"}, "schema_url": "https://schema", "log_records": [
    {"time_unix_nano": "1700000000000000001", "observed_time_unix_nano": 1700000000000000, "severity_number": "SEVERITY_NUMBER_WARN3",
     "severity_text": "Warning", "trace_id": "5B8EFFF798038103D269B633813FC60C", "span_id": "EEE19B7EC3C1B174", "flags": 1,
     "event_name": "claude_code.api_request", "dropped_attributes_count": 1,
     "body": {"kvlist_value": {"values": [
        {"key": "s", "value": {"string_value": "x"}}, {"key": "b", "value": {"bool_value": false}},
        {"key": "i", "value": {"int_value": "-5"}}, {"key": "d", "value": {"double_value": "Infinity"}},
        {"key": "y", "value": {"bytes_value": "AAH+/w=="}}, {"key": "u", "value": {"bytesValue": "AAH-_w"}},
        {"key": "a", "value": {"array_value": {"values": [{"intValue": 1}, null, {}]}}},
        {"key": "e", "value": {}}, {"key": "n", "value": null}, {"key": "k", "value": {"kvlistValue": {}}}]}},
     "attributes": null},
    {"severityNumber": 17, "body": {"stringValue": "plain"}, "traceId": "", "spanId": null}
  ]}]}]}`;
  const { data, rejected } = decodeLogsRequestJson(doc);
  assert.equal(rejected, 0);
  assert.deepEqual(data[0].resource, { attributes: [], droppedAttributesCount: 0, entityRefs: [] });
  assert.equal(data[0].scopeLogs[0].schemaUrl, 'https://schema');
  const [r, plain] = data[0].scopeLogs[0].logRecords;
  assert.deepEqual([r.timeMs, r.timeNs, r.observedTimeMs, r.observedTimeNs], [1700000000000, 1, 1700000000, 0]);
  assert.deepEqual([r.severityNumber, r.severityText, r.flags, r.eventName, r.droppedAttributesCount], [15, 'Warning', 1, 'claude_code.api_request', 1]);
  assert.deepEqual(r.traceId, bytes('5b8efff798038103d269b633813fc60c'));
  assert.deepEqual(r.spanId, bytes('eee19b7ec3c1b174'));
  assert.deepEqual(r.attributes, []);
  const bin = new Uint8Array([0, 1, 254, 255]);
  assert.deepEqual(r.body, {
    kind: 'kvlist',
    value: [
      { key: 's', value: { kind: 'string', value: 'x' } },
      { key: 'b', value: { kind: 'bool', value: false } },
      { key: 'i', value: { kind: 'int', value: -5 } },
      { key: 'd', value: { kind: 'double', value: Infinity } },
      { key: 'y', value: { kind: 'bytes', value: bin } },
      { key: 'u', value: { kind: 'bytes', value: bin } },
      { key: 'a', value: { kind: 'array', value: [{ kind: 'int', value: 1 }, { kind: 'empty' }, { kind: 'empty' }] } },
      { key: 'e', value: { kind: 'empty' } },
      { key: 'n', value: { kind: 'empty' } },
      { key: 'k', value: { kind: 'kvlist', value: [] } },
    ],
  });
  assert.deepEqual([plain.severityNumber, plain.traceId.length, plain.spanId.length], [17, 0, 0]);
  assert.deepEqual(plain.body, { kind: 'string', value: 'plain' });
});

test('hand-written traces: kind and status names, upper-case hex, links and events', () => {
  const doc = `{"resource_spans": [{"scope_spans": [{"spans": [{
    "trace_id": "5B8EFFF798038103D269B633813FC60C", "span_id": "EEE19B7EC3C1B174", "parent_span_id": "EEE19B7EC3C1B173",
    "trace_state": "a=b", "flags": 769, "name": "I'm a server span", "kind": "SPAN_KIND_SERVER",
    "start_time_unix_nano": "1544712660000000000", "end_time_unix_nano": 1544712661000000000,
    "attributes": [{"key": "my.span.attr", "value": {"string_value": "some value"}}], "dropped_attributes_count": 1,
    "events": [{"time_unix_nano": "1544712660500000000", "name": "ev", "attributes": [{"key": "n", "value": {"int_value": 3}}]}],
    "dropped_events_count": "2",
    "links": [{"trace_id": "0AF7651916CD43DD8448EB211C80319C", "span_id": "B7AD6B7169203331", "trace_state": "x=y", "flags": 256,
      "attributes": [{"key": "l", "value": {"double_value": 1.5}}]}],
    "dropped_links_count": 3,
    "status": {"code": "STATUS_CODE_ERROR", "message": "failed"}
  }, {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b175", "kind": 3, "status": {"code": 1}}]}]}]}`;
  const { data, rejected } = decodeTracesRequestJson(doc);
  assert.equal(rejected, 0);
  const [s, t] = data[0].scopeSpans[0].spans;
  assert.deepEqual(s, {
    traceId: bytes('5b8efff798038103d269b633813fc60c'),
    spanId: bytes('eee19b7ec3c1b174'),
    traceState: 'a=b',
    parentSpanId: bytes('eee19b7ec3c1b173'),
    flags: 769,
    name: "I'm a server span",
    kind: 2,
    startTimeMs: 1544712660000,
    startTimeNs: 0,
    endTimeMs: 1544712661000,
    endTimeNs: 0,
    attributes: [{ key: 'my.span.attr', value: { kind: 'string', value: 'some value' } }],
    droppedAttributesCount: 1,
    events: [{ timeMs: 1544712660500, timeNs: 0, name: 'ev', attributes: [{ key: 'n', value: { kind: 'int', value: 3 } }], droppedAttributesCount: 0 }],
    droppedEventsCount: 2,
    links: [
      {
        traceId: bytes('0af7651916cd43dd8448eb211c80319c'),
        spanId: bytes('b7ad6b7169203331'),
        traceState: 'x=y',
        attributes: [{ key: 'l', value: { kind: 'double', value: 1.5 } }],
        droppedAttributesCount: 0,
        flags: 256,
      },
    ],
    droppedLinksCount: 3,
    status: { code: 2, message: 'failed' },
  });
  assert.deepEqual([t.kind, t.status, t.parentSpanId.length, t.name], [3, { code: 1, message: '' }, 0, '']);
});
