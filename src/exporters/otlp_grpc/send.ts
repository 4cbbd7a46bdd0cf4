/**
 * Sends one batch over OTLP/gRPC with a generic grpc-js client: the request
 * is already protobuf bytes, so the (de)serialisers are the identity and no
 * .proto files are loaded.
 */
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { Batch, Signal } from '../../model/batch';
import { BufferPool } from '../otlp_common/buffer-pool';
import { classifyGrpcStatus, SendFailure } from '../otlp_common/classify';
import { encodeRequest, readExportResponse } from '../otlp_common/codec';
import type { TlsClientConfig } from '../otlp_common/config';

export const GRPC_METHODS: Record<Signal, string> = {
  metrics: '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export',
  logs: '/opentelemetry.proto.collector.logs.v1.LogsService/Export',
  traces: '/opentelemetry.proto.collector.trace.v1.TraceService/Export',
};

export interface GrpcSenderConfig {
  endpoint: string;
  headers: Record<string, string>;
  compression: 'gzip' | 'none' | '';
  /** ms; 0 = none. */
  timeout: number;
  tls: TlsClientConfig;
}

/**
 * `host:port` or a URL. A scheme picks TLS like the Go collector does:
 * `http://` is plaintext, `https://` TLS; without one, `tls.insecure` decides.
 */
export function parseGrpcEndpoint(endpoint: string, tls: TlsClientConfig): { target: string; secure: boolean } {
  const m = /^(https?):\/\/([^/]+)\/?$/i.exec(endpoint.trim());
  if (m) {
    const secure = m[1].toLowerCase() === 'https';
    const hostPort = m[2].includes(':') && !m[2].endsWith(']') ? m[2] : `${m[2]}:${secure ? 443 : 80}`;
    return { target: hostPort, secure: secure && !tls.insecure };
  }
  if (!/^[^\s/]+:\d+$/.test(endpoint.trim())) throw new Error(`"${endpoint}" is not host:port or an http(s):// URL`);
  return { target: endpoint.trim(), secure: !tls.insecure };
}

const identity = (b: Buffer): Buffer => b;

export class GrpcSender {
  private readonly client: grpc.Client;
  private readonly metadata: grpc.Metadata;
  /** @param buffers where wire-form batches are encoded (a parameter so tests can watch the lending) */
  constructor(
    private readonly config: GrpcSenderConfig,
    private readonly buffers = new BufferPool(),
  ) {
    const { target, secure } = parseGrpcEndpoint(config.endpoint, config.tls);
    const tls = config.tls;
    const creds = secure
      ? grpc.credentials.createSsl(
          tls.ca_file ? fs.readFileSync(tls.ca_file) : null,
          tls.key_file ? fs.readFileSync(tls.key_file) : null,
          tls.cert_file ? fs.readFileSync(tls.cert_file) : null,
          tls.insecure_skip_verify ? { checkServerIdentity: () => undefined, rejectUnauthorized: false } : undefined,
        )
      : grpc.credentials.createInsecure();
    const options: grpc.ChannelOptions = {
      // gzip = 2 in grpc-js's compression algorithm enum.
      'grpc.default_compression_algorithm': config.compression === 'gzip' ? 2 : 0,
      'grpc.primary_user_agent': 'otel-pipeline',
      // Reconnect quickly when a collector comes back (the retry loop paces us).
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
    };
    if (tls.server_name_override) options['grpc.ssl_target_name_override'] = tls.server_name_override;
    this.client = new grpc.Client(target, creds, options);
    this.metadata = new grpc.Metadata();
    for (const [k, v] of Object.entries(config.headers)) this.metadata.set(k.toLowerCase(), v);
  }

  /** Resolves with what the server refused in a partial_success; throws SendFailure. */
  send(batch: Batch, abort?: AbortSignal): Promise<{ rejected: number; errorMessage: string }> {
    if (abort?.aborted) return Promise.reject(new SendFailure('the export was cancelled', { retryable: true, reason: 'cancelled' }));
    // Wire-form batches are copied into a pooled buffer, given back when the
    // call has ended: grpc-js has framed (copied) or dropped the message by then.
    let lent: Uint8Array | undefined;
    const raw = encodeRequest(batch, 'proto', (size) => (lent = this.buffers.take(size)).subarray(0, size));
    const body = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    return new Promise((resolve, reject) => {
      const options: grpc.CallOptions = this.config.timeout > 0 ? { deadline: Date.now() + this.config.timeout } : {};
      const call = this.client.makeUnaryRequest<Buffer, Buffer>(GRPC_METHODS[batch.signal], identity, identity, body, this.metadata.clone(), options, (err, res) => {
        if (lent) this.buffers.give(lent);
        abort?.removeEventListener('abort', onAbort);
        if (err) {
          const trailer = err.metadata?.get('grpc-status-details-bin')[0];
          reject(toFailure(err, typeof trailer === 'string' ? Buffer.from(trailer, 'base64') : trailer));
        } else resolve(readExportResponse(batch.signal, res ?? Buffer.alloc(0), 'proto'));
      });
      const onAbort = (): void => call.cancel();
      abort?.addEventListener('abort', onAbort, { once: true });
    });
  }

  close(): void {
    this.client.close();
  }
}

function toFailure(err: grpc.ServiceError, trailer: Buffer | undefined): SendFailure {
  return classifyGrpcStatus(err.code, err.details, trailer);
}
