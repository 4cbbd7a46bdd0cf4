/**
 * A team's worth of Claude Code traffic for the kit's tests, sent by the
 * real OpenTelemetry JS SDK configured from the environment only (as Claude
 * Code configures it: OTEL_EXPORTER_OTLP_PROTOCOL picks the exporter;
 * endpoint, headers and the delta temporality preference are read by the
 * SDK). Two users, three sessions, two models; every `claude_code.*`
 * counter; and the events the dashboards read (api_request, api_error,
 * tool_result, tool_decision, user_prompt) with every attribute a string,
 * as older Claude Code versions send them.
 * Usage: node kit-traffic.js   (exit 0, or 1 if an export failed)
 */
import { metrics } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';

export interface Session {
  id: string;
  user: { 'user.account_uuid': string; 'user.id': string; 'user.email': string };
  model: string;
  /** api_request events: [cost_usd, input, output, cache_read, duration_ms]. */
  requests: Array<[number, number, number, number, number]>;
  /** api_error events: [status_code, error]. */
  errors: Array<[string, string]>;
  /** tool_result events: [tool_name, success, duration_ms]. */
  tools: Array<[string, boolean, number]>;
  /** code_edit_tool.decision counts: [accept, reject]. */
  decisions: [number, number];
}

const ALICE = { 'user.account_uuid': 'acct-alice', 'user.id': 'dev-alice', 'user.email': 'alice@example.com' };
const BOB = { 'user.account_uuid': 'acct-bob', 'user.id': 'dev-bob', 'user.email': 'bob@example.com' };

export const SESSIONS: Session[] = [
  { id: 'sess-a1', user: ALICE, model: 'claude-sonnet-4-5', requests: [[0.0123, 372, 58, 1200, 1834], [0.0456, 900, 210, 4000, 2410]], errors: [['529', 'overloaded_error']], tools: [['Edit', true, 120], ['Bash', false, 3400]], decisions: [3, 1] },
  { id: 'sess-a2', user: ALICE, model: 'claude-opus-4-1', requests: [[0.31, 2100, 640, 9000, 5120]], errors: [], tools: [['Read', true, 15]], decisions: [1, 0] },
  { id: 'sess-b1', user: BOB, model: 'claude-sonnet-4-5', requests: [[0.02, 500, 80, 0, 990], [0.018, 450, 75, 300, 1100], [0.5, 4000, 1500, 20000, 8800]], errors: [['500', 'api_error'], ['529', 'overloaded_error']], tools: [['Edit', true, 95], ['Edit', false, 60], ['Bash', true, 2100]], decisions: [2, 2] },
];

/** Per-session counter adds: the metric, its value and its own attributes. */
export function counterAdds(s: Session): Array<[string, number, Record<string, string>]> {
  const cost = s.requests.reduce((a, r) => a + r[0], 0);
  const tokens = (i: number) => s.requests.reduce((a, r) => a + r[i], 0);
  return [
    ['claude_code.session.count', 1, { start_type: 'fresh' }],
    ['claude_code.cost.usage', cost, { model: s.model }],
    ['claude_code.token.usage', tokens(1), { type: 'input', model: s.model }],
    ['claude_code.token.usage', tokens(2), { type: 'output', model: s.model }],
    ['claude_code.token.usage', tokens(3), { type: 'cacheRead', model: s.model }],
    ['claude_code.lines_of_code.count', 40, { type: 'added', model: s.model }],
    ['claude_code.lines_of_code.count', 12, { type: 'removed', model: s.model }],
    ['claude_code.commit.count', 1, {}],
    ['claude_code.pull_request.count', 1, {}],
    ['claude_code.active_time.total', 300, { type: 'user' }],
    ['claude_code.active_time.total', 120.5, { type: 'cli' }],
    ['claude_code.code_edit_tool.decision', s.decisions[0], { tool_name: 'Edit', decision: 'accept', source: 'config', language: 'TypeScript' }],
    ['claude_code.code_edit_tool.decision', s.decisions[1], { tool_name: 'Edit', decision: 'reject', source: 'user_reject', language: 'TypeScript' }],
  ];
}

const UNITS: Record<string, string> = { 'claude_code.cost.usage': 'USD', 'claude_code.token.usage': 'tokens', 'claude_code.active_time.total': 's' };

function exporters(protocol: string): { metric: PushMetricExporter; log: LogRecordExporter } {
  const pkg = protocol === 'grpc' ? 'grpc' : protocol === 'http/protobuf' ? 'proto' : 'http';
  return {
    metric: new (require(`@opentelemetry/exporter-metrics-otlp-${pkg}`).OTLPMetricExporter)(),
    log: new (require(`@opentelemetry/exporter-logs-otlp-${pkg}`).OTLPLogExporter)(),
  };
}

/** Wraps an exporter so that a failed export is remembered. */
function watch<T extends { export(items: any, cb: (r: ExportResult) => void): void }>(exporter: T, failures: string[]): T {
  const original = exporter.export.bind(exporter);
  exporter.export = (items: any, cb: (r: ExportResult) => void) =>
    original(items, (r: ExportResult) => {
      if (r.code !== ExportResultCode.SUCCESS) failures.push(r.error?.message ?? 'export failed');
      cb(r);
    });
  return exporter;
}

async function main(): Promise<void> {
  const protocol = process.env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '';
  if (!['grpc', 'http/protobuf', 'http/json'].includes(protocol)) throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL must be set, got "${protocol}"`);
  const failures: string[] = [];
  const ex = exporters(protocol);
  const resource = resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': '2.0.0', 'os.type': 'linux', 'host.arch': 'x64' });
  const meterProvider = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter: watch(ex.metric, failures), exportIntervalMillis: 60000 })] });
  metrics.setGlobalMeterProvider(meterProvider);
  const meter = meterProvider.getMeter('com.anthropic.claude_code', '2.0.0');
  const instruments = new Map<string, ReturnType<typeof meter.createCounter>>();
  const counter = (name: string) => {
    let c = instruments.get(name);
    if (!c) instruments.set(name, (c = meter.createCounter(name, { unit: UNITS[name] ?? '' })));
    return c;
  };
  const loggerProvider = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: watch(ex.log, failures) })] });
  logs.setGlobalLoggerProvider(loggerProvider);
  const events = loggerProvider.getLogger('com.anthropic.claude_code.events', '2.0.0');

  let sequence = 0;
  for (const s of SESSIONS) {
    const common = { 'session.id': s.id, ...s.user, 'organization.id': 'org-1', 'terminal.type': 'xterm' };
    for (const [name, value, attrs] of counterAdds(s)) if (value > 0) counter(name).add(value, { ...common, ...attrs });
    const emit = (name: string, attrs: Record<string, string>) =>
      events.emit({ body: `claude_code.${name}`, attributes: { ...common, 'event.name': name, 'event.timestamp': new Date().toISOString(), 'event.sequence': String(sequence++), 'prompt.id': `${s.id}-p1`, ...attrs } });
    emit('user_prompt', { prompt_length: '120', prompt: '<REDACTED>' });
    s.requests.forEach(([cost, input, output, cacheRead, duration], i) =>
      emit('api_request', { model: s.model, cost_usd: String(cost), duration_ms: String(duration), input_tokens: String(input), output_tokens: String(output), cache_read_tokens: String(cacheRead), cache_creation_tokens: '0', request_id: `${s.id}-req-${i}` }),
    );
    s.errors.forEach(([status, error], i) => emit('api_error', { model: s.model, error, status_code: status, duration_ms: '250', attempt: String(i + 1) }));
    for (const [tool, success, duration] of s.tools) {
      emit('tool_decision', { tool_name: tool, decision: 'accept', source: 'config' });
      emit('tool_result', { tool_name: tool, success: String(success), duration_ms: String(duration), decision_type: 'accept', decision_source: 'config', ...(success ? {} : { error: 'exit code 1' }) });
    }
  }
  await meterProvider.forceFlush();
  await loggerProvider.forceFlush();
  await Promise.all([meterProvider.shutdown(), loggerProvider.shutdown()]);
  if (failures.length > 0) throw new Error(failures.join('; '));
}

if (require.main === module) main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`export failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
