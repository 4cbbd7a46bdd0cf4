/**
 * A unary-only gRPC server (gRPC over HTTP/2, PROTOCOL-HTTP2.md), enough for
 * the OTLP Export calls: POST to a fixed path, one length-prefixed request
 * message (identity, gzip or deflate), one response message or a status.
 * Where the protocol leaves the server a choice (which status for which
 * malformed request), it answers as grpc-go does, so clients see the same
 * codes as from the Go collector.
 *
 * HTTP/2 is our own (h2/server-connection.ts), not node:http2, for its
 * per-request cost. Like the other protocol servers it never listens: the
 * listener registry hands it accepted connections (`inject`). The request's
 * DATA arrives as views of the socket's chunks, kept as they come and joined
 * once (not at all when one frame holds the message), then decompressed
 * synchronously with the output bounded by the size limit, so a compression
 * bomb costs at most the limit. An answer is one HEADERS, one DATA and the
 * trailers, written together with whatever else the connection answers in
 * the same turn of the event loop.
 */
import { EventEmitter } from 'node:events';
import type * as net from 'node:net';
import * as tls from 'node:tls';
import * as zlib from 'node:zlib';
import { GrpcStatus, percentEncode } from './grpc-status';
import { HpackEncoder } from './h2/hpack';
import type { H2Settings } from './h2/connection';
import type { H2Stream, StreamHandler } from './h2/stream';
import { H2ServerConnection, type RequestHeaders } from './h2/server-connection';
import { InjectedSockets } from './injected-sockets';
import { tlsServerOptions, type TlsMaterial } from './tls-options';

export type { RequestHeaders } from './h2/server-connection';

export interface GrpcCall {
  /** The request message, decompressed. */
  readonly request: Buffer;
  /** The request's HTTP/2 headers (lower-case names, as node:http2 gives them); `grpcMetadata` turns them into gRPC metadata. */
  readonly headers: RequestHeaders;
  /** The client's address without the port (`127.0.0.1`, `::1`). */
  readonly peer: string;
}

export interface GrpcError {
  code: number;
  details: string;
  /** Sent as `grpc-status-details-bin`: a serialized `google.rpc.Status`. */
  statusDetails?: Buffer;
}

export type GrpcCallback = (err: GrpcError | null, response?: Buffer) => void;
export type GrpcUnaryHandler = (call: GrpcCall, callback: GrpcCallback) => void;

/** Finds the handler for a method path, or the status to answer instead. */
export type GrpcRouter = (path: string) => GrpcUnaryHandler | GrpcError;


/**
 * Told of a call the server refused before any handler saw it: its headers,
 * its method, its framing or size, or a deadline that passed while it was
 * arriving. `reason` is one of the receivers' refusal reasons.
 */
export type GrpcRefusedHook = (reason: string, details: string, peer: string) => void;

export interface GrpcServerOptions {
  route: GrpcRouter;
  refused?: GrpcRefusedHook;
  /** `grpc.max_receive_message_length`: on the wire and after decompression. */
  maxRecvBytes: number;
  tls?: TlsMaterial;
}

/** The encodings a request may use; advertised in every response. */
const ACCEPT_ENCODING = 'identity,deflate,gzip';
/**
 * Flow-control windows. With HTTP/2's 64 KiB default a client sending large
 * messages waits for a WINDOW_UPDATE, i.e. for a turn of our event loop,
 * every 32 KiB: more frames and event-loop turns per call and latency while
 * the loop is busy. The connection window also bounds what one client can
 * push into memory per turn, so it stays a few MiB rather than grpc-go's
 * 16 MiB maximum.
 */
const SETTINGS: H2Settings = {
  streamWindow: 1024 * 1024,
  connectionWindow: 4 * 1024 * 1024,
  // grpc-go's and node:http2's default is unbounded; a bound keeps one client from opening streams without end.
  maxConcurrentStreams: 1000,
  // node:http2's default, which this server had before.
  maxHeaderListSize: 65_535,
};
const EMPTY = Buffer.alloc(0);
const hpack = new HpackEncoder();
/** The headers of every successful answer and its trailers: the same bytes each time. */
const OK_HEADERS = hpack.encode([[':status', '200'], ['content-type', 'application/grpc'], ['grpc-accept-encoding', ACCEPT_ENCODING]]);
const OK_TRAILERS = hpack.encode([['grpc-status', '0']]);

export class GrpcServer {
  /** Where injected sockets go: a TLS server (ALPN h2) or, in plain text, straight to a connection. */
  private readonly acceptor: EventEmitter;
  private readonly connections = new InjectedSockets();
  private readonly sessions = new Set<H2ServerConnection>();
  private closed: Promise<void> | undefined;

  constructor(private readonly options: GrpcServerOptions) {
    const t = options.tls;
    if (t) {
      const server = tls.createServer({ ...tlsServerOptions(t), ALPNProtocols: ['h2'] });
      server.on('secureConnection', (socket: tls.TLSSocket) => {
        socket.on('error', ignore);
        // A client that did not negotiate h2 is not speaking gRPC.
        if (socket.alpnProtocol !== 'h2') return void socket.destroy();
        this.connect(socket);
      });
      server.on('tlsClientError', ignore);
      this.acceptor = server;
    } else {
      this.acceptor = new EventEmitter();
      this.acceptor.on('connection', (socket: net.Socket) => this.connect(socket));
    }
  }

  inject(socket: net.Socket): void {
    this.connections.inject(socket, this.acceptor);
  }

  /** GOAWAY to every connection; calls in flight finish, idle connections close; at `deadline` the rest are destroyed. */
  close(deadline: number): Promise<void> {
    if (!this.closed) {
      for (const session of this.sessions) session.goAway();
      this.closed = this.connections.whenClosed(deadline, () => {
        for (const session of this.sessions) session.destroy();
      });
    }
    return this.closed;
  }

  private connect(socket: net.Socket): void {
    const session = new H2ServerConnection(socket, SETTINGS, (stream, headers) => this.onStream(stream, headers));
    this.sessions.add(session);
    socket.once('close', () => this.sessions.delete(session));
    // A TLS handshake that completes after close() began.
    if (this.closed) session.goAway();
  }

  private onStream(stream: H2Stream, headers: RequestHeaders): void {
    const early = checkHeaders(headers);
    if (early) return void this.refuse(stream, early.httpStatus, early, early.reason);
    const route = this.options.route((headers[':path'] as string | undefined) ?? '');
    if (typeof route !== 'function') return void this.refuse(stream, 200, route, 'not_found');
    const call = new UnaryCall(stream, headers, route, this.options.maxRecvBytes, this.options.refused);
    stream.handler = call;
    const timeout = headers['grpc-timeout'];
    if (timeout !== undefined) call.timer = setTimeout(onDeadline, parseTimeout(timeout as string), call);
  }

  private refuse(stream: H2Stream, httpStatus: number, status: GrpcError, reason: string): void {
    this.options.refused?.(reason, status.details, stream.remoteAddress ?? 'unknown');
    respondEarly(stream, httpStatus, status);
  }
}

/**
 * One unary call: the request as it arrives, then the answer. The listeners
 * below are shared by every call and find this through the stream.
 */
class UnaryCall implements GrpcCall, StreamHandler {
  request: Buffer = EMPTY;
  readonly peer: string;
  timer: NodeJS.Timeout | undefined;
  /** An answer (or an early status) went out, or the stream closed: nothing more to write. */
  answered = false;
  private prefix: Buffer | undefined;
  private prefixGot = 0;
  /** The message's length from its prefix; -1 until the prefix is complete. */
  private length = -1;
  /**
   * The message's bytes as they came, joined once complete. Not a buffer
   * sized from the prefix: a client could claim the limit in five bytes and
   * never send the rest.
   */
  private parts: Buffer[] = [];
  private got = 0;
  private body: Buffer | undefined;
  private compressed = false;
  /** The handler has the request: from here on a failure is its answer, not the transport's refusal. */
  handed = false;

  constructor(
    readonly stream: H2Stream,
    readonly headers: RequestHeaders,
    private readonly handler: GrpcUnaryHandler,
    private readonly limit: number,
    private readonly refused: GrpcRefusedHook | undefined,
  ) {
    this.peer = stream.remoteAddress ?? 'unknown';
  }

  data(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.answered) {
      if (this.body !== undefined) return this.refuse(GrpcStatus.INTERNAL, 'grpc: received more than one request message for a unary call', 'decode');
      if (this.length < 0) {
        let p: Buffer;
        if (this.prefixGot === 0 && chunk.length - off >= 5) {
          p = chunk.subarray(off, off + 5);
          off += 5;
        } else {
          this.prefix ??= Buffer.allocUnsafe(5);
          const n = Math.min(5 - this.prefixGot, chunk.length - off);
          chunk.copy(this.prefix, this.prefixGot, off, off + n);
          this.prefixGot += n;
          off += n;
          if (this.prefixGot < 5) return;
          p = this.prefix;
        }
        if (p[0] > 1) return this.refuse(GrpcStatus.INTERNAL, `grpc: received a message with an invalid compressed flag ${p[0]}`, 'decode');
        this.compressed = p[0] === 1;
        this.length = p.readUInt32BE(1);
        if (this.length > this.limit) return this.refuse(GrpcStatus.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${this.length} vs. ${this.limit})`, 'too_large');
        if (this.length === 0) this.body = EMPTY;
        continue;
      }
      const n = Math.min(this.length - this.got, chunk.length - off);
      const part = chunk.subarray(off, off + n);
      off += n;
      this.got += n;
      if (this.got < this.length) this.parts.push(part);
      else if (this.parts.length === 0) this.body = part; // all in one chunk: no copy
      else {
        this.parts.push(part);
        this.body = Buffer.concat(this.parts, this.length);
        this.parts = [];
      }
    }
  }

  end(): void {
    if (this.answered) return;
    if (this.body === undefined) {
      if (this.length < 0 && this.prefixGot === 0) return this.refuse(GrpcStatus.INTERNAL, 'grpc: received no request message for a unary call', 'decode');
      return this.refuse(GrpcStatus.INTERNAL, 'grpc: the request ended inside a message (unexpected EOF)', 'decode');
    }
    const body = this.body;
    this.body = EMPTY;
    if (!this.compressed) this.request = body;
    else {
      const encoding = this.headers['grpc-encoding'];
      if (encoding === undefined || encoding === 'identity') return this.refuse(GrpcStatus.INTERNAL, 'grpc: compressed flag set with identity or empty encoding', 'decode');
      try {
        this.request = encoding === 'gzip' ? gunzip(body, this.limit) : zlib.inflateSync(body, { maxOutputLength: this.limit });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          return this.refuse(GrpcStatus.RESOURCE_EXHAUSTED, `grpc: received message that decompresses to a size larger than ${this.limit}`, 'too_large');
        }
        return this.refuse(GrpcStatus.INTERNAL, `grpc: failed to decompress the received message: ${(err as Error).message}`, 'decode');
      }
    }
    this.handed = true;
    try {
      this.handler(this, (err, response) => (err ? this.fail(err.code, err.details, err.statusDetails) : this.succeed(response ?? EMPTY)));
    } catch {
      this.fail(GrpcStatus.INTERNAL, 'internal error');
    }
  }

  succeed(response: Buffer): void {
    if (!this.finish()) return;
    const frame = Buffer.allocUnsafe(5 + response.length);
    frame[0] = 0;
    frame.writeUInt32BE(response.length, 1);
    response.copy(frame, 5);
    this.stream.respond(OK_HEADERS, false);
    this.stream.data(frame);
    this.stream.trailers(OK_TRAILERS);
  }

  fail(code: number, details: string, statusDetails?: Buffer): void {
    if (!this.finish()) return;
    respondEarly(this.stream, 200, { code, details, statusDetails });
  }

  /** `fail` for a call the transport refuses before the handler has it, reported as refused. */
  refuse(code: number, details: string, reason: string): void {
    if (this.answered) return;
    this.refused?.(reason, details, this.peer);
    this.fail(code, details);
  }

  /** Marks the call answered; false when it already was or the client is gone. */
  private finish(): boolean {
    if (this.answered) return false;
    this.answered = true;
    if (this.timer) clearTimeout(this.timer);
    this.parts = [];
    return !this.stream.closed;
  }

  /** The stream closed (answered, reset, or its connection gone): nothing more to write. */
  close(): void {
    this.answered = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

/**
 * Sizes the output from the gzip trailer (ISIZE, the input length mod 2^32)
 * so an honest message inflates into one buffer instead of 16 KiB chunks
 * joined at the end (about a third less CPU at 10–90 KB). A lying trailer
 * costs at most the limit; `maxOutputLength` bounds the output either way.
 */
function gunzip(body: Buffer, limit: number): Buffer {
  const size = body.length >= 18 ? body.readUInt32LE(body.length - 4) : 0;
  // The margin lets zlib see the end of the stream without asking for another chunk.
  const chunkSize = Math.max(1024, Math.min(size, limit) + 64);
  return zlib.gunzipSync(body, { maxOutputLength: limit, chunkSize });
}

function onDeadline(call: UnaryCall): void {
  call.timer = undefined;
  if (call.handed) call.fail(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded');
  else call.refuse(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded', 'deadline_exceeded');
}

function ignore(): void {}

interface EarlyStatus extends GrpcError {
  httpStatus: number;
  /** What the receivers count it as. */
  reason: string;
}

/**
 * A request the transport refuses before any handler sees it, with grpc-go's
 * HTTP status and gRPC code for the same fault.
 */
function checkHeaders(headers: RequestHeaders): EarlyStatus | undefined {
  const contentType = headers['content-type'] as string | undefined;
  if (!isGrpcContentType(contentType)) {
    return { httpStatus: 415, code: GrpcStatus.INVALID_ARGUMENT, details: `invalid gRPC request content-type ${JSON.stringify(contentType ?? '')}`, reason: 'unsupported_media_type' };
  }
  const method = headers[':method'];
  if (method !== 'POST') return { httpStatus: 405, code: GrpcStatus.INTERNAL, details: `grpc: the request method is ${method}; gRPC requests must be POST`, reason: 'method_not_allowed' };
  const timeout = headers['grpc-timeout'];
  if (timeout !== undefined && parseTimeout(timeout as string) < 0) {
    return { httpStatus: 400, code: GrpcStatus.INTERNAL, details: `malformed grpc-timeout: ${JSON.stringify(timeout)}`, reason: 'decode' };
  }
  const encoding = headers['grpc-encoding'];
  if (encoding !== undefined && encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'deflate') {
    return { httpStatus: 200, code: GrpcStatus.UNIMPLEMENTED, details: `grpc: Decompressor is not installed for grpc-encoding ${JSON.stringify(encoding)}`, reason: 'unsupported_encoding' };
  }
  return undefined;
}

/** `application/grpc`, optionally `+subtype` or `;parameters` (any subtype is taken as protobuf, as grpc-go does). */
function isGrpcContentType(value: string | undefined): boolean {
  if (value === undefined || !value.startsWith('application/grpc')) return false;
  if (value.length === 16) return true;
  const next = value.charCodeAt(16);
  return next === 0x2b /* + */ || next === 0x3b /* ; */;
}

const TIMEOUT_UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** `grpc-timeout` (up to 8 digits and a unit) in ms, capped to what a timer takes; -1 when malformed. */
function parseTimeout(value: string): number {
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return -1;
  return Math.min(Math.ceil(Number(m[1]) * TIMEOUT_UNIT_MS[m[2]]), 2 ** 31 - 1);
}

/** A trailers-only response: the status in the one HEADERS frame that ends the stream (and, if the client is still sending, RST_STREAM NO_ERROR). */
function respondEarly(stream: H2Stream, httpStatus: number, status: GrpcError): void {
  if (stream.closed) return;
  const fields: Array<[string, string]> = [
    [':status', String(httpStatus)],
    ['content-type', 'application/grpc'],
    ['grpc-accept-encoding', ACCEPT_ENCODING],
    ['grpc-status', String(status.code)],
    ['grpc-message', percentEncode(status.details)],
  ];
  if (status.statusDetails) fields.push(['grpc-status-details-bin', status.statusDetails.toString('base64').replace(/=+$/, '')]);
  stream.respond(hpack.encode(fields), true);
}

/** Headers the transport consumes; the rest is the call's metadata (as grpc-js passes it to a handler). */
const NOT_METADATA = new Set(['grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding', 'accept-encoding', 'te', 'content-type']);
const LEGAL_KEY = /^[0-9a-z_.-]+$/;
const LEGAL_TEXT = /^[ -~]*$/;

/**
 * The gRPC metadata of a request: every header but pseudo-headers and the
 * transport's own; `-bin` values base64 (normalised: decoded and encoded
 * again, several comma-separated values apart), others as sent. Entries that
 * are not legal metadata are left out.
 */
export function grpcMetadata(headers: RequestHeaders, drop?: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const key of Object.keys(headers)) {
    if (key.charCodeAt(0) === 0x3a /* : */ || NOT_METADATA.has(key) || key === drop || !LEGAL_KEY.test(key)) continue;
    const raw = headers[key];
    if (raw === undefined) continue;
    const values = Array.isArray(raw) ? raw : [raw];
    const list: string[] = [];
    if (key.endsWith('-bin')) {
      for (const v of values) {
        const parts = !Array.isArray(raw) && !key.startsWith('grpc-') ? v.split(',') : [v];
        for (const part of parts) list.push(Buffer.from(part.trim(), 'base64').toString('base64'));
      }
    } else {
      for (const v of values) if (LEGAL_TEXT.test(v)) list.push(v);
    }
    if (list.length > 0) out.set(key, list);
  }
  return out;
}
