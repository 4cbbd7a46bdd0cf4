import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { status } from '@grpc/grpc-js';
import { decodeExportResponse, encodeLogsRequest, encodeMetricsRequest } from '../../otlp/proto';
import { decodeLogsRequestJson, decodeMetricsRequestJson } from '../../otlp/json';
import type { LogsBatch } from '../../model/batch';
import { decodeStatus, grpcExport, RecordingConsumer, RefusingConsumer, startReceiver, type Started } from './harness';

const METRICS = Buffer.from(
  encodeMetricsRequest(
    decodeMetricsRequestJson(JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'claude_code.session.count', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asDouble: 1, timeUnixNano: '1' }] } }] }] }] })).data,
  ),
);
const LOGS_JSON = (traceId: string) =>
  JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'claude_code.tool_result' }, traceId, timeUnixNano: '1' }, { body: { stringValue: 'ok' }, timeUnixNano: '2' }] }] }] });

describe('OTLP/gRPC', () => {
  const metrics = new RecordingConsumer();
  const logs = new RecordingConsumer();
  let rx: Started;

  before(async () => {
    rx = await startReceiver({ protocols: { grpc: { endpoint: '127.0.0.1:0', max_recv_msg_size_mib: 1, include_metadata: true } } }, { metrics, logs });
  });
  after(() => rx.stop());

  it('accepts an Export and answers an empty ExportMetricsServiceResponse', async () => {
    const res = await grpcExport(rx.grpc, 'metrics', METRICS);
    assert.equal(res.code, status.OK, res.details);
    assert.deepEqual(decodeExportResponse('metrics', res.response!), { rejected: 0, errorMessage: '' });
    assert.equal(metrics.batches.length, 1);
  });

  it('refuses random bytes with INVALID_ARGUMENT and the decoder message, then still serves', async () => {
    const res = await grpcExport(rx.grpc, 'metrics', Buffer.from('ffffffffffffffffff0102', 'hex'));
    assert.equal(res.code, status.INVALID_ARGUMENT);
    assert.match(res.details, /^cannot decode the metrics request: invalid protobuf/);
    assert.equal((await grpcExport(rx.grpc, 'metrics', METRICS)).code, status.OK);
  });

  it('refuses a message over max_recv_msg_size_mib with RESOURCE_EXHAUSTED', async () => {
    const res = await grpcExport(rx.grpc, 'metrics', Buffer.alloc(1024 * 1024 + 10));
    assert.equal(res.code, status.RESOURCE_EXHAUSTED);
    assert.equal((await grpcExport(rx.grpc, 'metrics', METRICS)).code, status.OK);
  });

  it('applies the limit to the decompressed size of a gzip message', async () => {
    const res = await grpcExport(rx.grpc, 'metrics', Buffer.alloc(8 * 1024 * 1024), {}, { 'grpc.default_compression_algorithm': 2 });
    assert.equal(res.code, status.RESOURCE_EXHAUSTED);
    assert.match(res.details, /decompresses to a size larger than 1048576/);
  });

  it('reports partial success and passes the client address and metadata on', async () => {
    const data = decodeLogsRequestJson(LOGS_JSON('0102030405060708090a0b0c0d0e0f10')).data;
    data[0].scopeLogs[0].logRecords[0].traceId = new Uint8Array(5);
    const before = logs.batches.length;
    const res = await grpcExport(rx.grpc, 'logs', Buffer.from(encodeLogsRequest(data)), { 'x-tenant': 'team-a' });
    assert.equal(res.code, status.OK, res.details);
    const answer = decodeExportResponse('logs', res.response!);
    assert.equal(answer.rejected, 1);
    assert.match(answer.errorMessage, /trace/i);
    const batch = logs.batches[before] as LogsBatch;
    assert.equal(batch.resourceLogs[0].scopeLogs[0].logRecords.length, 1);
    assert.equal(batch.context?.clientAddress, '127.0.0.1');
    assert.deepEqual(batch.context?.metadata.get('x-tenant'), ['team-a']);
  });

  it('answers UNIMPLEMENTED for a signal no pipeline takes', async () => {
    const res = await grpcExport(rx.grpc, 'traces', Buffer.alloc(0));
    assert.equal(res.code, status.UNIMPLEMENTED);
    assert.match(res.details, /receiver "otlp" takes no traces/);
  });

  it('decompresses gzip messages (grpc-encoding: gzip)', async () => {
    const before = metrics.batches.length;
    const res = await grpcExport(rx.grpc, 'metrics', METRICS, {}, { 'grpc.default_compression_algorithm': 2 });
    assert.equal(res.code, status.OK, res.details);
    assert.equal(metrics.batches.length, before + 1);
  });
});

describe('OTLP/gRPC auth and downstream errors', () => {
  it('requires the bearer token in the authorization metadata', async () => {
    const rx = await startReceiver({ protocols: { grpc: { endpoint: '127.0.0.1:0' } }, auth: { bearer_token: 'tok' } }, { metrics: new RecordingConsumer() });
    try {
      const missing = await grpcExport(rx.grpc, 'metrics', METRICS);
      assert.equal(missing.code, status.UNAUTHENTICATED);
      assert.match(missing.details, /missing or invalid bearer token/);
      assert.equal((await grpcExport(rx.grpc, 'metrics', METRICS, { authorization: 'Bearer nope' })).code, status.UNAUTHENTICATED);
      assert.equal((await grpcExport(rx.grpc, 'metrics', METRICS, { authorization: 'Bearer tok' })).code, status.OK);
    } finally {
      await rx.stop();
    }
  });

  for (const [code, grpcCode, retryInfo] of [['OVERLOADED', status.UNAVAILABLE, true], ['UNAVAILABLE', status.UNAVAILABLE, true], ['PERMANENT', status.INTERNAL, false]] as const) {
    it(`maps a consumer's ${code} to ${status[grpcCode]}`, async () => {
      const rx = await startReceiver({ protocols: { grpc: { endpoint: '127.0.0.1:0' } } }, { metrics: new RefusingConsumer(code) });
      try {
        const res = await grpcExport(rx.grpc, 'metrics', METRICS);
        assert.equal(res.code, grpcCode);
        assert.match(res.details, new RegExp(`test consumer says ${code}`));
        const details = res.trailers?.get('grpc-status-details-bin')[0];
        assert.equal(details !== undefined, retryInfo, 'RetryInfo only when a retry helps');
        if (details) {
          const st = decodeStatus(details as Buffer);
          assert.equal(st.code, grpcCode);
          assert.equal(st.hasDetails, true);
          assert.ok((details as Buffer).includes('type.googleapis.com/google.rpc.RetryInfo'));
        }
      } finally {
        await rx.stop();
      }
    });
  }
});

describe('OTLP/gRPC without a gRPC library', () => {
  it('the receiver and the listener registry load no @grpc module (the daemon serves gRPC on node:http2)', () => {
    const modules = [require.resolve('./index'), require.resolve('../../net/listeners')];
    const script = `for (const m of ${JSON.stringify(modules)}) require(m);
      const loaded = Object.keys(require.cache);
      process.stdout.write(JSON.stringify({ receiver: loaded.includes(${JSON.stringify(modules[0])}), grpc: loaded.filter((k) => k.includes('@grpc')) }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
    assert.deepEqual(out, { receiver: true, grpc: [] });
  });
});
