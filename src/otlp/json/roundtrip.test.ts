/**
 * decode(encode(x)) must give back x for hand-built model values covering
 * every metric type, AnyValue kind and span/log field, and the encoder must
 * write what the OTLP/JSON spec prescribes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnyValue, KeyValue, Resource, InstrumentationScope } from '../../model/common';
import type { ResourceLogs } from '../../model/logs';
import type { NumberDataPoint, ResourceMetrics } from '../../model/metrics';
import type { ResourceSpans } from '../../model/traces';
import {
  decodeLogsRequestJson,
  decodeMetricsRequestJson,
  decodeTracesRequestJson,
  encodeLogsRequestJson,
  encodeMetricsRequestJson,
  encodeTracesRequestJson,
} from './index';

const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const TRACE = bytes('0102030405060708090a0b0c0d0e0f10');
const SPAN = bytes('a1a2a3a4a5a6a7a8');
const NONE = () => new Uint8Array(0);

/** Near 2^64 - 1 ns, the largest OTLP time. */
const MAX_MS = 18446744073709;
const MAX_NS = 551615;

const VALUES: AnyValue[] = [
  { kind: 'string', value: '' },
  { kind: 'string', value: 'quotes " backslash \\ newline \n tab \t nul \u0000 emoji 🚀 lone \ud800 é' },
  { kind: 'bool', value: true },
  { kind: 'bool', value: false },
  { kind: 'int', value: 0 },
  { kind: 'int', value: -1 },
  { kind: 'int', value: Number.MAX_SAFE_INTEGER },
  { kind: 'int', value: Number.MIN_SAFE_INTEGER },
  { kind: 'int', value: 2n ** 53n },
  { kind: 'int', value: -(2n ** 63n) },
  { kind: 'int', value: 2n ** 63n - 1n },
  { kind: 'double', value: 0 },
  { kind: 'double', value: -0 },
  { kind: 'double', value: 0.1 },
  { kind: 'double', value: NaN },
  { kind: 'double', value: Infinity },
  { kind: 'double', value: -Infinity },
  { kind: 'double', value: 1e300 },
  { kind: 'double', value: 5e-324 },
  { kind: 'double', value: 3 }, // integral double stays a double
  { kind: 'bytes', value: new Uint8Array(0) },
  { kind: 'bytes', value: new Uint8Array([0, 255, 62, 63, 128]) },
  { kind: 'array', value: [] },
  { kind: 'kvlist', value: [] },
  { kind: 'empty' },
];

function attrs(prefix: string): KeyValue[] {
  const kv: KeyValue[] = VALUES.map((value, i) => ({ key: `${prefix}.${i}`, value }));
  kv.push({ key: '', value: { kind: 'array', value: [...VALUES, { kind: 'array', value: [{ kind: 'kvlist', value: kv.slice(0, 5) }] }] } });
  kv.push({ key: 'nested', value: { kind: 'kvlist', value: [{ key: 'deep', value: { kind: 'kvlist', value: kv.slice(3, 9) } }] } });
  return kv;
}

const RESOURCE: Resource = {
  attributes: attrs('res'),
  droppedAttributesCount: 7,
  entityRefs: [
    { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0', type: 'service', idKeys: ['service.name', 'service.namespace'], descriptionKeys: ['service.version'] },
    { schemaUrl: '', type: 'host', idKeys: [], descriptionKeys: [] },
  ],
};
const SCOPE: InstrumentationScope = { name: 'scope', version: '1.0', attributes: attrs('scope').slice(0, 4), droppedAttributesCount: 1 };
const EMPTY_RESOURCE: Resource = { attributes: [], droppedAttributesCount: 0, entityRefs: [] };
const EMPTY_SCOPE: InstrumentationScope = { name: '', version: '', attributes: [], droppedAttributesCount: 0 };

function point(valueType: NumberDataPoint['valueType'], value: number | bigint, times: [number, number, number, number]): NumberDataPoint {
  return {
    attributes: attrs('pt').slice(0, 6),
    startTimeMs: times[0],
    startTimeNs: times[1],
    timeMs: times[2],
    timeNs: times[3],
    flags: 1,
    valueType,
    value,
    exemplars: [
      { filteredAttributes: [], timeMs: 1, timeNs: 2, valueType: 'int', value: -(2n ** 60n), spanId: SPAN, traceId: TRACE },
      { filteredAttributes: attrs('ex').slice(0, 2), timeMs: 0, timeNs: 0, valueType: 'double', value: 0, spanId: NONE(), traceId: NONE() },
      { filteredAttributes: [], timeMs: 0, timeNs: 0, valueType: 'none', value: 0, spanId: NONE(), traceId: NONE() },
    ],
  };
}

function pointBase(times: [number, number, number, number]) {
  const { valueType: _t, value: _v, ...base } = point('none', 0, times);
  return base;
}

const METRICS: ResourceMetrics[] = [
  {
    resource: RESOURCE,
    schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
    scopeMetrics: [
      {
        scope: SCOPE,
        schemaUrl: 'https://scope',
        metrics: [
          {
            name: 'gauge',
            description: 'd',
            unit: 'By',
            metadata: attrs('meta').slice(0, 2),
            data: {
              type: 'gauge',
              dataPoints: [
                point('int', 0, [0, 0, 0, 0]),
                point('int', 2n ** 62n, [0, 1, MAX_MS, MAX_NS]),
                point('double', 0, [1700000000000, 999999, 1700000000001, 0]),
                point('double', -0, [0, 0, 0, 5]),
                point('double', NaN, [0, 0, 0, 0]),
                point('none', 0, [0, 0, 0, 0]),
              ],
            },
          },
          { name: 'sum', description: '', unit: '', metadata: [], data: { type: 'sum', dataPoints: [point('double', -Infinity, [1, 0, 2, 0])], temporality: 1, isMonotonic: true } },
          { name: 'sum.cumulative', description: '', unit: '', metadata: [], data: { type: 'sum', dataPoints: [], temporality: 2, isMonotonic: false } },
          { name: 'gauge.empty', description: '', unit: '', metadata: [], data: { type: 'gauge', dataPoints: [] } },
          {
            name: 'hist',
            description: '',
            unit: 'ms',
            metadata: [],
            data: {
              type: 'histogram',
              temporality: 2,
              dataPoints: [
                { ...pointBase([5, 6, 7, 8]), count: 2 ** 53 + 2, sum: 0, bucketCounts: [0, 1, 2 ** 40], explicitBounds: [-Infinity, 0.5], min: -0, max: Infinity },
                { attributes: [], startTimeMs: 0, startTimeNs: 0, timeMs: 0, timeNs: 0, flags: 0, count: 0, sum: undefined, bucketCounts: [], explicitBounds: [], exemplars: [], min: undefined, max: undefined },
              ],
            },
          },
          {
            name: 'exp',
            description: '',
            unit: '',
            metadata: [],
            data: {
              type: 'exponentialHistogram',
              temporality: 1,
              dataPoints: [
                {
                  attributes: attrs('e').slice(0, 3), startTimeMs: 1, startTimeNs: 1, timeMs: 2, timeNs: 2, flags: 0,
                  count: 9, sum: 1.25, scale: -5, zeroCount: 3, zeroThreshold: 1e-12,
                  positive: { offset: -7, bucketCounts: [1, 2, 3] }, negative: { offset: 2147483647, bucketCounts: [3] },
                  exemplars: [], min: -100, max: 0,
                },
                {
                  attributes: [], startTimeMs: 0, startTimeNs: 0, timeMs: 0, timeNs: 0, flags: 0, count: 0, sum: undefined, scale: 0, zeroCount: 0,
                  zeroThreshold: -0, positive: { offset: 0, bucketCounts: [] }, negative: { offset: -2147483648, bucketCounts: [] }, exemplars: [], min: undefined, max: undefined,
                },
              ],
            },
          },
          {
            name: 'summary',
            description: '',
            unit: '',
            metadata: [],
            data: {
              type: 'summary',
              dataPoints: [
                { attributes: [], startTimeMs: 0, startTimeNs: 0, timeMs: 3, timeNs: 0, flags: 1, count: 4, sum: NaN, quantileValues: [{ quantile: 0, value: -0 }, { quantile: 0.99, value: 1e-300 }] },
                { attributes: [], startTimeMs: 0, startTimeNs: 0, timeMs: 0, timeNs: 0, flags: 0, count: 0, sum: 0, quantileValues: [] },
              ],
            },
          },
          { name: 'untyped', description: 'no data oneof', unit: '', metadata: [], data: { type: 'empty' } },
        ],
      },
      { scope: EMPTY_SCOPE, schemaUrl: '', metrics: [] },
    ],
  },
  { resource: EMPTY_RESOURCE, schemaUrl: '', scopeMetrics: [] },
];

test('metrics round trip through OTLP/JSON', () => {
  const json = encodeMetricsRequestJson(METRICS);
  const back = decodeMetricsRequestJson(json);
  assert.equal(back.rejected, 0, back.rejectMessage);
  assert.deepEqual(back.data, METRICS);
  assert.equal(encodeMetricsRequestJson(back.data), json, 'encoding is deterministic');
});

const LOGS: ResourceLogs[] = [
  {
    resource: RESOURCE,
    schemaUrl: 'https://r',
    scopeLogs: [
      {
        scope: SCOPE,
        schemaUrl: 'https://s',
        logRecords: [
          ...VALUES.map((body, i) => ({
            timeMs: i === 0 ? MAX_MS : 1700000000000 + i,
            timeNs: i === 0 ? MAX_NS : i,
            observedTimeMs: i,
            observedTimeNs: 999999 - i,
            severityNumber: i % 25,
            severityText: i % 2 ? 'WARN' : '',
            body,
            attributes: i % 3 ? attrs('log').slice(i) : [],
            droppedAttributesCount: i,
            flags: i % 2 ? 0xffffffff : 0,
            traceId: i % 2 ? TRACE : NONE(),
            spanId: i % 3 ? SPAN : NONE(),
            eventName: i % 2 ? `event.${i}` : '',
          })),
          {
            timeMs: 0, timeNs: 0, observedTimeMs: 0, observedTimeNs: 0, severityNumber: 0, severityText: '', body: { kind: 'empty' },
            attributes: [], droppedAttributesCount: 0, flags: 0, traceId: NONE(), spanId: NONE(), eventName: '',
          },
        ],
      },
    ],
  },
];

test('logs round trip through OTLP/JSON', () => {
  const json = encodeLogsRequestJson(LOGS);
  const back = decodeLogsRequestJson(json);
  assert.equal(back.rejected, 0, back.rejectMessage);
  assert.deepEqual(back.data, LOGS);
});

const TRACES: ResourceSpans[] = [
  {
    resource: RESOURCE,
    schemaUrl: '',
    scopeSpans: [
      {
        scope: SCOPE,
        schemaUrl: '',
        spans: [0, 1, 2, 3, 4, 5].map((kind) => ({
          traceId: TRACE,
          spanId: bytes(`00000000000000${kind}f`),
          traceState: kind ? 'a=1,b=2' : '',
          parentSpanId: kind ? SPAN : NONE(),
          flags: kind * 0x101,
          name: kind ? `span ${kind}` : '',
          kind,
          startTimeMs: kind ? 1700000000000 : 0,
          startTimeNs: kind,
          endTimeMs: kind ? MAX_MS : 0,
          endTimeNs: kind ? MAX_NS : 0,
          attributes: attrs('span').slice(kind * 3),
          droppedAttributesCount: kind,
          events: kind % 2
            ? [
                { timeMs: 1, timeNs: 2, name: 'ev', attributes: attrs('ev').slice(0, 3), droppedAttributesCount: 4 },
                { timeMs: 0, timeNs: 0, name: '', attributes: [], droppedAttributesCount: 0 },
              ]
            : [],
          droppedEventsCount: kind * 2,
          links: kind % 2
            ? []
            : [
                { traceId: TRACE, spanId: SPAN, traceState: 'x=y', attributes: attrs('link').slice(0, 2), droppedAttributesCount: 1, flags: 0x301 },
                { traceId: NONE(), spanId: NONE(), traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 },
              ],
          droppedLinksCount: kind * 3,
          status: { code: kind % 3, message: kind % 2 ? 'msg' : '' },
        })),
      },
    ],
  },
];

test('traces round trip through OTLP/JSON', () => {
  const json = encodeTracesRequestJson(TRACES);
  const back = decodeTracesRequestJson(json);
  assert.equal(back.rejected, 0, back.rejectMessage);
  assert.deepEqual(back.data, TRACES);
});

test('empty requests encode as {} and decode to nothing', () => {
  assert.equal(encodeMetricsRequestJson([]), '{}');
  assert.equal(encodeLogsRequestJson([]), '{}');
  assert.equal(encodeTracesRequestJson([]), '{}');
  assert.deepEqual(decodeTracesRequestJson('{}'), { data: [], rejected: 0, rejectMessage: '' });
});

test('the encoder writes spec-conformant OTLP/JSON', () => {
  const span = TRACES[0].scopeSpans[0].spans[2];
  const json = encodeTracesRequestJson([{ resource: EMPTY_RESOURCE, schemaUrl: '', scopeSpans: [{ scope: EMPTY_SCOPE, schemaUrl: '', spans: [{ ...span, attributes: [{ key: 'n', value: { kind: 'int', value: 5 } }] }] }] }]);
  assert.equal(
    json,
    '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"000000000000002f",' +
      '"traceState":"a=1,b=2","parentSpanId":"a1a2a3a4a5a6a7a8","flags":514,"name":"span 2","kind":2,' +
      '"startTimeUnixNano":"1700000000000000002","endTimeUnixNano":"18446744073709551615",' +
      '"attributes":[{"key":"n","value":{"intValue":"5"}}],"droppedAttributesCount":2,"droppedEventsCount":4,' +
      '"links":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"a1a2a3a4a5a6a7a8","traceState":"x=y",' +
      '"attributes":[{"key":"link.0","value":{"stringValue":""}},{"key":"link.1","value":{"stringValue":' +
      JSON.stringify(VALUES[1].kind === 'string' ? VALUES[1].value : '') +
      '}}],"droppedAttributesCount":1,"flags":769},{}],"droppedLinksCount":6,"status":{"code":2}}]}]}]}',
  );
  const m = encodeMetricsRequestJson([{ resource: EMPTY_RESOURCE, schemaUrl: '', scopeMetrics: [{ scope: EMPTY_SCOPE, schemaUrl: '', metrics: [
    { name: 'g', description: '', unit: '', metadata: [], data: { type: 'gauge', dataPoints: [
      { attributes: [], startTimeMs: 0, startTimeNs: 0, timeMs: 1, timeNs: 0, flags: 0, valueType: 'double', value: 0, exemplars: [] },
      { attributes: [], startTimeMs: 0, startTimeNs: 0, timeMs: 0, timeNs: 7, flags: 0, valueType: 'double', value: NaN, exemplars: [] },
    ] } },
    { name: 'h', description: '', unit: '', metadata: [], data: { type: 'histogram', temporality: 1, dataPoints: [
      { attributes: [], startTimeMs: 0, startTimeNs: 0, timeMs: 0, timeNs: 0, flags: 0, count: 3, sum: 0, bucketCounts: [1, 2], explicitBounds: [Infinity], exemplars: [], min: undefined, max: -Infinity },
    ] } },
  ] }] }]);
  assert.equal(
    m,
    '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"name":"g","gauge":{"dataPoints":[{"timeUnixNano":"1000000","asDouble":0},' +
      '{"timeUnixNano":"7","asDouble":"NaN"}]}},{"name":"h","histogram":{"aggregationTemporality":1,"dataPoints":[' +
      '{"count":"3","sum":0,"bucketCounts":["1","2"],"explicitBounds":["Infinity"],"max":"-Infinity"}]}}]}]}]}',
  );
});
