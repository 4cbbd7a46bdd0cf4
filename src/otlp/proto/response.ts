/**
 * Export*ServiceResponse for all three signals. They share one shape:
 * `partial_success` (field 1) holding the rejected count (field 1, int64:
 * rejected_data_points / rejected_log_records / rejected_spans) and
 * `error_message` (field 2).
 */
import type { Signal } from '../../model/batch';
import { finishError, withPath, ProtoReader } from './reader';
import { SHARED_WRITER as w } from './writer';

const RESPONSE_NAMES: Record<Signal, string> = {
  metrics: 'ExportMetricsServiceResponse',
  logs: 'ExportLogsServiceResponse',
  traces: 'ExportTraceServiceResponse',
};

/**
 * Encodes the response to an export request: an empty message when nothing
 * was rejected and there is no message, else `partial_success`. `signal`
 * names the message type; the bytes are the same for all three.
 */
export function encodeExportResponse(signal: Signal, rejected: number, errorMessage: string): Uint8Array {
  void signal;
  if (rejected === 0 && errorMessage === '') return new Uint8Array(0);
  w.reset();
  w.uint32(0x0a);
  const s = w.begin();
  if (rejected !== 0) {
    w.uint32(0x08);
    w.int64(rejected);
  }
  if (errorMessage !== '') {
    w.uint32(0x12);
    w.string(errorMessage);
  }
  w.end(s);
  return w.finish();
}

/**
 * Decodes an Export*ServiceResponse (what an OTLP exporter reads back).
 * Throws OtlpDecodeError when the bytes are not a valid message.
 */
export function decodeExportResponse(signal: Signal, buf: Uint8Array): { rejected: number; errorMessage: string } {
  const r = new ProtoReader(buf);
  let rejected = 0;
  let errorMessage = '';
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag !== 0x0a) {
        r.skip(tag);
        continue;
      }
      const end = r.lenEnd();
      try {
        while (r.pos < end) {
          const t = r.uint32();
          if (t === 0x08) rejected = Number(r.int64());
          else if (t === 0x12) errorMessage = r.string();
          else r.skip(t);
        }
        r.endMessage(end);
      } catch (e) {
        withPath(e, 'partial_success');
      }
    }
  } catch (e) {
    finishError(e, RESPONSE_NAMES[signal]);
  }
  return { rejected, errorMessage };
}
