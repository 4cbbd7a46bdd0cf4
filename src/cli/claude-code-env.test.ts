/** `claude-code env`: the lines follow the config (ports, protocol, paths, token as written), and impossible asks are clear errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { defaultRegistry } from '../components';
import { loadConfig, type ConfigSource } from '../config/load';
import { claudeCodeEnv, EnvError, shellReference, shellWord, tokenAsWritten, type EnvOptions } from './claude-code-env';

const OPTS: EnvOptions = { metricIntervalMs: 60000, logsIntervalMs: 5000 };

function env(yaml: string | string[], opts: Partial<EnvOptions> = {}, vars: NodeJS.ProcessEnv = {}) {
  const sources: ConfigSource[] = (Array.isArray(yaml) ? yaml : [yaml]).map((text, i) => ({ name: `c${i}.yaml`, text }));
  const r = loadConfig(sources, defaultRegistry(), vars);
  assert.deepEqual(r.problems, []);
  return claudeCodeEnv(r.config!, sources, { ...OPTS, ...opts });
}

/** The exported variables, as bash would see them after running the lines. */
function evaluate(lines: string[], vars: Record<string, string> = {}): Record<string, string> {
  const out = execFileSync('bash', ['-c', `${lines.join('\n')}\nenv -0`], { env: { PATH: process.env.PATH, ...vars }, encoding: 'utf8' });
  return Object.fromEntries(out.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

const FULL = (grpc: number, http: number) => `
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${grpc} }
      http: { endpoint: 127.0.0.1:${http} }
exporters:
  debug:
service:
  pipelines:
    metrics: { receivers: [otlp], exporters: [debug] }
    logs: { receivers: [otlp], exporters: [debug] }
    traces: { receivers: [otlp], exporters: [debug] }
`;

test('ports and protocol come from the receiver: gRPC by default, HTTP on request', () => {
  const grpc = evaluate(env(FULL(14317, 14318)).lines);
  assert.equal(grpc.OTEL_EXPORTER_OTLP_PROTOCOL, 'grpc');
  assert.equal(grpc.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://127.0.0.1:14317');
  assert.equal(grpc.CLAUDE_CODE_ENABLE_TELEMETRY, '1');
  assert.equal(grpc.OTEL_METRICS_EXPORTER, 'otlp');
  assert.equal(grpc.OTEL_LOGS_EXPORTER, 'otlp');
  assert.equal(grpc.OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, 'delta');
  assert.equal(grpc.OTEL_METRIC_EXPORT_INTERVAL, '60000');
  assert.equal(grpc.OTEL_LOGS_EXPORT_INTERVAL, '5000');
  assert.equal(grpc.OTEL_EXPORTER_OTLP_HEADERS, undefined, 'no token configured, no header');
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    const http = evaluate(env(FULL(14317, 14318), { protocol, metricIntervalMs: 10000 }).lines);
    assert.equal(http.OTEL_EXPORTER_OTLP_PROTOCOL, protocol);
    assert.equal(http.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://127.0.0.1:14318');
    assert.equal(http.OTEL_METRIC_EXPORT_INTERVAL, '10000');
  }
});

test('an HTTP-only receiver defaults to http/protobuf; asking for gRPC is an error that says what to do', () => {
  const yaml = `
receivers:
  otlp:
    protocols:
      http: { endpoint: "[::1]:9318" }
exporters:
  debug:
service:
  pipelines:
    metrics: { receivers: [otlp], exporters: [debug] }
    logs: { receivers: [otlp], exporters: [debug] }
`;
  const vars = evaluate(env(yaml).lines);
  assert.equal(vars.OTEL_EXPORTER_OTLP_PROTOCOL, 'http/protobuf');
  assert.equal(vars.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://[::1]:9318');
  assert.throws(() => env(yaml, { protocol: 'grpc' }), (err: Error) => err instanceof EnvError && /no OTLP\/gRPC listener/.test(err.message) && /--protocol http\/protobuf/.test(err.message));
});

test('custom URL paths become per-signal endpoints, used as given by the SDK', () => {
  const yaml = `
receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:4318, metrics_url_path: /otlp/m, logs_url_path: /otlp/l }
exporters:
  debug:
service:
  pipelines:
    metrics: { receivers: [otlp], exporters: [debug] }
    logs: { receivers: [otlp], exporters: [debug] }
`;
  const vars = evaluate(env(yaml, { protocol: 'http/json' }).lines);
  assert.equal(vars.OTEL_EXPORTER_OTLP_ENDPOINT, undefined);
  assert.equal(vars.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, 'http://127.0.0.1:4318/otlp/m');
  assert.equal(vars.OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, 'http://127.0.0.1:4318/otlp/l');
  assert.equal(vars.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, 'http://127.0.0.1:4318/v1/traces');
});

test('every interface: localhost with a warning, or the --host given', () => {
  const yaml = FULL(4317, 4318).replace('127.0.0.1:4317', '0.0.0.0:4317');
  const out = env(yaml);
  assert.equal(evaluate(out.lines).OTEL_EXPORTER_OTLP_ENDPOINT, 'http://localhost:4317');
  assert.ok(out.warnings.some((w) => w.includes('--host')));
  const given = env(yaml, { host: 'otel.internal.example' });
  assert.equal(evaluate(given.lines).OTEL_EXPORTER_OTLP_ENDPOINT, 'http://otel.internal.example:4317');
  assert.ok(!given.warnings.some((w) => w.includes('--host')));
});

test('a token from a variable is printed as a reference to it; a literal one literally; --show-token prints the value', () => {
  const base = FULL(4317, 4318);
  const fromVar = `receivers:\n  otlp:\n    auth:\n      bearer_token: \${env:TEAM_TOKEN}\n`;
  const out = env([base, fromVar], {}, { TEAM_TOKEN: 's3cret' });
  const line = out.lines.find((l) => l.includes('OTEL_EXPORTER_OTLP_HEADERS'))!;
  assert.ok(!line.includes('s3cret'), line);
  assert.equal(line, 'export OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer ${TEAM_TOKEN}"');
  assert.equal(evaluate(out.lines, { TEAM_TOKEN: 'other-value' }).OTEL_EXPORTER_OTLP_HEADERS, 'Authorization=Bearer other-value');
  assert.ok(out.warnings.some((w) => w.includes('TEAM_TOKEN')));

  const shown = env([base, fromVar], { showToken: true }, { TEAM_TOKEN: 's3cret' });
  assert.equal(evaluate(shown.lines).OTEL_EXPORTER_OTLP_HEADERS, 'Authorization=Bearer s3cret');

  const literal = env([base, `receivers:\n  otlp:\n    auth:\n      bearer_token: "a b,c"\n`]);
  // Percent-encoded, as the SDK decodes header values.
  assert.equal(evaluate(literal.lines).OTEL_EXPORTER_OTLP_HEADERS, 'Authorization=Bearer a%20b%2Cc');
});

test('no logs pipeline on the receiver: a warning that the cost events would be lost', () => {
  const yaml = `
receivers:
  otlp:
exporters:
  debug:
service:
  pipelines:
    metrics: { receivers: [otlp], exporters: [debug] }
`;
  const out = env(yaml);
  assert.ok(out.warnings.some((w) => /no logs pipeline/.test(w) && /api_request/.test(w)), out.warnings.join('\n'));
  assert.ok(!out.lines.some((l) => l.includes('TRACES_EXPORTER')), 'no traces pipeline, no traces hint');
  assert.ok(!env(FULL(1, 2)).warnings.some((w) => /no logs pipeline/.test(w)));
});

test('several otlp receivers: --receiver chooses, and without it the error says so', () => {
  const yaml = `
receivers:
  otlp:
    protocols: { grpc: { endpoint: 127.0.0.1:4317 } }
  otlp/team_b:
    protocols: { grpc: { endpoint: 127.0.0.1:5317 } }
exporters:
  debug:
service:
  pipelines:
    metrics: { receivers: [otlp, otlp/team_b], exporters: [debug] }
    logs: { receivers: [otlp, otlp/team_b], exporters: [debug] }
`;
  assert.throws(() => env(yaml), /several otlp receivers take metrics \(otlp, otlp\/team_b\): choose one with --receiver/);
  assert.equal(evaluate(env(yaml, { receiver: 'otlp/team_b' }).lines).OTEL_EXPORTER_OTLP_ENDPOINT, 'http://127.0.0.1:5317');
  assert.throws(() => env(yaml, { receiver: 'otlp/nope' }), /no such receiver/);
});

test('shell quoting: plain words stay bare, others are single-quoted; references keep their defaults', () => {
  assert.equal(shellWord('http://127.0.0.1:4317'), 'http://127.0.0.1:4317');
  assert.equal(shellWord("it's"), `'it'\\''s'`);
  assert.equal(shellReference('${env:A}'), '${A}');
  assert.equal(shellReference('${B:-x y}'), '${B:-x y}');
  assert.equal(shellReference('pre-${env:C}-$$-"q"'), 'pre-${C}-\\$-\\"q\\"');
  assert.equal(tokenAsWritten([{ name: 'a', text: 'receivers: {otlp: {auth: {bearer_token: "${env:X}"}}}' }, { name: 'b', text: 'exporters: {}' }], 'otlp'), '${env:X}');
});
