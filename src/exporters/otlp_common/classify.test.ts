import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyGrpcStatus, classifyHttpStatus, classifyNetworkError, errorBodyMessage, parseRetryAfter } from './classify';
import { decodeRpcStatus, encodeRpcStatus } from './status';

const none = new Uint8Array(0);

test('HTTP 429, 502, 503, 504 are retryable; every other 4xx/5xx is permanent', () => {
  for (let status = 400; status < 600; status++) {
    const e = classifyHttpStatus(status, {}, none);
    assert.equal(e.retryable, [429, 502, 503, 504].includes(status), `status ${status}`);
    assert.equal(e.reason, `http_${status}`);
  }
});

test('Retry-After: delay-seconds and an HTTP date, relative to now', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  assert.equal(parseRetryAfter('7', now), 7000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter(new Date(now + 12_000).toUTCString(), now), 12_000);
  assert.equal(parseRetryAfter(new Date(now - 5000).toUTCString(), now), 0, 'a date in the past means now');
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
  assert.equal(parseRetryAfter(['3', '9'], now), 3000);
});

test('a 503 carries its Retry-After; a permanent error does not', () => {
  assert.equal(classifyHttpStatus(503, { 'retry-after': '4' }, none).retryAfterMs, 4000);
  assert.equal(classifyHttpStatus(429, {}, none).retryAfterMs, undefined);
  assert.equal(classifyHttpStatus(400, { 'retry-after': '4' }, none).retryAfterMs, undefined);
});

test('the server message comes from a protobuf or JSON google.rpc.Status body, or the text', () => {
  const proto = encodeRpcStatus({ code: 3, message: 'metric name is empty' });
  const e = classifyHttpStatus(400, { 'content-type': 'application/x-protobuf' }, proto);
  assert.equal(e.retryable, false);
  assert.match(e.message, /HTTP 400: metric name is empty/);
  assert.equal(errorBodyMessage(Buffer.from('{"code":3,"message":"bad json"}'), 'application/json'), 'bad json');
  assert.equal(errorBodyMessage(Buffer.from('  upstream broke \n'), 'text/plain'), 'upstream broke');
  assert.equal(errorBodyMessage(Buffer.from([0xff, 0xff]), 'application/x-protobuf'), '', 'garbage is no message, not a crash');
});

test('connection, TLS and timeout errors are retryable; an error without a code is permanent', () => {
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']) {
    const err = Object.assign(new Error(`connect ${code}`), { code });
    const e = classifyNetworkError(err);
    assert.equal(e.retryable, true, code);
    assert.equal(e.reason, code.toLowerCase());
  }
  assert.equal(classifyNetworkError(Object.assign(new Error('x'), { name: 'TimeoutError' })).retryable, true);
  const tls = classifyNetworkError(Object.assign(new Error('bad cert'), { code: 'CERT_HAS_EXPIRED' }));
  assert.equal(tls.retryable, true);
  assert.equal(tls.reason, 'cert_has_expired');
  assert.equal(classifyNetworkError(new Error('plain')).retryable, false);
});

test('gRPC codes: the retryable set, RESOURCE_EXHAUSTED only with RetryInfo', () => {
  const retryable = new Set([1, 4, 10, 11, 14, 15]);
  for (let code = 1; code <= 16; code++) {
    const e = classifyGrpcStatus(code, 'why', undefined);
    assert.equal(e.retryable, retryable.has(code), `code ${code}`);
    assert.match(e.message, /why/);
  }
  assert.equal(classifyGrpcStatus(14, '', undefined).reason, 'grpc_unavailable');
  const withInfo = encodeRpcStatus({ code: 8, message: 'slow down', retryDelayMs: 2500 });
  const e = classifyGrpcStatus(8, 'slow down', withInfo);
  assert.equal(e.retryable, true);
  assert.equal(e.retryAfterMs, 2500);
  const unavailable = classifyGrpcStatus(14, '', encodeRpcStatus({ code: 14, message: '', retryDelayMs: 1000 }));
  assert.equal(unavailable.retryAfterMs, 1000, 'RetryInfo honoured on any retryable code');
  assert.equal(classifyGrpcStatus(8, '', Uint8Array.from([0x0a, 0x7f])).retryable, false, 'an unreadable trailer is no RetryInfo');
});

test('google.rpc.Status round-trips, RetryInfo seconds and nanos', () => {
  for (const retryDelayMs of [undefined, 0, 999, 1000, 61_250]) {
    const s = { code: 8, message: 'quota ☃', retryDelayMs };
    const back = decodeRpcStatus(encodeRpcStatus(s));
    assert.deepEqual(back, retryDelayMs === undefined ? { code: 8, message: 'quota ☃' } : s);
  }
});

test('a detail of another type is not RetryInfo', () => {
  // Status{code 8, details [Any{type_url "type.googleapis.com/google.rpc.DebugInfo", value ""}]}
  const url = Buffer.from('type.googleapis.com/google.rpc.DebugInfo');
  const any = [0x0a, url.length, ...url];
  const bytes = Uint8Array.from([0x08, 8, 0x1a, any.length, ...any]);
  assert.equal(decodeRpcStatus(bytes).retryDelayMs, undefined);
  assert.equal(classifyGrpcStatus(8, '', bytes).retryable, false);
});
