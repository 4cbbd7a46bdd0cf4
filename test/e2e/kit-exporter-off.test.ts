/**
 * The switch the presets use: an OTLP exporter whose endpoint expands to the
 * empty string is off. Through the real daemon: one startup note per
 * exporter, every item given to it counted as dropped with
 * reason="not_configured" on the self-telemetry port, nothing sent; and the
 * same config with the variable set sends, leaving out headers that
 * expanded to nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { countItems } from '../../src/model/batch';
import { encodeLogsRequest, encodeTracesRequest } from '../../src/otlp/proto';
import { sampleLogs, sampleTraces } from '../../src/otlp/proto/fixtures';
import { FaultServer } from '../support/fault-server';
import { Daemon, freePort, waitFor } from './harness';
import { selfMetric } from './exposition';
import { get, post } from './otlp-http';

const PROTO = { 'content-type': 'application/x-protobuf' };

let server: FaultServer;
before(async () => (server = await FaultServer.start()));
after(() => server.stop());

function config(http: number, telemetry: number): string {
  return `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${http} }
exporters:
  otlp/vendor:
    endpoint: \${env:KIT_VENDOR_GRPC:-}
    tls: { insecure: true }
  otlphttp/vendor:
    endpoint: \${env:KIT_VENDOR_HTTP:-}
    headers:
      authorization: \${env:KIT_VENDOR_AUTHORIZATION:-}
      x-team: \${env:KIT_TEAM:-}
service:
  telemetry: { metrics: { address: 127.0.0.1:${telemetry} } }
  pipelines:
    traces: { receivers: [otlp], exporters: [otlp/vendor, otlphttp/vendor] }
    logs: { receivers: [otlp], exporters: [otlphttp/vendor] }
`;
}

const env = { KIT_VENDOR_GRPC: '', KIT_VENDOR_HTTP: '', KIT_VENDOR_AUTHORIZATION: '', KIT_TEAM: '' };

test('empty endpoints: each exporter logs that it is off and counts spans and log records as dropped (not_configured)', async () => {
  const [http, telemetry] = [await freePort(), await freePort()];
  const before = server.received.length;
  const d = await Daemon.start([config(http, telemetry)], { env });
  try {
    const notes = d.logs().filter((l) => l.level === 'warn' && /is off: its endpoint is empty/.test(String(l.msg)));
    assert.deepEqual(notes.map((l) => String(l.msg).match(/exporter (\S+) is off/)?.[1]).sort(), ['otlp/vendor', 'otlphttp/vendor']);

    const spans = countItems({ signal: 'traces', resourceSpans: sampleTraces() });
    const records = countItems({ signal: 'logs', resourceLogs: sampleLogs() });
    assert.ok(spans > 0 && records > 0);
    // Accepted from the client: an exporter that is off is not an error to it.
    assert.equal((await post(http, '/v1/traces', Buffer.from(encodeTracesRequest(sampleTraces())), PROTO)).status, 200);
    assert.equal((await post(http, '/v1/traces', Buffer.from(encodeTracesRequest(sampleTraces())), PROTO)).status, 200);
    assert.equal((await post(http, '/v1/logs', Buffer.from(encodeLogsRequest(sampleLogs())), PROTO)).status, 200);

    const scrape = async () => (await get(telemetry, '/metrics')).body;
    const dropped = (text: string, item: string, exporter: string) => selfMetric(text, `otel_pipeline_exporter_send_failed_${item}`, { exporter, reason: 'not_configured' });
    const text = await waitFor(async () => {
      const t = await scrape();
      return dropped(t, 'spans', 'otlphttp/vendor') === 2 * spans && dropped(t, 'log_records', 'otlphttp/vendor') === records ? t : undefined;
    }, 'the drops in self-telemetry');
    assert.equal(dropped(text, 'spans', 'otlp/vendor'), 2 * spans);
    assert.equal(dropped(text, 'log_records', 'otlp/vendor'), 0, 'otlp/vendor is in no logs pipeline');
    assert.equal(server.received.length, before, 'nothing was sent anywhere');
  } finally {
    await d.stop();
  }
});

test('the same config with the variables set sends, and a header that expanded to nothing is not sent', async () => {
  const [http, telemetry] = [await freePort(), await freePort()];
  const start = server.received.length;
  const d = await Daemon.start([config(http, telemetry)], {
    env: { ...env, KIT_VENDOR_GRPC: server.grpcEndpoint, KIT_VENDOR_HTTP: server.httpUrl, KIT_VENDOR_AUTHORIZATION: 'Bearer vendor-secret' },
  });
  try {
    assert.ok(!d.stderr.includes('is off'), d.stderr);
    assert.equal((await post(http, '/v1/traces', Buffer.from(encodeTracesRequest(sampleTraces())), PROTO)).status, 200);
    await waitFor(() => server.received.length - start >= 2, 'the spans at the vendor over gRPC and HTTP');
    const got = server.received.slice(start);
    assert.deepEqual(got.map((r) => r.protocol).sort(), ['grpc', 'http']);
    const viaHttp = got.find((r) => r.protocol === 'http')!;
    assert.equal(viaHttp.headers.authorization, 'Bearer vendor-secret');
    assert.equal('x-team' in viaHttp.headers, false, 'an empty header value is left out');
    const text = (await get(telemetry, '/metrics')).body;
    assert.equal(selfMetric(text, 'otel_pipeline_exporter_send_failed_spans', { reason: 'not_configured' }), 0);
  } finally {
    await d.stop();
  }
});
