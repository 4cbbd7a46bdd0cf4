/** Export*ServiceResponse both ways, signal sniffing, and parseJsonBody. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonLogsSerializer, JsonMetricsSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { OtlpDecodeError } from '../decode-result';
import {
  decodeExportResponseJson,
  decodeTracesRequestObject,
  encodeExportResponseJson,
  parseJsonBody,
  sniffJsonSignal,
} from './index';

test('full success encodes as {}', () => {
  for (const signal of ['metrics', 'logs', 'traces'] as const) assert.equal(encodeExportResponseJson(signal, 0, ''), '{}');
});

test('partial success names the signal-specific count, as an int64 string', () => {
  assert.equal(
    encodeExportResponseJson('metrics', 3, 'bad "points"'),
    '{"partialSuccess":{"rejectedDataPoints":"3","errorMessage":"bad \\"points\\""}}',
  );
  assert.equal(encodeExportResponseJson('logs', 1, ''), '{"partialSuccess":{"rejectedLogRecords":"1"}}');
  assert.equal(encodeExportResponseJson('traces', 2, 'x'), '{"partialSuccess":{"rejectedSpans":"2","errorMessage":"x"}}');
  // The spec's warning form: accepted everything, but has something to say.
  assert.equal(encodeExportResponseJson('traces', 0, 'deprecated field'), '{"partialSuccess":{"errorMessage":"deprecated field"}}');
});

test('responses decode, both our own and hand-written ones', () => {
  for (const signal of ['metrics', 'logs', 'traces'] as const)
    for (const [n, msg] of [[0, ''], [7, 'seven rejected'], [0, 'warning only'], [2 ** 40, 'ünïcödé']] as const)
      assert.deepEqual(decodeExportResponseJson(signal, encodeExportResponseJson(signal, n, msg)), { rejected: n, errorMessage: msg });
  assert.deepEqual(decodeExportResponseJson('metrics', ''), { rejected: 0, errorMessage: '' });
  assert.deepEqual(decodeExportResponseJson('metrics', new Uint8Array(0)), { rejected: 0, errorMessage: '' });
  assert.deepEqual(decodeExportResponseJson('metrics', '{}'), { rejected: 0, errorMessage: '' });
  assert.deepEqual(decodeExportResponseJson('metrics', '{"partialSuccess":null}'), { rejected: 0, errorMessage: '' });
  assert.deepEqual(
    decodeExportResponseJson('logs', Buffer.from('{"partial_success":{"rejected_log_records":5,"error_message":"m","extra":1}}')),
    { rejected: 5, errorMessage: 'm' },
  );
  // Another signal's count field is not this signal's.
  assert.deepEqual(decodeExportResponseJson('traces', '{"partialSuccess":{"rejectedDataPoints":"4"}}'), { rejected: 0, errorMessage: '' });
});

test('malformed responses raise OtlpDecodeError', () => {
  const cases: [string, RegExp][] = [
    ['{', /^invalid JSON: /],
    ['[]', /the response must be a JSON object, got array/],
    ['{"partialSuccess":[]}', /partialSuccess must be an object, got array/],
    ['{"partialSuccess":{"rejectedSpans":"many"}}', /partialSuccess\.rejectedSpans must be a signed 64-bit integer, got "many"/],
    ['{"partialSuccess":{"errorMessage":1}}', /partialSuccess\.errorMessage must be a string, got number/],
  ];
  for (const [body, re] of cases)
    assert.throws(() => decodeExportResponseJson('traces', body), (e: unknown) => e instanceof OtlpDecodeError && re.test(e.message), body);
});

test('sniffJsonSignal finds the signal by its top-level field', () => {
  assert.equal(sniffJsonSignal({ resourceMetrics: [] }), 'metrics');
  assert.equal(sniffJsonSignal({ resource_metrics: null }), 'metrics');
  assert.equal(sniffJsonSignal({ resourceLogs: [] }), 'logs');
  assert.equal(sniffJsonSignal({ resource_logs: [] }), 'logs');
  assert.equal(sniffJsonSignal({ resourceSpans: [] }), 'traces');
  assert.equal(sniffJsonSignal({ resource_spans: [] }), 'traces');
  for (const v of [{}, { resource: [] }, null, undefined, 3, 'resourceSpans', [{ resourceSpans: [] }], Object.create({ resourceSpans: [] })])
    assert.equal(sniffJsonSignal(v), undefined, JSON.stringify(v));
});

test('strings that start with the internal marker stay strings, raw or escaped', () => {
  for (const marker of ['\uFDD0', '\\uFDD0', '\\ufdd0']) {
    const body = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",` +
      `"name":"${marker}123","startTimeUnixNano":1700000000123456789}]}]}]}`;
    const span = decodeTracesRequestObject(parseJsonBody(body)).data[0].scopeSpans[0].spans[0];
    assert.equal(span.name, '\uFDD0123', marker);
  }
});

test('sniffing works on what the SDK serializers send', () => {
  const empty = { resource: { attributes: {} } } as never;
  assert.equal(sniffJsonSignal(parseJsonBody(JsonMetricsSerializer.serializeRequest({ ...(empty as object), scopeMetrics: [] } as never)!)), 'metrics');
  assert.equal(sniffJsonSignal(parseJsonBody(JsonLogsSerializer.serializeRequest([])!)), 'logs');
  assert.equal(sniffJsonSignal(parseJsonBody(JsonTraceSerializer.serializeRequest([])!)), 'traces');
});

test('parseJsonBody keeps bare big integers exact for the ...Object decoders', () => {
  const body = '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",' +
    '"startTimeUnixNano":1700000000123456789,"endTimeUnixNano":18446744073709551615,' +
    '"attributes":[{"key":"i","value":{"intValue":-9223372036854775807}}]}]}]}]}';
  const parsed = parseJsonBody(body);
  assert.equal(sniffJsonSignal(parsed), 'traces');
  const span = decodeTracesRequestObject(parsed).data[0].scopeSpans[0].spans[0];
  assert.deepEqual([span.startTimeMs, span.startTimeNs], [1700000000123, 456789]);
  assert.deepEqual([span.endTimeMs, span.endTimeNs], [18446744073709, 551615]);
  assert.deepEqual(span.attributes[0].value, { kind: 'int', value: -9223372036854775807n });
  // Plain JSON.parse output is accepted too, minus the exactness.
  const viaJsonParse = decodeTracesRequestObject(JSON.parse(body.replace('18446744073709551615', '1'))).data[0].scopeSpans[0].spans[0];
  assert.deepEqual(viaJsonParse.attributes[0].value, { kind: 'int', value: -9223372036854775808n });
  assert.throws(() => parseJsonBody('{"a":'), (e: unknown) => e instanceof OtlpDecodeError && /^invalid JSON: /.test(e.message));
});
