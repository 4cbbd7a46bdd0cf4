'use strict';
/*
 * PostgreSQL: data points per second written into a real PostgreSQL, with
 * durable settings (fsync and full-page writes on, as in production; the
 * test harness turns them off for speed). OTLP/HTTP protobuf in → batch →
 * postgres exporter (COPY, one transaction per batch).
 *
 * The generator offers more than the database is expected to take; the
 * exporter's queue is kept small so that the excess is refused (503, the
 * SDK's cue to retry) rather than piling up in memory. The write rate is the
 * exporter's own "sent" counter (points committed) over the window; after
 * the load stops, the rows in otel_metrics must be exactly the points
 * acknowledged to the generator (waiting for the queue to drain first).
 */
const path = require('node:path');
const { freePort, waitFor, startDaemon, Helper, ResourceMonitor, scrapeSum, percentile, round, figure } = require('../lib');

const GENERATOR = path.join(__dirname, '..', 'load', 'generator.js');

async function run({ durationS, quick = false } = {}) {
  const seconds = durationS ?? (quick ? 4 : 15);
  const offered = quick ? 20_000 : 120_000;
  // Compiled with the tests (npm run build); needs initdb/pg_ctl (npm test installs Debian's postgresql).
  const { PostgresServer } = require('../../dist/test/support/postgres');
  const pg = await PostgresServer.start({ settings: { fsync: 'on', full_page_writes: 'on', shared_buffers: '128MB' } });
  let daemon;
  let gen;
  try {
    const inPort = await freePort();
    const telemetry = await freePort();
    const yaml = `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${inPort} }
processors:
  batch:
exporters:
  postgres:
    endpoint: ${pg.url()}
    sending_queue: { queue_size: 20 }
service:
  telemetry: { metrics: { address: 127.0.0.1:${telemetry} } }
  pipelines:
    metrics: { receivers: [otlp], processors: [batch], exporters: [postgres] }
`;
    daemon = await startDaemon(yaml, { name: 'postgres' });
    gen = await Helper.fork(GENERATOR, [JSON.stringify({ protocol: 'http', port: inPort, kind: 'max', maxInFlight: 32 })], 'load generator');
    const perRequest = gen.info.itemsPerRequest;
    const written = () => scrapeSum(telemetry, 'otel_pipeline_exporter_sent_metric_points');

    const warm = (await gen.call({ cmd: 'run', rate: offered / perRequest, durationMs: (quick ? 1 : 3) * 1000 })).stats;
    const before = await written();
    const t0 = performance.now();
    const monitor = new ResourceMonitor(daemon.pid, daemon.startedAt);
    monitor.begin();
    const steady = (await gen.call({ cmd: 'run', rate: offered / perRequest, durationMs: seconds * 1000 })).stats;
    const res = monitor.end();
    const rate = ((await written()) - before) / ((performance.now() - t0) / 1000);

    const acked = warm.okItems + steady.okItems;
    const rowsNow = async () => Number((await pg.query('SELECT count(*) AS n FROM otel_metrics'))[0].n);
    let rows = 0;
    try {
      await waitFor(async () => (rows = await rowsNow()) >= acked, 'every acknowledged point in otel_metrics', 120000);
    } catch {
      /* reported as lost */
    }
    const lat = steady.latencies.sort((a, b) => a - b);
    const lost = acked - rows;
    return {
      config: yaml,
      load: { itemsPerRequest: perRequest, offeredPointsPerSecond: offered, durationS: seconds, generators: 1 },
      generator: { warm: { ...warm, latencies: undefined }, steady: { ...steady, latencies: undefined } },
      resources: res,
      figures: [
        figure('points written per second', round(rate, 0), 'points/s'),
        figure('offered', offered, 'points/s'),
        figure('CPU avg (% of one core)', round(res.cpuAvg), '%'),
        figure('RSS avg', round(res.rssAvgMiB), 'MiB'),
        figure('RSS max', round(res.rssMaxMiB), 'MiB'),
        figure('request latency p50', round(percentile(lat, 50), 1), 'ms'),
        figure('request latency p99', round(percentile(lat, 99), 1), 'ms'),
        figure('points acknowledged', acked, ''),
        figure('points refused (503, queue full)', warm.failedItems + steady.failedItems, ''),
        figure('rows in otel_metrics', rows, ''),
        figure('points lost', lost, '', { target: '0', ok: lost === 0 }),
      ],
      notes: [
        'PostgreSQL runs on the same machine, with fsync and full_page_writes on; its CPU is not in the daemon figures',
        ...(warm.failedItems + steady.failedItems === 0 ? ['nothing was refused: the database kept up with all that was offered, so it can take more'] : []),
      ],
    };
  } finally {
    if (gen) await gen.stop();
    if (daemon) await daemon.stop();
    await pg.stop();
  }
}

module.exports = { name: 'postgres', description: 'points/s written into a real PostgreSQL (COPY per batch), OTLP/HTTP protobuf in → batch → postgres', run };
