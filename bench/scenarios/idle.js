'use strict';
/*
 * Idle: the daemon on its embedded default config (`otel-pipeline run`, no
 * --config: OTLP gRPC and HTTP in, batch, prometheus and debug out, health
 * check, self-telemetry) with no traffic. What a sidecar costs while the
 * agent beside it is quiet. The testbed's IdleMode measures the same.
 *
 * The default config listens on fixed ports; when another process holds
 * them, the same config text runs with free ports in their place (noted).
 */
const { MiB, freePort, portInUse, startDaemon, ResourceMonitor, scrapeValue, round, figure } = require('../lib');
const { DEFAULT_CONFIG_YAML } = require('../../dist/src/config/default-config');

// The embedded default config's fixed loopback ports.
const DEFAULT_PORTS = [4317, 4318, 8889, 13133, 8888];
const TELEMETRY = 8888;

async function run({ durationS, quick = false } = {}) {
  const seconds = durationS ?? (quick ? 5 : 20);
  const busy = [];
  for (const p of DEFAULT_PORTS) if (await portInUse(p)) busy.push(p);
  const notes = [];
  let yaml; // undefined: no --config at all
  let telemetry = TELEMETRY;
  if (busy.length > 0) {
    const ports = new Map();
    for (const p of DEFAULT_PORTS) ports.set(p, await freePort());
    yaml = DEFAULT_CONFIG_YAML.replace(/127\.0\.0\.1:(\d+)/g, (m, p) => `127.0.0.1:${ports.get(Number(p)) ?? p}`);
    telemetry = ports.get(TELEMETRY);
    notes.push(`ports ${busy.join(', ')} were in use, so the embedded default config ran from a file with free ports in their place`);
  }
  const daemon = await startDaemon(yaml, { name: 'idle' });
  try {
    const monitor = new ResourceMonitor(daemon.pid, daemon.startedAt);
    monitor.begin();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const res = monitor.end();
    const heapMiB = (await scrapeValue(telemetry, 'otel_pipeline_process_heap_used')) / MiB;
    if (!daemon.running()) throw new Error(`the daemon exited while idle:\n${daemon.stderr()}`);
    return {
      config: yaml ?? '(embedded default)',
      resources: res,
      notes,
      figures: [
        figure('CPU avg (% of one core)', round(res.cpuAvg, 2), '%', { target: '<= 1%', ok: res.cpuAvg <= 1 }),
        figure('CPU max (1 s samples)', round(res.cpuMax, 1), '%'),
        figure('RSS avg', round(res.rssAvgMiB), 'MiB', { target: '<= 60 MiB', ok: res.rssAvgMiB <= 60 }),
        figure('RSS max', round(res.rssMaxMiB), 'MiB', { target: '<= 60 MiB', ok: res.rssMaxMiB <= 60 }),
        figure('RSS avg, anonymous part (rest: node binary)', round(res.rssAnonAvgMiB), 'MiB'),
        figure('V8 heap used (self-telemetry)', round(heapMiB), 'MiB'),
        figure('seconds measured', res.seconds, 's'),
      ],
    };
  } finally {
    await daemon.stop();
  }
}

module.exports = { name: 'idle', description: 'no traffic for ~20 s on the embedded default config', run };
