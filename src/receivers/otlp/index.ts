/**
 * The `otlp` receiver: OTLP over gRPC (:4317) and HTTP (:4318), protobuf and
 * JSON, for metrics, logs and traces. See README.md beside this file.
 */
import type { Signal } from '../../model/batch';
import type { ComponentSettings, Consumer, Receiver, ReceiverFactory } from '../../pipeline/component';
import { acquireGrpc, acquireHttp, type Lease, type TlsServerFiles } from '../../net/listeners';
import { bearerTokenCheck } from './auth';
import { otlpReceiverSchema, resolveOtlpConfig, type OtlpReceiverConfig, type ResolvedOtlpConfig, type TlsConfig } from './config';
import { ExportCore, ReceiverCounters } from './core';
import { createGrpcHandlers } from './grpc';
import { createHttpHandler } from './http';

export type { OtlpReceiverConfig } from './config';

/** Where a started receiver listens (`host:port`, the real port when 0 was configured). */
export interface OtlpReceiverAddresses {
  grpc?: string;
  http?: string;
}

export class OtlpReceiver implements Receiver {
  private readonly config: ResolvedOtlpConfig;
  private readonly core: ExportCore;
  private leases: { grpc?: Lease; http?: Lease } = {};
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    config: OtlpReceiverConfig,
    private readonly settings: ComponentSettings,
    next: Partial<Record<Signal, Consumer>>,
  ) {
    this.config = resolveOtlpConfig(config);
    this.core = new ExportCore(settings.id, settings.logger, new ReceiverCounters(settings.meter, settings.id), next);
  }

  start(): Promise<void> {
    this.starting ??= this.acquire();
    return this.starting;
  }

  private async acquire(): Promise<void> {
    const { grpc, http, bearerToken } = this.config;
    const auth = bearerToken === undefined ? undefined : bearerTokenCheck(bearerToken);
    // The registry's message already names the endpoint and the cause.
    const what = (proto: string, err: unknown) => new Error(`receiver "${this.settings.id}" (${proto}): ${(err as Error)?.message ?? String(err)}`, { cause: err });
    try {
      if (grpc) {
        const handlers = createGrpcHandlers({ core: this.core, config: grpc, auth });
        const options = { tls: tlsFiles(grpc.tls), maxRecvMsgSizeBytes: Math.floor(grpc.max_recv_msg_size_mib * 1024 * 1024) };
        this.leases.grpc = await acquireGrpc(grpc.endpoint, options, handlers).catch((e) => Promise.reject(what('OTLP/gRPC', e)));
      }
      if (http) {
        const handler = createHttpHandler({ core: this.core, config: http, auth });
        this.leases.http = await acquireHttp(http.endpoint, { tls: tlsFiles(http.tls) }, handler).catch((e) => Promise.reject(what('OTLP/HTTP', e)));
      }
    } catch (err) {
      await this.releaseAll(Date.now() + 1000);
      throw err;
    }
    const addrs = this.addresses();
    this.settings.logger.info('OTLP receiver listening', { grpc: addrs.grpc, http: addrs.http, auth: auth ? 'bearer_token' : 'none' });
  }

  /**
   * Stops taking requests on its endpoints (the port closes unless a newer
   * receiver holds it) and waits for the requests in flight to be answered.
   */
  shutdown(deadline: number): Promise<void> {
    if (!this.starting) return Promise.resolve();
    this.stopping ??= (async () => {
      await this.starting!.catch(() => undefined);
      await Promise.all([this.releaseAll(deadline), this.core.waitIdle(deadline)]);
    })();
    return this.stopping;
  }

  private async releaseAll(deadline: number): Promise<void> {
    const leases = Object.values(this.leases);
    this.leases = {};
    await Promise.all(leases.map((l) => l.release(deadline)));
  }

  /** The bound addresses while started; handy when the config says port 0. */
  addresses(): OtlpReceiverAddresses {
    return { grpc: this.leases.grpc?.address, http: this.leases.http?.address };
  }
}

function tlsFiles(tls: TlsConfig | undefined): TlsServerFiles | undefined {
  if (!tls) return undefined;
  return { certFile: tls.cert_file, keyFile: tls.key_file, clientCaFile: tls.client_ca_file, minVersion: tls.min_version };
}

export const otlpReceiverFactory = {
  kind: 'receiver',
  type: 'otlp',
  description: 'Receives OTLP metrics, logs and traces over gRPC and HTTP (protobuf or JSON).',
  schema: otlpReceiverSchema,
  stability: { metrics: 'stable', logs: 'stable', traces: 'stable' },
  create(config: OtlpReceiverConfig, settings: ComponentSettings, next: Partial<Record<Signal, Consumer>>): OtlpReceiver {
    return new OtlpReceiver(config, settings, next);
  },
} satisfies ReceiverFactory<OtlpReceiverConfig>;
