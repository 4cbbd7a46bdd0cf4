import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as https from 'node:https';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, credentials, status } from '@grpc/grpc-js';
import { MeterProvider, MetricReader, type SumMetricData } from '@opentelemetry/sdk-metrics';
import { loadConfig } from '../../config/load';
import { debugExporter } from '../../config/testkit';
import { Registry } from '../../pipeline/registry';
import type { JsonSchema } from '../../pipeline/component';
import { encodeMetricsRequest } from '../../otlp/proto';
import { decodeMetricsRequestJson } from '../../otlp/json';
import { resolveOtlpConfig } from './config';
import { otlpReceiverFactory } from './index';
import { captureLogger, grpcExport, RecordingConsumer, request, startReceiver, waitFor } from './harness';
import { connects, freePort } from '../../testing/ports';
import { OTLP_GRPC_PATHS } from '../../net/listeners';

const JSON_METRICS = JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'm', gauge: { dataPoints: [{ asInt: '7', timeUnixNano: '1' }, { asInt: '8', timeUnixNano: '2' }] } }] }] }] });
const PROTO_METRICS = Buffer.from(encodeMetricsRequest(decodeMetricsRequestJson(JSON_METRICS).data));
const json = { 'content-type': 'application/json' };
const README = path.resolve(__dirname, '..', '..', '..', '..', 'src', 'receivers', 'otlp', 'README.md');


function load(yaml: string) {
  return loadConfig([{ name: 'test.yaml', text: yaml }], new Registry([otlpReceiverFactory, debugExporter]), { OTLP_TOKEN: 't0ken' });
}

const SERVICE = `
exporters:
  debug:
service:
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [debug]
`;

describe('config', () => {
  it('enables both protocols with defaults when none is named', () => {
    for (const raw of [undefined, {}, { protocols: {} }, { protocols: null }]) {
      const c = resolveOtlpConfig(raw);
      assert.equal(c.grpc?.endpoint, '127.0.0.1:4317');
      assert.equal(c.grpc?.max_recv_msg_size_mib, 16);
      assert.equal(c.http?.endpoint, '127.0.0.1:4318');
      assert.equal(c.http?.max_request_body_size, 20 * 1024 * 1024);
      assert.equal(c.http?.logs_url_path, '/v1/logs');
    }
  });

  it('enables only the protocols named, null meaning defaults', () => {
    const g = resolveOtlpConfig({ protocols: { grpc: null } });
    assert.ok(g.grpc && !g.http);
    const h = resolveOtlpConfig({ protocols: { http: { endpoint: ':4318' } } });
    assert.ok(h.http && !h.grpc);
    assert.equal(h.http.endpoint, ':4318');
    assert.throws(() => resolveOtlpConfig({ protocols: { http: { logs_url_path: '/v1/metrics' } } }), /must differ/);
  });

  it('validates through the config loader: empty otlp, null protocol, defaults and unknown keys', () => {
    const empty = load(`receivers:\n  otlp:\n${SERVICE}`);
    assert.deepEqual(empty.problems, []);
    const c = resolveOtlpConfig(empty.config!.receivers.get('otlp')!.config);
    assert.ok(c.grpc && c.http);
    const grpcOnly = load(`receivers:\n  otlp:\n    protocols:\n      grpc:\n${SERVICE}`);
    assert.deepEqual(grpcOnly.problems, []);
    const g = resolveOtlpConfig(grpcOnly.config!.receivers.get('otlp')!.config);
    assert.ok(g.grpc && !g.http);
    const httpOnly = load(`receivers:\n  otlp:\n    protocols:\n      http:\n        max_request_body_size: 1MiB\n${SERVICE}`);
    assert.deepEqual(httpOnly.problems, []);
    const h = resolveOtlpConfig(httpOnly.config!.receivers.get('otlp')!.config);
    assert.ok(h.http && !h.grpc);
    assert.equal(h.http.max_request_body_size, 1024 * 1024);
    assert.equal(h.http.metrics_url_path, '/v1/metrics');
    const bad = load(`receivers:\n  otlp:\n    protocols:\n      grpc:\n        transport: tcp\n${SERVICE}`);
    assert.ok(bad.problems.some((p) => /transport/.test(p.message + p.path)), JSON.stringify(bad.problems));
  });

  it('README: the example validates and the table names every key', () => {
    const text = fs.readFileSync(README, 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(text)![1];
    const result = load(example);
    assert.deepEqual(result.problems, []);
    const c = resolveOtlpConfig(result.config!.receivers.get('otlp')!.config);
    assert.equal(c.bearerToken, 't0ken');
    assert.equal(c.http?.include_metadata, true);
    const keys: string[] = [];
    const walk = (schema: JsonSchema, prefix: string) => {
      for (const [k, v] of Object.entries((schema.properties ?? {}) as Record<string, JsonSchema>)) {
        const key = prefix + k;
        if (v.properties && k !== 'tls') walk(v, key + '.');
        else keys.push(key);
      }
    };
    walk(otlpReceiverFactory.schema, '');
    for (const key of keys) assert.ok(text.includes(`| \`${key}\` |`), `README documents ${key}`);
  });
});

describe('lifecycle', () => {
  it('shutdown before start is a no-op, twice is safe, start twice binds once', async () => {
    const { logger } = captureLogger();
    const rx = otlpReceiverFactory.create({ protocols: { http: { endpoint: '127.0.0.1:0' } } }, { id: 'otlp', kind: 'receiver', logger, meter: new MeterProvider().getMeter('t') }, {});
    await rx.shutdown(Date.now() + 1000);
    await Promise.all([rx.start(), rx.start()]);
    assert.ok(rx.addresses().http);
    await rx.shutdown(Date.now() + 1000);
    await rx.shutdown(Date.now() + 1000);
    assert.deepEqual(rx.addresses(), { grpc: undefined, http: undefined });
  });

  it('finishes requests in flight after shutdown() and refuses new connections', async () => {
    const consumer = new RecordingConsumer();
    const rx = await startReceiver({}, { metrics: consumer });
    const grpcPort = Number(rx.grpc.split(':')[1]);
    consumer.hold();
    const httpCall = request({ port: rx.httpPort, headers: json, body: JSON_METRICS });
    const grpcCall = grpcExport(rx.grpc, 'metrics', PROTO_METRICS);
    await waitFor(() => consumer.waiting === 2, 5000, 'both requests to reach the consumer');
    const stopped = rx.receiver.shutdown(Date.now() + 5000);
    assert.equal(await connects(rx.httpPort), false, 'HTTP port closed');
    assert.equal(await connects(grpcPort), false, 'gRPC port closed');
    let done = false;
    void stopped.then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(done, false, 'shutdown waits for the requests in flight');
    consumer.releaseHeld();
    assert.equal((await httpCall).status, 200);
    assert.equal((await grpcCall).code, status.OK);
    await stopped;
    assert.equal(consumer.batches.length, 2);
  });

  it('fails to start with an error naming the receiver and endpoint, and releases what it took', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as net.AddressInfo).port;
    const grpcPort = await freePort();
    const { logger } = captureLogger();
    const rx = otlpReceiverFactory.create(
      { protocols: { grpc: { endpoint: `127.0.0.1:${grpcPort}` }, http: { endpoint: `127.0.0.1:${taken}` } } },
      { id: 'otlp/claude', kind: 'receiver', logger, meter: new MeterProvider().getMeter('t') },
      {},
    );
    try {
      await assert.rejects(rx.start(), new RegExp(`receiver "otlp/claude" \\(OTLP/HTTP\\): cannot listen on 127\\.0\\.0\\.1:${taken}: .*already in use`));
      assert.equal(await connects(grpcPort), false, 'the gRPC port was given back');
      await rx.shutdown(Date.now() + 1000);
    } finally {
      blocker.close();
    }
  });

  it('hands a port over on reload without dropping it', async () => {
    const [g, h] = [await freePort(), await freePort()];
    const config = { protocols: { grpc: { endpoint: `127.0.0.1:${g}` }, http: { endpoint: `127.0.0.1:${h}` } } };
    const oldC = new RecordingConsumer();
    const newC = new RecordingConsumer();
    const old = await startReceiver(config, { metrics: oldC }, 'otlp');
    const fresh = await startReceiver(config, { metrics: newC }, 'otlp');
    try {
      assert.equal((await request({ port: h, headers: json, body: JSON_METRICS })).status, 200);
      assert.equal((await grpcExport(`127.0.0.1:${g}`, 'metrics', PROTO_METRICS)).code, status.OK);
      assert.deepEqual([oldC.batches.length, newC.batches.length], [0, 2], 'the newest receiver serves');
      await old.stop();
      assert.equal((await request({ port: h, headers: json, body: JSON_METRICS })).status, 200);
      assert.equal((await grpcExport(`127.0.0.1:${g}`, 'metrics', PROTO_METRICS)).code, status.OK);
      assert.equal(newC.batches.length, 4);
    } finally {
      await old.stop();
      await fresh.stop();
    }
    assert.equal(await connects(h), false);
  });
});

describe('TLS', () => {
  it('serves HTTPS and gRPC with TLS from cert_file and key_file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otlp-tls-'));
    const [certFile, keyFile] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const ca = fs.readFileSync(certFile);
    const tls = { cert_file: certFile, key_file: keyFile };
    const consumer = new RecordingConsumer();
    const rx = await startReceiver({ protocols: { grpc: { endpoint: '127.0.0.1:0', tls }, http: { endpoint: '127.0.0.1:0', tls } } }, { metrics: consumer });
    try {
      const status200 = await new Promise<number>((resolve, reject) => {
        const req = https.request({ host: '127.0.0.1', port: rx.httpPort, path: '/v1/metrics', method: 'POST', headers: json, ca, agent: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(JSON_METRICS);
      });
      assert.equal(status200, 200);
      const g = await grpcExport(rx.grpc, 'metrics', PROTO_METRICS, {}, {}, credentials.createSsl(ca));
      assert.equal(g.code, status.OK, g.details);
      assert.equal(consumer.batches.length, 2);
    } finally {
      await rx.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** What the reader holds, as a function from a counter's name to its points (attributes and value). */
async function sumPoints(reader: TestReader): Promise<(name: string) => Array<Record<string, unknown>>> {
  const { resourceMetrics } = await reader.collect();
  const all = resourceMetrics.scopeMetrics.flatMap((sm) => sm.metrics);
  return (name) => ((all.find((m) => m.descriptor.name === name) as SumMetricData | undefined)?.dataPoints ?? []).map((p) => ({ ...p.attributes, value: p.value }) as Record<string, unknown>);
}

describe('self-telemetry', () => {
  it('counts accepted items and refused requests with receiver, transport and reason', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const { logger } = captureLogger();
    const rx = otlpReceiverFactory.create(
      { protocols: { grpc: { endpoint: '127.0.0.1:0' }, http: { endpoint: '127.0.0.1:0' } } },
      { id: 'otlp/ai', kind: 'receiver', logger, meter: provider.getMeter('otel-pipeline') },
      { metrics: new RecordingConsumer() },
    );
    await rx.start();
    try {
      const port = Number(rx.addresses().http!.split(':')[1]);
      assert.equal((await request({ port, headers: json, body: JSON_METRICS })).status, 200);
      assert.equal((await grpcExport(rx.addresses().grpc!, 'metrics', PROTO_METRICS)).code, status.OK);
      assert.equal((await request({ port, headers: json, body: '{' })).status, 400);
    } finally {
      await rx.shutdown(Date.now() + 1000);
    }
    const points = await sumPoints(reader);
    assert.deepEqual(
      points('otel_pipeline_receiver_accepted_metric_points').sort((a, b) => String(a.transport).localeCompare(String(b.transport))),
      [
        { receiver: 'otlp/ai', transport: 'grpc', value: 2 },
        { receiver: 'otlp/ai', transport: 'http', value: 2 },
      ],
    );
    assert.deepEqual(points('otel_pipeline_receiver_refused_requests'), [{ receiver: 'otlp/ai', transport: 'http', reason: 'decode', value: 1 }]);
    await provider.shutdown();
  });

  it('counts calls the gRPC transport refuses (size, method, framing, content-type, deadline) as refused requests', async () => {
    const reader = new TestReader();
    const provider = new MeterProvider({ readers: [reader] });
    const { logger } = captureLogger();
    const rx = otlpReceiverFactory.create(
      { protocols: { grpc: { endpoint: '127.0.0.1:0', max_recv_msg_size_mib: 1 } } },
      { id: 'otlp/ai', kind: 'receiver', logger, meter: provider.getMeter('otel-pipeline') },
      { metrics: new RecordingConsumer() },
    );
    await rx.start();
    const address = rx.addresses().grpc!;
    const session = http2.connect(`http://${address}`);
    /** One raw call: its :status and grpc-status (from headers or trailers). */
    const raw = (headers: http2.OutgoingHttpHeaders, body: Buffer | undefined) =>
      new Promise<{ httpStatus: number; grpcStatus: string | undefined }>((resolve, reject) => {
        const req = session.request({ ':method': 'POST', ':path': OTLP_GRPC_PATHS.metrics, 'content-type': 'application/grpc', te: 'trailers', ...headers });
        let httpStatus = 0;
        let grpcStatus: string | undefined;
        req.on('response', (h) => ((httpStatus = Number(h[':status'])), (grpcStatus = h['grpc-status'] as string | undefined)));
        req.on('trailers', (t) => (grpcStatus ??= t['grpc-status'] as string | undefined));
        req.on('error', reject);
        req.on('close', () => resolve({ httpStatus, grpcStatus }));
        req.resume();
        if (body) req.end(body);
      });
    try {
      assert.equal((await grpcExport(address, 'metrics', Buffer.alloc(2 * 1024 * 1024 + 1))).code, status.RESOURCE_EXHAUSTED);
      const client = new Client(address, credentials.createInsecure());
      const unknown = await new Promise<number>((resolve) =>
        client.makeUnaryRequest('/opentelemetry.proto.collector.metrics.v1.MetricsService/Nope', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (err) => resolve(err?.code ?? status.OK)),
      );
      client.close();
      assert.equal(unknown, status.UNIMPLEMENTED);
      const garbage = Buffer.from('not gzip at all');
      const gz = Buffer.concat([Buffer.from([1, 0, 0, 0, garbage.length]), garbage]);
      assert.deepEqual(await raw({ 'grpc-encoding': 'gzip' }, gz), { httpStatus: 200, grpcStatus: String(status.INTERNAL) });
      assert.equal((await raw({ 'content-type': 'text/plain' }, Buffer.alloc(5))).httpStatus, 415);
      // Headers and a deadline, and a body that never comes.
      assert.deepEqual(await raw({ 'grpc-timeout': '50m' }, undefined), { httpStatus: 200, grpcStatus: String(status.DEADLINE_EXCEEDED) });
    } finally {
      session.destroy();
      await rx.shutdown(Date.now() + 1000);
    }
    const points = await sumPoints(reader);
    assert.deepEqual(
      points('otel_pipeline_receiver_refused_requests').sort((a, b) => String(a.reason).localeCompare(String(b.reason))),
      ['deadline_exceeded', 'decode', 'not_found', 'too_large', 'unsupported_media_type'].map((reason) => ({ receiver: 'otlp/ai', transport: 'grpc', reason, value: 1 })),
    );
    assert.deepEqual(points('otel_pipeline_receiver_accepted_metric_points'), []);
    await provider.shutdown();
  });
});
