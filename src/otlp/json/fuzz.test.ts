/**
 * Random mutations of valid OTLP/JSON documents (seeded, so failures
 * reproduce): the decoders either throw OtlpDecodeError or return data that
 * re-encodes and decodes to itself with nothing rejected.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OtlpDecodeError } from '../decode-result';
import { prng } from '../proto/fixtures-wire';
import {
  decodeLogsRequestJson,
  decodeMetricsRequestJson,
  decodeTracesRequestJson,
  encodeLogsRequestJson,
  encodeMetricsRequestJson,
  encodeTracesRequestJson,
} from './index';

const ATTRS = `[{"key":"s","value":{"stringValue":"v"}},{"key":"i","value":{"intValue":"-9007199254740993"}},
  {"key":"d","value":{"doubleValue":"NaN"}},{"key":"b","value":{"boolValue":true}},{"key":"y","value":{"bytesValue":"AQID"}},
  {"key":"a","value":{"arrayValue":{"values":[{"intValue":1},{"kvlistValue":{"values":[{"key":"n","value":{"doubleValue":1.5}}]}}]}}}]`;
const IDS = '"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"eee19b7ec3c1b174"';
const RES = `"resource":{"attributes":${ATTRS},"droppedAttributesCount":1,"entityRefs":[{"type":"t","idKeys":["s"]}]}`;
const SCOPE = `"scope":{"name":"n","version":"v","attributes":${ATTRS}}`;
const TIMES = '"startTimeUnixNano":"1700000000000000001","timeUnixNano":1700000000000000002';

type Signal = {
  name: string;
  doc: string;
  decode: (b: string) => { data: unknown[]; rejected: number };
  encode: (d: never[]) => string;
};

const SIGNALS: Signal[] = [
  {
    name: 'metrics',
    doc: `{"resourceMetrics":[{${RES},"scopeMetrics":[{${SCOPE},"metrics":[
      {"name":"g","gauge":{"dataPoints":[{${TIMES},"asInt":"5","attributes":${ATTRS},"exemplars":[{${IDS},"asDouble":1,"timeUnixNano":"3"}]}]}},
      {"name":"s","sum":{"aggregationTemporality":1,"isMonotonic":true,"dataPoints":[{${TIMES},"asDouble":"Infinity","flags":1}]}},
      {"name":"h","histogram":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_CUMULATIVE","dataPoints":[{${TIMES},"count":"3","sum":1.5,"bucketCounts":["1","1","1"],"explicitBounds":[0,10],"min":0,"max":20}]}},
      {"name":"e","exponential_histogram":{"aggregation_temporality":2,"data_points":[{${TIMES},"count":6,"scale":3,"zero_count":1,"positive":{"offset":-1,"bucket_counts":[1,2]},"negative":{"bucketCounts":["2"]},"zeroThreshold":0.001}]}},
      {"name":"q","summary":{"dataPoints":[{${TIMES},"count":2,"sum":3,"quantileValues":[{"quantile":0.5,"value":1},{"quantile":1,"value":2}]}]}}
    ]}]}]}`,
    decode: decodeMetricsRequestJson,
    encode: encodeMetricsRequestJson as Signal['encode'],
  },
  {
    name: 'logs',
    doc: `{"resource_logs":[{${RES},"scope_logs":[{${SCOPE},"log_records":[
      {"timeUnixNano":"1700000000000000001","observedTimeUnixNano":"1700000000000000002","severityNumber":"SEVERITY_NUMBER_INFO","severityText":"INFO",
       "body":{"kvlistValue":{"values":${ATTRS}}},"attributes":${ATTRS},"droppedAttributesCount":2,"flags":1,${IDS},"eventName":"e"},
      {"body":{"stringValue":"x"},"severity_number":9}
    ]}]}]}`,
    decode: decodeLogsRequestJson,
    encode: encodeLogsRequestJson as Signal['encode'],
  },
  {
    name: 'traces',
    doc: `{"resourceSpans":[{${RES},"scopeSpans":[{${SCOPE},"spans":[
      {${IDS},"parentSpanId":"EEE19B7EC3C1B173","traceState":"a=b","flags":257,"name":"s","kind":"SPAN_KIND_CLIENT",
       "startTimeUnixNano":"1700000000000000001","endTimeUnixNano":"1700000000000000002","attributes":${ATTRS},
       "events":[{"timeUnixNano":"1700000000000000001","name":"ev","attributes":${ATTRS}}],"droppedEventsCount":1,
       "links":[{${IDS},"traceState":"x=y","attributes":${ATTRS},"flags":256}],"status":{"code":"STATUS_CODE_ERROR","message":"m"}},
      {${IDS},"kind":2,"status":{"code":1}}
    ]}]}]}`,
    decode: decodeTracesRequestJson,
    encode: encodeTracesRequestJson as Signal['encode'],
  },
];

const ODD_VALUES: unknown[] = [
  null, true, false, 0, -1, 1.5, -0.5, 2 ** 64, 1e300, -1e300, '', 'x', 'NaN', 'Infinity', '-1', '1.5', '007',
  '18446744073709551615', '18446744073709551616', '9223372036854775808', '5B8EFFF798038103D269B633813FC60C', 'eee19b7ec3c1b174',
  'zz', 'AAH+/w==', 'SPAN_KIND_SERVER', 'SEVERITY_NUMBER_BOGUS', '__proto__', 'constructor', {}, [], [null], [[]], [{}],
  { stringValue: 1 }, { intValue: '1', doubleValue: 2 }, { arrayValue: { values: [{}] } }, { values: null }, { key: 'k' },
];

type Node = Record<string, unknown> | unknown[];

/** Every (container, key) slot in the tree. */
function slots(root: unknown): [Node, string | number][] {
  const out: [Node, string | number][] = [];
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const n = stack.pop();
    if (Array.isArray(n)) n.forEach((v, i) => (out.push([n, i]), stack.push(v)));
    else if (n !== null && typeof n === 'object')
      for (const k of Object.keys(n)) out.push([n as Node, k]), stack.push((n as Record<string, unknown>)[k]);
  }
  return out;
}

function pick<T>(rnd: () => number, a: readonly T[]): T {
  return a[Math.floor(rnd() * a.length)];
}

function snake(k: string): string {
  return k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase());
}

function mutateTree(doc: unknown, rnd: () => number): unknown {
  const root = structuredClone(doc);
  const n = 1 + Math.floor(rnd() * 3);
  for (let m = 0; m < n; m++) {
    const all = slots(root);
    if (all.length === 0) break;
    const [parent, key] = pick(rnd, all);
    const obj = parent as Record<string | number, unknown>;
    switch (Math.floor(rnd() * 7)) {
      case 0:
      case 1:
        obj[key] = structuredClone(pick(rnd, ODD_VALUES));
        break;
      case 2:
        if (Array.isArray(parent)) parent.splice(Number(key), 1);
        else delete obj[key];
        break;
      case 3:
        obj[key] = rnd() < 0.5 ? [obj[key]] : { x: obj[key] };
        break;
      case 4:
        if (!Array.isArray(parent) && typeof key === 'string') {
          obj[rnd() < 0.7 ? snake(key) : key + 'X'] = obj[key];
          if (rnd() < 0.7) delete obj[key];
        }
        break;
      case 5:
        if (Array.isArray(parent)) parent.push(structuredClone(parent[Number(key)]));
        else obj[key] = structuredClone(root);
        break;
      default:
        obj[key] = typeof obj[key] === 'number' ? -(obj[key] as number) : String(obj[key]);
    }
  }
  return root;
}

function mutateText(text: string, rnd: () => number): string {
  const i = Math.floor(rnd() * text.length);
  switch (Math.floor(rnd() * 4)) {
    case 0:
      return text.slice(0, i) + text.slice(i + 1);
    case 1:
      return text.slice(0, i) + pick(rnd, ['{', '}', '[', ']', '"', ',', ':', '0', '-', '\\', 'e', ' ']) + text.slice(i);
    case 2:
      return text.slice(0, i) + pick(rnd, ['"', '1', 'x', '\u0000', '\uFDD0']) + text.slice(i + 1);
    default: // a bare number literal far beyond 2^53 in place of some value
      return text.replace(/"(\w+)":("[^"]*"|-?\d[\d.eE+-]*|true|false|null)/g, (m, k: string) =>
        rnd() < 0.05 ? `"${k}":${pick(rnd, ['123456789012345678901234567890', '-9223372036854775809', '18446744073709551615', '1e400'])}` : m,
      );
  }
}

function check(s: Signal, body: string, label: string): 'ok' | 'error' {
  let r: { data: unknown[]; rejected: number };
  try {
    r = s.decode(body);
  } catch (e) {
    assert.ok(e instanceof OtlpDecodeError, `${label}: ${String(e)}\n${body.slice(0, 400)}`);
    assert.doesNotMatch(e.message, /internal decoder error/, label);
    assert.match(e.message, /^invalid (JSON|OTLP\/JSON): /, label);
    return 'error';
  }
  assert.ok(Array.isArray(r.data) && Number.isInteger(r.rejected) && r.rejected >= 0, label);
  const again = s.decode(s.encode(r.data as never[]));
  assert.equal(again.rejected, 0, label);
  assert.deepEqual(again.data, r.data, `${label}: decode(encode(decoded)) differs\n${body.slice(0, 400)}`);
  return 'ok';
}

for (const s of SIGNALS) {
  test(`${s.name}: 1500 random mutations only ever raise OtlpDecodeError`, () => {
    assert.equal(check(s, s.doc, 'unmutated'), 'ok');
    const parsed: unknown = JSON.parse(s.doc);
    const rnd = prng(0x5eed + s.name.length);
    const seen = { ok: 0, error: 0 };
    for (let i = 0; i < 1000; i++) seen[check(s, JSON.stringify(mutateTree(parsed, rnd)), `${s.name} tree #${i}`)]++;
    for (let i = 0; i < 500; i++) seen[check(s, mutateText(s.doc, rnd), `${s.name} text #${i}`)]++;
    // Both outcomes must actually be exercised, or the mutations are too tame / too wild.
    assert.ok(seen.ok > 100 && seen.error > 100, JSON.stringify(seen));
  });
}
