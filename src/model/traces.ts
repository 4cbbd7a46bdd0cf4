/** OTLP traces (opentelemetry/proto/trace/v1/trace.proto) as plain objects. */
import type { Attributes, InstrumentationScope, Resource } from './common';
import { wireOf } from './wire';

export interface SpanEvent {
  timeMs: number;
  timeNs: number;
  name: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface SpanLink {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  flags: number;
}

export interface SpanStatus {
  message: string;
  /** 0 unset, 1 ok, 2 error. */
  code: number;
}

export interface Span {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState: string;
  /** Empty when the span is a root. */
  parentSpanId: Uint8Array;
  flags: number;
  name: string;
  /** 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeMs: number;
  startTimeNs: number;
  endTimeMs: number;
  endTimeNs: number;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  status: SpanStatus;
}

export interface ScopeSpans {
  scope: InstrumentationScope;
  spans: Span[];
  schemaUrl: string;
}

export interface ResourceSpans {
  resource: Resource;
  scopeSpans: ScopeSpans[];
  schemaUrl: string;
}

export function countSpans(rss: readonly ResourceSpans[]): number {
  let n = 0;
  for (const rs of rss) {
    const wire = wireOf(rs);
    if (wire) n += wire.items;
    else for (const ss of rs.scopeSpans) n += ss.spans.length;
  }
  return n;
}
