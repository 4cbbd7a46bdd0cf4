/**
 * Resources kept in their wire form: the skim accepts exactly what decodes
 * unchanged, the encoder forwards their bytes, and the first look inside
 * turns them into ordinary model objects.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countItems, type Batch } from '../../model/batch';
import type { ResourceLogs } from '../../model/logs';
import { wireOf } from '../../model/wire';
import type { DecodeResult } from '../decode-result';
import { sampleLogs, sampleMetrics, sampleTraces } from './fixtures';
import { cat, fFixed64, fLen, fVarint, prng } from './fixtures-wire';
import {
  decodeLogsRequest,
  decodeLogsRequestWire,
  decodeMetricsRequest,
  decodeMetricsRequestWire,
  decodeTracesRequest,
  decodeTracesRequestWire,
  encodeLogsRequest,
  encodeMetricsRequest,
  encodeTracesRequest,
} from './index';

interface Codec {
  name: 'metrics' | 'logs' | 'traces';
  sample: () => unknown[];
  encode: (data: never[]) => Uint8Array;
  decode: (buf: Uint8Array) => DecodeResult<unknown>;
  wire: (buf: Uint8Array) => DecodeResult<unknown>;
}

const CODECS: Codec[] = [
  { name: 'metrics', sample: sampleMetrics, encode: encodeMetricsRequest as Codec['encode'], decode: decodeMetricsRequest, wire: decodeMetricsRequestWire },
  { name: 'logs', sample: sampleLogs, encode: encodeLogsRequest as Codec['encode'], decode: decodeLogsRequest, wire: decodeLogsRequestWire },
  { name: 'traces', sample: sampleTraces, encode: encodeTracesRequest as Codec['encode'], decode: decodeTracesRequest, wire: decodeTracesRequestWire },
];

const batchOf = (signal: Codec['name'], data: unknown[]): Batch =>
  (signal === 'metrics' ? { signal, resourceMetrics: data } : signal === 'logs' ? { signal, resourceLogs: data } : { signal, resourceSpans: data }) as Batch;

/** Two copies of the sample under different resources, so requests hold several. */
function request(c: Codec): Uint8Array {
  return c.encode([...c.sample(), ...c.sample()] as never[]);
}

for (const c of CODECS) {
  test(`${c.name}: an untouched wire resource counts its items and encodes to the bytes it came in`, () => {
    const buf = request(c);
    const eager = c.decode(buf);
    const wire = c.wire(buf);
    assert.equal(wire.rejected, 0);
    assert.equal(wire.data.length, eager.data.length);
    for (const rx of wire.data) assert.ok(wireOf(rx as object), 'every resource stays in wire form');
    assert.equal(countItems(batchOf(c.name, wire.data)), countItems(batchOf(c.name, eager.data)));
    assert.ok(countItems(batchOf(c.name, eager.data)) > 0);
    assert.deepStrictEqual(c.encode(wire.data as never[]), buf);
    for (const rx of wire.data) assert.ok(wireOf(rx as object), 'counting and encoding do not decode');
  });

  test(`${c.name}: the first look decodes; copies and JSON see the decoded data`, () => {
    const buf = request(c);
    const eager = c.decode(buf).data;
    const spread = c.wire(buf).data.map((rx) => ({ ...(rx as object) }));
    assert.deepStrictEqual(spread, eager);
    assert.deepStrictEqual(structuredClone(c.wire(buf).data), eager);
    assert.equal(JSON.stringify(c.wire(buf).data, (_k, v) => (typeof v === 'bigint' ? String(v) : v)), JSON.stringify(eager, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));
    const wire = c.wire(buf).data;
    assert.deepStrictEqual(wire, eager);
    for (const rx of wire) assert.equal(wireOf(rx as object), undefined, 'decoded resources forget their bytes');
  });

  test(`${c.name}: a change made after decoding is what gets encoded`, () => {
    const buf = request(c);
    const wire = c.wire(buf).data as Array<{ resource: { attributes: unknown[] }; schemaUrl: string }>;
    wire[0].resource.attributes.push({ key: 'added.here', value: { kind: 'string', value: 'yes' } });
    wire[1].schemaUrl = 'changed';
    const out = c.decode(c.encode(wire as never[])).data as typeof wire;
    assert.deepStrictEqual(out[0].resource.attributes.at(-1), { key: 'added.here', value: { kind: 'string', value: 'yes' } });
    assert.equal(out[1].schemaUrl, 'changed');
    assert.deepStrictEqual(out.slice(2), (c.decode(buf).data as typeof wire).slice(2));
  });

  test(`${c.name}: mutated requests: the wire decoder fails, rejects and counts exactly as the decoder`, () => {
    const rand = prng(0x5eed + c.name.length);
    const base = request(c);
    let kept = 0;
    let failed = 0;
    for (let n = 0; n < 3000; n++) {
      let buf: Uint8Array = Uint8Array.from(base);
      const op = rand();
      if (op < 0.6) {
        const flips = 1 + Math.floor(rand() * 3);
        for (let k = 0; k < flips; k++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      } else if (op < 0.8) buf = buf.slice(0, Math.floor(rand() * buf.length));
      else {
        const at = Math.floor(rand() * buf.length);
        buf = cat(buf.slice(0, at), [Math.floor(rand() * 256)], buf.slice(at));
      }
      let eager: DecodeResult<unknown> | Error;
      try {
        eager = c.decode(buf);
      } catch (e) {
        eager = e as Error;
      }
      let wire: DecodeResult<unknown> | Error;
      try {
        wire = c.wire(buf);
      } catch (e) {
        wire = e as Error;
      }
      if (eager instanceof Error) {
        failed++;
        assert.ok(wire instanceof Error, `case ${n}: the decoder failed (${eager.message}) but the wire decoder did not`);
        assert.equal(wire.message, eager.message);
        continue;
      }
      assert.ok(!(wire instanceof Error), `case ${n}: the wire decoder failed: ${(wire as Error).message}`);
      assert.equal(wire.rejected, eager.rejected);
      assert.equal(wire.rejectMessage, eager.rejectMessage);
      assert.equal(countItems(batchOf(c.name, wire.data)), countItems(batchOf(c.name, eager.data)), `case ${n}: item counts`);
      if (wire.data.some((rx) => wireOf(rx as object))) {
        kept++;
        assert.equal(eager.rejected, 0, `case ${n}: kept in wire form although the decoder rejects items`);
        // Forwarded bytes mean what the decoder read from them.
        assert.deepStrictEqual(c.decode(c.encode(wire.data as never[])).data, eager.data, `case ${n}`);
      }
      assert.deepStrictEqual(wire.data, eager.data, `case ${n}`);
    }
    assert.ok(kept > 100 && failed > 100, `both outcomes exercised (kept ${kept}, failed ${failed})`);
  });
}

/** One ResourceLogs → ScopeLogs → LogRecord request around `record` (LogRecord fields). */
const logRequest = (...record: number[][]) => cat(fLen(1, fLen(2, fLen(2, ...record))));
const attr = (key: string | number[], value: number[]) => fLen(6, fLen(1, typeof key === 'string' ? key : Uint8Array.from(key)), fLen(2, value));

test('requests the decoder would change or reject are decoded instead of forwarded', () => {
  const nested = (depth: number): number[] => (depth === 0 ? fLen(1, 'leaf') : fLen(5, fLen(1, nested(depth - 1))));
  const cases: Array<[string, Uint8Array, (buf: Uint8Array) => DecodeResult<unknown>]> = [
    ['invalid UTF-8 in a value', logRequest(attr('k', [0x0a, 2, 0xc3, 0x28])), decodeLogsRequestWire],
    ['invalid UTF-8 in a key', logRequest(attr([0xff], fLen(1, 'v'))), decodeLogsRequestWire],
    ['a trace id of 3 bytes', logRequest(fLen(9, [1, 2, 3])), decodeLogsRequestWire],
    ['a span id of 9 bytes', logRequest(fLen(10, [1, 2, 3, 4, 5, 6, 7, 8, 9])), decodeLogsRequestWire],
    ['a metric without a name', cat(fLen(1, fLen(2, fLen(2, fLen(5, fLen(1, fFixed64(4, 1))))))), decodeMetricsRequestWire],
    ['a metric with two data members', cat(fLen(1, fLen(2, fLen(2, fLen(1, 'm'), fLen(5, fLen(1, fFixed64(4, 1))), fLen(7, fLen(1, fFixed64(4, 1))))))), decodeMetricsRequestWire],
    ['histogram buckets that do not fit the bounds', cat(fLen(1, fLen(2, fLen(2, fLen(1, 'h'), fLen(9, fLen(1, fLen(6, [...fixed64Bytes(1), ...fixed64Bytes(2)]))))))), decodeMetricsRequestWire],
    ['an exemplar with a 5-byte trace id', cat(fLen(1, fLen(2, fLen(2, fLen(1, 'g'), fLen(5, fLen(1, fLen(5, fLen(5, [1, 2, 3, 4, 5])))))))), decodeMetricsRequestWire],
    ['a span without a span id', cat(fLen(1, fLen(2, fLen(2, fLen(1, new Array(16).fill(1)))))), decodeTracesRequestWire],
    ['a link with a 4-byte span id', cat(fLen(1, fLen(2, fLen(2, fLen(1, new Array(16).fill(1)), fLen(2, new Array(8).fill(2)), fLen(13, fLen(2, [1, 2, 3, 4])))))), decodeTracesRequestWire],
  ];
  for (const [why, buf, wire] of cases) {
    const out = wire(buf);
    assert.ok(out.data.length > 0, why);
    for (const rx of out.data) assert.equal(wireOf(rx as object), undefined, why);
  }
  const deep = logRequest(fLen(5, nested(70)));
  assert.throws(() => decodeLogsRequestWire(deep), (e: Error) => e.message === (() => {
    try {
      decodeLogsRequest(deep);
    } catch (err) {
      return (err as Error).message;
    }
    return 'no error';
  })() && /nested deeper than 64/.test(e.message));
  // The same shapes with valid content stay in wire form (so the cases above test what they say).
  const fine: Array<[string, Uint8Array, (buf: Uint8Array) => DecodeResult<unknown>]> = [
    ['UTF-8 beyond ASCII', logRequest(attr('ключ', fLen(1, 'значение ✓'))), decodeLogsRequestWire],
    ['a 16-byte trace id', logRequest(fLen(9, new Array(16).fill(1)), fVarint(2, 9)), decodeLogsRequestWire],
    ['AnyValue nested within the limit', logRequest(fLen(5, nested(60))), decodeLogsRequestWire],
    ['a named gauge', cat(fLen(1, fLen(2, fLen(2, fLen(1, 'm'), fLen(5, fLen(1, fFixed64(4, 1))))))), decodeMetricsRequestWire],
    ['a span with both ids', cat(fLen(1, fLen(2, fLen(2, fLen(1, new Array(16).fill(1)), fLen(2, new Array(8).fill(2)))))), decodeTracesRequestWire],
  ];
  for (const [why, buf, wire] of fine) {
    const out = wire(buf);
    assert.ok(out.data.length > 0 && out.data.every((rx) => wireOf(rx as object)), why);
  }
});

test('a length byte of 0x80 or more is a varint, not a length, in the attribute shortcut too', () => {
  // KeyValue { key "k", value: AnyValue whose length prefix is 0x85 0x0a (1285) but whose
  // KeyValue ends 133 bytes after it: the value runs past its message.
  const value = [0x0a, 0x83, ...Buffer.from('a'.repeat(131))];
  const kv = [0x0a, 1, 0x6b, 0x12, 0x85, ...value];
  const buf = cat(fLen(1, fLen(2, fLen(2, fLen(6, kv)))));
  let expected = '';
  try {
    decodeLogsRequest(buf);
  } catch (e) {
    expected = (e as Error).message;
  }
  assert.match(expected, /runs past|past the end/);
  assert.throws(() => decodeLogsRequestWire(buf), (e: Error) => e.message === expected);
});

function fixed64Bytes(v: number): number[] {
  return fFixed64(1, v).slice(1);
}

test('a wire resource read through the ResourceLogs type behaves as one', () => {
  const buf = encodeLogsRequest(sampleLogs());
  const [rl] = decodeLogsRequestWire(buf).data as ResourceLogs[];
  assert.ok(wireOf(rl));
  assert.deepStrictEqual(Object.keys(rl), ['resource', 'scopeLogs', 'schemaUrl']);
  assert.equal(rl.scopeLogs[0].logRecords.length, sampleLogs()[0].scopeLogs[0].logRecords.length);
  assert.equal(wireOf(rl), undefined);
  assert.deepStrictEqual(Object.keys(rl), ['resource', 'scopeLogs', 'schemaUrl']);
});
