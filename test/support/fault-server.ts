/**
 * Test support: an OTLP server (HTTP and gRPC on free loopback ports) whose
 * next answers a test scripts — 200, 200 with partial_success, an error
 * status with Retry-After or RetryInfo, slow beyond a timeout, a reset
 * connection — and that records every request it received, decoded with our
 * codecs. The stand-in for a vendor's intake in exporter tests.
 */
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import type { Batch, Signal } from '../../src/model/batch';
import { encodeExportResponse } from '../../src/otlp/proto';
import { encodeExportResponseJson } from '../../src/otlp/json';
import { decodeRequest } from '../../src/exporters/otlp_common/codec';
import { encodeRpcStatus } from '../../src/exporters/otlp_common/status';
import { GRPC_METHODS } from '../../src/exporters/otlp_grpc/send';
import { freePort } from '../../src/testing/ports';

export type Fault =
  | { kind: 'ok' }
  | { kind: 'partial'; rejected: number; message: string }
  /** HTTP: this status (with an optional Retry-After and google.rpc.Status message). */
  | { kind: 'http'; status: number; retryAfter?: string; message?: string }
  /** gRPC: this status code, with a RetryInfo detail when retryDelayMs is set. */
  | { kind: 'grpc'; code: number; message?: string; retryDelayMs?: number }
  /** Answer 200 only after this long (past the client's timeout, it gives up first). */
  | { kind: 'slow'; ms: number }
  /** HTTP: destroy the socket without answering. */
  | { kind: 'reset' };

export interface Received {
  protocol: 'http' | 'grpc';
  path: string;
  signal: Signal;
  headers: Record<string, string>;
  contentType: string;
  /** HTTP: Content-Encoding was gzip. gRPC: undefined (grpc-js hides grpc-encoding from handlers). */
  gzip: boolean | undefined;
  /** The request body, decompressed. */
  body: Buffer;
  batch: Batch;
  /** Date.now() when it arrived. */
  at: number;
  /** What the server answered (the fault used). */
  answer: Fault['kind'];
}

const HTTP_PATHS: Record<string, Signal> = { '/v1/metrics': 'metrics', '/v1/logs': 'logs', '/v1/traces': 'traces' };

/** TLS for both listeners; `requireClientCert`: mutual TLS, client certificates checked against `cert`. */
export interface FaultServerTls {
  cert: Buffer;
  key: Buffer;
  requireClientCert?: boolean;
}

export class FaultServer {
  readonly received: Received[] = [];
  private readonly httpFaults: Fault[] = [];
  private readonly grpcFaults: Fault[] = [];
  private http: http.Server | undefined;
  private grpc: grpc.Server | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    readonly httpPort: number,
    readonly grpcPort: number,
    private readonly tls: FaultServerTls | undefined,
  ) {}

  static async start(opts: { tls?: FaultServerTls } = {}): Promise<FaultServer> {
    const httpPort = await freePort();
    let grpcPort = await freePort();
    while (grpcPort === httpPort) grpcPort = await freePort();
    const s = new FaultServer(httpPort, grpcPort, opts.tls);
    await s.startHttp();
    await s.startGrpc();
    return s;
  }

  get httpUrl(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.httpPort}`;
  }

  get grpcEndpoint(): string {
    return `127.0.0.1:${this.grpcPort}`;
  }

  /** Queues answers for the next HTTP requests (then 200 again). */
  scriptHttp(...faults: Fault[]): void {
    this.httpFaults.push(...faults);
  }

  /** Queues answers for the next gRPC calls (then OK again). */
  scriptGrpc(...faults: Fault[]): void {
    this.grpcFaults.push(...faults);
  }

  /** Requests received on a protocol, optionally only those answered with `answer`. */
  requests(protocol: 'http' | 'grpc', answer?: Fault['kind']): Received[] {
    return this.received.filter((r) => r.protocol === protocol && (answer === undefined || r.answer === answer));
  }

  async startHttp(): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.onHttp(req, res);
    const t = this.tls;
    const server = t ? https.createServer({ cert: t.cert, key: t.key, ca: t.cert, requestCert: !!t.requireClientCert, rejectUnauthorized: !!t.requireClientCert }, handler) : http.createServer(handler);
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.httpPort, '127.0.0.1', () => resolve());
    });
    this.http = server;
  }

  get httpListening(): boolean {
    return this.http !== undefined;
  }

  /** Closes the HTTP listener and every connection (the "server down" fault). */
  async stopHttp(): Promise<void> {
    const server = this.http;
    this.http = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }

  async startGrpc(): Promise<void> {
    const server = new grpc.Server();
    const identity = (b: Buffer): Buffer => b;
    const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const impl: grpc.UntypedServiceImplementation = {};
    for (const [signal, path] of Object.entries(GRPC_METHODS) as Array<[Signal, string]>) {
      definition[signal] = { path, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity };
      impl[signal] = (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => this.onGrpc(signal, path, call, cb);
    }
    server.addService(definition, impl);
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${this.grpcPort}`, this.grpcCredentials(), (err) => (err ? reject(err) : resolve())),
    );
    this.grpc = server;
  }

  private grpcCredentials(): grpc.ServerCredentials {
    const t = this.tls;
    if (!t) return grpc.ServerCredentials.createInsecure();
    return grpc.ServerCredentials.createSsl(t.requireClientCert ? t.cert : null, [{ cert_chain: t.cert, private_key: t.key }], !!t.requireClientCert);
  }

  stopGrpc(): void {
    this.grpc?.forceShutdown();
    this.grpc = undefined;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.stopGrpc();
    await this.stopHttp();
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private onHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const signal = HTTP_PATHS[req.url ?? ''] ?? this.signalOfPath(req.url ?? '');
      const gzip = req.headers['content-encoding'] === 'gzip';
      const raw = Buffer.concat(chunks);
      const body = gzip ? zlib.gunzipSync(raw) : raw;
      const contentType = String(req.headers['content-type'] ?? '');
      const json = contentType.includes('json');
      const fault = this.httpFaults.shift() ?? { kind: 'ok' };
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v.join(',') : String(v);
      this.received.push({ protocol: 'http', path: req.url ?? '', signal, headers, contentType, gzip, body, batch: decodeRequest(signal, body, json ? 'json' : 'proto'), at: Date.now(), answer: fault.kind });
      const ok = (rejected: number, message: string): void => {
        const out = json ? Buffer.from(encodeExportResponseJson(signal, rejected, message)) : Buffer.from(encodeExportResponse(signal, rejected, message));
        res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(out);
      };
      switch (fault.kind) {
        case 'ok':
          return ok(0, '');
        case 'partial':
          return ok(fault.rejected, fault.message);
        case 'http': {
          const h: Record<string, string> = { 'content-type': json ? 'application/json' : 'application/x-protobuf' };
          if (fault.retryAfter !== undefined) h['retry-after'] = fault.retryAfter;
          const status = { code: fault.status === 503 ? 14 : 2, message: fault.message ?? '' };
          res.writeHead(fault.status, h).end(json ? JSON.stringify(status) : Buffer.from(encodeRpcStatus(status)));
          return;
        }
        case 'slow':
          return this.later(fault.ms, () => {
            if (!res.destroyed) ok(0, '');
          });
        case 'reset':
          req.socket.destroy();
          return;
        case 'grpc':
          throw new Error('a gRPC fault scripted for HTTP');
      }
    });
  }

  private signalOfPath(path: string): Signal {
    if (path.includes('metric')) return 'metrics';
    if (path.includes('log')) return 'logs';
    return 'traces';
  }

  private onGrpc(signal: Signal, path: string, call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>): void {
    const fault = this.grpcFaults.shift() ?? { kind: 'ok' };
    const md = call.metadata.getMap();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(md)) headers[k] = String(v);
    const body = call.request;
    this.received.push({
      protocol: 'grpc',
      path,
      signal,
      headers,
      contentType: 'application/grpc',
      gzip: undefined,
      body,
      batch: decodeRequest(signal, body, 'proto'),
      at: Date.now(),
      answer: fault.kind,
    });
    switch (fault.kind) {
      case 'ok':
        return cb(null, Buffer.from(encodeExportResponse(signal, 0, '')));
      case 'partial':
        return cb(null, Buffer.from(encodeExportResponse(signal, fault.rejected, fault.message)));
      case 'grpc': {
        const metadata = new grpc.Metadata();
        if (fault.retryDelayMs !== undefined) {
          metadata.set('grpc-status-details-bin', Buffer.from(encodeRpcStatus({ code: fault.code, message: fault.message ?? '', retryDelayMs: fault.retryDelayMs })));
        }
        return cb({ code: fault.code, details: fault.message ?? '', metadata });
      }
      case 'slow':
        return this.later(fault.ms, () => cb(null, Buffer.from(encodeExportResponse(signal, 0, ''))));
      case 'reset':
      case 'http':
        return cb({ code: grpc.status.UNAVAILABLE, details: 'scripted reset' });
    }
  }
}
