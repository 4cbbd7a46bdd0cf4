/**
 * Malformed requests: whatever arrives, only OtlpDecodeError may escape, and
 * its message must say where the problem is. Invalid items are rejected one
 * by one while the rest of the request is kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OtlpDecodeError } from '../decode-result';
import { MAX_ANY_VALUE_DEPTH } from './decode-common';
import { decodeLogsRequestJson, decodeMetricsRequestJson, decodeTracesRequestJson } from './index';

type Decode = (body: Uint8Array | string) => unknown;

function decodeError(decode: Decode, body: string | Uint8Array): string {
  try {
    decode(body);
  } catch (e) {
    assert.ok(e instanceof OtlpDecodeError, `expected OtlpDecodeError, got ${String(e)}`);
    return e.message;
  }
  return assert.fail(`no error for ${typeof body === 'string' ? body.slice(0, 200) : 'bytes'}`);
}

const M = (metric: string) => `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[${metric}]}]}]}`;
const MP = 'resourceMetrics[0].scopeMetrics[0].metrics[0]';
const S = (span: string) => `{"resourceSpans":[{"scopeSpans":[{"spans":[${span}]}]}]}`;
const SP = 'resourceSpans[0].scopeSpans[0].spans[0]';
const L = (rec: string) => `{"resourceLogs":[{"scopeLogs":[{"logRecords":[${rec}]}]}]}`;
const LP = 'resourceLogs[0].scopeLogs[0].logRecords[0]';
const IDS = '"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"';

test('invalid JSON syntax is reported as such', () => {
  for (const body of ['', '{', '{"resourceMetrics":[}', "{'a':1}", '{"a":1,}', 'nul', '\uFEFF', '{"a":1}x'])
    assert.match(decodeError(decodeMetricsRequestJson, body), /^invalid JSON: /, JSON.stringify(body));
  assert.match(decodeError(decodeMetricsRequestJson, new Uint8Array([0x7b, 0xff, 0xfe])), /^invalid JSON: /);
  assert.match(decodeError(decodeMetricsRequestJson, 42 as unknown as string), /^invalid JSON: body must be a string or bytes/);
});

test('the top level must be an object', () => {
  const cases: [string, string][] = [['null', 'null'], ['[]', 'array'], ['[{"resourceSpans":[]}]', 'array'], ['3', 'number'], ['"x"', 'string'], ['true', 'boolean'], ['12345678901234567890', 'number']];
  for (const [body, type] of cases)
    assert.equal(decodeError(decodeTracesRequestJson, body), `invalid OTLP/JSON: the request must be a JSON object, got ${type}`);
});

test('wrong JSON types fail the whole request, naming the path', () => {
  const cases: [Decode, string, string][] = [
    [decodeMetricsRequestJson, '{"resourceMetrics":{}}', 'resourceMetrics must be an array, got object'],
    [decodeMetricsRequestJson, '{"resource_metrics":"x"}', 'resourceMetrics must be an array, got string'],
    [decodeMetricsRequestJson, '{"resourceMetrics":[1]}', 'resourceMetrics[0] must be an object, got number'],
    [decodeMetricsRequestJson, '{"resourceMetrics":[{"resource":[]}]}', 'resourceMetrics[0].resource must be an object, got array'],
    [decodeMetricsRequestJson, '{"resourceMetrics":[{"resource":{"attributes":"x"}}]}', 'resourceMetrics[0].resource.attributes must be an array, got string'],
    [decodeMetricsRequestJson, '{"resourceMetrics":[{"resource":{"entityRefs":[{"idKeys":[1]}]}}]}', 'resourceMetrics[0].resource.entityRefs[0].idKeys[0] must be a string, got number'],
    [decodeMetricsRequestJson, '{"resourceMetrics":[{"scopeMetrics":[{"scope":{"version":2}}]}]}', 'resourceMetrics[0].scopeMetrics[0].scope.version must be a string, got number'],
    [decodeMetricsRequestJson, `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"a","gauge":{}},{"name":"b"},{"name":"c","sum":{"dataPoints":{}}}]}]}]}`,
      'resourceMetrics[0].scopeMetrics[0].metrics[2].sum.dataPoints must be an array, got object'],
    [decodeMetricsRequestJson, M('{"name":"a","gauge":{"dataPoints":[{"asInt":true}]}}'), `${MP}.gauge.dataPoints[0].asInt must be an integer (string or number), got boolean`],
    [decodeMetricsRequestJson, M('{"name":"a","gauge":{"dataPoints":[{"asInt":"1.5"}]}}'), `${MP}.gauge.dataPoints[0].asInt must be a signed 64-bit integer, got "1.5"`],
    [decodeMetricsRequestJson, M('{"name":"a","gauge":{"dataPoints":[{"asInt":"9223372036854775808"}]}}'), `${MP}.gauge.dataPoints[0].asInt must be a signed 64-bit integer, got "9223372036854775808"`],
    [decodeMetricsRequestJson, M('{"name":"a","gauge":{"dataPoints":[{"asDouble":"abc"}]}}'), `${MP}.gauge.dataPoints[0].asDouble must be a number, got "abc"`],
    [decodeMetricsRequestJson, M('{"name":"a","gauge":{"dataPoints":[{"asDouble":1,"asInt":1}]}}'), `${MP}.gauge.dataPoints[0] sets both asDouble and asInt of the value oneof`],
    [decodeMetricsRequestJson, M('{"name":"a","gauge":{"dataPoints":[{"timeUnixNano":-1}]}}'), `${MP}.gauge.dataPoints[0].timeUnixNano must be an unsigned 64-bit integer, got -1`],
    [decodeMetricsRequestJson, M('{"name":"a","gauge":{"dataPoints":[{"time_unix_nano":"-5"}]}}'), `${MP}.gauge.dataPoints[0].timeUnixNano must be an unsigned 64-bit integer, got "-5"`],
    [decodeMetricsRequestJson, M('{"name":"a","gauge":{"dataPoints":[{"timeUnixNano":"18446744073709551616"}]}}'), `${MP}.gauge.dataPoints[0].timeUnixNano must be an unsigned 64-bit integer, got "18446744073709551616"`],
    [decodeMetricsRequestJson, M('{"name":"a","gauge":{"dataPoints":[{"startTimeUnixNano":1.5}]}}'), `${MP}.gauge.dataPoints[0].startTimeUnixNano must be an unsigned 64-bit integer, got 1.5`],
    [decodeMetricsRequestJson, M('{"name":"a","gauge":{"dataPoints":[{"flags":4294967296}]}}'), `${MP}.gauge.dataPoints[0].flags must be an integer in [0, 4294967295], got 4294967296`],
    [decodeMetricsRequestJson, M('{"name":"a","histogram":{"dataPoints":[{"count":2.5}]}}'), `${MP}.histogram.dataPoints[0].count must be an unsigned 64-bit integer, got 2.5`],
    [decodeMetricsRequestJson, M('{"name":"a","histogram":{"dataPoints":[{"bucketCounts":[1,-2]}]}}'), `${MP}.histogram.dataPoints[0].bucketCounts[1] must be an unsigned 64-bit integer, got -2`],
    [decodeMetricsRequestJson, M('{"name":"a","histogram":{"dataPoints":[{"explicitBounds":[null]}]}}'), `${MP}.histogram.dataPoints[0].explicitBounds[0] must be a number, got null`],
    [decodeMetricsRequestJson, M('{"name":"a","histogram":{"aggregationTemporality":"DELTA"}}'), `${MP}.histogram.aggregationTemporality must be a known enum value name or an integer, got "DELTA"`],
    [decodeMetricsRequestJson, M('{"name":"a","exponentialHistogram":{"dataPoints":[{"scale":2147483648}]}}'), `${MP}.exponentialHistogram.dataPoints[0].scale must be an integer in [-2147483648, 2147483647], got 2147483648`],
    [decodeMetricsRequestJson, M('{"name":"a","exponentialHistogram":{"dataPoints":[{"positive":{"bucketCounts":"1"}}]}}'), `${MP}.exponentialHistogram.dataPoints[0].positive.bucketCounts must be an array, got string`],
    [decodeMetricsRequestJson, M('{"name":"a","summary":{"dataPoints":[{"quantileValues":[{"value":{}}]}]}}'), `${MP}.summary.dataPoints[0].quantileValues[0].value must be a number, got object`],
    [decodeMetricsRequestJson, M('{"name":"a","sum":{"isMonotonic":"true"}}'), `${MP}.sum.isMonotonic must be a boolean, got string`],
    [decodeMetricsRequestJson, M('{"name":"a","gauge":{},"sum":{}}'), `${MP} sets both gauge and sum of the data oneof`],
    [decodeMetricsRequestJson, M('{"name":"a","gauge":{"dataPoints":[{"exemplars":[{"spanId":7}]}]}}'), `${MP}.gauge.dataPoints[0].exemplars[0].spanId must be a string, got number`],
    [decodeMetricsRequestJson, M('{"name":"a","gauge":{"dataPoints":[{"attributes":[{"key":"k","value":{"stringValue":"a","intValue":1}}]}]}}'),
      `${MP}.gauge.dataPoints[0].attributes[0].value sets both stringValue and intValue of the value oneof`],
    [decodeMetricsRequestJson, M('{"name":12345678901234567890}'), `${MP}.name must be a string, got number`],
    [decodeTracesRequestJson, S('{"traceId":123,"spanId":"eee19b7ec3c1b174"}'), `${SP}.traceId must be a string, got number`],
    [decodeTracesRequestJson, S('{"traceId":12345678901234567890123456789012,"spanId":"eee19b7ec3c1b174"}'), `${SP}.traceId must be a string, got number`],
    [decodeTracesRequestJson, S(`{${IDS},"parentSpanId":["a"]}`), `${SP}.parentSpanId must be a string, got array`],
    [decodeTracesRequestJson, S(`{${IDS},"kind":"SPAN_KIND_BOGUS"}`), `${SP}.kind must be a known enum value name or an integer, got "SPAN_KIND_BOGUS"`],
    [decodeTracesRequestJson, S(`{${IDS},"kind":1.5}`), `${SP}.kind must be an integer in [-2147483648, 2147483647], got 1.5`],
    [decodeTracesRequestJson, S(`{${IDS},"status":"ERROR"}`), `${SP}.status must be an object, got string`],
    [decodeTracesRequestJson, S(`{${IDS},"status":{"code":"constructor"}}`), `${SP}.status.code must be a known enum value name or an integer, got "constructor"`],
    [decodeTracesRequestJson, S(`{${IDS},"events":[null]}`), `${SP}.events[0] must be an object, got null`],
    [decodeTracesRequestJson, S(`{${IDS},"links":[{"traceState":false}]}`), `${SP}.links[0].traceState must be a string, got boolean`],
    [decodeTracesRequestJson, S(`{${IDS},"droppedAttributesCount":-1}`), `${SP}.droppedAttributesCount must be an integer in [0, 4294967295], got -1`],
    [decodeLogsRequestJson, L('{"body":"text"}'), `${LP}.body must be an object, got string`],
    [decodeLogsRequestJson, L('{"severityNumber":{}}'), `${LP}.severityNumber must be an integer, got object`],
    [decodeLogsRequestJson, L('{"body":{"bytesValue":"not base64!"}}'), `${LP}.body.bytesValue must be base64, got "not base64!"`],
    [decodeLogsRequestJson, L('{"body":{"kvlistValue":{"values":[{"key":"a"},{"key":"b","value":{"arrayValue":{"values":[{"intValue":"x"}]}}}]}}}'),
      `${LP}.body.kvlistValue.values[1].value.arrayValue.values[0].intValue must be a signed 64-bit integer, got "x"`],
    [decodeLogsRequestJson, L('{"body":{"arrayValue":{"values":"x"}}}'), `${LP}.body.arrayValue.values must be an array, got string`],
    [decodeLogsRequestJson, L('{"attributes":[{"key":1}]}'), `${LP}.attributes[0].key must be a string, got number`],
  ];
  for (const [decode, body, message] of cases) assert.equal(decodeError(decode, body), `invalid OTLP/JSON: ${message}`);
});

function nestedBody(depth: number): string {
  let v = '{"stringValue":"leaf"}';
  for (let i = 0; i < depth; i++) v = i % 2 ? `{"arrayValue":{"values":[${v}]}}` : `{"kvlistValue":{"values":[{"key":"k","value":${v}}]}}`;
  return L(`{"body":${v}}`);
}

test(`AnyValue nesting is bounded at ${MAX_ANY_VALUE_DEPTH} levels with a clear error`, () => {
  const ok = decodeLogsRequestJson(nestedBody(MAX_ANY_VALUE_DEPTH));
  let body: unknown = ok.data[0].scopeLogs[0].logRecords[0].body;
  let depth = 0;
  while ((body as { kind: string }).kind !== 'string') {
    const b = body as { kind: 'array' | 'kvlist'; value: unknown[] };
    body = b.kind === 'array' ? b.value[0] : (b.value[0] as { value: unknown }).value;
    depth++;
  }
  assert.equal(depth, MAX_ANY_VALUE_DEPTH);
  assert.match(decodeError(decodeLogsRequestJson, nestedBody(MAX_ANY_VALUE_DEPTH + 1)), /nests arrays\/kvlists deeper than 64 levels$/);
  assert.match(decodeError(decodeLogsRequestJson, nestedBody(20000)), /^invalid OTLP\/JSON: resourceLogs\[0\].*deeper than 64 levels$/);
  // Raw JSON nesting far beyond any call stack, in an ignored field and in the body.
  const deep = '['.repeat(200000) + ']'.repeat(200000);
  assert.equal(decodeLogsRequestJson(`{"x":${deep},"resourceLogs":[]}`).data.length, 0);
  assert.match(decodeError(decodeLogsRequestJson, L(`{"body":{"arrayValue":{"values":${deep}}}}`)), /^invalid OTLP\/JSON: .*values\[0\] must be an object, got array$/);
});

test('invalid items are rejected one by one, the rest is kept', () => {
  const good = (n: number) => `{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"00000000000000${n}0","name":"s${n}"}`;
  const spans = [
    good(1),
    '{"traceId":"5b8efff798038103d269b633813fc6","spanId":"eee19b7ec3c1b174","name":"short trace id"}',
    good(2),
    '{"traceId":"zz8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"not hex"}',
    '{"traceId":"","spanId":"eee19b7ec3c1b174","name":"empty trace id"}',
    '{"traceId":"5b8efff798038103d269b633813fc60c","name":"no span id"}',
    '{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee1","name":"bad parent"}',
    `{${IDS},"name":"bad link","links":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b17"}]}`,
    good(3),
  ];
  const r = decodeTracesRequestJson(S(spans.join(',')));
  assert.deepEqual(r.data[0].scopeSpans[0].spans.map((s) => s.name), ['s1', 's2', 's3']);
  assert.equal(r.rejected, 6);
  assert.equal(
    r.rejectMessage,
    'resourceSpans[0].scopeSpans[0].spans[1].traceId "5b8efff798038103d269b633813fc6" is not 32 hex digits; ' +
      'resourceSpans[0].scopeSpans[0].spans[3].traceId "zz8efff798038103d269b633813fc60c" is not 32 hex digits; ' +
      'resourceSpans[0].scopeSpans[0].spans[4] is a span without a trace id or span id',
  );

  const one = decodeTracesRequestJson(S([good(1), '{"traceId":"00","spanId":"eee19b7ec3c1b174"}', good(2)].join(',')));
  assert.equal(one.rejected, 1);
  assert.match(one.rejectMessage, /spans\[1\]\.traceId "00" is not 32 hex digits/);
  assert.equal(one.data[0].scopeSpans[0].spans.length, 2);

  const logs = decodeLogsRequestJson(L(['{"body":{"stringValue":"ok"}}', '{"spanId":"eee19b7ec3c1b1"}', '{"traceId":"5B8EFFF798038103D269B633813FC60C"}'].join(',')));
  assert.equal(logs.rejected, 1);
  assert.equal(logs.data[0].scopeLogs[0].logRecords.length, 2);
  assert.match(logs.rejectMessage, /logRecords\[1\]\.spanId "eee19b7ec3c1b1" is not 16 hex digits/);
});

test('invalid metric points are rejected, valid ones kept', () => {
  const doc = `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[
    {"name":"","gauge":{"dataPoints":[{"asInt":1},{"asInt":2},{"asInt":3}]}},
    {"name":"h","histogram":{"dataPoints":[
      {"bucketCounts":[1,2],"explicitBounds":[1]},
      {"bucketCounts":[1,2],"explicitBounds":[1,2]},
      {"bucketCounts":[],"explicitBounds":[1,2]},
      {"bucketCounts":[1],"explicitBounds":[]}]}},
    {"name":"e","sum":{"dataPoints":[{"asInt":1,"exemplars":[{"traceId":"abc"}]},{"asInt":2}]}},
    {"name":"","histogram":{"dataPoints":[{"bucketCounts":[1,2,3],"explicitBounds":[1]}]}},
    {"name":""}
  ]}]}]}`;
  const r = decodeMetricsRequestJson(doc);
  const metrics = r.data[0].scopeMetrics[0].metrics;
  assert.deepEqual(metrics.map((m) => m.name), ['h', 'e']);
  const h = metrics[0].data;
  assert.ok(h.type === 'histogram');
  assert.deepEqual(h.dataPoints.map((p) => p.bucketCounts.length), [2, 0, 1]);
  const e = metrics[1].data;
  assert.ok(e.type === 'sum');
  assert.deepEqual(e.dataPoints.map((p) => p.value), [2]);
  assert.equal(r.rejected, 3 + 1 + 1 + 1, 'nameless gauge (3), bad histogram point, bad exemplar, nameless histogram (1)');
  assert.match(r.rejectMessage, /^resourceMetrics\[0\]\.scopeMetrics\[0\]\.metrics\[0\] is a metric without a name; /);
  assert.match(r.rejectMessage, /metrics\[1\]\.histogram\.dataPoints\[1\] has 2 bucketCounts for 2 explicitBounds/);
  assert.match(r.rejectMessage, /metrics\[2\]\.sum\.dataPoints\[0\]\.exemplars\[0\]\.traceId "abc" is not 32 hex digits$/);
});
