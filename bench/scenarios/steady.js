'use strict';
/*
 * Fixed-rate scenarios in the manner of the Go collector's testbed
 * (Metric10kDPS, Log10kDPS): one load generator process sends 100 requests
 * of 100 items a second to the daemon, which batches them and exports them
 * over OTLP to a sink process that decodes and counts them.
 *
 * As in the testbed, "lost" is what the generator sent and had acknowledged
 * minus what the sink received, counted after waiting (with a timeout) for
 * the sink to catch up; CPU and RSS are sampled from /proc once a second.
 * The testbed runs 15 s; so do we, after a short warm-up that is not
 * measured (the testbed measures from process start; `cpu since start`
 * shows that figure too).
 */
const path = require('node:path');
const { MiB, freePort, waitFor, startDaemon, Helper, ResourceMonitor, scrapeValue, percentile, round, figure } = require('../lib');

const LOOP_DELAY = 'otel_pipeline_process_event_loop_delay_p99';

const GENERATOR = path.join(__dirname, '..', 'load', 'generator.js');
const SINK = path.join(__dirname, '..', 'sink', 'sink.js');

/**
 * spec: {name, description, signal, kind (template), protocolIn: 'grpc'|'http',
 *        exporter: 'otlp'|'otlp_http', itemsPerSecond, cpuTarget, rssTarget (optional),
 *        go: {cpu, rss} (the Go collector's published figures)}
 */
function steadyScenario(spec) {
  async function run({ durationS, quick = false } = {}) {
    durationS ??= quick ? 5 : 15;
    const warmupS = quick ? 1 : 3;
    const sink = await Helper.fork(SINK, [], 'sink');
    let daemon;
    let gen;
    try {
      const inPort = await freePort();
      const telemetry = await freePort();
      // The testbed writes `compression: none` into the exporter it points at its sink.
      const exporter = spec.exporter === 'otlp'
        ? `otlp:\n    endpoint: 127.0.0.1:${sink.info.grpcPort}\n    tls: { insecure: true }\n    compression: none`
        : `otlp_http:\n    endpoint: http://127.0.0.1:${sink.info.httpPort}\n    compression: none`;
      const yaml = `receivers:
  otlp:
    protocols:
      ${spec.protocolIn}: { endpoint: 127.0.0.1:${inPort} }
processors:
  batch:
exporters:
  ${exporter}
service:
  telemetry: { metrics: { address: 127.0.0.1:${telemetry} } }
  pipelines:
    ${spec.signal}: { receivers: [otlp], processors: [batch], exporters: [${spec.exporter}] }
`;
      daemon = await startDaemon(yaml, { name: spec.name });
      // As the testbed's senders (the Go OTLP exporters with their defaults):
      // gzip over gRPC, uncompressed over HTTP.
      gen = await Helper.fork(GENERATOR, [JSON.stringify({ protocol: spec.protocolIn, port: inPort, kind: spec.kind, gzip: spec.protocolIn === 'grpc' })], 'load generator');
      const perRequest = gen.info.itemsPerRequest;
      const rate = spec.itemsPerSecond / perRequest;

      const warm = (await gen.call({ cmd: 'run', rate, durationMs: warmupS * 1000 })).stats;
      const monitor = new ResourceMonitor(daemon.pid, daemon.startedAt);
      await scrapeValue(telemetry, LOOP_DELAY); // the daemon measures its event-loop delay from one scrape to the next
      monitor.begin();
      const steady = (await gen.call({ cmd: 'run', rate, durationMs: durationS * 1000 })).stats;
      const res = monitor.end();
      const loopDelayMs = (await scrapeValue(telemetry, LOOP_DELAY)) * 1000;
      const heapMiB = (await scrapeValue(telemetry, 'otel_pipeline_process_heap_used')) / MiB;

      const acked = warm.okItems + steady.okItems;
      const field = spec.signal === 'metrics' ? 'metricPoints' : 'logRecords';
      let received = 0;
      const countAtSink = async () => (received = (await sink.call({ cmd: 'counts' })).counts[field]);
      try {
        await waitFor(async () => (await countAtSink()) >= acked, 'the sink to receive everything acknowledged', 30000);
      } catch {
        /* reported as lost below */
      }
      const lost = acked - received;
      const failed = warm.failedItems + steady.failedItems;
      const lat = steady.latencies.sort((a, b) => a - b);
      // Acknowledged over the window in which they were offered (nothing skipped or refused: see below).
      const achieved = steady.okItems / durationS;
      const unit = spec.signal === 'metrics' ? 'points/s' : 'records/s';
      const items = spec.signal === 'metrics' ? 'points' : 'records';
      return {
        config: yaml,
        pids: { daemon: daemon.pid, sink: sink.pid, generators: [gen.pid] },
        load: { itemsPerRequest: perRequest, requestsPerSecond: rate, bodyBytes: gen.info.bodyBytes, warmupS, durationS, generators: 1 },
        generator: { warm, steady: { ...steady, latencies: undefined, latencyCount: lat.length } },
        resources: res,
        figures: [
          figure('achieved rate', round(achieved, 0), unit, { target: `${spec.itemsPerSecond.toLocaleString('en-US')}`, ok: achieved >= spec.itemsPerSecond * 0.98 }),
          figure('CPU avg (% of one core)', round(res.cpuAvg), '%', { target: `<= ${spec.cpuTarget}%`, ok: res.cpuAvg <= spec.cpuTarget, go: `${spec.go.cpu}%` }),
          figure('CPU max (1 s samples)', round(res.cpuMax), '%'),
          figure('CPU since start (testbed formula)', round(res.cpuSinceStart), '%'),
          figure('RSS avg', round(res.rssAvgMiB), 'MiB', spec.rssTarget ? { target: `<= ${spec.rssTarget} MiB`, ok: res.rssAvgMiB <= spec.rssTarget, go: `${spec.go.rss} MiB` } : { go: `${spec.go.rss} MiB` }),
          figure('RSS max', round(res.rssMaxMiB), 'MiB', spec.rssTarget ? { target: `<= ${spec.rssTarget} MiB`, ok: res.rssMaxMiB <= spec.rssTarget } : {}),
          figure('RSS avg, anonymous part (rest: node binary)', round(res.rssAnonAvgMiB), 'MiB'),
          figure('V8 heap used at the end (self-telemetry)', round(heapMiB), 'MiB'),
          figure('request latency p50', round(percentile(lat, 50), 1), 'ms'),
          figure('request latency p99', round(percentile(lat, 99), 1), 'ms'),
          figure('event-loop delay p99 (self-telemetry)', round(loopDelayMs, 1), 'ms'),
          figure('generator event-loop delay p99', round(steady.loopDelayP99Ms, 1), 'ms'),
          figure(`${items} sent and acknowledged`, acked, ''),
          figure(`${items} received at the sink`, received, ''),
          figure(`${items} lost`, lost, '', { target: '0', ok: lost === 0 }),
          figure(`${items} refused (not acknowledged)`, failed, '', { target: '0', ok: failed === 0 }),
          figure('requests not offered (generator behind)', warm.skippedRequests + steady.skippedRequests, '', { target: '0', ok: warm.skippedRequests + steady.skippedRequests === 0 }),
        ],
      };
    } finally {
      if (gen) await gen.stop();
      if (daemon) await daemon.stop();
      await sink.stop();
    }
  }
  return { name: spec.name, description: spec.description, run };
}

module.exports = {
  steadyScenario,
  scenarios: [
    steadyScenario({
      name: 'metric10kdps-grpc',
      description: '10,000 points/s (100 requests/s × 100 points), OTLP/gRPC in → batch → otlp out',
      signal: 'metrics', kind: 'testbed', protocolIn: 'grpc', exporter: 'otlp',
      itemsPerSecond: 10_000, cpuTarget: 10, rssTarget: 90, go: { cpu: 25.7, rss: 55 },
    }),
    steadyScenario({
      name: 'metric10kdps-http',
      description: '10,000 points/s (100 requests/s × 100 points), OTLP/HTTP protobuf in → batch → otlp_http out',
      signal: 'metrics', kind: 'testbed', protocolIn: 'http', exporter: 'otlp_http',
      itemsPerSecond: 10_000, cpuTarget: 10, rssTarget: 90, go: { cpu: 24.5, rss: 52 },
    }),
    steadyScenario({
      name: 'log10kdps',
      description: '10,000 Claude Code api_request events/s (100 requests/s × 100 records), OTLP/gRPC in → batch → otlp out',
      signal: 'logs', kind: 'claude-code-events', protocolIn: 'grpc', exporter: 'otlp',
      itemsPerSecond: 10_000, cpuTarget: 6, go: { cpu: 10.5, rss: 54 },
    }),
  ],
};
