/**
 * The filter processor through the real binary: OTLP/HTTP JSON in, filters
 * per signal, the prometheus exporter (metrics) and the debug exporter (logs,
 * spans) out. The scrape must show exactly the sums of what the rules keep,
 * nothing of what they drop, and the daemon's own dropped counters must
 * count what went.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon, freePort, waitFor } from './harness';
import { get, post } from './otlp-http';

const SENDS = 3;

type Attr = Record<string, string>;
const kvs = (a: Attr) => Object.entries(a).map(([key, v]) => ({ key, value: { stringValue: v } }));

// What one send carries: [metric, unit, attributes, value].
const POINTS: Array<[string, string, Attr, number]> = [
  ['claude_code.token.usage', 'tokens', { type: 'input', model: 'sonnet' }, 372],
  ['claude_code.token.usage', 'tokens', { type: 'output', model: 'sonnet' }, 58],
  ['claude_code.token.usage', 'tokens', { type: 'cacheRead', model: 'sonnet' }, 1200],
  ['claude_code.token.usage', 'tokens', { type: 'cacheCreation', model: 'sonnet' }, 90],
  ['claude_code.cost.usage', 'USD', { model: 'sonnet' }, 0.0123],
  ['claude_code.session.count', '', { start_type: 'fresh' }, 1],
  ['agent.tokens', '', { agent: 'planner' }, 5],
];

/** The rules under test, as plain predicates over a point: what each filter instance drops. */
const byMetricsFilter = ([name, , a]: (typeof POINTS)[number]) => !/^claude_code\./.test(name) || (name === 'claude_code.token.usage' && a.type === 'cacheRead');
const bySessionFilter = ([name]: (typeof POINTS)[number]) => name === 'claude_code.session.count';

function metricsRequest(): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  const names = [...new Set(POINTS.map((p) => p[0]))];
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: kvs({ 'service.name': 'claude-code' }) },
        scopeMetrics: [
          {
            scope: { name: 'com.anthropic.claude_code' },
            metrics: names.map((name) => ({
              name,
              unit: POINTS.find((p) => p[0] === name)![1],
              sum: {
                aggregationTemporality: 1,
                isMonotonic: true,
                dataPoints: POINTS.filter((p) => p[0] === name).map(([, , a, v]) => ({ attributes: kvs(a), startTimeUnixNano: String(now - 1_000_000_000n), timeUnixNano: String(now), asDouble: v })),
              },
            })),
          },
        ],
      },
    ],
  });
}

const EVENTS: Array<{ body: string; attrs: Attr; eventName?: string }> = [
  { body: 'claude_code.user_prompt', attrs: { 'event.name': 'user_prompt', prompt_length: '12' } },
  { body: 'claude_code.api_request', attrs: { 'event.name': 'api_request', model: 'sonnet', input_tokens: '372' } },
  { body: 'claude_code.user_prompt', attrs: { prompt_length: '3' }, eventName: 'user_prompt' },
  { body: 'claude_code.tool_result', attrs: { 'event.name': 'tool_result', tool_name: 'Bash', success: 'true' } },
];

function logsRequest(): string {
  const now = String(BigInt(Date.now()) * 1_000_000n);
  return JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: kvs({ 'service.name': 'claude-code' }) },
        scopeLogs: [
          {
            scope: { name: 'com.anthropic.claude_code.events' },
            logRecords: EVENTS.map((e) => ({ timeUnixNano: now, severityNumber: 9, severityText: 'INFO', body: { stringValue: e.body }, attributes: kvs(e.attrs), ...(e.eventName ? { eventName: e.eventName } : {}) })),
          },
        ],
      },
    ],
  });
}

const SPANS = ['claude_code.llm_request', 'GET /health', 'claude_code.tool.bash'];

function tracesRequest(): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: kvs({ 'service.name': 'claude-code' }) },
        scopeSpans: [
          {
            scope: { name: 'claude' },
            spans: SPANS.map((name, i) => ({
              traceId: '0102030405060708090a0b0c0d0e0f10',
              spanId: `00000000000000${String(i + 1).padStart(2, '0')}`,
              name,
              kind: 1,
              startTimeUnixNano: String(now - 5_000_000n),
              endTimeUnixNano: String(now),
            })),
          },
        ],
      },
    ],
  });
}

let daemon: Daemon;
let http: number;
let prom: number;
let telemetry: number;

before(async () => {
  [http, prom, telemetry] = [await freePort(), await freePort(), await freePort()];
  daemon = await Daemon.start([
    `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${http} }
processors:
  filter/metrics:
    metrics:
      include: { match_type: regexp, metric_names: ["^claude_code\\\\."] }
      exclude: { match_type: strict, metric_names: [claude_code.token.usage], attributes: [{ key: type, value: cacheRead }] }
  filter/session:
    metrics:
      exclude: { metric_names: [claude_code.session.count] }
  filter/logs:
    logs:
      exclude: { match_type: strict, event_names: [user_prompt] }
  filter/spans:
    spans:
      include: { match_type: regexp, span_names: ["^claude_code\\\\."] }
  batch: { timeout: 20ms }
exporters:
  prometheus: { endpoint: 127.0.0.1:${prom} }
  debug: { verbosity: normal }
service:
  telemetry: { metrics: { address: 127.0.0.1:${telemetry} } }
  pipelines:
    metrics: { receivers: [otlp], processors: [filter/metrics, filter/session, batch], exporters: [prometheus] }
    logs: { receivers: [otlp], processors: [filter/logs, batch], exporters: [debug] }
    traces: { receivers: [otlp], processors: [filter/spans, batch], exporters: [debug] }
`,
  ]);
  for (let i = 0; i < SENDS; i++) {
    for (const [path, body] of [['/v1/metrics', metricsRequest()], ['/v1/logs', logsRequest()], ['/v1/traces', tracesRequest()]]) {
      const r = await post(http, path, body);
      assert.equal(r.status, 200, `${path}: ${r.body}`);
      assert.doesNotMatch(r.body, /rejected/i, 'filtered items are not reported to the client as rejected');
    }
  }
});

after(async () => {
  await daemon?.stop();
});

/** Prometheus-style name for a test point (unit suffix and _total, as the exporter names counters). */
function seriesName(name: string, unit: string): string {
  return `${name.replace(/\./g, '_')}${unit === 'tokens' ? '_tokens' : unit === 'USD' ? '_USD' : ''}_total`;
}

/** `name{...labels containing every fragment...} value` lines. */
function values(text: string, name: string, a: Attr): number[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith(name + '{') && Object.entries(a).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
}

function repeatAdd(v: number, times: number): number {
  let acc = 0;
  for (let i = 0; i < times; i++) acc += v;
  return acc;
}

test('metrics: the scrape holds exactly the sums of the kept points and nothing of the dropped ones', async () => {
  const kept = POINTS.filter((p) => !byMetricsFilter(p) && !bySessionFilter(p));
  const dropped = POINTS.filter((p) => byMetricsFilter(p) || bySessionFilter(p));
  assert.ok(kept.length > 0 && dropped.length > 0);
  let text = '';
  await waitFor(async () => {
    text = (await get(prom, '/metrics')).body;
    return kept.every(([n, u, a, v]) => values(text, seriesName(n, u), a)[0] === repeatAdd(v, SENDS));
  }, 'the kept sums in the scrape');
  for (const [n, u, a, v] of kept) assert.deepEqual(values(text, seriesName(n, u), a), [repeatAdd(v, SENDS)], `${n} ${JSON.stringify(a)}`);
  for (const [n, u, a] of dropped) assert.deepEqual(values(text, seriesName(n, u), a), [], `${n} ${JSON.stringify(a)} is gone`);
  assert.doesNotMatch(text, /^claude_code_session_count_total\{/m);
  assert.doesNotMatch(text, /^agent_tokens_total\{/m);
});

test("the daemon's own counters: dropped points per filter instance, with reason filtered", async () => {
  const self = (await get(telemetry, '/metrics')).body;
  const count = (processor: string) => {
    const line = self.split('\n').find((l) => /^otel_pipeline_processor_dropped_metric_points(_total)?\{/.test(l) && l.includes(`processor="${processor}"`) && l.includes('reason="filtered"'));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  assert.equal(count('filter/metrics'), POINTS.filter(byMetricsFilter).length * SENDS);
  assert.equal(count('filter/session'), POINTS.filter((p) => !byMetricsFilter(p) && bySessionFilter(p)).length * SENDS);
  const logs = self.split('\n').find((l) => /^otel_pipeline_processor_dropped_log_records(_total)?\{/.test(l) && l.includes('processor="filter/logs"'));
  assert.equal(Number(logs?.split(' ').pop()), 2 * SENDS, 'two user_prompt events per send');
});

test('logs: user_prompt events go, by event.name attribute and by LogRecord.event_name; the rest reach the debug exporter', async () => {
  const keptBodies = ['claude_code.api_request', 'claude_code.tool_result'];
  await daemon.waitForStdout((s) => keptBodies.every((b) => s.split(`"${b}"`).length - 1 === SENDS), 'every kept event in the debug output');
  assert.equal(daemon.stdout.split('"claude_code.user_prompt"').length - 1, 0, 'no user_prompt event printed');
  const perBatch = [...daemon.stdout.matchAll(/^Logs: resource logs: \d+, log records: (\d+)$/gm)].map((m) => Number(m[1]));
  assert.equal(perBatch.reduce((a, b) => a + b, 0), keptBodies.length * SENDS);
});

test('spans: only claude_code.* spans reach the debug exporter', async () => {
  const kept = SPANS.filter((s) => s.startsWith('claude_code.'));
  await daemon.waitForStdout((s) => kept.every((n) => s.split(`\n${n} trace_id=`).length - 1 === SENDS), 'every kept span in the debug output');
  assert.equal(daemon.stdout.split('\nGET /health trace_id=').length - 1, 0);
  const perBatch = [...daemon.stdout.matchAll(/^Traces: resource spans: \d+, spans: (\d+)$/gm)].map((m) => Number(m[1]));
  assert.equal(perBatch.reduce((a, b) => a + b, 0), kept.length * SENDS);
});
