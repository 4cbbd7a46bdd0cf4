/**
 * Encoding the traces model as a canonical ExportTraceServiceRequest: fields
 * in field-number order, proto3 defaults omitted.
 */
import type { ResourceSpans, Span } from '../../model/traces';
import { writeKeyValues, writeResource, writeScope, writeStringField } from './common';
import { SHARED_WRITER as w } from './writer';

/** Encodes an ExportTraceServiceRequest (canonical proto3). Returns a fresh copy the caller owns. */
export function encodeTracesRequest(data: readonly ResourceSpans[]): Uint8Array {
  w.reset();
  for (const rs of data) {
    w.uint32(0x0a);
    const r = w.begin();
    writeResource(w, rs.resource);
    for (const ss of rs.scopeSpans) {
      w.uint32(0x12);
      const s = w.begin();
      writeScope(w, ss.scope);
      for (const span of ss.spans) writeSpan(span);
      writeStringField(w, 0x1a, ss.schemaUrl);
      w.end(s);
    }
    writeStringField(w, 0x1a, rs.schemaUrl);
    w.end(r);
  }
  return w.finish();
}

function bytesField(tag: number, b: Uint8Array): void {
  if (b.length) {
    w.uint32(tag);
    w.bytes(b);
  }
}

function uint32Field(tag: number, v: number): void {
  if (v !== 0) {
    w.uint32(tag);
    w.uint32(v >>> 0);
  }
}

function writeSpan(span: Span): void {
  w.uint32(0x12);
  const s = w.begin();
  bytesField(0x0a, span.traceId);
  bytesField(0x12, span.spanId);
  writeStringField(w, 0x1a, span.traceState);
  bytesField(0x22, span.parentSpanId);
  writeStringField(w, 0x2a, span.name);
  if (span.kind !== 0) {
    w.uint32(0x30);
    w.int32(span.kind);
  }
  w.time(0x39, span.startTimeMs, span.startTimeNs);
  w.time(0x41, span.endTimeMs, span.endTimeNs);
  writeKeyValues(w, 0x4a, span.attributes);
  uint32Field(0x50, span.droppedAttributesCount);
  for (const ev of span.events) {
    w.uint32(0x5a);
    const e = w.begin();
    w.time(0x09, ev.timeMs, ev.timeNs);
    writeStringField(w, 0x12, ev.name);
    writeKeyValues(w, 0x1a, ev.attributes);
    uint32Field(0x20, ev.droppedAttributesCount);
    w.end(e);
  }
  uint32Field(0x60, span.droppedEventsCount);
  for (const link of span.links) {
    w.uint32(0x6a);
    const l = w.begin();
    bytesField(0x0a, link.traceId);
    bytesField(0x12, link.spanId);
    writeStringField(w, 0x1a, link.traceState);
    writeKeyValues(w, 0x22, link.attributes);
    uint32Field(0x28, link.droppedAttributesCount);
    if (link.flags !== 0) {
      w.uint32(0x35);
      w.fixed32(link.flags);
    }
    w.end(l);
  }
  uint32Field(0x70, span.droppedLinksCount);
  const st = span.status;
  if (st.message !== '' || st.code !== 0) {
    w.uint32(0x7a);
    const t = w.begin();
    writeStringField(w, 0x12, st.message);
    if (st.code !== 0) {
      w.uint32(0x18);
      w.int32(st.code);
    }
    w.end(t);
  }
  if (span.flags !== 0) {
    w.uint32(0x85);
    w.fixed32(span.flags);
  }
  w.end(s);
}
