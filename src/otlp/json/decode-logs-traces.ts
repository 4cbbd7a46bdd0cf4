/** OTLP/JSON ExportLogsServiceRequest / ExportTraceServiceRequest → the model. */
import type { LogRecord, ResourceLogs } from '../../model/logs';
import type { ResourceSpans, Span, SpanEvent, SpanLink, SpanStatus } from '../../model/traces';
import { LOGS_ENVELOPE, TRACES_ENVELOPE } from '../signals';
import { anyValueV, envelopeV, itemOk, keyValuesV, messagesV } from './decode-common';
import { type Ctx, enumV, get, idV, markBad, objV, type Rec, strV, timeV, u32V, where } from './read';

const SEVERITY: Record<string, number> = { SEVERITY_NUMBER_UNSPECIFIED: 0 };
['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'].forEach((level, i) => {
  SEVERITY[`SEVERITY_NUMBER_${level}`] = 4 * i + 1;
  for (let k = 2; k <= 4; k++) SEVERITY[`SEVERITY_NUMBER_${level}${k}`] = 4 * i + k;
});

const SPAN_KIND: Readonly<Record<string, number>> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};

const STATUS_CODE: Readonly<Record<string, number>> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

/** The resources of a parsed ExportLogsServiceRequest. */
export function logsFromRoot(ctx: Ctx, root: Rec): ResourceLogs[] {
  return envelopeV(ctx, root, LOGS_ENVELOPE, logRecordV);
}

/** The resources of a parsed ExportTraceServiceRequest. */
export function tracesFromRoot(ctx: Ctx, root: Rec): ResourceSpans[] {
  return envelopeV(ctx, root, TRACES_ENVELOPE, spanV);
}

function logRecordV(ctx: Ctx, o: Rec): LogRecord | undefined {
  let t = timeV(ctx, get(o, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano');
  const timeMs = t.ms;
  const timeNs = t.ns;
  t = timeV(ctx, get(o, 'observedTimeUnixNano', 'observed_time_unix_nano'), 'observedTimeUnixNano');
  const r: LogRecord = {
    timeMs,
    timeNs,
    observedTimeMs: t.ms,
    observedTimeNs: t.ns,
    severityNumber: enumV(ctx, get(o, 'severityNumber', 'severity_number'), 'severityNumber', SEVERITY),
    severityText: strV(ctx, get(o, 'severityText', 'severity_text'), 'severityText'),
    body: anyValueV(ctx, o.body, 'body', 0),
    attributes: keyValuesV(ctx, o.attributes, 'attributes'),
    droppedAttributesCount: u32V(ctx, get(o, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount'),
    flags: u32V(ctx, o.flags, 'flags'),
    traceId: idV(ctx, get(o, 'traceId', 'trace_id'), 'traceId', 16),
    spanId: idV(ctx, get(o, 'spanId', 'span_id'), 'spanId', 8),
    eventName: strV(ctx, get(o, 'eventName', 'event_name'), 'eventName'),
  };
  return itemOk(ctx) ? r : undefined;
}

function droppedV(ctx: Ctx, o: Rec, camel: string, snake: string): number {
  return u32V(ctx, get(o, camel, snake), camel);
}

function eventV(ctx: Ctx, o: Rec): SpanEvent {
  const t = timeV(ctx, get(o, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano');
  return {
    timeMs: t.ms,
    timeNs: t.ns,
    name: strV(ctx, o.name, 'name'),
    attributes: keyValuesV(ctx, o.attributes, 'attributes'),
    droppedAttributesCount: droppedV(ctx, o, 'droppedAttributesCount', 'dropped_attributes_count'),
  };
}

/** A link with a malformed id marks its span invalid: spans are what OTLP counts. */
function linkV(ctx: Ctx, o: Rec): SpanLink {
  return {
    traceId: idV(ctx, get(o, 'traceId', 'trace_id'), 'traceId', 16),
    spanId: idV(ctx, get(o, 'spanId', 'span_id'), 'spanId', 8),
    traceState: strV(ctx, get(o, 'traceState', 'trace_state'), 'traceState'),
    attributes: keyValuesV(ctx, o.attributes, 'attributes'),
    droppedAttributesCount: droppedV(ctx, o, 'droppedAttributesCount', 'dropped_attributes_count'),
    flags: u32V(ctx, o.flags, 'flags'),
  };
}

function statusV(ctx: Ctx, v: unknown): SpanStatus {
  const o = objV(ctx, v, 'status');
  if (o === undefined) return { message: '', code: 0 };
  ctx.path.push('status');
  const s: SpanStatus = { message: strV(ctx, o.message, 'message'), code: enumV(ctx, o.code, 'code', STATUS_CODE) };
  ctx.path.pop();
  return s;
}

function spanV(ctx: Ctx, o: Rec): Span | undefined {
  const traceId = idV(ctx, get(o, 'traceId', 'trace_id'), 'traceId', 16);
  const spanId = idV(ctx, get(o, 'spanId', 'span_id'), 'spanId', 8);
  const traceState = strV(ctx, get(o, 'traceState', 'trace_state'), 'traceState');
  const parentSpanId = idV(ctx, get(o, 'parentSpanId', 'parent_span_id'), 'parentSpanId', 8);
  const flags = u32V(ctx, o.flags, 'flags');
  const name = strV(ctx, o.name, 'name');
  const kind = enumV(ctx, o.kind, 'kind', SPAN_KIND);
  let t = timeV(ctx, get(o, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano');
  const startTimeMs = t.ms;
  const startTimeNs = t.ns;
  t = timeV(ctx, get(o, 'endTimeUnixNano', 'end_time_unix_nano'), 'endTimeUnixNano');
  const s: Span = {
    traceId,
    spanId,
    traceState,
    parentSpanId,
    flags,
    name,
    kind,
    startTimeMs,
    startTimeNs,
    endTimeMs: t.ms,
    endTimeNs: t.ns,
    attributes: keyValuesV(ctx, o.attributes, 'attributes'),
    droppedAttributesCount: droppedV(ctx, o, 'droppedAttributesCount', 'dropped_attributes_count'),
    events: messagesV(ctx, o.events, 'events', eventV),
    droppedEventsCount: droppedV(ctx, o, 'droppedEventsCount', 'dropped_events_count'),
    links: messagesV(ctx, o.links, 'links', linkV),
    droppedLinksCount: droppedV(ctx, o, 'droppedLinksCount', 'dropped_links_count'),
    status: statusV(ctx, o.status),
  };
  if (traceId.length === 0 || spanId.length === 0) markBad(ctx, `${where(ctx)} is a span without a trace id or span id`);
  return itemOk(ctx) ? s : undefined;
}
