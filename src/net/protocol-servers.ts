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
import * as grpc from '@grpc/grpc-js';
import { SIGNALS, type Signal } from '../model/batch';

export interface TlsServerFiles {
  certFile: string;
  keyFile: string;
  /** When set, clients must present a certificate signed by this CA (mTLS). */
  clientCaFile?: string;
  /** Lowest TLS version accepted (HTTP only; gRPC needs 1.2 anyway). */
  minVersion?: '1.2' | '1.3';
}

export type HttpHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
export type GrpcExportHandler = grpc.handleUnaryCall<Buffer, Buffer>;
export type GrpcHandlers = Partial<Record<Signal, GrpcExportHandler>>;

/** The gRPC method path of each signal's OTLP Export call. */
export const OTLP_GRPC_PATHS: Record<Signal, string> = {
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
};

export interface ProtocolServer {
  inject(socket: net.Socket): void;
  close(deadline: number): Promise<void>;
}

/** TLS files as read when the lease was taken. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
  minVersion?: '1.2' | '1.3';
}

/** HTTP or HTTPS over connections handed to it; never listens itself. */
export class HttpProtocolServer implements ProtocolServer {
  private readonly server: http.Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly responses = new Set<http.ServerResponse>();
  private closed: Promise<void> | undefined;
  private onEmpty: (() => void) | undefined;

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
      ? https.createServer(
          {
            cert: tls.cert,
            key: tls.key,
            ca: tls.clientCa,
            requestCert: tls.clientCa !== undefined,
            rejectUnauthorized: tls.clientCa !== undefined,
            minVersion: tls.minVersion === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
          },
          onRequest,
        )
      : http.createServer(onRequest);
    // Node arms its slow-request timers and idle-connection tracking on
    // 'listening'; this server never listens (the Listener's socket does).
    this.server.emit('listening');
  }

  inject(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (this.sockets.size === 0) this.onEmpty?.();
    });
    this.server.emit('connection', socket);
  }

  close(deadline: number): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      for (const res of this.responses) if (!res.headersSent) res.setHeader('connection', 'close');
      this.server.close(() => {}); // closes idle keep-alive connections
      const timer = setTimeout(() => this.sockets.forEach((s) => s.destroy()), Math.max(0, deadline - Date.now()));
      this.onEmpty = () => {
        clearTimeout(timer);
        resolve();
      };
      if (this.sockets.size === 0) this.onEmpty();
    });
    return this.closed;
  }
}

/** A grpc-js server fed through its connection injector, with the OTLP services registered once. */
export class GrpcProtocolServer implements ProtocolServer {
  private readonly server: grpc.Server;
  private readonly injector: grpc.ConnectionInjector;
  private closed: Promise<void> | undefined;

  /** `handlerFor` is asked on every call, so the newest lease answers. */
  constructor(endpoint: string, handlerFor: (signal: Signal) => GrpcExportHandler | undefined, tls: TlsMaterial | undefined, maxRecv: number | undefined) {
    const options: grpc.ServerOptions = {};
    if (maxRecv !== undefined) options['grpc.max_receive_message_length'] = maxRecv;
    this.server = new grpc.Server(options);
    for (const signal of SIGNALS) {
      const identity = (b: Buffer) => b;
      const definition: grpc.ServiceDefinition = {
        Export: {
          path: OTLP_GRPC_PATHS[signal],
          requestStream: false,
          responseStream: false,
          // Requests stay bytes: the handler decodes, so a bad message becomes
          // INVALID_ARGUMENT with the decoder's words, not a grpc-js internal error.
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      };
      this.server.addService(definition, {
        Export: ((call, callback) => {
          const handler = handlerFor(signal);
          if (handler) return handler(call, callback);
          callback({ code: grpc.status.UNIMPLEMENTED, details: `${endpoint} does not accept ${signal}` });
        }) satisfies GrpcExportHandler,
      });
    }
    const credentials = tls
      ? grpc.ServerCredentials.createSsl(tls.clientCa ?? null, [{ private_key: tls.key, cert_chain: tls.cert }], tls.clientCa !== undefined)
      : grpc.ServerCredentials.createInsecure();
    this.injector = this.server.createConnectionInjector(credentials);
  }

  inject(socket: net.Socket): void {
    this.injector.injectConnection(socket);
  }

  close(deadline: number): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, Math.max(0, deadline - Date.now()));
      // Sends GOAWAY; calls in flight finish, then each session closes.
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.closed;
  }
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
