/**
 * The presets in config/: each validates through the CLI (alone, with the
 * auth overlay, and with the environment the container image sets), and the
 * agent-framework preset carries a framework's counters, gauges and
 * histograms from a real SDK client to the Prometheus exporter as their own
 * types.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { test } from 'node:test';
import { AggregationTemporalityPreference } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { Daemon, freePort, ROOT, runCli, waitFor } from './harness';
import { samples, selfMetric } from './exposition';
import { get } from './otlp-http';

const CONFIG = path.join(ROOT, 'config');

/** The ENV lines of the Dockerfile's runtime stage. */
function imageEnv(): Record<string, string> {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const runtime = text.slice(text.indexOf('AS runtime'));
  const env: Record<string, string> = {};
  for (const line of runtime.split('\n').filter((l) => l.startsWith('ENV '))) for (const m of line.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) env[m[1]] = m[2];
  return env;
}

for (const [preset, pipelines] of [['claude-code.yaml', 3], ['agent-framework.yaml', 1]] as const) {
  test(`config/${preset} validates: alone, with the image's environment, and with config/auth.yaml and a token`, async () => {
    const file = path.join(CONFIG, preset);
    const alone = await runCli(['validate', '--config', file], { env: { OTEL_PIPELINE_LISTEN_HOST: '', PG_URL: '' } });
    assert.equal(alone.code, 0, alone.stderr);
    assert.equal(alone.stdout, `config is valid: ${pipelines} pipeline(s)\n`);
    assert.equal(alone.stderr, '', 'every variable has a default: no warning');
    const image = await runCli(['validate', '--config', file], { env: imageEnv() });
    assert.equal(image.code, 0, image.stderr);
    const printed = await runCli(['print-config', '--config', file], { env: imageEnv() });
    assert.match(printed.stdout, /endpoint: 0\.0\.0\.0:4317/, 'the image listens on every interface');
    const auth = await runCli(['validate', '--config', file, '--config', path.join(CONFIG, 'auth.yaml')], { env: { OTEL_PIPELINE_TOKEN: 'kit-token' } });
    assert.equal(auth.code, 0, auth.stderr);
    const noToken = await runCli(['validate', '--config', file, '--config', path.join(CONFIG, 'auth.yaml')], { env: { OTEL_PIPELINE_TOKEN: '' } });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /auth\.yaml:\d+:\d+: receivers\.otlp\.auth\.bearer_token/);
  });
}

test('config/agent-framework.yaml: counters (delta, summed), gauges and a histogram from a real SDK keep their types and labels', async () => {
  const [grpc, http, prom, telemetry, health] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  const d = await Daemon.start([fs.readFileSync(path.join(CONFIG, 'agent-framework.yaml'), 'utf8')], {
    env: {
      OTEL_PIPELINE_LISTEN_HOST: '127.0.0.1',
      OTEL_PIPELINE_GRPC_PORT: String(grpc),
      OTEL_PIPELINE_HTTP_PORT: String(http),
      OTEL_PIPELINE_PROMETHEUS_PORT: String(prom),
      OTEL_PIPELINE_TELEMETRY_PORT: String(telemetry),
      OTEL_PIPELINE_HEALTH_PORT: String(health),
    },
  });
  const exporter = new OTLPMetricExporter({ url: `http://127.0.0.1:${http}/v1/metrics`, temporalityPreference: AggregationTemporalityPreference.DELTA });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'agent-runner' }),
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60000 })],
  });
  try {
    const meter = provider.getMeter('agent-framework');
    const planner = { agent: 'planner', project: 'atlas', sprint: 's12', model: 'claude-sonnet-4-5' };
    const coder = { ...planner, agent: 'coder' };
    const tokens = meter.createCounter('tokens_input_total');
    const cost = meter.createCounter('api_cost_usd_total');
    const efficiency = meter.createGauge('agent_efficiency_score');
    const context = meter.createGauge('context_usage_percent', { unit: '%' });
    const durations = meter.createHistogram('task_duration_seconds', { unit: 's', advice: { explicitBucketBoundaries: [1, 10, 60] } });
    // Two export rounds: deltas must add up.
    for (const round of [1, 2]) {
      tokens.add(1000, planner);
      tokens.add(250 * round, coder);
      cost.add(0.25, planner);
      efficiency.record(0.8 + round / 100, planner);
      context.record(40 + round, coder);
      for (const s of [0.5, 7, 30]) durations.record(s, coder);
      await provider.forceFlush();
    }
    const text = await waitFor(async () => {
      const t = (await get(prom, '/metrics')).body;
      return selfMetric(t, 'task_duration_seconds_count') === 6 ? t : undefined;
    }, 'both rounds in the exporter');
    const type = (name: string) => new RegExp(`^# TYPE ${name} (\\S+)$`, 'm').exec(text)?.[1];
    assert.equal(type('tokens_input_total'), 'counter');
    assert.equal(type('api_cost_usd_total'), 'counter');
    assert.equal(type('agent_efficiency_score'), 'gauge');
    assert.equal(type('context_usage_percent'), 'gauge');
    assert.equal(type('task_duration_seconds'), 'histogram');
    assert.equal(selfMetric(text, 'tokens_input_total', { agent: 'planner', project: 'atlas', sprint: 's12', model: 'claude-sonnet-4-5' }), 2000);
    assert.equal(selfMetric(text, 'tokens_input_total', { agent: 'coder' }), 250 + 500);
    assert.equal(selfMetric(text, 'api_cost_usd_total'), 0.5);
    assert.equal(selfMetric(text, 'agent_efficiency_score', { agent: 'planner' }), 0.8 + 2 / 100, 'a gauge keeps its last value (round 2)');
    assert.equal(selfMetric(text, 'context_usage_percent', { agent: 'coder' }), 42);
    const bucket = (le: string) => samples(text).find((s) => s.name === 'task_duration_seconds_bucket' && s.labels.le === le)?.value;
    assert.deepEqual([bucket('1'), bucket('10'), bucket('60'), bucket('+Inf')], [2, 4, 6, 6]);
    assert.equal(selfMetric(text, 'task_duration_seconds_sum'), 2 * (0.5 + 7 + 30));
  } finally {
    await provider.shutdown().catch(() => undefined);
    await d.stop();
  }
});
