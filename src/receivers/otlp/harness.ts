/**
 * Test support for the otlp receiver tests (not used by the daemon): real
 * consumers that record or refuse, a log capture, and raw HTTP and gRPC
 * clients that show exactly what went over the wire.
 */
import * as http from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { metrics } from '@opentelemetry/api';
import type { Batch, Signal } from '../../model/batch';
import type { ComponentSettings, Consumer } from '../../pipeline/component';
import { PipelineError, type ErrorCode } from '../../pipeline/errors';
import { createLogger, LogOutput, type Logger } from '../../telemetry/logger';
import { OTLP_GRPC_PATHS } from '../../net/listeners';
import { otlpReceiverFactory, type OtlpReceiver, type OtlpReceiverConfig } from './index';

/** Records every batch; `hold()` makes the next consumes wait until `releaseHeld()`. */
export class RecordingConsumer implements Consumer {
  readonly batches: Batch[] = [];
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  waiting = 0;

  hold(): void {
    this.gate = new Promise((r) => (this.open = r));
  }

  releaseHeld(): void {
    this.open?.();
    this.gate = undefined;
  }

  async consume(batch: Batch): Promise<void> {
    if (this.gate) {
      this.waiting++;
      await this.gate;
      this.waiting--;
    }
    this.batches.push(batch);
  }
}

export class RefusingConsumer implements Consumer {
  calls = 0;
  constructor(
    private readonly code: ErrorCode,
    private readonly retryAfterMs?: number,
  ) {}
  async consume(): Promise<void> {
    this.calls++;
    throw new PipelineError(this.code, `test consumer says ${this.code}`, { componentId: 'exporter test', retryAfterMs: this.retryAfterMs });
  }
}

export interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger(new LogOutput('debug', { write: (l) => void lines.push(JSON.parse(l)) }), { component: 'receiver otlp' });
  return { logger, lines };
}

export function settings(logger: Logger, id = 'otlp'): ComponentSettings {
  return { id, kind: 'receiver', logger, meter: metrics.getMeter('test') };
}

export interface Started {
  receiver: OtlpReceiver;
  lines: LogLine[];
  grpc: string;
  http: string;
  httpPort: number;
  stop(): Promise<void>;
}

/** Starts a receiver on free ports (both protocols unless the config says otherwise). */
export async function startReceiver(config: OtlpReceiverConfig, next: Partial<Record<Signal, Consumer>>, id = 'otlp'): Promise<Started> {
  const { logger, lines } = captureLogger();
  const cfg: OtlpReceiverConfig = config.protocols
    ? config
    : { ...config, protocols: { grpc: { endpoint: '127.0.0.1:0' }, http: { endpoint: '127.0.0.1:0' } } };
  const receiver = otlpReceiverFactory.create(cfg, settings(logger, id), next);
  await receiver.start();
  const addrs = receiver.addresses();
  return {
    receiver,
    lines,
    grpc: addrs.grpc ?? '',
    http: addrs.http ?? '',
    httpPort: addrs.http ? Number(addrs.http.split(':').pop()) : 0,
    stop: () => receiver.shutdown(Date.now() + 5000),
  };
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface RequestOptions {
  port: number;
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Send the body as these chunks with Transfer-Encoding: chunked. */
  chunks?: Buffer[];
}

/** One request on a fresh connection; resolves with the response even if the server hangs up afterwards. */
export function request(o: RequestOptions): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: o.port, path: o.path ?? '/v1/metrics', method: o.method ?? 'POST', headers: o.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (o.chunks) {
      const write = (i: number): void => {
        if (i === o.chunks!.length) return void req.end();
        if (req.destroyed) return;
        if (req.write(o.chunks![i])) write(i + 1);
        else req.once('drain', () => write(i + 1));
      };
      write(0);
    } else req.end(o.body);
  });
}

/** Decodes a google.rpc.Status protobuf (code, message) by hand. */
export function decodeStatus(buf: Buffer): { code: number; message: string; hasDetails: boolean } {
  let i = 0;
  let code = 0;
  let message = '';
  let hasDetails = false;
  const varint = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = buf[i++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const tag = varint();
    if (tag === 0x08) code = varint();
    else if (tag === 0x12 || tag === 0x1a) {
      const len = varint();
      if (tag === 0x12) message = buf.subarray(i, i + len).toString('utf8');
      else hasDetails = true;
      i += len;
    } else throw new Error(`unexpected tag ${tag}`);
  }
  return { code, message, hasDetails };
}

export interface GrpcResult {
  code: grpc.status;
  details: string;
  response?: Buffer;
  trailers?: grpc.Metadata;
}

/** A raw unary call to an OTLP Export method, with a hand-made method definition. */
export function grpcExport(
  address: string,
  signal: Signal,
  body: Buffer,
  metadata: Record<string, string> = {},
  options: grpc.ChannelOptions = {},
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
): Promise<GrpcResult> {
  const client = new grpc.Client(address, credentials, options);
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  const identity = (b: Buffer) => b;
  return new Promise<GrpcResult>((resolve) => {
    let trailers: grpc.Metadata | undefined;
    const call = client.makeUnaryRequest(OTLP_GRPC_PATHS[signal], identity, identity, body, md, { deadline: Date.now() + 5_000 }, (err, response) => {
      if (err) resolve({ code: err.code, details: err.details, trailers: err.metadata });
      else resolve({ code: grpc.status.OK, details: '', response, trailers });
    });
    call.on('status', (s: grpc.StatusObject) => (trailers = s.metadata));
  }).finally(() => client.close());
}

/** Polls `cond` until it holds or `timeoutMs` passes. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
