/**
 * What the exporters put on the wire, read by an independent decoder
 * (protobufjs with the OTLP schema in test/fixtures/otlp.proto) and by
 * JSON.parse: the item counts and texts the model holds, whichever transport
 * and encoding carried them.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import protobuf from 'protobufjs';
import { countLogRecords } from '../../model/logs';
import { countSpans } from '../../model/traces';
import { sampleLogs, sampleTraces } from '../../otlp/proto/fixtures';
import { FaultServer } from '../../../test/support/fault-server';
import { GrpcSender } from '../otlp_grpc/send';
import { HttpSender } from '../otlp_http/send';

const root = protobuf.loadSync(path.resolve(__dirname, '../../../../test/fixtures/otlp.proto'));
const plain = { insecure: true, insecure_skip_verify: false };

let server: FaultServer;
before(async () => (server = await FaultServer.start()));
after(() => server.stop());

interface LogsMsg {
  resourceLogs: Array<{ scopeLogs: Array<{ logRecords: Array<{ body?: { stringValue?: string } }> }> }>;
}
interface TracesMsg {
  resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string; traceId: Uint8Array | string }> }> }>;
}

const logBodies = (m: LogsMsg) => m.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => l.body?.stringValue ?? null)));
// proto3 JSON leaves empty strings out.
const spanNames = (m: TracesMsg) => m.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((sp) => sp.name ?? '')));

test('gRPC, HTTP protobuf and HTTP JSON bodies decode independently to the items sent', async () => {
  const logs = sampleLogs();
  const traces = sampleTraces();
  const expectedBodies = logs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => (l.body?.kind === 'string' ? l.body.value : null))));
  const expectedNames = traces.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((sp) => sp.name ?? '')));
  assert.equal(expectedBodies.length, countLogRecords(logs));
  assert.equal(expectedNames.length, countSpans(traces));

  const g = new GrpcSender({ endpoint: server.grpcEndpoint, headers: {}, compression: 'gzip', timeout: 5000, tls: plain });
  const hp = new HttpSender({ endpoint: server.httpUrl, headers: {}, compression: 'gzip', encoding: 'proto', timeout: 5000, tls: plain });
  const hj = new HttpSender({ endpoint: server.httpUrl, headers: {}, compression: 'none', encoding: 'json', timeout: 5000, tls: plain });
  for (const s of [g, hp, hj]) {
    await s.send({ signal: 'logs', resourceLogs: logs });
    await s.send({ signal: 'traces', resourceSpans: traces });
    s.close();
  }
  const [gl, gt, pl, pt, jl, jt] = server.received;
  const logsType = root.lookupType('otlptest.ExportLogsServiceRequest');
  const tracesType = root.lookupType('otlptest.ExportTraceServiceRequest');
  for (const [l, t] of [[gl, gt], [pl, pt]]) {
    assert.deepEqual(logBodies(logsType.toObject(logsType.decode(l.body), { defaults: true }) as LogsMsg), expectedBodies, l.protocol);
    const decoded = tracesType.toObject(tracesType.decode(t.body), { defaults: true }) as TracesMsg;
    assert.deepEqual(spanNames(decoded), expectedNames, t.protocol);
    const first = traces[0].scopeSpans[0].spans[0];
    assert.deepEqual(Buffer.from(decoded.resourceSpans[0].scopeSpans[0].spans[0].traceId as Uint8Array), Buffer.from(first.traceId));
  }
  assert.deepEqual(logBodies(JSON.parse(jl.body.toString('utf8')) as LogsMsg), expectedBodies);
  const json = JSON.parse(jt.body.toString('utf8')) as TracesMsg;
  assert.deepEqual(spanNames(json), expectedNames);
  assert.equal(json.resourceSpans[0].scopeSpans[0].spans[0].traceId, Buffer.from(traces[0].scopeSpans[0].spans[0].traceId).toString('hex'), 'OTLP/JSON ids are hex');
});
