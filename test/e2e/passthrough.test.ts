/**
 * Pass-through pipelines (receiver → batch → OTLP exporters) forward the
 * resources they received without decoding them: the bytes arrive at the
 * vendor as they were sent, fields this daemon does not know included. A
 * pipeline with a processor that looks inside decodes, changes and
 * re-encodes instead. The vendor is the fault server in its recording mode.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { countItems, type Signal } from '../../src/model/batch';
import { encodeLogsRequest, encodeMetricsRequest, encodeTracesRequest } from '../../src/otlp/proto';
import { sampleLogs, sampleMetrics, sampleTraces } from '../../src/otlp/proto/fixtures';
import { cat, fLen, fVarint } from '../../src/otlp/proto/fixtures-wire';
import { ProtoReader } from '../../src/otlp/proto/reader';
import { FaultServer, type Received } from '../support/fault-server';
import { Daemon, freePort, waitFor } from './harness';
import { get, post } from './otlp-http';

let server: FaultServer;
before(async () => (server = await FaultServer.start()));
after(() => server.stop());

const PROTO = { 'content-type': 'application/x-protobuf' };
const PATHS: Record<Signal, string> = { metrics: '/v1/metrics', logs: '/v1/logs', traces: '/v1/traces' };

/** The request with an unknown field (number 99) appended to its first resource. */
function withUnknownField(body: Uint8Array): Uint8Array {
  const r = new ProtoReader(body);
  assert.equal(r.uint32(), 0x0a);
  const end = r.lenEnd();
  return cat(fLen(1, body.subarray(r.pos, end), fVarint(99, 7)), body.subarray(end));
}

const REQUESTS: Record<Signal, { body: Uint8Array; expect: unknown; items: number }> = {
  metrics: { body: withUnknownField(encodeMetricsRequest(sampleMetrics())), expect: sampleMetrics(), items: countItems({ signal: 'metrics', resourceMetrics: sampleMetrics() }) },
  logs: { body: withUnknownField(encodeLogsRequest(sampleLogs())), expect: sampleLogs(), items: countItems({ signal: 'logs', resourceLogs: sampleLogs() }) },
  traces: { body: withUnknownField(encodeTracesRequest(sampleTraces())), expect: sampleTraces(), items: countItems({ signal: 'traces', resourceSpans: sampleTraces() }) },
};

/** The recording server as `otlp` (gRPC) and `otlphttp`, uncompressed so its bodies are the bytes forwarded. */
function exporters(): string {
  return `exporters:
  otlp:
    endpoint: ${server.grpcEndpoint}
    tls: { insecure: true }
    compression: none
    sending_queue: { num_consumers: 4 }
  otlphttp:
    endpoint: ${server.httpUrl}
    compression: none`;
}

/** A daemon config: one OTLP receiver protocol, `processors` in front of `to` for each signal in `pipelines`. */
function config(o: { protocol: 'http' | 'grpc'; port: number; telemetry: number; processors: string; to: string; pipelines?: Signal[] }): string {
  const pipelines = (o.pipelines ?? ['metrics', 'logs', 'traces']).map((s) => `    ${s}: { receivers: [otlp], processors: [${o.processors}], exporters: [${o.to}] }`);
  return `receivers:
  otlp:
    protocols:
      ${o.protocol}: { endpoint: 127.0.0.1:${o.port} }
processors:
  batch: { timeout: 50ms }
  batch/one: { timeout: 1ms, send_batch_size: 1 }
  batch/200ms: { timeout: 200ms }
  attributes: { actions: [{ key: added.by, value: daemon, action: insert }] }
${exporters()}
service:
  telemetry: { metrics: { address: 127.0.0.1:${o.telemetry} } }
  pipelines:
${pipelines.join('\n')}
`;
}

/** `n` distinct one-resource log requests, the i-th padded by i × `pad` bytes. */
function distinctLogRequests(n: number, tag: string, pad: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => {
    const logs = sampleLogs();
    logs[0].schemaUrl = `${tag}-${i}-${'x'.repeat(i * pad)}`;
    return Buffer.from(encodeLogsRequest(logs));
  });
}

/** Each resource of a request, as a one-resource request (base64), so batching cannot hide a mix-up. */
function splitResources(body: Uint8Array): string[] {
  const out: string[] = [];
  const r = new ProtoReader(body);
  while (r.pos < r.len) {
    const at = r.pos;
    assert.equal(r.uint32(), 0x0a);
    r.pos = r.lenEnd();
    out.push(Buffer.from(body.subarray(at, r.pos)).toString('base64'));
  }
  return out;
}

async function sendAll(processors: string): Promise<{ got: Received[]; accepted: string }> {
  const [http, telemetry] = [await freePort(), await freePort()];
  const d = await Daemon.start([config({ protocol: 'http', port: http, telemetry, processors, to: 'otlp, otlphttp' })]);
  try {
    const start = server.received.length;
    for (const [signal, req] of Object.entries(REQUESTS)) assert.equal((await post(http, PATHS[signal as Signal], Buffer.from(req.body), PROTO)).status, 200);
    await waitFor(() => server.received.length - start >= 6, 'three signals through two exporters');
    return { got: server.received.slice(start), accepted: (await get(telemetry, '/metrics')).body };
  } finally {
    await d.stop();
  }
}

const dataOf = (r: Received) => (r.batch.signal === 'metrics' ? r.batch.resourceMetrics : r.batch.signal === 'logs' ? r.batch.resourceLogs : r.batch.resourceSpans);

test('receiver → batch → otlp and otlphttp: each resource arrives byte for byte as sent, unknown fields included, and is counted', async () => {
  const { got, accepted } = await sendAll('batch');
  assert.equal(got.length, 6);
  for (const r of got) {
    assert.deepEqual(new Uint8Array(r.body), REQUESTS[r.signal].body, `${r.signal} via ${r.protocol}: forwarded unchanged`);
    assert.deepStrictEqual(dataOf(r), REQUESTS[r.signal].expect, `${r.signal} via ${r.protocol}`);
  }
  const count = (name: string) => Number(new RegExp(`^otel_pipeline_receiver_accepted_${name}(?:_total)?\\{[^}]*\\} (\\S+)$`, 'm').exec(accepted)?.[1]);
  assert.equal(count('metric_points'), REQUESTS.metrics.items);
  assert.equal(count('log_records'), REQUESTS.logs.items);
  assert.equal(count('spans'), REQUESTS.traces.items);
  assert.ok(REQUESTS.metrics.items > 0 && REQUESTS.logs.items > 0 && REQUESTS.traces.items > 0);
});

test('a processor that looks inside: the data is decoded, changed and re-encoded (the unknown field is gone)', async () => {
  const { got } = await sendAll('attributes, batch');
  assert.equal(got.length, 6);
  for (const r of got) {
    assert.notDeepEqual(new Uint8Array(r.body), REQUESTS[r.signal].body);
    assert.equal(Buffer.from(r.body).includes(Buffer.from(fVarint(99, 7))), false, `${r.signal} via ${r.protocol}: no unknown field`);
    assert.ok(Buffer.from(r.body).includes(Buffer.from('added.by')), `${r.signal} via ${r.protocol}: the attribute was added`);
  }
});

test('wire batches exported over gRPC while earlier exports are still waiting each arrive intact', async () => {
  const [http, telemetry] = [await freePort(), await freePort()];
  const n = 12;
  // Slow answers keep several exports in flight at once, so pooled request buffers would collide if ever shared.
  server.scriptGrpc(...Array.from({ length: n }, () => ({ kind: 'slow' as const, ms: 150 })));
  const d = await Daemon.start([config({ protocol: 'http', port: http, telemetry, processors: 'batch/one', to: 'otlp', pipelines: ['logs'] })]);
  try {
    const start = server.received.length;
    const bodies = distinctLogRequests(n, 'request', 500);
    const answers = await Promise.all(bodies.map((b) => post(http, '/v1/logs', b, PROTO)));
    assert.deepEqual(answers.map((a) => a.status), bodies.map(() => 200));
    await waitFor(() => server.received.length - start >= n, `${n} exports`);
    const got = server.received.slice(start).filter((r) => r.protocol === 'grpc');
    const sent = new Set(bodies.map((b) => b.toString('base64')));
    const arrived = got.flatMap((r) => splitResources(r.body));
    assert.equal(arrived.length, n);
    for (const body of arrived) assert.ok(sent.has(body), 'every resource arrived as one of the requests sent, byte for byte');
    assert.equal(new Set(arrived).size, n, 'each request arrived once');
  } finally {
    await d.stop();
  }
});

test('over the gRPC receiver too: requests of every size, sent together, are forwarded byte for byte', async () => {
  const [grpcPort, telemetry] = [await freePort(), await freePort()];
  const d = await Daemon.start([config({ protocol: 'grpc', port: grpcPort, telemetry, processors: 'batch/200ms', to: 'otlphttp', pipelines: ['logs'] })]);
  // Every other request gzip-compressed.
  const clients = [
    new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 }),
    new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure()),
  ];
  try {
    const start = server.received.length;
    // From a few hundred bytes to several HTTP/2 DATA frames.
    const bodies = distinctLogRequests(10, 'grpc', 7000);
    const identity = (b: Buffer) => b;
    await Promise.all(
      bodies.map(
        (body, i) =>
          new Promise<void>((resolve, reject) => {
            clients[i % 2].makeUnaryRequest('/opentelemetry.proto.collector.logs.v1.LogsService/Export', identity, identity, body, new grpc.Metadata(), (err) => (err ? reject(err) : resolve()));
          }),
      ),
    );
    // Held in the batch for a while after the calls were answered: the bytes must stay as received.
    const arrivedCount = () => server.received.slice(start).flatMap((r) => splitResources(r.body)).length;
    await waitFor(() => arrivedCount() >= bodies.length, `${bodies.length} requests exported`);
    const arrived = server.received.slice(start).flatMap((r) => splitResources(r.body)).sort();
    assert.deepEqual(arrived, bodies.map((b) => b.toString('base64')).sort());
  } finally {
    for (const c of clients) c.close();
    await d.stop();
  }
});
