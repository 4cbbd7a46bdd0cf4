/**
 * The protocol servers the listener registry (listeners.ts) feeds accepted
 * connections to. None of them listens itself: the registry's socket for the
 * endpoint does, and hands each new connection to the server built for the
 * current lease's options, so options can change without closing the port.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type * as net from 'node:net';
import { SIGNALS, type Signal } from '../model/batch';
import { GrpcServer, type GrpcError, type GrpcRefusedHook, type GrpcUnaryHandler } from './grpc-server';
import { GrpcStatus } from './grpc-status';
import { InjectedSockets } from './injected-sockets';
import { tlsServerOptions, type TlsMaterial } from './tls-options';

export type { TlsMaterial } from './tls-options';

export interface TlsServerFiles {
  certFile: string;
  keyFile: string;
  /** When set, clients must present a certificate signed by this CA (mTLS). */
  clientCaFile?: string;
  /** Lowest TLS version accepted. */
  minVersion?: '1.2' | '1.3';
}

export type HttpHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
export type GrpcExportHandler = GrpcUnaryHandler;
export type { GrpcCall, GrpcCallback, GrpcError } from './grpc-server';
export type GrpcHandlers = Partial<Record<Signal, GrpcExportHandler>> & {
  /** Told of each call the transport refused before an Export handler saw it. */
  refused?: GrpcRefusedHook;
};

/** The gRPC method path of each signal's OTLP Export call. */
export const OTLP_GRPC_PATHS: Record<Signal, string> = {
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
};

/** gRPC's default `max_receive_message_length`. */
const DEFAULT_MAX_RECV = 4 * 1024 * 1024;

export interface ProtocolServer {
  inject(socket: net.Socket): void;
  close(deadline: number): Promise<void>;
}


/** HTTP or HTTPS over connections handed to it; never listens itself. */
export class HttpProtocolServer implements ProtocolServer {
  private readonly server: http.Server;
  private readonly connections = new InjectedSockets();
  private readonly responses = new Set<http.ServerResponse>();
  private closed: Promise<void> | undefined;

  constructor(dispatch: HttpHandler, tls: TlsMaterial | undefined) {
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
      this.responses.add(res);
      if (this.closed) res.setHeader('connection', 'close');
      res.once('close', () => {
        this.responses.delete(res);
        if (this.closed) setImmediate(() => this.server.closeIdleConnections());
      });
      dispatch(req, res);
    };
    this.server = tls
      ? https.createServer(tlsServerOptions(tls), onRequest)
      : http.createServer(onRequest);
    // Node arms its slow-request timers and idle-connection tracking on
    // 'listening'; this server never listens (the Listener's socket does).
    this.server.emit('listening');
  }

  inject(socket: net.Socket): void {
    this.connections.inject(socket, this.server);
  }

  close(deadline: number): Promise<void> {
    if (!this.closed) {
      for (const res of this.responses) if (!res.headersSent) res.setHeader('connection', 'close');
      this.server.close(() => {}); // closes idle keep-alive connections
      this.closed = this.connections.whenClosed(deadline);
    }
    return this.closed;
  }
}

/** The OTLP Export methods on our own gRPC server (grpc-server.ts), fed connections like the HTTP one. */
export class GrpcProtocolServer implements ProtocolServer {
  private readonly server: GrpcServer;

  /** `handlerFor` and `refused` are asked on every call, so the newest lease answers. */
  constructor(endpoint: string, handlerFor: (signal: Signal) => GrpcExportHandler | undefined, refused: GrpcRefusedHook, tls: TlsMaterial | undefined, maxRecv: number | undefined) {
    const signals = new Map<string, Signal>(SIGNALS.map((s) => [OTLP_GRPC_PATHS[s], s]));
    const route = (path: string): GrpcExportHandler | GrpcError => {
      const signal = signals.get(path);
      if (signal === undefined) return unknownMethod(path);
      return handlerFor(signal) ?? { code: GrpcStatus.UNIMPLEMENTED, details: `${endpoint} does not accept ${signal}` };
    };
    this.server = new GrpcServer({ route, refused, maxRecvBytes: maxRecv ?? DEFAULT_MAX_RECV, tls });
  }

  inject(socket: net.Socket): void {
    this.server.inject(socket);
  }

  close(deadline: number): Promise<void> {
    return this.server.close(deadline);
  }
}

/** grpc-go's words for a path no service serves. */
function unknownMethod(path: string): GrpcError {
  const slash = path.lastIndexOf('/');
  const service = slash > 0 ? path.slice(path.startsWith('/') ? 1 : 0, slash) : '';
  if (!service) return { code: GrpcStatus.UNIMPLEMENTED, details: `malformed method name: ${JSON.stringify(path)}` };
  const known = SIGNALS.some((s) => OTLP_GRPC_PATHS[s].startsWith(`/${service}/`));
  return { code: GrpcStatus.UNIMPLEMENTED, details: known ? `unknown method ${path.slice(slash + 1)} for service ${service}` : `unknown service ${service}` };
}

export function readTls(endpoint: string, files: TlsServerFiles): TlsMaterial {
  const read = (what: string, file: string) => {
    try {
      return fs.readFileSync(file);
    } catch (err) {
      throw new Error(`cannot serve TLS on ${endpoint}: cannot read ${what} "${file}": ${(err as Error).message}`, { cause: err });
    }
  };
  return {
    cert: read('cert_file', files.certFile),
    key: read('key_file', files.keyFile),
    clientCa: files.clientCaFile === undefined ? undefined : read('client_ca_file', files.clientCaFile),
    minVersion: files.minVersion,
  };
}
