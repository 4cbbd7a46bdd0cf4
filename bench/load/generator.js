'use strict';
/*
 * A load generator process (forked by the driver). It sends pre-built OTLP
 * request bodies (templates.js) to the daemon at a fixed rate over OTLP/gRPC
 * or OTLP/HTTP protobuf, and times each request from send to answer.
 *
 * The schedule does not drift: request n is due at start + n / rate, and a
 * late timer sends everything that fell due. At most `maxInFlight` requests
 * are outstanding; a request that falls due while that many are waiting is
 * not sent and counted as `skipped`, so an overloaded daemon shows up as
 * load not offered instead of an unbounded pile of pending requests.
 *
 * IPC from the driver:
 *   {id, cmd: 'run', rate (requests/s), durationMs}: sends for durationMs
 *   (or until {cmd: 'stop'}), then, once every request sent has been
 *   answered, replies {id, stats}.
 * Options come once, in argv[2] as JSON: {protocol: 'grpc'|'http', port, kind,
 * maxInFlight, gzip (gRPC only: gzip-compress each message)}.
 */
const http = require('node:http');
const { monitorEventLoopDelay } = require('node:perf_hooks');
const grpc = require('@grpc/grpc-js');
const { KINDS, stamp } = require('./templates');

const opts = JSON.parse(process.argv[2]);
const kind = KINDS[opts.kind];
if (!kind) throw new Error(`unknown template kind "${opts.kind}"`);
const templates = kind.build();
const MAX_IN_FLIGHT = opts.maxInFlight || 64;
const identity = (b) => b;
const LOOP_RESOLUTION_MS = 10;

const GRPC_METHOD = {
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
};
const HTTP_PATH = { metrics: '/v1/metrics', logs: '/v1/logs' };

/** send(body, done(err)): one request over the chosen transport. */
function makeSender() {
  if (opts.protocol === 'grpc') {
    const client = new grpc.Client(`127.0.0.1:${opts.port}`, grpc.credentials.createInsecure(), {
      'grpc.max_send_message_length': 64 * 1024 * 1024,
      ...(opts.gzip ? { 'grpc.default_compression_algorithm': 2 } : {}),
    });
    const method = GRPC_METHOD[kind.signal];
    const md = new grpc.Metadata();
    return {
      send(body, done) {
        client.makeUnaryRequest(method, identity, identity, body, md, { deadline: Date.now() + 30_000 }, (err) => done(err ? `grpc ${grpc.status[err.code] ?? err.code}: ${err.details}` : undefined));
      },
      close: () => client.close(),
    };
  }
  // Idle sockets are closed before the daemon's 5 s keep-alive timeout would
  // close them under a request (an ECONNRESET that is the client's fault).
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT, timeout: 4000 });
  const path = HTTP_PATH[kind.signal];
  return {
    send(body, callback) {
      let settled = false; // an error after the response must not count the request twice
      const done = (err) => {
        if (!settled) {
          settled = true;
          callback(err);
        }
      };
      const req = http.request(
        { host: '127.0.0.1', port: opts.port, path, method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf', 'content-length': body.length } },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => done(res.statusCode === 200 ? undefined : `http ${res.statusCode}`));
        },
      );
      req.on('error', (err) => done(`http ${err.code || err.message}`));
      req.end(body);
    },
    close: () => agent.destroy(),
  };
}

const sender = makeSender();
const nowBuf = Buffer.alloc(8);
const startBuf = Buffer.alloc(8);
const processStartNs = BigInt(Date.now()) * 1_000_000n;

let run; // the current run's state

function startRun(id, rate, durationMs) {
  const intervalMs = 1000 / rate;
  run = {
    id, intervalMs, durationMs,
    t0: performance.now(), n: 0, stopping: false,
    inFlight: 0, sent: 0, okRequests: 0, okItems: 0, failedRequests: 0, failedItems: 0, skipped: 0,
    errors: new Map(),
    latencies: new Float64Array(Math.ceil(rate * (durationMs / 1000 + 5)) + 16), nLat: 0,
    timer: undefined,
    // The generator's own event-loop delay: latency it adds to what it measures.
    loop: monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS }),
  };
  run.loop.enable();
  tick();
}

function tick() {
  const r = run;
  if (r.stopping) return;
  const elapsed = performance.now() - r.t0;
  const endAt = r.durationMs;
  // Everything due by now (and before the end of the run) goes out.
  while (r.n * r.intervalMs <= elapsed && r.n * r.intervalMs < endAt) {
    r.n++;
    if (r.inFlight >= MAX_IN_FLIGHT) {
      r.skipped++;
      continue;
    }
    sendOne(r);
  }
  if (r.n * r.intervalMs >= endAt) {
    finish(r);
    return;
  }
  r.timer = setTimeout(tick, Math.max(0, r.n * r.intervalMs - (performance.now() - r.t0)));
}

function sendOne(r) {
  const t = templates[r.sent % templates.length];
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  nowBuf.writeBigUInt64LE(nowNs);
  startBuf.writeBigUInt64LE(kind.delta ? nowNs - 1_000_000_000n : processStartNs);
  stamp(t, nowBuf, startBuf);
  r.sent++;
  r.inFlight++;
  const began = performance.now();
  sender.send(t.buf, (err) => {
    const ms = performance.now() - began;
    r.inFlight--;
    if (r.nLat < r.latencies.length) r.latencies[r.nLat++] = ms;
    if (err) {
      r.failedRequests++;
      r.failedItems += t.items;
      r.errors.set(err, (r.errors.get(err) || 0) + 1);
    } else {
      r.okRequests++;
      r.okItems += t.items;
    }
    if (r.stopping && r.inFlight === 0) report(r);
  });
}

function finish(r) {
  if (r.stopping) return;
  r.stopping = true;
  clearTimeout(r.timer);
  r.elapsedMs = performance.now() - r.t0;
  if (r.inFlight === 0) report(r);
}

function report(r) {
  if (r.reported) return;
  r.reported = true;
  r.loop.disable();
  process.send({
    id: r.id,
    stats: {
      offeredRequests: r.n,
      sentRequests: r.sent,
      okRequests: r.okRequests,
      okItems: r.okItems,
      failedRequests: r.failedRequests,
      failedItems: r.failedItems,
      skippedRequests: r.skipped,
      itemsPerRequest: templates[0].items,
      elapsedMs: r.elapsedMs,
      drainedMs: performance.now() - r.t0,
      errors: Object.fromEntries(r.errors),
      // The histogram holds whole timer intervals: the delay is what exceeds the resolution.
      loopDelayP99Ms: Math.max(0, r.loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS),
      latencies: Array.from(r.latencies.subarray(0, r.nLat)),
    },
  });
}

process.on('message', (m) => {
  if (m.cmd === 'run') startRun(m.id, m.rate, m.durationMs);
  else if (m.cmd === 'stop' && run) finish(run);
});
process.on('disconnect', () => {
  sender.close();
  process.exit(0);
});
process.send({ ready: true, itemsPerRequest: templates[0].items, bodyBytes: templates[0].buf.length });
