/**
 * Bad input never throws anything but OtlpDecodeError and never hangs:
 * truncation at every offset, seeded random and mutated bytes, wrong wire
 * types, lengths past the end, and nesting deep enough to threaten the stack.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OtlpDecodeError } from '../decode-result';
import { sampleLogs, sampleMetrics, sampleTraces } from './fixtures';
import { cat, fDouble, fFixed32, fLen, fVarint, prng, tag, varint } from './fixtures-wire';
import {
  decodeExportResponse, decodeLogsRequest, decodeMetricsRequest, decodeTracesRequest,
  encodeLogsRequest, encodeMetricsRequest, encodeTracesRequest, sniffProtoSignal,
} from './index';

const DECODERS = [
  { name: 'ExportMetricsServiceRequest', decode: decodeMetricsRequest, sample: () => encodeMetricsRequest(sampleMetrics()) },
  { name: 'ExportLogsServiceRequest', decode: decodeLogsRequest, sample: () => encodeLogsRequest(sampleLogs()) },
  { name: 'ExportTraceServiceRequest', decode: decodeTracesRequest, sample: () => encodeTracesRequest(sampleTraces()) },
] as const;

/** Runs `fn`; returns the OtlpDecodeError it threw or undefined; anything else fails the test. */
function outcome(fn: () => unknown): OtlpDecodeError | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof OtlpDecodeError) return e;
    throw new Error(`threw a non-OtlpDecodeError: ${(e as Error)?.stack ?? String(e)}`);
  }
}

for (const d of DECODERS) {
  test(`${d.name}: truncated at every byte offset`, () => {
    const full = d.sample();
    let errors = 0;
    for (let n = 0; n < full.length; n++) {
      const err = outcome(() => d.decode(full.subarray(0, n)));
      if (err) {
        errors++;
        assert.match(err.message, new RegExp(`^invalid protobuf: .+ at byte \\d+ in ${d.name}`));
        assert.equal(err.code, 'OTLP_DECODE');
      }
    }
    // Only cuts exactly between top-level resources can parse; everything else must fail.
    assert.ok(errors >= full.length - 3, `${errors} of ${full.length} truncations rejected`);
  });

  test(`${d.name}: seeded random and mutated bytes`, () => {
    const rand = prng(0xc0ffee);
    const sample = d.sample();
    const started = Date.now();
    let failures = 0;
    for (let i = 0; i < 3000; i++) {
      let buf: Uint8Array;
      if (i % 2 === 0) {
        buf = Uint8Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256));
      } else {
        buf = Uint8Array.from(sample);
        const flips = 1 + Math.floor(rand() * 4);
        for (let k = 0; k < flips; k++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
      }
      if (outcome(() => d.decode(buf))) failures++;
      assert.doesNotThrow(() => sniffProtoSignal(buf));
      outcome(() => decodeExportResponse('metrics', buf));
    }
    assert.ok(failures > 1000, `most random inputs are rejected (${failures})`);
    assert.ok(Date.now() - started < 20_000, 'bounded time');
  });
}

test('wrong wire types for known fields are skipped as unknown fields, as protobuf-go does', () => {
  // KeyValue.key (1) as varint, Metric.name sent as fixed32, a point's as_double (4) as varint,
  // Sum.is_monotonic (3) as a length-delimited field.
  const point = cat(fVarint(4, 7), fLen(7, fVarint(1, 5), fLen(2, fLen(1, 'v'))));
  const metric = cat(fFixed32(1, 1), fLen(1, 'm'), fLen(7, fLen(1, point), fLen(3, 'x')));
  const req = fLen(1, fLen(2, fLen(2, metric)));
  const out = decodeMetricsRequest(Uint8Array.from(req));
  const m = out.data[0].scopeMetrics[0].metrics[0];
  assert.equal(m.name, 'm');
  assert.equal(m.data.type, 'sum');
  if (m.data.type !== 'sum') return;
  assert.equal(m.data.isMonotonic, false);
  assert.equal(m.data.dataPoints[0].valueType, 'none');
  assert.deepStrictEqual(m.data.dataPoints[0].attributes, [{ key: '', value: { kind: 'string', value: 'v' } }]);
  // Span.trace_id (1) as fixed64: skipped, so the span has no trace id and is rejected, not thrown.
  const span = cat(fDouble(1, 1), fLen(2, [1, 2, 3, 4, 5, 6, 7, 8]), fLen(5, 'n'));
  const traces = decodeTracesRequest(Uint8Array.from(fLen(1, fLen(2, fLen(2, span)))));
  assert.equal(traces.rejected, 1);
});

test('a length prefix past the end of the input', () => {
  const err = outcome(() => decodeLogsRequest(Uint8Array.from([...tag(1, 2), ...varint(1000), 1, 2, 3])));
  assert.ok(err);
  assert.match(err.message, /length 1000 runs past the end of the input \(6 bytes\) at byte 1 in ExportLogsServiceRequest/);
  // An inner length that fits the input but overruns its enclosing message.
  // resource_logs[0] is 4 bytes, but its scope_logs claims 5 (a string field reaching 3 bytes beyond).
  const inner = Uint8Array.from([0x0a, 0x04, 0x12, 0x05, 0x1a, 0x03, 0x61, 0x62, 0x63]);
  const err2 = outcome(() => decodeLogsRequest(inner));
  assert.ok(err2);
  assert.match(err2.message, /past the end of its message .* in ExportLogsServiceRequest\.resource_logs\[0\]/);
});

test('errors name the path to the broken field', () => {
  const metrics = [0, 1, 2].map((i) => fLen(2, fLen(1, `m${i}`)));
  const broken = fLen(2, [...tag(1, 0), 0xff]); // metrics[3]: a varint cut by the end of the input
  const req = fLen(1, fLen(2, fLen(1, fLen(1, 'scope0'))), fLen(2, ...metrics, broken));
  const err = outcome(() => decodeMetricsRequest(Uint8Array.from(req)));
  assert.ok(err);
  assert.equal(
    err.message,
    `invalid protobuf: truncated varint at byte ${req.length - 1} in ExportMetricsServiceRequest.resource_metrics[0].scope_metrics[1].metrics[3]`,
  );
  const badAttr = fLen(1, fLen(1, fLen(1, fLen(1, 'k'), fLen(2, [...tag(4, 1), 1, 2]))));
  const err2 = outcome(() => decodeTracesRequest(Uint8Array.from(badAttr)));
  assert.ok(err2);
  assert.match(err2.message, /truncated double at byte \d+ in ExportTraceServiceRequest\.resource_spans\[0\]\.resource\.attributes\[0\]\.value$/);
});

test('invalid structure: field number 0, wire types 6 and 7, stray end-group, bad packed length', () => {
  for (const bytes of [[0x00, 0x01], [0x0e], [0x0f], [0x0c], fLen(1, fLen(2, fLen(2, fLen(9, fLen(1, fLen(6, [1, 2, 3])))))) as number[]]) {
    const err = outcome(() => decodeMetricsRequest(Uint8Array.from(bytes)));
    assert.ok(err, `rejects ${Buffer.from(bytes).toString('hex')}`);
  }
});

/** AnyValue{kvlist{KeyValue{"k", <inner>}}} wrapped `levels` times around a string. */
function nestedKvlist(levels: number): Uint8Array {
  let inner: number[] = fLen(1, 'leaf').slice(); // AnyValue body: string_value
  for (let i = 0; i < levels; i++) inner = fLen(6, fLen(1, fLen(1, 'k'), fLen(2, inner)));
  return Uint8Array.from(fLen(1, fLen(1, fLen(1, fLen(1, 'deep'), fLen(2, inner)))));
}

test('deep kvlist nesting is refused past 64 levels with a clear message, never a stack overflow', () => {
  const ok = decodeMetricsRequest(nestedKvlist(60));
  assert.equal(ok.data[0].resource.attributes[0].key, 'deep');
  for (const levels of [65, 2000]) {
    const err = outcome(() => decodeMetricsRequest(nestedKvlist(levels)));
    assert.ok(err, `${levels} levels`);
    assert.match(err.message, /AnyValue nested deeper than 64 levels .*resource\.attributes\[0\]\.value\.kvlist_value\.values\[0\]/);
  }
  // Arrays count too.
  let arr: number[] = fVarint(3, 1);
  for (let i = 0; i < 100; i++) arr = fLen(5, fLen(1, arr));
  assert.ok(outcome(() => decodeLogsRequest(Uint8Array.from(fLen(1, fLen(2, fLen(2, fLen(5, arr))))))));
});

test('deeply nested unknown groups are refused, shallow ones skipped', () => {
  const group = (depth: number): number[] => (depth === 0 ? fVarint(1, 1) : [...tag(99, 3), ...group(depth - 1), ...tag(99, 4)]);
  assert.deepStrictEqual(decodeTracesRequest(Uint8Array.from(group(3))).data, []);
  assert.ok(outcome(() => decodeTracesRequest(Uint8Array.from(group(200)))));
  assert.ok(outcome(() => decodeTracesRequest(Uint8Array.from([...tag(99, 3), ...fVarint(1, 1)]))), 'unterminated group');
  assert.ok(outcome(() => decodeTracesRequest(Uint8Array.from([...tag(99, 3), ...tag(98, 4)]))), 'mismatched end group');
});
