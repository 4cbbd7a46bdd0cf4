/**
 * The prometheus exporter against real clients and a real Prometheus:
 * Claude Code-style SDK clients (grpc, http/protobuf, http/json, all delta)
 * send the eight claude_code.* counters and a histogram several times; the
 * scrape shows exactly the sums sent, promtool accepts it, and PromQL over a
 * real Prometheus returns the expected values. Then expiry, on a timer.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { COUNTERS, DURATIONS } from '../clients/claude-code-client';
import { PrometheusServer, promtoolCheckMetrics } from '../support/prometheus';
import { Daemon, freePort, waitFor } from './harness';
import { get, metricsJson, post } from './otlp-http';

const CLIENT = path.join(__dirname, '..', 'clients', 'claude-code-client.js');
const ROUNDS = 3;
const PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;

function scrape(port: number, accept?: string): Promise<{ type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', headers: accept ? { accept } : {}, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ type: String(res.headers['content-type']), body }));
      })
      .on('error', reject);
  });
}

/** The value of the one sample whose line starts with `name{` and contains every fragment. */
function value(text: string, name: string, ...fragments: string[]): number {
  const lines = text.split('\n').filter((l) => l.startsWith(name + '{') && fragments.every((f) => l.includes(f)));
  assert.equal(lines.length, 1, `exactly one ${name} sample with ${fragments.join(', ')}; got:\n${lines.join('\n')}`);
  return Number(lines[0].split(' ')[1]);
}

function runClient(env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLIENT, String(ROUNDS)], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`client exited ${code}: ${stderr}`))));
  });
}

let daemon: Daemon;
let prometheus: PrometheusServer;
let exporterPort: number;
let otlpHttpPort: number;

before(async () => {
  const grpc = await freePort();
  const httpPort = (otlpHttpPort = await freePort());
  exporterPort = await freePort();
  // Prometheus applies its targets a few seconds after it starts: start it alongside the daemon.
  const [d, p] = await Promise.all([
    Daemon.start([
      `receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${grpc} }
      http: { endpoint: 127.0.0.1:${httpPort} }
processors:
  batch: { timeout: 20ms }
exporters:
  prometheus:
    endpoint: 127.0.0.1:${exporterPort}
    enable_open_metrics: true
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    metrics: { receivers: [otlp], processors: [batch], exporters: [prometheus] }
`,
    ]),
    PrometheusServer.start({ scrapeTargets: [`127.0.0.1:${exporterPort}`], scrapeIntervalMs: 1000, honorLabels: true }),
  ]);
  daemon = d;
  prometheus = p;
  // Three clients, one per protocol, each sending ROUNDS deltas of the same attribute sets.
  for (const protocol of PROTOCOLS) {
    await runClient({
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${protocol === 'grpc' ? grpc : httpPort}`,
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
      OTEL_RESOURCE_ATTRIBUTES: 'department=eng',
    });
  }
});

after(async () => {
  await Promise.all([daemon?.stop(), prometheus?.stop()]);
});

/** Sum of `times` additions of `v`, in order, as the exporter adds them. */
function repeatAdd(v: number, times: number): number {
  let acc = 0;
  for (let i = 0; i < times; i++) acc += v;
  return acc;
}

test('the scrape shows exactly the sum of every delta sent by three clients', async () => {
  const { body, type } = await scrape(exporterPort);
  assert.match(type, /^text\/plain; version=0\.0\.4/);
  const sends = PROTOCOLS.length * ROUNDS;
  const names: Record<string, string> = {
    'claude_code.session.count': 'claude_code_session_count_total',
    'claude_code.lines_of_code.count': 'claude_code_lines_of_code_count_total',
    'claude_code.pull_request.count': 'claude_code_pull_request_count_total',
    'claude_code.commit.count': 'claude_code_commit_count_total',
    'claude_code.cost.usage': 'claude_code_cost_usage_USD_total',
    'claude_code.token.usage': 'claude_code_token_usage_tokens_total',
    'claude_code.code_edit_tool.decision': 'claude_code_code_edit_tool_decision_total',
    'claude_code.active_time.total': 'claude_code_active_time_seconds_total',
  };
  for (const c of COUNTERS) {
    assert.match(body, new RegExp(`^# TYPE ${names[c.name]} counter$`, 'm'));
    for (const [v, attrs] of c.adds) {
      const fragments = Object.entries(attrs).map(([k, x]) => `${k}="${x}"`);
      assert.equal(value(body, names[c.name], 'job="claude-code"', ...fragments), repeatAdd(v, sends), `${c.name} ${JSON.stringify(attrs)}`);
    }
  }
  // The histogram: every bucket and the count and sum.
  const perRound = DURATIONS.length;
  assert.equal(value(body, 'agent_task_duration_seconds_count', 'agent="planner"'), perRound * sends);
  assert.equal(value(body, 'agent_task_duration_seconds_bucket', 'le="5"'), sends);
  assert.equal(value(body, 'agent_task_duration_seconds_bucket', 'le="10"'), 2 * sends);
  assert.equal(value(body, 'agent_task_duration_seconds_bucket', 'le="+Inf"'), 3 * sends);
  assert.equal(value(body, 'agent_task_duration_seconds_sum', 'agent="planner"'), repeatAdd(DURATIONS.reduce((a, b) => a + b), sends));
  assert.match(body, /^target_info\{job="claude-code",instance="",[^}]*department="eng"[^}]*\} 1$/m);
});

test('promtool accepts the text exposition', async () => {
  const { body } = await scrape(exporterPort);
  const check = await promtoolCheckMetrics(body);
  assert.ok(check.ok, check.output);
});

test('OpenMetrics when asked: # UNIT, _created, # EOF', async () => {
  const { body, type } = await scrape(exporterPort, 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5');
  assert.match(type, /^application\/openmetrics-text; version=1\.0\.0/);
  assert.match(body, /^# TYPE claude_code_token_usage_tokens counter$/m);
  assert.match(body, /^# UNIT claude_code_token_usage_tokens tokens$/m);
  assert.match(body, /^claude_code_token_usage_tokens_created\{/m);
  assert.match(body, /^# TYPE target info$/m);
  assert.ok(body.endsWith('# EOF\n'));
});

test('awkward names and label values are escaped, and promtool still accepts the exposition', async () => {
  const body = JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'weird "svc"' } }] },
        scopeMetrics: [
          {
            metrics: [
              {
                name: 'odd.metric-name/with.dots',
                unit: '{thing}',
                gauge: {
                  dataPoints: [
                    {
                      attributes: [
                        { key: 'quote"key', value: { stringValue: 'say "hi"\\ back\nslash' } },
                        { key: 'unicode', value: { stringValue: 'naïve ☃' } },
                        { key: '0digit', value: { intValue: '7' } },
                      ],
                      timeUnixNano: '1700000000000000000',
                      asDouble: 1.5,
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  });
  assert.equal((await post(otlpHttpPort, '/v1/metrics', body)).status, 200);
  let text = '';
  await waitFor(async () => (text = (await scrape(exporterPort)).body).includes('odd_metric_name_with_dots{'), 'the odd metric');
  assert.match(text, /^odd_metric_name_with_dots\{[^\n]*job="weird \\"svc\\""[^\n]*quote_key="say \\"hi\\"\\\\ back\\nslash"[^\n]*\} 1\.5$/m);
  assert.match(text, /key_0digit="7"/);
  assert.match(text, /unicode="naïve ☃"/);
  const check = await promtoolCheckMetrics(text);
  assert.ok(check.ok, check.output);
});

// Prometheus asks for OpenMetrics first, and the exporter has it enabled: these queries
// also prove that a real Prometheus parses our OpenMetrics output.
test('a real Prometheus scrapes it: PromQL sums and a histogram_quantile come out as sent', async () => {
  const sends = PROTOCOLS.length * ROUNDS;
  const input = await prometheus.waitForQuery('sum(claude_code_token_usage_tokens_total{type="input"})', (r) => r.length === 1 && r[0].value === 372 * sends);
  assert.equal(input[0].value, 372 * sends);
  const byJob = await prometheus.query('claude_code_cost_usage_USD_total');
  assert.equal(byJob.length, 1);
  assert.equal(byJob[0].metric.job, 'claude-code', 'honor_labels keeps the job derived from service.name');
  assert.equal(byJob[0].value, repeatAdd(0.0123, sends));
  // Per round: 0.5 → (0,5], 7 → (5,10], 30 → (25,50]. The median is halfway through (5,10].
  const q = await prometheus.waitForQuery('histogram_quantile(0.5, sum by (le) (agent_task_duration_seconds_bucket))', (r) => r.length === 1 && Number.isFinite(r[0].value));
  assert.equal(q[0].value, 7.5);
  const targets = await prometheus.targets();
  assert.deepEqual(targets.map((t) => [t.health, t.lastError]), [['up', '']]);
});

test('expiry runs on a timer: an idle series disappears without any scrape, and the series count drops', async () => {
  const httpPort = await freePort();
  const promPort = await freePort();
  const telemetry = await freePort();
  const d = await Daemon.start([
    `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${httpPort} }
exporters:
  prometheus: { endpoint: 127.0.0.1:${promPort}, metric_expiration: 1s }
service:
  telemetry: { metrics: { address: 127.0.0.1:${telemetry} } }
  pipelines:
    metrics: { receivers: [otlp], exporters: [prometheus] }
`,
  ]);
  try {
    assert.equal((await post(httpPort, '/v1/metrics', metricsJson('expiring', 4, 'short.lived'))).status, 200);
    const seriesCount = async (): Promise<number | undefined> => {
      const m = /^otel_pipeline_exporter_prometheus_series\{[^}]*\} (\d+)$/m.exec((await get(telemetry, '/metrics')).body);
      return m ? Number(m[1]) : undefined;
    };
    assert.equal(await seriesCount(), 4, 'four series are held');
    // Only the self-telemetry endpoint is read while waiting, never the exporter's.
    await waitFor(async () => (await seriesCount()) === 0, 'the series to expire', 15000);
    const { body } = await scrape(promPort);
    assert.ok(!body.includes('short_lived'), body);
    assert.ok(!body.includes('target_info{'), 'target_info went with the last series');
  } finally {
    await d.stop();
  }
});
