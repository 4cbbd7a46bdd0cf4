/**
 * Claude Code's telemetry into PostgreSQL end to end: the real daemon, fed
 * by real SDK clients configured as Claude Code configures them (delta
 * temporality, string-typed event attributes) over gRPC and HTTP, writes
 * rows whose values add up to what was sent; the Claude Code views total
 * cost per model and user for events whose numbers arrive as strings, ints,
 * doubles and junk.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresServer } from '../support/postgres';
import { COUNTERS, DURATIONS } from '../clients/claude-code-client';
import { Daemon, freePort, waitFor } from './harness';
import { post } from './otlp-http';
import { attr, countRows, logsRequest, postgresConfig, runClient, type Ports } from './postgres-kit';

const ROUNDS = 2;
const PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;

let pg: PostgresServer;
let daemon: Daemon;
let ports: Ports;

before(async () => {
  pg = await PostgresServer.start();
  ports = { grpc: await freePort(), http: await freePort(), telemetry: await freePort() };
  daemon = await Daemon.start([postgresConfig(ports, `endpoint: ${pg.url()}\nretry_on_failure: { initial_interval: 100ms, max_interval: 500ms }`)]);
});

after(async () => {
  await daemon?.stop();
  await pg?.stop();
});

const count = (sql: string, params: unknown[] = []) => countRows(pg, sql, params);

test('Claude Code-style SDK clients over gRPC, HTTP/protobuf and HTTP/JSON: every metric, event and span lands with its values', async () => {
  await Promise.all(
    PROTOCOLS.map((protocol) =>
      runClient({
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${protocol === 'grpc' ? ports.grpc : ports.http}`,
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
        OTEL_RESOURCE_ATTRIBUTES: `client.protocol=${protocol},department=eng`,
        OTEL_TRACES_EXPORTER: 'otlp',
      }, ROUNDS),
    ),
  );
  // The client exits once every export was acknowledged, and acknowledged means queued: wait for the rows.
  const expectedPoints = ROUNDS * (COUNTERS.reduce((n, c) => n + c.adds.length, 0) + 1) * PROTOCOLS.length;
  await waitFor(async () => (await count('SELECT count(*) AS n FROM otel_metrics')) === expectedPoints, `${expectedPoints} metric rows`, 30_000);
  await waitFor(async () => (await count('SELECT count(*) AS n FROM otel_logs')) === ROUNDS * PROTOCOLS.length, 'every event', 30_000);
  await waitFor(async () => (await count('SELECT count(*) AS n FROM otel_spans')) === ROUNDS * PROTOCOLS.length, 'every span', 30_000);

  for (const protocol of PROTOCOLS) {
    const mine = `resource->>'client.protocol' = '${protocol}'`;
    for (const c of COUNTERS) {
      const sent = ROUNDS * c.adds.reduce((s, [v]) => s + v, 0);
      const [row] = await pg.query(
        `SELECT sum(value) AS total, count(*)::int AS n, array_agg(DISTINCT temporality) AS t, bool_and(is_monotonic) AS mono, min(unit) AS unit, min(metric_type) AS type
           FROM otel_metrics WHERE metric_name = $1 AND ${mine}`,
        [c.name],
      );
      assert.ok(Math.abs(row.total - sent) < 1e-9, `${protocol} ${c.name}: ${row.total} vs sent ${sent}`);
      assert.equal(row.n, ROUNDS * c.adds.length, `${protocol} ${c.name}: one row per point`);
      assert.deepEqual([row.t, row.mono, row.unit, row.type], [['delta'], true, c.unit, 'sum'], `${protocol} ${c.name}`);
      for (const [value, attrs] of c.adds) {
        const match = await count(`SELECT count(*) AS n FROM otel_metrics WHERE metric_name = $1 AND ${mine} AND value = $2 AND attributes @> $3::jsonb`, [c.name, value, JSON.stringify({ ...attrs, 'session.id': 'session-1', 'organization.id': 'org-1' })]);
        assert.equal(match, ROUNDS, `${protocol} ${c.name} ${JSON.stringify(attrs)}: attributes as sent`);
      }
    }
    const [h] = await pg.query(
      `SELECT sum(count)::int AS count, sum(sum) AS sum, min(min) AS min, max(max) AS max, array_agg(DISTINCT temporality) AS t,
              (SELECT sum(x)::int FROM otel_metrics m2, unnest(m2.bucket_counts) x WHERE m2.metric_name = 'agent.task.duration' AND m2.${mine}) AS buckets
         FROM otel_metrics WHERE metric_name = 'agent.task.duration' AND ${mine}`,
    );
    assert.deepEqual(h, { count: ROUNDS * DURATIONS.length, sum: ROUNDS * DURATIONS.reduce((a, b) => a + b, 0), min: Math.min(...DURATIONS), max: Math.max(...DURATIONS), t: ['delta'], buckets: ROUNDS * DURATIONS.length });

    const events = await pg.query(`SELECT * FROM otel_logs WHERE ${mine} ORDER BY attributes->>'event.sequence'`);
    assert.equal(events.length, ROUNDS);
    events.forEach((e, i) => {
      assert.equal(e.event_name, 'api_request');
      assert.equal(e.body, 'claude_code.api_request');
      assert.equal(e.service_name, 'claude-code');
      assert.equal(e.scope_name, 'com.anthropic.claude_code.events');
      assert.equal(e.scope_version, '2.0.0');
      assert.deepEqual(e.resource, { 'service.name': 'claude-code', 'service.version': '2.0.0', 'os.type': 'linux', 'host.arch': 'x64', 'client.protocol': protocol, department: 'eng' });
      assert.equal(e.attributes['event.sequence'], String(i));
      assert.equal(e.attributes.input_tokens, '372', 'string-typed, as older Claude Code sends it');
      assert.equal(e.attributes.cost_usd, '0.0123');
      assert.equal(e.attributes['session.id'], 'session-1');
    });
    const spans = await pg.query(`SELECT name, kind, status_code, service_name, attributes, duration_ms FROM otel_spans WHERE ${mine}`);
    assert.equal(spans.length, ROUNDS);
    for (const s of spans) {
      assert.deepEqual([s.name, s.kind, s.status_code, s.service_name, s.attributes], ['claude_code.interaction', 'internal', 'unset', 'claude-code', { 'session.id': 'session-1' }]);
      assert.ok(s.duration_ms >= 0);
    }
  }
  const n = ROUNDS * PROTOCOLS.length;
  const [api] = await pg.query(`SELECT sum(cost_usd) AS cost, sum(input_tokens)::int AS input, sum(output_tokens)::int AS output, min(duration_ms) AS d, count(*)::int AS n, min(service_name) AS svc FROM claude_code_api_requests WHERE model = 'claude-sonnet-4-5'`);
  assert.ok(Math.abs(api.cost - n * 0.0123) < 1e-9, `view cost ${api.cost}`);
  assert.deepEqual([api.input, api.output, api.d, api.n, api.svc], [n * 372, n * 58, 1834, n, 'claude-code']);
  assert.deepEqual(await pg.query('SELECT batch_id, seq FROM otel_metrics GROUP BY 1, 2 HAVING count(*) > 1'), []);
});

/** A number the way the views read one: numbers as they are, numeric strings parsed, anything else NULL. */
function num(v: string | number | { intValue: string }): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'object') return Number(v.intValue);
  return /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(v) ? Number(v) : null;
}

test('the Claude Code views: cost per model and user from costs sent as strings, ints, doubles, micros and junk', async () => {
  type Cost = string | number | { intValue: string };
  const events: Array<{ user: string; model: string; cost?: Cost; micros?: Cost; tokens: Cost }> = [
    { user: 'alice', model: 'opus', cost: '0.5', tokens: '100' },
    { user: 'alice', model: 'opus', cost: { intValue: '2' }, tokens: { intValue: '50' } },
    { user: 'alice', model: 'sonnet', cost: 0.25, tokens: 10 },
    { user: 'alice', model: 'sonnet', cost: 'n/a', tokens: 'lots' },
    { user: 'bob', model: 'opus', cost: ' 1e-3 ', tokens: '7' },
    { user: 'bob', model: 'opus', micros: { intValue: '1500000' }, tokens: '1' },
    { user: 'bob', model: 'haiku', cost: { intValue: '0' }, tokens: '0' },
  ];
  const value = (v: Cost) => (typeof v === 'string' ? { stringValue: v } : typeof v === 'number' ? { doubleValue: v } : v);
  const body = logsRequest(
    events.map((e, i) => ({
      body: 'claude_code.api_request',
      attributes: [
        attr('event.name', 'api_request'), attr('user.id', e.user), attr('model', e.model), attr('event.sequence', String(i)), attr('input_tokens', value(e.tokens)),
        ...(e.cost !== undefined ? [attr('cost_usd', value(e.cost))] : []),
        ...(e.micros !== undefined ? [attr('cost_usd_micros', value(e.micros))] : []),
      ],
    })),
    [attr('service.name', 'claude-code'), attr('views', 'yes')],
    'com.anthropic.claude_code.events',
  );
  assert.equal((await post(ports.http, '/v1/logs', body)).status, 200);
  await waitFor(async () => (await count(`SELECT count(*) AS n FROM otel_logs WHERE resource->>'views' = 'yes'`)) === events.length, 'the view events', 20_000);

  const expected = new Map<string, { cost: number | null; tokens: number | null; n: number }>();
  for (const e of events) {
    const k = `${e.user}/${e.model}`;
    const cost = e.cost !== undefined ? num(e.cost) : e.micros !== undefined ? (num(e.micros) ?? NaN) / 1e6 : null;
    const t = num(e.tokens);
    const cur = expected.get(k) ?? { cost: null, tokens: null, n: 0 };
    expected.set(k, { cost: cost === null ? cur.cost : (cur.cost ?? 0) + cost, tokens: t === null ? cur.tokens : (cur.tokens ?? 0) + t, n: cur.n + 1 });
  }
  const rows = await pg.query(
    `SELECT user_id, model, sum(cost_usd) AS cost, sum(input_tokens)::float8 AS tokens, count(*)::int AS n
       FROM claude_code_api_requests WHERE user_id IN ('alice', 'bob') GROUP BY 1, 2`,
  );
  const got = new Map(rows.map((r) => [`${r.user_id}/${r.model}`, { cost: r.cost, tokens: r.tokens, n: r.n }]));
  assert.deepEqual([...got.keys()].sort(), [...expected.keys()].sort());
  for (const [k, want] of expected) {
    const g = got.get(k)!;
    assert.equal(g.n, want.n, k);
    assert.equal(g.tokens, want.tokens, `${k} tokens`);
    assert.ok(want.cost === null ? g.cost === null : Math.abs(g.cost - want.cost) < 1e-12, `${k} cost ${g.cost} vs ${want.cost}`);
  }
  const daily = await pg.query(`SELECT user_id, model, cost_usd, requests::int FROM claude_code_daily_usage WHERE user_id IN ('alice', 'bob')`);
  for (const d of daily) {
    const want = expected.get(`${d.user_id}/${d.model}`)!;
    assert.equal(d.requests, want.n);
    assert.ok(want.cost === null ? d.cost_usd === null : Math.abs(d.cost_usd - want.cost) < 1e-12, `daily ${d.user_id}/${d.model}`);
  }
  const junk = await pg.query(`SELECT cost_usd FROM claude_code_api_requests WHERE user_id = 'alice' AND model = 'sonnet' ORDER BY cost_usd NULLS FIRST`);
  assert.deepEqual(junk.map((r) => r.cost_usd), [null, 0.25], 'a cost that is not a number reads as NULL');
});
