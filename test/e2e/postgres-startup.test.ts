/**
 * Starting the daemon against PostgreSQL that is down, and several daemons
 * against one empty database at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PostgresServer } from '../support/postgres';
import { MIGRATIONS } from '../../src/exporters/postgres/schema/migrations';
import { Daemon, freePort, waitFor } from './harness';
import { post } from './otlp-http';
import { countRows, logsRequest, postgresConfig, selfMetric, type Ports } from './postgres-kit';

async function ports(): Promise<Ports> {
  return { grpc: await freePort(), http: await freePort(), telemetry: await freePort() };
}

const EXPORTER = (url: string) => `endpoint: ${url}
retry_on_failure: { initial_interval: 100ms, max_interval: 500ms, max_elapsed_time: 0 }`;

test('PostgreSQL down at start: the daemon starts, accepts and queues, and writes everything once the server is up', async () => {
  const pg = await PostgresServer.start();
  let daemon: Daemon | undefined;
  try {
    pg.stopServer('fast');
    const p = await ports();
    daemon = await Daemon.start([postgresConfig(p, EXPORTER(pg.url()))]);
    const bodies = Array.from({ length: 12 }, (_, i) => `queued-${i}`);
    for (let i = 0; i < bodies.length; i += 4) {
      assert.equal((await post(p.http, '/v1/logs', logsRequest(bodies.slice(i, i + 4).map((body) => ({ body }))))).status, 200);
    }
    await waitFor(async () => (await selfMetric(p.telemetry, 'otel_pipeline_exporter_retries', 'reason="connection"')) > 0, 'attempts refused while the server is down');
    assert.equal(await selfMetric(p.telemetry, 'otel_pipeline_exporter_sent_log_records'), 0);
    pg.startServer();
    await waitFor(async () => (await countRows(pg, 'SELECT count(*) AS n FROM otel_logs')) === bodies.length, 'the queued records written', 30_000);
    const stored = (await pg.query(`SELECT body #>> '{}' AS b FROM otel_logs`)).map((r) => r.b).sort();
    assert.deepEqual(stored, [...bodies].sort());
    assert.deepEqual((await pg.query('SELECT version FROM otel_schema_migrations ORDER BY 1')).map((r) => r.version), MIGRATIONS.map((m) => m.version));
    await waitFor(async () => (await selfMetric(p.telemetry, 'otel_pipeline_exporter_sent_log_records', 'exporter="postgres"')) === bodies.length, 'sent counted');
  } finally {
    await daemon?.stop();
    await pg.stop();
  }
});

test('three daemons starting together against one empty database migrate it once and all write', async () => {
  const pg = await PostgresServer.start();
  const daemons: Daemon[] = [];
  try {
    const all = await Promise.all([ports(), ports(), ports()]);
    const started = await Promise.allSettled(all.map((p) => Daemon.start([postgresConfig(p, EXPORTER(pg.url()))])));
    for (const s of started) if (s.status === 'fulfilled') daemons.push(s.value);
    assert.equal(daemons.length, 3, `every daemon started: ${started.map((s) => (s.status === 'rejected' ? String(s.reason) : 'ok')).join('; ')}`);
    await Promise.all(all.map(async (p, i) => assert.equal((await post(p.http, '/v1/logs', logsRequest([{ body: `daemon-${i}` }]))).status, 200)));
    await waitFor(async () => (await countRows(pg, 'SELECT count(*) AS n FROM otel_logs')) === 3, 'one record from each daemon', 30_000);
    assert.deepEqual((await pg.query(`SELECT body #>> '{}' AS b FROM otel_logs ORDER BY 1`)).map((r) => r.b), ['daemon-0', 'daemon-1', 'daemon-2']);
    assert.deepEqual((await pg.query('SELECT version FROM otel_schema_migrations ORDER BY 1')).map((r) => r.version), MIGRATIONS.map((m) => m.version), 'one row per version');
    for (const d of daemons) {
      const bad = d.logs().filter((l) => l.level === 'error' || (l.level === 'warn' && /schema|partition/i.test(String(l.msg))));
      assert.deepEqual(bad, [], 'no daemon complained');
    }
  } finally {
    await Promise.all(daemons.map((d) => d.stop()));
    await pg.stop();
  }
});
