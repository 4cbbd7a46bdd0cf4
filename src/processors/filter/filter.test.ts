/**
 * The filter processor on real batches: configs go through the real loader
 * (schema, defaults, validate), batches through the factory's processor, and
 * the dropped counter through a real SDK meter. Expected survivors are
 * computed from the inputs, not copied from output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, LogsBatch, MetricsBatch, TracesBatch } from '../../model/batch';
import { countItems } from '../../model/batch';
import { anyValueToString } from '../../model/common';
import { formatProblem, loadConfig } from '../../config/load';
import { Registry } from '../../pipeline/registry';
import { otlpReceiverFactory } from '../../receivers/otlp';
import { debugExporterFactory } from '../../exporters/debug';
import { silentLogger } from '../../telemetry/logger';
import type { Signal } from '../../model/batch';
import { filterProcessorFactory, type FilterConfig } from './index';
import { logs, metrics, record, span, sum, testMeter, traces, type Plain } from './testkit';

const registry = new Registry([otlpReceiverFactory, debugExporterFactory, filterProcessorFactory]);

function loadFilter(body: string): { config?: FilterConfig; problems: string[] } {
  const yaml = `receivers: { otlp: }\nexporters: { debug: }\nprocessors:\n  filter:\n${body.replace(/^/gm, '    ')}\nservice: { pipelines: { metrics: { receivers: [otlp], processors: [filter], exporters: [debug] } } }\n`;
  const r = loadConfig([{ name: 'test.yaml', text: yaml }], registry, {});
  return { config: r.config?.processors.get('filter')?.config as FilterConfig | undefined, problems: r.problems.map(formatProblem) };
}

/** Runs one batch through a filter configured by `yaml`; returns what came out and the dropped counter. */
async function run(yaml: string, batch: Batch): Promise<{ out: Batch | undefined; dropped: number }> {
  const { config, problems } = loadFilter(yaml);
  assert.deepEqual(problems, []);
  const m = testMeter();
  let out: Batch | undefined;
  const signal: Signal = batch.signal;
  const p = filterProcessorFactory.create(config!, { id: 'filter/t', kind: 'processor', logger: silentLogger, meter: m.meter, signal, pipeline: signal }, { consume: async (b) => void (out = b) });
  await p.start();
  await p.consume(batch);
  await p.shutdown(Date.now() + 100);
  const item = { metrics: 'metric_points', logs: 'log_records', traces: 'spans' }[signal];
  const dropped = await m.value(`otel_pipeline_processor_dropped_${item}`, { processor: 'filter/t', pipeline: signal, reason: 'filtered' });
  await m.shutdown();
  return { out, dropped };
}

/** `metric name{attr=value,...}=value` for every point, in order. */
function pointsOf(b: Batch | undefined): string[] {
  const out: string[] = [];
  for (const rm of (b as MetricsBatch | undefined)?.resourceMetrics ?? [])
    for (const sm of rm.scopeMetrics)
      for (const m of sm.metrics)
        if (m.data.type === 'sum') for (const p of m.data.dataPoints) out.push(`${m.name}{${p.attributes.map((a) => `${a.key}=${anyValueToString(a.value)}`).join(',')}}=${p.value}`);
  return out;
}

// Claude Code-shaped input: token usage by type, cost, and session count, from two resources.
const TOKENS: Array<[Plain, number]> = [[{ type: 'input', model: 'sonnet' }, 372], [{ type: 'output', model: 'sonnet' }, 58], [{ type: 'cacheRead', model: 'sonnet' }, 1200], [{ type: 'cacheCreation', model: 'opus' }, 90]];
function claude(): MetricsBatch {
  return metrics(
    [{ 'service.name': 'claude-code', team: 'a' }, [sum('claude_code.token.usage', TOKENS), sum('claude_code.cost.usage', [[{ model: 'sonnet' }, 0.0123]]), sum('claude_code.session.count', [[{ start_type: 'fresh' }, 1]])]],
    [{ 'service.name': 'other-agent' }, [sum('tokens_input_total', [[{ agent: 'planner' }, 5]]), sum('claude_code.session.count', [[{ start_type: 'resume' }, 2]])]],
  );
}

const all = (b: MetricsBatch) => pointsOf(b);

test('no rules for the signal: the batch passes untouched (and the same object)', async () => {
  const input = claude();
  const { out, dropped } = await run('logs: { exclude: { event_names: [x] } }', input);
  assert.equal(out, input);
  assert.equal(dropped, 0);
});

test('include by regexp on names keeps only matching metrics; empty resources are removed', async () => {
  const input = claude();
  const expected = all(input).filter((p) => /^claude_code\./.test(p));
  const { out, dropped } = await run('metrics: { include: { match_type: regexp, metric_names: ["^claude_code\\\\."] } }', claude());
  assert.deepEqual(pointsOf(out), expected);
  assert.equal(dropped, all(input).length - expected.length);
  assert.equal((out as MetricsBatch).resourceMetrics.length, 2, 'other-agent still has its claude_code.session.count');
});

test('exclude with a name and a data point attribute drops only those points; a name alone drops the metric', async () => {
  const input = claude();
  const expected = all(input).filter((p) => !(p.startsWith('claude_code.token.usage{') && p.includes('type=cacheRead')) && !p.startsWith('claude_code.session.count{'));
  const { out, dropped } = await run(
    'metrics:\n  exclude: { match_type: strict, metric_names: [claude_code.token.usage], attributes: [{ key: type, value: cacheRead }] }\nlogs: {}',
    input,
  );
  assert.deepEqual(pointsOf(out), all(claude()).filter((p) => !(p.startsWith('claude_code.token.usage{') && p.includes('type=cacheRead'))));
  assert.equal(dropped, 1);
  // Two blocks cannot both be exclude; a second filter instance ORs them. Here: names alone.
  const second = await run('metrics: { exclude: { metric_names: [claude_code.session.count] } }', out!);
  assert.deepEqual(pointsOf(second.out), expected);
  assert.equal(second.dropped, 2);
});

test('include and exclude together: include first, then exclude; a metric left without points is removed', async () => {
  const input = claude();
  const keep = (p: string) => p.startsWith('claude_code.token.usage{') && !/type=cache/.test(p);
  const { out, dropped } = await run(
    'metrics:\n  include: { match_type: regexp, metric_names: ["^claude_code\\\\.token"] }\n  exclude: { match_type: regexp, attributes: [{ key: type, value: "^cache" }] }',
    input,
  );
  assert.deepEqual(pointsOf(out), all(claude()).filter(keep));
  assert.equal(dropped, all(claude()).length - all(claude()).filter(keep).length);
  const rm = (out as MetricsBatch).resourceMetrics;
  assert.equal(rm.length, 1, 'the other-agent resource had nothing left');
  assert.deepEqual(rm[0].scopeMetrics[0].metrics.map((m) => m.name), ['claude_code.token.usage']);
});

test('resource attributes decide whole resources; presence-only and numeric conditions', async () => {
  const viaResource = await run('metrics: { exclude: { resource_attributes: [{ key: team }] } }', claude());
  assert.deepEqual(pointsOf(viaResource.out), all(claude()).slice(TOKENS.length + 2), 'the resource with a team key is gone');
  assert.equal(viaResource.dropped, TOKENS.length + 2);

  const numbers = metrics([{}, [sum('m', [[{ code: 200 }, 1], [{ code: '200' }, 2], [{ code: 500 }, 3], [{ ok: true }, 4], [{ ratio: 0.5 }, 5]])]]);
  const r = await run('metrics: { exclude: { attributes: [{ key: code, value: 200 }] } }', numbers);
  assert.deepEqual(pointsOf(r.out).map((p) => p.split('=').pop()), ['3', '4', '5'], 'int 200 and string "200" both match 200');
  const b = await run('metrics: { include: { attributes: [{ key: ok, value: true }] } }', metrics([{}, [sum('m', [[{ ok: true }, 1], [{ ok: false }, 2], [{ ok: 'true' }, 3]])]]));
  assert.deepEqual(pointsOf(b.out).map((p) => p.split('=').pop()), ['1', '3']);
});

test('everything filtered: the next consumer is not called and consume resolves', async () => {
  const { out, dropped } = await run('metrics: { include: { metric_names: [nothing.like.this] } }', claude());
  assert.equal(out, undefined);
  assert.equal(dropped, all(claude()).length);
});

test('Go RE2 inline (?i) works; patterns are unanchored as in Go', async () => {
  const r = await run('metrics: { include: { match_type: regexp, metric_names: ["(?i)SESSION"] } }', claude());
  assert.deepEqual(pointsOf(r.out), all(claude()).filter((p) => p.startsWith('claude_code.session.count')));
});

// --- logs ---------------------------------------------------------------

function claudeEvents(): LogsBatch {
  return logs(
    [{ 'service.name': 'claude-code' }, [
      // Older Claude Code: prefixed body, unprefixed event.name attribute.
      record({ text: 'claude_code.user_prompt', attrs: { 'event.name': 'user_prompt', prompt_length: '12' } }),
      record({ text: 'claude_code.api_request', attrs: { 'event.name': 'api_request', model: 'sonnet', input_tokens: '372' } }),
      // Newer OTLP: LogRecord.event_name set.
      record({ eventName: 'user_prompt', text: 'claude_code.user_prompt', attrs: { prompt_length: 3 } }),
      // Only a string body.
      record({ text: 'user_prompt' }),
      record({ text: 'claude_code.tool_result', attrs: { 'event.name': 'tool_result', success: 'false' }, severityNumber: 17, severityText: 'ERROR' }),
      record({ attrs: { note: 'no name at all' }, severityNumber: 0, severityText: '' }),
    ]],
  );
}

function recordsOf(b: Batch | undefined): string[] {
  return ((b as LogsBatch | undefined)?.resourceLogs ?? []).flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((r) => `${r.eventName}|${anyValueToString(r.body)}|${r.attributes.map((a) => a.key).join(',')}`)));
}

test('logs: event_names match LogRecord.event_name, else the event.name attribute, else a string body', async () => {
  const input = claudeEvents();
  const before = recordsOf(input);
  const { out, dropped } = await run('logs: { exclude: { match_type: strict, event_names: [user_prompt] } }', input);
  // Records 0, 2 and 3 are user prompts by the three routes.
  assert.deepEqual(recordsOf(out), before.filter((_, i) => ![0, 2, 3].includes(i)));
  assert.equal(dropped, 3);
});

test('logs: severity_number min with match_undefined, severity_texts, bodies and record_attributes (Go keys)', async () => {
  const sev = await run('logs: { include: { severity_number: { min: WARN, match_undefined: true } } }', claudeEvents());
  assert.deepEqual(recordsOf(sev.out), recordsOf(claudeEvents()).filter((_, i) => i === 4 || i === 5));
  const sevNo = await run('logs: { include: { severity_number: { min: 9 } } }', claudeEvents());
  assert.equal(countItems(sevNo.out!), 5, 'severity 0 is undefined and not matched by default');
  const text = await run('logs: { exclude: { match_type: regexp, severity_texts: ["^ERR"] } }', claudeEvents());
  assert.equal(text.dropped, 1);
  const bodies = await run('logs: { include: { match_type: regexp, bodies: ["^claude_code\\\\.(api|tool)_"] } }', claudeEvents());
  assert.deepEqual(recordsOf(bodies.out), recordsOf(claudeEvents()).filter((_, i) => i === 1 || i === 4));
  const go = await run('logs: { exclude: { match_type: regexp, record_attributes: [{ Key: model, Value: "^son" }], resource_attributes: [{ key: service.name, value: claude }] } }', claudeEvents());
  assert.deepEqual(recordsOf(go.out), recordsOf(claudeEvents()).filter((_, i) => i !== 1));
});

// --- spans --------------------------------------------------------------

function someTraces(): TracesBatch {
  return traces(
    [{ 'service.name': 'claude-code' }, [['claude', '1.0', [span('llm_request', { model: 'sonnet' }), span('tool.bash', { 'tool.name': 'Bash' }), span('tool.edit')]], ['http', '0.4', [span('GET /health'), span('POST /v1/messages')]]]],
    [{ 'service.name': 'checkout' }, [['http', '0.4', [span('GET /health')]]]],
  );
}

function spansOf(b: Batch | undefined): string[] {
  return ((b as TracesBatch | undefined)?.resourceSpans ?? []).flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => `${anyValueToString(rs.resource.attributes[0].value)}/${ss.scope.name}/${s.name}`)));
}

test('spans: include by regexp names, exclude by service, library and attributes', async () => {
  const inc = await run('spans: { include: { match_type: regexp, span_names: ["^tool\\\\.", "^llm_"] } }', someTraces());
  assert.deepEqual(spansOf(inc.out), ['claude-code/claude/llm_request', 'claude-code/claude/tool.bash', 'claude-code/claude/tool.edit']);
  assert.equal(inc.dropped, 3);
  const health = await run('spans: { exclude: { span_names: ["GET /health"], services: [checkout] } }', someTraces());
  assert.deepEqual(spansOf(health.out), spansOf(someTraces()).filter((s) => s !== 'checkout/http/GET /health'));
  const lib = await run('spans: { exclude: { libraries: [{ name: http, version: "0.4" }] } }', someTraces());
  assert.deepEqual(spansOf(lib.out), spansOf(someTraces()).filter((s) => !s.includes('/http/')));
  assert.equal(lib.dropped, 3);
  const attr = await run('spans: { exclude: { attributes: [{ key: tool.name }], resources: [{ key: service.name, value: claude-code }] } }', someTraces());
  assert.deepEqual(spansOf(attr.out), spansOf(someTraces()).filter((s) => !s.endsWith('tool.bash')));
});
