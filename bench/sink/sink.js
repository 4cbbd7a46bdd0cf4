'use strict';
/*
 * The benchmark's backend: an OTLP/gRPC and an OTLP/HTTP server that decode
 * what the daemon exports with the project's own codec and count the data
 * points and log records in it. Runs as its own process (forked by the
 * driver) so that its decoding does not show up in the daemon's CPU figures.
 *
 * IPC: the parent sends {id, cmd: 'counts'} and gets {id, counts}; on start
 * the sink sends {ready: true, grpcPort, httpPort}. SIGTERM/disconnect stops it.
 */
const http = require('node:http');
const zlib = require('node:zlib');
const grpc = require('@grpc/grpc-js');
const codec = require('../../dist/src/otlp/proto');
const { countDataPoints } = require('../../dist/src/model/metrics');
const { countLogRecords } = require('../../dist/src/model/logs');

const counts = { metricPoints: 0, logRecords: 0, requests: 0, decodeErrors: 0 };
const EMPTY = Buffer.alloc(0);
const identity = (b) => b;

/** Counts the items of one request body; a body the codec refuses is counted as a decode error. */
function absorb(signal, body) {
  counts.requests++;
  try {
    if (signal === 'metrics') counts.metricPoints += countDataPoints(codec.decodeMetricsRequest(body).data);
    else counts.logRecords += countLogRecords(codec.decodeLogsRequest(body).data);
    return true;
  } catch (err) {
    counts.decodeErrors++;
    process.stderr.write(`bench sink: cannot decode a ${signal} request: ${err.message}\n`);
    return false;
  }
}

function grpcServer() {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
  const methods = {
    metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
    logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  };
  for (const [signal, path] of Object.entries(methods)) {
    server.register(
      path,
      (call, callback) => {
        if (absorb(signal, call.request)) callback(null, EMPTY);
        else callback({ code: grpc.status.INVALID_ARGUMENT, details: 'undecodable' });
      },
      identity,
      identity,
      'unary',
    );
  }
  return new Promise((resolve, reject) => {
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve({ server, port })));
  });
}

function httpServer() {
  const server = http.createServer((req, res) => {
    const signal = req.url === '/v1/metrics' ? 'metrics' : req.url === '/v1/logs' ? 'logs' : undefined;
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      if (!signal) {
        res.writeHead(404).end();
        return;
      }
      let body = Buffer.concat(chunks);
      const enc = req.headers['content-encoding'];
      if (enc === 'gzip') body = zlib.gunzipSync(body);
      else if (enc === 'deflate') body = zlib.inflateSync(body);
      const ok = absorb(signal, body);
      res.writeHead(ok ? 200 : 400, { 'content-type': 'application/x-protobuf', 'content-length': 0 }).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port })));
}

async function main() {
  const [g, h] = await Promise.all([grpcServer(), httpServer()]);
  const stop = () => {
    g.server.forceShutdown();
    h.server.close();
    h.server.closeAllConnections();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
  process.on('message', (m) => {
    if (m.cmd === 'counts') process.send({ id: m.id, counts: { ...counts } });
  });
  process.send({ ready: true, grpcPort: g.port, httpPort: h.port });
}

main().catch((err) => {
  process.stderr.write(`bench sink: ${err.stack}\n`);
  process.exit(1);
});
