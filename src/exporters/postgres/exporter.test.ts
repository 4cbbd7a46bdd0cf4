/**
 * The exporter as the pipeline uses it, against a real PostgreSQL: rows out
 * of the accepted days are refused and counted, the batch id survives a
 * restart in the persistent queue (so a commit whose reply was lost before
 * the restart is not written again), and maintenance keeps partitions ahead
 * and applies the retention.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { PostgresServer } from '../../../test/support/postgres';
import { defaultRegistry } from '../../components';
import { loadConfig } from '../../config/load';
import type { LogsBatch } from '../../model/batch';
import { emptyResource, emptyScope, str } from '../../model/common';
import { testSettings } from '../helper/testkit';
import { BatchIds } from './batch-id';
import type { PostgresConfig } from './config';
import { PostgresExporter } from './index';
import { CommitReplyDropper } from './testkit';
import { DAY_MS, dayOf, ensurePartitions, listPartitions } from './schema/partitions';

let pg: PostgresServer;
before(async () => (pg = await PostgresServer.start()));
after(() => pg?.stop());

async function waitUntil(cond: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let n = 0;
/** The exporter's config through the real loader, in a schema of its own. */
function config(yaml: string, schema = `e${++n}`): PostgresConfig {
  const text = `receivers:\n  otlp:\nexporters:\n  postgres:\n    schema: ${schema}\n${yaml.replace(/^/gm, '    ')}\nservice:\n  pipelines:\n    logs: { receivers: [otlp], exporters: [postgres] }\n`;
  const r = loadConfig([{ name: 'test.yaml', text }], defaultRegistry(), {});
  assert.deepEqual(r.problems, []);
  return r.config!.exporters.get('postgres')!.config as PostgresConfig;
}

function logs(times: number[], tag = 'r'): LogsBatch {
  return {
    signal: 'logs',
    resourceLogs: [{ resource: emptyResource(), schemaUrl: '', scopeLogs: [{ scope: emptyScope(), schemaUrl: '', logRecords: times.map((t, i) => ({
      timeMs: t, timeNs: 0, observedTimeMs: 0, observedTimeNs: 0, severityNumber: 0, severityText: '', body: str(`${tag}-${i}`), attributes: [],
      droppedAttributesCount: 0, flags: 0, traceId: new Uint8Array(0), spanId: new Uint8Array(0), eventName: '',
    })) }] }],
  };
}

test('rows before max_age or beyond partitions_ahead are refused and counted; the rest of the batch is written', async () => {
  const cfg = config(`endpoint: ${pg.url()}\nmax_age: 30d\npartitions_ahead: 2\nretry_on_failure: { initial_interval: 50ms, max_interval: 100ms }`);
  const t = testSettings('postgres');
  const exp = new PostgresExporter(cfg, pg.url(), t.settings);
  try {
    await exp.start();
    const now = Date.now();
    const batch = logs([now, now - 40 * DAY_MS, now + 10 * DAY_MS, now - DAY_MS, now + 2 * DAY_MS]);
    await exp.consume(batch);
    assert.equal(batch.resourceLogs[0].scopeLogs[0].logRecords.length, 5, 'the batch given is not changed (others may share it)');
    await waitUntil(async () => (await t.metric('otel_pipeline_exporter_sent_log_records')) >= 3, 'the kept records sent');
    assert.equal(await t.metric('otel_pipeline_exporter_sent_log_records'), 3);
    assert.equal(await t.metric('otel_pipeline_exporter_send_failed_log_records', { reason: 'too_old' }), 1);
    assert.equal(await t.metric('otel_pipeline_exporter_send_failed_log_records', { reason: 'too_new' }), 1);
    const rows = await pg.query(`SELECT seq, body #>> '{}' AS b FROM ${cfg.schema}.otel_logs ORDER BY seq`);
    assert.deepEqual(rows.map((r) => [r.seq, r.b]), [[0, 'r-0'], [1, 'r-3'], [2, 'r-4']], 'the kept records, numbered in the batch written');
    const client = new Client({ connectionString: pg.url() });
    await client.connect();
    try {
      const days = await listPartitions(client, cfg.schema, 'otel_logs');
      assert.ok(days.every((d) => d >= dayOf(now - DAY_MS) && d <= dayOf(now) + 2), `no partition for a refused day: ${days}`);
    } finally {
      await client.end();
    }
  } finally {
    await exp.shutdown(Date.now() + 2000);
  }
});

test('persistent queue: a batch whose COMMIT reply was lost before a restart is not written again after it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-pipeline-pg-wal-'));
  const proxy = await CommitReplyDropper.start(pg.port);
  const yaml = (url: string) => `endpoint: ${url}\nretry_on_failure: { initial_interval: 1h, max_interval: 1h, max_elapsed_time: 0 }\nsending_queue: { num_consumers: 1, storage: { directory: ${dir} } }`;
  const first = config(yaml(proxy.url()));
  const schema = first.schema;
  try {
    // Schema and today's partitions first, so the COMMIT that loses its reply is the batch's.
    const warm = new PostgresExporter(config(`endpoint: ${pg.url()}`, schema), pg.url(), testSettings('postgres').settings);
    await warm.start();
    await warm.writer.ready();
    await warm.writer.maintain();
    await warm.shutdown(Date.now() + 1000);

    const a = new PostgresExporter(first, proxy.url(), testSettings('postgres').settings);
    await a.start();
    await a.writer.ready();
    await a.writer.maintain();
    proxy.armed = 1;
    await a.consume(logs([Date.now(), Date.now(), Date.now()], 'wal'));
    const stored = async () => (await pg.query(`SELECT count(*)::int AS n FROM ${schema}.otel_logs`))[0].n as number;
    await waitUntil(async () => proxy.dropped === 1 && (await stored()) === 3, 'the first attempt committed, its reply lost');
    assert.equal(proxy.dropped, 1, 'the COMMIT reply was lost');
    assert.equal(await stored(), 3, 'and the COMMIT did happen');
    // The exporter now waits an hour to retry: stop it; the batch stays on disk.
    await a.shutdown(Date.now() + 200);

    const b = new PostgresExporter(config(yaml(pg.url()), schema), pg.url(), testSettings('postgres').settings);
    await b.start();
    await waitUntil(async () => b.writer.duplicates > 0, 'the replayed batch attempted');
    await b.shutdown(Date.now() + 2000);
    assert.equal(b.writer.duplicates, 1, 'the replayed batch was recognised by its id');
    assert.equal(await stored(), 3, 'nothing written twice');
    assert.deepEqual(await pg.query(`SELECT items FROM ${schema}.otel_batches`), [{ items: 3 }]);
  } finally {
    await proxy.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the persistent-queue codec keeps the batch id and the data', () => {
  const ids = new BatchIds();
  const batch = logs([1700000000000, 1700000000001], 'codec');
  const id = ids.assign(batch);
  const back = ids.codec().decode(ids.codec().encode(batch));
  assert.equal(ids.of(back), id);
  assert.deepEqual(back, batch);
  assert.throws(() => ids.codec().decode(new Uint8Array(8)), /too short/);
});

test('maintenance: partitions from today to partitions_ahead, old partitions past the retention dropped, old batch ids deleted', async () => {
  const cfg = config(`endpoint: ${pg.url()}\nretention: 3d\npartitions_ahead: 2`);
  const exp = new PostgresExporter(cfg, pg.url(), testSettings('postgres').settings);
  const client = new Client({ connectionString: pg.url() });
  await client.connect();
  try {
    await exp.writer.ready();
    await exp.writer.maintain();
    const today = dayOf(Date.now());
    await ensurePartitions(client, cfg.schema, 'otel_logs', [today - 10, today - 3]);
    await client.query(`INSERT INTO ${cfg.schema}.otel_batches (batch_id, signal, items, exporter, written_at) VALUES (gen_random_uuid(), 'logs', 1, 'x', now() - interval '8 days'), (gen_random_uuid(), 'logs', 1, 'y', now() - interval '6 days')`);
    await exp.writer.maintain();
    for (const table of ['otel_logs', 'otel_metrics', 'otel_spans']) {
      const days = await listPartitions(client, cfg.schema, table);
      assert.deepEqual(days.filter((d) => d >= today), [today, today + 1, today + 2], `${table}: today and two ahead`);
      assert.ok(days.every((d) => d >= dayOf(Date.now() - 3 * DAY_MS)), `${table}: nothing older than the retention: ${days}`);
    }
    const kept = await client.query(`SELECT exporter FROM ${cfg.schema}.otel_batches`);
    assert.deepEqual(kept.rows, [{ exporter: 'y' }], 'ids older than max(retention, 7 days) deleted');
  } finally {
    await client.end();
    await exp.shutdown(Date.now() + 1000);
  }
});
