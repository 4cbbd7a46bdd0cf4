'use strict';
/*
 * Load generator: sends N distinct delta-counter series to an OTLP/HTTP
 * protobuf endpoint, 1,000 points per request, a few requests in flight.
 *   node bench/load/series.js <port> <series> [first]
 * sends series number `first` (default 0) up to `series` (exclusive).
 */
const http = require('node:http');
const codec = require('../../dist/src/otlp/proto');

const [port, total, first] = [Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4] ?? 0)];
const PER_REQUEST = 1000;
const IN_FLIGHT = 4;
const now = Date.now();

function request(from) {
  const points = [];
  for (let i = from; i < Math.min(total, from + PER_REQUEST); i++) {
    points.push({
      attributes: [
        { key: 'session.id', value: { kind: 'string', value: `session-${i}` } },
        { key: 'model', value: { kind: 'string', value: 'claude-sonnet-4-5' } },
        { key: 'type', value: { kind: 'string', value: 'input' } },
      ],
      startTimeMs: now - 60000, startTimeNs: 0, timeMs: now, timeNs: 0, flags: 0,
      valueType: 'double', value: 100 + (i % 7), exemplars: [],
    });
  }
  return Buffer.from(
    codec.encodeMetricsRequest([
      {
        resource: { attributes: [{ key: 'service.name', value: { kind: 'string', value: 'claude-code' } }], droppedAttributesCount: 0, entityRefs: [] },
        schemaUrl: '',
        scopeMetrics: [
          {
            scope: { name: 'com.anthropic.claude_code', version: '2.0.0', attributes: [], droppedAttributesCount: 0 },
            schemaUrl: '',
            metrics: [{ name: 'claude_code.token.usage', description: 'Number of tokens used', unit: 'tokens', metadata: [], data: { type: 'sum', temporality: 1, isMonotonic: true, dataPoints: points } }],
          },
        ],
      },
    ]),
  );
}

function send(body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/metrics', method: 'POST', headers: { 'content-type': 'application/x-protobuf' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  let next = first;
  const worker = async () => {
    while (next < total) {
      const from = next;
      next += PER_REQUEST;
      await send(request(from));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
