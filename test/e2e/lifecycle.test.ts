/**
 * Lifecycle of the real daemon: graceful shutdown loses nothing it accepted,
 * SIGHUP reloads (a broken config keeps the old graph serving; a good one
 * takes over without dropping the port), health and self-telemetry answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Daemon, freePort, waitFor } from './harness';
import { get, metricsJson, post } from './otlp-http';

function config(p: { http: number; health: number; telemetry?: number; verbosity?: string; batchTimeout?: string }): string {
  return `
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${p.http} }
processors:
  batch: { timeout: ${p.batchTimeout ?? '50ms'} }
exporters:
  debug: { verbosity: ${p.verbosity ?? 'basic'} }
extensions:
  health_check: { endpoint: 127.0.0.1:${p.health} }
service:
  extensions: [health_check]
  telemetry:
    metrics: ${p.telemetry ? `{ address: 127.0.0.1:${p.telemetry} }` : '{ level: none }'}
  pipelines:
    metrics: { receivers: [otlp], processors: [batch], exporters: [debug] }
`;
}

/** Sum of "data points: N" over every basic-verbosity summary line printed. */
function pointsPrinted(stdout: string): number {
  let n = 0;
  for (const m of stdout.matchAll(/data points: (\d+)/g)) n += Number(m[1]);
  return n;
}

test('SIGTERM: requests held in the batch processor are flushed, answered 200, and the daemon exits 0', async () => {
  const http = await freePort();
  const health = await freePort();
  // A long batch timeout: requests are still waiting in the batch when SIGTERM arrives.
  const telemetry = await freePort();
  const d = await Daemon.start([config({ http, health, telemetry, batchTimeout: '30s' })]);
  try {
    const sends = Array.from({ length: 20 }, (_, i) => post(http, '/v1/metrics', metricsJson(`t${i}`, 5)));
    // Every request has reached the batch processor once it holds all 100 points.
    await waitFor(async () => /otel_pipeline_processor_batch_pending_items\{[^}]*\} 100\b/.test((await get(telemetry, '/metrics')).body), 'all points to wait in the batch');
    assert.equal(d.stdout, '', 'nothing was exported before the signal');
    const t0 = Date.now();
    d.signal('SIGTERM');
    const results = await Promise.all(sends);
    for (const r of results) assert.equal(r.status, 200, r.body);
    const exit = await d.exited;
    assert.deepEqual(exit, { code: 0, signal: null }, d.stderr);
    assert.ok(Date.now() - t0 < 10_000, 'shutdown finished well before the deadline');
    assert.equal(pointsPrinted(d.stdout), 100, 'every accepted point was exported');
  } finally {
    await d.stop();
  }
});

test('SIGHUP with a broken config keeps serving; a good one takes over without dropping the port', async () => {
  const http = await freePort();
  const health = await freePort();
  const telemetry = await freePort();
  const d = await Daemon.start([config({ http, health, telemetry })]);
  const file = path.join(d.dir, 'config0.yaml');
  try {
    assert.equal((await post(http, '/v1/metrics', metricsJson('before'))).status, 200);

    // Broken: two problems, both reported; the old graph keeps running.
    fs.writeFileSync(file, config({ http, health, telemetry }).replace('timeout: 50ms', 'timeout: soon').replace('debug: {', 'debug: { colour: red,'));
    d.signal('SIGHUP');
    await waitFor(() => d.logs().filter((l) => l.msg === 'config not reloaded').length >= 2, 'the reload to be refused');
    const refused = d.logs().filter((l) => l.msg === 'config not reloaded').map((l) => String(l.problem));
    assert.ok(refused.some((p) => /config0\.yaml:\d+:\d+: processors\.batch\.timeout: must be a duration/.test(p)), refused.join('\n'));
    assert.ok(refused.some((p) => /exporters\.debug.*colour/.test(p)), refused.join('\n'));
    assert.equal((await post(http, '/v1/metrics', metricsJson('during'))).status, 200);
    assert.equal((await get(health, '/readyz')).status, 200);

    // Good: verbosity normal. Keep sending during the reload: every request must succeed.
    fs.writeFileSync(file, config({ http, health, telemetry, verbosity: 'normal' }));
    let sending = true;
    const statuses: number[] = [];
    const loop = (async () => {
      while (sending) statuses.push((await post(http, '/v1/metrics', metricsJson('reload'))).status);
    })();
    d.signal('SIGHUP');
    await waitFor(() => d.logs().some((l) => l.msg === 'config reloaded'), 'the reload to apply');
    await post(http, '/v1/metrics', metricsJson('after', 1, 'after.reload'));
    await d.waitForStdout((s) => /^after\.reload sum\(delta, monotonic\)/m.test(s), 'normal-verbosity output from the new graph');
    sending = false;
    await loop;
    assert.ok(statuses.length > 0);
    assert.deepEqual([...new Set(statuses)], [200], 'no request failed while the graph was swapped');
    assert.equal((await get(health, '/readyz')).status, 200);
    const metrics = await get(telemetry, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /otel_pipeline_receiver_accepted_metric_points(_total)?\{[^}]*receiver="otlp"[^}]*\} \d+/);
  } finally {
    await d.stop();
  }
});

test('health: /healthz is live, /readyz ready, unknown paths 404', async () => {
  const http = await freePort();
  const health = await freePort();
  const d = await Daemon.start([config({ http, health })]);
  try {
    const live = await get(health, '/healthz');
    assert.equal(live.status, 200);
    assert.equal(JSON.parse(live.body).status, 'Server available');
    assert.equal((await get(health, '/readyz')).status, 200);
    assert.equal((await get(health, '/')).status, 200);
    assert.equal((await get(health, '/nope')).status, 404);
  } finally {
    await d.stop();
  }
});
