/**
 * OTLP in → pipeline → OTLP out is lossless: a request holding every metric
 * type, every attribute value kind, exemplars, int vs double, exact
 * nanosecond times, log records and spans goes through the real otlp
 * receiver (grpc, http/protobuf, http/json), fans out over two pipelines with
 * batch processors, and what the exporters re-encode decodes to exactly what
 * was sent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNoopMeter } from '@opentelemetry/api';
import { FACTORIES } from '../components';
import { loadConfig } from '../config/load';
import type { Batch, Signal } from '../model/batch';
import { decodeLogsRequest, decodeMetricsRequest, decodeTracesRequest, encodeLogsRequest, encodeMetricsRequest, encodeTracesRequest } from '../otlp/proto';
import { encodeLogsRequestJson, encodeMetricsRequestJson, encodeTracesRequestJson } from '../otlp/json';
import { sampleLogs, sampleMetrics, sampleTraces } from '../otlp/proto/fixtures';
import { grpcExport, request, waitFor } from '../receivers/otlp/harness';
import { silentLogger } from '../telemetry/logger';
import type { ExporterFactory } from './component';
import { Graph } from './graph';
import { Registry } from './registry';
import type { OtlpReceiver } from '../receivers/otlp';

/** An exporter that re-encodes what it receives to OTLP protobuf, as an OTLP exporter would. */
const wire: Record<string, Uint8Array[]> = {};
const captureFactory: ExporterFactory = {
  kind: 'exporter',
  type: 'capture',
  description: 'test: re-encodes batches to OTLP protobuf',
  stability: { metrics: 'development', logs: 'development', traces: 'development' },
  mutatesData: false,
  schema: { type: 'object', additionalProperties: false, properties: { key: { type: 'string' } }, required: ['key'] },
  create(config: { key: string }) {
    return {
      start: async () => {},
      shutdown: async () => {},
      consume: async (b: Batch) => {
        const bytes = b.signal === 'metrics' ? encodeMetricsRequest(b.resourceMetrics) : b.signal === 'logs' ? encodeLogsRequest(b.resourceLogs) : encodeTracesRequest(b.resourceSpans);
        (wire[`${config.key}/${b.signal}`] ??= []).push(bytes);
      },
    };
  },
};

const CONFIG = `
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:0 }
      http: { endpoint: 127.0.0.1:0 }
processors:
  batch: { timeout: 10ms }
exporters:
  capture/a: { key: a }
  capture/b: { key: b }
service:
  pipelines:
    metrics/a: { receivers: [otlp], processors: [batch], exporters: [capture/a] }
    metrics/b: { receivers: [otlp], processors: [batch], exporters: [capture/b] }
    logs: { receivers: [otlp], processors: [batch], exporters: [capture/a, capture/b] }
    traces: { receivers: [otlp], processors: [batch], exporters: [capture/a, capture/b] }
`;

const decoders = { metrics: decodeMetricsRequest, logs: decodeLogsRequest, traces: decodeTracesRequest } as const;
const samples = { metrics: sampleMetrics, logs: sampleLogs, traces: sampleTraces } as const;
const proto = { metrics: () => encodeMetricsRequest(sampleMetrics()), logs: () => encodeLogsRequest(sampleLogs()), traces: () => encodeTracesRequest(sampleTraces()) };
const json = { metrics: () => encodeMetricsRequestJson(sampleMetrics()), logs: () => encodeLogsRequestJson(sampleLogs()), traces: () => encodeTracesRequestJson(sampleTraces()) };

test('every value survives receiver → fan-out → batch → exporter on every transport', async () => {
  const registry = new Registry([...FACTORIES, captureFactory]);
  const loaded = loadConfig([{ name: 'lossless.yaml', text: CONFIG }], registry, {});
  assert.deepEqual(loaded.problems, []);
  const graph = new Graph(loaded.config!, { logger: silentLogger, meter: createNoopMeter(), host: { isReady: () => true } });
  await graph.start();
  try {
    const addrs = (graph.receivers.get('otlp') as OtlpReceiver).addresses();
    const httpPort = Number(addrs.http!.split(':').pop());
    for (const signal of ['metrics', 'logs', 'traces'] as Signal[]) {
      for (const k of Object.keys(wire)) delete wire[k];
      const sent = [
        await request({ port: httpPort, path: `/v1/${signal}`, headers: { 'content-type': 'application/x-protobuf' }, body: Buffer.from(proto[signal]()) }),
        await request({ port: httpPort, path: `/v1/${signal}`, headers: { 'content-type': 'application/json' }, body: json[signal]() }),
      ];
      for (const r of sent) assert.equal(r.status, 200, r.body.toString());
      const g = await grpcExport(addrs.grpc!, signal, Buffer.from(proto[signal]()));
      assert.equal(g.code, 0, g.details);
      for (const key of ['a', 'b']) {
        await waitFor(() => (wire[`${key}/${signal}`] ?? []).reduce((n, b) => n + decoders[signal](b).data.length, 0) >= 3 * samples[signal]().length, 5000, `${key}/${signal}`);
        const out: unknown[] = wire[`${key}/${signal}`].flatMap((b): unknown[] => decoders[signal](b).data);
        // The three requests were sent one after another, each answered only once exported.
        const expected: unknown[] = [...samples[signal](), ...samples[signal](), ...samples[signal]()];
        assert.deepEqual(out, expected, `${signal} via pipeline ${key}`);
      }
    }
  } finally {
    await graph.shutdown(Date.now() + 5000);
  }
});
