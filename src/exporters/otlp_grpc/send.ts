/**
 * Sends one batch over OTLP/gRPC on our own unary gRPC client
 * (net/grpc-client.ts): the request is already protobuf bytes, and goes out
 * as those bytes (no framing copy).
 */
import fs from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Batch, Signal } from '../../model/batch';
import { GrpcChannel } from '../../net/grpc-client';
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

/** `host:port` or `[v6]:port` apart. */
function splitTarget(target: string): { host: string; port: number } {
  const colon = target.lastIndexOf(':');
  const host = target.slice(0, colon);
  return { host: host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host, port: Number(target.slice(colon + 1)) };
}

/** The TLS options for the channel, as the Go collector's `tls` settings mean them. */
function tlsOptions(t: TlsClientConfig, host: string): tls.ConnectionOptions {
  const name = t.server_name_override;
  const options: tls.ConnectionOptions = {
    ca: t.ca_file ? fs.readFileSync(t.ca_file) : undefined,
    key: t.key_file ? fs.readFileSync(t.key_file) : undefined,
    cert: t.cert_file ? fs.readFileSync(t.cert_file) : undefined,
    servername: name ?? (net.isIP(host) ? undefined : host),
    rejectUnauthorized: !t.insecure_skip_verify,
  };
  if (t.insecure_skip_verify) options.checkServerIdentity = () => undefined;
  else if (name) options.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(name, cert);
  return options;
}

export class GrpcSender {
  private readonly channel: GrpcChannel;
  /** @param buffers where wire-form batches are encoded (a parameter so tests can watch the lending) */
  constructor(
    private readonly config: GrpcSenderConfig,
    private readonly buffers = new BufferPool(),
  ) {
    const { target, secure } = parseGrpcEndpoint(config.endpoint, config.tls);
    const { host, port } = splitTarget(target);
    this.channel = new GrpcChannel({
      host,
      port,
      tls: secure ? tlsOptions(config.tls, host) : undefined,
      metadata: Object.entries(config.headers).map(([k, v]) => [k.toLowerCase(), v] as const),
      gzip: config.compression === 'gzip',
      userAgent: 'otel-pipeline',
    });
  }

  /** Resolves with what the server refused in a partial_success; throws SendFailure. */
  async send(batch: Batch, abort?: AbortSignal): Promise<{ rejected: number; errorMessage: string }> {
    if (abort?.aborted) throw new SendFailure('the export was cancelled', { retryable: true, reason: 'cancelled' });
    // Wire-form batches are encoded into a pooled buffer, given back when the
    // call is over and its bytes will not be read again (see CallOptions.released).
    let lent: Uint8Array | undefined;
    const raw = encodeRequest(batch, 'proto', (size) => (lent = this.buffers.take(size)).subarray(0, size));
    const body = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    const outcome = await this.channel.unary(GRPC_METHODS[batch.signal], body, {
      timeout: this.config.timeout,
      signal: abort,
      released: (reusable) => {
        if (lent && reusable) this.buffers.give(lent);
      },
    });
    if (outcome.code !== 0) throw classifyGrpcStatus(outcome.code, outcome.details, outcome.statusDetails);
    return readExportResponse(batch.signal, outcome.response ?? Buffer.alloc(0), 'proto');
  }

  close(): void {
    this.channel.close();
  }
}
