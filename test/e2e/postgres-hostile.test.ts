/**
 * What clients can throw at the PostgreSQL exporter: strings PostgreSQL
 * cannot store (NUL, lone surrogates from OTLP/JSON, invalid UTF-8 in
 * protobuf), SQL and COPY metacharacters everywhere a string goes; and data
 * the server refuses for good (a CHECK constraint), which is dropped,
 * counted and said once while later batches go on.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresServer } from '../support/postgres';
import { encodeLogsRequest } from '../../src/otlp/proto';
import { str } from '../../src/model/common';
import { Daemon, freePort, waitFor } from './harness';
import { post } from './otlp-http';
import { attr, countRows, logsRequest, postgresConfig, selfMetric, type Ports } from './postgres-kit';

const HOSTILE = [
  'nul\0inside',
  'lone\ud800high',
  'lone\udfffow',
  `quote' "double"`,
  'back\\slash \\N \\.',
  'tab\there\nnewline\rcr',
  `'); DROP TABLE otel_logs; --`,
  'ünïcödé 😀',
];

interface WellFormed {
  toWellFormed(): string;
  isWellFormed(): boolean;
}
/** What PostgreSQL must hold for a string sent: NUL and lone surrogates as U+FFFD, the rest exactly. */
const stored = (s: string) => (s.replace(/\0/g, '\uFFFD') as unknown as WellFormed).toWellFormed();
const bad = (s: string) => s.includes('\0') || !(s as unknown as WellFormed).isWellFormed();

let pg: PostgresServer;
let daemon: Daemon;
let ports: Ports;

before(async () => {
  pg = await PostgresServer.start();
  ports = { grpc: await freePort(), http: await freePort(), telemetry: await freePort() };
  // No batch processor: one request is one batch, so what is counted per batch is known.
  daemon = await Daemon.start([postgresConfig(ports, `endpoint: ${pg.url()}\nretry_on_failure: { initial_interval: 100ms, max_interval: 500ms }`, { batch: false })]);
});

after(async () => {
  await daemon?.stop();
  await pg?.stop();
});

test('hostile strings in bodies, attribute keys and values, resource, scope and metric names are stored exactly or safely replaced, and counted', async () => {
  const resourceKey = 'res\0key';
  const resourceValue = 'res\ud800value';
  const logs = logsRequest(
    HOSTILE.map((h, i) => ({ body: h, attributes: [attr(h, h), attr('i', { intValue: String(i) })] })),
    [attr('service.name', 'hostile'), attr(resourceKey, resourceValue)],
    HOSTILE[6],
  );
  assert.equal((await post(ports.http, '/v1/logs', logs)).status, 200);

  const metricName = 'metric\0name\twith\\tab';
  const description = 'desc \udc00 "quoted"';
  const metrics = JSON.stringify({
    resourceMetrics: [{
      resource: { attributes: [attr('service.name', 'hostile')] },
      scopeMetrics: [{ scope: { name: 'hostile' }, metrics: [{
        name: metricName, description, unit: HOSTILE[4],
        gauge: { dataPoints: HOSTILE.map((h, i) => ({ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), asDouble: i, attributes: [attr(h, h)] })) },
      }] }],
    }],
  });
  assert.equal((await post(ports.http, '/v1/metrics', metrics)).status, 200);

  // Invalid UTF-8 inside protobuf strings: the receiver decodes each bad sequence to U+FFFD.
  const placeholder = 'QQQQ';
  const invalid = Buffer.from([0xc3, 0x28, 0xff, 0xfe]);
  const now = Date.now();
  const proto = Buffer.from(encodeLogsRequest([{
    resource: { attributes: [{ key: 'service.name', value: str('hostile-proto') }], droppedAttributesCount: 0, entityRefs: [] }, schemaUrl: '',
    scopeLogs: [{ scope: { name: 'proto', version: '', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', logRecords: [{
      timeMs: now, timeNs: 0, observedTimeMs: 0, observedTimeNs: 0, severityNumber: 9, severityText: '', body: str(`body-${placeholder}`),
      attributes: [{ key: `key-${placeholder}`, value: str(`value-${placeholder}`) }], droppedAttributesCount: 0, flags: 0, traceId: new Uint8Array(0), spanId: new Uint8Array(0), eventName: '',
    }] }],
  }]));
  let patched = 0;
  for (let i = proto.indexOf(placeholder); i >= 0; i = proto.indexOf(placeholder, i + 1), patched++) invalid.copy(proto, i);
  assert.equal(patched, 3);
  const decoded = invalid.toString('utf8');
  assert.equal((await post(ports.http, '/v1/logs', proto, { 'content-type': 'application/x-protobuf' })).status, 200);

  await waitFor(async () => (await countRows(pg, `SELECT count(*) AS n FROM otel_logs`)) === HOSTILE.length + 1, 'every log record', 20_000);
  await waitFor(async () => (await countRows(pg, `SELECT count(*) AS n FROM otel_metrics`)) === HOSTILE.length, 'every point', 20_000);

  const rows = await pg.query(`SELECT body #>> '{}' AS body, attributes, resource, scope_name FROM otel_logs WHERE service_name = 'hostile' ORDER BY (attributes->>'i')::int`);
  assert.equal(rows.length, HOSTILE.length);
  rows.forEach((r, i) => {
    assert.equal(r.body, stored(HOSTILE[i]), `body ${i}`);
    assert.deepEqual(r.attributes, { [stored(HOSTILE[i])]: stored(HOSTILE[i]), i });
    assert.deepEqual(r.resource, { 'service.name': 'hostile', [stored(resourceKey)]: stored(resourceValue) });
    assert.equal(r.scope_name, HOSTILE[6]);
  });
  const points = await pg.query(`SELECT metric_name, description, unit, value, attributes FROM otel_metrics ORDER BY value`);
  points.forEach((p, i) => {
    assert.deepEqual([p.metric_name, p.description, p.unit, p.value], [stored(metricName), stored(description), HOSTILE[4], i]);
    assert.deepEqual(p.attributes, { [stored(HOSTILE[i])]: stored(HOSTILE[i]) });
  });
  const [fromProto] = await pg.query(`SELECT body #>> '{}' AS body, attributes FROM otel_logs WHERE service_name = 'hostile-proto'`);
  assert.deepEqual(fromProto, { body: `body-${decoded}`, attributes: { [`key-${decoded}`]: `value-${decoded}` } });
  assert.match(decoded, /\uFFFD/);

  // Counted once per string stored: resource key and value (once per resource); per record body,
  // attribute key and value; metric name and description (once per metric); per point attribute key and value.
  const badOnes = HOSTILE.filter(bad).length;
  const expected = 2 + 3 * badOnes + 2 + 2 * badOnes;
  await waitFor(async () => (await selfMetric(ports.telemetry, 'otel_pipeline_exporter_postgres_replaced_strings', 'exporter="postgres"')) === expected, `${expected} replaced strings counted`);

  const tables = await pg.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('otel_logs', 'otel_metrics', 'otel_spans', 'otel_batches', 'otel_schema_migrations')`);
  assert.equal(tables.length, 5, 'every table still exists');
});

test('a batch the server refuses for good (a CHECK constraint) is dropped and counted with its SQLSTATE, the message logged once, and later batches arrive', async () => {
  await waitFor(async () => (await countRows(pg, 'SELECT count(*) AS n FROM otel_logs')) >= 0, 'the tables created');
  await pg.query(`ALTER TABLE otel_logs ADD CONSTRAINT no_poison_allowed CHECK (body #>> '{}' <> 'poison')`);
  const poisoned = 3;
  for (let i = 0; i < poisoned; i++) {
    const req = logsRequest([{ body: `before-${i}` }, { body: 'poison' }, { body: `after-${i}` }], [attr('service.name', 'refused')]);
    assert.equal((await post(ports.http, '/v1/logs', req)).status, 200, 'accepted into the queue');
  }
  await waitFor(async () => (await selfMetric(ports.telemetry, 'otel_pipeline_exporter_send_failed_log_records', 'reason="pg_23514"')) === poisoned * 3, 'the refused batches counted as dropped', 20_000);
  assert.equal((await post(ports.http, '/v1/logs', logsRequest([{ body: 'fine' }], [attr('service.name', 'refused')]))).status, 200);
  await waitFor(async () => (await countRows(pg, `SELECT count(*) AS n FROM otel_logs WHERE service_name = 'refused'`)) === 1, 'the later batch', 20_000);
  assert.deepEqual(await pg.query(`SELECT body #>> '{}' AS b FROM otel_logs WHERE service_name = 'refused'`), [{ b: 'fine' }], 'a refused batch leaves nothing behind');
  const said = daemon.logs().filter((l) => l.level === 'warn' && JSON.stringify(l).includes('no_poison_allowed'));
  assert.equal(said.length, 1, `the server's message logged once: ${JSON.stringify(said)}`);
  assert.equal(said[0].reason, 'pg_23514');
  assert.equal(await selfMetric(ports.telemetry, 'otel_pipeline_exporter_retries', 'reason="pg_23514"'), 0, 'never retried');
});
