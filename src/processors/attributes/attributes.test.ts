import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Batch, LogsBatch, MetricsBatch, RequestContext, TracesBatch } from '../../model/batch';
import { load, logRecord, numberPoints, pipelineYaml, plain, processorFrom, resourceLogs, resourceMetrics, resourceSpans, span, sum } from '../internal/testkit';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function metrics(...rms: MetricsBatch['resourceMetrics']): MetricsBatch {
  return { signal: 'metrics', resourceMetrics: rms };
}

async function through(yamlBody: string, batch: Batch, env: NodeJS.ProcessEnv = {}): Promise<Batch> {
  const { processor, received } = processorFrom(pipelineYaml('attributes', yamlBody, batch.signal), 'attributes', batch.signal, env);
  await processor.start();
  await processor.consume(batch);
  await processor.shutdown(Date.now() + 1000);
  assert.equal(received.length, 1);
  return received[0];
}

test('bad actions are config problems at load, each naming its action index', () => {
  // The schema first: an action that does not exist.
  const schema = load(pipelineYaml('attributes', 'actions:\n  - { key: a, action: upsert, value: 1 }\n  - { key: a, action: rename }')).problems;
  assert.equal(schema.length, 1);
  assert.match(schema[0], /^processors\.attributes\.actions\[1\]\.action: must be one of "insert", "update", "upsert", "delete", "hash", "extract", "convert"/);
  // Then the checks across keys, all reported at once.
  const problems = load(pipelineYaml('attributes', `actions:
  - { action: delete, pattern: "([a-z" }
  - { key: a, action: insert }
  - { key: url, action: extract, pattern: "([a-z]+)://" }
  - { key: a, action: delete, pattern: b }
include:
  match_type: regexp
merge:
  idle_timeout: 0s`)).problems;
  assert.deepEqual(problems.map((p) => p.split(': ')[0]), [
    'processors.attributes.actions[0].pattern',
    'processors.attributes.actions[1]',
    'processors.attributes.actions[2].pattern',
    'processors.attributes.actions[3]',
    'processors.attributes.include',
    'processors.attributes.merge.idle_timeout',
  ]);
  assert.match(problems[0], /is not a valid regular expression/);
  assert.match(problems[1], /needs one of value, from_attribute or from_context/);
  assert.match(problems[2], /no named groups/);
  assert.match(problems[3], /exactly one of key or pattern/);
});

test('a Go collector attributes config loads as written', () => {
  const { problems } = load(pipelineYaml('attributes/example', `actions:
  - key: db.table
    action: delete
  - key: redacted_span
    value: true
    action: upsert
  - key: copy_key
    from_attribute: key_original
    action: update
  - key: account_id
    value: 2245
    action: INSERT
  - key: account_email
    action: hash
  - key: http.status_code
    action: convert
    converted_type: int
  - key: region
    from_attribute: cloud.region
    default_value: "us-east-1"
    action: insert
  - key: tenant_id
    from_context: "metadata.tenant"
    default_value: "default-tenant"
    action: upsert
  - key: http.url
    pattern: ^(?P<http_protocol>.*):\\/\\/(?P<http_domain>.*)\\/(?P<http_path>.*)$
    action: extract
include:
  match_type: strict
  services: ["svcA"]
  regexp:
    cacheenabled: true
exclude:
  match_type: regexp
  metric_names: ["^internal\\\\."]`));
  assert.deepEqual(problems, []);
});

// YAML itself forbids `{` and `}` in an unquoted flow-map value, so in the
// one-line form the reference is quoted; the block form needs no quotes.
for (const seed of [
  'actions:\n  - key: service.name\n    value: ${OTEL_SERVICE_NAME}\n    action: upsert',
  'actions:\n  - {key: service.name, value: "${OTEL_SERVICE_NAME}", action: upsert}',
]) {
  test(`the seed action upserts service.name from \${OTEL_SERVICE_NAME}: ${JSON.stringify(seed.split('\n')[1])}`, async () => {
    const batch = metrics(resourceMetrics({ 'service.name': 'claude-code' }, [sum('x', 1, [{ attrs: { 'service.name': 'old' }, value: 1 }, { attrs: {}, value: 2 }])]));
    const out = (await through(seed, batch, { OTEL_SERVICE_NAME: 'my-agents' })) as MetricsBatch;
    const pts = numberPoints(out.resourceMetrics, 'x');
    assert.equal(pts.length, 1, 'the two points now share an identity and merge');
    assert.deepEqual(pts[0].attrs, { 'service.name': 'my-agents' });
    assert.equal(pts[0].point.value, 3);
  });
}

test('metrics: deleting session.id merges delta points of three sessions into their exact sum', async () => {
  const values = [3, 4, 5];
  const batch = metrics(...values.map((v, i) => resourceMetrics({ 'service.name': 'cc' }, [sum('claude_code.token.usage', 1, [{ attrs: { 'session.id': `s${i}`, type: 'input' }, value: v }])])));
  const out = (await through('actions:\n  - { key: session.id, action: delete }', batch)) as MetricsBatch;
  const pts = numberPoints(out.resourceMetrics, 'claude_code.token.usage');
  assert.deepEqual(pts.map((p) => [p.attrs, p.point.value]), [[{ type: 'input' }, values.reduce((a, b) => a + b)]]);
});

test('metrics: cumulative streams of three sessions sum their latest values across batches', async () => {
  const { processor, received } = processorFrom(pipelineYaml('attributes', 'actions:\n  - { key: session.id, action: delete }'), 'attributes', 'metrics');
  const send = (s: string, v: number, t: number) =>
    processor.consume(metrics(resourceMetrics({ 'service.name': 'cc' }, [sum('c', 2, [{ attrs: { 'session.id': s }, value: v, time: t }])])));
  const latest = new Map<string, number>();
  for (const [s, v, t] of [['a', 1, 1], ['b', 10, 1], ['c', 100, 1], ['a', 2, 2], ['c', 300, 2]] as const) {
    await send(s, v, t);
    latest.set(s, v);
  }
  const last = received[received.length - 1] as MetricsBatch;
  assert.equal(numberPoints(last.resourceMetrics, 'c')[0].point.value, [...latest.values()].reduce((a, b) => a + b));
  await processor.shutdown(Date.now() + 1000);
});

test('metrics: from_context copies a request header into an attribute; hash replaces user.email', async () => {
  const context: RequestContext = { clientAddress: '127.0.0.1', metadata: new Map([['x-user-email', ['bob@example.com']]]) };
  const batch: MetricsBatch = { ...metrics(resourceMetrics({}, [sum('x', 1, [{ attrs: { 'user.email': 'alice@example.com' }, value: 1 }])])), context };
  const out = (await through(`actions:
  - { key: requester, from_context: x-user-email, action: insert }
  - { key: client, from_context: client.address, action: insert }
  - { key: user.email, action: hash }`, batch)) as MetricsBatch;
  assert.deepEqual(numberPoints(out.resourceMetrics, 'x')[0].attrs, { 'user.email': sha256('alice@example.com'), requester: 'bob@example.com', client: '127.0.0.1' });
});

test('metrics: include/exclude choose which metrics and points are rewritten; the others pass untouched', async () => {
  const batch = metrics(resourceMetrics({ 'service.name': 'cc' }, [
    sum('claude_code.token.usage', 1, [{ attrs: { 'session.id': 'a', model: 'opus' }, value: 1 }, { attrs: { 'session.id': 'b', model: 'haiku' }, value: 2 }]),
    sum('claude_code.cost.usage', 1, [{ attrs: { 'session.id': 'a' }, value: 0.5 }]),
  ]));
  const out = (await through(`actions:
  - { key: session.id, action: delete }
include:
  match_type: regexp
  metric_names: ["^claude_code\\\\."]
exclude:
  match_type: strict
  attributes: [{ key: model, value: haiku }]`, batch)) as MetricsBatch;
  assert.deepEqual(numberPoints(out.resourceMetrics, 'claude_code.token.usage').map((p) => p.attrs), [{ model: 'opus' }, { 'session.id': 'b', model: 'haiku' }]);
  assert.deepEqual(numberPoints(out.resourceMetrics, 'claude_code.cost.usage').map((p) => p.attrs), [{}]);
});

test('logs: insert and delete on log record attributes, only for the events included', async () => {
  const batch: LogsBatch = {
    signal: 'logs',
    resourceLogs: [resourceLogs({ 'service.name': 'cc' }, [
      logRecord({ 'event.name': 'api_request', 'session.id': 's1', prompt: 'secret' }, 'claude_code.api_request'),
      logRecord({ 'event.name': 'tool_result', 'session.id': 's1' }, 'claude_code.tool_result'),
    ])],
  };
  const out = (await through(`actions:
  - { key: env, value: prod, action: insert }
  - { key: prompt, action: delete }
include:
  match_type: strict
  log_event_names: [api_request]`, batch, {})) as LogsBatch;
  const records = out.resourceLogs[0].scopeLogs[0].logRecords;
  assert.deepEqual(plain(records[0].attributes), { 'event.name': 'api_request', 'session.id': 's1', env: 'prod' });
  assert.deepEqual(plain(records[1].attributes), { 'event.name': 'tool_result', 'session.id': 's1' });
});

test('traces: span attributes are rewritten', async () => {
  const batch: TracesBatch = { signal: 'traces', resourceSpans: [resourceSpans({}, [span('GET /', { 'http.status_code': '200', 'user.email': 'a@b' })])] };
  const out = (await through(`actions:
  - { key: http.status_code, action: convert, converted_type: int }
  - { pattern: "^user\\\\.", action: delete }`, batch)) as TracesBatch;
  const s = out.resourceSpans[0].scopeSpans[0].spans[0];
  assert.deepEqual(s.attributes, [{ key: 'http.status_code', value: { kind: 'int', value: 200 } }]);
});

test('with no actions a batch passes through as the same object', async () => {
  const batch = metrics(resourceMetrics({}, [sum('x', 1, [{ attrs: { a: '1' }, value: 1 }, { attrs: { a: '1' }, value: 2 }])]));
  const before = structuredClone(batch);
  const out = await through('actions: []', batch);
  assert.equal(out, batch);
  assert.deepEqual(out, before);
});
