#!/usr/bin/env node
/*
 * Micro benchmark of the OTLP protobuf codec (build first: npx tsc -p .).
 *
 *   node bench/codec-proto.js [iterations]
 *
 * Builds a 1,000-point ExportMetricsServiceRequest (sums, gauges and
 * histograms with a handful of attributes each, like an SDK's periodic
 * export), then times decoding it and re-encoding the decoded model.
 */
'use strict';
const codec = require('../dist/src/otlp/proto');

const ITERATIONS = Number(process.argv[2]) || 2000;
const START_MS = 1_700_000_000_000;

function attrs(i) {
  return [
    { key: 'http.route', value: { kind: 'string', value: `/api/v1/items/${i % 20}` } },
    { key: 'http.method', value: { kind: 'string', value: i % 3 ? 'GET' : 'POST' } },
    { key: 'http.status_code', value: { kind: 'int', value: 200 + (i % 5) } },
    { key: 'net.peer.name', value: { kind: 'string', value: 'backend.internal' } },
  ];
}

function times(i) {
  return { startTimeMs: START_MS, startTimeNs: 123456, timeMs: START_MS + 10_000 + i, timeNs: 654321, flags: 0 };
}

function buildRequest() {
  const metrics = [];
  let n = 0;
  for (let m = 0; m < 10; m++) {
    const points = [];
    for (let p = 0; p < 100; p++, n++) {
      if (m % 3 === 2) {
        points.push({
          attributes: attrs(n), ...times(n), count: 100 + p, sum: 1234.5 + p, min: 0.5, max: 99.5,
          bucketCounts: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 45 + p], explicitBounds: [0, 5, 10, 25, 50, 75, 100, 250, 500, 1000],
          exemplars: [],
        });
      } else {
        const int = m % 3 === 1;
        points.push({ attributes: attrs(n), ...times(n), valueType: int ? 'int' : 'double', value: int ? n * 7 : n * 1.25, exemplars: [] });
      }
    }
    const name = `app.metric.${m}`;
    const data = m % 3 === 2 ? { type: 'histogram', dataPoints: points, temporality: 2 }
      : m % 3 === 1 ? { type: 'gauge', dataPoints: points }
      : { type: 'sum', dataPoints: points, temporality: 2, isMonotonic: true };
    metrics.push({ name, description: 'benchmark metric', unit: 'ms', metadata: [], data });
  }
  return [{
    resource: {
      attributes: [
        { key: 'service.name', value: { kind: 'string', value: 'checkout' } },
        { key: 'service.version', value: { kind: 'string', value: '1.4.2' } },
        { key: 'host.name', value: { kind: 'string', value: 'ip-10-0-0-12' } },
      ],
      droppedAttributesCount: 0, entityRefs: [],
    },
    scopeMetrics: [{ scope: { name: 'bench', version: '1.0.0', attributes: [], droppedAttributesCount: 0 }, metrics, schemaUrl: '' }],
    schemaUrl: '',
  }];
}

function countPoints(rms) {
  let n = 0;
  for (const rm of rms) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += m.data.dataPoints.length;
  return n;
}

function time(label, points, fn) {
  for (let i = 0; i < Math.min(200, ITERATIONS); i++) fn(); // warm up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i++) fn();
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const rate = (points * ITERATIONS) / secs;
  console.log(`${label.padEnd(8)} ${Math.round(rate).toLocaleString('en-US').padStart(12)} data points/s  (${((secs / ITERATIONS) * 1e3).toFixed(3)} ms per request)`);
}

if (require.main !== module) {
  module.exports = { buildRequest, countPoints };
  return;
}

const model = buildRequest();
const bytes = codec.encodeMetricsRequest(model);
const decoded = codec.decodeMetricsRequest(bytes);
const points = countPoints(decoded.data);
if (points !== 1000 || decoded.rejected !== 0) throw new Error(`unexpected request: ${points} points, ${decoded.rejected} rejected`);
console.log(`request: ${points} data points, ${bytes.length.toLocaleString('en-US')} bytes; ${ITERATIONS} iterations, node ${process.version}`);

let sink = 0;
time('decode', points, () => { sink += codec.decodeMetricsRequest(bytes).data.length; });
time('encode', points, () => { sink += codec.encodeMetricsRequest(decoded.data).length; });
if (sink === 0) console.log('');
