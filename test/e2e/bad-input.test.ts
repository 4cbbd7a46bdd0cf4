/**
 * The real daemon facing bad clients: each bad request gets the right answer
 * and a message saying what was wrong, and a good request right after it
 * still succeeds.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { Daemon, freePort } from './harness';
import { metricsJson, post } from './otlp-http';

let d: Daemon;
let http: number;

before(async () => {
  http = await freePort();
  d = await Daemon.start([
    `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${http}, max_request_body_size: 1MiB }
    auth: { bearer_token: right-token }
exporters:
  debug:
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    metrics: { receivers: [otlp], exporters: [debug] }
    logs: { receivers: [otlp], exporters: [debug] }
`,
  ]);
});

after(async () => {
  await d?.stop();
});

const AUTH = { authorization: 'Bearer right-token' };

async function stillServes(): Promise<void> {
  const r = await post(http, '/v1/metrics', metricsJson('good'), { 'content-type': 'application/json', ...AUTH });
  assert.equal(r.status, 200, `a good request after a bad one: ${r.body}`);
  assert.ok(d.running, 'the daemon is still running');
}

const cases: Array<[string, () => Promise<{ status: number; body: string }>, number, RegExp]> = [
  ['truncated protobuf', () => post(http, '/v1/metrics', Buffer.from([0x0a, 0x20, 0x0a]), { 'content-type': 'application/x-protobuf', ...AUTH }), 400, /protobuf/i],
  ['random protobuf', () => post(http, '/v1/logs', Buffer.from('\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff', 'latin1'), { 'content-type': 'application/x-protobuf', ...AUTH }), 400, /protobuf/i],
  ['invalid JSON', () => post(http, '/v1/metrics', '{"resourceMetrics": [', { 'content-type': 'application/json', ...AUTH }), 400, /invalid JSON/],
  ['wrong JSON types', () => post(http, '/v1/metrics', '{"resourceMetrics": [{"scopeMetrics": {}}]}', { 'content-type': 'application/json', ...AUTH }), 400, /resourceMetrics\[0\]\.scopeMetrics must be an array/],
  ['oversize body', () => post(http, '/v1/metrics', Buffer.alloc(2 * 1024 * 1024, 0x20), { 'content-type': 'application/json', ...AUTH }), 413, /.+/],
  ['gzip bomb', () => post(http, '/v1/metrics', zlib.gzipSync(Buffer.alloc(32 * 1024 * 1024)), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip', ...AUTH }), 413, /.+/],
  ['wrong content type', () => post(http, '/v1/metrics', 'hello', { 'content-type': 'text/plain', ...AUTH }), 415, /.+/],
  ['missing token', () => post(http, '/v1/metrics', metricsJson('x'), { 'content-type': 'application/json' }), 401, /.+/],
  ['wrong token', () => post(http, '/v1/metrics', metricsJson('x'), { 'content-type': 'application/json', authorization: 'Bearer wrong-token' }), 401, /.+/],
  ['unconfigured signal', () => post(http, '/v1/traces', '{}', { 'content-type': 'application/json', ...AUTH }), 404, /.+/],
];

for (const [name, send, status, message] of cases) {
  test(`${name}: ${status}, then the daemon keeps serving`, async () => {
    const r = await send();
    assert.equal(r.status, status, r.body);
    assert.match(r.body, message);
    await stillServes();
  });
}

test('no bad request made the daemon log an error or a stack trace', () => {
  const errors = d.logs().filter((l) => l.level === 'error');
  assert.deepEqual(errors, []);
  assert.ok(!/\n\s+at /.test(d.stderr), 'no stack trace on stderr');
});
