/**
 * GrpcChannel (our unary gRPC client on our own HTTP/2) against servers that
 * are not ours: @grpc/grpc-js for the real thing (metadata, concurrency
 * limits, flow control, restarts, TLS) and node:http2 for what a real
 * server, proxy or load balancer may answer (bare HTTP statuses,
 * trailers-only responses, RST_STREAM, GOAWAY, a dropped socket, a
 * compressed response).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http2 from 'node:http2';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, test } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { GrpcChannel, type CallOptions, type GrpcChannelOptions, type UnaryOutcome } from './grpc-client';
import { GrpcStatus } from './grpc-status';
import { freePort } from '../testing/ports';
import { FlowCheckProxy } from '../../test/support/h2-flow-proxy';

/** No test waits longer than this, whatever the client does. */
const BOUND = 10_000;

// --- Cleanup: everything a test starts is stopped after it, last first ------

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Polls `cond` until truthy; throws naming `what` after `ms`. */
async function until(cond: () => unknown, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A promise and the function that resolves it. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

// --- Our client ---------------------------------------------------------------

const USER_AGENT = 'otel-pipeline-test/1.2.3';

function channel(port: number, over: Partial<GrpcChannelOptions> = {}): GrpcChannel {
  const ch = new GrpcChannel({ host: '127.0.0.1', port, metadata: [], gzip: false, userAgent: USER_AGENT, ...over });
  cleanups.push(() => ch.close());
  return ch;
}

interface Outcome extends UnaryOutcome {
  /** Every `released` call, in order. */
  released: boolean[];
  ms: number;
}

async function call(ch: GrpcChannel, method: string, message: Buffer, over: Partial<CallOptions> = {}): Promise<Outcome> {
  const released: boolean[] = [];
  const start = Date.now();
  const outcome = await ch.unary(method, message, { timeout: 5000, ...over, released: (r) => released.push(r) });
  const ms = Date.now() - start;
  // A second `released` would come from a later event, not this turn.
  await new Promise((r) => setImmediate(r));
  return { ...outcome, released, ms };
}

/** An outcome's status, for messages. */
function show(o: UnaryOutcome): string {
  return `code ${o.code}: ${o.details}`;
}

// --- grpc-js servers: a generic service whose messages are the raw bytes ---------

const identity = (b: Buffer): Buffer => b;
type UnaryHandler = (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => void;

const ECHO = '/test.Echo/Call';

async function grpcServer(
  methods: Record<string, UnaryHandler>,
  opts: { port?: number; options?: grpc.ServerOptions; credentials?: grpc.ServerCredentials } = {},
): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server(opts.options);
  const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
  const impl: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(methods)) {
    definition[method] = { path: method, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity, originalName: method };
    impl[method] = handler;
  }
  server.addService(definition, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${opts.port ?? 0}`, opts.credentials ?? grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  cleanups.push(() => server.forceShutdown());
  return { server, port };
}

// --- node:http2 servers for answers grpc-js would not give -----------------------

interface H2Request {
  stream: http2.ServerHttp2Stream;
  headers: http2.IncomingHttpHeaders;
  /** The request body, once the client ended it. */
  body: Promise<Buffer>;
}

interface H2Server {
  port: number;
  sessions: Set<http2.ServerHttp2Session>;
  /** The raw sockets (node:http2 lets no one destroy a session's socket through it). */
  sockets: Set<net.Socket>;
  /** Sessions opened so far, and closed so far. */
  opened: number;
  closedSessions: number;
  requests: H2Request[];
}

async function h2Server(onRequest: (req: H2Request) => void, settings?: http2.Settings): Promise<H2Server> {
  const server = http2.createServer({ settings });
  const s: H2Server = { port: 0, sessions: new Set(), sockets: new Set(), opened: 0, closedSessions: 0, requests: [] };
  server.on('connection', (socket: net.Socket) => {
    s.sockets.add(socket);
    socket.on('close', () => s.sockets.delete(socket));
  });
  server.on('session', (session) => {
    s.opened++;
    s.sessions.add(session);
    session.on('error', () => {});
    session.on('close', () => {
      s.closedSessions++;
      s.sessions.delete(session);
    });
  });
  server.on('stream', (stream, headers) => {
    stream.on('error', () => {});
    const body = new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      stream.on('data', (d: Buffer) => parts.push(d));
      stream.on('end', () => resolve(Buffer.concat(parts)));
    });
    const req = { stream, headers, body };
    s.requests.push(req);
    onRequest(req);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  s.port = (server.address() as net.AddressInfo).port;
  cleanups.push(async () => {
    for (const session of s.sessions) session.destroy();
    for (const socket of s.sockets) socket.destroy();
    await new Promise((r) => server.close(r));
  });
  return s;
}

/** A gRPC length-prefixed message. */
function grpcFrame(message: Buffer, compressed = false): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(message.length, 1);
  return Buffer.concat([prefix, message]);
}

/** A gRPC OK response carrying `data` (already framed) and then the trailers. */
function answer(stream: http2.ServerHttp2Stream, data: Buffer, headers: http2.OutgoingHttpHeaders = {}, trailers: http2.OutgoingHttpHeaders = { 'grpc-status': '0' }): void {
  if (stream.destroyed) return;
  stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...headers }, { waitForTrailers: true });
  stream.on('wantTrailers', () => stream.sendTrailers(trailers));
  stream.end(data);
}

// --- 1. The call itself --------------------------------------------------------

test('a call reaches grpc-js with exactly the bytes and metadata sent, and its response comes back; gzip too', { timeout: BOUND }, async () => {
  const seen: Array<{ body: Buffer; metadata: Record<string, unknown> }> = [];
  const { port } = await grpcServer({
    [ECHO]: (c, cb) => {
      seen.push({ body: Buffer.from(c.request), metadata: c.metadata.getMap() });
      cb(null, Buffer.concat([Buffer.from('echo:'), c.request]));
    },
  });
  const metadata: Array<[string, string]> = [['x-api-key', 'secret-1'], ['x-tenant', 'acme']];
  // Every byte value, zeros included, and a compressible run for gzip.
  const message = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(3000), Buffer.alloc(5000, 'a')]);

  for (const gzip of [false, true]) {
    const ch = channel(port, { metadata, gzip });
    const r = await call(ch, ECHO, message);
    assert.equal(r.code, GrpcStatus.OK, show(r));
    assert.deepEqual(r.response, Buffer.concat([Buffer.from('echo:'), message]));
    assert.deepEqual(r.released, [true]);
    const got = seen.at(-1)!;
    assert.equal(seen.length, gzip ? 2 : 1);
    assert.ok(got.body.equals(message), `gzip ${gzip}: the server got other bytes`);
    assert.equal(got.metadata['x-api-key'], 'secret-1');
    assert.equal(got.metadata['x-tenant'], 'acme');
    assert.ok(String(got.metadata['user-agent']).startsWith(USER_AGENT), `user-agent ${String(got.metadata['user-agent'])}`);
    // An empty message is a message too.
    const empty = await call(ch, ECHO, Buffer.alloc(0));
    assert.equal(empty.code, GrpcStatus.OK, show(empty));
    assert.deepEqual(empty.response, Buffer.from('echo:'));
    assert.equal(seen.at(-1)!.body.length, 0);
    seen.pop();
  }

  // grpc-js hides grpc-encoding from handlers: what goes on the wire, seen by node:http2.
  const h2 = await h2Server((req) => void req.body.then(() => answer(req.stream, grpcFrame(Buffer.alloc(0)))));
  const r = await call(channel(h2.port, { metadata, gzip: true }), ECHO, message);
  assert.equal(r.code, GrpcStatus.OK, show(r));
  const req = h2.requests[0];
  assert.equal(req.headers['grpc-encoding'], 'gzip');
  assert.equal(req.headers['content-type'], 'application/grpc');
  assert.equal(req.headers.te, 'trailers');
  assert.equal(req.headers[':path'], ECHO);
  assert.equal(req.headers[':authority'], `127.0.0.1:${h2.port}`);
  assert.equal(req.headers['x-api-key'], 'secret-1');
  const wire = await req.body;
  assert.equal(wire[0], 1, 'the compressed flag');
  assert.equal(wire.readUInt32BE(1), wire.length - 5);
  assert.ok(wire.length < message.length, `gzip sent ${wire.length} bytes for ${message.length}`);
  assert.ok(zlib.gunzipSync(wire.subarray(5)).equals(message));
});

// --- 2. The server's concurrency limit -------------------------------------------

/**
 * N calls at once on one channel to a grpc-js server allowing LIMIT streams;
 * `warm`: after one call, so that the channel has the server's SETTINGS.
 */
async function manyAtOnce(warm: boolean): Promise<void> {
  const N = 200;
  const LIMIT = 4;
  let inFlight = 0;
  let most = 0;
  let started = 0;
  const held: Array<() => void> = [];
  const releaseAll = (): void => {
    for (const r of held.splice(0)) r();
  };
  const { port } = await grpcServer(
    {
      [ECHO]: (c, cb) => {
        started++;
        inFlight++;
        most = Math.max(most, inFlight);
        held.push(() => {
          inFlight--;
          cb(null, c.request);
        });
        // Answer once the limit is reached (or nothing more can come); the timer is there
        // only so that a client that never fills the limit fails the count below rather than hanging.
        if (inFlight >= LIMIT || started === N + (warm ? 1 : 0)) releaseAll();
        else setTimeout(releaseAll, 200).unref();
      },
    },
    { options: { 'grpc.max_concurrent_streams': LIMIT } },
  );
  const ch = channel(port);
  if (warm) assert.equal((await call(ch, ECHO, Buffer.from('warm'))).code, GrpcStatus.OK);
  const outcomes = await Promise.all(Array.from({ length: N }, (_, i) => call(ch, ECHO, Buffer.from(`call ${i}`), { timeout: 10_000 })));
  const failed = outcomes.map((o, i) => [i, o] as const).filter(([, o]) => o.code !== GrpcStatus.OK);
  assert.deepEqual(failed.map(([i, o]) => `${i}: ${show(o)}`).slice(0, 3), [], `${failed.length} of ${N} calls failed`);
  outcomes.forEach((o, i) => assert.equal(o.response?.toString(), `call ${i}`, 'each call gets its own answer'));
  assert.ok(most <= LIMIT, `the server saw ${most} calls in flight`);
  assert.equal(most, LIMIT, 'the channel used all the concurrency the server allows');
}

test(
  '200 calls at once on a channel that knows the server allows 4 streams: all succeed, never more than 4 in flight',
  { timeout: BOUND },
  () => manyAtOnce(true),
);

test(
  '200 calls at once on a new channel to a server allowing 4 streams: all succeed, never more than 4 in flight',
  { timeout: BOUND },
  () => manyAtOnce(false),
);

// --- 3. Flow control ---------------------------------------------------------------

test('a 6 MiB message arrives byte for byte within grpc-js\'s windows, and a 5 MiB response comes back (flow control both ways)', { timeout: BOUND }, async () => {
  const got: Buffer[] = [];
  // Above our connection window (4 MiB): the response needs our WINDOW_UPDATEs, stream and connection.
  const reply = randomBytes(5 * 1024 * 1024);
  const { port } = await grpcServer(
    {
      [ECHO]: (c, cb) => {
        got.push(c.request);
        cb(null, reply);
      },
    },
    { options: { 'grpc.max_receive_message_length': 8 * 1024 * 1024 } },
  );
  // grpc-js (node:http2) takes DATA beyond its windows silently: the proxy checks them.
  const proxy = await FlowCheckProxy.start(port);
  cleanups.push(() => proxy.close());
  const big = randomBytes(6 * 1024 * 1024);
  const ch = channel(proxy.port, { maxResponseBytes: 8 * 1024 * 1024 });
  const r = await call(ch, ECHO, big, { timeout: 8000 });
  assert.equal(r.code, GrpcStatus.OK, show(r));
  assert.equal(got.length, 1, 'the server got the message');
  assert.equal(got[0].length, big.length);
  assert.equal(createHash('sha256').update(got[0]).digest('hex'), createHash('sha256').update(big).digest('hex'));
  assert.ok(r.response?.equals(reply), 'the response arrived whole');
  // Three at once share the connection's window.
  const three = [1, 2, 3].map((i) => Buffer.alloc(1024 * 1024, i));
  const outcomes = await Promise.all(three.map((m) => call(ch, ECHO, m, { timeout: 8000 })));
  assert.deepEqual(outcomes.map((o) => o.code), [0, 0, 0], outcomes.map(show).join('; '));
  assert.deepEqual(got.slice(1).map((b) => b[0]).sort(), [1, 2, 3]);
  for (const b of got.slice(1)) assert.ok(b.equals(three[b[0] - 1]), 'each arrived whole');
  assert.deepEqual(proxy.violations.slice(0, 3), [], 'DATA sent beyond the server\'s windows');
  assert.ok(proxy.dataBytes >= big.length + 3 * 1024 * 1024, `${proxy.dataBytes} DATA bytes went through the proxy`);
  assert.ok(proxy.windowUpdates > 10, `the server sent ${proxy.windowUpdates} WINDOW_UPDATEs: its windows were reached`);
});

// --- 4. Deadline and cancellation ------------------------------------------------------

/** A node:http2 server: /never is never answered, /ok is answered at once; records how each stream closed. */
async function neverServer(settings?: http2.Settings): Promise<H2Server & { rstCodes: number[] }> {
  const rstCodes: number[] = [];
  const s = await h2Server((req) => {
    req.stream.on('close', () => rstCodes.push(req.stream.rstCode));
    if (req.headers[':path'] === '/test.Echo/Ok') void req.body.then(() => answer(req.stream, grpcFrame(Buffer.from('ok'))));
  }, settings);
  return Object.assign(s, { rstCodes });
}

test('deadline: a server that never answers ends in DEADLINE_EXCEEDED on time, the stream reset; the channel works on', { timeout: BOUND }, async () => {
  const s = await neverServer();
  const ch = channel(s.port);
  const r = await call(ch, '/test.Echo/Never', Buffer.from('hello'), { timeout: 150 });
  assert.equal(r.code, GrpcStatus.DEADLINE_EXCEEDED, show(r));
  assert.ok(r.ms >= 140 && r.ms < 2000, `ended after ${r.ms} ms`);
  assert.deepEqual(r.released, [false], 'its bytes may still be on their way out');
  const timeout = String(s.requests[0].headers['grpc-timeout']);
  assert.match(timeout, /^\d{1,8}m$/);
  assert.ok(Number(timeout.slice(0, -1)) <= 150, `grpc-timeout ${timeout}`);
  await until(() => s.rstCodes.length === 1, 'the server to see the stream close');
  assert.equal(s.rstCodes[0], http2.constants.NGHTTP2_CANCEL);

  const ok = await call(ch, '/test.Echo/Ok', Buffer.from('hello'));
  assert.equal(ok.code, GrpcStatus.OK, show(ok));
  assert.deepEqual(ok.response, Buffer.from('ok'));
  assert.deepEqual(ok.released, [true], 'a finished call releases its bytes, once');
  assert.equal(s.opened, 1, 'on the same connection');
});

test('deadline of a grpc-js handler that does not answer; the next call to a good handler succeeds', { timeout: BOUND }, async () => {
  const pending: Array<grpc.sendUnaryData<Buffer>> = [];
  const { port } = await grpcServer({
    '/test.Echo/Never': (_c, cb) => void pending.push(cb),
    [ECHO]: (c, cb) => cb(null, c.request),
  });
  const ch = channel(port);
  const r = await call(ch, '/test.Echo/Never', Buffer.from('x'), { timeout: 200 });
  // grpc-js keeps the deadline too (from grpc-timeout); whichever side ends it first, it is this code.
  assert.equal(r.code, GrpcStatus.DEADLINE_EXCEEDED, show(r));
  assert.ok(r.ms < 2000, `ended after ${r.ms} ms`);
  assert.equal(r.released.length, 1);
  const ok = await call(ch, ECHO, Buffer.from('y'));
  assert.equal(ok.code, GrpcStatus.OK, show(ok));
  assert.deepEqual(ok.response, Buffer.from('y'));
});

test('AbortSignal: an abort mid-call is CANCELLED and resets the stream; an aborted signal opens no stream', { timeout: BOUND }, async () => {
  const s = await neverServer();
  const ch = channel(s.port);
  const ac = new AbortController();
  const pending = call(ch, '/test.Echo/Never', Buffer.from('hello'), { timeout: 0, signal: ac.signal });
  await until(() => s.requests.length === 1, 'the call to reach the server');
  await s.requests[0].body;
  assert.equal(s.requests[0].headers['grpc-timeout'], undefined, 'timeout 0: no deadline');
  ac.abort();
  const r = await pending;
  assert.equal(r.code, GrpcStatus.CANCELLED, show(r));
  assert.deepEqual(r.released, [false]);
  await until(() => s.rstCodes.length === 1, 'the server to see the stream close');
  assert.equal(s.rstCodes[0], http2.constants.NGHTTP2_CANCEL);

  const already = await call(ch, '/test.Echo/Ok', Buffer.from('x'), { signal: AbortSignal.abort() });
  assert.equal(already.code, GrpcStatus.CANCELLED, show(already));
  assert.deepEqual(already.released, [true]);
  const ok = await call(ch, '/test.Echo/Ok', Buffer.from('x'));
  assert.equal(ok.code, GrpcStatus.OK, show(ok));
  assert.equal(s.requests.length, 2, 'the aborted call never opened a stream');
});

/** A call just made on a channel with a connection has found it full and is waiting (that takes only promise jobs, all run before setImmediate). */
function queued(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

test('a call waiting for a stream (the server allows 1) ends at its deadline, or when aborted, without opening one', { timeout: BOUND }, async () => {
  const s = await neverServer({ maxConcurrentStreams: 1 });
  const ch = channel(s.port);
  const ac = new AbortController();
  const first = call(ch, '/test.Echo/Never', Buffer.from('a'), { timeout: 0, signal: ac.signal });
  await until(() => s.requests.length === 1, 'the first call to reach the server');
  const waiting = await call(ch, '/test.Echo/Ok', Buffer.from('b'), { timeout: 100 });
  assert.equal(waiting.code, GrpcStatus.DEADLINE_EXCEEDED, show(waiting));
  assert.ok(waiting.ms < 2000, `ended after ${waiting.ms} ms`);
  assert.deepEqual(waiting.released, [true], 'never sent, so its bytes are free');
  const ac2 = new AbortController();
  const aborted = call(ch, '/test.Echo/Ok', Buffer.from('c'), { timeout: 0, signal: ac2.signal });
  await queued();
  ac2.abort();
  const a = await aborted;
  assert.equal(a.code, GrpcStatus.CANCELLED, show(a));
  assert.equal(s.requests.length, 1, 'neither opened a stream');
  // The first call ends: a waiting call gets its stream.
  const next = call(ch, '/test.Echo/Ok', Buffer.from('d'));
  await queued();
  ac.abort();
  assert.equal((await first).code, GrpcStatus.CANCELLED);
  const n = await next;
  assert.equal(n.code, GrpcStatus.OK, show(n));
});

// --- 5. Connection refused, then a server -------------------------------------------------

test('a closed port is UNAVAILABLE naming the error; once a server listens there, the next call succeeds', { timeout: BOUND }, async () => {
  const port = await freePort();
  const ch = channel(port);
  const r = await call(ch, ECHO, Buffer.from('x'));
  assert.equal(r.code, GrpcStatus.UNAVAILABLE, show(r));
  assert.match(r.details, /ECONNREFUSED/);
  assert.deepEqual(r.released, [true]);
  await grpcServer({ [ECHO]: (c, cb) => cb(null, c.request) }, { port });
  const ok = await call(ch, ECHO, Buffer.from('now'));
  assert.equal(ok.code, GrpcStatus.OK, show(ok));
  assert.deepEqual(ok.response, Buffer.from('now'));
});

// --- 6. Restarts and GOAWAY ------------------------------------------------------------------

test('the server restarts between calls: the next call succeeds on a new connection', { timeout: BOUND }, async () => {
  const served: string[] = [];
  const first = await grpcServer({ [ECHO]: (c, cb) => (served.push('first'), cb(null, c.request)) });
  const ch = channel(first.port);
  assert.equal((await call(ch, ECHO, Buffer.from('1'))).code, GrpcStatus.OK);
  first.server.forceShutdown();
  await grpcServer({ [ECHO]: (c, cb) => (served.push('second'), cb(null, c.request)) }, { port: first.port });
  const r = await call(ch, ECHO, Buffer.from('2'));
  assert.equal(r.code, GrpcStatus.OK, show(r));
  assert.deepEqual(r.response, Buffer.from('2'));
  assert.deepEqual(served, ['first', 'second']);
});

test('GOAWAY with each answer: later calls succeed, each on a new connection', { timeout: BOUND }, async () => {
  const s = await h2Server((req) => {
    void req.body.then(() => {
      // GOAWAY naming this stream, the last the connection takes, then its answer.
      // (Sent before the trailers, so that the client knows before the call ends.)
      req.stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR, req.stream.id ?? 0);
      answer(req.stream, grpcFrame(Buffer.from(`answer ${s.requests.length}`)));
    });
  });
  const ch = channel(s.port);
  for (let i = 1; i <= 3; i++) {
    const r = await call(ch, ECHO, Buffer.from('x'));
    assert.equal(r.code, GrpcStatus.OK, `call ${i}: ${show(r)}`);
    assert.deepEqual(r.response, Buffer.from(`answer ${i}`));
  }
  assert.equal(s.opened, 3, 'one connection per call');
});

test('GOAWAY naming an earlier stream: the calls it did not take are UNAVAILABLE, later calls succeed', { timeout: BOUND }, async () => {
  let goaway = true;
  const s = await h2Server((req) => {
    void req.body.then(() => {
      if (!goaway) return answer(req.stream, grpcFrame(Buffer.from('later')));
      if (s.requests.length < 3) return;
      // Three streams open: take the first, refuse the rest by GOAWAY.
      goaway = false;
      const [a] = s.requests;
      a.stream.session?.goaway(http2.constants.NGHTTP2_NO_ERROR, a.stream.id ?? 0);
      answer(a.stream, grpcFrame(Buffer.from('first')));
    });
  });
  const ch = channel(s.port);
  const outcomes = await Promise.all([1, 2, 3].map((i) => call(ch, ECHO, Buffer.from(String(i)))));
  assert.deepEqual(outcomes.map((o) => o.code), [GrpcStatus.OK, GrpcStatus.UNAVAILABLE, GrpcStatus.UNAVAILABLE], outcomes.map(show).join('; '));
  assert.deepEqual(outcomes[0].response, Buffer.from('first'));
  const r = await call(ch, ECHO, Buffer.from('4'));
  assert.equal(r.code, GrpcStatus.OK, show(r));
  assert.equal(s.opened, 2);
});

// --- 7. HTTP statuses, trailers-only responses, status details ---------------------------------

test('HTTP statuses without grpc-status map as gRPC says; trailers-only statuses, percent-decoded messages, status details', { timeout: BOUND }, async () => {
  const details = Buffer.from([0x08, 0x08, 0x12, 0x04, 0xff, 0x00, 0xfe, 0x7f, 0x1a, 0x01]);
  const s = await h2Server((req) => {
    const p = String(req.headers[':path']);
    const http = /^\/http\/(\d+)$/.exec(p);
    if (http) {
      req.stream.respond({ ':status': Number(http[1]), 'content-type': 'text/html' });
      req.stream.end('<html>not gRPC</html>');
    } else if (p === '/trailers-only') {
      req.stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '8', 'grpc-message': 'caf%C3%A9 50%25' }, { endStream: true });
    } else if (p === '/details') {
      // Unpadded base64, as grpc-go and C-core send it.
      answer(req.stream, Buffer.alloc(0), {}, { 'grpc-status': '3', 'grpc-message': 'bad', 'grpc-status-details-bin': details.toString('base64').replace(/=+$/, '') });
    } else if (p === '/bad-percent') {
      req.stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '9', 'grpc-message': '100% sure' }, { endStream: true });
    }
  });
  const ch = channel(s.port);
  const expected: Array<[number, number]> = [
    [503, GrpcStatus.UNAVAILABLE],
    [404, GrpcStatus.UNIMPLEMENTED],
    [401, GrpcStatus.UNAUTHENTICATED],
    [429, GrpcStatus.UNAVAILABLE],
    [500, GrpcStatus.UNKNOWN],
    [403, GrpcStatus.PERMISSION_DENIED],
    [502, GrpcStatus.UNAVAILABLE],
  ];
  for (const [status, code] of expected) {
    const r = await call(ch, `/http/${status}`, Buffer.from('x'));
    assert.equal(r.code, code, `HTTP ${status}: ${show(r)}`);
    assert.match(r.details, new RegExp(String(status)));
    assert.deepEqual(r.released, [true]);
  }
  const t = await call(ch, '/trailers-only', Buffer.from('x'));
  assert.equal(t.code, GrpcStatus.RESOURCE_EXHAUSTED);
  assert.equal(t.details, 'café 50%');
  assert.equal(t.response, undefined);
  const d = await call(ch, '/details', Buffer.from('x'));
  assert.equal(d.code, GrpcStatus.INVALID_ARGUMENT, show(d));
  assert.equal(d.details, 'bad');
  assert.deepEqual(d.statusDetails, details);
  const b = await call(ch, '/bad-percent', Buffer.from('x'));
  assert.equal(b.code, GrpcStatus.FAILED_PRECONDITION);
  assert.equal(b.details, '100% sure', 'a message that does not percent-decode is kept');
  assert.equal(s.opened, 1, 'none of these costs the connection');
});

// --- 8. Resets and a dropped connection ------------------------------------------------------

test('RST_STREAM from the server: REFUSED_STREAM is UNAVAILABLE, CANCEL CANCELLED, INTERNAL_ERROR INTERNAL; a dropped socket UNAVAILABLE', { timeout: BOUND }, async () => {
  const s = await h2Server((req) => {
    const p = String(req.headers[':path']);
    const rst = /^\/rst\/(\d+)$/.exec(p);
    void req.body.then(() => {
      if (rst) req.stream.close(Number(rst[1]));
      else if (p === '/drop') {
        const port = req.stream.session?.socket.remotePort;
        for (const socket of s.sockets) if (socket.remotePort === port) socket.destroy();
      }
      else answer(req.stream, grpcFrame(Buffer.from('ok')));
    });
  });
  const ch = channel(s.port);
  const { NGHTTP2_REFUSED_STREAM, NGHTTP2_CANCEL, NGHTTP2_INTERNAL_ERROR } = http2.constants;
  for (const [rst, code] of [
    [NGHTTP2_REFUSED_STREAM, GrpcStatus.UNAVAILABLE],
    [NGHTTP2_CANCEL, GrpcStatus.CANCELLED],
    [NGHTTP2_INTERNAL_ERROR, GrpcStatus.INTERNAL],
  ]) {
    const r = await call(ch, `/rst/${rst}`, Buffer.from('x'));
    assert.equal(r.code, code, `RST_STREAM ${rst}: ${show(r)}`);
    assert.match(r.details, new RegExp(`RST_STREAM.*${rst}`));
    assert.equal(r.released.length, 1);
  }
  assert.equal(s.opened, 1, 'a reset ends the stream, not the connection');
  const dropped = await call(ch, '/drop', Buffer.from('x'));
  assert.equal(dropped.code, GrpcStatus.UNAVAILABLE, show(dropped));
  assert.equal(dropped.released.length, 1);
  const ok = await call(ch, '/ok', Buffer.from('x'));
  assert.equal(ok.code, GrpcStatus.OK, show(ok));
  assert.equal(s.opened, 2, 'a new connection after the drop');
});

// --- 9. A compressed response ---------------------------------------------------------------

test('a response compressed with gzip is decompressed; one compressed otherwise is refused', { timeout: BOUND }, async () => {
  const payload = Buffer.concat([Buffer.alloc(4000, 'z'), randomBytes(100)]);
  const s = await h2Server((req) => {
    const p = String(req.headers[':path']);
    void req.body.then(() => {
      if (p === '/gzip') answer(req.stream, grpcFrame(zlib.gzipSync(payload), true), { 'grpc-encoding': 'gzip' });
      else if (p === '/gzip-identity') answer(req.stream, grpcFrame(payload, false), { 'grpc-encoding': 'gzip' });
      else if (p === '/deflate') answer(req.stream, grpcFrame(zlib.deflateSync(payload), true), { 'grpc-encoding': 'deflate' });
      else if (p === '/corrupt') answer(req.stream, grpcFrame(Buffer.from('not gzip at all'), true), { 'grpc-encoding': 'gzip' });
    });
  });
  // The server's answer is what grpc-js, too, takes as this payload.
  const client = new grpc.Client(`127.0.0.1:${s.port}`, grpc.credentials.createInsecure());
  const viaGrpcJs = await new Promise<Buffer>((resolve, reject) =>
    client.makeUnaryRequest('/gzip', identity, identity, Buffer.from('x'), (err, value) => (err ? reject(err) : resolve(value!))),
  );
  client.close();
  assert.ok(viaGrpcJs.equals(payload));

  const ch = channel(s.port);
  const r = await call(ch, '/gzip', Buffer.from('x'));
  assert.equal(r.code, GrpcStatus.OK, show(r));
  assert.ok(r.response?.equals(payload), 'decompressed');
  const plain = await call(ch, '/gzip-identity', Buffer.from('x'));
  assert.equal(plain.code, GrpcStatus.OK, show(plain));
  assert.ok(plain.response?.equals(payload), 'a message not flagged compressed is taken as it is');
  const deflate = await call(ch, '/deflate', Buffer.from('x'));
  assert.equal(deflate.code, GrpcStatus.INTERNAL, show(deflate));
  assert.match(deflate.details, /deflate/);
  const corrupt = await call(ch, '/corrupt', Buffer.from('x'));
  assert.equal(corrupt.code, GrpcStatus.INTERNAL, show(corrupt));
});

test('maxResponseBytes bounds a response as it comes', { timeout: BOUND }, async () => {
  const big = Buffer.alloc(64 * 1024, 'q');
  const s = await h2Server((req) => {
    const p = String(req.headers[':path']);
    void req.body.then(() => {
      if (p === '/plain') answer(req.stream, grpcFrame(big));
      else if (p === '/gzip') answer(req.stream, grpcFrame(zlib.gzipSync(big), true), { 'grpc-encoding': 'gzip' });
      else answer(req.stream, grpcFrame(big.subarray(0, 1000)));
    });
  });
  const ch = channel(s.port, { maxResponseBytes: 16 * 1024 });
  const small = await call(ch, '/small', Buffer.from('x'));
  assert.equal(small.code, GrpcStatus.OK, show(small));
  const plain = await call(ch, '/plain', Buffer.from('x'));
  assert.equal(plain.code, GrpcStatus.RESOURCE_EXHAUSTED, show(plain));
  const ok = await call(ch, '/small', Buffer.from('x'));
  assert.equal(ok.code, GrpcStatus.OK, `the channel works on: ${show(ok)}`);
});

test(
  'a gzip response that decompresses beyond maxResponseBytes is RESOURCE_EXHAUSTED, as grpc-js reports it',
  { timeout: BOUND },
  async () => {
    const big = Buffer.alloc(64 * 1024, 'q');
    const s = await h2Server((req) => void req.body.then(() => answer(req.stream, grpcFrame(zlib.gzipSync(big), true), { 'grpc-encoding': 'gzip' })));
    const r = await call(channel(s.port, { maxResponseBytes: 16 * 1024 }), '/gzip', Buffer.from('x'));
    assert.equal(r.code, GrpcStatus.RESOURCE_EXHAUSTED, show(r));
  },
);

// --- 10. TLS -------------------------------------------------------------------------------------

test('TLS: a self-signed grpc-js server is reached with its CA and servername; another CA is UNAVAILABLE', { timeout: BOUND }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'grpc-client-tls-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cert = (name: string): { cert: Buffer; key: Buffer } => {
    const certFile = path.join(dir, `${name}.pem`);
    const keyFile = path.join(dir, `${name}.key`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
    return { cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) };
  };
  const server = cert('server');
  const other = cert('other');
  let served = 0;
  const { port } = await grpcServer(
    { [ECHO]: (c, cb) => (served++, cb(null, c.request)) },
    { credentials: grpc.ServerCredentials.createSsl(null, [{ cert_chain: server.cert, private_key: server.key }], false) },
  );
  const good = await call(channel(port, { tls: { ca: server.cert, servername: 'localhost' } }), ECHO, Buffer.from('secret'));
  assert.equal(good.code, GrpcStatus.OK, show(good));
  assert.deepEqual(good.response, Buffer.from('secret'));
  const bad = await call(channel(port, { tls: { ca: other.cert, servername: 'localhost' } }), ECHO, Buffer.from('secret'));
  assert.equal(bad.code, GrpcStatus.UNAVAILABLE, show(bad));
  assert.match(bad.details, /certificate|self.signed/i);
  const plain = await call(channel(port), ECHO, Buffer.from('secret'));
  assert.notEqual(plain.code, GrpcStatus.OK, 'plain text to a TLS port fails');
  assert.equal(served, 1);
});

/** A channel to a TLS port that takes TCP connections and never says a word: the handshake never completes. */
async function silentTlsChannel(): Promise<GrpcChannel> {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((sock) => (sockets.add(sock), sock.on('error', () => {})));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  cleanups.push(async () => {
    for (const sock of sockets) sock.destroy();
    await new Promise((r) => silent.close(r));
  });
  return channel((silent.address() as net.AddressInfo).port, { tls: { servername: 'localhost' } });
}

/** `p`, or a stand-in outcome (code -1) after `ms`. */
function within(p: Promise<Outcome>, ms: number): Promise<Outcome> {
  return Promise.race([p, new Promise<Outcome>((r) => setTimeout(() => r({ code: -1, details: `still waiting after ${ms} ms`, released: [], ms }), ms).unref())]);
}


test('the deadline bounds connecting too: a TLS handshake that never completes is DEADLINE_EXCEEDED on time', { timeout: BOUND }, async () => {
  const ch = await silentTlsChannel();
  const r = await within(call(ch, ECHO, Buffer.from('x'), { timeout: 150 }), 1000);
  assert.equal(r.code, GrpcStatus.DEADLINE_EXCEEDED, show(r));
});

test('an abort while connecting is CANCELLED at once', { timeout: BOUND }, async () => {
  const ch = await silentTlsChannel();
  const ac = new AbortController();
  const pending = call(ch, ECHO, Buffer.from('x'), { timeout: 0, signal: ac.signal });
  setTimeout(() => ac.abort(), 50).unref();
  const r = await within(pending, 1000);
  assert.equal(r.code, GrpcStatus.CANCELLED, show(r));
});

// --- 11. close() -----------------------------------------------------------------------------------

test('close(): calls in flight finish, then the connection ends', { timeout: BOUND }, async () => {
  const release = gate();
  const s = await h2Server((req) => void Promise.all([req.body, release.promise]).then(() => answer(req.stream, grpcFrame(Buffer.from('done')))));
  const ch = channel(s.port);
  const calls = [call(ch, ECHO, Buffer.from('1')), call(ch, ECHO, Buffer.from('2'))];
  await until(() => s.requests.length === 2, 'both calls to reach the server');
  ch.close();
  release.open();
  const outcomes = await Promise.all(calls);
  assert.deepEqual(outcomes.map((o) => o.code), [GrpcStatus.OK, GrpcStatus.OK], outcomes.map(show).join('; '));
  await until(() => s.opened === 1 && s.closedSessions === 1, 'the server to see the connection end');
});

test(
  'close() while the connection is still being made: the call goes through, then the connection ends',
  { timeout: BOUND },
  async () => {
    const s = await h2Server((req) => void req.body.then(() => answer(req.stream, grpcFrame(Buffer.from('done')))));
    const ch = channel(s.port);
    const pending = call(ch, ECHO, Buffer.from('1'));
    ch.close();
    const r = await pending;
    assert.ok(r.code === GrpcStatus.OK || r.code === GrpcStatus.UNAVAILABLE, show(r));
    await until(() => s.closedSessions === s.opened, 'the server to see the connection end', 1500);
  },
);

test('a connection that goes silent without closing is dropped after a deadline and an unanswered PING; the next call dials anew', { timeout: BOUND }, async () => {
  const { port: upstream } = await grpcServer({ '/test.Echo/Ok': (_c: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from('ok')) });
  // A TCP relay that can stop passing bytes on the connections it has, as a vanished host or a NAT that forgot them would.
  let silent = false;
  const pairs: net.Socket[][] = [];
  const relay = net.createServer((client) => {
    const server = net.connect(upstream, '127.0.0.1');
    pairs.push([client, server]);
    client.on('data', (d) => (silent ? undefined : server.write(d)));
    server.on('data', (d) => (silent ? undefined : client.write(d)));
    for (const s of [client, server]) s.on('error', () => {}).on('close', () => { client.destroy(); server.destroy(); });
  });
  await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => { for (const p of pairs) for (const s of p) s.destroy(); relay.close(() => r()); }));
  const ch = channel((relay.address() as net.AddressInfo).port, { pingTimeoutMs: 300 });

  const first = await call(ch, '/test.Echo/Ok', Buffer.from('a'));
  assert.equal(first.code, GrpcStatus.OK, show(first));
  silent = true;
  const lost = await call(ch, '/test.Echo/Ok', Buffer.from('b'), { timeout: 200 });
  assert.equal(lost.code, GrpcStatus.DEADLINE_EXCEEDED, show(lost));
  // The PING goes unanswered: the connection is given up (the relay sees our side close).
  await until(() => pairs[0][0].destroyed, 'the silent connection to be dropped', 3000);
  silent = false;
  const next = await call(ch, '/test.Echo/Ok', Buffer.from('c'));
  assert.equal(next.code, GrpcStatus.OK, show(next));
  assert.equal(pairs.length, 2, 'on a new connection');
});
