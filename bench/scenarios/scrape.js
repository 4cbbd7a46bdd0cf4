'use strict';
/*
 * Scrape: 100,000 active series in the prometheus exporter. Loads them over
 * OTLP/HTTP protobuf from a separate process, then times sequential scrapes
 * (p50/p99) and the RSS each series costs.
 */
const path = require('node:path');
const { fork } = require('node:child_process');
const { freePort, waitFor, startDaemon, processStats, httpRequest, percentile } = require('../lib');

const SCRAPES = 30;

async function run({ quick = false } = {}) {
  const SERIES = Number(process.env.BENCH_SCRAPE_SERIES) || (quick ? 20_000 : 100_000);
  const http = await freePort();
  const prom = await freePort();
  const telemetry = await freePort();
  const daemon = await startDaemon(`receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${http} }
exporters:
  prometheus: { endpoint: 127.0.0.1:${prom}, metric_expiration: 1h }
service:
  telemetry: { metrics: { address: 127.0.0.1:${telemetry} } }
  pipelines:
    metrics: { receivers: [otlp], exporters: [prometheus] }
`);
  try {
    const seriesHeld = async () => {
      const r = await httpRequest({ port: telemetry, path: '/metrics' });
      const m = /^otel_pipeline_exporter_prometheus_series\{[^}]*\} (\d+)$/m.exec(r.body.toString());
      return m ? Number(m[1]) : 0;
    };
    // One scrape of an empty exporter first, so the scrape path itself is loaded before "before".
    await httpRequest({ port: prom, path: '/metrics' });
    const before = processStats(daemon.pid);
    // Loaded in two steps: the RSS added between them, per series added, is
    // what a series costs. The first step also pays what the traffic itself
    // costs once (V8's young generation grows under load), which is not per
    // series; the growth from the empty exporter is shown beside it.
    const FIRST = SERIES / 5;
    const load = async (from, to) => {
      const loader = fork(path.join(__dirname, '..', 'load', 'series.js'), [String(http), String(to), String(from)], { stdio: 'inherit' });
      const loaded = await new Promise((resolve) => loader.on('exit', (code) => resolve(code === 0)));
      if (!loaded) throw new Error('the load generator failed');
      await waitFor(async () => (await seriesHeld()) === to, `${to} series in the exporter`);
      // RSS with the series held, before the scrapes add their own garbage; give V8 an idle moment first.
      await new Promise((r) => setTimeout(r, 3000));
      return processStats(daemon.pid);
    };
    const first = await load(0, FIRST);
    const held = await load(FIRST, SERIES);
    const times = [];
    let bytes = 0;
    for (let i = 0; i < SCRAPES; i++) {
      const t0 = process.hrtime.bigint();
      const r = await httpRequest({ port: prom, path: '/metrics' });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
      bytes = r.body.length;
      if (r.status !== 200) throw new Error(`scrape answered ${r.status}`);
    }
    const after = processStats(daemon.pid);
    times.sort((a, b) => a - b);
    const perSeries = Math.round((held.rssBytes - first.rssBytes) / (SERIES - FIRST));
    const perSeriesFromEmpty = Math.round((held.rssBytes - before.rssBytes) / SERIES);
    const p50 = +percentile(times, 50).toFixed(1);
    const p99 = +percentile(times, 99).toFixed(1);
    return {
      figures: [
        { name: 'active series', value: SERIES, unit: '' },
        { name: 'exposition size', value: Math.round(bytes / 1024), unit: 'KiB' },
        { name: 'scrape p50', value: p50, unit: 'ms' },
        { name: 'scrape p99', value: p99, unit: 'ms', target: '<= 250 ms', ok: p99 <= 250 },
        { name: `RSS per active series (added from ${FIRST.toLocaleString('en-US')} to ${SERIES.toLocaleString('en-US')})`, value: perSeries, unit: 'bytes', target: '<= 600 bytes', ok: perSeries <= 600 },
        { name: 'RSS growth from the empty exporter, per series', value: perSeriesFromEmpty, unit: 'bytes' },
        { name: 'RSS with the series held', value: Math.round(held.rssBytes / 1048576), unit: 'MiB' },
        { name: 'RSS after the scrapes', value: Math.round(after.rssBytes / 1048576), unit: 'MiB' },
      ],
    };
  } finally {
    await daemon.stop();
  }
}

module.exports = { name: 'scrape', description: '100,000 active series (20,000 with --quick): scrape latency and RSS per series', run };
