import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { createLogger, LogOutput } from '../../telemetry/logger';
import { PartialSuccessReporter } from './partial';

class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

test('partial_success: every rejected item counted per signal, each distinct message logged once', async () => {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  const lines: string[] = [];
  const logger = createLogger(new LogOutput('info', { write: (l: string) => void lines.push(l) }));
  const r = new PartialSuccessReporter({ id: 'otlp/vendor', kind: 'exporter', logger, meter: provider.getMeter('t') });
  r.report('logs', 2, 'too old');
  r.report('logs', 3, 'too old');
  r.report('logs', 1, 'too big');
  r.report('traces', 4, 'too old');
  r.report('metrics', 0, '');
  const { resourceMetrics } = await reader.collect();
  const points = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === 'otel_pipeline_exporter_partial_success_rejected_items')!.dataPoints;
  const bySignal = Object.fromEntries(points.map((p) => [p.attributes.signal, p.value]));
  assert.deepEqual(bySignal, { logs: 6, traces: 4 });
  assert.ok(points.every((p) => p.attributes.exporter === 'otlp/vendor'));
  const logged = lines.map((l) => JSON.parse(l) as { message: string; signal: string });
  assert.deepEqual(logged.map((l) => `${l.signal}:${l.message}`), ['logs:too old', 'logs:too big', 'traces:too old']);
  await provider.shutdown();
});
