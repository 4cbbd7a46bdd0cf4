/**
 * Batches to and from OTLP request bytes with our own codecs, in protobuf or
 * JSON, and the Export*ServiceResponse read back.
 */
import type { Batch, Signal } from '../../model/batch';
import type { Alloc } from '../../otlp/proto/envelope';
import { decodeExportResponse, decodeLogsRequest, decodeMetricsRequest, decodeTracesRequest, encodeLogsRequest, encodeMetricsRequest, encodeTracesRequest } from '../../otlp/proto';
import {
  decodeExportResponseJson,
  decodeLogsRequestJson,
  decodeMetricsRequestJson,
  decodeTracesRequestJson,
  encodeLogsRequestJson,
  encodeMetricsRequestJson,
  encodeTracesRequestJson,
} from '../../otlp/json';

export type Encoding = 'proto' | 'json';

/** The request body for a batch; protobuf of untouched wire resources goes into what `alloc` lends, if given. */
export function encodeRequest(batch: Batch, encoding: Encoding, alloc?: Alloc): Uint8Array {
  if (encoding === 'json') {
    const text =
      batch.signal === 'metrics'
        ? encodeMetricsRequestJson(batch.resourceMetrics)
        : batch.signal === 'logs'
          ? encodeLogsRequestJson(batch.resourceLogs)
          : encodeTracesRequestJson(batch.resourceSpans);
    return Buffer.from(text, 'utf8');
  }
  switch (batch.signal) {
    case 'metrics':
      return encodeMetricsRequest(batch.resourceMetrics, alloc);
    case 'logs':
      return encodeLogsRequest(batch.resourceLogs, alloc);
    case 'traces':
      return encodeTracesRequest(batch.resourceSpans, alloc);
  }
}

/** Request bytes back to a batch (the persistent queue, and tests). Throws on bytes that do not decode. */
export function decodeRequest(signal: Signal, bytes: Uint8Array, encoding: Encoding): Batch {
  if (encoding === 'json') {
    if (signal === 'metrics') return { signal, resourceMetrics: decodeMetricsRequestJson(bytes).data };
    if (signal === 'logs') return { signal, resourceLogs: decodeLogsRequestJson(bytes).data };
    return { signal, resourceSpans: decodeTracesRequestJson(bytes).data };
  }
  if (signal === 'metrics') return { signal, resourceMetrics: decodeMetricsRequest(bytes).data };
  if (signal === 'logs') return { signal, resourceLogs: decodeLogsRequest(bytes).data };
  return { signal, resourceSpans: decodeTracesRequest(bytes).data };
}

/** The partial_success of a 200 response; an unreadable body counts as full success. */
export function readExportResponse(signal: Signal, body: Uint8Array, encoding: Encoding): { rejected: number; errorMessage: string } {
  if (body.length === 0) return { rejected: 0, errorMessage: '' };
  try {
    return encoding === 'json' ? decodeExportResponseJson(signal, body) : decodeExportResponse(signal, body);
  } catch {
    return { rejected: 0, errorMessage: '' };
  }
}
