/**
 * OTLP/JSON request and response encoding: lowerCamelCase keys, int64 as
 * decimal strings, hex ids, enums as integers, default-valued fields omitted
 * (except a set oneof member, e.g. `"asDouble":0` or an empty `"gauge":{}`),
 * NaN/±Infinity as "NaN"/"Infinity"/"-Infinity".
 */
import type { Signal } from '../../model/batch';
import type { LogRecord, ResourceLogs } from '../../model/logs';
import type { ResourceMetrics } from '../../model/metrics';
import type { ResourceSpans, Span, SpanEvent, SpanLink } from '../../model/traces';
import { LOGS_ENVELOPE, METRICS_ENVELOPE, TRACES_ENVELOPE } from '../signals';
import { REJECTED_FIELD } from './decode';
import { anyValue, envelopeJson, flat, fld, idFld, intFld, keyValue, listFld, strFld, timeFld } from './encode-common';
import { metric } from './encode-metrics';

/** Serialises metrics as an OTLP/JSON ExportMetricsServiceRequest. */
export function encodeMetricsRequestJson(data: readonly ResourceMetrics[]): string {
  return envelopeJson(data, METRICS_ENVELOPE, metric);
}

/** Serialises logs as an OTLP/JSON ExportLogsServiceRequest. */
export function encodeLogsRequestJson(data: readonly ResourceLogs[]): string {
  return envelopeJson(data, LOGS_ENVELOPE, logRecord);
}

/** Serialises spans as an OTLP/JSON ExportTraceServiceRequest. */
export function encodeTracesRequestJson(data: readonly ResourceSpans[]): string {
  return envelopeJson(data, TRACES_ENVELOPE, span);
}

/**
 * An OTLP/JSON Export*ServiceResponse: `{}` on full success, else a
 * partialSuccess with the signal's rejected count (rejectedDataPoints,
 * rejectedLogRecords or rejectedSpans) and the message. A message with nothing
 * rejected is sent as the spec's warning form (count omitted, i.e. 0).
 */
export function encodeExportResponseJson(signal: Signal, rejected: number, errorMessage: string): string {
  if (rejected === 0 && errorMessage === '') return '{}';
  let s = rejected === 0 ? '{' : fld('{', REJECTED_FIELD[signal][0], '"' + String(rejected) + '"');
  s = strFld(s, 'errorMessage', errorMessage);
  return '{"partialSuccess":' + s + '}}';
}

function logRecord(r: LogRecord): string {
  let s = timeFld('{', 'timeUnixNano', r.timeMs, r.timeNs);
  s = timeFld(s, 'observedTimeUnixNano', r.observedTimeMs, r.observedTimeNs);
  s = intFld(s, 'severityNumber', r.severityNumber);
  s = strFld(s, 'severityText', r.severityText);
  if (r.body.kind !== 'empty') s = fld(s, 'body', anyValue(r.body));
  s = listFld(s, 'attributes', r.attributes, keyValue);
  s = intFld(s, 'droppedAttributesCount', r.droppedAttributesCount);
  s = intFld(s, 'flags', r.flags);
  s = idFld(s, 'traceId', r.traceId);
  s = idFld(s, 'spanId', r.spanId);
  return flat(strFld(s, 'eventName', r.eventName) + '}');
}

function event(e: SpanEvent): string {
  let s = timeFld('{', 'timeUnixNano', e.timeMs, e.timeNs);
  s = strFld(s, 'name', e.name);
  s = listFld(s, 'attributes', e.attributes, keyValue);
  return intFld(s, 'droppedAttributesCount', e.droppedAttributesCount) + '}';
}

function link(l: SpanLink): string {
  let s = idFld('{', 'traceId', l.traceId);
  s = idFld(s, 'spanId', l.spanId);
  s = strFld(s, 'traceState', l.traceState);
  s = listFld(s, 'attributes', l.attributes, keyValue);
  s = intFld(s, 'droppedAttributesCount', l.droppedAttributesCount);
  return intFld(s, 'flags', l.flags) + '}';
}

function span(sp: Span): string {
  let s = idFld('{', 'traceId', sp.traceId);
  s = idFld(s, 'spanId', sp.spanId);
  s = strFld(s, 'traceState', sp.traceState);
  s = idFld(s, 'parentSpanId', sp.parentSpanId);
  s = intFld(s, 'flags', sp.flags);
  s = strFld(s, 'name', sp.name);
  s = intFld(s, 'kind', sp.kind);
  s = timeFld(s, 'startTimeUnixNano', sp.startTimeMs, sp.startTimeNs);
  s = timeFld(s, 'endTimeUnixNano', sp.endTimeMs, sp.endTimeNs);
  s = listFld(s, 'attributes', sp.attributes, keyValue);
  s = intFld(s, 'droppedAttributesCount', sp.droppedAttributesCount);
  s = listFld(s, 'events', sp.events, event);
  s = intFld(s, 'droppedEventsCount', sp.droppedEventsCount);
  s = listFld(s, 'links', sp.links, link);
  s = intFld(s, 'droppedLinksCount', sp.droppedLinksCount);
  const st = sp.status;
  if (st.code !== 0 || st.message !== '') s = fld(s, 'status', intFld(strFld('{', 'message', st.message), 'code', st.code) + '}');
  return flat(s + '}');
}
