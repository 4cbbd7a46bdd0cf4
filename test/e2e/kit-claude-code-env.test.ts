/**
 * `otel-pipeline claude-code env` end to end: for configs with different
 * ports, protocols, URL paths and tokens, the printed lines are evaluated by
 * bash, which then starts a real OpenTelemetry SDK client configured only by
 * those variables (test/clients/claude-code-client.ts, as Claude Code
 * configures its SDK) against the daemon running that very config; the
 * Claude Code counters must show up in the Prometheus exporter with the
 * totals the client sent, and the events must be accepted.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { COUNTERS } from '../clients/claude-code-client';
import { Daemon, freePort, runCli, waitFor } from './harness';
import { bash, KIT_CLIENT } from './kit-support';
import { selfMetric } from './exposition';
import { get } from './otlp-http';

/** What one client round adds to a counter, summed over its attribute sets. */
function sent(name: string): number {
  return COUNTERS.find((c) => c.name === name)!.adds.reduce((s, [v]) => s + v, 0);
}

interface Case {
  title: string;
  protocol: 'grpc' | 'http/protobuf' | 'http/json';
  receiver: (grpc: number, http: number) => string;
  /** Environment of the daemon and of the CLI (what the config reads). */
  daemonEnv: Record<string, string>;
  /** What the shell that runs Claude Code has besides PATH and HOME. */
  shellEnv: Record<string, string>;
  /** The header line the CLI must print (or undefined for none). */
  header?: RegExp;
}

const CASES: Case[] = [
  {
    title: 'gRPC with a token read from a variable (printed as a reference to it)',
    protocol: 'grpc',
    receiver: (grpc, http) => `
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${grpc} }
      http: { endpoint: 127.0.0.1:${http} }
    auth:
      bearer_token: \${env:KIT_TEAM_TOKEN}`,
    daemonEnv: { KIT_TEAM_TOKEN: 'team-token-7f3a' },
    shellEnv: { KIT_TEAM_TOKEN: 'team-token-7f3a' },
    header: /^export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer \$\{KIT_TEAM_TOKEN\}"$/m,
  },
  {
    title: 'http/protobuf on an HTTP-only receiver with a literal token',
    protocol: 'http/protobuf',
    receiver: (_grpc, http) => `
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${http} }
    auth:
      bearer_token: literal-9d2c`,
    daemonEnv: {},
    shellEnv: {},
    header: /^export OTEL_EXPORTER_OTLP_HEADERS='Authorization=Bearer literal-9d2c'$/m,
  },
  {
    title: 'http/json with custom URL paths and no token',
    protocol: 'http/json',
    receiver: (grpc, http) => `
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${grpc} }
      http: { endpoint: 127.0.0.1:${http}, metrics_url_path: /ingest/metrics, logs_url_path: /ingest/logs }`,
    daemonEnv: {},
    shellEnv: {},
  },
];

for (const c of CASES) {
  test(`claude-code env, ${c.title}: the printed lines alone make a real SDK client deliver`, async () => {
    const [grpc, http, prom, telemetry] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const yaml = `receivers:${c.receiver(grpc, http)}
processors:
  batch: { timeout: 50ms }
exporters:
  prometheus: { endpoint: 127.0.0.1:${prom} }
  debug: { verbosity: basic }
service:
  telemetry: { metrics: { address: 127.0.0.1:${telemetry} } }
  pipelines:
    metrics: { receivers: [otlp], processors: [batch], exporters: [prometheus] }
    logs: { receivers: [otlp], processors: [batch], exporters: [debug] }
`;
    const d = await Daemon.start([yaml], { env: c.daemonEnv });
    try {
      const cli = await runCli(['claude-code', 'env', '--config', path.join(d.dir, 'config0.yaml'), '--protocol', c.protocol], { env: c.daemonEnv });
      assert.equal(cli.code, 0, cli.stderr);
      if (c.header) assert.match(cli.stdout, c.header);
      else assert.doesNotMatch(cli.stdout, /OTEL_EXPORTER_OTLP_HEADERS/);
      for (const value of Object.values(c.daemonEnv)) assert.ok(!cli.stdout.includes(value), 'a token from a variable is not printed');

      const run = await bash(`set -e\n${cli.stdout}\nexec "${process.execPath}" "${KIT_CLIENT}" 1`, c.shellEnv);
      assert.equal(run.code, 0, `client configured by the printed lines failed:\n${run.stderr}\nlines:\n${cli.stdout}`);

      const cost = sent('claude_code.cost.usage');
      const tokens = sent('claude_code.token.usage');
      const text = await waitFor(async () => {
        const t = (await get(prom, '/metrics')).body;
        return Math.abs(selfMetric(t, 'claude_code_cost_usage_USD_total') - cost) < 1e-9 ? t : undefined;
      }, 'the client\'s cost in the Prometheus exporter');
      assert.equal(selfMetric(text, 'claude_code_token_usage_tokens_total'), tokens);
      assert.equal(selfMetric(text, 'claude_code_token_usage_tokens_total', { type: 'input' }), sent('claude_code.token.usage') - 58 - 1200);
      const self = (await get(telemetry, '/metrics')).body;
      assert.ok(selfMetric(self, 'otel_pipeline_receiver_accepted_log_records', { receiver: 'otlp' }) >= 1, 'the api_request event was accepted');

      if (Object.keys(c.shellEnv).length > 0) {
        // The same lines in a shell without the token: the daemon refuses, so the header is what let the data in.
        await bash(`${cli.stdout}\nexec "${process.execPath}" "${KIT_CLIENT}" 1`, {});
        const after = await waitFor(async () => {
          const t = (await get(telemetry, '/metrics')).body;
          return selfMetric(t, 'otel_pipeline_receiver_refused_requests', { reason: 'unauthenticated' }) > 0 ? t : undefined;
        }, 'the token-less client to be refused');
        assert.ok(after);
        assert.equal(selfMetric((await get(prom, '/metrics')).body, 'claude_code_cost_usage_USD_total'), cost, 'nothing from the token-less client got in');
      }
    } finally {
      await d.stop();
    }
  });
}

test('claude-code env: asking for a protocol the receiver does not serve fails with a clear message', async () => {
  const http = await freePort();
  const yaml = `receivers:\n  otlp:\n    protocols:\n      http: { endpoint: 127.0.0.1:${http} }\nexporters:\n  debug:\nservice:\n  pipelines:\n    metrics: { receivers: [otlp], exporters: [debug] }\n`;
  const probe = Daemon.spawn([yaml], { args: ['claude-code', 'env', '--protocol', 'grpc'] });
  const exit = await probe.exited;
  try {
    assert.equal(exit.code, 1);
    assert.match(probe.stderr, /error: receiver "otlp" has no OTLP\/gRPC listener \(protocols\.grpc is not configured\): use --protocol http\/protobuf/);
    assert.equal(probe.stdout, '');
  } finally {
    await probe.stop();
  }
});

test('claude-code env: bad options and a missing file are clear errors, with nothing on stdout', async () => {
  for (const [args, message] of [
    [['--metric-interval', 'abc'], /error: --metric-interval must be a whole number of milliseconds above 0, got "abc"/],
    [['--protocol', 'http'], /argument 'http' is invalid\. Allowed choices are grpc, http\/protobuf, http\/json/],
    [['--config', '/nonexistent/otel.yaml'], /error: cannot read config file "\/nonexistent\/otel\.yaml": no such file/],
    [['--receiver', 'otlp/missing'], /error: --receiver otlp\/missing: no such receiver in the config \(otlp receivers: otlp\)/],
  ] as const) {
    const r = await runCli(['claude-code', 'env', ...args]);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.stderr, message);
    assert.equal(r.stdout, '');
  }
});
