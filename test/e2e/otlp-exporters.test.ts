/**
 * The OTLP exporters end to end: the real daemon receives OTLP and exports
 * it with `otlp` (gRPC) and `otlphttp` (protobuf and JSON) to the
 * fault-injecting server, which records what arrives and answers as each
 * test scripts. Checks that every item arrives exactly as sent, and how
 * 503 + Retry-After, 500, partial_success, slow answers, resets and a server
 * that is down then up are handled.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Signal } from '../../src/model/batch';
import { encodeLogsRequest, encodeMetricsRequest, encodeTracesRequest } from '../../src/otlp/proto';
import { sampleLogs, sampleMetrics, sampleTraces } from '../../src/otlp/proto/fixtures';
import { FaultServer, type Received } from '../support/fault-server';
import { Daemon, freePort, waitFor } from './harness';
import { get, metricsJson, post } from './otlp-http';

let server: FaultServer;
before(async () => (server = await FaultServer.start()));
after(() => server.stop());

const PROTO = { 'content-type': 'application/x-protobuf' };

/** A counter or gauge value from a text exposition, by name (with or without _total) and a label. */
function metric(text: string, name: string, label: string): number {
  const re = new RegExp(`^${name}(?:_total)?\\{[^}]*${label}[^}]*\\} (\\S+)$`, 'gm');
  let sum = 0;
  for (const m of text.matchAll(re)) sum += Number(m[1]);
  return sum;
}

/** OTLP/JSON logs: `n` records whose bodies are `<tag>-<i>`. */
function logsJson(tag: string, n = 1): string {
  const now = String(BigInt(Date.now()) * 1_000_000n);
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'e2e' } }] },
        scopeLogs: [{ scope: { name: 'e2e' }, logRecords: Array.from({ length: n }, (_, i) => ({ timeUnixNano: now, body: { stringValue: `${tag}-${i}` } })) }],
      },
    ],
  });
}

/** Bodies of every log record in the requests given. */
function bodies(reqs: Received[]): string[] {
  const out: string[] = [];
  for (const r of reqs) {
    if (r.batch.signal !== 'logs') continue;
    for (const rl of r.batch.resourceLogs) for (const sl of rl.scopeLogs) for (const lr of sl.logRecords) if (lr.body?.kind === 'string') out.push(lr.body.value);
  }
  return out;
}

test('daemon → otlp (gRPC), otlphttp proto and json: every point, record and span arrives exactly as sent, with the api-key header', async () => {
  const [http, telemetry] = [await freePort(), await freePort()];
  const exporters = ['otlp', 'otlphttp/proto', 'otlphttp/json'].join(', ');
  const d = await Daemon.start(
    [
      `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${http} }
exporters:
  otlp:
    endpoint: ${server.grpcEndpoint}
    tls: { insecure: true }
    headers: { api-key: "\${VENDOR_API_KEY}" }
  otlphttp/proto:
    endpoint: ${server.httpUrl}
    headers: { api-key: "\${VENDOR_API_KEY}" }
  otlphttp/json:
    endpoint: ${server.httpUrl}
    encoding: json
    compression: none
service:
  telemetry: { metrics: { address: 127.0.0.1:${telemetry} } }
  pipelines:
    metrics: { receivers: [otlp], exporters: [${exporters}] }
    logs: { receivers: [otlp], exporters: [${exporters}] }
    traces: { receivers: [otlp], exporters: [${exporters}] }
`,
    ],
    { env: { VENDOR_API_KEY: 'vendor-key-123' } },
  );
  try {
    const start = server.received.length;
    const sent: Record<Signal, { path: string; body: Uint8Array; expect: unknown }> = {
      metrics: { path: '/v1/metrics', body: encodeMetricsRequest(sampleMetrics()), expect: sampleMetrics() },
      logs: { path: '/v1/logs', body: encodeLogsRequest(sampleLogs()), expect: sampleLogs() },
      traces: { path: '/v1/traces', body: encodeTracesRequest(sampleTraces()), expect: sampleTraces() },
    };
    for (const s of Object.values(sent)) assert.equal((await post(http, s.path, Buffer.from(s.body), PROTO)).status, 200);
    await waitFor(() => server.received.length - start >= 9, 'three signals through three exporters');
    const got = server.received.slice(start);
    assert.equal(got.length, 9);
    for (const signal of ['metrics', 'logs', 'traces'] as const) {
      const mine = got.filter((r) => r.signal === signal);
      assert.deepEqual(mine.map((r) => `${r.protocol} ${r.contentType}`).sort(), ['grpc application/grpc', 'http application/json', 'http application/x-protobuf']);
      for (const r of mine) {
        const data = r.batch.signal === 'metrics' ? r.batch.resourceMetrics : r.batch.signal === 'logs' ? r.batch.resourceLogs : r.batch.resourceSpans;
        assert.deepStrictEqual(data, sent[signal].expect, `${signal} via ${r.protocol} ${r.contentType}`);
        const keyed = r.contentType !== 'application/json';
        assert.equal(r.headers['api-key'], keyed ? 'vendor-key-123' : undefined, `${signal} via ${r.protocol} ${r.contentType}`);
      }
      assert.equal(mine.find((r) => r.contentType === 'application/x-protobuf')!.gzip, true);
      assert.equal(mine.find((r) => r.contentType === 'application/json')!.gzip, false);
    }
  } finally {
    await d.stop();
  }
});

function faultConfig(http: number, telemetry: number, exporter: string): string {
  return `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${http} }
exporters:
  ${exporter}
    timeout: 500ms
    retry_on_failure: { initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 0 }
    sending_queue: { num_consumers: 1 }
service:
  telemetry: { metrics: { address: 127.0.0.1:${telemetry} } }
  pipelines:
    logs: { receivers: [otlp], exporters: [${exporter.split(':')[0]}] }
`;
}

test('otlphttp faults: Retry-After honoured, 500 dropped and counted, partial_success counted, slow and reset retried, down then up: each record arrives once', async () => {
  const [http, telemetry] = [await freePort(), await freePort()];
  const d = await Daemon.start([faultConfig(http, telemetry, `otlphttp:\n    endpoint: ${server.httpUrl}`)]);
  const mine = (): Received[] => server.requests('http').filter((r) => r.at >= t0);
  const t0 = Date.now();
  const send = async (tag: string, n = 1) => assert.equal((await post(http, '/v1/logs', logsJson(tag, n))).status, 200);
  try {
    // 503 + Retry-After: 2 → the retry waits at least 2 s (backoff alone would be ≤ 200 ms).
    server.scriptHttp({ kind: 'http', status: 503, retryAfter: '2', message: 'busy' });
    await send('r503');
    await waitFor(() => bodies(mine().filter((r) => r.answer === 'ok')).includes('r503-0'), 'the 503 batch delivered on retry');
    const [refused, delivered] = mine();
    assert.equal(refused.answer, 'http');
    assert.ok(delivered.at - refused.at >= 2000, `retry after ${delivered.at - refused.at} ms`);

    // 500: dropped and counted, not retried (the next batch is the next request).
    server.scriptHttp({ kind: 'http', status: 500, message: 'internal' });
    await send('r500', 3);
    await send('after500');
    await waitFor(() => bodies(mine()).includes('after500-0'), 'the batch after the 500');
    assert.deepEqual(bodies(mine()).filter((b) => b.startsWith('r500')), ['r500-0', 'r500-1', 'r500-2'], 'sent once, not retried');
    const self = (await get(telemetry, '/metrics')).body;
    assert.equal(metric(self, 'otel_pipeline_exporter_send_failed_log_records', 'reason="http_500"'), 3, self);

    // partial_success: 2 of 4 rejected → counted, logged with the message, not retried.
    server.scriptHttp({ kind: 'partial', rejected: 2, message: 'two records too old' });
    await send('partial', 4);
    await send('afterPartial');
    await waitFor(() => bodies(mine()).includes('afterPartial-0'), 'the batch after the partial success');
    assert.equal(bodies(mine()).filter((b) => b.startsWith('partial')).length, 4);
    const self2 = (await get(telemetry, '/metrics')).body;
    assert.equal(metric(self2, 'otel_pipeline_exporter_partial_success_rejected_items', 'signal="logs"'), 2, self2);
    assert.ok(d.logs().some((l) => JSON.stringify(l).includes('two records too old')), 'the server message is logged');

    // Slow past the 500 ms timeout, then a reset: both retried, delivered once.
    server.scriptHttp({ kind: 'slow', ms: 3000 }, { kind: 'reset' });
    await send('slowreset');
    await waitFor(() => mine().some((r) => r.answer === 'ok' && bodies([r]).includes('slowreset-0')), 'delivery after slow + reset');
    assert.deepEqual(mine().filter((r) => bodies([r]).includes('slowreset-0')).map((r) => r.answer), ['slow', 'reset', 'ok']);

    // Down, three batches, up: each delivered exactly once.
    await server.stopHttp();
    for (const tag of ['down1', 'down2', 'down3']) await send(tag);
    await waitFor(async () => metric((await get(telemetry, '/metrics')).body, 'otel_pipeline_exporter_retries', 'reason="econnrefused"') > 0, 'retries while the server is down');
    await server.startHttp();
    await waitFor(() => ['down1-0', 'down2-0', 'down3-0'].every((b) => bodies(mine()).includes(b)), 'the queued batches after the server came back');
    const ok = bodies(mine().filter((r) => r.answer === 'ok'));
    for (const b of ['r503-0', 'after500-0', 'afterPartial-0', 'slowreset-0', 'down1-0', 'down2-0', 'down3-0']) assert.equal(ok.filter((x) => x === b).length, 1, b);
  } finally {
    await d.stop();
  }
});

test('otlp (gRPC) faults: RetryInfo delay honoured, INVALID_ARGUMENT dropped and counted, deadline exceeded retried, down then up', async () => {
  const [http, telemetry] = [await freePort(), await freePort()];
  const d = await Daemon.start([faultConfig(http, telemetry, `otlp:\n    endpoint: ${server.grpcEndpoint}\n    tls: { insecure: true }`)]);
  const t0 = Date.now();
  const mine = (): Received[] => server.requests('grpc').filter((r) => r.at >= t0);
  const send = async (tag: string, n = 1) => assert.equal((await post(http, '/v1/logs', logsJson(tag, n))).status, 200);
  try {
    server.scriptGrpc({ kind: 'grpc', code: 8, message: 'quota', retryDelayMs: 1500 });
    await send('quota');
    await waitFor(() => mine().some((r) => r.answer === 'ok'), 'the RESOURCE_EXHAUSTED batch delivered on retry');
    const [refused, delivered] = mine();
    assert.ok(delivered.at - refused.at >= 1500, `retry after ${delivered.at - refused.at} ms`);

    server.scriptGrpc({ kind: 'grpc', code: 3, message: 'bad data' });
    await send('bad', 2);
    await send('afterBad');
    await waitFor(() => bodies(mine()).includes('afterBad-0'), 'the batch after INVALID_ARGUMENT');
    assert.equal(bodies(mine()).filter((b) => b.startsWith('bad')).length, 2, 'not retried');
    const self = (await get(telemetry, '/metrics')).body;
    assert.equal(metric(self, 'otel_pipeline_exporter_send_failed_log_records', 'reason="grpc_invalid_argument"'), 2, self);

    server.scriptGrpc({ kind: 'slow', ms: 3000 });
    await send('slow');
    await waitFor(() => mine().some((r) => r.answer === 'ok' && bodies([r]).includes('slow-0')), 'delivery after the deadline');

    const retries = async () => metric((await get(telemetry, '/metrics')).body, 'otel_pipeline_exporter_retries', 'exporter="otlp"');
    const before = await retries();
    server.stopGrpc();
    await send('down');
    await waitFor(async () => (await retries()) >= before + 2, 'retries while the server is down');
    await server.startGrpc();
    await waitFor(() => bodies(mine()).includes('down-0'), 'the queued batch after the server came back');
    const ok = bodies(mine().filter((r) => r.answer === 'ok'));
    for (const b of ['quota-0', 'afterBad-0', 'slow-0', 'down-0']) assert.equal(ok.filter((x) => x === b).length, 1, b);
  } finally {
    await d.stop();
  }
});

test('daemon → daemon: A exports over gRPC and over HTTP/JSON to B, whose Prometheus exporter shows exactly the sums sent', async () => {
  const ports: number[] = [];
  while (ports.length < 7) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const [aGrpcIn, aJsonIn, aTel, bGrpc, bHttp, bProm, bTel] = ports;
  const b = await Daemon.start([
    `receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${bGrpc} }
      http: { endpoint: 127.0.0.1:${bHttp} }
exporters:
  prometheus: { endpoint: 127.0.0.1:${bProm} }
service:
  telemetry: { metrics: { address: 127.0.0.1:${bTel} } }
  pipelines:
    metrics: { receivers: [otlp], exporters: [prometheus] }
`,
  ]);
  let a: Daemon | undefined;
  try {
    a = await Daemon.start([
      `receivers:
  otlp/grpc_in:
    protocols:
      http: { endpoint: 127.0.0.1:${aGrpcIn} }
  otlp/json_in:
    protocols:
      http: { endpoint: 127.0.0.1:${aJsonIn} }
exporters:
  otlp: { endpoint: "http://127.0.0.1:${bGrpc}" }
  otlphttp: { endpoint: "http://127.0.0.1:${bHttp}", encoding: json }
service:
  telemetry: { metrics: { address: 127.0.0.1:${aTel} } }
  pipelines:
    metrics/grpc: { receivers: [otlp/grpc_in], exporters: [otlp] }
    metrics/json: { receivers: [otlp/json_in], exporters: [otlphttp] }
`,
    ]);
    const requests = { grpc: 3, json: 2 };
    const points = 4;
    for (let i = 0; i < requests.grpc; i++) assert.equal((await post(aGrpcIn, '/v1/metrics', metricsJson('g', points, 'via.grpc'))).status, 200);
    for (let i = 0; i < requests.json; i++) assert.equal((await post(aJsonIn, '/v1/metrics', metricsJson('j', points, 'via.json'))).status, 200);
    const value = (text: string, name: string, i: number): number | undefined => {
      const m = new RegExp(`^${name}(?:_total)?\\{[^}]*\\bi="${i}"[^}]*\\} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : undefined;
    };
    const done = (text: string) => Array.from({ length: points }, (_, i) => value(text, 'via_grpc', i) === requests.grpc && value(text, 'via_json', i) === requests.json).every(Boolean);
    const text = await waitFor(async () => {
      const t = (await get(bProm, '/metrics')).body;
      return done(t) ? t : undefined;
    }, 'B to show every point sent through A').catch(async (err) => {
      throw new Error(`${(err as Error).message}\n${(await get(bProm, '/metrics')).body}`);
    });
    for (let i = 0; i < points; i++) {
      assert.equal(value(text, 'via_grpc', i), requests.grpc);
      assert.equal(value(text, 'via_json', i), requests.json);
    }
  } finally {
    await a?.stop();
    await b.stop();
  }
});

test('persistent queue: batches accepted while the vendor is down survive kill -9 and a restart, and arrive exactly once', async () => {
  const [http, telemetry] = [await freePort(), await freePort()];
  const storage = fs.mkdtempSync(path.join(os.tmpdir(), 'otlp-exporter-wal-'));
  const config = `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${http} }
exporters:
  otlphttp:
    endpoint: ${server.httpUrl}
    timeout: 500ms
    retry_on_failure: { initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 0 }
    sending_queue: { num_consumers: 1, storage: { directory: ${storage} } }
service:
  telemetry: { metrics: { address: 127.0.0.1:${telemetry} } }
  pipelines:
    logs: { receivers: [otlp], exporters: [otlphttp] }
`;
  const t0 = Date.now();
  const mine = (): Received[] => server.requests('http').filter((r) => r.at >= t0);
  let d: Daemon | undefined;
  try {
    await server.stopHttp();
    d = await Daemon.start([config]);
    for (const tag of ['wal1', 'wal2', 'wal3']) assert.equal((await post(http, '/v1/logs', logsJson(tag, 2))).status, 200);
    // kill -9: no drain and no flush; only what the write-ahead log put on disk before answering 200 survives.
    d.signal('SIGKILL');
    assert.equal((await d.exited).signal, 'SIGKILL');
    await d.stop();
    d = undefined;
    assert.equal(mine().length, 0, 'nothing could be delivered while the server was down');
    await server.startHttp();
    d = await Daemon.start([config]);
    await waitFor(() => ['wal1', 'wal2', 'wal3'].every((t) => bodies(mine()).includes(`${t}-1`)), 'the persisted batches after the restart');
    assert.deepEqual(bodies(mine()).sort(), ['wal1-0', 'wal1-1', 'wal2-0', 'wal2-1', 'wal3-0', 'wal3-1']);
    // "sent" counts what the destination took, not what was queued.
    await waitFor(async () => /otel_pipeline_exporter_sent_log_records(_total)?\{[^}]*\} 6$/m.test((await get(telemetry, '/metrics')).body), 'sent = 6 on the restarted daemon');
  } finally {
    if (!server.httpListening) await server.startHttp();
    await d?.stop();
    fs.rmSync(storage, { recursive: true, force: true });
  }
});
