/**
 * PostgreSQL restarting under a stream of data: a client keeps sending while
 * the server crashes (`immediate`) and, later, shuts down cleanly (`fast`);
 * afterwards the tables hold exactly the items acknowledged to the client,
 * each once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresServer } from '../support/postgres';
import { Daemon, freePort, waitFor } from './harness';
import { countRows, postgresConfig, selfMetric, StreamSender } from './postgres-kit';

test('PostgreSQL restarted twice mid-stream: every acknowledged record and point is stored exactly once, nothing else', async () => {
  const pg = await PostgresServer.start();
  const ports = { grpc: await freePort(), http: await freePort(), telemetry: await freePort() };
  let daemon: Daemon | undefined;
  let sender: StreamSender | undefined;
  try {
    daemon = await Daemon.start([
      postgresConfig(ports, `endpoint: ${pg.url()}
timeout: 5s
retry_on_failure: { initial_interval: 100ms, max_interval: 500ms, max_elapsed_time: 0 }
sending_queue: { queue_size: 5000, num_consumers: 4 }`),
    ]);
    const rows = () => countRows(pg, 'SELECT (SELECT count(*) FROM otel_logs) + (SELECT count(*) FROM otel_metrics) AS n');
    sender = new StreamSender(ports.http, 'restart');
    await waitFor(async () => (await rows()) >= 50, 'rows flowing before the first restart', 30_000);

    for (const mode of ['immediate', 'fast'] as const) {
      const ackedBefore = sender.ackedItems;
      pg.restart(mode);
      // The client went on while the server was away; make sure it was acknowledged during and after.
      await waitFor(() => sender!.ackedItems >= ackedBefore + 100, `the client acknowledged after the ${mode} restart`, 30_000);
      const stored = await rows();
      await waitFor(async () => (await rows()) >= stored + 50, `rows written after the ${mode} restart`, 30_000);
    }
    const acked = await sender.stop();
    sender = undefined;
    const total = acked.logs.length + acked.metrics.length;
    await waitFor(async () => (await rows()) >= total, `all ${total} acknowledged items stored`, 60_000);

    const logs = (await pg.query('SELECT body #>> \'{}\' AS tag FROM otel_logs')).map((r) => r.tag as string);
    const points = (await pg.query(`SELECT attributes->>'tag' AS tag FROM otel_metrics`)).map((r) => r.tag as string);
    assert.equal(logs.length, acked.logs.length, 'log rows = log records acknowledged');
    assert.equal(points.length, acked.metrics.length, 'metric rows = points acknowledged');
    assert.deepEqual(logs.sort(), [...acked.logs].sort());
    assert.deepEqual(points.sort(), [...acked.metrics].sort());
    for (const table of ['otel_logs', 'otel_metrics']) {
      assert.deepEqual(await pg.query(`SELECT batch_id, seq, count(*) FROM ${table} GROUP BY 1, 2 HAVING count(*) > 1`), [], `${table}: no (batch_id, seq) twice`);
    }
    const [ledger] = await pg.query(`SELECT sum(items)::int AS items FROM otel_batches`);
    assert.equal(ledger.items, total, 'otel_batches.items adds up to the rows');
    assert.ok((await selfMetric(ports.telemetry, 'otel_pipeline_exporter_retries', 'exporter="postgres"')) > 0, 'the outages were met with retries');
    assert.equal(await selfMetric(ports.telemetry, 'otel_pipeline_exporter_send_failed_log_records'), 0);
    assert.equal(await selfMetric(ports.telemetry, 'otel_pipeline_exporter_send_failed_metric_points'), 0);
  } finally {
    await sender?.stop();
    await daemon?.stop();
    await pg.stop();
  }
});
