/** The HTTP sender against the fault-injecting server: what arrives, and how each answer is classified. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sampleLogs, sampleMetrics, sampleTraces } from '../../otlp/proto/fixtures';
import { FaultServer } from '../../../test/support/fault-server';
import type { SendFailure } from '../otlp_common/classify';
import { HttpSender, type HttpSenderConfig } from './send';

let server: FaultServer;
before(async () => (server = await FaultServer.start()));
after(() => server.stop());

function sender(over: Partial<HttpSenderConfig> = {}): HttpSender {
  return new HttpSender({ endpoint: server.httpUrl, headers: {}, compression: 'gzip', encoding: 'proto', timeout: 5000, tls: { insecure: false, insecure_skip_verify: false }, ...over });
}

async function failure(p: Promise<unknown>): Promise<SendFailure> {
  try {
    await p;
  } catch (e) {
    return e as SendFailure;
  }
  throw new Error('expected the send to fail');
}

test('every signal arrives decoded exactly as sent, in proto and json, with headers', async () => {
  for (const encoding of ['proto', 'json'] as const) {
    const s = sender({ encoding, headers: { 'api-key': 'k-' + encoding } });
    const before = server.received.length;
    await s.send({ signal: 'metrics', resourceMetrics: sampleMetrics() });
    await s.send({ signal: 'logs', resourceLogs: sampleLogs() });
    await s.send({ signal: 'traces', resourceSpans: sampleTraces() });
    s.close();
    const got = server.received.slice(before);
    assert.deepEqual(got.map((r) => r.path), ['/v1/metrics', '/v1/logs', '/v1/traces']);
    for (const r of got) {
      assert.equal(r.headers['api-key'], 'k-' + encoding);
      assert.equal(r.gzip, true);
      assert.equal(r.contentType, encoding === 'json' ? 'application/json' : 'application/x-protobuf');
    }
    assert.deepStrictEqual(got[0].batch, { signal: 'metrics', resourceMetrics: sampleMetrics() });
    assert.deepStrictEqual(got[1].batch, { signal: 'logs', resourceLogs: sampleLogs() });
    assert.deepStrictEqual(got[2].batch, { signal: 'traces', resourceSpans: sampleTraces() });
  }
});

test('partial_success is returned, not thrown', async () => {
  for (const encoding of ['proto', 'json'] as const) {
    server.scriptHttp({ kind: 'partial', rejected: 3, message: 'three bad points' });
    const s = sender({ encoding });
    assert.deepEqual(await s.send({ signal: 'metrics', resourceMetrics: sampleMetrics() }), { rejected: 3, errorMessage: 'three bad points' });
    s.close();
  }
});

test('503 + Retry-After is retryable with the delay; 500 is permanent with the message', async () => {
  const s = sender();
  server.scriptHttp({ kind: 'http', status: 503, retryAfter: '2', message: 'busy' }, { kind: 'http', status: 500, message: 'boom' });
  const a = await failure(s.send({ signal: 'logs', resourceLogs: sampleLogs() }));
  assert.equal(a.retryable, true);
  assert.equal(a.retryAfterMs, 2000);
  assert.match(a.message, /503: busy/);
  const b = await failure(s.send({ signal: 'logs', resourceLogs: sampleLogs() }));
  assert.equal(b.retryable, false);
  assert.equal(b.reason, 'http_500');
  assert.match(b.message, /500: boom/);
  s.close();
});

test('slow past the timeout, a reset and a refused connection are retryable', async () => {
  const s = sender({ timeout: 200 });
  server.scriptHttp({ kind: 'slow', ms: 3000 }, { kind: 'reset' });
  const slow = await failure(s.send({ signal: 'traces', resourceSpans: sampleTraces() }));
  assert.equal(slow.retryable, true);
  assert.equal(slow.reason, 'timeout');
  const reset = await failure(s.send({ signal: 'traces', resourceSpans: sampleTraces() }));
  assert.equal(reset.retryable, true);
  assert.equal(reset.reason, 'econnreset');
  s.close();
  const down = new HttpSender({ endpoint: 'http://127.0.0.1:1', headers: {}, compression: 'none', encoding: 'proto', timeout: 2000, tls: { insecure: false, insecure_skip_verify: false } });
  const refused = await failure(down.send({ signal: 'traces', resourceSpans: sampleTraces() }));
  assert.equal(refused.retryable, true);
  assert.equal(refused.reason, 'econnrefused');
  down.close();
});

test('an abort from the caller cancels the request as retryable', async () => {
  const s = sender({ timeout: 0 });
  server.scriptHttp({ kind: 'slow', ms: 3000 });
  const ac = new AbortController();
  const p = failure(s.send({ signal: 'logs', resourceLogs: sampleLogs() }, ac.signal));
  const before = server.received.length;
  while (server.received.length === before) await new Promise((r) => setImmediate(r));
  ac.abort();
  const e = await p;
  assert.equal(e.retryable, true);
  assert.match(e.message, /cancelled/);
  s.close();
});
