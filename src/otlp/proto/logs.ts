/**
 * opentelemetry/proto/logs/v1/logs.proto (ExportLogsServiceRequest):
 * decoding into the model and canonical encoding from it.
 */
import { EMPTY, type AnyValue, type KeyValue } from '../../model/common';
import type { LogRecord, ResourceLogs } from '../../model/logs';
import type { DecodeResult, Rejections } from '../decode-result';
import { LOGS_ENVELOPE } from '../signals';
import {
  readAnyValue, readKeyValue, seg,
  writeAnyValue, writeBytesField, writeFixed32Field, writeInt32Field, writeKeyValues, writeStringField, writeUint32Field,
} from './common';
import { decodeEnvelope, encodeEnvelope, wireDecoder, type Alloc } from './envelope';
import { SKIM_LOGS } from './skim';
import { withPath, type ProtoReader } from './reader';
import { SHARED_WRITER as w } from './writer';

const NO_BYTES: Uint8Array = new Uint8Array(0);

/** A log record, left out when its ids have an impossible length. */
function readValidLogRecord(r: ProtoReader, i: number, rej: Rejections): LogRecord | undefined {
  const lr = readLogRecord(r, i);
  const t = lr.traceId.length;
  const s = lr.spanId.length;
  if ((t === 0 || t === 16) && (s === 0 || s === 8)) return lr;
  rej.add(1, 'log record trace_id must be empty or 16 bytes and span_id empty or 8 bytes');
  return undefined;
}

/**
 * Decodes an ExportLogsServiceRequest. Throws OtlpDecodeError when the bytes
 * are not a valid message; log records whose trace_id / span_id have an
 * impossible length are left out and counted in `rejected`.
 */
export function decodeLogsRequest(buf: Uint8Array): DecodeResult<ResourceLogs> {
  return decodeEnvelope(buf, LOGS_ENVELOPE, readValidLogRecord);
}

/**
 * The same, except that resources stay in their wire form (model/wire.ts)
 * when the request can be forwarded as it is; they keep `buf`.
 */
export const decodeLogsRequestWire = wireDecoder(LOGS_ENVELOPE, readValidLogRecord, SKIM_LOGS);

/** Encodes an ExportLogsServiceRequest (canonical proto3). Returns a fresh copy the caller owns. */
export function encodeLogsRequest(data: readonly ResourceLogs[], alloc?: Alloc): Uint8Array {
  return encodeEnvelope(data, LOGS_ENVELOPE, writeLogRecord, alloc);
}

function readLogRecord(r: ProtoReader, i: number): LogRecord {
  const end = r.lenEnd();
  try {
    let timeMs = 0;
    let timeNs = 0;
    let observedTimeMs = 0;
    let observedTimeNs = 0;
    let severityNumber = 0;
    let severityText = '';
    let body: AnyValue = EMPTY;
    const attributes: KeyValue[] = [];
    let droppedAttributesCount = 0;
    let flags = 0;
    let traceId = NO_BYTES;
    let spanId = NO_BYTES;
    let eventName = '';
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag) {
        case 0x09:
          r.time();
          timeMs = r.ms;
          timeNs = r.ns;
          break;
        case 0x10:
          severityNumber = r.uint32() | 0;
          break;
        case 0x1a:
          severityText = r.string();
          break;
        case 0x2a:
          body = readAnyValue(r, 'body', -1, 0);
          break;
        case 0x32:
          attributes.push(readKeyValue(r, 'attributes', attributes.length));
          break;
        case 0x38:
          droppedAttributesCount = r.uint32();
          break;
        case 0x45:
          flags = r.fixed32();
          break;
        case 0x4a:
          traceId = r.bytes();
          break;
        case 0x52:
          spanId = r.bytes();
          break;
        case 0x59:
          r.time();
          observedTimeMs = r.ms;
          observedTimeNs = r.ns;
          break;
        case 0x62:
          eventName = r.string();
          break;
        default:
          r.skip(tag);
      }
    }
    r.endMessage(end);
    if (traceId === NO_BYTES) traceId = new Uint8Array(0);
    if (spanId === NO_BYTES) spanId = new Uint8Array(0);
    return {
      timeMs, timeNs, observedTimeMs, observedTimeNs, severityNumber, severityText, body,
      attributes, droppedAttributesCount, flags, traceId, spanId, eventName,
    };
  } catch (e) {
    return withPath(e, seg('log_records', i));
  }
}

/** A LogRecord's fields (the envelope writes its tag and length). */
function writeLogRecord(lr: LogRecord): void {
  w.time(0x09, lr.timeMs, lr.timeNs);
  writeInt32Field(w, 0x10, lr.severityNumber);
  writeStringField(w, 0x1a, lr.severityText);
  if (lr.body.kind !== 'empty') {
    w.uint32(0x2a);
    const b = w.begin();
    writeAnyValue(w, lr.body);
    w.end(b);
  }
  writeKeyValues(w, 0x32, lr.attributes);
  writeUint32Field(w, 0x38, lr.droppedAttributesCount);
  writeFixed32Field(w, 0x45, lr.flags);
  writeBytesField(w, 0x4a, lr.traceId);
  writeBytesField(w, 0x52, lr.spanId);
  w.time(0x59, lr.observedTimeMs, lr.observedTimeNs);
  writeStringField(w, 0x62, lr.eventName);
}
