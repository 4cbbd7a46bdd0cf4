/**
 * Encoding the traces model as a canonical ExportTraceServiceRequest: fields
 * in field-number order, proto3 defaults omitted.
 */
import type { ResourceSpans, Span } from '../../model/traces';
import { TRACES_ENVELOPE } from '../signals';
import {
  writeBytesField, writeFixed32Field, writeInt32Field, writeKeyValues, writeStringField, writeUint32Field,
} from './common';
import { encodeEnvelope, type Alloc } from './envelope';
import { SHARED_WRITER as w } from './writer';

/** Encodes an ExportTraceServiceRequest (canonical proto3). Returns a fresh copy the caller owns. */
export function encodeTracesRequest(data: readonly ResourceSpans[], alloc?: Alloc): Uint8Array {
  return encodeEnvelope(data, TRACES_ENVELOPE, writeSpan, alloc);
}

/** A Span's fields (the envelope writes its tag and length). */
function writeSpan(span: Span): void {
  writeBytesField(w, 0x0a, span.traceId);
  writeBytesField(w, 0x12, span.spanId);
  writeStringField(w, 0x1a, span.traceState);
  writeBytesField(w, 0x22, span.parentSpanId);
  writeStringField(w, 0x2a, span.name);
  writeInt32Field(w, 0x30, span.kind);
  w.time(0x39, span.startTimeMs, span.startTimeNs);
  w.time(0x41, span.endTimeMs, span.endTimeNs);
  writeKeyValues(w, 0x4a, span.attributes);
  writeUint32Field(w, 0x50, span.droppedAttributesCount);
  for (const ev of span.events) {
    w.uint32(0x5a);
    const e = w.begin();
    w.time(0x09, ev.timeMs, ev.timeNs);
    writeStringField(w, 0x12, ev.name);
    writeKeyValues(w, 0x1a, ev.attributes);
    writeUint32Field(w, 0x20, ev.droppedAttributesCount);
    w.end(e);
  }
  writeUint32Field(w, 0x60, span.droppedEventsCount);
  for (const link of span.links) {
    w.uint32(0x6a);
    const l = w.begin();
    writeBytesField(w, 0x0a, link.traceId);
    writeBytesField(w, 0x12, link.spanId);
    writeStringField(w, 0x1a, link.traceState);
    writeKeyValues(w, 0x22, link.attributes);
    writeUint32Field(w, 0x28, link.droppedAttributesCount);
    writeFixed32Field(w, 0x35, link.flags);
    w.end(l);
  }
  writeUint32Field(w, 0x70, span.droppedLinksCount);
  const st = span.status;
  if (st.message !== '' || st.code !== 0) {
    w.uint32(0x7a);
    const t = w.begin();
    writeStringField(w, 0x12, st.message);
    writeInt32Field(w, 0x18, st.code);
    w.end(t);
  }
  writeFixed32Field(w, 0x85, span.flags); // field 16: the tag is two bytes on the wire
}
