import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import * as zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { acquireGrpc, OTLP_GRPC_PATHS, type GrpcCall, type GrpcCallback, type GrpcExportHandler, type Lease } from './listeners';
import { grpcMetadata } from './grpc-server';
import { GrpcStatus, percentEncode } from './grpc-status';
import { grpcExport, waitFor } from '../receivers/otlp/harness';

const METRICS = OTLP_GRPC_PATHS.metrics;
const LIMIT = 1024 * 1024;

/** A message with its 5-byte prefix. */
function frame(message: Buffer, compressed = false): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

interface RawResult {
  httpStatus: number;
  headers: http2.IncomingHttpHeaders;
  /** grpc-status/-message from the trailers, or from the headers of a trailers-only response. */
  status: number;
  message: string;
  detailsBin?: string;
  data: Buffer;
}

interface RawOptions {
  path?: string;
  headers?: http2.OutgoingHttpHeaders;
  /** Written one by one, then the request ends. */
  chunks?: Buffer[];
}

/** One call from a bare node:http2 client, so the test controls every byte on the wire. */
function rawCall(address: string, o: RawOptions = {}): Promise<RawResult> {
  const session = http2.connect(`http://${address}`);
  session.on('error', () => {});
  return new Promise<RawResult>((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': o.path ?? METRICS, 'content-type': 'application/grpc', te: 'trailers', ...o.headers });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    const data: Buffer[] = [];
    stream.on('response', (h) => (headers = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (c: Buffer) => data.push(c));
    stream.on('error', () => {});
    const timer = setTimeout(() => stream.close(http2.constants.NGHTTP2_CANCEL), 10_000);
    stream.on('close', () => {
      clearTimeout(timer);
      const st = trailers ?? headers;
      if (st['grpc-status'] === undefined) return reject(new Error(`no grpc-status (HTTP ${headers[':status']}, RST ${stream.rstCode})`));
      resolve({
        httpStatus: Number(headers[':status']),
        headers,
        status: Number(st['grpc-status']),
        message: decodeURIComponent(String(st['grpc-message'] ?? '')),
        detailsBin: st['grpc-status-details-bin'] as string | undefined,
        data: Buffer.concat(data),
      });
    });
    for (const c of o.chunks ?? []) stream.write(c);
    stream.end();
  }).finally(() => session.close());
}

/** Answers with what it was given: the request bytes back, and the call recorded. */
class EchoHandler {
  readonly calls: GrpcCall[] = [];
  readonly handler: GrpcExportHandler = (call, callback) => {
    this.calls.push(call);
    callback(null, call.request);
  };
}

/** Holds every call until released. */
class HoldingHandler {
  readonly held: { call: GrpcCall; callback: GrpcCallback }[] = [];
  readonly handler: GrpcExportHandler = (call, callback) => void this.held.push({ call, callback });
  answerAll(response: Buffer): void {
    for (const h of this.held.splice(0)) h.callback(null, response);
  }
}

describe('gRPC server: requests from a grpc-js client', () => {
  const echo = new EchoHandler();
  let lease: Lease;
  before(async () => {
    lease = await acquireGrpc('127.0.0.1:0', { maxRecvMsgSizeBytes: LIMIT }, { metrics: echo.handler });
  });
  after(() => lease.release());

  for (const [name, algorithm] of [['deflate', 1], ['gzip', 2]] as const) {
    it(`decodes ${name}-compressed requests`, async () => {
      const body = Buffer.from('claude_code.token.usage '.repeat(2000));
      const res = await grpcExport(lease.address, 'metrics', body, {}, { 'grpc.default_compression_algorithm': algorithm });
      assert.equal(res.code, grpc.status.OK, res.details);
      assert.deepEqual(res.response, body);
      assert.equal(echo.calls.at(-1)?.headers['grpc-encoding'], name, 'the client really compressed');
    });
  }

  it('passes the peer address and the metadata on', async () => {
    const res = await grpcExport(lease.address, 'metrics', Buffer.from('x'), { 'x-tenant': 'team-a' });
    assert.equal(res.code, grpc.status.OK, res.details);
    const call = echo.calls.at(-1)!;
    assert.equal(call.peer, '127.0.0.1');
    const md = grpcMetadata(call.headers);
    assert.deepEqual(md.get('x-tenant'), ['team-a']);
    assert.equal(md.has('grpc-accept-encoding'), false);
    assert.equal(md.has('content-type'), false);
  });

  it('refuses a message over the limit with RESOURCE_EXHAUSTED and keeps serving', async () => {
    const res = await grpcExport(lease.address, 'metrics', Buffer.alloc(LIMIT + 1));
    assert.equal(res.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(res.details, new RegExp(`larger than max \\(${LIMIT + 1} vs\\. ${LIMIT}\\)`));
    assert.deepEqual((await grpcExport(lease.address, 'metrics', Buffer.from('next'))).response, Buffer.from('next'));
  });

  it('answers UNIMPLEMENTED for an unknown method or service', async () => {
    const client = new grpc.Client(lease.address, grpc.credentials.createInsecure());
    const id = (b: Buffer) => b;
    const call = (p: string) =>
      new Promise<grpc.ServiceError>((resolve) => client.makeUnaryRequest(p, id, id, Buffer.alloc(0), (err) => resolve(err as grpc.ServiceError)));
    try {
      const method = await call('/opentelemetry.proto.collector.metrics.v1.MetricsService/Nope');
      assert.equal(method.code, grpc.status.UNIMPLEMENTED);
      assert.match(method.details, /unknown method Nope for service opentelemetry\.proto\.collector\.metrics\.v1\.MetricsService/);
      const service = await call('/acme.Other/Export');
      assert.equal(service.code, grpc.status.UNIMPLEMENTED);
      assert.match(service.details, /unknown service acme\.Other/);
    } finally {
      client.close();
    }
  });

  it('sends a status message with non-ASCII text and a status detail the client reads back', async () => {
    const details = 'über 100% – retry\nlater';
    const statusDetails = Buffer.from([0x08, 0x0e, 0x12, 0x01, 0x41]);
    const l = await acquireGrpc('127.0.0.1:0', {}, { logs: (_call, cb) => cb({ code: GrpcStatus.UNAVAILABLE, details, statusDetails }) });
    try {
      const res = await grpcExport(l.address, 'logs', Buffer.alloc(0));
      assert.equal(res.code, grpc.status.UNAVAILABLE);
      assert.equal(res.details, details);
      assert.deepEqual(res.trailers?.get('grpc-status-details-bin')[0], statusDetails);
      const raw = await rawCall(l.address, { path: OTLP_GRPC_PATHS.logs, chunks: [frame(Buffer.alloc(0))] });
      assert.equal(raw.detailsBin, statusDetails.toString('base64').replace(/=+$/, ''), 'unpadded base64');
    } finally {
      await l.release();
    }
  });
});

describe('gRPC server: malformed requests from a bare HTTP/2 client', () => {
  const echo = new EchoHandler();
  let lease: Lease;
  before(async () => {
    lease = await acquireGrpc('127.0.0.1:0', { maxRecvMsgSizeBytes: LIMIT }, { metrics: echo.handler });
  });
  after(() => lease.release());

  it('answers a well-formed call with headers, one message and trailers', async () => {
    const res = await rawCall(lease.address, { chunks: [frame(Buffer.from('hello'))] });
    assert.equal(res.httpStatus, 200);
    assert.equal(res.headers['content-type'], 'application/grpc');
    assert.equal(res.headers['grpc-accept-encoding'], 'identity,deflate,gzip');
    assert.equal(res.headers['grpc-status'], undefined, 'the status is in the trailers');
    assert.equal(res.status, GrpcStatus.OK);
    assert.deepEqual(res.data, frame(Buffer.from('hello')));
  });

  it('reassembles a message split across DATA frames at every boundary', async () => {
    const whole = frame(Buffer.from('0123456789abcdef'));
    for (const cut of [1, 3, 5, 6, 20]) {
      const res = await rawCall(lease.address, { chunks: [whole.subarray(0, cut), whole.subarray(cut, cut + 2), whole.subarray(cut + 2)] });
      assert.equal(res.status, GrpcStatus.OK, `cut at ${cut}: ${res.message}`);
      assert.deepEqual(res.data, whole);
    }
  });

  const cases: [string, RawOptions, number, number, RegExp][] = [
    ['no message', { chunks: [] }, 200, GrpcStatus.INTERNAL, /no request message/],
    ['a truncated prefix', { chunks: [Buffer.from([0, 0, 0])] }, 200, GrpcStatus.INTERNAL, /unexpected EOF/],
    ['a truncated message', { chunks: [frame(Buffer.from('hello')).subarray(0, 7)] }, 200, GrpcStatus.INTERNAL, /unexpected EOF/],
    ['two messages', { chunks: [frame(Buffer.from('a')), frame(Buffer.from('b'))] }, 200, GrpcStatus.INTERNAL, /more than one request message/],
    ['the compressed flag without grpc-encoding', { chunks: [frame(zlib.gzipSync('a'), true)] }, 200, GrpcStatus.INTERNAL, /compressed flag set with identity or empty encoding/],
    ['an invalid compressed flag', { chunks: [Buffer.from([2, 0, 0, 0, 0])] }, 200, GrpcStatus.INTERNAL, /invalid compressed flag 2/],
    ['corrupt gzip', { headers: { 'grpc-encoding': 'gzip' }, chunks: [frame(Buffer.from('not gzip at all'), true)] }, 200, GrpcStatus.INTERNAL, /failed to decompress/],
    ['an unknown grpc-encoding', { headers: { 'grpc-encoding': 'snappy' }, chunks: [frame(Buffer.from('a'), true)] }, 200, GrpcStatus.UNIMPLEMENTED, /grpc-encoding "snappy"/],
    ['a JSON content-type', { headers: { 'content-type': 'application/json' }, chunks: [frame(Buffer.from('{}'))] }, 415, GrpcStatus.INVALID_ARGUMENT, /invalid gRPC request content-type "application\/json"/],
    ['a look-alike content-type', { headers: { 'content-type': 'application/grpcx' }, chunks: [frame(Buffer.from('a'))] }, 415, GrpcStatus.INVALID_ARGUMENT, /content-type/],
    ['GET', { headers: { ':method': 'GET' } }, 405, GrpcStatus.INTERNAL, /must be POST/],
    ['a malformed grpc-timeout', { headers: { 'grpc-timeout': '5 seconds' }, chunks: [frame(Buffer.from('a'))] }, 400, GrpcStatus.INTERNAL, /malformed grpc-timeout/],
    ['a message over the limit', { chunks: [frame(Buffer.alloc(LIMIT + 1))] }, 200, GrpcStatus.RESOURCE_EXHAUSTED, /larger than max/],
  ];
  for (const [what, options, httpStatus, code, message] of cases) {
    it(`answers ${what} with HTTP ${httpStatus} and status ${code}, then keeps serving`, async () => {
      const before = echo.calls.length;
      const res = await rawCall(lease.address, options);
      assert.equal(res.httpStatus, httpStatus);
      assert.equal(res.status, code);
      assert.match(res.message, message);
      assert.equal(echo.calls.length, before, 'the handler never saw it');
      assert.equal((await rawCall(lease.address, { chunks: [frame(Buffer.from('ok'))] })).status, GrpcStatus.OK);
    });
  }

  it('takes application/grpc+proto and application/grpc with parameters', async () => {
    for (const contentType of ['application/grpc+proto', 'application/grpc;charset=utf-8']) {
      const res = await rawCall(lease.address, { headers: { 'content-type': contentType }, chunks: [frame(Buffer.from('a'))] });
      assert.equal(res.status, GrpcStatus.OK, `${contentType}: ${res.message}`);
    }
  });

  it('bounds a gzip bomb by the limit after decompression, whatever its trailer claims', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 * LIMIT));
    assert.ok(bomb.length < LIMIT / 4, 'small on the wire');
    const lying = Buffer.from(bomb);
    lying.writeUInt32LE(100, lying.length - 4); // claims 100 bytes
    for (const body of [bomb, lying]) {
      const res = await rawCall(lease.address, { headers: { 'grpc-encoding': 'gzip' }, chunks: [frame(body, true)] });
      assert.equal(res.status, GrpcStatus.RESOURCE_EXHAUSTED);
      assert.match(res.message, new RegExp(`decompresses to a size larger than ${LIMIT}`));
    }
  });

  it('refuses a gzip message whose trailer overstates its size (zlib checks it) and decodes an honest one', async () => {
    const message = Buffer.from('claude_code.cost.usage '.repeat(100));
    const gz = zlib.gzipSync(message);
    // The trailer only sizes the output buffer (at most the limit); zlib still checks it.
    gz.writeUInt32LE(LIMIT * 8, gz.length - 4);
    const res = await rawCall(lease.address, { headers: { 'grpc-encoding': 'gzip' }, chunks: [frame(gz, true)] });
    assert.equal(res.status, GrpcStatus.INTERNAL);
    assert.match(res.message, /failed to decompress/);
    const honest = zlib.gzipSync(message);
    const ok = await rawCall(lease.address, { headers: { 'grpc-encoding': 'gzip' }, chunks: [frame(honest, true)] });
    assert.equal(ok.status, GrpcStatus.OK, ok.message);
    assert.deepEqual(ok.data, frame(message));
  });

  it('opens 1 MiB stream and 4 MiB connection flow-control windows', async () => {
    const session = http2.connect(`http://${lease.address}`);
    session.on('error', () => {});
    try {
      await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
      assert.equal(session.remoteSettings.initialWindowSize, 1024 * 1024);
      await waitFor(() => session.state.remoteWindowSize === 4 * 1024 * 1024, 5000, 'the connection WINDOW_UPDATE');
    } finally {
      session.close();
    }
  });

  it('survives garbage instead of HTTP/2 and an HTTP/1.1 request', async () => {
    const [host, port] = [lease.address.split(':')[0], Number(lease.address.split(':')[1])];
    for (const bytes of [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\xff\xff\xff\xff\xff\xff\xff\xff\xff'), Buffer.from('POST / HTTP/1.1\r\nHost: x\r\n\r\n')]) {
      await new Promise<void>((resolve) => {
        const socket = net.connect(port, host, () => socket.end(bytes));
        socket.on('error', () => resolve());
        socket.on('close', () => resolve());
        socket.resume();
      });
    }
    assert.equal((await rawCall(lease.address, { chunks: [frame(Buffer.from('ok'))] })).status, GrpcStatus.OK);
  });
});

describe('gRPC server: deadlines, cancellation and shutdown', () => {
  it('answers DEADLINE_EXCEEDED when the handler is late, and ignores its answer after', async () => {
    const holding = new HoldingHandler();
    const lease = await acquireGrpc('127.0.0.1:0', {}, { metrics: holding.handler });
    try {
      const late = rawCall(lease.address, { headers: { 'grpc-timeout': '1S' }, chunks: [frame(Buffer.from('slow'))] });
      await waitFor(() => holding.held.length === 1, 5000, 'the call to reach the handler');
      const res = await late;
      assert.equal(res.status, GrpcStatus.DEADLINE_EXCEEDED);
      assert.match(res.message, /Deadline exceeded/);
      holding.answerAll(Buffer.from('too late'));
      const next = rawCall(lease.address, { headers: { 'grpc-timeout': '10S' }, chunks: [frame(Buffer.from('fast'))] });
      await waitFor(() => holding.held.length === 1, 5000, 'the next call');
      holding.answerAll(Buffer.from('in time'));
      assert.deepEqual((await next).data, frame(Buffer.from('in time')));
    } finally {
      await lease.release();
    }
  });

  it('survives a client that cancels while the handler works, or hangs up mid-message', async () => {
    const holding = new HoldingHandler();
    const lease = await acquireGrpc('127.0.0.1:0', {}, { metrics: holding.handler });
    try {
      // A grpc-js call cancelled while the handler holds it.
      const client = new grpc.Client(lease.address, grpc.credentials.createInsecure());
      const id = (b: Buffer) => b;
      const cancelled = new Promise<grpc.ServiceError>((resolve) => {
        const call = client.makeUnaryRequest(METRICS, id, id, Buffer.from('a'), (err) => resolve(err as grpc.ServiceError));
        void waitFor(() => holding.held.length === 1, 5000, 'the call to arrive').then(() => call.cancel());
      });
      assert.equal((await cancelled).code, grpc.status.CANCELLED);
      client.close();
      // A connection dropped with half a message sent.
      const session = http2.connect(`http://${lease.address}`);
      session.on('error', () => {});
      const stream = session.request({ ':method': 'POST', ':path': METRICS, 'content-type': 'application/grpc' });
      stream.on('error', () => {});
      stream.write(frame(Buffer.alloc(1000)).subarray(0, 500));
      await new Promise<void>((resolve) => session.once('connect', () => resolve()));
      session.destroy();
      // Answering the cancelled call writes nothing and throws nothing.
      holding.answerAll(Buffer.from('nobody listens'));
      const next = rawCall(lease.address, { chunks: [frame(Buffer.from('b'))] });
      await waitFor(() => holding.held.length === 1, 5000, 'the next call');
      holding.answerAll(Buffer.from('still here'));
      assert.deepEqual((await next).data, frame(Buffer.from('still here')));
    } finally {
      await lease.release();
    }
  });

  it('on release sends GOAWAY, finishes the call in flight, then closes the connection', async () => {
    const holding = new HoldingHandler();
    const lease = await acquireGrpc('127.0.0.1:0', {}, { metrics: holding.handler });
    const session = http2.connect(`http://${lease.address}`);
    session.on('error', () => {});
    let goaway = false;
    session.on('goaway', () => (goaway = true));
    const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
    const stream = session.request({ ':method': 'POST', ':path': METRICS, 'content-type': 'application/grpc' });
    const data: Buffer[] = [];
    let trailers: http2.IncomingHttpHeaders = {};
    stream.on('data', (c: Buffer) => data.push(c));
    stream.on('trailers', (t) => (trailers = t));
    stream.end(frame(Buffer.from('in flight')));
    await waitFor(() => holding.held.length === 1, 5000, 'the call to reach the handler');
    const released = lease.release(Date.now() + 10_000);
    await waitFor(() => goaway, 5000, 'GOAWAY');
    holding.answerAll(Buffer.from('finished'));
    await closed;
    await released;
    assert.equal(trailers['grpc-status'], '0');
    assert.deepEqual(Buffer.concat(data), frame(Buffer.from('finished')));
  });

  it('destroys what is still open at the release deadline', async () => {
    const holding = new HoldingHandler();
    const lease = await acquireGrpc('127.0.0.1:0', {}, { metrics: holding.handler });
    const session = http2.connect(`http://${lease.address}`);
    session.on('error', () => {});
    const closed = new Promise<void>((resolve) => session.once('close', () => resolve()));
    const stream = session.request({ ':method': 'POST', ':path': METRICS, 'content-type': 'application/grpc' });
    stream.on('error', () => {});
    stream.end(frame(Buffer.from('never answered')));
    await waitFor(() => holding.held.length === 1, 5000, 'the call to reach the handler');
    await lease.release(Date.now() + 100);
    await closed;
    holding.answerAll(Buffer.from('after the end'));
    assert.equal(session.destroyed, true);
  });
});

describe('gRPC server: TLS', () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);
  const read = (name: string) => fs.readFileSync(file(name));

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-tls-'));
    const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test ca');
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other.key', '-out', 'other.pem', '-days', '1', '-subj', '/CN=someone else');
    for (const [name, ext] of [['server', 'subjectAltName=IP:127.0.0.1'], ['client', 'extendedKeyUsage=clientAuth']]) {
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      fs.writeFileSync(file(`${name}.ext`), `${ext}\n`);
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('requires a client certificate signed by client_ca_file (mTLS)', async () => {
    const echo = new EchoHandler();
    const lease = await acquireGrpc('127.0.0.1:0', { tls: { certFile: file('server.pem'), keyFile: file('server.key'), clientCaFile: file('ca.pem') } }, { metrics: echo.handler });
    try {
      const withCert = await grpcExport(lease.address, 'metrics', Buffer.from('mtls'), {}, {}, grpc.credentials.createSsl(read('ca.pem'), read('client.key'), read('client.pem')));
      assert.equal(withCert.code, grpc.status.OK, withCert.details);
      assert.deepEqual(withCert.response, Buffer.from('mtls'));
      assert.equal(echo.calls[0].peer, '127.0.0.1');
      const without = await grpcExport(lease.address, 'metrics', Buffer.from('no cert'), {}, { 'grpc.initial_reconnect_backoff_ms': 50 }, grpc.credentials.createSsl(read('ca.pem')));
      assert.equal(without.code, grpc.status.UNAVAILABLE, 'no client certificate, no call');
      const selfSigned = await grpcExport(lease.address, 'metrics', Buffer.from('wrong ca'), {}, { 'grpc.initial_reconnect_backoff_ms': 50 }, grpc.credentials.createSsl(read('ca.pem'), read('other.key'), read('other.pem')));
      assert.equal(selfSigned.code, grpc.status.UNAVAILABLE, 'a certificate the CA did not sign');
      assert.equal(echo.calls.length, 1);
      assert.equal((await grpcExport(lease.address, 'metrics', Buffer.from('again'), {}, {}, grpc.credentials.createSsl(read('ca.pem'), read('client.key'), read('client.pem')))).code, grpc.status.OK);
    } finally {
      await lease.release();
    }
  });

  it('honours min_version for gRPC too', async () => {
    const lease = await acquireGrpc('127.0.0.1:0', { tls: { certFile: file('server.pem'), keyFile: file('server.key'), minVersion: '1.3' } }, { metrics: new EchoHandler().handler });
    const [host, port] = [lease.address.split(':')[0], Number(lease.address.split(':')[1])];
    const handshake = (maxVersion: tls.SecureVersion) =>
      new Promise<string>((resolve) => {
        const socket = tls.connect({ host, port, ca: read('ca.pem'), ALPNProtocols: ['h2'], maxVersion }, () => {
          resolve(socket.getProtocol() ?? '');
          socket.destroy();
        });
        socket.on('error', (err) => resolve(`error: ${err.message}`));
      });
    try {
      assert.equal(await handshake('TLSv1.3'), 'TLSv1.3');
      assert.match(await handshake('TLSv1.2'), /^error: .*(protocol version|alert)/i);
    } finally {
      await lease.release();
    }
  });
});

describe('grpcMetadata', () => {
  it('keeps what grpc-js passes a handler as metadata', () => {
    const md = grpcMetadata({
      ':path': METRICS,
      ':authority': 'x',
      'content-type': 'application/grpc',
      te: 'trailers',
      'grpc-timeout': '5S',
      'grpc-encoding': 'gzip',
      'grpc-accept-encoding': 'gzip',
      'accept-encoding': 'gzip',
      'user-agent': 'grpc-node-js/1.14.7',
      authorization: 'Bearer t',
      'x-two': ['a', 'b'],
      'x-ids-bin': 'AQ, AgM=',
      'Bad Key': 'v',
      'x-ctl': 'line\nbreak',
    });
    assert.deepEqual([...md.keys()].sort(), ['authorization', 'user-agent', 'x-ids-bin', 'x-two']);
    assert.deepEqual(md.get('x-two'), ['a', 'b']);
    assert.deepEqual(md.get('x-ids-bin'), ['AQ==', 'AgM=']);
    assert.equal(grpcMetadata({ authorization: 'Bearer t', 'x-a': '1' }, 'authorization').has('authorization'), false);
  });

  it('percent-encodes grpc-message as PROTOCOL-HTTP2.md says', () => {
    assert.equal(percentEncode('plain text: ok'), 'plain text: ok');
    assert.equal(percentEncode('50% ü\n'), '50%25 %C3%BC%0A');
  });
});
