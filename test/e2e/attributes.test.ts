/**
 * The `attributes` and `resource` processors through the real binary:
 * OTLP/HTTP (with include_metadata) → resource → attributes → prometheus,
 * and a logs pipeline → attributes → debug. The scrape must show the right
 * numbers after attributes are deleted, copied from the request and hashed:
 * merged deltas sum, merged cumulative streams sum their latest values.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Daemon, freePort, waitFor } from './harness';
import { get, post } from './otlp-http';

const SERVICE = 'renamed-by-resource';
const START = BigInt(Date.now() - 60_000) * 1_000_000n;

let daemon: Daemon;
let httpPort: number;
let promPort: number;

type Attr = Record<string, string>;

function kvs(a: Attr): unknown[] {
  return Object.entries(a).map(([key, v]) => ({ key, value: { stringValue: v } }));
}

/** One OTLP/JSON request: a monotonic sum named `name` with one point per entry of `points`. */
function sumRequest(name: string, temporality: 1 | 2, points: Array<{ attrs: Attr; value: number; timeOffsetS?: number }>): string {
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: kvs({ 'service.name': 'claude-code', 'os.type': 'linux' }) },
        scopeMetrics: [
          {
            scope: { name: 'com.anthropic.claude_code', version: '1.0.0' },
            metrics: [
              {
                name,
                unit: 'tokens',
                sum: {
                  aggregationTemporality: temporality,
                  isMonotonic: true,
                  dataPoints: points.map((p) => ({
                    attributes: kvs(p.attrs),
                    startTimeUnixNano: String(START),
                    timeUnixNano: String(START + BigInt(1 + (p.timeOffsetS ?? 0)) * 1_000_000_000n),
                    asDouble: p.value,
                  })),
                },
              },
            ],
          },
        ],
      },
    ],
  });
}

async function send(body: string, headers: Record<string, string> = {}, path = '/v1/metrics'): Promise<void> {
  const r = await post(httpPort, path, body, { 'content-type': 'application/json', ...headers });
  assert.equal(r.status, 200, r.body);
}

async function scrape(): Promise<string> {
  const r = await get(promPort, '/metrics');
  assert.equal(r.status, 200);
  return r.body;
}

/** Every sample line of the series family `name` (exact sample name). */
function samples(body: string, name: string): string[] {
  return body.split('\n').filter((l) => l.startsWith(`${name}{`));
}

function sampleValue(line: string): number {
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

before(async () => {
  httpPort = await freePort();
  promPort = await freePort();
  daemon = await Daemon.start(
    [
      `receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${httpPort}
        include_metadata: true
processors:
  resource:
    attributes:
      - key: service.name
        value: \${OTEL_SERVICE_NAME}
        action: upsert
  attributes:
    actions:
      - { key: session.id, action: delete }
      - { key: requester, from_context: x-user-email, action: insert }
      - { key: user.email, action: hash }
  attributes/logs:
    actions:
      - { key: env, value: prod, action: insert }
      - { key: prompt, action: delete }
exporters:
  prometheus:
    endpoint: 127.0.0.1:${promPort}
  debug:
    verbosity: detailed
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [resource, attributes]
      exporters: [prometheus]
    logs:
      receivers: [otlp]
      processors: [attributes/logs]
      exporters: [debug]
`,
    ],
    { env: { OTEL_SERVICE_NAME: SERVICE } },
  );
});

after(async () => {
  await daemon?.stop();
});

test('delta counters from three sessions: deleting session.id leaves one series holding the sum', async () => {
  const sessions = ['s-1', 's-2', 's-3'];
  const perRequest = [3, 5, 11];
  // Each session in its own request, then all three in one request (merged inside the processor).
  for (const [i, s] of sessions.entries()) await send(sumRequest('e2e.delta.usage', 1, [{ attrs: { 'session.id': s, model: 'opus' }, value: perRequest[i] }]));
  const together = [0.25, 0.5, 2];
  await send(sumRequest('e2e.delta.usage', 1, sessions.map((s, i) => ({ attrs: { 'session.id': s, model: 'opus' }, value: together[i] }))));
  const expected = [...perRequest, ...together].reduce((a, b) => a + b, 0);
  const body = await waitFor(async () => {
    const b = await scrape();
    const lines = samples(b, 'e2e_delta_usage_tokens_total');
    return lines.length === 1 && sampleValue(lines[0]) === expected ? b : undefined;
  }, `one e2e_delta_usage_tokens_total series worth ${expected}`).catch(async (e) => {
    throw new Error(`${e.message}\n${samples(await scrape(), 'e2e_delta_usage_tokens_total').join('\n')}`);
  });
  const [line] = samples(body, 'e2e_delta_usage_tokens_total');
  assert.match(line, /model="opus"/);
  assert.doesNotMatch(line, /session_id/);
});

test('cumulative counters from three sessions sent twice: the series is the sum of the latest values', async () => {
  const rounds = [
    { 'c-1': 10, 'c-2': 20, 'c-3': 30 },
    { 'c-1': 15, 'c-2': 26, 'c-3': 31 },
  ];
  for (const [r, round] of rounds.entries()) {
    for (const [s, v] of Object.entries(round)) {
      await send(sumRequest('e2e.cumulative.usage', 2, [{ attrs: { 'session.id': s, model: 'opus' }, value: v, timeOffsetS: r }]));
    }
  }
  const latest = Object.values(rounds[rounds.length - 1]).reduce((a, b) => a + b, 0);
  const lines = samples(await scrape(), 'e2e_cumulative_usage_tokens_total');
  assert.equal(lines.length, 1, lines.join('\n'));
  // Not the last point alone (31), not every point added up (132): the sum of each session's latest.
  assert.equal(sampleValue(lines[0]), latest);
});

test('from_context: the x-user-email header becomes the requester label', async () => {
  await send(sumRequest('e2e.context.usage', 1, [{ attrs: { model: 'haiku' }, value: 4 }]), { 'x-user-email': 'alice@example.com' });
  await send(sumRequest('e2e.context.usage', 1, [{ attrs: { model: 'haiku' }, value: 6 }]), { 'x-user-email': 'carol@example.com' });
  const lines = samples(await scrape(), 'e2e_context_usage_tokens_total');
  const byRequester = Object.fromEntries(lines.map((l) => [/requester="([^"]*)"/.exec(l)?.[1], sampleValue(l)]));
  assert.deepEqual(byRequester, { 'alice@example.com': 4, 'carol@example.com': 6 });
});

test('hash: user.email is replaced by its SHA-256 hex', async () => {
  const email = 'bob@example.com';
  await send(sumRequest('e2e.hash.usage', 1, [{ attrs: { 'user.email': email }, value: 2 }]));
  const body = await scrape();
  const lines = samples(body, 'e2e_hash_usage_tokens_total');
  assert.equal(lines.length, 1);
  assert.match(lines[0], new RegExp(`user_email="${createHash('sha256').update(email).digest('hex')}"`));
  assert.ok(!body.includes(email), 'the address itself is nowhere in the scrape');
});

test('resource: the seed action with OTEL_SERVICE_NAME set changes the job label of every series', async () => {
  const body = await scrape();
  const ours = body.split('\n').filter((l) => l.startsWith('e2e_'));
  assert.ok(ours.length >= 4, body);
  for (const l of ours) assert.match(l, new RegExp(`job="${SERVICE}"`), l);
  assert.ok(!body.includes('job="claude-code"'), 'the original service.name is gone');
});

test('logs: insert and delete on log record attributes, seen in the debug exporter', async () => {
  const logs = JSON.stringify({
    resourceLogs: [
      {
        resource: { attributes: kvs({ 'service.name': 'claude-code' }) },
        scopeLogs: [
          {
            scope: { name: 'com.anthropic.claude_code.events' },
            logRecords: [
              {
                timeUnixNano: String(START),
                body: { stringValue: 'claude_code.user_prompt' },
                attributes: kvs({ 'event.name': 'user_prompt', prompt: 'a very secret prompt', 'session.id': 'log-session-1' }),
              },
            ],
          },
        ],
      },
    ],
  });
  await send(logs, {}, '/v1/logs');
  await daemon.waitForStdout((out) => out.includes('log-session-1'), 'the log record on stdout');
  const record = daemon.stdout.slice(daemon.stdout.lastIndexOf('LogRecord #0'));
  assert.match(record, /-> env: Str\(prod\)/);
  assert.match(record, /-> event\.name: Str\(user_prompt\)/);
  assert.match(record, /-> session\.id: Str\(log-session-1\)/);
  assert.doesNotMatch(record, /prompt: Str/);
  assert.ok(!daemon.stdout.includes('a very secret prompt'));
});
