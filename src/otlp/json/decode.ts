/**
 * OTLP/JSON request and response decoding: the entry points.
 *
 * Follows the OTLP spec's "JSON Protobuf Encoding" (proto3 JSON mapping with
 * hex trace/span ids), and is lenient where real senders deviate from it:
 * original snake_case field names and enum value names are accepted too.
 */
import type { Signal } from '../../model/batch';
import type { ResourceLogs } from '../../model/logs';
import type { ResourceMetrics } from '../../model/metrics';
import type { ResourceSpans } from '../../model/traces';
import { type DecodeResult, OtlpDecodeError } from '../decode-result';
import { type FieldNames, LOGS_ENVELOPE, METRICS_ENVELOPE, TRACES_ENVELOPE } from '../signals';
import { logsFromRoot, tracesFromRoot } from './decode-logs-traces';
import { metricsFromRoot } from './decode-metrics';
import { bodyText, hasMarkedNumbers, parseJsonBody } from './parse';
import { Ctx, get, i64V, jsonType, objV, type Rec, strV, where } from './read';

function run<T>(obj: unknown, decode: (ctx: Ctx, root: Rec) => T[]): DecodeResult<T> {
  const ctx = new Ctx(hasMarkedNumbers(obj));
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj))
    throw new OtlpDecodeError(`invalid OTLP/JSON: the request must be a JSON object, got ${jsonType(ctx, obj)}`);
  try {
    const data = decode(ctx, obj as Rec);
    return { data, rejected: ctx.rej.count, rejectMessage: ctx.rej.message };
  } catch (e) {
    if (e instanceof OtlpDecodeError) throw e;
    // Never let a bug or an engine limit surface as anything but a 400.
    const why = e instanceof Error ? e.message : String(e);
    throw new OtlpDecodeError(`invalid OTLP/JSON: internal decoder error at ${where(ctx)}: ${why}`);
  }
}

/**
 * Decodes an OTLP/JSON ExportMetricsServiceRequest body (UTF-8 bytes or text).
 * Throws OtlpDecodeError when the body is not valid JSON or a field has the
 * wrong type; invalid data points (a nameless metric's, a histogram's whose
 * bucket counts do not match its bounds, an exemplar with a malformed id) are
 * left out and counted in `rejected`.
 */
export function decodeMetricsRequestJson(body: Uint8Array | string): DecodeResult<ResourceMetrics> {
  return decodeMetricsRequestObject(parseJsonBody(body));
}

/**
 * Decodes an OTLP/JSON ExportLogsServiceRequest body. Log records with a
 * malformed trace or span id are left out and counted in `rejected`.
 */
export function decodeLogsRequestJson(body: Uint8Array | string): DecodeResult<ResourceLogs> {
  return decodeLogsRequestObject(parseJsonBody(body));
}

/**
 * Decodes an OTLP/JSON ExportTraceServiceRequest body. Spans without a valid
 * trace id and span id, or with a malformed parent or link id, are left out
 * and counted in `rejected`.
 */
export function decodeTracesRequestJson(body: Uint8Array | string): DecodeResult<ResourceSpans> {
  return decodeTracesRequestObject(parseJsonBody(body));
}

/**
 * Like decodeMetricsRequestJson, for a body already parsed with parseJsonBody
 * (so a receiver can sniff the signal first without parsing twice). A value
 * from plain JSON.parse works too, minus exactness of bare integers beyond 2^53.
 */
export function decodeMetricsRequestObject(obj: unknown): DecodeResult<ResourceMetrics> {
  return run(obj, metricsFromRoot);
}

/** Like decodeLogsRequestJson, for a body already parsed with parseJsonBody. */
export function decodeLogsRequestObject(obj: unknown): DecodeResult<ResourceLogs> {
  return run(obj, logsFromRoot);
}

/** Like decodeTracesRequestJson, for a body already parsed with parseJsonBody. */
export function decodeTracesRequestObject(obj: unknown): DecodeResult<ResourceSpans> {
  return run(obj, tracesFromRoot);
}

const TOP_KEYS: readonly [Signal, FieldNames][] = [
  ['metrics', METRICS_ENVELOPE.resources],
  ['logs', LOGS_ENVELOPE.resources],
  ['traces', TRACES_ENVELOPE.resources],
];

/**
 * Which signal a parsed request carries, by its top-level field
 * (resourceMetrics / resourceLogs / resourceSpans, or snake_case); undefined
 * when there is none, e.g. for an empty `{}` request.
 */
export function sniffJsonSignal(parsed: unknown): Signal | undefined {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  for (const [signal, [camel, snake]] of TOP_KEYS)
    if (Object.prototype.hasOwnProperty.call(parsed, camel) || Object.prototype.hasOwnProperty.call(parsed, snake))
      return signal;
  return undefined;
}

/** The partial_success count field of each signal's Export*ServiceResponse. */
export const REJECTED_FIELD: Readonly<Record<Signal, readonly [string, string]>> = {
  metrics: ['rejectedDataPoints', 'rejected_data_points'],
  logs: ['rejectedLogRecords', 'rejected_log_records'],
  traces: ['rejectedSpans', 'rejected_spans'],
};

/**
 * Reads an OTLP/JSON Export*ServiceResponse (what an exporter gets back). An
 * empty body counts as full success, as the OpenTelemetry SDKs treat it.
 * Throws OtlpDecodeError on malformed JSON or wrong field types.
 */
export function decodeExportResponseJson(signal: Signal, body: Uint8Array | string): { rejected: number; errorMessage: string } {
  if (bodyText(body).trim() === '') return { rejected: 0, errorMessage: '' };
  const root = parseJsonBody(body);
  const ctx = new Ctx(hasMarkedNumbers(root));
  if (typeof root !== 'object' || root === null || Array.isArray(root))
    throw new OtlpDecodeError(`invalid OTLP/JSON: the response must be a JSON object, got ${jsonType(ctx, root)}`);
  const ps = objV(ctx, get(root as Rec, 'partialSuccess', 'partial_success'), 'partialSuccess');
  if (ps === undefined) return { rejected: 0, errorMessage: '' };
  ctx.path.push('partialSuccess');
  const [camel, snake] = REJECTED_FIELD[signal];
  const rejected = Number(i64V(ctx, get(ps, camel, snake), camel));
  const errorMessage = strV(ctx, get(ps, 'errorMessage', 'error_message'), 'errorMessage');
  return { rejected, errorMessage };
}
