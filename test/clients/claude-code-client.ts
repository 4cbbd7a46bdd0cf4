/**
 * A telemetry client configured the way Claude Code configures its bundled
 * OpenTelemetry JS SDK: everything comes from the environment
 * (OTEL_EXPORTER_OTLP_PROTOCOL picks the exporter package; endpoint, headers,
 * compression and temporality preference are read by the SDK itself).
 *
 * It sends Claude Code-shaped data: the eight `claude_code.*` double
 * counters with string attributes (VALUES below), an `agent.task.duration`
 * histogram (3 recordings a round), an `api_request` event as a log record
 * whose attributes are all strings, and (when OTEL_TRACES_EXPORTER=otlp) one
 * span. Each of `repeat` rounds is flushed on its own, so a delta client
 * sends `repeat` deltas. Exits 0, or 1 if any export failed.
 * Usage: node claude-code-client.js [repeat=1]
 */
import { metrics } from '@opentelemetry/api';
import { logs } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';

type Protocol = 'grpc' | 'http/protobuf' | 'http/json';

function exporters(protocol: Protocol): { metric: PushMetricExporter; log: LogRecordExporter; span: SpanExporter } {
  switch (protocol) {
    case 'grpc':
      return {
        metric: new (require('@opentelemetry/exporter-metrics-otlp-grpc').OTLPMetricExporter)(),
        log: new (require('@opentelemetry/exporter-logs-otlp-grpc').OTLPLogExporter)(),
        span: new (require('@opentelemetry/exporter-trace-otlp-grpc').OTLPTraceExporter)(),
      };
    case 'http/protobuf':
      return {
        metric: new (require('@opentelemetry/exporter-metrics-otlp-proto').OTLPMetricExporter)(),
        log: new (require('@opentelemetry/exporter-logs-otlp-proto').OTLPLogExporter)(),
        span: new (require('@opentelemetry/exporter-trace-otlp-proto').OTLPTraceExporter)(),
      };
    case 'http/json':
      return {
        metric: new (require('@opentelemetry/exporter-metrics-otlp-http').OTLPMetricExporter)(),
        log: new (require('@opentelemetry/exporter-logs-otlp-http').OTLPLogExporter)(),
        span: new (require('@opentelemetry/exporter-trace-otlp-http').OTLPTraceExporter)(),
      };
  }
}

/** What one round adds to each counter, per attribute set. Tests compute expected totals from this. */
export const COUNTERS: Array<{ name: string; unit: string; description: string; adds: Array<[number, Record<string, string>]> }> = [
  { name: 'claude_code.session.count', unit: '', description: 'Count of CLI sessions started', adds: [[1, { start_type: 'fresh' }]] },
  { name: 'claude_code.lines_of_code.count', unit: '', description: 'Count of lines of code modified', adds: [[12, { type: 'added', model: 'claude-sonnet-4-5' }], [3, { type: 'removed', model: 'claude-sonnet-4-5' }]] },
  { name: 'claude_code.pull_request.count', unit: '', description: 'Number of pull requests created', adds: [[1, {}]] },
  { name: 'claude_code.commit.count', unit: '', description: 'Number of git commits created', adds: [[2, {}]] },
  { name: 'claude_code.cost.usage', unit: 'USD', description: 'Cost of the Claude Code session', adds: [[0.0123, { model: 'claude-sonnet-4-5' }]] },
  { name: 'claude_code.token.usage', unit: 'tokens', description: 'Number of tokens used', adds: [[372, { type: 'input', model: 'claude-sonnet-4-5' }], [58, { type: 'output', model: 'claude-sonnet-4-5' }], [1200, { type: 'cacheRead', model: 'claude-sonnet-4-5' }]] },
  { name: 'claude_code.code_edit_tool.decision', unit: '', description: 'Count of code editing tool permission decisions', adds: [[1, { tool_name: 'Edit', decision: 'accept', source: 'config', language: 'TypeScript' }]] },
  { name: 'claude_code.active_time.total', unit: 's', description: 'Total active time in seconds', adds: [[4.5, { type: 'user' }], [30.25, { type: 'cli' }]] },
];

/** What one round records in the `agent.task.duration` histogram (seconds). */
export const DURATIONS = [0.5, 7, 30];

async function main(): Promise<void> {
  const protocol = process.env.OTEL_EXPORTER_OTLP_PROTOCOL as Protocol;
  if (!['grpc', 'http/protobuf', 'http/json'].includes(protocol)) throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL must be set, got ${protocol}`);
  const repeat = Number(process.argv[2] ?? '1');
  const ex = exporters(protocol);
  // The SDK merges OTEL_RESOURCE_ATTRIBUTES itself only through sdk-node; do it as Claude Code's setup does.
  const extra = Object.fromEntries(
    (process.env.OTEL_RESOURCE_ATTRIBUTES ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => kv.split('=').map(decodeURIComponent) as [string, string]),
  );
  const resource = resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': '2.0.0', 'os.type': 'linux', 'host.arch': 'x64', ...extra });

  const meterProvider = new MeterProvider({
    resource,
    readers: [new PeriodicExportingMetricReader({ exporter: ex.metric, exportIntervalMillis: 60000 })],
  });
  metrics.setGlobalMeterProvider(meterProvider);
  const meter = meterProvider.getMeter('com.anthropic.claude_code', '2.0.0');
  const counters = COUNTERS.map((c) => ({ ...c, instrument: meter.createCounter(c.name, { unit: c.unit, description: c.description }) }));
  const durations = meter.createHistogram('agent.task.duration', { unit: 's', description: 'Task duration' });

  const loggerProvider = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: ex.log })] });
  logs.setGlobalLoggerProvider(loggerProvider);
  const events = loggerProvider.getLogger('com.anthropic.claude_code.events', '2.0.0');

  const tracing = process.env.OTEL_TRACES_EXPORTER === 'otlp';
  const tracerProvider = tracing ? new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(ex.span)] }) : undefined;

  const common = { 'session.id': 'session-1', 'user.account_uuid': 'acct-1', 'organization.id': 'org-1', 'terminal.type': 'xterm' };
  for (let i = 0; i < repeat; i++) {
    for (const c of counters) for (const [value, attrs] of c.adds) c.instrument.add(value, { ...common, ...attrs });
    for (const d of DURATIONS) durations.record(d, { agent: 'planner' });
    events.emit({
      body: 'claude_code.api_request',
      attributes: {
        ...common,
        'event.name': 'api_request',
        'event.timestamp': new Date().toISOString(),
        'event.sequence': String(i),
        model: 'claude-sonnet-4-5',
        cost_usd: '0.0123',
        duration_ms: '1834',
        input_tokens: '372',
        output_tokens: '58',
        cache_read_tokens: '0',
        cache_creation_tokens: '0',
      },
    });
    if (tracerProvider) {
      const span = tracerProvider.getTracer('com.anthropic.claude_code').startSpan('claude_code.interaction', { attributes: { 'session.id': 'session-1' } });
      span.end();
    }
    await meterProvider.forceFlush();
  }

  await loggerProvider.forceFlush();
  await tracerProvider?.forceFlush();
  await Promise.all([meterProvider.shutdown(), loggerProvider.shutdown(), tracerProvider?.shutdown()]);
}

if (require.main === module) main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`export failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
