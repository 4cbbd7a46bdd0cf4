/**
 * End to end: the real daemon, fed by real OpenTelemetry SDK exporters that
 * are configured the way Claude Code configures them (environment only),
 * over grpc, http/protobuf and http/json; the debug exporter shows what came
 * in.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Daemon, freePort, waitFor } from './harness';

const CLIENT = path.join(__dirname, '..', 'clients', 'claude-code-client.js');

function runClient(env: NodeJS.ProcessEnv, repeat = 1): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLIENT, String(repeat)], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

let daemon: Daemon;
let grpcPort: number;
let httpPort: number;

before(async () => {
  grpcPort = await freePort();
  httpPort = await freePort();
  daemon = await Daemon.start([
    `
receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${grpcPort} }
      http: { endpoint: 127.0.0.1:${httpPort} }
processors:
  batch: { timeout: 50ms }
exporters:
  debug: { verbosity: detailed }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    metrics: { receivers: [otlp], processors: [batch], exporters: [debug] }
    logs: { receivers: [otlp], processors: [batch], exporters: [debug] }
    traces: { receivers: [otlp], processors: [batch], exporters: [debug] }
`,
  ]);
});

after(async () => {
  await daemon?.stop();
});

for (const protocol of ['grpc', 'http/protobuf', 'http/json'] as const) {
  test(`Claude Code-style client over ${protocol}: metrics, events and spans reach the debug exporter`, async () => {
    const tag = `client.protocol: Str(${protocol})`;
    const from = daemon.stdout.length;
    const endpoint = protocol === 'grpc' ? `http://127.0.0.1:${grpcPort}` : `http://127.0.0.1:${httpPort}`;
    const result = await runClient({
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
      OTEL_RESOURCE_ATTRIBUTES: `client.protocol=${protocol},department=eng`,
      OTEL_TRACES_EXPORTER: 'otlp',
    });
    assert.equal(result.code, 0, `client failed: ${result.stderr}`);
    const out = (): string => daemon.stdout.slice(from);
    await waitFor(
      () => out().includes('Name: claude_code.token.usage') && out().includes('LogRecord #0') && out().includes('Name           : claude_code.interaction'),
      `metrics, logs and spans from the ${protocol} client in the debug output`,
    );
    const text = out();
    assert.ok(text.includes(tag), 'resource attributes from OTEL_RESOURCE_ATTRIBUTES are shown');
    assert.ok(text.includes('department: Str(eng)'));
    assert.ok(text.includes('service.name: Str(claude-code)'));
    // Delta, monotonic, double values, string attributes.
    const tokenBlock = text.slice(text.indexOf('Name: claude_code.token.usage'));
    assert.match(tokenBlock, /Unit: tokens/);
    assert.match(tokenBlock, /DataType: Sum\n\s+-> IsMonotonic: true\n\s+-> AggregationTemporality: Delta/);
    assert.match(tokenBlock, /type: Str\(input\)[\s\S]*?Value: 372\n/);
    assert.match(tokenBlock, /type: Str\(output\)[\s\S]*?Value: 58\n/);
    assert.ok(!/Value: 372 \(int\)/.test(tokenBlock), 'Claude Code counters are doubles, not ints');
    const costBlock = text.slice(text.indexOf('Name: claude_code.cost.usage'));
    assert.match(costBlock, /Unit: USD[\s\S]*?Value: 0\.0123\n/);
    // The api_request event, with its attributes as strings.
    assert.match(text, /Body: string\("claude_code\.api_request"\)/);
    assert.match(text, /event\.name: Str\(api_request\)/);
    assert.match(text, /input_tokens: Str\(372\)/);
    assert.match(text, /cost_usd: Str\(0\.0123\)/);
    assert.match(text, /InstrumentationScope com\.anthropic\.claude_code\.events 2\.0\.0/);
    // The span.
    assert.match(text, /Trace ID       : [0-9a-f]{32}/);
    assert.match(text, /session\.id: Str\(session-1\)/);
  });
}

test('gzip-compressed exports are accepted on grpc and http/protobuf', async () => {
  for (const [protocol, port] of [
    ['grpc', grpcPort],
    ['http/protobuf', httpPort],
  ] as const) {
    const from = daemon.stdout.length;
    const result = await runClient({
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
      OTEL_RESOURCE_ATTRIBUTES: `client.protocol=gzip-${protocol}`,
    });
    assert.equal(result.code, 0, `client failed: ${result.stderr}`);
    await waitFor(() => daemon.stdout.slice(from).includes(`client.protocol: Str(gzip-${protocol})`), `gzip ${protocol} data`);
  }
});
