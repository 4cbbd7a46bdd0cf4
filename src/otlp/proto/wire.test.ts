/**
 * Wire-format details the round trips do not reach: packed and unpacked
 * repeated scalars, unknown fields of every wire type, non-minimal varints,
 * invalid UTF-8, oneof "last wins", and the reader's integer conversions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtoReader, signed64 } from './reader';
import {
  cat, double, fDouble, fFixed32, fFixed64, fLen, fVarint, fixed64, tag, varint,
} from './fixtures-wire';
import { decodeLogsRequest, decodeMetricsRequest, decodeTracesRequest, encodeMetricsRequest } from './index';

const metricsReq = (...metric: number[][]) => Uint8Array.from(fLen(1, fLen(2, fLen(2, fLen(1, 'm'), ...metric))));

function firstPoint(buf: Uint8Array) {
  const m = decodeMetricsRequest(buf).data[0].scopeMetrics[0].metrics[0];
  if (m.data.type === 'empty' || m.data.dataPoints.length === 0) throw new Error('no point');
  return m.data.dataPoints[0] as unknown as Record<string, unknown>;
}

test('histogram bucket_counts and explicit_bounds decode packed, unpacked and mixed', () => {
  const packed = fLen(9, fLen(1, fLen(6, ...[1, 2, 3].map(fixed64)), fLen(7, double(0.5), double(5))));
  const unpacked = fLen(9, fLen(1, fFixed64(6, 1), fFixed64(6, 2), fFixed64(6, 3), fDouble(7, 0.5), fDouble(7, 5)));
  const mixed = fLen(9, fLen(1, fFixed64(6, 1), fLen(6, fixed64(2)), fDouble(7, 0.5), fFixed64(6, 3), fLen(7, double(5))));
  for (const h of [packed, unpacked, mixed]) {
    const p = firstPoint(metricsReq(h));
    assert.deepStrictEqual(p.bucketCounts, [1, 2, 3]);
    assert.deepStrictEqual(p.explicitBounds, [0.5, 5]);
  }
});

test('exponential bucket counts (uint64 varints) decode packed and unpacked', () => {
  const big = 2 ** 53 - 1;
  const packed = fLen(10, fLen(1, fLen(8, fVarint(1, 9), fLen(2, varint(1), varint(300), varint(big)))));
  const unpacked = fLen(10, fLen(1, fLen(8, fVarint(1, 9), fVarint(2, 1), fVarint(2, 300), fVarint(2, big))));
  for (const e of [packed, unpacked]) {
    const p = firstPoint(metricsReq(e));
    assert.deepStrictEqual(p.positive, { offset: -5, bucketCounts: [1, 300, big] }, 'zigzag 9 is -5');
  }
});

test('unknown fields of every wire type are skipped at every level', () => {
  const junk = cat(fVarint(90, 2n ** 64n - 1n), fFixed64(91, 7), fLen(92, 'x'.repeat(200)), fFixed32(93, 1), [...tag(94, 3), ...fVarint(1, 1), ...fLen(2, 'g'), ...tag(94, 4)]);
  const kv = fLen(7, fLen(1, 'k'), junk, fLen(2, junk, fLen(1, 'v')));
  const point = fLen(1, junk, fDouble(4, 2.5), kv);
  const req = Uint8Array.from(cat(junk, fLen(1, junk, fLen(2, junk, fLen(2, junk, fLen(1, 'name'), fLen(5, junk, point))))));
  const out = decodeMetricsRequest(req);
  const m = out.data[0].scopeMetrics[0].metrics[0];
  assert.equal(m.name, 'name');
  assert.deepStrictEqual(m.data.type === 'gauge' && m.data.dataPoints.map((p) => [p.value, p.attributes]), [
    [2.5, [{ key: 'k', value: { kind: 'string', value: 'v' } }]],
  ]);
});

test('non-minimal varints (padded lengths and tags) are accepted', () => {
  // Metric name with a 3-byte length prefix and a padded tag.
  const metric = [0x8a, 0x00, 0x83, 0x80, 0x00, ...Buffer.from('abc')];
  const req = Uint8Array.from(fLen(1, fLen(2, fLen(2, metric))));
  assert.equal(decodeMetricsRequest(req).data[0].scopeMetrics[0].metrics[0].name, 'abc');
});

test('invalid UTF-8 decodes with replacement characters instead of throwing', () => {
  const bad = [0x61, 0xff, 0x62, 0xc3, 0x28, 0xe2, 0x82];
  const req = Uint8Array.from(fLen(1, fLen(2, fLen(2, fLen(12, bad), fLen(6, fLen(1, bad), fLen(2, fLen(1, bad)))))));
  const rec = decodeLogsRequest(req).data[0].scopeLogs[0].logRecords[0];
  assert.equal(rec.eventName, 'a\ufffdb\ufffd(\ufffd');
  assert.deepStrictEqual(rec.attributes[0], { key: rec.eventName, value: { kind: 'string', value: rec.eventName } });
});

test('oneofs: the last member on the wire wins', () => {
  const p = firstPoint(metricsReq(fLen(5, fLen(1, fDouble(4, 1.5), fFixed64(6, -3n)))));
  assert.deepStrictEqual([p.valueType, p.value], ['int', -3]);
  const av = fLen(1, fLen(1, fLen(1, fLen(1, 'k'), fLen(2, fLen(1, 's'), fVarint(2, 1)))));
  const attr = decodeTracesRequest(Uint8Array.from(av)).data[0].resource.attributes[0];
  assert.deepStrictEqual(attr.value, { kind: 'bool', value: true });
  const twoTypes = decodeMetricsRequest(metricsReq(fLen(5), fLen(7, fVarint(3, 1))));
  assert.equal(twoTypes.data[0].scopeMetrics[0].metrics[0].data.type, 'sum');
});

test('int32 enums sent as 10-byte negative varints, and uint32 fields with oversized varints', () => {
  const rec = fLen(2, fVarint(2, -1), fVarint(7, 2n ** 32n + 5n), fFixed32(8, 0xffffffff));
  const out = decodeLogsRequest(Uint8Array.from(fLen(1, fLen(2, rec)))).data[0].scopeLogs[0].logRecords[0];
  assert.equal(out.severityNumber, -1);
  assert.equal(out.droppedAttributesCount, 5, 'uint32 keeps the low 32 bits, as protobuf does');
  assert.equal(out.flags, 0xffffffff);
});

test('the reader converts 64-bit integers exactly: numbers within ±(2^53-1), bigints beyond', () => {
  const cases: [bigint, number | bigint][] = [
    [0n, 0], [1n, 1], [-1n, -1], [2n ** 53n - 1n, 2 ** 53 - 1], [-(2n ** 53n - 1n), -(2 ** 53 - 1)],
    [2n ** 53n, 2n ** 53n], [-(2n ** 53n), -(2n ** 53n)], [2n ** 63n - 1n, 2n ** 63n - 1n], [-(2n ** 63n), -(2n ** 63n)],
    [4294967296n, 4294967296], [-4294967296n, -4294967296],
  ];
  for (const [v, want] of cases) {
    const r = new ProtoReader(Uint8Array.from([...varint(v), ...fixed64(v)]));
    assert.equal(r.int64(), want, `varint ${v}`);
    assert.equal(r.sfixed64(), want, `sfixed64 ${v}`);
    const hi = Number(BigInt.asUintN(32, v >> 32n));
    const lo = Number(BigInt.asUintN(32, v));
    assert.equal(signed64(hi, lo), want);
  }
  const r = new ProtoReader(Uint8Array.from([...varint(-2), ...varint(2 ** 31), ...varint(0xffffffff)]));
  assert.equal(r.sint32(), 2 ** 31 - 1, 'a 64-bit varint is truncated to 32 bits before zigzag');
  assert.equal(r.sint32(), 2 ** 30);
  assert.equal(r.sint32(), -(2 ** 31));
});

test('sint32 extremes round trip through scale and offset', () => {
  const model = decodeMetricsRequest(metricsReq(fLen(10, fLen(1, fVarint(6, 0xffffffff), fLen(9, fVarint(1, 0xfffffffe)))))).data;
  const p = model[0].scopeMetrics[0].metrics[0].data;
  assert.ok(p.type === 'exponentialHistogram');
  assert.equal(p.dataPoints[0].scale, -(2 ** 31));
  assert.equal(p.dataPoints[0].negative.offset, 2 ** 31 - 1);
  assert.deepStrictEqual(decodeMetricsRequest(encodeMetricsRequest(model)).data, model);
});
