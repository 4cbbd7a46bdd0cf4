/**
 * Items the spec calls invalid are left out and counted (partial_success),
 * while the rest of the request is kept; and sniffProtoSignal on our own
 * encodings and on garbage.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResourceSpans, Span } from '../../model/traces';
import { sampleLogs, sampleMetrics, sampleTraces, seq } from './fixtures';
import { fLen, prng } from './fixtures-wire';
import {
  decodeLogsRequest, decodeMetricsRequest, decodeTracesRequest,
  encodeLogsRequest, encodeMetricsRequest, encodeTracesRequest, sniffProtoSignal,
} from './index';

function spansRequest(spans: Span[]): ResourceSpans[] {
  const template = sampleTraces()[0];
  template.scopeSpans[0].spans = spans;
  return [template];
}

const goodSpan = (name: string): Span => ({ ...sampleTraces()[0].scopeSpans[0].spans[1], name });

test('one bad span among good ones: the good ones are kept, rejected 1 with a message', () => {
  const bad = { ...goodSpan('bad'), traceId: seq(5) };
  const out = decodeTracesRequest(encodeTracesRequest(spansRequest([goodSpan('a'), bad, goodSpan('b')])));
  assert.deepStrictEqual(out.data[0].scopeSpans[0].spans.map((s) => s.name), ['a', 'b']);
  assert.equal(out.rejected, 1);
  assert.match(out.rejectMessage, /trace_id/);
});

test('spans need both ids; parent ids must be empty or 8 bytes', () => {
  const spans = [
    { ...goodSpan('no trace id'), traceId: new Uint8Array(0) },
    { ...goodSpan('no span id'), spanId: new Uint8Array(0) },
    { ...goodSpan('long span id'), spanId: seq(9) },
    { ...goodSpan('bad parent'), parentSpanId: seq(3) },
    { ...goodSpan('ok child'), parentSpanId: seq(8) },
  ];
  const out = decodeTracesRequest(encodeTracesRequest(spansRequest(spans)));
  assert.deepStrictEqual(out.data[0].scopeSpans[0].spans.map((s) => s.name), ['ok child']);
  assert.equal(out.rejected, 4);
  assert.notEqual(out.rejectMessage, '');
});

test('a link with impossible ids is dropped from its span and counted in dropped_links_count', () => {
  const span = goodSpan('with links');
  span.links = [
    { traceId: seq(16), spanId: seq(8), traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 },
    { traceId: seq(15), spanId: seq(8), traceState: 'bad', attributes: [], droppedAttributesCount: 0, flags: 0 },
  ];
  span.droppedLinksCount = 2;
  const out = decodeTracesRequest(encodeTracesRequest(spansRequest([span])));
  const got = out.data[0].scopeSpans[0].spans[0];
  assert.equal(got.links.length, 1);
  assert.equal(got.droppedLinksCount, 3);
  assert.equal(out.rejected, 0, 'the span itself is kept');
  assert.match(out.rejectMessage, /link/);
});

test('log records with impossible ids are rejected; empty ids are fine', () => {
  const model = sampleLogs();
  const records = model[0].scopeLogs[0].logRecords;
  const total = records.length;
  records[1] = { ...records[1], traceId: seq(8) };
  records[2] = { ...records[2], spanId: seq(16) };
  const out = decodeLogsRequest(encodeLogsRequest(model));
  assert.equal(out.rejected, 2);
  assert.equal(out.data[0].scopeLogs[0].logRecords.length, total - 2);
  assert.match(out.rejectMessage, /log record/);
});

test('metrics: an empty name rejects all its points; a bad histogram point is rejected alone', () => {
  const model = sampleMetrics();
  const metrics = model[0].scopeMetrics[0].metrics;
  const gauge = metrics[0];
  const gaugePoints = gauge.data.type === 'gauge' ? gauge.data.dataPoints.length : NaN;
  gauge.name = '';
  const hist = metrics[4];
  if (hist.data.type !== 'histogram') throw new Error('fixture changed');
  const histPoints = hist.data.dataPoints.length;
  hist.data.dataPoints[0] = { ...hist.data.dataPoints[0], bucketCounts: [1, 2] }; // 3 bounds need 4 counts
  const out = decodeMetricsRequest(encodeMetricsRequest(model));
  assert.equal(out.rejected, gaugePoints + 1);
  const kept = out.data[0].scopeMetrics[0].metrics;
  assert.equal(kept.length, metrics.length - 1);
  const keptHist = kept.find((m) => m.name === 'histogram')!;
  assert.equal(keptHist.data.type === 'histogram' && keptHist.data.dataPoints.length, histPoints - 1);
  assert.match(out.rejectMessage, /name/);
  assert.match(out.rejectMessage, /bucket_counts/);
});

test('a nameless metric without points is dropped without counting anything', () => {
  const model = sampleMetrics();
  model[0].scopeMetrics[0].metrics.push({ name: '', description: '', unit: '', metadata: [], data: { type: 'empty' } });
  const out = decodeMetricsRequest(encodeMetricsRequest(model));
  assert.equal(out.rejected, 0);
  assert.equal(out.data[0].scopeMetrics[0].metrics.length, model[0].scopeMetrics[0].metrics.length - 1);
});

test('exemplars with impossible ids are dropped with a warning; empty ids are fine', () => {
  const model = sampleMetrics();
  const gauge = model[0].scopeMetrics[0].metrics[0];
  if (gauge.data.type !== 'gauge') throw new Error('fixture changed');
  const exemplars = gauge.data.dataPoints[0].exemplars;
  exemplars.push({ ...exemplars[0], traceId: seq(4) });
  const out = decodeMetricsRequest(encodeMetricsRequest(model));
  const got = out.data[0].scopeMetrics[0].metrics[0].data;
  assert.equal(got.type === 'gauge' && got.dataPoints[0].exemplars.length, exemplars.length - 1);
  assert.equal(out.rejected, 0);
  assert.match(out.rejectMessage, /exemplar/);
});

test('sniffProtoSignal recognises our own encodings', () => {
  assert.equal(sniffProtoSignal(encodeMetricsRequest(sampleMetrics())), 'metrics');
  assert.equal(sniffProtoSignal(encodeLogsRequest(sampleLogs())), 'logs');
  assert.equal(sniffProtoSignal(encodeTracesRequest(sampleTraces())), 'traces');
});

test('sniffProtoSignal returns undefined for garbage and for requests without items', () => {
  const cases: Uint8Array[] = [
    new Uint8Array(0),
    Buffer.from('{"resourceMetrics":[]}'),
    Buffer.from('hello world, this is not protobuf'),
    Uint8Array.from([0x0a, 0x00]),
    Uint8Array.from(fLen(1, fLen(1, fLen(1, fLen(1, 'service.name'))))), // a resource, no scopes
    Uint8Array.from(fLen(1, fLen(2, fLen(1, fLen(1, 'scope'))))), // a scope, no items
    Uint8Array.from([0x0a, 0x05, 1, 2]), // truncated
  ];
  for (const c of cases) assert.equal(sniffProtoSignal(c), undefined, Buffer.from(c).toString('hex'));
  const rand = prng(42);
  let guessed = 0;
  for (let i = 0; i < 2000; i++) {
    const buf = Uint8Array.from({ length: 1 + Math.floor(rand() * 200) }, () => Math.floor(rand() * 256));
    if (sniffProtoSignal(buf) !== undefined) guessed++;
  }
  assert.ok(guessed < 10, `random bytes almost never look like OTLP (${guessed} of 2000)`);
});
