/**
 * The Prometheus test harness against the real daemon: its self-telemetry
 * passes `promtool check metrics`, a real Prometheus scrapes it and sees the
 * exact number of points accepted, and promtool does reject a broken exposition.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon, freePort } from './harness';
import { get, metricsJson, post } from './otlp-http';
import { PrometheusServer, promtoolCheckMetrics, type Sample } from '../support/prometheus';

const REQUESTS = 4;
const POINTS_PER_REQUEST = 3;
const SENT = REQUESTS * POINTS_PER_REQUEST;
const ACCEPTED = 'otel_pipeline_receiver_accepted_metric_points_total';

let daemon: Daemon | undefined;
let prometheus: PrometheusServer | undefined;
let starting: Promise<PrometheusServer> | undefined;
let telemetry = 0;

before(async () => {
  const http = await freePort();
  telemetry = await freePort();
  // Prometheus applies its targets only ~5 s after it starts (it throttles
  // target updates), so start it alongside the daemon rather than after.
  starting = PrometheusServer.start({ scrapeTargets: [`127.0.0.1:${telemetry}`], scrapeIntervalMs: 500 });
  starting.catch(() => undefined); // awaited below, or in after() if the daemon fails first
  daemon = await Daemon.start([
    `
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${http} }
processors:
  batch: { timeout: 50ms }
exporters:
  debug: { verbosity: basic }
service:
  telemetry:
    metrics: { address: 127.0.0.1:${telemetry} }
  pipelines:
    metrics: { receivers: [otlp], processors: [batch], exporters: [debug] }
`,
  ]);
  for (let i = 0; i < REQUESTS; i++) {
    const r = await post(http, '/v1/metrics', metricsJson(`p${i}`, POINTS_PER_REQUEST));
    assert.equal(r.status, 200, r.body);
  }
  prometheus = await starting;
});

after(async () => {
  prometheus ??= await starting?.catch(() => undefined);
  await prometheus?.stop();
  await daemon?.stop();
});

test("promtool accepts the daemon's /metrics exposition", async () => {
  const res = await get(telemetry, '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.body, new RegExp(`^${ACCEPTED}\\{`, 'm'), 'the counter is exposed');
  const check = await promtoolCheckMetrics(res.body);
  assert.ok(check.ok, `promtool check metrics exited ${check.code}:\n${check.output}\n--- exposition ---\n${res.body}`);
});

test('promtool rejects a broken exposition', async () => {
  const check = await promtoolCheckMetrics('bad metric{\n');
  assert.equal(check.ok, false);
  assert.equal(check.code, 1);
  assert.match(check.output, /parsing error/);
});

test('a real Prometheus scrapes the self-telemetry and counts every point sent', async () => {
  assert.ok(prometheus);
  const total = (r: Sample[]) => r.reduce((n, s) => n + s.value, 0);
  const result = await prometheus.waitForQuery(ACCEPTED, (r) => total(r) === SENT, 20_000);
  assert.ok(result.length >= 1);
  for (const s of result) {
    assert.equal(s.metric.job, 'otel-pipeline');
    assert.equal(s.metric.instance, `127.0.0.1:${telemetry}`);
    assert.equal(s.metric.receiver, 'otlp');
  }
  const targets = await prometheus.targets();
  assert.equal(targets.length, 1);
  assert.equal(targets[0].scrapeUrl, `http://127.0.0.1:${telemetry}/metrics`);
  assert.equal(targets[0].health, 'up', targets[0].lastError);
  assert.equal(targets[0].lastError, '');
  // up{} is Prometheus's own record of the scrape succeeding.
  const up = await prometheus.query(`up{instance="127.0.0.1:${telemetry}"}`);
  assert.deepEqual(up.map((s) => s.value), [1]);
});
