/**
 * The writer against a real PostgreSQL: every column family read back as
 * written (hostile strings included), exactly-once under a lost COMMIT
 * reply, permanent vs retryable failures, a partition dropped behind our
 * back, and a server that is down at first.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { PostgresServer } from '../../../test/support/postgres';
import type { Batch, LogsBatch } from '../../model/batch';
import { emptyScope, str, type AnyValue, type KeyValue } from '../../model/common';
import { silentLogger } from '../../telemetry/logger';
import { SendError } from '../helper';
import { RowEncoder } from './rows';
import { PostgresWriter, type WriterConfig } from './writer';
import { CommitReplyDropper } from './testkit';
import { DAY_MS, dayOf } from './schema/partitions';

let pg: PostgresServer;
before(async () => (pg = await PostgresServer.start()));
after(() => pg?.stop());

const NOW = Date.now();
const T = Math.floor(NOW / 1000) * 1000 - 60_000; // a whole second, a minute ago
const HOSTILE = ['nul\0here', 'lone\ud800surrogate', `quote' "double" \\back\\slash`, 'tab\tnew\nline\rcr', `'); DROP TABLE otel_logs; --`, '\\N', 'ünï😀'];
/** What PostgreSQL holds for each HOSTILE string. */
const STORED = ['nul\uFFFDhere', 'lone\uFFFDsurrogate', HOSTILE[2], HOSTILE[3], HOSTILE[4], '\\N', 'ünï😀'];

let schemaN = 0;
function config(over: Partial<WriterConfig> = {}): WriterConfig {
  return { url: pg.url(), schema: `w${++schemaN}`, createSchema: true, poolSize: 2, partitionsAhead: 1, retention: 0, timeout: 10_000, exporter: 'postgres/test', ...over };
}

const never = new AbortController().signal;

function resource(service: string, extra: KeyValue[] = []) {
  return { attributes: [{ key: 'service.name', value: str(service) }, ...extra], droppedAttributesCount: 0, entityRefs: [] };
}

function logs(bodies: Array<string | AnyValue>, extra: Partial<Batch> = {}): LogsBatch {
  return {
    signal: 'logs',
    resourceLogs: [{
      resource: resource('svc'), schemaUrl: '',
      scopeLogs: [{ scope: emptyScope(), schemaUrl: '', logRecords: bodies.map((b, i) => ({
        timeMs: T + i, timeNs: 0, observedTimeMs: 0, observedTimeNs: 0, severityNumber: 9, severityText: 'INFO',
        body: typeof b === 'string' ? str(b) : b, attributes: [{ key: 'i', value: { kind: 'int', value: i } }], droppedAttributesCount: 0, flags: 0,
        traceId: new Uint8Array(0), spanId: new Uint8Array(0), eventName: '',
      })) }],
    }],
    ...extra,
  } as LogsBatch;
}

async function write(w: PostgresWriter, batch: Batch, id = randomUUID()): Promise<string> {
  await w.write(batch.signal, id, RowEncoder.encode(batch, id, NOW), never);
  return id;
}

test('metrics of every type land as rows with every column as sent', async () => {
  const c = config();
  const w = new PostgresWriter(c, silentLogger);
  try {
    const attrs: KeyValue[] = [{ key: 'model', value: str('claude-sonnet-4-5') }];
    const base = { attributes: attrs, startTimeMs: T - 1000, startTimeNs: 0, timeMs: T, timeNs: 123_456, flags: 1 };
    const batch: Batch = {
      signal: 'metrics',
      resourceMetrics: [{
        resource: resource('claude-code', [{ key: 'os.type', value: str('linux') }]), schemaUrl: '',
        scopeMetrics: [{ scope: { ...emptyScope(), name: 'com.anthropic.claude_code', version: '2.0.0' }, schemaUrl: '', metrics: [
          { name: 'g', description: 'a gauge', unit: '1', metadata: [], data: { type: 'gauge', dataPoints: [{ ...base, valueType: 'int', value: 42, exemplars: [] }] } },
          { name: 'claude_code.cost.usage', description: '', unit: 'USD', metadata: [], data: { type: 'sum', temporality: 1, isMonotonic: true, dataPoints: [{ ...base, valueType: 'double', value: 0.0123, exemplars: [{ filteredAttributes: [], timeMs: T, timeNs: 0, valueType: 'double', value: 0.5, spanId: new Uint8Array(8).fill(2), traceId: new Uint8Array(16).fill(1) }] }] } },
          { name: 'h', description: '', unit: 's', metadata: [], data: { type: 'histogram', temporality: 2, dataPoints: [{ ...base, count: 3, sum: 37.5, bucketCounts: [1, 1, 1], explicitBounds: [1, 10], exemplars: [], min: 0.5, max: 30 }] } },
          { name: 'e', description: '', unit: '', metadata: [], data: { type: 'exponentialHistogram', temporality: 1, dataPoints: [{ ...base, count: 4, sum: undefined, scale: 2, zeroCount: 1, positive: { offset: -1, bucketCounts: [1, 2] }, negative: { offset: 0, bucketCounts: [] }, exemplars: [], min: undefined, max: undefined, zeroThreshold: 0 }] } },
          { name: 's', description: '', unit: '', metadata: [], data: { type: 'summary', dataPoints: [{ ...base, count: 10, sum: 5, quantileValues: [{ quantile: 0.5, value: 0.4 }, { quantile: 1, value: NaN }] }] } },
          { name: 'inf', description: '', unit: '', metadata: [], data: { type: 'gauge', dataPoints: [{ ...base, valueType: 'double', value: -Infinity, exemplars: [] }] } },
        ] }],
      }],
    };
    const id = await write(w, batch);
    const rows = await pg.query(`SELECT * FROM ${c.schema}.otel_metrics ORDER BY seq`);
    assert.equal(rows.length, 6);
    assert.deepEqual(rows.map((r) => [r.seq, r.metric_name, r.metric_type, r.temporality, r.is_monotonic]), [
      [0, 'g', 'gauge', null, null],
      [1, 'claude_code.cost.usage', 'sum', 'delta', true],
      [2, 'h', 'histogram', 'cumulative', null],
      [3, 'e', 'exponential_histogram', 'delta', null],
      [4, 's', 'summary', null, null],
      [5, 'inf', 'gauge', null, null],
    ]);
    for (const r of rows) {
      assert.equal(r.batch_id, id);
      assert.equal(r.service_name, 'claude-code');
      assert.deepEqual(r.resource, { 'service.name': 'claude-code', 'os.type': 'linux' });
      assert.deepEqual(r.attributes, { model: 'claude-sonnet-4-5' });
      assert.equal(r.scope_name, 'com.anthropic.claude_code');
      assert.equal(r.scope_version, '2.0.0');
      assert.equal(r.time.getTime(), T, 'ms part of the time');
      assert.equal(r.start_time.getTime(), T - 1000);
      assert.equal(r.flags, 1);
    }
    const [micros] = await pg.query(`SELECT extract(microseconds FROM time)::int % 1000000 AS us FROM ${c.schema}.otel_metrics LIMIT 1`);
    assert.equal(micros.us, 123, 'microseconds kept (T is a whole second)');
    assert.equal(rows[0].value, 42);
    assert.equal(rows[0].description, 'a gauge');
    assert.equal(rows[1].value, 0.0123);
    assert.equal(rows[1].unit, 'USD');
    assert.deepEqual(rows[1].exemplars, [{ time: new Date(T).toISOString().replace('Z', '000Z'), value: 0.5, trace_id: '01'.repeat(16), span_id: '02'.repeat(8), attributes: {} }]);
    assert.deepEqual([rows[2].count, rows[2].sum, rows[2].min, rows[2].max, rows[2].bounds, rows[2].bucket_counts], ['3', 37.5, 0.5, 30, [1, 10], ['1', '1', '1']]);
    assert.deepEqual(rows[3].exp_histogram, { scale: 2, zero_count: 1, zero_threshold: 0, positive: { offset: -1, bucket_counts: [1, 2] }, negative: { offset: 0, bucket_counts: [] } });
    assert.equal(rows[3].sum, null);
    assert.deepEqual(rows[4].quantiles, [{ quantile: 0.5, value: 0.4 }, { quantile: 1, value: 'NaN' }]);
    assert.deepEqual([rows[4].count, rows[4].sum], ['10', 5]);
    assert.equal(rows[5].value, -Infinity);
    const [b] = await pg.query(`SELECT signal, items, exporter FROM ${c.schema}.otel_batches WHERE batch_id = $1`, [id]);
    assert.deepEqual(b, { signal: 'metrics', items: 6, exporter: 'postgres/test' });
  } finally {
    await w.close();
  }
});

test('logs: hostile strings in bodies, attribute keys and values, resource and scope are stored safely, counted, and no table is harmed', async () => {
  const c = config();
  const w = new PostgresWriter(c, silentLogger);
  try {
    const batch = logs(HOSTILE);
    const rl = batch.resourceLogs[0];
    rl.resource.attributes.push(...HOSTILE.map((h, i) => ({ key: `r${i}:${h}`, value: str(h) })));
    rl.scopeLogs[0].scope.name = HOSTILE[4];
    rl.scopeLogs[0].logRecords.forEach((lr, i) => {
      lr.attributes.push({ key: HOSTILE[i], value: str(HOSTILE[i]) });
      lr.severityText = HOSTILE[i];
    });
    const id = randomUUID();
    const enc = RowEncoder.encode(batch, id, NOW);
    // Each of the two bad strings appears as record body, attribute key, attribute value,
    // severity text, resource key and resource value: 6 places.
    assert.equal(enc.replaced, 2 * 6);
    await w.write('logs', id, enc, never);
    const rows = await pg.query(`SELECT * FROM ${c.schema}.otel_logs ORDER BY seq`);
    assert.equal(rows.length, HOSTILE.length);
    rows.forEach((r, i) => {
      assert.equal(r.body, STORED[i], `body ${i}`);
      assert.equal(r.severity_text, STORED[i]);
      assert.deepEqual(r.attributes, { i, [STORED[i]]: STORED[i] });
      assert.equal(r.scope_name, STORED[4]);
      assert.deepEqual(r.resource, Object.fromEntries([['service.name', 'svc'], ...STORED.map((s, j) => [`r${j}:${s}`, s])]));
    });
    const tables = await pg.query(`SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename IN ('otel_logs', 'otel_metrics', 'otel_spans', 'otel_batches')`, [c.schema]);
    assert.equal(tables.length, 4);
  } finally {
    await w.close();
  }
});

test('logs: event_name from the record field, the event.name attribute, or a claude_code.* body; time 0 falls back to the observed time', async () => {
  const c = config();
  const w = new PostgresWriter(c, silentLogger);
  try {
    const batch = logs(['claude_code.api_request', 'claude_code.tool_result', 'plain', { kind: 'kvlist', value: [{ key: 'k', value: str('v') }] }]);
    const recs = batch.resourceLogs[0].scopeLogs[0].logRecords;
    recs[1].attributes.push({ key: 'event.name', value: str('tool_result') });
    recs[2].eventName = 'my.event';
    recs[3].timeMs = 0;
    recs[3].observedTimeMs = T - 5000;
    recs[3].traceId = new Uint8Array(16).fill(0xab);
    recs[3].spanId = new Uint8Array(8).fill(0xcd);
    await write(w, batch);
    const rows = await pg.query(`SELECT event_name, body, time, observed_time, trace_id, span_id FROM ${c.schema}.otel_logs ORDER BY seq`);
    assert.deepEqual(rows.map((r) => r.event_name), ['claude_code.api_request', 'tool_result', 'my.event', null]);
    assert.deepEqual(rows[3].body, { k: 'v' });
    assert.equal(rows[3].time.getTime(), T - 5000);
    assert.equal(rows[3].observed_time.getTime(), T - 5000);
    assert.equal(rows[0].observed_time, null);
    assert.deepEqual([rows[0].trace_id, rows[3].trace_id, rows[3].span_id], [null, 'ab'.repeat(16), 'cd'.repeat(8)]);
  } finally {
    await w.close();
  }
});

test('spans: kind, status, duration, parent, events and links', async () => {
  const c = config();
  const w = new PostgresWriter(c, silentLogger);
  try {
    const batch: Batch = {
      signal: 'traces',
      resourceSpans: [{ resource: resource('svc'), schemaUrl: '', scopeSpans: [{ scope: emptyScope(), schemaUrl: '', spans: [{
        traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2), traceState: 'a=b', parentSpanId: new Uint8Array(8).fill(3), flags: 0,
        name: 'claude_code.interaction', kind: 3, startTimeMs: T, startTimeNs: 0, endTimeMs: T + 1500, endTimeNs: 250_000,
        attributes: [{ key: 'session.id', value: str('s1') }], droppedAttributesCount: 0,
        events: [{ timeMs: T + 10, timeNs: 0, name: 'ev', attributes: [{ key: 'x', value: { kind: 'bool', value: true } }], droppedAttributesCount: 0 }], droppedEventsCount: 0,
        links: [{ traceId: new Uint8Array(16).fill(4), spanId: new Uint8Array(8).fill(5), traceState: '', attributes: [], droppedAttributesCount: 0, flags: 0 }], droppedLinksCount: 0,
        status: { code: 2, message: 'boom' },
      }] }] }],
    };
    await write(w, batch);
    const [r] = await pg.query(`SELECT * FROM ${c.schema}.otel_spans`);
    assert.deepEqual(
      [r.trace_id, r.span_id, r.parent_span_id, r.trace_state, r.name, r.kind, r.status_code, r.status_message, r.duration_ms, r.end_time.getTime(), r.service_name],
      ['01'.repeat(16), '02'.repeat(8), '03'.repeat(8), 'a=b', 'claude_code.interaction', 'client', 'error', 'boom', 1500.25, T + 1500, 'svc'],
    );
    assert.deepEqual(r.events, [{ time: new Date(T + 10).toISOString().replace('Z', '000Z'), name: 'ev', attributes: { x: true } }]);
    assert.deepEqual(r.links, [{ trace_id: '04'.repeat(16), span_id: '05'.repeat(8), trace_state: '', attributes: {} }]);
  } finally {
    await w.close();
  }
});

test('a COMMIT whose reply is lost: the retry finds the batch id and writes nothing twice', async () => {
  const proxy = await CommitReplyDropper.start(pg.port);
  const c = config({ url: proxy.url() });
  const w = new PostgresWriter(c, silentLogger);
  try {
    // Schema, partitions and maintenance done first, so the COMMIT that loses its reply is the batch's.
    await write(w, logs(['warm-up']));
    await w.maintain();
    const batch = logs(['a', 'b', 'c']);
    const id = randomUUID();
    const enc = RowEncoder.encode(batch, id, NOW);
    proxy.armed = 1;
    const err = await w.write('logs', id, enc, never).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SendError, `the first attempt fails: ${String(err)}`);
    assert.equal(err.retryable, true, err.message);
    assert.equal(proxy.dropped, 1);
    const committed = await pg.query(`SELECT count(*)::int AS n FROM ${c.schema}.otel_logs WHERE batch_id = $1`, [id]);
    assert.equal(committed[0].n, 3, 'the first attempt did commit');
    await w.write('logs', id, enc, never);
    assert.equal(w.duplicates, 1);
    const after = await pg.query(`SELECT count(*)::int AS n, count(DISTINCT seq)::int AS seqs FROM ${c.schema}.otel_logs WHERE batch_id = $1`, [id]);
    assert.deepEqual(after[0], { n: 3, seqs: 3 });
    const ledger = await pg.query(`SELECT items FROM ${c.schema}.otel_batches WHERE batch_id = $1`, [id]);
    assert.deepEqual(ledger, [{ items: 3 }]);
  } finally {
    await w.close();
    await proxy.stop();
  }
});

test('a constraint the server enforces is a permanent failure for that batch; the next batch is written', async () => {
  const c = config();
  const w = new PostgresWriter(c, silentLogger);
  try {
    await w.ready();
    await pg.query(`ALTER TABLE ${c.schema}.otel_logs ADD CONSTRAINT no_poison CHECK (body #>> '{}' <> 'poison')`);
    const err = await write(w, logs(['fine', 'poison'])).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SendError);
    assert.equal(err.retryable, false);
    assert.equal(err.reason, 'pg_23514');
    assert.match(err.message, /no_poison/);
    await write(w, logs(['good']));
    const rows = await pg.query(`SELECT body FROM ${c.schema}.otel_logs`);
    assert.deepEqual(rows, [{ body: 'good' }], 'nothing of the refused batch, all of the next');
    const ledger = await pg.query(`SELECT count(*)::int AS n FROM ${c.schema}.otel_batches`);
    assert.equal(ledger[0].n, 1, 'the refused batch left no id behind');
  } finally {
    await w.close();
  }
});

test('a partition dropped behind the writer\'s back is recreated on the retry', async () => {
  const c = config();
  const w = new PostgresWriter(c, silentLogger);
  try {
    await write(w, logs(['one']));
    const day = new Date(dayOf(T) * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '');
    await pg.query(`DROP TABLE ${c.schema}.otel_logs_p${day}`);
    const err = await write(w, logs(['two'])).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SendError);
    assert.equal(err.retryable, true);
    assert.equal(err.reason, 'missing_partition');
    await write(w, logs(['three']));
    assert.deepEqual(await pg.query(`SELECT body FROM ${c.schema}.otel_logs`), [{ body: 'three' }]);
  } finally {
    await w.close();
  }
});

test('server down: a retryable connection failure; once it is up, the schema is created and the batch written', async () => {
  const c = config();
  pg.stopServer('fast');
  const w = new PostgresWriter(c, silentLogger);
  try {
    w.start();
    const err = await write(w, logs(['x'])).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof SendError, String(err));
    assert.equal(err.retryable, true);
    assert.equal(err.reason, 'connection');
    pg.startServer();
    await write(w, logs(['x']));
    assert.deepEqual(await pg.query(`SELECT body FROM ${c.schema}.otel_logs`), [{ body: 'x' }]);
    const versions = await pg.query(`SELECT version FROM ${c.schema}.otel_schema_migrations`);
    assert.ok(versions.length >= 1);
  } finally {
    await w.close();
    if (!(await pg.query('SELECT 1').then(() => true, () => false))) pg.startServer();
  }
});

test('create_schema: false against a schema that was never migrated: batches wait (retryable) and the warning says what to do, once', async () => {
  const c = config({ createSchema: false });
  const warnings: Array<Record<string, unknown>> = [];
  const logger = { ...silentLogger, debug() {}, info() {}, error() {}, warn: (msg: string, fields?: Record<string, unknown>) => void warnings.push({ msg, ...fields }), child: () => logger, enabled: () => true };
  const w = new PostgresWriter(c, logger);
  try {
    for (let i = 0; i < 2; i++) {
      const err = await write(w, logs(['x'])).then(() => undefined, (e: unknown) => e);
      assert.ok(err instanceof SendError, String(err));
      assert.deepEqual([err.retryable, err.reason], [true, 'schema']);
      assert.match(err.message, /create_schema: true/);
    }
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.match(String(warnings[0].error), /no otel_schema_migrations table/);
    const migrated = new PostgresWriter({ ...c, createSchema: true }, silentLogger);
    await migrated.ready();
    await migrated.close();
    await write(w, logs(['after migration']));
    assert.deepEqual(await pg.query(`SELECT body FROM ${c.schema}.otel_logs`), [{ body: 'after migration' }]);
  } finally {
    await w.close();
  }
});
