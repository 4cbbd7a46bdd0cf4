/**
 * The envelope all three OTLP requests share, described once per signal for
 * both codecs (protobuf and JSON, decode and encode):
 *
 *   Export*ServiceRequest { repeated ResourceX resource_x = 1; }
 *   ResourceX { Resource resource = 1; repeated ScopeX scope_x = 2; string schema_url = 3; }
 *   ScopeX    { InstrumentationScope scope = 1; repeated Item items = 2; string schema_url = 3; }
 *
 * Only the names and the item (Metric, LogRecord, Span) differ between
 * signals. A codec walks the envelope generically with one of these and the
 * signal's item reader or writer.
 */
import type { InstrumentationScope, Resource } from '../model/common';
import type { LogRecord, ResourceLogs, ScopeLogs } from '../model/logs';
import type { Metric, ResourceMetrics, ScopeMetrics } from '../model/metrics';
import type { ResourceSpans, ScopeSpans, Span } from '../model/traces';

/** A repeated field's names: lowerCamelCase (JSON) and the proto's snake_case. */
export type FieldNames = readonly [camel: string, snake: string];

/** What every signal's ResourceX and ScopeX model objects have in common. */
export interface ResourceX {
  resource: Resource;
  schemaUrl: string;
}
export interface ScopeX {
  scope: InstrumentationScope;
  schemaUrl: string;
}

/** One signal's envelope. R: its ResourceX, S: its ScopeX, T: its item. */
export interface SignalEnvelope<R extends ResourceX, S extends ScopeX, T> {
  /** The request message, which starts protobuf error paths. */
  readonly request: string;
  readonly resources: FieldNames;
  readonly scopes: FieldNames;
  readonly items: FieldNames;
  /** Build the model objects, so each signal keeps its own field names (and one object shape each). */
  readonly resource: (resource: Resource, scopes: S[], schemaUrl: string) => R;
  readonly scope: (scope: InstrumentationScope, items: T[], schemaUrl: string) => S;
  /** Walk the model on encode. */
  readonly scopesOf: (r: R) => readonly S[];
  readonly itemsOf: (s: S) => readonly T[];
}

export const METRICS_ENVELOPE: SignalEnvelope<ResourceMetrics, ScopeMetrics, Metric> = {
  request: 'ExportMetricsServiceRequest',
  resources: ['resourceMetrics', 'resource_metrics'],
  scopes: ['scopeMetrics', 'scope_metrics'],
  items: ['metrics', 'metrics'],
  resource: (resource, scopeMetrics, schemaUrl) => ({ resource, scopeMetrics, schemaUrl }),
  scope: (scope, metrics, schemaUrl) => ({ scope, metrics, schemaUrl }),
  scopesOf: (r) => r.scopeMetrics,
  itemsOf: (s) => s.metrics,
};

export const LOGS_ENVELOPE: SignalEnvelope<ResourceLogs, ScopeLogs, LogRecord> = {
  request: 'ExportLogsServiceRequest',
  resources: ['resourceLogs', 'resource_logs'],
  scopes: ['scopeLogs', 'scope_logs'],
  items: ['logRecords', 'log_records'],
  resource: (resource, scopeLogs, schemaUrl) => ({ resource, scopeLogs, schemaUrl }),
  scope: (scope, logRecords, schemaUrl) => ({ scope, logRecords, schemaUrl }),
  scopesOf: (r) => r.scopeLogs,
  itemsOf: (s) => s.logRecords,
};

export const TRACES_ENVELOPE: SignalEnvelope<ResourceSpans, ScopeSpans, Span> = {
  request: 'ExportTraceServiceRequest',
  resources: ['resourceSpans', 'resource_spans'],
  scopes: ['scopeSpans', 'scope_spans'],
  items: ['spans', 'spans'],
  resource: (resource, scopeSpans, schemaUrl) => ({ resource, scopeSpans, schemaUrl }),
  scope: (scope, spans, schemaUrl) => ({ scope, spans, schemaUrl }),
  scopesOf: (r) => r.scopeSpans,
  itemsOf: (s) => s.spans,
};
