/**
 * Hand-built model values for the codec's tests: every metric type, every
 * AnyValue kind and the edge values (NaN, ±Infinity, -0, int64 limits,
 * timestamps 0 and 2^64-1, empty strings, non-ASCII text). Test-only.
 */
import type { AnyValue, KeyValue, Resource } from '../../model/common';
import type { LogRecord, ResourceLogs } from '../../model/logs';
import type { ExponentialHistogramDataPoint, HistogramDataPoint, NumberDataPoint, ResourceMetrics } from '../../model/metrics';
import type { ResourceSpans, Span } from '../../model/traces';

export const INT64_MAX = 9223372036854775807n;
export const INT64_MIN = -9223372036854775808n;
/** 2^64-1 ns as the model stores it. */
export const MAX_TIME = { ms: 18446744073709, ns: 551615 };

export const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b);
export const seq = (n: number, from = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

const s = (value: string): AnyValue => ({ kind: 'string', value });
const int = (value: number | bigint): AnyValue => ({ kind: 'int', value });
const dbl = (value: number): AnyValue => ({ kind: 'double', value });
const kv = (key: string, value: AnyValue): KeyValue => ({ key, value });

/** One attribute of every AnyValue kind, with nesting and edge values. */
export function everyAnyValue(): KeyValue[] {
  return [
    kv('str', s('hello')),
    kv('str.empty', s('')),
    kv('str.unicode', s('naïve — 日本語 🚀')),
    kv('bool.true', { kind: 'bool', value: true }),
    kv('bool.false', { kind: 'bool', value: false }),
    kv('int.zero', int(0)),
    kv('int.neg', int(-42)),
    kv('int.safe.max', int(Number.MAX_SAFE_INTEGER)),
    kv('int.safe.min', int(-Number.MAX_SAFE_INTEGER)),
    kv('int.2^53', int(9007199254740992n)),
    kv('int64.max', int(INT64_MAX)),
    kv('int64.min', int(INT64_MIN)),
    kv('double', dbl(1.5)),
    kv('double.zero', dbl(0)),
    kv('double.negzero', dbl(-0)),
    kv('double.nan', dbl(NaN)),
    kv('double.inf', dbl(Infinity)),
    kv('double.-inf', dbl(-Infinity)),
    kv('double.tiny', dbl(5e-324)),
    kv('bytes', { kind: 'bytes', value: bytes(0, 1, 0xfe, 0xff) }),
    kv('bytes.empty', { kind: 'bytes', value: new Uint8Array(0) }),
    kv('array', {
      kind: 'array',
      value: [s('a'), int(1), dbl(2.5), { kind: 'bool', value: true }, { kind: 'empty' }, { kind: 'array', value: [] }],
    }),
    kv('kvlist', {
      kind: 'kvlist',
      value: [
        kv('inner', { kind: 'kvlist', value: [kv('deep', { kind: 'array', value: [int(INT64_MIN), s('x')] })] }),
        kv('', s('empty key')),
        kv('empty.list', { kind: 'kvlist', value: [] }),
      ],
    }),
    kv('empty', { kind: 'empty' }),
  ];
}

export function sampleResource(): Resource {
  return {
    attributes: [kv('service.name', s('checkout')), ...everyAnyValue()],
    droppedAttributesCount: 3,
    entityRefs: [
      { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0', type: 'service', idKeys: ['service.name'], descriptionKeys: ['str', 'bool.true'] },
      { schemaUrl: '', type: 'host', idKeys: [], descriptionKeys: [] },
    ],
  };
}

function numberPoint(p: Partial<NumberDataPoint>): NumberDataPoint {
  return {
    attributes: [], startTimeMs: 0, startTimeNs: 0, timeMs: 0, timeNs: 0, flags: 0,
    valueType: 'none', value: 0, exemplars: [], ...p,
  };
}

function histogramPoint(p: Partial<HistogramDataPoint>): HistogramDataPoint {
  return {
    attributes: [], startTimeMs: 0, startTimeNs: 0, timeMs: 0, timeNs: 0, flags: 0,
    count: 0, sum: undefined, bucketCounts: [], explicitBounds: [], exemplars: [], min: undefined, max: undefined, ...p,
  };
}

function expPoint(p: Partial<ExponentialHistogramDataPoint>): ExponentialHistogramDataPoint {
  return {
    attributes: [], startTimeMs: 0, startTimeNs: 0, timeMs: 0, timeNs: 0, flags: 0,
    count: 0, sum: undefined, scale: 0, zeroCount: 0,
    positive: { offset: 0, bucketCounts: [] }, negative: { offset: 0, bucketCounts: [] },
    exemplars: [], min: undefined, max: undefined, zeroThreshold: 0, ...p,
  };
}

const T0 = { startTimeMs: 1700000000000, startTimeNs: 1, timeMs: 1700000060000, timeNs: 999999 };

export function sampleMetrics(): ResourceMetrics[] {
  const exemplars = [
    {
      filteredAttributes: [kv('user', s('u1'))], timeMs: 1700000001234, timeNs: 567890,
      valueType: 'double' as const, value: 0.25, spanId: seq(8), traceId: seq(16, 100),
    },
    { filteredAttributes: [], timeMs: 0, timeNs: 0, valueType: 'int' as const, value: INT64_MIN, spanId: new Uint8Array(0), traceId: new Uint8Array(0) },
    { filteredAttributes: [], timeMs: 0, timeNs: 7, valueType: 'none' as const, value: 0, spanId: new Uint8Array(0), traceId: new Uint8Array(0) },
  ];
  return [
    {
      resource: sampleResource(),
      schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      scopeMetrics: [
        {
          scope: { name: 'io.test.meter', version: '1.2.3', attributes: [kv('scope.attr', int(7))], droppedAttributesCount: 1 },
          schemaUrl: 'scope-schema',
          metrics: [
            {
              name: 'gauge.mixed', description: 'every value kind', unit: '1', metadata: [kv('meta', s('data'))],
              data: {
                type: 'gauge',
                dataPoints: [
                  numberPoint({ ...T0, valueType: 'int', value: 42, attributes: [kv('k', s('v'))], exemplars }),
                  numberPoint({ valueType: 'int', value: INT64_MAX, timeMs: MAX_TIME.ms, timeNs: MAX_TIME.ns, flags: 1 }),
                  numberPoint({ valueType: 'int', value: -1 }),
                  numberPoint({ valueType: 'double', value: 0 }),
                  numberPoint({ valueType: 'double', value: -0 }),
                  numberPoint({ valueType: 'double', value: NaN }),
                  numberPoint({ valueType: 'double', value: -Infinity }),
                  numberPoint({ valueType: 'none', value: 0, timeMs: 1, timeNs: 0 }),
                ],
              },
            },
            {
              name: 'sum.delta', description: '', unit: 'By', metadata: [],
              data: { type: 'sum', temporality: 1, isMonotonic: true, dataPoints: [numberPoint({ ...T0, valueType: 'double', value: 1e308 })] },
            },
            {
              name: 'sum.cumulative', description: '', unit: '', metadata: [],
              data: { type: 'sum', temporality: 2, isMonotonic: false, dataPoints: [numberPoint({ ...T0, valueType: 'int', value: -Number.MAX_SAFE_INTEGER })] },
            },
            { name: 'sum.no.points', description: '', unit: '', metadata: [], data: { type: 'sum', temporality: 0, isMonotonic: false, dataPoints: [] } },
            {
              name: 'histogram', description: 'latência em µs', unit: 'us', metadata: [],
              data: {
                type: 'histogram', temporality: 2,
                dataPoints: [
                  histogramPoint({
                    ...T0, count: 12, sum: 123.5, min: -0, max: 99.5,
                    bucketCounts: [1, 2, 0, 9], explicitBounds: [-Infinity, 0, 10.5], exemplars: exemplars.slice(0, 1),
                    attributes: [kv('route', s('/a'))], flags: 1,
                  }),
                  histogramPoint({ count: 2 ** 53 - 1, sum: 0, min: 0, max: 0 }),
                  histogramPoint({ count: 0 }),
                ],
              },
            },
            {
              name: 'exponential', description: '', unit: 's', metadata: [],
              data: {
                type: 'exponentialHistogram', temporality: 1,
                dataPoints: [
                  expPoint({
                    ...T0, count: 30, sum: -4.25, scale: -3, zeroCount: 3, zeroThreshold: 1e-9,
                    positive: { offset: -5, bucketCounts: [1, 0, 2 ** 40, 7] },
                    negative: { offset: 12, bucketCounts: [4] },
                    exemplars: exemplars.slice(1, 2), min: -10, max: 20, attributes: [kv('a', { kind: 'bool', value: false })],
                  }),
                  expPoint({ scale: 20, positive: { offset: 0, bucketCounts: [5] } }),
                ],
              },
            },
            {
              name: 'summary', description: '', unit: '', metadata: [],
              data: {
                type: 'summary',
                dataPoints: [
                  {
                    ...T0, attributes: [], flags: 0, count: 10, sum: 55.5,
                    quantileValues: [{ quantile: 0, value: 1 }, { quantile: 0.5, value: 5.5 }, { quantile: 1, value: 10 }],
                  },
                  { startTimeMs: 0, startTimeNs: 0, timeMs: 0, timeNs: 0, attributes: [], flags: 0, count: 0, sum: 0, quantileValues: [] },
                ],
              },
            },
            { name: 'no.data', description: 'oneof unset', unit: '', metadata: [], data: { type: 'empty' } },
          ],
        },
        { scope: { name: '', version: '', attributes: [], droppedAttributesCount: 0 }, metrics: [], schemaUrl: '' },
      ],
    },
    { resource: { attributes: [], droppedAttributesCount: 0, entityRefs: [] }, scopeMetrics: [], schemaUrl: '' },
  ];
}

function logRecord(p: Partial<LogRecord>): LogRecord {
  return {
    timeMs: 0, timeNs: 0, observedTimeMs: 0, observedTimeNs: 0, severityNumber: 0, severityText: '',
    body: { kind: 'empty' }, attributes: [], droppedAttributesCount: 0, flags: 0,
    traceId: new Uint8Array(0), spanId: new Uint8Array(0), eventName: '', ...p,
  };
}

export function sampleLogs(): ResourceLogs[] {
  const bodies = everyAnyValue().map((a) => a.value);
  return [
    {
      resource: sampleResource(),
      schemaUrl: '',
      scopeLogs: [
        {
          scope: { name: 'claude-code', version: '2.0.0', attributes: [], droppedAttributesCount: 0 },
          schemaUrl: 'logs-schema',
          logRecords: [
            logRecord({
              timeMs: 1700000000123, timeNs: 456789, observedTimeMs: MAX_TIME.ms, observedTimeNs: MAX_TIME.ns,
              severityNumber: 9, severityText: 'INFO', body: s('user prompt ✓'), attributes: everyAnyValue(),
              droppedAttributesCount: 2, flags: 0xffffffff, traceId: seq(16), spanId: seq(8, 200), eventName: 'claude_code.user_prompt',
            }),
            logRecord({ severityNumber: -1 }),
            ...bodies.map((body, i) => logRecord({ body, timeMs: i, timeNs: i })),
          ],
        },
      ],
    },
  ];
}

function span(p: Partial<Span>): Span {
  return {
    traceId: seq(16), spanId: seq(8), traceState: '', parentSpanId: new Uint8Array(0), flags: 0, name: '', kind: 0,
    startTimeMs: 0, startTimeNs: 0, endTimeMs: 0, endTimeNs: 0, attributes: [], droppedAttributesCount: 0,
    events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { message: '', code: 0 }, ...p,
  };
}

export function sampleTraces(): ResourceSpans[] {
  return [
    {
      resource: sampleResource(),
      schemaUrl: 'res-schema',
      scopeSpans: [
        {
          scope: { name: 'tracer', version: '', attributes: [], droppedAttributesCount: 0 },
          schemaUrl: '',
          spans: [
            span({
              name: 'GET /items', kind: 2, traceState: 'a=1,b=2', parentSpanId: seq(8, 50), flags: 0x301,
              startTimeMs: 1700000000000, startTimeNs: 1, endTimeMs: MAX_TIME.ms, endTimeNs: MAX_TIME.ns,
              attributes: everyAnyValue(), droppedAttributesCount: 1, droppedEventsCount: 2, droppedLinksCount: 3,
              events: [
                { timeMs: 1700000000001, timeNs: 5, name: 'exception', attributes: [kv('exception.message', s('boom'))], droppedAttributesCount: 4 },
                { timeMs: 0, timeNs: 0, name: '', attributes: [], droppedAttributesCount: 0 },
              ],
              links: [
                { traceId: seq(16, 7), spanId: seq(8, 9), traceState: 'x=y', attributes: [kv('l', int(1))], droppedAttributesCount: 1, flags: 0x101 },
                { traceId: new Uint8Array(0), spanId: new Uint8Array(0), traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 },
              ],
              status: { message: 'it failed', code: 2 },
            }),
            span({ name: 'root', kind: 1, status: { message: '', code: 1 } }),
            span({ name: '' }),
          ],
        },
      ],
    },
  ];
}
