/**
 * opentelemetry/proto/logs/v1/logs.proto (ExportLogsServiceRequest):
 * decoding into the model and canonical encoding from it.
 */
import { EMPTY, type AnyValue, type InstrumentationScope, type KeyValue, type Resource } from '../../model/common';
import type { LogRecord, ResourceLogs, ScopeLogs } from '../../model/logs';
import { Rejections, type DecodeResult } from '../decode-result';
import {
  readAnyValue, readKeyValue, readResource, readScope, seg,
  writeAnyValue, writeKeyValues, writeResource, writeScope, writeStringField,
} from './common';
import { finishError, withPath, ProtoReader } from './reader';
import { SHARED_WRITER as w } from './writer';

const NO_BYTES: Uint8Array = new Uint8Array(0);

/**
 * Decodes an ExportLogsServiceRequest. Throws OtlpDecodeError when the bytes
 * are not a valid message; log records whose trace_id / span_id have an
 * impossible length are left out and counted in `rejected`.
 */
export function decodeLogsRequest(buf: Uint8Array): DecodeResult<ResourceLogs> {
  const r = new ProtoReader(buf);
  const rej = new Rejections();
  const data: ResourceLogs[] = [];
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag === 0x0a) data.push(readResourceLogs(r, data.length, rej));
      else r.skip(tag);
    }
  } catch (e) {
    finishError(e, 'ExportLogsServiceRequest');
  }
  return { data, rejected: rej.count, rejectMessage: rej.message };
}

function readResourceLogs(r: ProtoReader, i: number, rej: Rejections): ResourceLogs {
  const end = r.lenEnd();
  try {
    let resource: Resource | undefined;
    const scopeLogs: ScopeLogs[] = [];
    let schemaUrl = '';
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x0a) resource = readResource(r);
      else if (tag === 0x12) scopeLogs.push(readScopeLogs(r, scopeLogs.length, rej));
      else if (tag === 0x1a) schemaUrl = r.string();
      else r.skip(tag);
    }
    r.endMessage(end);
    resource ??= { attributes: [], droppedAttributesCount: 0, entityRefs: [] };
    return { resource, scopeLogs, schemaUrl };
  } catch (e) {
    return withPath(e, seg('resource_logs', i));
  }
}

function readScopeLogs(r: ProtoReader, i: number, rej: Rejections): ScopeLogs {
  const end = r.lenEnd();
  try {
    let scope: InstrumentationScope | undefined;
    const logRecords: LogRecord[] = [];
    let schemaUrl = '';
    let n = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x0a) scope = readScope(r);
      else if (tag === 0x12) {
        const lr = readLogRecord(r, n++);
        const t = lr.traceId.length;
        const s = lr.spanId.length;
        if ((t === 0 || t === 16) && (s === 0 || s === 8)) logRecords.push(lr);
        else rej.add(1, 'log record trace_id must be empty or 16 bytes and span_id empty or 8 bytes');
      } else if (tag === 0x1a) schemaUrl = r.string();
      else r.skip(tag);
    }
    r.endMessage(end);
    scope ??= { name: '', version: '', attributes: [], droppedAttributesCount: 0 };
    return { scope, logRecords, schemaUrl };
  } catch (e) {
    return withPath(e, seg('scope_logs', i));
  }
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

/** Encodes an ExportLogsServiceRequest (canonical proto3). Returns a fresh copy the caller owns. */
export function encodeLogsRequest(data: readonly ResourceLogs[]): Uint8Array {
  w.reset();
  for (const rl of data) {
    w.uint32(0x0a);
    const r = w.begin();
    writeResource(w, rl.resource);
    for (const sl of rl.scopeLogs) {
      w.uint32(0x12);
      const s = w.begin();
      writeScope(w, sl.scope);
      for (const lr of sl.logRecords) writeLogRecord(lr);
      writeStringField(w, 0x1a, sl.schemaUrl);
      w.end(s);
    }
    writeStringField(w, 0x1a, rl.schemaUrl);
    w.end(r);
  }
  return w.finish();
}

function writeLogRecord(lr: LogRecord): void {
  w.uint32(0x12);
  const s = w.begin();
  w.time(0x09, lr.timeMs, lr.timeNs);
  if (lr.severityNumber !== 0) {
    w.uint32(0x10);
    w.int32(lr.severityNumber);
  }
  writeStringField(w, 0x1a, lr.severityText);
  if (lr.body.kind !== 'empty') {
    w.uint32(0x2a);
    const b = w.begin();
    writeAnyValue(w, lr.body);
    w.end(b);
  }
  writeKeyValues(w, 0x32, lr.attributes);
  if (lr.droppedAttributesCount !== 0) {
    w.uint32(0x38);
    w.uint32(lr.droppedAttributesCount >>> 0);
  }
  if (lr.flags !== 0) {
    w.uint32(0x45);
    w.fixed32(lr.flags);
  }
  if (lr.traceId.length) {
    w.uint32(0x4a);
    w.bytes(lr.traceId);
  }
  if (lr.spanId.length) {
    w.uint32(0x52);
    w.bytes(lr.spanId);
  }
  w.time(0x59, lr.observedTimeMs, lr.observedTimeNs);
  writeStringField(w, 0x62, lr.eventName);
  w.end(s);
}
