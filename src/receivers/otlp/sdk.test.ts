/**
 * The receiver against the real OpenTelemetry JS exporters, configured as
 * Claude Code configures them (delta temporality, double counters, events as
 * log records with string attributes), over gRPC, HTTP/JSON and
 * HTTP/protobuf, plain and gzip.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { AggregationTemporalityPreference, OTLPMetricExporter as MetricsHttpJson } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as MetricsGrpc } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as MetricsProto } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPLogExporter as LogsGrpc } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as LogsHttpJson } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as LogsProto } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as TracesGrpc } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as TracesHttpJson } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as TracesProto } from '@opentelemetry/exporter-trace-otlp-proto';
import type { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { getAttribute, type AnyValue } from '../../model/common';
import type { LogsBatch, MetricsBatch, TracesBatch } from '../../model/batch';
import { Temporality } from '../../model/metrics';
import { RecordingConsumer, startReceiver, waitFor, type Started } from './harness';

type Protocol = 'grpc' | 'http/json' | 'http/protobuf';
const PROTOCOLS: Protocol[] = ['grpc', 'http/json', 'http/protobuf'];
const resource = resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': '2.0.0' });

function attr(attrs: { key: string; value: AnyValue }[], key: string): unknown {
  const v = getAttribute(attrs, key);
  return v && 'value' in v ? v.value : undefined;
}

/**
 * A TCP pass-through that keeps what the client sent, so a test can see
 * whether gRPC messages went out compressed (grpc-js hides `grpc-encoding`
 * from the server's metadata).
 */
async function wireTap(target: string): Promise<{ address: string; sent: Buffer[]; close(): void }> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sent: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => (client.destroy(), upstream.destroy()));
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d: Buffer) => sent.push(Buffer.from(d)));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    sent,
    close: () => (server.close(), sockets.forEach((s) => s.destroy())),
  };
}

/** A gRPC length-prefixed message with the compressed flag set, holding a gzip stream. */
function sawGzipMessage(chunks: Buffer[]): boolean {
  const b = Buffer.concat(chunks);
  for (let i = 0; i + 7 < b.length; i++) if (b[i] === 1 && b[i + 5] === 0x1f && b[i + 6] === 0x8b && b.readUInt32BE(i + 1) < b.length) return true;
  return false;
}

function exported(run: (cb: (r: ExportResult) => void) => void): Promise<ExportResult> {
  return new Promise((resolve) => run(resolve));
}

describe('real SDK exporters', () => {
  const metrics = new RecordingConsumer();
  const logs = new RecordingConsumer();
  const traces = new RecordingConsumer();
  let rx: Started;
  let tap: Awaited<ReturnType<typeof wireTap>>;

  before(async () => {
    rx = await startReceiver(
      { protocols: { grpc: { endpoint: '127.0.0.1:0', include_metadata: true }, http: { endpoint: '127.0.0.1:0', include_metadata: true } } },
      { metrics, logs, traces },
    );
    tap = await wireTap(rx.grpc);
  });
  after(async () => {
    tap.close();
    await rx.stop();
  });

  const url = (p: Protocol, path: string) => {
    tap.sent.length = 0;
    return p === 'grpc' ? `http://${tap.address}` : `http://${rx.http}${path}`;
  };
  const compression = (gzip: boolean) => (gzip ? 'gzip' : 'none') as CompressionAlgorithm;
  /** Whether the request really travelled gzip-compressed. */
  const wasGzipped = (p: Protocol, metadata: ReadonlyMap<string, readonly string[]> | undefined) =>
    p === 'grpc' ? sawGzipMessage(tap.sent) : metadata?.get('content-encoding')?.[0] === 'gzip';

  for (const p of PROTOCOLS) {
    for (const gzip of [false, true]) {
      const label = `${p}${gzip ? ' + gzip' : ''}`;

      it(`metrics: a delta double counter over ${label}`, async () => {
        const config = { url: url(p, '/v1/metrics'), temporalityPreference: AggregationTemporalityPreference.DELTA, compression: compression(gzip) };
        const exporter: PushMetricExporter = p === 'grpc' ? new MetricsGrpc(config) : p === 'http/json' ? new MetricsHttpJson(config) : new MetricsProto(config);
        const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
        const provider = new MeterProvider({ resource, readers: [reader] });
        const before = metrics.batches.length;
        try {
          const cost = provider.getMeter('com.anthropic.claude_code').createCounter('claude_code.cost.usage', { unit: 'USD' });
          cost.add(0.0123, { model: 'claude-sonnet-4-5', 'session.id': 's-1', 'user.email': 'a@b.c' });
          cost.add(0.5, { model: 'claude-opus-4-1', 'session.id': 's-1', 'user.email': 'a@b.c' });
          await reader.forceFlush(); // rejects when the export fails
        } finally {
          await provider.shutdown();
        }
        assert.equal(metrics.batches.length, before + 1);
        const batch = metrics.batches[before] as MetricsBatch;
        const rm = batch.resourceMetrics[0];
        assert.equal(attr(rm.resource.attributes, 'service.name'), 'claude-code');
        assert.equal(rm.scopeMetrics[0].scope.name, 'com.anthropic.claude_code');
        const metric = rm.scopeMetrics[0].metrics[0];
        assert.equal(metric.name, 'claude_code.cost.usage');
        assert.equal(metric.unit, 'USD');
        assert.equal(metric.data.type, 'sum');
        if (metric.data.type !== 'sum') return;
        assert.equal(metric.data.temporality, Temporality.Delta);
        assert.equal(metric.data.isMonotonic, true);
        const points = metric.data.dataPoints.map((dp) => ({ model: attr(dp.attributes, 'model'), valueType: dp.valueType, value: dp.value, session: attr(dp.attributes, 'session.id') }));
        assert.deepEqual(points.sort((a, b) => String(a.model).localeCompare(String(b.model))), [
          { model: 'claude-opus-4-1', valueType: 'double', value: 0.5, session: 's-1' },
          { model: 'claude-sonnet-4-5', valueType: 'double', value: 0.0123, session: 's-1' },
        ]);
        assert.equal(batch.context?.clientAddress, '127.0.0.1');
        assert.equal(wasGzipped(p, batch.context?.metadata), gzip);
      });

      it(`logs: a Claude Code event over ${label}`, async () => {
        const memory = new InMemoryLogRecordExporter();
        const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
        provider.getLogger('com.anthropic.claude_code.events').emit({
          body: 'claude_code.api_request',
          attributes: { 'event.name': 'api_request', 'event.timestamp': '2025-01-01T00:00:00.000Z', model: 'claude-sonnet-4-5', input_tokens: '372', output_tokens: '29', cost_usd: '0.0021' },
        });
        await provider.forceFlush();
        const config = { url: url(p, '/v1/logs'), compression: compression(gzip) };
        const exporter: LogRecordExporter = p === 'grpc' ? new LogsGrpc(config) : p === 'http/json' ? new LogsHttpJson(config) : new LogsProto(config);
        const before = logs.batches.length;
        try {
          const result = await exported((cb) => exporter.export(memory.getFinishedLogRecords(), cb));
          assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
        } finally {
          await exporter.shutdown();
          await provider.shutdown();
        }
        const batch = logs.batches[before] as LogsBatch;
        const sl = batch.resourceLogs[0].scopeLogs[0];
        assert.equal(sl.scope.name, 'com.anthropic.claude_code.events');
        const record = sl.logRecords[0];
        assert.deepEqual(record.body, { kind: 'string', value: 'claude_code.api_request' });
        assert.equal(attr(record.attributes, 'event.name'), 'api_request');
        assert.deepEqual(getAttribute(record.attributes, 'input_tokens'), { kind: 'string', value: '372' });
        assert.equal(attr(record.attributes, 'cost_usd'), '0.0021');
        assert.equal(wasGzipped(p, batch.context?.metadata), gzip);
      });

      it(`traces: a span over ${label}`, async () => {
        const memory = new InMemorySpanExporter();
        const provider = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(memory)] });
        const span = provider.getTracer('com.anthropic.claude_code.tracing').startSpan('claude_code.interaction', { attributes: { 'session.id': 's-1', turn: 3 } });
        span.end();
        const config = { url: url(p, '/v1/traces'), compression: compression(gzip) };
        const exporter: SpanExporter = p === 'grpc' ? new TracesGrpc(config) : p === 'http/json' ? new TracesHttpJson(config) : new TracesProto(config);
        const before = traces.batches.length;
        try {
          const result = await exported((cb) => exporter.export(memory.getFinishedSpans(), cb));
          assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
        } finally {
          await exporter.shutdown();
          await provider.shutdown();
        }
        const batch = traces.batches[before] as TracesBatch;
        const got = batch.resourceSpans[0].scopeSpans[0].spans[0];
        assert.equal(got.name, 'claude_code.interaction');
        assert.equal(Buffer.from(got.traceId).toString('hex'), span.spanContext().traceId);
        assert.equal(Buffer.from(got.spanId).toString('hex'), span.spanContext().spanId);
        assert.deepEqual(getAttribute(got.attributes, 'turn'), { kind: 'int', value: 3 });
        assert.equal(wasGzipped(p, batch.context?.metadata), gzip);
      });
    }
  }

  it('routes an SDK whose per-signal endpoint lacks the path (POST to "/") and hints once', async () => {
    const delta = AggregationTemporalityPreference.DELTA;
    for (const exporter of [new MetricsHttpJson({ url: `http://${rx.http}`, temporalityPreference: delta }), new MetricsProto({ url: `http://${rx.http}/`, temporalityPreference: delta })]) {
      const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
      const provider = new MeterProvider({ resource, readers: [reader] });
      const before = metrics.batches.length;
      try {
        provider.getMeter('m').createCounter('claude_code.session.count').add(1);
        await reader.forceFlush();
        assert.equal(metrics.batches.length, before + 1);
      } finally {
        await provider.shutdown();
      }
    }
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
    provider.getLogger('e').emit({ body: 'claude_code.user_prompt' });
    const exporter = new LogsProto({ url: `http://${rx.http}` });
    const result = await exported((cb) => exporter.export(memory.getFinishedLogRecords(), cb));
    await exporter.shutdown();
    assert.equal(result.code, ExportResultCode.SUCCESS);
    await waitFor(() => logs.batches.some((b) => (b as LogsBatch).resourceLogs[0]?.scopeLogs[0]?.scope.name === 'e'));
    const hints = rx.lines.filter((l) => l.level === 'warn' && /POSTs \w+ to "\/"/.test(l.msg));
    assert.deepEqual(hints.map((h) => h.signal), ['metrics', 'logs'], 'one hint per signal, however many requests');
    assert.match(String(hints[0].msg), /\/v1\/metrics/);
  });
});
