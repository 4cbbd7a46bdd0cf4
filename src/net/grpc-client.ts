/**
 * A unary gRPC client (gRPC over HTTP/2, PROTOCOL-HTTP2.md) on our own
 * HTTP/2 (h2/client-connection.ts), for the `otlp` exporter: one connection
 * to the target, opened when the first call needs it and again after it
 * closes; calls wait for a stream when the server's concurrency limit is
 * reached. A call's message goes out as the caller's bytes (a five-byte
 * prefix, then the message itself, unless gzip is asked for), and its
 * outcome is the gRPC status: from the trailers, or from the HTTP status
 * when there are none (gRPC's http-grpc-status-mapping), or UNAVAILABLE when
 * the connection could not be made or was lost, as grpc-js reports it.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import * as zlib from 'node:zlib';
import type { H2Settings } from './h2/connection';
import { CONNECTION_LOST, type H2Stream, type StreamHandler } from './h2/stream';
import { H2ClientConnection } from './h2/client-connection';
import { ErrorCode } from './h2/frames';
import { HpackEncoder } from './h2/hpack';
import { codeForHttpStatus, codeForReset, GrpcStatus, percentDecode } from './grpc-status';

export interface GrpcChannelOptions {
  host: string;
  port: number;
  /** TLS options (ca, cert, key, servername, rejectUnauthorized, checkServerIdentity); plain text when absent. */
  tls?: tls.ConnectionOptions;
  /** Request metadata sent with every call (lower-case keys). */
  metadata: ReadonlyArray<readonly [string, string]>;
  /** gzip every request message. */
  gzip: boolean;
  userAgent: string;
  /** The largest response message taken (bytes). */
  maxResponseBytes?: number;
  /** After a call's deadline passes, how long the server has to answer a PING before its connection is dropped (ms). */
  pingTimeoutMs?: number;
}

export interface UnaryOutcome {
  code: number;
  details: string;
  /** `grpc-status-details-bin`, decoded. */
  statusDetails?: Buffer;
  /** The response message (code OK). */
  response?: Buffer;
}

export interface CallOptions {
  /** ms from now; 0 = none. */
  timeout: number;
  signal?: AbortSignal;
  /**
   * Called once when the call is over. `reusable`: the request's bytes will
   * not be read again, so their buffer may be reused. Not so when we ended
   * the call ourselves (deadline, cancellation, a connection error of ours)
   * while its DATA may still be on its way out.
   */
  released?: (reusable: boolean) => void;
}

const SETTINGS: H2Settings = {
  streamWindow: 1024 * 1024,
  connectionWindow: 4 * 1024 * 1024,
  maxConcurrentStreams: 100,
  maxHeaderListSize: 65_535,
};
const hpack = new HpackEncoder();
const DEFAULT_MAX_RESPONSE = 4 * 1024 * 1024;
const CONNECT_TIMEOUT_MS = 20_000;
/** grpc-go's keepalive timeout. */
const PING_TIMEOUT_MS = 20_000;

export class GrpcChannel {
  private connection: H2ClientConnection | undefined;
  private connecting: Promise<H2ClientConnection> | undefined;
  /** Calls waiting for a stream (the server's concurrency limit). */
  private readonly waiting: Array<() => void> = [];
  private readonly authority: string;
  private closed = false;

  constructor(private readonly options: GrpcChannelOptions) {
    this.authority = options.host.includes(':') ? `[${options.host}]:${options.port}` : `${options.host}:${options.port}`;
  }

  /** One unary call of `path` with `message` (protobuf bytes). Never rejects: failures are statuses. */
  async unary(path: string, message: Buffer, call: CallOptions): Promise<UnaryOutcome> {
    const deadline = call.timeout > 0 ? Date.now() + call.timeout : 0;
    if (call.signal?.aborted) return done(call, { code: GrpcStatus.CANCELLED, details: 'Cancelled on client' });
    let connection: H2ClientConnection;
    try {
      // Checked again after the await, in the same turn as the stream opens: calls started together all pass the check before any of them opens one.
      do connection = await this.stream(deadline, call.signal);
      while (!connection.canOpen);
    } catch (err) {
      return done(call, failureOf(err));
    }
    return new Promise<UnaryOutcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => unary.cancel(GrpcStatus.CANCELLED, 'Cancelled on client');
      const unary = new UnaryExchange(this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE, (outcome, reusable) => {
        if (timer) clearTimeout(timer);
        call.signal?.removeEventListener('abort', onAbort);
        call.released?.(reusable);
        resolve(outcome);
        this.wake();
      });
      const fields: Array<[string, string]> = [
        [':method', 'POST'],
        [':scheme', this.options.tls ? 'https' : 'http'],
        [':path', path],
        [':authority', this.authority],
        ['content-type', 'application/grpc'],
        ['te', 'trailers'],
        ['user-agent', this.options.userAgent],
        ['grpc-accept-encoding', 'identity,gzip'],
      ];
      if (this.options.gzip) fields.push(['grpc-encoding', 'gzip']);
      if (deadline) fields.push(['grpc-timeout', `${Math.max(1, deadline - Date.now())}m`]);
      for (const m of this.options.metadata) fields.push([m[0], m[1]]);
      const stream = connection.open(hpack.encode(fields), unary);
      unary.stream = stream;
      const body = this.options.gzip ? zlib.gzipSync(message) : message;
      const prefix = Buffer.allocUnsafe(5);
      prefix[0] = this.options.gzip ? 1 : 0;
      prefix.writeUInt32BE(body.length, 1);
      stream.data(prefix);
      stream.data(body, true);
      if (deadline) {
        timer = setTimeout(() => {
          unary.cancel(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded');
          // No keepalive pings are sent, so a connection that died without closing is found out
          // here: a server that does not answer a PING either is given up, and the next call dials anew.
          connection.checkAlive(this.options.pingTimeoutMs ?? PING_TIMEOUT_MS);
        }, Math.max(0, deadline - Date.now()));
      }
      call.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Ends the connection once its calls are done; later calls fail with UNAVAILABLE. */
  close(): void {
    this.closed = true;
    this.connection?.close();
    this.connection = undefined;
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** A connection with room for one more stream, waiting (within the call's deadline) for one if need be. */
  private async stream(deadline: number, signal: AbortSignal | undefined): Promise<H2ClientConnection> {
    for (;;) {
      if (this.closed) throw new CallFailure(GrpcStatus.UNAVAILABLE, 'the channel is closed');
      const c = await bounded(this.connect(), deadline, signal);
      if (c.canOpen) return c;
      if (c.spent) {
        if (this.connection === c) this.connection = undefined;
        continue;
      }
      // At the server's concurrency limit: wait for a stream to end.
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => (wake = resolve));
      this.waiting.push(wake);
      try {
        await bounded(woken, deadline, signal);
      } finally {
        const i = this.waiting.indexOf(wake);
        if (i >= 0) this.waiting.splice(i, 1);
      }
    }
  }

  private wake(): void {
    const next = this.waiting.shift();
    next?.();
  }

  private connect(): Promise<H2ClientConnection> {
    const c = this.connection;
    if (c && !c.spent) return Promise.resolve(c);
    this.connection = undefined;
    this.connecting ??= this.dial().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private dial(): Promise<H2ClientConnection> {
    const { host, port } = this.options;
    return new Promise<H2ClientConnection>((resolve, reject) => {
      const t = this.options.tls;
      const socket = t ? tls.connect({ ...t, host, port, ALPNProtocols: ['h2'] }) : net.connect({ host, port });
      const fail = (err: Error): void => {
        socket.destroy();
        reject(new CallFailure(GrpcStatus.UNAVAILABLE, `No connection established. Last error: ${err.message}`));
      };
      socket.once('error', fail);
      // An address that never answers is given up on (grpc-js's minimum connect timeout); a call's own deadline may come first.
      socket.setTimeout(CONNECT_TIMEOUT_MS, () => fail(new Error(`connecting timed out after ${CONNECT_TIMEOUT_MS / 1000} s`)));
      socket.once(t ? 'secureConnect' : 'connect', () => {
        if (t && (socket as tls.TLSSocket).alpnProtocol !== 'h2') return fail(new Error('the server did not negotiate HTTP/2 (ALPN h2)'));
        const connection = new H2ClientConnection(socket, SETTINGS);
        // Streams open once the server's SETTINGS are in: before them its concurrency limit is unknown.
        void connection.settled.then(() => {
          socket.off('error', fail);
          socket.setTimeout(0);
          if (connection.isDead) return fail(new Error('the connection closed before the server\'s SETTINGS'));
          if (this.closed) {
            connection.close();
            return reject(new CallFailure(GrpcStatus.UNAVAILABLE, 'the channel is closed'));
          }
          socket.once('close', () => {
            if (this.connection === connection) this.connection = undefined;
            for (const wake of this.waiting.splice(0)) wake();
          });
          this.connection = connection;
          resolve(connection);
        });
      });
    });
  }
}

class CallFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** `p`, or DEADLINE_EXCEEDED at `deadline` (0: none), or CANCELLED when `signal` aborts. */
function bounded<T>(p: Promise<T>, deadline: number, signal: AbortSignal | undefined): Promise<T> {
  if (!deadline && !signal) return p;
  return new Promise<T>((resolve, reject) => {
    const timer = deadline ? setTimeout(() => reject(new CallFailure(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded')), Math.max(0, deadline - Date.now())) : undefined;
    const onAbort = (): void => reject(new CallFailure(GrpcStatus.CANCELLED, 'Cancelled on client'));
    signal?.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}

function failureOf(err: unknown): UnaryOutcome {
  if (err instanceof CallFailure) return { code: err.code, details: err.message };
  return { code: GrpcStatus.INTERNAL, details: (err as Error).message };
}

function done(call: CallOptions, outcome: UnaryOutcome): UnaryOutcome {
  call.released?.(true);
  return outcome;
}

/** One call's response: headers, the message, trailers, and the outcome once it is known. */
class UnaryExchange implements StreamHandler {
  stream: H2Stream | undefined;
  private httpStatus = 0;
  private grpcEncoding: string | undefined;
  private contentTypeOk = false;
  private status: UnaryOutcome | undefined;
  private parts: Buffer[] = [];
  private got = 0;
  private finished = false;

  constructor(
    private readonly maxResponse: number,
    private readonly onDone: (outcome: UnaryOutcome, reusable: boolean) => void,
  ) {}

  headerFields(fields: string[], end: boolean): void {
    if (this.httpStatus === 0) {
      for (let i = 0; i < fields.length; i += 2) {
        const name = fields[i];
        if (name === ':status') this.httpStatus = Number(fields[i + 1]) || -1;
        else if (name === 'content-type') this.contentTypeOk = fields[i + 1].startsWith('application/grpc');
        else if (name === 'grpc-encoding') this.grpcEncoding = fields[i + 1];
      }
    }
    // Trailers, or a trailers-only response.
    if (end || this.status === undefined) this.readStatus(fields);
  }

  data(chunk: Buffer): void {
    this.got += chunk.length;
    if (this.got > this.maxResponse + 5) {
      this.cancel(GrpcStatus.RESOURCE_EXHAUSTED, `response larger than ${this.maxResponse} bytes`);
      return;
    }
    this.parts.push(chunk);
  }

  end(): void {
    this.finish(this.outcome());
  }

  close(code: number | undefined): void {
    if (code === undefined) return this.finish(this.outcome());
    // Lost when the socket closed (nothing more is written), or failed by us (what was queued may still go out).
    if (code === CONNECTION_LOST) return this.finish({ code: GrpcStatus.UNAVAILABLE, details: 'the connection to the server closed' }, this.stream?.connection.socket.destroyed ?? true);
    if (code === ErrorCode.NO_ERROR && this.status !== undefined) return this.finish(this.outcome());
    this.finish({ code: codeForReset(code), details: `Received RST_STREAM with code ${code}` });
  }

  /** Deadline or cancellation: the stream is reset and the call ends with `code`. */
  cancel(code: number, details: string): void {
    if (this.finished) return;
    this.finish({ code, details }, false);
    this.stream?.reset(ErrorCode.CANCEL);
  }

  private readStatus(fields: string[]): void {
    let code: number | undefined;
    let details = '';
    let statusDetails: Buffer | undefined;
    for (let i = 0; i < fields.length; i += 2) {
      const name = fields[i];
      if (name === 'grpc-status') code = Number(fields[i + 1]);
      else if (name === 'grpc-message') details = percentDecode(fields[i + 1]);
      else if (name === 'grpc-status-details-bin') statusDetails = Buffer.from(fields[i + 1], 'base64');
    }
    if (code !== undefined) this.status = { code: Number.isInteger(code) ? code : GrpcStatus.UNKNOWN, details, statusDetails };
  }

  private outcome(): UnaryOutcome {
    if (this.httpStatus !== 200) {
      if (this.httpStatus === 0) return { code: GrpcStatus.INTERNAL, details: 'the stream ended without response headers' };
      if (this.status === undefined) return { code: codeForHttpStatus(this.httpStatus), details: `Received HTTP status code ${this.httpStatus}` };
    }
    if (this.status === undefined) return { code: GrpcStatus.INTERNAL, details: 'the response ended without a grpc-status' };
    if (this.status.code !== GrpcStatus.OK) return this.status;
    if (!this.contentTypeOk) return { code: GrpcStatus.INTERNAL, details: 'the response is not application/grpc' };
    const message = this.message();
    return Buffer.isBuffer(message) ? { ...this.status, response: message } : message;
  }

  /** The response message, or the status saying what was wrong with it. */
  private message(): Buffer | UnaryOutcome {
    const all = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    const internal = (details: string): UnaryOutcome => ({ code: GrpcStatus.INTERNAL, details });
    if (all.length === 0) return Buffer.alloc(0); // no message at all: the Export response is empty
    if (all.length < 5) return internal('the response message was cut short');
    const length = all.readUInt32BE(1);
    if (all.length !== 5 + length) return internal('the response holds other than one message');
    const body = all.subarray(5);
    if (all[0] === 0) return body;
    if (this.grpcEncoding !== 'gzip') return internal(`the response message is compressed with ${JSON.stringify(this.grpcEncoding ?? 'identity')}`);
    try {
      return zlib.gunzipSync(body, { maxOutputLength: this.maxResponse });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return { code: GrpcStatus.RESOURCE_EXHAUSTED, details: `response larger than ${this.maxResponse} bytes once decompressed` };
      }
      return internal(`cannot decompress the response message: ${(err as Error).message}`);
    }
  }

  private finish(outcome: UnaryOutcome, reusable = true): void {
    if (this.finished) return;
    this.finished = true;
    this.parts = [];
    this.onDone(outcome, reusable);
  }
}
