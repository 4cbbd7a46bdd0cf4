/**
 * The cardinality guard through the real binary: otlp → cardinality_guard →
 * prometheus, one pipeline per action (strip, overflow, drop), each with
 * `max_series_per_metric: 10`. Fifty Claude Code sessions send delta token
 * counts over OTLP/HTTP JSON, twice; the scrapes hold the admitted sessions
 * plus (for strip and overflow) one merged series whose value makes the total
 * exactly what was sent, and the daemon's own metrics and log say what the
 * guard did.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon, freePort, waitFor } from './harness';
import { get, post } from './otlp-http';

const SESSIONS = 50;
const LIMIT = 10;
const ROUNDS = 2;
const ACTIONS = ['strip', 'overflow', 'drop'] as const;
type Action = (typeof ACTIONS)[number];
const METRIC = 'claude_code.token.usage';
const SERIES = 'claude_code_token_usage_tokens_total';

/** Session i sends i + 1 tokens per round. */
const value = (i: number): number => i + 1;
const sumOf = (from: number, to: number): number => Array.from({ length: to - from }, (_, k) => value(from + k)).reduce((a, b) => a + b, 0);

/** An OTLP/JSON request with one delta point per session in `ids`, shaped like Claude Code's. */
function request(ids: number[]): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  const s = (v: string) => ({ stringValue: v });
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: s('claude-code') }, { key: 'service.version', value: s('2.0.0') }] },
        scopeMetrics: [
          {
            scope: { name: 'com.anthropic.claude_code', version: '2.0.0' },
            metrics: [
              {
                name: METRIC,
                unit: 'tokens',
                sum: {
                  aggregationTemporality: 1,
                  isMonotonic: true,
                  dataPoints: ids.map((i) => ({
                    attributes: [
                      { key: 'session.id', value: s(`session-${i}`) },
                      { key: 'model', value: s('claude-sonnet-4-5') },
                      { key: 'type', value: s('input') },
                    ],
                    startTimeUnixNano: String(now - 60_000_000_000n),
                    timeUnixNano: String(now),
                    asDouble: value(i),
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  });
}

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Samples of `name` in a text exposition (no `{` inside label values here). */
function samples(body: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of body.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\} (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

let daemon: Daemon;
const ports = {} as Record<Action, { otlp: number; prom: number }>;
let telemetry: number;

before(async () => {
  for (const a of ACTIONS) ports[a] = { otlp: await freePort(), prom: await freePort() };
  telemetry = await freePort();
  const section = (kind: string, body: (a: Action) => string) => `${kind}:\n${ACTIONS.map((a) => `  ${body(a)}`).join('\n')}\n`;
  daemon = await Daemon.start([
    section('receivers', (a) => `otlp/${a}: { protocols: { http: { endpoint: 127.0.0.1:${ports[a].otlp} } } }`) +
      section('processors', (a) => `cardinality_guard/${a}: { max_series_per_metric: ${LIMIT}, action: ${a} }`) +
      section('exporters', (a) => `prometheus/${a}: { endpoint: 127.0.0.1:${ports[a].prom} }`) +
      `service:
  telemetry: { metrics: { address: 127.0.0.1:${telemetry} } }
  pipelines:
${ACTIONS.map((a) => `    metrics/${a}: { receivers: [otlp/${a}], processors: [cardinality_guard/${a}], exporters: [prometheus/${a}] }`).join('\n')}
`,
  ]);
  // Round one: a request per session, in order, so sessions 0-9 are the admitted ones.
  for (let i = 0; i < SESSIONS; i++) {
    for (const a of ACTIONS) {
      const r = await post(ports[a].otlp, '/v1/metrics', request([i]));
      assert.equal(r.status, 200, r.body);
    }
  }
  // Round two: every session in one request (the guard merges inside the batch).
  for (const a of ACTIONS) assert.equal((await post(ports[a].otlp, '/v1/metrics', request([...Array(SESSIONS).keys()]))).status, 200);
});

after(async () => {
  await daemon?.stop();
});

async function scrape(a: Action): Promise<Sample[]> {
  const r = await get(ports[a].prom, '/metrics');
  assert.equal(r.status, 200);
  return samples(r.body, SERIES);
}

function checkAdmitted(series: Sample[]): void {
  const withSession = series.filter((s) => s.labels.session_id !== undefined);
  assert.equal(withSession.length, LIMIT, 'exactly the admitted sessions keep their session_id');
  for (const s of withSession) {
    const i = Number(s.labels.session_id.replace('session-', ''));
    assert.ok(i < LIMIT, `${s.labels.session_id} is one of the first ${LIMIT}`);
    assert.equal(s.value, ROUNDS * value(i), `${s.labels.session_id} flows unchanged`);
  }
}

test('strip: 10 session series plus one merged series without session_id; the sum is exactly what was sent', async () => {
  const series = await scrape('strip');
  assert.equal(series.length, LIMIT + 1);
  checkAdmitted(series);
  const merged = series.filter((s) => s.labels.session_id === undefined);
  assert.equal(merged.length, 1);
  assert.equal(merged[0].labels.model, 'claude-sonnet-4-5', 'the other attributes stay');
  assert.equal(merged[0].labels.type, 'input');
  assert.equal(merged[0].value, ROUNDS * sumOf(LIMIT, SESSIONS));
  assert.equal(series.reduce((a, s) => a + s.value, 0), ROUNDS * sumOf(0, SESSIONS));
});

test('overflow: 10 session series plus one otel_metric_overflow="true" series; the sum is exactly what was sent', async () => {
  const series = await scrape('overflow');
  assert.equal(series.length, LIMIT + 1);
  checkAdmitted(series);
  const overflow = series.filter((s) => s.labels.otel_metric_overflow === 'true');
  assert.equal(overflow.length, 1);
  assert.equal(overflow[0].labels.model, undefined, 'the overflow series carries only the overflow attribute');
  assert.equal(overflow[0].value, ROUNDS * sumOf(LIMIT, SESSIONS));
  assert.equal(series.reduce((a, s) => a + s.value, 0), ROUNDS * sumOf(0, SESSIONS));
});

test('drop: only the admitted series are served', async () => {
  const series = await scrape('drop');
  assert.equal(series.length, LIMIT);
  checkAdmitted(series);
  assert.equal(series.reduce((a, s) => a + s.value, 0), ROUNDS * sumOf(0, LIMIT));
});

test('self-telemetry: points per action past the limit, and series per metric', async () => {
  const body = (await get(telemetry, '/metrics')).body;
  const counts = samples(body, 'otel_pipeline_cardinality_guard_overflow_points_total');
  const series = samples(body, 'otel_pipeline_cardinality_guard_series');
  for (const a of ACTIONS) {
    const mine = (s: Sample) => s.labels.processor === `cardinality_guard/${a}` && s.labels.pipeline === `metrics/${a}` && s.labels.metric === METRIC;
    const c = counts.filter(mine);
    assert.deepEqual(c.map((s) => [s.labels.action, s.value]), [[a, ROUNDS * (SESSIONS - LIMIT)]], `${a}: every point of the ${SESSIONS - LIMIT} turned-away sessions, both rounds`);
    const g = series.filter(mine);
    assert.deepEqual(g.map((s) => s.value), [a === 'strip' ? LIMIT + 1 : LIMIT], `${a}: admitted series`);
  }
});

test('each guard logs one warning naming the metric and session.id', async () => {
  const warns = await waitFor(() => {
    const w = daemon.logs().filter((l) => l.level === 'warn' && l.metric === METRIC);
    return w.length >= ACTIONS.length ? w : undefined;
  }, 'three limit warnings');
  assert.equal(warns.length, ACTIONS.length);
  for (const a of ACTIONS) {
    const w = warns.filter((l) => String(l.component).endsWith(`cardinality_guard/${a}`));
    assert.equal(w.length, 1, `${a}: ${JSON.stringify(warns)}`);
    assert.equal(w[0].limit, LIMIT);
    assert.match(String(w[0].msg), /series limit/);
    assert.deepEqual((w[0].top_keys as Array<{ key: string; distinct_values: number }>)[0], { key: 'session.id', distinct_values: LIMIT });
  }
});
