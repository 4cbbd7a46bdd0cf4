/**
 * The memory limiter under overload, through the real binary:
 * otlp (HTTP) → memory_limiter → batch → prometheus.
 *
 * Every request carries 2,000 points on series no other request uses, so
 * whatever the daemon accepts stays in the Prometheus exporter's memory;
 * without the limiter the flood below would take the daemon's RSS to about
 * 290 MiB. With it, the flood must (1) be partly refused with 503 +
 * Retry-After, (2) keep RSS under the limit plus a stated margin, (3) lose
 * nothing it accepted: the scrape holds exactly the series and sums of the
 * requests answered 200, and none of the refused ones, and (4) recover on its
 * own: once the accepted series expire and memory is freed, requests are
 * accepted again.
 *
 * The limit is chosen from a first run: the limiter's own usage gauge (V8
 * heap plus Buffers) measured idle after a warm-up, plus 40 MiB. The daemon
 * runs with NODE_OPTIONS=--expose-gc, the deployment the README recommends,
 * so the limiter can force a collection as the Go collector's does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Daemon, freePort, waitFor } from './harness';
import { get, post, type HttpResult } from './otlp-http';

const MIB = 1024 * 1024;
const POINTS = 2000;
const REQUESTS = 150;
const CONCURRENCY = 6;
/** No new requests are started after this long, so the flood is bounded in time too. */
const FLOOD_BUDGET_MS = 6000;
const HEADROOM_MIB = 40;
const SPIKE_MIB = 20;
/** Series not updated for this long are dropped by the exporter: how the daemon's memory goes down again. */
const EXPIRATION_S = 10;
/**
 * RSS allowed above the limit during the flood, besides the daemon's non-JS
 * baseline (code, V8 and Node internals: idle RSS minus idle usage, measured):
 * requests in flight (6 bodies of 0.4 MB and their decoded batches, several
 * MB each), garbage made between two 100 ms checks, and heap pages V8 keeps
 * committed after a collection.
 */
const IN_FLIGHT_MARGIN_MIB = 64;

const rssOf = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const ENV = { NODE_OPTIONS: '--expose-gc' };

function config(http: number, prom: number, telemetry: number, limitMib: number): string {
  return `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${http} }
processors:
  memory_limiter:
    check_interval: 100ms
    limit_mib: ${limitMib}
    spike_limit_mib: ${SPIKE_MIB}
    min_gc_interval_when_soft_limited: 1s
  batch: { timeout: 20ms }
exporters:
  prometheus: { endpoint: 127.0.0.1:${prom}, metric_expiration: ${EXPIRATION_S}s }
service:
  telemetry: { metrics: { address: 127.0.0.1:${telemetry} } }
  pipelines:
    metrics: { receivers: [otlp], processors: [memory_limiter, batch], exporters: [prometheus] }
`;
}

/** Request `req`: one point on the shared `flood.accepted` counter worth POINTS, and POINTS points of 1 on series of its own. */
function request(req: number, points = POINTS): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  const pt = (attributes: unknown[], asDouble: number) => ({ attributes, startTimeUnixNano: String(now - 1_000_000_000n), timeUnixNano: String(now), asDouble });
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'flood' } }] },
        scopeMetrics: [
          {
            scope: { name: 'flood' },
            metrics: [
              { name: 'flood.accepted', unit: '1', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [pt([], points)] } },
              {
                name: 'flood.weight',
                unit: '1',
                sum: {
                  aggregationTemporality: 1,
                  isMonotonic: true,
                  dataPoints: Array.from({ length: points }, (_, i) => pt([{ key: 'req', value: { intValue: String(req) } }, { key: 'p', value: { intValue: String(i) } }], 1)),
                },
              },
            ],
          },
        ],
      },
    ],
  });
}

function sample(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Starts the daemon idle with a limit it cannot reach, warms it up, and measures its RSS and the limiter's usage. */
async function measureIdle(): Promise<{ usage: number; rss: number }> {
  const [http, prom, telemetry] = [await freePort(), await freePort(), await freePort()];
  const d = await Daemon.start([config(http, prom, telemetry, 4096)], { env: ENV });
  try {
    for (let i = 0; i < 5; i++) assert.equal((await post(http, '/v1/metrics', request(-1 - i, 100))).status, 200);
    // Two checks after the warm-up, so the gauge reflects it.
    await new Promise((r) => setTimeout(r, 250));
    const usage = await waitFor(async () => sample((await get(telemetry, '/metrics')).body, 'otel_pipeline_processor_memory_limiter_usage'), 'the usage gauge');
    return { usage, rss: rssOf(d.child.pid!) };
  } finally {
    await d.stop();
  }
}

test('overload: refused with 503 + Retry-After, RSS bounded, nothing accepted lost, and it recovers', async () => {
  const idle = await measureIdle();
  const limitMib = Math.ceil(idle.usage / MIB) + HEADROOM_MIB;
  const baselineMib = (idle.rss - idle.usage) / MIB;
  const rssBoundMib = limitMib + baselineMib + IN_FLIGHT_MARGIN_MIB;

  const [http, prom, telemetry] = [await freePort(), await freePort(), await freePort()];
  const d = await Daemon.start([config(http, prom, telemetry, limitMib)], { env: ENV });
  try {
    const pid = d.child.pid!;
    let maxRss = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        maxRss = Math.max(maxRss, rssOf(pid));
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    const results = new Map<number, HttpResult>();
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < REQUESTS && Date.now() - started < FLOOD_BUDGET_MS) {
          const req = next++;
          results.set(req, await post(http, '/v1/metrics', request(req)));
        }
      }),
    );
    sampling = false;
    await sampler;

    const accepted = [...results].filter(([, r]) => r.status === 200).map(([req]) => req);
    const refused = [...results].filter(([, r]) => r.status === 503);
    const context = `${results.size} sent, ${accepted.length} accepted, ${refused.length} refused, limit ${limitMib} MiB, max RSS ${(maxRss / MIB).toFixed(1)} MiB`;
    assert.equal(accepted.length + refused.length, results.size, `only 200 and 503 answers: ${[...new Set([...results.values()].map((r) => r.status))]}`);
    assert.ok(refused.length > 0, `some requests were refused (${context})`);
    assert.ok(accepted.length > 0, `some requests were accepted (${context})`);
    for (const [, r] of refused) {
      assert.equal(r.headers['retry-after'], '1', 'Retry-After: the next check could change the answer');
      assert.match(r.body, /memory usage .* is above the (soft|hard) limit/);
    }
    assert.ok(maxRss < rssBoundMib * MIB, `RSS stayed under limit + baseline + ${IN_FLIGHT_MARGIN_MIB} MiB = ${rssBoundMib.toFixed(1)} MiB (${context})`);

    // Nothing accepted was lost and nothing refused got in: the accepted requests' series, and only theirs.
    const scrape = (await get(prom, '/metrics')).body;
    assert.ok(Date.now() - started < EXPIRATION_S * 1000, 'scraped before any accepted series could expire');
    assert.equal(sample(scrape, 'flood_accepted_total'), accepted.length * POINTS);
    const perRequest = new Map<number, number>();
    for (const line of scrape.split('\n')) {
      if (!line.startsWith('flood_weight_total{')) continue;
      const req = Number(/req="(-?\d+)"/.exec(line)![1]);
      perRequest.set(req, (perRequest.get(req) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
    assert.deepEqual([...perRequest.keys()].sort((a, b) => a - b), [...accepted].sort((a, b) => a - b), 'series exist for exactly the accepted requests');
    for (const req of accepted) assert.equal(perRequest.get(req), POINTS, `request ${req}: all ${POINTS} points`);

    // Recovery on its own: accepted series expire, the memory goes, and a new request is accepted.
    const probe = REQUESTS + 1;
    await waitFor(async () => (await post(http, '/v1/metrics', request(probe, 10))).status === 200, 'a request to be accepted after the flood', EXPIRATION_S * 1000 + 10_000);
    const states = d.logs().filter((l) => l.to).map((l) => `${l.from}->${l.to}`);
    assert.ok(states.includes('normal->soft') || states.includes('normal->hard'), states.join(', '));
    assert.equal(states.at(-1)?.endsWith('->normal'), true, `last transition back to normal: ${states.join(', ')}`);
    const self = (await get(telemetry, '/metrics')).body;
    const refusedPoints = refused.length * (POINTS + 1);
    assert.ok((sample(self, 'otel_pipeline_processor_memory_limiter_refused_metric_points(?:_total)?') ?? 0) >= refusedPoints, 'refusals counted (the probe may add more)');
    assert.equal(sample(self, 'otel_pipeline_processor_memory_limiter_state'), 0);
  } finally {
    await d.stop();
  }
});
