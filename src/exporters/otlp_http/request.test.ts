import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { decodeLogsRequest, decodeMetricsRequest } from '../../otlp/proto';
import { decodeTracesRequestJson } from '../../otlp/json';
import { sampleLogs, sampleMetrics, sampleTraces } from '../../otlp/proto/fixtures';
import { buildRequest, signalUrl, validateEndpoints, type HttpTargetConfig } from './request';

const base: HttpTargetConfig = { endpoint: 'https://otlp.example.com', headers: {}, compression: 'gzip', encoding: 'proto' };

test('the base endpoint gets /v1/<signal>; per-signal endpoints are used as given', () => {
  assert.equal(signalUrl(base, 'metrics').href, 'https://otlp.example.com/v1/metrics');
  assert.equal(signalUrl({ ...base, endpoint: 'https://gw.example.com/otlp/' }, 'logs').href, 'https://gw.example.com/otlp/v1/logs');
  assert.equal(signalUrl({ ...base, endpoint: 'https://gw.example.com/otlp' }, 'traces').href, 'https://gw.example.com/otlp/v1/traces');
  const own = { ...base, traces_endpoint: 'https://traces.example.com/api/spans' };
  assert.equal(signalUrl(own, 'traces').href, 'https://traces.example.com/api/spans');
  assert.equal(signalUrl(own, 'metrics').href, 'https://otlp.example.com/v1/metrics');
  assert.throws(() => signalUrl({ ...base, endpoint: undefined }, 'logs'), /logs_endpoint/);
});

test('proto + gzip: the body gunzips to the request our decoder reads back', () => {
  const model = sampleMetrics();
  const r = buildRequest({ ...base, headers: { 'API-Key': 's3cret' } }, { signal: 'metrics', resourceMetrics: model });
  assert.equal(r.headers['content-type'], 'application/x-protobuf');
  assert.equal(r.headers['content-encoding'], 'gzip');
  assert.equal(r.headers['api-key'], 's3cret');
  assert.equal(r.headers['content-length'], String(r.body.length));
  assert.deepStrictEqual(decodeMetricsRequest(zlib.gunzipSync(r.body)).data, model);
});

test('compression none sends the raw bytes; user headers cannot override framing', () => {
  const model = sampleLogs();
  const r = buildRequest({ ...base, compression: 'none', headers: { 'content-type': 'text/plain', 'content-encoding': 'br' } }, { signal: 'logs', resourceLogs: model });
  assert.equal(r.headers['content-encoding'], undefined);
  assert.equal(r.headers['content-type'], 'application/x-protobuf');
  assert.deepStrictEqual(decodeLogsRequest(r.body).data, model);
});

test('json encoding: OTLP/JSON that our JSON decoder reads back', () => {
  const model = sampleTraces();
  const r = buildRequest({ ...base, compression: 'none', encoding: 'json' }, { signal: 'traces', resourceSpans: model });
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.url.pathname, '/v1/traces');
  assert.deepStrictEqual(decodeTracesRequestJson(r.body).data, model);
});

test('endpoint validation: URLs only, and some endpoint for every signal', () => {
  assert.deepEqual(validateEndpoints(base), []);
  assert.deepEqual(validateEndpoints({ ...base, endpoint: 'otlp.example.com:4318' }).map((p) => p.path), ['endpoint']);
  assert.deepEqual(validateEndpoints({ ...base, endpoint: undefined }).map((p) => p.path), ['endpoint']);
  assert.deepEqual(validateEndpoints({ ...base, endpoint: undefined, logs_endpoint: 'http://x/logs' }), []);
  assert.deepEqual(validateEndpoints({ ...base, metrics_endpoint: 'ftp://x' }).map((p) => p.path), ['metrics_endpoint']);
});
