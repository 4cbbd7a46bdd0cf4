import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import * as zlib from 'node:zlib';
import { decodeExportResponse, encodeMetricsRequest, encodeTracesRequest } from '../../otlp/proto';
import { decodeMetricsRequestJson, decodeTracesRequestJson } from '../../otlp/json';
import type { MetricsBatch } from '../../model/batch';
import { decodeStatus, RecordingConsumer, RefusingConsumer, request, startReceiver, type HttpResult, type RequestOptions, type Started } from './harness';

const JSON_METRICS = JSON.stringify({
  resourceMetrics: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }] }, scopeMetrics: [{ scope: { name: 's' }, metrics: [{ name: 'claude_code.token.usage', unit: 'tokens', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asDouble: 372, timeUnixNano: '1700000000000000000', attributes: [{ key: 'type', value: { stringValue: 'input' } }] }] } }] }] }],
});
const PROTO_METRICS = Buffer.from(encodeMetricsRequest(decodeMetricsRequestJson(JSON_METRICS).data));
const json = { 'content-type': 'application/json' };
const proto = { 'content-type': 'application/x-protobuf' };

function jsonStatus(res: HttpResult): { code: number; message: string } {
  assert.equal(res.headers['content-type'], 'application/json');
  return JSON.parse(res.body.toString());
}

function protoStatus(res: HttpResult): { code: number; message: string } {
  assert.equal(res.headers['content-type'], 'application/x-protobuf');
  return decodeStatus(res.body);
}

describe('OTLP/HTTP edge cases', () => {
  const metrics = new RecordingConsumer();
  const traces = new RecordingConsumer();
  let rx: Started;
  let small: Started; // a 1 MiB body limit
  const post = (o: Omit<RequestOptions, 'port'>) => request({ port: rx.httpPort, ...o });

  before(async () => {
    rx = await startReceiver({ protocols: { http: { endpoint: '127.0.0.1:0', include_metadata: true } } }, { metrics, traces });
    small = await startReceiver({ protocols: { http: { endpoint: '127.0.0.1:0', max_request_body_size: 1024 * 1024 } } }, { metrics }, 'otlp/small');
  });
  after(async () => {
    await rx.stop();
    await small.stop();
  });

  /** After a bad request, the receiver still takes a good one. */
  async function stillServes(port = rx.httpPort): Promise<void> {
    const res = await request({ port, headers: json, body: JSON_METRICS });
    assert.equal(res.status, 200, res.body.toString());
  }

  it('accepts protobuf and JSON, answering in the request encoding and content type', async () => {
    const before = metrics.batches.length;
    const p = await post({ headers: { 'content-type': 'application/protobuf' }, body: PROTO_METRICS });
    assert.equal(p.status, 200);
    assert.equal(p.headers['content-type'], 'application/protobuf');
    assert.deepEqual(decodeExportResponse('metrics', p.body), { rejected: 0, errorMessage: '' });
    const j = await post({ headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON_METRICS });
    assert.equal(j.status, 200);
    assert.equal(j.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(j.body.toString()), {});
    assert.equal(metrics.batches.length, before + 2);
    const batch = metrics.batches[before + 1] as MetricsBatch;
    assert.equal(batch.resourceMetrics[0].scopeMetrics[0].metrics[0].name, 'claude_code.token.usage');
    assert.equal(batch.context?.clientAddress, '127.0.0.1');
    assert.deepEqual(batch.context?.metadata.get('content-type'), ['application/json; charset=utf-8']);
  });

  it('refuses a truncated protobuf with 400 and a protobuf Status saying why', async () => {
    const res = await post({ headers: proto, body: PROTO_METRICS.subarray(0, PROTO_METRICS.length - 7) });
    assert.equal(res.status, 400);
    const status = protoStatus(res);
    assert.equal(status.code, 3);
    assert.match(status.message, /^cannot decode the protobuf request: invalid protobuf: .*runs past the end/);
    await stillServes();
  });

  it('refuses random bytes with 400', async () => {
    const res = await post({ headers: proto, body: Buffer.from('ff'.repeat(20) + '0102030405', 'hex') });
    assert.equal(res.status, 400);
    assert.match(protoStatus(res).message, /^cannot decode the protobuf request: invalid protobuf/);
    await stillServes();
  });

  it('refuses invalid JSON and wrong JSON types with 400 and a JSON Status', async () => {
    const bad = await post({ headers: json, body: '{"resourceMetrics": [' });
    assert.equal(bad.status, 400);
    assert.match(jsonStatus(bad).message, /^cannot decode the JSON request: invalid JSON/);
    const wrong = await post({ headers: json, body: '{"resourceMetrics": 5}' });
    assert.equal(wrong.status, 400);
    assert.deepEqual(jsonStatus(wrong), { code: 3, message: 'cannot decode the JSON request: invalid OTLP/JSON: resourceMetrics must be an array, got number' });
    await stillServes();
  });

  it('answers 405 with Allow: POST, 404 for unknown paths, 415 for other media types and encodings', async () => {
    const get = await post({ method: 'GET' });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    const unknown = await post({ path: '/v1/profiles', headers: json, body: '{}' });
    assert.equal(unknown.status, 404);
    assert.match(jsonStatus(unknown).message, /no OTLP endpoint at \/v1\/profiles: POST to \/v1\/metrics, \/v1\/logs or \/v1\/traces/);
    const text = await post({ headers: { 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(text.status, 415);
    assert.match(jsonStatus(text).message, /unsupported Content-Type "text\/plain": use application\/x-protobuf or application\/json/);
    const br = await post({ headers: { ...proto, 'content-encoding': 'br' }, body: PROTO_METRICS });
    assert.equal(br.status, 415);
    assert.match(protoStatus(br).message, /unsupported Content-Encoding "br"/);
    await stillServes();
  });

  it('answers 404 for a signal no pipeline takes', async () => {
    const res = await post({ path: '/v1/logs', headers: json, body: '{"resourceLogs":[]}' });
    assert.equal(res.status, 404);
    assert.match(jsonStatus(res).message, /receiver "otlp" takes no logs: no logs pipeline uses it/);
  });

  it('refuses an oversize Content-Length with 413 without reading the body', async () => {
    const raw = net.connect(small.httpPort, '127.0.0.1');
    const answer = await new Promise<string>((resolve, reject) => {
      let got = '';
      raw.on('data', (d) => (got += d));
      raw.on('end', () => resolve(got));
      raw.on('error', reject);
      raw.write(`POST /v1/metrics HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${2 * 1024 * 1024}\r\n\r\n{"resourceMetrics":`);
    });
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /the body \(2097152 bytes\) exceeds the limit of 1048576 bytes/);
    await stillServes(small.httpPort);
  });

  it('stops reading a chunked body at the limit and answers 413', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const res = await request({ port: small.httpPort, headers: json, chunks: Array.from({ length: 24 }, () => chunk) });
    assert.equal(res.status, 413);
    assert.match(jsonStatus(res).message, /the body exceeds the limit of 1048576 bytes/);
    await stillServes(small.httpPort);
  });

  it('refuses a gzip bomb with 413 once the inflated size passes the limit', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024)); // ~64 KiB on the wire, 64 MiB inflated
    assert.ok(bomb.length < 100 * 1024);
    const res = await post({ headers: { ...proto, 'content-encoding': 'gzip' }, body: bomb });
    assert.equal(res.status, 413);
    assert.match(protoStatus(res).message, /the decompressed body exceeds the limit of 20971520 bytes/);
    await stillServes();
  });

  it('refuses corrupt gzip with 400', async () => {
    const gz = zlib.gzipSync(Buffer.from(JSON_METRICS));
    gz[gz.length - 6] ^= 0xff; // break the CRC
    const res = await post({ headers: { ...json, 'content-encoding': 'gzip' }, body: gz });
    assert.equal(res.status, 400);
    assert.match(jsonStatus(res).message, /the gzip body cannot be decompressed/);
    const notGzip = await post({ headers: { ...json, 'content-encoding': 'gzip' }, body: JSON_METRICS });
    assert.equal(notGzip.status, 400);
    await stillServes();
  });

  it('inflates deflate (zlib-wrapped or raw) and reads chunked bodies', async () => {
    for (const body of [zlib.deflateSync(PROTO_METRICS), zlib.deflateRawSync(PROTO_METRICS)]) {
      const res = await post({ headers: { ...proto, 'content-encoding': 'deflate' }, body });
      assert.equal(res.status, 200);
    }
    const text = Buffer.from(JSON_METRICS);
    const chunked = await post({ headers: json, chunks: [text.subarray(0, 10), text.subarray(10, 100), text.subarray(100)] });
    assert.equal(chunked.status, 200);
    const gzChunked = zlib.gzipSync(text);
    const both = await post({ headers: { ...json, 'content-encoding': 'gzip' }, chunks: [gzChunked.subarray(0, 7), gzChunked.subarray(7)] });
    assert.equal(both.status, 200);
  });

  it('answers a partial success with 200 and the rejected count, in both encodings', async () => {
    const spans = (traceId: string) => JSON.stringify({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId, spanId: '0102030405060708', name: 'bad', startTimeUnixNano: '1', endTimeUnixNano: '2' }, { traceId: '0102030405060708090a0b0c0d0e0f10', spanId: '0102030405060709', name: 'good', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }],
    });
    const before = traces.batches.length;
    const res = await post({ path: '/v1/traces', headers: json, body: spans('abcdef') });
    assert.equal(res.status, 200);
    const body = JSON.parse(res.body.toString());
    assert.equal(body.partialSuccess.rejectedSpans, '1');
    assert.match(body.partialSuccess.errorMessage, /traceId/);
    assert.equal(traces.batches.length, before + 1, 'the good span went on');

    // The same in protobuf: encode the good span, then shorten its trace id to 3 bytes.
    const good = decodeTracesRequestJson(spans('0102030405060708090a0b0c0d0e0f11')).data;
    good[0].scopeSpans[0].spans[0].traceId = new Uint8Array([1, 2, 3]);
    const p = await post({ path: '/v1/traces', headers: proto, body: Buffer.from(encodeTracesRequest(good)) });
    assert.equal(p.status, 200);
    assert.equal(decodeExportResponse('traces', p.body).rejected, 1);
    assert.equal(traces.batches.length, before + 2);
  });

  it('routes a POST to "/" by content, and refuses what it cannot tell', async () => {
    const p = await post({ path: '/', headers: proto, body: PROTO_METRICS });
    assert.equal(p.status, 200);
    const unknown = await post({ path: '/', headers: json, body: '{"resourceThings": []}' });
    assert.equal(unknown.status, 400);
    assert.match(jsonStatus(unknown).message, /cannot tell which signal a request to "\/" carries: POST to \/v1\/metrics, \/v1\/logs or \/v1\/traces/);
    const logs = await post({ path: '/', headers: json, body: '{"resourceLogs": []}' });
    assert.equal(logs.status, 404, 'no logs pipeline');
    const hints = rx.lines.filter((l) => l.level === 'warn' && /to "\/"/.test(l.msg));
    assert.equal(hints.length, 1);
  });

  it('logs bad requests at debug with the client address, never a stack', async () => {
    const line = rx.lines.find((l) => l.level === 'debug' && l.reason === 'decode');
    assert.ok(line);
    assert.equal(line.client, '127.0.0.1');
    assert.equal(line.transport, 'http');
    assert.ok(!rx.lines.some((l) => /\n\s+at /.test(JSON.stringify(l))));
  });
});

describe('OTLP/HTTP auth, CORS and downstream errors', () => {
  it('requires the bearer token', async () => {
    const rx = await startReceiver({ protocols: { http: { endpoint: '127.0.0.1:0' } }, auth: { bearer_token: 's3cret' } }, { metrics: new RecordingConsumer() });
    try {
      const missing = await request({ port: rx.httpPort, headers: json, body: JSON_METRICS });
      assert.equal(missing.status, 401);
      assert.equal(missing.headers['www-authenticate'], 'Bearer');
      assert.match(jsonStatus(missing).message, /missing or invalid bearer token/);
      for (const authorization of ['Bearer wrong', 'Bearer s3cret2', 'Basic czNjcmV0', 's3cret']) {
        assert.equal((await request({ port: rx.httpPort, headers: { ...json, authorization }, body: JSON_METRICS })).status, 401, authorization);
      }
      assert.equal((await request({ port: rx.httpPort, headers: { ...json, authorization: 'Bearer s3cret' }, body: JSON_METRICS })).status, 200);
      assert.equal((await request({ port: rx.httpPort, headers: { ...json, authorization: 'bearer  s3cret ' }, body: JSON_METRICS })).status, 200);
    } finally {
      await rx.stop();
    }
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const rx = await startReceiver({ protocols: { http: { endpoint: '127.0.0.1:0', cors: { allowed_origins: ['https://*.example.com'], allowed_headers: ['x-tenant'], max_age: 600 } } } }, { metrics: new RecordingConsumer() });
    try {
      const pre = { 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' };
      const ok = await request({ port: rx.httpPort, method: 'OPTIONS', headers: { ...pre, origin: 'https://app.example.com' } });
      assert.equal(ok.status, 204);
      assert.equal(ok.headers['access-control-allow-origin'], 'https://app.example.com');
      assert.equal(ok.headers['access-control-allow-methods'], 'POST');
      assert.match(String(ok.headers['access-control-allow-headers']), /x-tenant/);
      assert.equal(ok.headers['access-control-max-age'], '600');
      const denied = await request({ port: rx.httpPort, method: 'OPTIONS', headers: { ...pre, origin: 'https://evil.test' } });
      assert.equal(denied.status, 403);
      assert.equal(denied.headers['access-control-allow-origin'], undefined);
      const postOk = await request({ port: rx.httpPort, headers: { ...json, origin: 'https://app.example.com' }, body: JSON_METRICS });
      assert.equal(postOk.headers['access-control-allow-origin'], 'https://app.example.com');
    } finally {
      await rx.stop();
    }
  });

  for (const [code, status, retryAfter] of [['OVERLOADED', 503, '3'], ['UNAVAILABLE', 503, '1'], ['PERMANENT', 500, undefined]] as const) {
    it(`maps a consumer's ${code} to ${status}`, async () => {
      const consumer = new RefusingConsumer(code, code === 'OVERLOADED' ? 2500 : undefined);
      const rx = await startReceiver({ protocols: { http: { endpoint: '127.0.0.1:0' } } }, { metrics: consumer });
      try {
        const j = await request({ port: rx.httpPort, headers: json, body: JSON_METRICS });
        assert.equal(j.status, status);
        assert.equal(j.headers['retry-after'], retryAfter);
        const st = JSON.parse(j.body.toString());
        assert.equal(st.code, status === 500 ? 13 : 14);
        assert.match(st.message, new RegExp(`test consumer says ${code}`));
        const p = await request({ port: rx.httpPort, headers: proto, body: PROTO_METRICS });
        assert.equal(p.status, status);
        assert.equal(decodeStatus(p.body).hasDetails, retryAfter !== undefined, 'RetryInfo detail when retryable');
        assert.equal(consumer.calls, 2);
      } finally {
        await rx.stop();
      }
    });
  }
});
