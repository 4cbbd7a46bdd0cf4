import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ValueType, type Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MetricRegistry } from './metrics';

const RESOURCE = { 'service.name': 'otel-pipeline', 'service.version': '1.2.3' };

/** The OpenTelemetry SDK with its Prometheus exporter, configured as the daemon configured it. */
function sdk(): { meter: Meter; scrape: () => Promise<string> } {
  const exporter = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true });
  const provider = new MeterProvider({ resource: resourceFromAttributes(RESOURCE), readers: [exporter] });
  const serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  return {
    meter: provider.getMeter('otel-pipeline', '1.2.3'),
    scrape: async () => serializer.serialize((await exporter.collect()).resourceMetrics),
  };
}

function ours(): { meter: Meter; scrape: () => Promise<string> } {
  const registry = new MetricRegistry(RESOURCE);
  return { meter: registry, scrape: () => registry.collect() };
}

/**
 * Everything the daemon's components do with their meter, and the corners
 * of the exposition: returns a scrape after each step.
 */
async function exercise({ meter, scrape }: { meter: Meter; scrape: () => Promise<string> }): Promise<string[]> {
  const scrapes: string[] = [];
  const accepted = meter.createCounter('otel_pipeline_receiver_accepted_metric_points', { description: 'points accepted' });
  const unused = meter.createCounter('otel_pipeline_never_counted', { description: 'no series, so not served' });
  void unused;
  const total = meter.createCounter('already_total', { description: 'a counter named with _total' });
  const dotted = meter.createCounter('my.dotted-name', { unit: 'By', description: 'line one\nline two \\ end' });
  const ints = meter.createCounter('int_counter', { valueType: ValueType.INT });
  const upDown = meter.createUpDownCounter('queue_size', { description: 'up and down' });
  const gauge = meter.createGauge('sync_gauge', { unit: 's', description: 'a recorded gauge' });
  const hist = meter.createHistogram('latency', { unit: 'ms', description: 'default buckets' });
  const histCustom = meter.createHistogram('sizes', { description: 'custom buckets', advice: { explicitBucketBoundaries: [1, 10, 100] } });
  const pending = meter.createObservableGauge('otel_pipeline_processor_batch_pending_items', { description: 'Items held.' });
  const rss = meter.createObservableGauge('process_rss', { unit: 'By', description: 'rss' });
  const uptime = meter.createObservableGauge('process_uptime', { unit: 's' });
  const observedTotal = meter.createObservableCounter('observed_counter', { description: 'cumulative from a callback' });
  const observedUpDown = meter.createObservableUpDownCounter('observed_updown', { description: 'from a callback' });

  accepted.add(3, { receiver: 'otlp', transport: 'grpc' });
  accepted.add(4, { transport: 'grpc', receiver: 'otlp' }); // same series, other key order
  accepted.add(5, { receiver: 'otlp', transport: 'http' });
  accepted.add(-2, { receiver: 'otlp', transport: 'http' }); // counters refuse negative values
  total.add(1);
  dotted.add(2.5, { 'k.with.dots': 'v"quoted"\nnew\\line', n: 7 as unknown as string, b: true as unknown as string });
  ints.add(2.9);
  upDown.add(5, { q: 'a' });
  upDown.add(-7, { q: 'a' });
  gauge.record(1.5);
  gauge.record(0.25);
  for (const v of [0, 3, 5, 7, 10000, 20000]) hist.record(v, { route: '/x' });
  for (const v of [1, 2, 100, 101]) histCustom.record(v);

  const pendingA = (r: { observe(v: number, a?: Record<string, string>): void }): void => r.observe(10, { processor: 'batch', pipeline: 'metrics' });
  const pendingB = (r: { observe(v: number, a?: Record<string, string>): void }): void => r.observe(20, { processor: 'batch', pipeline: 'logs' });
  pending.addCallback(pendingA);
  pending.addCallback(pendingA); // added twice, observed once
  pending.addCallback(pendingB);
  let n = 0;
  const batch = (r: { observe(o: unknown, v: number, a?: Record<string, string>): void }): void => {
    n++;
    r.observe(rss, 1000 * n);
    r.observe(uptime, 0.5 * n);
  };
  meter.addBatchObservableCallback(batch as never, [rss, uptime]);
  observedTotal.addCallback((r) => r.observe(100 * (n + 1), { side: 'a' }));
  observedUpDown.addCallback((r) => r.observe(-3));
  scrapes.push(await scrape());

  // A second instrument of the same name shares the series; the longer description wins.
  meter.createCounter('otel_pipeline_receiver_accepted_metric_points', { description: 'points accepted by the receiver, a longer text' }).add(1, { receiver: 'otlp', transport: 'grpc' });
  // A removed callback's series stay with their last values.
  pending.removeCallback(pendingB);
  meter.removeBatchObservableCallback(batch as never, [rss, uptime]);
  scrapes.push(await scrape());
  return scrapes;
}

test('the self-telemetry registry serves what the OpenTelemetry SDK and its Prometheus exporter served', async () => {
  const expected = await exercise(sdk());
  const got = await exercise(ours());
  assert.equal(got.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.equal(got[i], expected[i], `scrape ${i + 1}`);
  // The comparison covers what it should: counters, units, histograms, observed values.
  assert.match(expected[0], /^otel_pipeline_receiver_accepted_metric_points_total\{receiver="otlp",transport="grpc"\} 7$/m);
  assert.match(expected[0], /^# UNIT my_dotted_name_total By$/m);
  assert.match(expected[0], /^latency_bucket\{route="\/x",le="\+Inf"\} 6$/m);
  assert.match(expected[1], /^otel_pipeline_processor_batch_pending_items\{processor="batch",pipeline="logs"\} 20$/m);
  assert.doesNotMatch(expected[0], /never_counted/);
});

test('a failing callback is reported once and the scrape goes on', async () => {
  const failures: string[] = [];
  const registry = new MetricRegistry(RESOURCE, (name, err) => failures.push(`${name}: ${(err as Error).message}`));
  const broken = registry.createObservableGauge('broken');
  const fine = registry.createObservableGauge('fine');
  broken.addCallback(() => {
    throw new Error('boom');
  });
  fine.addCallback((r) => r.observe(42));
  const rejecting = registry.createObservableGauge('rejecting');
  rejecting.addCallback(async () => {
    throw new Error('async boom');
  });
  for (let i = 0; i < 2; i++) {
    const text = await registry.collect();
    assert.match(text, /^fine 42$/m);
    assert.doesNotMatch(text, /^broken|^rejecting/m);
  }
  assert.deepEqual(failures.sort(), ['broken: boom', 'rejecting: async boom']);
});
