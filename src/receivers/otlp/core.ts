/**
 * What the gRPC and HTTP sides of the receiver share: decoding, handing the
 * batch to the pipeline, mapping the outcome to the wire, self-telemetry and
 * the count of requests in flight (so shutdown can wait for them).
 */
import type { Counter, Meter } from '@opentelemetry/api';
import { GrpcStatus } from '../../net/grpc-status';
import { countItems, ITEM_NAME, SIGNALS, type Batch, type RequestContext, type Signal } from '../../model/batch';
import type { Consumer } from '../../pipeline/component';
import { asPipelineError } from '../../pipeline/errors';
import type { Logger } from '../../telemetry/logger';
import type { DecodeResult } from '../../otlp/decode-result';
import { decodeLogsRequest, decodeLogsRequestWire, decodeMetricsRequest, decodeMetricsRequestWire, decodeTracesRequest, decodeTracesRequestWire } from '../../otlp/proto';
import {
  decodeLogsRequestJson,
  decodeLogsRequestObject,
  decodeMetricsRequestJson,
  decodeMetricsRequestObject,
  decodeTracesRequestJson,
  decodeTracesRequestObject,
} from '../../otlp/json';

export type Transport = 'grpc' | 'http';
type Decoded = DecodeResult<unknown>;

const decodeProtoEager: Record<Signal, (body: Uint8Array) => Decoded> = {
  metrics: decodeMetricsRequest,
  logs: decodeLogsRequest,
  traces: decodeTracesRequest,
};
const decodeProtoWire: Record<Signal, (body: Uint8Array) => Decoded> = {
  metrics: decodeMetricsRequestWire,
  logs: decodeLogsRequestWire,
  traces: decodeTracesRequestWire,
};
export const decodeJson: Record<Signal, (body: Uint8Array | string) => Decoded> = {
  metrics: decodeMetricsRequestJson,
  logs: decodeLogsRequestJson,
  traces: decodeTracesRequestJson,
};
export const decodeJsonObject: Record<Signal, (obj: unknown) => Decoded> = {
  metrics: decodeMetricsRequestObject,
  logs: decodeLogsRequestObject,
  traces: decodeTracesRequestObject,
};

/** Why a request was not (fully) accepted, in both transports' terms. */
export interface Refusal {
  httpStatus: number;
  grpcCode: GrpcStatus;
  message: string;
  /** The `reason` attribute of the refused counters. */
  reason: string;
  retryAfterMs?: number;
}

export type DeliveryOutcome = { ok: true; rejected: number; message: string } | { ok: false; refusal: Refusal };

/**
 * A consumer's rejection on the wire. Load and outages are retryable (503 /
 * UNAVAILABLE, with a delay). A permanent downstream failure is not the
 * client's fault, so it is 500 / INTERNAL rather than 400 / INVALID_ARGUMENT:
 * both tell the SDKs not to retry (OTLP spec), and only the first is honest.
 * The Go collector makes the same choice.
 */
export function consumerRefusal(err: unknown): Refusal {
  const e = asPipelineError(err);
  switch (e.code) {
    case 'OVERLOADED':
      return { httpStatus: 503, grpcCode: GrpcStatus.UNAVAILABLE, reason: 'downstream_overloaded', retryAfterMs: e.retryAfterMs ?? 1000, message: `the pipeline is overloaded, retry later: ${e.message}` };
    case 'UNAVAILABLE':
      return { httpStatus: 503, grpcCode: GrpcStatus.UNAVAILABLE, reason: 'downstream_unavailable', retryAfterMs: e.retryAfterMs ?? 1000, message: `the pipeline is unavailable, retry later: ${e.message}` };
    default:
      return { httpStatus: 500, grpcCode: GrpcStatus.INTERNAL, reason: 'downstream_error', message: `the pipeline could not accept the data (a retry will not help): ${e.message}` };
  }
}

export class ReceiverCounters {
  private readonly accepted = {} as Record<Signal, Counter>;
  private readonly refused = {} as Record<Signal, Counter>;
  private readonly refusedRequests: Counter;

  constructor(
    meter: Meter,
    private readonly receiver: string,
  ) {
    for (const s of SIGNALS) {
      this.accepted[s] = meter.createCounter(`otel_pipeline_receiver_accepted_${ITEM_NAME[s]}`, { description: `${ITEM_NAME[s]} the receiver handed to the pipeline and the pipeline accepted` });
      this.refused[s] = meter.createCounter(`otel_pipeline_receiver_refused_${ITEM_NAME[s]}`, { description: `${ITEM_NAME[s]} the receiver refused, by reason` });
    }
    this.refusedRequests = meter.createCounter('otel_pipeline_receiver_refused_requests', { description: 'Requests refused before their items could be counted, by reason' });
  }

  accept(signal: Signal, transport: Transport, items: number): void {
    if (items > 0) this.accepted[signal].add(items, { receiver: this.receiver, transport });
  }

  refuse(signal: Signal, transport: Transport, items: number, reason: string): void {
    if (items > 0) this.refused[signal].add(items, { receiver: this.receiver, transport, reason });
  }

  refuseRequest(transport: Transport, reason: string): void {
    this.refusedRequests.add(1, { receiver: this.receiver, transport, reason });
  }
}

export class ExportCore {
  private inflight = 0;
  private idle: (() => void)[] = [];

  constructor(
    readonly id: string,
    readonly logger: Logger,
    readonly counters: ReceiverCounters,
    readonly next: Partial<Record<Signal, Consumer>>,
  ) {}

  /**
   * Decodes a protobuf request body (throws OtlpDecodeError). When nothing
   * downstream looks inside the data, resources stay in their wire form
   * (model/wire.ts) and keep `body`, which the caller must not reuse.
   */
  decodeProto(signal: Signal, body: Uint8Array): Decoded {
    return (this.next[signal]?.takesWire ? decodeProtoWire : decodeProtoEager)[signal](body);
  }

  /** Marks a request in flight; call the result when its response is written. */
  begin(): () => void {
    this.inflight++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (--this.inflight === 0) this.idle.splice(0).forEach((f) => f());
    };
  }

  /** Resolves when no request is in flight, or at `deadline`. */
  waitIdle(deadline: number): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      this.idle.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Hands decoded data to the signal's consumer and waits for it: nothing is
   * acknowledged before the pipeline accepted it. An empty request succeeds
   * without bothering the pipeline (OTLP: "SHOULD respond with success").
   */
  async deliver(signal: Signal, transport: Transport, result: Decoded, context: RequestContext): Promise<DeliveryOutcome> {
    const batch = makeBatch(signal, result.data, context);
    const items = countItems(batch);
    const ok: DeliveryOutcome = { ok: true, rejected: result.rejected, message: result.rejectMessage };
    if (result.rejected > 0) {
      this.counters.refuse(signal, transport, result.rejected, 'partial_success');
      this.logger.debug('OTLP request partly refused', { transport, client: context.clientAddress, signal, rejected: result.rejected, reason: result.rejectMessage });
    }
    if (items === 0) return ok;
    const consumer = this.next[signal];
    if (!consumer) throw new Error(`no consumer for ${signal}`); // callers check first
    try {
      await consumer.consume(batch);
    } catch (err) {
      const refusal = consumerRefusal(err);
      this.counters.refuse(signal, transport, items, refusal.reason);
      this.logger.debug('OTLP request refused by the pipeline', { transport, client: context.clientAddress, signal, items, reason: refusal.reason, error: refusal.message });
      return { ok: false, refusal };
    }
    this.counters.accept(signal, transport, items);
    return ok;
  }

  /** Logs and counts a request refused before its items could be counted. */
  refuseRequest(transport: Transport, client: string, reason: string, message: string): void {
    this.counters.refuseRequest(transport, reason);
    this.logger.debug('OTLP request refused', { transport, client, reason, error: message });
  }
}

function makeBatch(signal: Signal, data: unknown[], context: RequestContext): Batch {
  switch (signal) {
    case 'metrics':
      return { signal, resourceMetrics: data as never, context };
    case 'logs':
      return { signal, resourceLogs: data as never, context };
    case 'traces':
      return { signal, resourceSpans: data as never, context };
  }
}

const RETRY_INFO_TYPE = 'type.googleapis.com/google.rpc.RetryInfo';

/**
 * A `google.rpc.Status` message, by hand (code = 1, message = 2, details = 3),
 * with a `google.rpc.RetryInfo` detail when a retry delay is known.
 */
export function encodeRpcStatus(code: number, message: string, retryAfterMs?: number): Buffer {
  const parts: Buffer[] = [];
  if (code !== 0) parts.push(Buffer.from([0x08, ...varint(code)]));
  if (message) parts.push(lengthDelimited(2, Buffer.from(message, 'utf8')));
  if (retryAfterMs !== undefined) {
    const seconds = Math.floor(retryAfterMs / 1000);
    const nanos = Math.round((retryAfterMs % 1000) * 1e6);
    const duration = Buffer.from([...(seconds ? [0x08, ...varint(seconds)] : []), ...(nanos ? [0x10, ...varint(nanos)] : [])]);
    const retryInfo = lengthDelimited(1, duration);
    const any = Buffer.concat([lengthDelimited(1, Buffer.from(RETRY_INFO_TYPE)), lengthDelimited(2, retryInfo)]);
    parts.push(lengthDelimited(3, any));
  }
  return Buffer.concat(parts);
}

/** The same Status in the proto3 JSON mapping. */
export function encodeRpcStatusJson(code: number, message: string, retryAfterMs?: number): string {
  const status: Record<string, unknown> = { code, message };
  if (retryAfterMs !== undefined) status.details = [{ '@type': RETRY_INFO_TYPE, retryDelay: `${retryAfterMs / 1000}s` }];
  return JSON.stringify(status);
}

function lengthDelimited(field: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...varint(payload.length)]), payload]);
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
