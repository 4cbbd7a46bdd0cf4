/**
 * The kit end to end: config/claude-code.yaml runs with a real PostgreSQL
 * and a real Prometheus scraping it; a team's Claude Code traffic (real SDK
 * clients configured only by what `claude-code env` prints, delta
 * temporality, string-typed event attributes) goes in; then
 *
 * - the totals in Prometheus are the totals sent, per user and per model,
 *   with no session.id or user.email label;
 * - every PromQL query of the Grafana dashboards and alert rules names only
 *   metrics the daemon serves (exporter or self-telemetry) and, run by the
 *   real Prometheus, returns data;
 * - every SQL panel runs against the real schema and returns rows.
 *
 * A dashboard that points at nothing fails here.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { PostgresServer } from '../support/postgres';
import { PrometheusServer } from '../support/prometheus';
import { Daemon, freePort, ROOT, runCli, waitFor } from './harness';
import { bash } from './kit-support';
import { sampleNames, samples, selfMetric } from './exposition';
import { counterAdds, SESSIONS } from './kit-traffic';
import { get, post } from './otlp-http';

const TRAFFIC = path.join(ROOT, 'dist', 'test', 'e2e', 'kit-traffic.js');
const DASHBOARDS = path.join(ROOT, 'deploy', 'grafana', 'dashboards');
const RULES = path.join(ROOT, 'deploy', 'prometheus', 'rules');

let pg: PostgresServer;
let prometheus: PrometheusServer;
let daemon: Daemon;
const ports = { grpc: 0, http: 0, prometheus: 0, telemetry: 0, health: 0 };
let exporterNames = new Set<string>();
let telemetryNames = new Set<string>();

// One metric is held to a single series so that the guard's overflow shows in the self-telemetry.
const OVERLAY = `processors:
  cardinality_guard:
    overrides:
      - { metric: claude_code.lines_of_code.count, limit: 1 }
`;

before(async () => {
  for (const k of Object.keys(ports) as Array<keyof typeof ports>) ports[k] = await freePort();
  pg = await PostgresServer.start();
  const env = {
    OTEL_PIPELINE_LISTEN_HOST: '127.0.0.1',
    OTEL_PIPELINE_GRPC_PORT: String(ports.grpc),
    OTEL_PIPELINE_HTTP_PORT: String(ports.http),
    OTEL_PIPELINE_PROMETHEUS_PORT: String(ports.prometheus),
    OTEL_PIPELINE_TELEMETRY_PORT: String(ports.telemetry),
    OTEL_PIPELINE_HEALTH_PORT: String(ports.health),
    PG_URL: pg.url(),
    OTEL_PIPELINE_VENDOR_ENDPOINT: '',
  };
  // Prometheus first: it takes about 5 s to scrape its first target.
  prometheus = await PrometheusServer.start({ scrapeTargets: [`127.0.0.1:${ports.prometheus}`, `127.0.0.1:${ports.telemetry}`], scrapeIntervalMs: 1000 });
  daemon = await Daemon.start([fs.readFileSync(path.join(ROOT, 'config', 'claude-code.yaml'), 'utf8'), OVERLAY], { env });

  // What a user would paste, then the team's traffic, configured by nothing else.
  const cli = await runCli(['claude-code', 'env', '--config', path.join(daemon.dir, 'config0.yaml'), '--config', path.join(daemon.dir, 'config1.yaml'), '--protocol', 'http/protobuf'], { env });
  assert.equal(cli.code, 0, cli.stderr);
  const run = await bash(`set -e\n${cli.stdout}\nexec "${process.execPath}" "${TRAFFIC}"`);
  assert.equal(run.code, 0, `traffic failed:\n${run.stderr}`);

  // Refusals the pipeline board shows: a body that does not decode, and a span with a 3-byte trace id.
  assert.equal((await post(ports.http, '/v1/metrics', 'not json at all')).status, 400);
  const badSpan = JSON.stringify({
    resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ scope: { name: 'kit' }, spans: [{ traceId: 'abcdef', spanId: '0102030405060708', name: 'bad', kind: 1, startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }],
  });
  assert.equal((await post(ports.http, '/v1/traces', badSpan)).status, 200);
  // One good span: traces are forwarded to a vendor only when one is set, else counted as dropped.
  const goodSpan = badSpan.replace('"abcdef"', '"0102030405060708090a0b0c0d0e0f10"');
  assert.equal((await post(ports.http, '/v1/traces', goodSpan)).status, 200);

  const requests = SESSIONS.reduce((n, s) => n + s.requests.length, 0);
  await waitFor(async () => Number((await pg.query('SELECT count(*) AS n FROM claude_code_api_requests'))[0].n) === requests, 'the api_request events in PostgreSQL', 30_000);
  const exposition = await waitFor(async () => {
    const t = (await get(ports.prometheus, '/metrics')).body;
    return t.includes('claude_code_pull_request_count_total') ? t : undefined;
  }, 'the counters in the exporter');
  exporterNames = sampleNames(exposition);
  telemetryNames = sampleNames((await get(ports.telemetry, '/metrics')).body);
});

after(async () => {
  await daemon?.stop();
  await prometheus?.stop();
  await pg?.stop();
});

/** What the traffic added to `metric`, summed over sessions whose adds match `where`. */
function sent(metric: string, where: (s: (typeof SESSIONS)[number], attrs: Record<string, string>) => boolean = () => true): number {
  let sum = 0;
  for (const s of SESSIONS) for (const [name, value, attrs] of counterAdds(s)) if (name === metric && where(s, attrs)) sum += value;
  return sum;
}

test('Prometheus exporter: the totals sent, per user and per model, and no per-session or e-mail labels', async () => {
  const text = (await get(ports.prometheus, '/metrics')).body;
  const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;
  assert.ok(close(selfMetric(text, 'claude_code_cost_usage_USD_total'), sent('claude_code.cost.usage')));
  for (const user of new Set(SESSIONS.map((s) => s.user['user.account_uuid']))) {
    const got = selfMetric(text, 'claude_code_cost_usage_USD_total', { user_account_uuid: user });
    assert.ok(close(got, sent('claude_code.cost.usage', (s) => s.user['user.account_uuid'] === user)), `cost of ${user}: ${got}`);
  }
  for (const model of new Set(SESSIONS.map((s) => s.model))) {
    assert.equal(selfMetric(text, 'claude_code_token_usage_tokens_total', { model, type: 'input' }), sent('claude_code.token.usage', (s, a) => s.model === model && a.type === 'input'));
  }
  // The overflowed metric keeps its total.
  assert.equal(selfMetric(text, 'claude_code_lines_of_code_count_total'), sent('claude_code.lines_of_code.count'));
  for (const s of samples(text).filter((x) => x.name.startsWith('claude_code_'))) {
    assert.ok(!('session_id' in s.labels) && !('user_email' in s.labels) && !('prompt_id' in s.labels), `${s.name} ${JSON.stringify(s.labels)}`);
  }
});

// --- queries of the dashboards and rules ---------------------------------------

interface Target {
  expr?: string;
  rawSql?: string;
  datasource?: { uid: string };
}
interface Panel {
  title: string;
  type: string;
  datasource?: { uid: string };
  targets?: Target[];
  panels?: Panel[];
}

function panels(file: string): Panel[] {
  const board = JSON.parse(fs.readFileSync(path.join(DASHBOARDS, file), 'utf8')) as { panels: Panel[] };
  const out: Panel[] = [];
  const walk = (ps: Panel[]) => ps.forEach((p) => (out.push(p), walk(p.panels ?? [])));
  walk(board.panels);
  return out;
}

/** Grafana's PromQL variables, set to values the test's short history can answer. */
function promql(expr: string): string {
  const out = expr.replace(/\$__rate_interval/g, '1m').replace(/\$__range/g, '1h').replace(/\$__interval/g, '1m');
  assert.ok(!out.includes('$'), `unknown variable in ${expr}`);
  return out;
}

/** Grafana's PostgreSQL macros, expanded as Grafana would for "the last 7 days" (5-minute buckets). */
function sqlOf(raw: string): string {
  const out = raw
    .replace(/\$__timeFilter\(([^)]+)\)/g, (_, col: string) => `${col} BETWEEN now() - interval '7 days' AND now() + interval '1 hour'`)
    .replace(/\$__timeGroupAlias\(([^,]+),\s*'?(\d+)m'?\)/g, (_, col: string, m: string) => `to_timestamp(floor(extract(epoch from ${col}) / ${Number(m) * 60}) * ${Number(m) * 60}) AS "time"`)
    .replace(/\$__timeFrom\(\)/g, "(now() - interval '7 days')")
    .replace(/\$__timeTo\(\)/g, "(now() + interval '1 hour')");
  assert.ok(!out.includes('$__'), `unknown macro in ${raw}`);
  return out;
}

const FUNCTIONS_AND_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

/** Metric names a PromQL expression reads: plain names, and the regexes of {__name__=~"..."} selectors. */
function metricNames(expr: string): { names: string[]; patterns: RegExp[] } {
  const patterns = [...expr.matchAll(/__name__\s*=~\s*"([^"]+)"/g)].map((m) => new RegExp(`^(?:${m[1]})$`));
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // strings
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ''); // label lists
  const names: string[] = [];
  for (const m of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const after = stripped.slice(m.index! + m[0].length);
    if (/^\s*\(/.test(after)) continue; // a function
    if (FUNCTIONS_AND_KEYWORDS.has(m[0].toLowerCase())) continue;
    if (/^[0-9]/.test(m[0])) continue;
    names.push(m[0]);
  }
  return { names, patterns };
}

test('the metric-name reader finds names and skips functions, labels and keywords', () => {
  assert.deepEqual(metricNames('sum by (model) (rate(claude_code_cost_usage_USD_total{model="x"}[5m])) * 3600').names, ['claude_code_cost_usage_USD_total']);
  assert.deepEqual(metricNames('a_total / on(job) group_left() b > bool 3').names, ['a_total', 'b']);
  const r = metricNames('rate({__name__=~"x_(a|b)_total", reason!="n"}[1m])');
  assert.deepEqual(r.names, []);
  assert.ok(r.patterns[0].test('x_b_total') && !r.patterns[0].test('x_c_total'));
});

/** Checks names against what the daemon serves; returns a message for each missing one. */
function missingNames(expr: string, served: Set<string>): string[] {
  const { names, patterns } = metricNames(expr);
  const missing = names.filter((n) => !served.has(n)).map((n) => `${n} is not served`);
  for (const p of patterns) if (![...served].some((n) => p.test(n))) missing.push(`nothing served matches ${p}`);
  if (names.length === 0 && patterns.length === 0) missing.push('reads no metric');
  return missing;
}

for (const [file, source] of [['claude-code.json', 'exporter'], ['otel-pipeline.json', 'self-telemetry']] as const) {
  test(`dashboard ${file}: every PromQL query reads metrics the ${source} serves and returns data from a real Prometheus`, async () => {
    const served = source === 'exporter' ? exporterNames : telemetryNames;
    const queries = panels(file).flatMap((p) => (p.targets ?? []).filter((t) => t.expr !== undefined).map((t) => ({ panel: p.title, uid: (t.datasource ?? p.datasource)?.uid, expr: t.expr! })));
    assert.ok(queries.length >= 10, `${queries.length} PromQL queries`);
    const problems: string[] = [];
    for (const q of queries) {
      assert.equal(q.uid, 'prometheus', `${q.panel}: PromQL goes to the Prometheus datasource`);
      for (const m of missingNames(q.expr, served)) problems.push(`${q.panel}: ${m}`);
    }
    assert.deepEqual(problems, []);
    for (const q of queries) {
      await prometheus.waitForQuery(promql(q.expr), (r) => r.length > 0, 30_000).catch((err: Error) => {
        throw new Error(`${q.panel}: ${q.expr} returned no data\n${err.message.slice(0, 600)}`);
      });
    }
  });
}

test('dashboard claude-code.json: every SQL panel runs against the real schema and returns rows', async () => {
  const queries = panels('claude-code.json').flatMap((p) => (p.targets ?? []).filter((t) => t.rawSql !== undefined).map((t) => ({ panel: p.title, uid: (t.datasource ?? p.datasource)?.uid, sql: t.rawSql! })));
  assert.ok(queries.length >= 6, `${queries.length} SQL queries`);
  for (const q of queries) {
    assert.equal(q.uid, 'postgres', `${q.panel}: SQL goes to the PostgreSQL datasource`);
    const rows = await pg.query(sqlOf(q.sql)).catch((err: Error) => {
      throw new Error(`${q.panel}: ${err.message}\n${sqlOf(q.sql)}`);
    });
    assert.ok(rows.length > 0, `${q.panel}: no rows\n${sqlOf(q.sql)}`);
  }
  // Spot checks against what was sent: the top session and the tool failure rate.
  const top = await pg.query(sqlOf(queries.find((q) => q.panel === 'Top costly sessions')!.sql));
  const costs = SESSIONS.map((s) => ({ id: s.id, cost: s.requests.reduce((a, r) => a + r[0], 0) })).sort((a, b) => b.cost - a.cost);
  assert.equal(top[0].session_id, costs[0].id);
  assert.ok(Math.abs(Number(top[0].cost_usd) - costs[0].cost) < 1e-9);
  const tools = await pg.query(sqlOf(queries.find((q) => q.panel === 'Tool failure rate')!.sql));
  const bash = tools.find((r) => r.tool_name === 'Bash')!;
  const bashCalls = SESSIONS.flatMap((s) => s.tools).filter(([t]) => t === 'Bash');
  assert.equal(Number(bash.calls), bashCalls.length);
  assert.ok(Math.abs(Number(bash.failure_rate) - bashCalls.filter(([, ok]) => !ok).length / bashCalls.length) < 1e-9);
});

test('alert rules: every metric they read is served by the daemon', () => {
  const served = new Set([...exporterNames, ...telemetryNames]);
  const problems: string[] = [];
  let alerts = 0;
  for (const f of fs.readdirSync(RULES)) {
    const doc = parseYaml(fs.readFileSync(path.join(RULES, f), 'utf8')) as { groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }> };
    for (const r of doc.groups.flatMap((g) => g.rules)) {
      if (!r.alert) continue;
      alerts++;
      const { names, patterns } = metricNames(r.expr);
      // The kit's recording rules (claude_code:...) and Prometheus' own `up` are not the daemon's to serve.
      for (const n of names) if (n !== 'up' && !n.startsWith('claude_code:') && !served.has(n)) problems.push(`${r.alert}: ${n} is not served`);
      for (const p of patterns) if (![...served].some((n) => p.test(n))) problems.push(`${r.alert}: nothing served matches ${p}`);
    }
  }
  assert.ok(alerts >= 8);
  assert.deepEqual(problems, []);
});

test('Grafana alert ClaudeCodeApiErrorRateHigh: its SQL runs on the real schema, and crosses its threshold with many errors but not with few or with too few calls', async () => {
  const file = path.join(ROOT, 'deploy', 'grafana', 'provisioning', 'alerting', 'claude-code.yaml');
  const doc = parseYaml(fs.readFileSync(file, 'utf8')) as { groups: Array<{ rules: Array<{ title: string; condition: string; data: Array<{ refId: string; datasourceUid: string; relativeTimeRange?: { from: number }; model: Record<string, any> }> }> }> };
  const rule = doc.groups[0].rules.find((r) => r.title === 'ClaudeCodeApiErrorRateHigh')!;
  const query = rule.data.find((d) => d.refId === 'A')!;
  assert.equal(query.datasourceUid, 'postgres');
  const condition = rule.data.find((d) => d.refId === rule.condition)!;
  const { type, params } = condition.model.conditions[0].evaluator as { type: string; params: number[] };
  assert.equal(type, 'gt');
  const threshold = params[0];
  // The rule's own window, as Grafana's $__timeFilter would expand it.
  const minutes = query.relativeTimeRange!.from / 60;
  const sql = (query.model.rawSql as string).replace(/\$__timeFilter\(([^)]+)\)/g, (_, col: string) => `${col} BETWEEN now() - interval '${minutes} minutes' AND now()`);
  assert.ok(!sql.includes('$__'));

  const { Client } = await import('pg');
  const client = new Client({ connectionString: pg.url() });
  await client.connect();
  const count = async (view: string) => Number((await client.query(`SELECT count(*) AS n FROM ${view} WHERE time BETWEEN now() - interval '${minutes} minutes' AND now()`)).rows[0].n);
  const insert = (event: string, n: number, attrs: Record<string, string>) =>
    client.query(
      `INSERT INTO otel_logs (time, event_name, body, attributes, scope_name, service_name, batch_id, seq)
       SELECT now(), $1, to_jsonb($1::text), $2::jsonb, 'com.anthropic.claude_code.events', 'claude-code', gen_random_uuid(), g FROM generate_series(1, $3::int) g`,
      [`claude_code.${event}`, JSON.stringify(attrs), n],
    );
  /** In a transaction that is rolled back: adds requests and errors, returns the rule's value and the value the counts give. */
  const evaluate = async (requests: number, errors: number) => {
    await client.query('BEGIN');
    try {
      await insert('api_request', requests, { model: 'claude-sonnet-4-5', cost_usd: '0.01', duration_ms: '900' });
      await insert('api_error', errors, { model: 'claude-sonnet-4-5', error: 'overloaded_error', status_code: '529', attempt: '1' });
      const [ok, failed] = [await count('claude_code_api_requests'), await count('claude_code_api_errors')];
      const value = Number((await client.query(sql)).rows[0].error_rate);
      return { value, expected: ok + failed >= 20 ? failed / (ok + failed) : 0, calls: ok + failed };
    } finally {
      await client.query('ROLLBACK');
    }
  };
  try {
    const few = await evaluate(0, 0);
    assert.ok(few.calls < 20, `${few.calls} calls from the traffic`);
    assert.equal(few.value, 0, 'too few calls to judge: no alert');
    const many = await evaluate(30, 10);
    assert.ok(Math.abs(many.value - many.expected) < 1e-12, JSON.stringify(many));
    assert.ok(many.value > threshold, `fires: ${many.value} > ${threshold}`);
    const healthy = await evaluate(400, 2);
    assert.ok(Math.abs(healthy.value - healthy.expected) < 1e-12, JSON.stringify(healthy));
    assert.ok(healthy.value > 0 && healthy.value <= threshold, `does not fire: ${healthy.value} <= ${threshold}`);
  } finally {
    await client.end();
  }
});
