/**
 * The process-wide registry of listening sockets.
 *
 * A config reload builds and starts the new component graph before the old
 * one is retired, so two receivers can want the same port at once. Nothing
 * owns a socket directly: each component leases the endpoint. The first lease
 * binds; later ones share the socket and become the current handler (the
 * newest lease wins); releasing a lease hands the port back to the previous
 * still-held lease; releasing the last one closes it.
 *
 * One `net.Server` per endpoint accepts every connection and passes it to a
 * protocol server built for the current lease's options (plain or TLS HTTP, a
 * gRPC server with its message-size limit and credentials). When a reload
 * changes those options, new connections go to a new protocol server at once
 * while connections already open stay on the old one until its last lease is
 * released; the listening socket itself never closes, so the port does not
 * drop, not even for a moment, when TLS files or limits change.
 */
import { createHash } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import type * as http from 'node:http';
import * as net from 'node:net';
import type { Signal } from '../model/batch';
import {
  GrpcProtocolServer,
  HttpProtocolServer,
  readTls,
  type GrpcExportHandler,
  type GrpcHandlers,
  type HttpHandler,
  type ProtocolServer,
  type TlsServerFiles,
} from './protocol-servers';

export { OTLP_GRPC_PATHS, type GrpcCall, type GrpcCallback, type GrpcError, type GrpcExportHandler, type GrpcHandlers, type HttpHandler, type TlsServerFiles } from './protocol-servers';

export interface HttpListenOptions {
  tls?: TlsServerFiles;
}

export interface GrpcListenOptions {
  tls?: TlsServerFiles;
  /** `grpc.max_receive_message_length`; larger messages get RESOURCE_EXHAUSTED. */
  maxRecvMsgSizeBytes?: number;
}

export interface Lease {
  /** The endpoint as configured. */
  readonly endpoint: string;
  /** Where the socket is bound, `host:port` (the real port when 0 was asked for). */
  readonly address: string;
  /**
   * Gives the endpoint back. Resolves when what this lease alone kept alive
   * has closed: in-flight requests finish, idle keep-alive connections close,
   * and at `deadline` (epoch ms, default 5 s from now) the rest are destroyed.
   * Safe to call twice.
   */
  release(deadline?: number): Promise<void>;
}

export interface ParsedEndpoint {
  /** '' means every interface (`:4317`, as in the Go collector). */
  host: string;
  port: number;
}

/** Parses `host:port`, `[::1]:port`, `:port` and `localhost:port`. */
export function parseEndpoint(endpoint: string): ParsedEndpoint {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(endpoint.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535 || (m[1] !== undefined && !net.isIPv6(m[1]))) {
    throw new Error(`invalid endpoint "${endpoint}": expected host:port, [ipv6]:port or :port`);
  }
  return { host: (m[1] ?? m[2]).toLowerCase(), port };
}

/** Leases `endpoint` for HTTP requests; see the module comment. */
export function acquireHttp(endpoint: string, options: HttpListenOptions, handler: HttpHandler): Promise<Lease> {
  return acquire('http', endpoint, options.tls, undefined, handler);
}

/** Leases `endpoint` for the three OTLP gRPC Export methods. */
export function acquireGrpc(endpoint: string, options: GrpcListenOptions, handlers: GrpcHandlers): Promise<Lease> {
  return acquire('grpc', endpoint, options.tls, options.maxRecvMsgSizeBytes, handlers);
}

type Kind = 'http' | 'grpc';
type Handler = HttpHandler | GrpcHandlers;

interface LeaseRecord {
  fingerprint: string;
  handler: Handler;
  releasing?: Promise<void>;
}

const listeners = new Map<string, Listener>();
let ephemeral = 0;

async function acquire(kind: Kind, endpoint: string, tlsFiles: TlsServerFiles | undefined, maxRecv: number | undefined, handler: Handler): Promise<Lease> {
  const parsed = parseEndpoint(endpoint);
  // Read the TLS files now so a renewed certificate is picked up by a reload
  // (same paths, new content, new fingerprint).
  const tls = tlsFiles && readTls(endpoint, tlsFiles);
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ maxRecv, min: tls?.minVersion }))
    .update(tls ? Buffer.concat([tls.cert, Buffer.from([0]), tls.key, Buffer.from([0]), tls.clientCa ?? Buffer.alloc(0)]) : '')
    .digest('hex');
  // Port 0 asks for a fresh port every time, so such leases never share.
  const key = parsed.port === 0 ? `#${++ephemeral}` : `${parsed.host || '*'}:${parsed.port}`;
  let listener = listeners.get(key);
  if (!listener) {
    const created = new Listener(kind, endpoint, parsed, key);
    listener = created;
    listeners.set(key, created);
    created.ready = created.bind().catch((err: unknown) => {
      if (listeners.get(key) === created) listeners.delete(key);
      throw err;
    });
  }
  if (listener.kind !== kind) {
    throw new Error(`cannot listen on ${endpoint} for ${kind === 'grpc' ? 'gRPC' : 'HTTP'}: the ${listener.kind === 'grpc' ? 'gRPC' : 'HTTP'} listener already uses it`);
  }
  await listener.ready;
  // The last lease may have been released while we waited; bind afresh then.
  if (listeners.get(key) !== listener) return acquire(kind, endpoint, tlsFiles, maxRecv, handler);
  const l = listener;
  return l.addLease(fingerprint, handler, () =>
    kind === 'http'
      ? new HttpProtocolServer((req, res) => l.dispatchHttp(req, res), tls)
      : new GrpcProtocolServer(endpoint, (signal) => l.grpcHandler(signal), (reason, details, peer) => l.grpcRefused(reason, details, peer), tls, maxRecv),
  );
}

class Listener {
  ready: Promise<void> = Promise.resolve();
  address = '';
  private readonly sockets: net.Server[] = [];
  private readonly leases: LeaseRecord[] = [];
  private readonly servers = new Map<string, ProtocolServer>();

  constructor(
    readonly kind: Kind,
    readonly endpoint: string,
    private readonly parsed: ParsedEndpoint,
    private readonly key: string,
  ) {}

  current(): LeaseRecord | undefined {
    return this.leases[this.leases.length - 1];
  }

  async bind(): Promise<void> {
    let hosts: (string | undefined)[];
    const { host } = this.parsed;
    if (host === '') hosts = [undefined];
    else if (host === 'localhost') hosts = ['127.0.0.1', '::1']; // clients may resolve either
    else if (net.isIP(host)) hosts = [host];
    else hosts = [(await lookup(host).catch((e) => Promise.reject(bindError(this.endpoint, e)))).address];
    let port = this.parsed.port;
    for (let i = 0; i < hosts.length; i++) {
      const server = net.createServer((socket) => this.onConnection(socket));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: hosts[i], port }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        if (i > 0) continue; // the second address of `localhost` is best effort (no IPv6 here)
        throw bindError(this.endpoint, err);
      }
      // After listening, an error (EMFILE on accept) must not crash the daemon;
      // the socket keeps accepting once descriptors free up.
      server.on('error', () => {});
      const addr = server.address() as net.AddressInfo;
      if (i === 0) {
        port = addr.port;
        this.address = addr.family === 'IPv6' ? `[${addr.address}]:${port}` : `${addr.address}:${port}`;
      }
      this.sockets.push(server);
    }
  }

  addLease(fingerprint: string, handler: Handler, build: () => ProtocolServer): Lease {
    if (!this.servers.has(fingerprint)) {
      try {
        this.servers.set(fingerprint, build());
      } catch (err) {
        if (this.leases.length === 0) this.unbind();
        throw new Error(`cannot serve on ${this.endpoint}: ${(err as Error).message}`, { cause: err });
      }
    }
    const record: LeaseRecord = { fingerprint, handler };
    this.leases.push(record);
    return { endpoint: this.endpoint, address: this.address, release: (deadline) => this.release(record, deadline) };
  }

  private release(record: LeaseRecord, deadline = Date.now() + 5000): Promise<void> {
    if (record.releasing) return record.releasing;
    this.leases.splice(this.leases.indexOf(record), 1);
    const closing: Promise<void>[] = [];
    if (this.leases.length === 0) this.unbind();
    if (!this.leases.some((l) => l.fingerprint === record.fingerprint)) {
      const server = this.servers.get(record.fingerprint);
      this.servers.delete(record.fingerprint);
      if (server) closing.push(server.close(deadline));
    }
    record.releasing = Promise.all(closing).then(() => undefined);
    return record.releasing;
  }

  /** Stops accepting. The listening handle closes at once, so the port can be bound again right away. */
  private unbind(): void {
    if (listeners.get(this.key) === this) listeners.delete(this.key);
    for (const s of this.sockets) s.close();
  }

  private onConnection(socket: net.Socket): void {
    const lease = this.current();
    const server = lease && this.servers.get(lease.fingerprint);
    if (!server) return void socket.destroy();
    server.inject(socket);
  }

  dispatchHttp(req: http.IncomingMessage, res: http.ServerResponse): void {
    const handler = this.current()?.handler as HttpHandler | undefined;
    try {
      if (!handler) throw new Error('no handler');
      handler(req, res);
    } catch {
      if (!res.headersSent) res.writeHead(503, { 'content-type': 'text/plain', connection: 'close' });
      res.end('service unavailable\n');
    }
  }

  grpcHandler(signal: Signal): GrpcExportHandler | undefined {
    return (this.current()?.handler as GrpcHandlers | undefined)?.[signal];
  }

  grpcRefused(reason: string, details: string, peer: string): void {
    (this.current()?.handler as GrpcHandlers | undefined)?.refused?.(reason, details, peer);
  }
}

const BIND_HINTS: Record<string, string> = {
  EADDRINUSE: 'the address is already in use (another process or listener holds the port)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'that address does not belong to this machine',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved right now',
};

function bindError(endpoint: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  const why = (code && BIND_HINTS[code]) ?? (err as Error)?.message ?? String(err);
  const out = new Error(`cannot listen on ${endpoint}: ${why}${code ? ` (${code})` : ''}`, { cause: err }) as NodeJS.ErrnoException;
  out.code = code;
  return out;
}
