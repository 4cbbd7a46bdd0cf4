/**
 * Decoding opentelemetry/proto/trace/v1/trace.proto (ExportTraceServiceRequest)
 * into the model. Encoding is in traces-encode.ts.
 */
import type { KeyValue } from '../../model/common';
import type { ResourceSpans, Span, SpanEvent, SpanLink, SpanStatus } from '../../model/traces';
import type { DecodeResult, Rejections } from '../decode-result';
import { TRACES_ENVELOPE } from '../signals';
import { readKeyValue, seg } from './common';
import { decodeEnvelope, wireDecoder } from './envelope';
import { SKIM_TRACES } from './skim';
import { withPath, type ProtoReader } from './reader';

const NO_BYTES: Uint8Array = new Uint8Array(0);

/** A span, left out unless its ids have the lengths the spec requires. */
function readValidSpan(r: ProtoReader, i: number, rej: Rejections): Span | undefined {
  const span = readSpan(r, i, rej);
  const p = span.parentSpanId.length;
  if (span.traceId.length === 16 && span.spanId.length === 8 && (p === 0 || p === 8)) return span;
  rej.add(1, 'spans must have a 16-byte trace_id, an 8-byte span_id and an empty or 8-byte parent_span_id');
  return undefined;
}

/**
 * Decodes an ExportTraceServiceRequest. Throws OtlpDecodeError when the bytes
 * are not a valid message. Spans without a 16-byte trace_id and an 8-byte
 * span_id (or with a parent_span_id that is neither empty nor 8 bytes) are
 * left out and counted in `rejected`; a link with impossible ids is dropped
 * from its span (counted in dropped_links_count) with a warning.
 */
export function decodeTracesRequest(buf: Uint8Array): DecodeResult<ResourceSpans> {
  return decodeEnvelope(buf, TRACES_ENVELOPE, readValidSpan);
}

/**
 * The same, except that resources stay in their wire form (model/wire.ts)
 * when the request can be forwarded as it is; they keep `buf`.
 */
export const decodeTracesRequestWire = wireDecoder(TRACES_ENVELOPE, readValidSpan, SKIM_TRACES);

function readSpan(r: ProtoReader, i: number, rej: Rejections): Span {
  const end = r.lenEnd();
  try {
    let traceId = NO_BYTES;
    let spanId = NO_BYTES;
    let traceState = '';
    let parentSpanId = NO_BYTES;
    let flags = 0;
    let name = '';
    let kind = 0;
    let startTimeMs = 0;
    let startTimeNs = 0;
    let endTimeMs = 0;
    let endTimeNs = 0;
    const attributes: KeyValue[] = [];
    let droppedAttributesCount = 0;
    const events: SpanEvent[] = [];
    let droppedEventsCount = 0;
    const links: SpanLink[] = [];
    let droppedLinksCount = 0;
    let badLinks = 0;
    let status: SpanStatus | undefined;
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag) {
        case 0x0a:
          traceId = r.bytes();
          break;
        case 0x12:
          spanId = r.bytes();
          break;
        case 0x1a:
          traceState = r.string();
          break;
        case 0x22:
          parentSpanId = r.bytes();
          break;
        case 0x2a:
          name = r.string();
          break;
        case 0x30:
          kind = r.uint32() | 0;
          break;
        case 0x39:
          r.time();
          startTimeMs = r.ms;
          startTimeNs = r.ns;
          break;
        case 0x41:
          r.time();
          endTimeMs = r.ms;
          endTimeNs = r.ns;
          break;
        case 0x4a:
          attributes.push(readKeyValue(r, 'attributes', attributes.length));
          break;
        case 0x50:
          droppedAttributesCount = r.uint32();
          break;
        case 0x5a:
          events.push(readEvent(r, events.length));
          break;
        case 0x60:
          droppedEventsCount = r.uint32();
          break;
        case 0x6a: {
          const link = readLink(r, links.length + badLinks);
          const t = link.traceId.length;
          const s = link.spanId.length;
          if ((t === 0 || t === 16) && (s === 0 || s === 8)) links.push(link);
          else badLinks++;
          break;
        }
        case 0x70:
          droppedLinksCount = r.uint32();
          break;
        case 0x7a:
          status = readStatus(r);
          break;
        case 0x85: // field 16, fixed32: the tag is two bytes on the wire.
          flags = r.fixed32();
          break;
        default:
          r.skip(tag);
      }
    }
    r.endMessage(end);
    if (badLinks) {
      droppedLinksCount += badLinks;
      rej.add(0, 'span links must have an empty or 16-byte trace_id and an empty or 8-byte span_id; dropped');
    }
    if (traceId === NO_BYTES) traceId = new Uint8Array(0);
    if (spanId === NO_BYTES) spanId = new Uint8Array(0);
    if (parentSpanId === NO_BYTES) parentSpanId = new Uint8Array(0);
    status ??= { message: '', code: 0 };
    return {
      traceId, spanId, traceState, parentSpanId, flags, name, kind,
      startTimeMs, startTimeNs, endTimeMs, endTimeNs, attributes, droppedAttributesCount,
      events, droppedEventsCount, links, droppedLinksCount, status,
    };
  } catch (e) {
    return withPath(e, seg('spans', i));
  }
}

function readEvent(r: ProtoReader, i: number): SpanEvent {
  const end = r.lenEnd();
  try {
    let timeMs = 0;
    let timeNs = 0;
    let name = '';
    const attributes: KeyValue[] = [];
    let droppedAttributesCount = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x09) {
        r.time();
        timeMs = r.ms;
        timeNs = r.ns;
      } else if (tag === 0x12) name = r.string();
      else if (tag === 0x1a) attributes.push(readKeyValue(r, 'attributes', attributes.length));
      else if (tag === 0x20) droppedAttributesCount = r.uint32();
      else r.skip(tag);
    }
    r.endMessage(end);
    return { timeMs, timeNs, name, attributes, droppedAttributesCount };
  } catch (e) {
    return withPath(e, seg('events', i));
  }
}

function readLink(r: ProtoReader, i: number): SpanLink {
  const end = r.lenEnd();
  try {
    let traceId = NO_BYTES;
    let spanId = NO_BYTES;
    let traceState = '';
    const attributes: KeyValue[] = [];
    let droppedAttributesCount = 0;
    let flags = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x0a) traceId = r.bytes();
      else if (tag === 0x12) spanId = r.bytes();
      else if (tag === 0x1a) traceState = r.string();
      else if (tag === 0x22) attributes.push(readKeyValue(r, 'attributes', attributes.length));
      else if (tag === 0x28) droppedAttributesCount = r.uint32();
      else if (tag === 0x35) flags = r.fixed32();
      else r.skip(tag);
    }
    r.endMessage(end);
    if (traceId === NO_BYTES) traceId = new Uint8Array(0);
    if (spanId === NO_BYTES) spanId = new Uint8Array(0);
    return { traceId, spanId, traceState, attributes, droppedAttributesCount, flags };
  } catch (e) {
    return withPath(e, seg('links', i));
  }
}

function readStatus(r: ProtoReader): SpanStatus {
  const end = r.lenEnd();
  try {
    let message = '';
    let code = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x12) message = r.string();
      else if (tag === 0x18) code = r.uint32() | 0;
      else r.skip(tag);
    }
    r.endMessage(end);
    return { message, code };
  } catch (e) {
    return withPath(e, 'status');
  }
}
