/**
 * Turns what an OTLP server answered into the exporter helper's SendError:
 * retryable (the helper backs off and tries again, honouring the server's
 * delay) or permanent (counted as dropped with the reason). One place, so
 * the HTTP and gRPC exporters classify alike.
 */
import { decodeRpcStatus } from './status';

/**
 * A classified send failure. The factories turn it into the helper's
 * SendFailure at the boundary, so sending and classifying stand on their own.
 */
export class SendFailure extends Error {
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly reason: string;
  constructor(message: string, opts: { retryable: boolean; retryAfterMs?: number; reason: string }) {
    super(message);
    this.name = 'SendFailure';
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs;
    this.reason = opts.reason;
  }
}

/** HTTP statuses the OTLP spec says to retry. */
const RETRYABLE_HTTP = new Set([429, 502, 503, 504]);

/** Node socket errors worth a retry: the server may be back soon. */
const RETRYABLE_NET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/**
 * `Retry-After` as delay-seconds or an HTTP date, in ms from `now`;
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const text = v.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * The server's message from an error body: a `google.rpc.Status` in protobuf
 * or JSON when it is one, else the text itself (trimmed and capped).
 */
export function errorBodyMessage(body: Uint8Array, contentType: string | undefined): string {
  if (body.length === 0) return '';
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('protobuf')) {
    try {
      return decodeRpcStatus(body).message;
    } catch {
      return '';
    }
  }
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (ct.includes('json')) {
    try {
      const parsed = JSON.parse(text) as { message?: unknown };
      if (parsed && typeof parsed.message === 'string') return parsed.message;
    } catch {
      /* not JSON after all: fall through to the text */
    }
  }
  return text.trim().slice(0, 512);
}

/** The SendFailure for a non-2xx HTTP response. */
export function classifyHttpStatus(status: number, headers: Record<string, string | string[] | undefined>, body: Uint8Array): SendFailure {
  const message = errorBodyMessage(body, headers['content-type'] as string | undefined);
  const text = `HTTP ${status}${message ? `: ${message}` : ''}`;
  if (RETRYABLE_HTTP.has(status)) {
    return new SendFailure(text, { retryable: true, retryAfterMs: parseRetryAfter(headers['retry-after']), reason: `http_${status}` });
  }
  return new SendFailure(text, { retryable: false, reason: `http_${status}` });
}

/** The SendFailure for a request that got no response (socket error, timeout, abort). */
export function classifyNetworkError(err: unknown): SendFailure {
  if (err instanceof SendFailure) return err;
  const e = err as NodeJS.ErrnoException & { name?: string };
  const code = e?.code ?? (e?.name === 'AbortError' || e?.name === 'TimeoutError' ? 'ETIMEDOUT' : undefined);
  const message = e instanceof Error ? e.message : String(err);
  if (code && RETRYABLE_NET.has(code)) return new SendFailure(`${code}: ${message}`, { retryable: true, reason: code.toLowerCase() });
  // Any other transport failure (TLS verification, protocol errors) is retried
  // too, as the Go collector does: the server or its certificate may be fixed
  // while the queue holds the data, and max_elapsed_time still bounds it.
  // Only an error with no code at all (a bug on our side) is permanent.
  if (code) return new SendFailure(`${code}: ${message}`, { retryable: true, reason: code.toLowerCase() });
  return new SendFailure(message, { retryable: false, reason: 'error' });
}

/** gRPC status codes (grpc-js `status`), named for the reason label. */
const GRPC_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

/** Retryable whatever the details say (the Go collector's list). */
const RETRYABLE_GRPC = new Set([1, 4, 10, 11, 14, 15]); // CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS
const RESOURCE_EXHAUSTED = 8;

/**
 * The SendFailure for a failed gRPC call. `statusDetails` is the raw
 * `grpc-status-details-bin` trailer; a RetryInfo in it sets the delay, and
 * is what makes RESOURCE_EXHAUSTED retryable (without it the server is saying
 * the request can never fit).
 */
export function classifyGrpcStatus(code: number, details: string, statusDetails: Uint8Array | undefined): SendFailure {
  let retryDelayMs: number | undefined;
  if (statusDetails && statusDetails.length > 0) {
    try {
      retryDelayMs = decodeRpcStatus(statusDetails).retryDelayMs;
    } catch {
      /* an unreadable trailer: classify by the code alone */
    }
  }
  const name = GRPC_NAMES[code] ?? `CODE_${code}`;
  const text = `gRPC ${name}${details ? `: ${details}` : ''}`;
  const reason = `grpc_${name.toLowerCase()}`;
  if (RETRYABLE_GRPC.has(code) || (code === RESOURCE_EXHAUSTED && retryDelayMs !== undefined)) {
    return new SendFailure(text, { retryable: true, retryAfterMs: retryDelayMs, reason });
  }
  return new SendFailure(text, { retryable: false, reason });
}
