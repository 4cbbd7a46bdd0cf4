/**
 * Text renderings of a batch at the debug exporter's three verbosities.
 * basic: one line per batch; normal: one line per metric, log record or span;
 * detailed: every resource, scope, data point and attribute.
 */
import type { Batch } from '../../model/batch';
import { anyValueToString, bytesToHex as hex, type AnyValue, type Attributes, type InstrumentationScope, type Resource } from '../../model/common';
import type { Metric } from '../../model/metrics';
import type { LogRecord } from '../../model/logs';
import type { Span } from '../../model/traces';
import { nanosToString } from '../../model/nanos';
import { describeLine, detailedMetric, temporalityName } from './detail';

export type Verbosity = 'basic' | 'normal' | 'detailed';

export function formatBatch(batch: Batch, verbosity: Verbosity): string[] {
  if (verbosity === 'basic') return [summary(batch)];
  if (verbosity === 'normal') return normal(batch);
  return detailed(batch);
}

function summary(batch: Batch): string {
  switch (batch.signal) {
    case 'metrics': {
      let metrics = 0;
      let points = 0;
      for (const rm of batch.resourceMetrics)
        for (const sm of rm.scopeMetrics)
          for (const m of sm.metrics) {
            metrics++;
            if (m.data.type !== 'empty') points += m.data.dataPoints.length;
          }
      return `Metrics: resource metrics: ${batch.resourceMetrics.length}, metrics: ${metrics}, data points: ${points}`;
    }
    case 'logs': {
      let records = 0;
      for (const rl of batch.resourceLogs) for (const sl of rl.scopeLogs) records += sl.logRecords.length;
      return `Logs: resource logs: ${batch.resourceLogs.length}, log records: ${records}`;
    }
    case 'traces': {
      let spans = 0;
      for (const rs of batch.resourceSpans) for (const ss of rs.scopeSpans) spans += ss.spans.length;
      return `Traces: resource spans: ${batch.resourceSpans.length}, spans: ${spans}`;
    }
  }
}

/** `{k=v, k2=v2}` with values as plain strings. */
export function attrs(a: Attributes): string {
  if (a.length === 0) return '{}';
  let s = '{';
  for (let i = 0; i < a.length; i++) s += (i ? ', ' : '') + a[i].key + '=' + anyValueToString(a[i].value);
  return s + '}';
}

function normal(batch: Batch): string[] {
  const lines = [summary(batch)];
  switch (batch.signal) {
    case 'metrics':
      for (const rm of batch.resourceMetrics)
        for (const sm of rm.scopeMetrics) for (const m of sm.metrics) lines.push(metricLine(m, rm.resource));
      break;
    case 'logs':
      for (const rl of batch.resourceLogs) for (const sl of rl.scopeLogs) for (const r of sl.logRecords) lines.push(logLine(r));
      break;
    case 'traces':
      for (const rs of batch.resourceSpans) for (const ss of rs.scopeSpans) for (const s of ss.spans) lines.push(spanLine(s));
      break;
  }
  return lines;
}

function metricLine(m: Metric, resource: Resource): string {
  const d = m.data;
  let kind: string = d.type;
  if (d.type === 'sum') kind += `(${temporalityName(d.temporality).toLowerCase()}, ${d.isMonotonic ? 'monotonic' : 'non-monotonic'})`;
  else if (d.type === 'histogram' || d.type === 'exponentialHistogram') kind += `(${temporalityName(d.temporality).toLowerCase()})`;
  const points = d.type === 'empty' ? 0 : d.dataPoints.length;
  const service = resource.attributes.find((kv) => kv.key === 'service.name');
  const unit = m.unit ? ` unit=${m.unit}` : '';
  const from = service ? ` service.name=${anyValueToString(service.value)}` : '';
  let values = '';
  if (d.type === 'gauge' || d.type === 'sum') values = ' ' + d.dataPoints.map((p) => `${attrs(p.attributes)} ${String(p.value)}`).join(' ');
  return `${m.name} ${kind}${unit} points=${points}${from}${values}`;
}

function logLine(r: LogRecord): string {
  const time = r.timeMs || r.timeNs ? new Date(r.timeMs).toISOString() : new Date(r.observedTimeMs).toISOString();
  const sev = r.severityText || (r.severityNumber ? `SEV${r.severityNumber}` : '-');
  const name = r.eventName ? ` ${r.eventName}` : '';
  return `${time} ${sev}${name} ${bodyText(r.body)} ${attrs(r.attributes)}`;
}

function bodyText(v: AnyValue): string {
  return v.kind === 'string' ? JSON.stringify(v.value) : anyValueToString(v);
}

function spanLine(s: Span): string {
  const ms = s.endTimeMs - s.startTimeMs + (s.endTimeNs - s.startTimeNs) / 1e6;
  const status = ['UNSET', 'OK', 'ERROR'][s.status.code] ?? String(s.status.code);
  return `${s.name} trace_id=${hex(s.traceId)} span_id=${hex(s.spanId)} duration=${ms.toFixed(3)}ms status=${status} ${attrs(s.attributes)}`;
}

function detailed(batch: Batch): string[] {
  const out = [summary(batch)];
  const head = (kind: string, i: number, res: Resource, schemaUrl: string): void => {
    out.push(`${kind} #${i}`, `Resource SchemaURL: ${schemaUrl}`, 'Resource attributes:');
    for (const kv of res.attributes) out.push(`     -> ${describeLine(kv)}`);
  };
  const scope = (kind: string, i: number, sc: InstrumentationScope, schemaUrl: string): void => {
    out.push(`${kind} #${i}`, `ScopeSchemaURL: ${schemaUrl}`, `InstrumentationScope ${sc.name} ${sc.version}`);
    for (const kv of sc.attributes) out.push(`     -> ${describeLine(kv)}`);
  };
  switch (batch.signal) {
    case 'metrics':
      batch.resourceMetrics.forEach((rm, i) => {
        head('ResourceMetrics', i, rm.resource, rm.schemaUrl);
        rm.scopeMetrics.forEach((sm, j) => {
          scope('ScopeMetrics', j, sm.scope, sm.schemaUrl);
          sm.metrics.forEach((m, k) => detailedMetric(out, m, k));
        });
      });
      break;
    case 'logs':
      batch.resourceLogs.forEach((rl, i) => {
        head('ResourceLog', i, rl.resource, rl.schemaUrl);
        rl.scopeLogs.forEach((sl, j) => {
          scope('ScopeLogs', j, sl.scope, sl.schemaUrl);
          sl.logRecords.forEach((r, k) => {
            out.push(`LogRecord #${k}`, `ObservedTimestamp: ${nanosToString(r.observedTimeMs, r.observedTimeNs)}`);
            out.push(`Timestamp: ${nanosToString(r.timeMs, r.timeNs)}`, `SeverityText: ${r.severityText}`);
            out.push(`SeverityNumber: ${r.severityNumber}`, `EventName: ${r.eventName}`, `Body: ${r.body.kind}(${bodyText(r.body)})`);
            out.push('Attributes:');
            for (const kv of r.attributes) out.push(`     -> ${describeLine(kv)}`);
            out.push(`Trace ID: ${hex(r.traceId)}`, `Span ID: ${hex(r.spanId)}`, `Flags: ${r.flags}`);
          });
        });
      });
      break;
    case 'traces':
      batch.resourceSpans.forEach((rs, i) => {
        head('ResourceSpans', i, rs.resource, rs.schemaUrl);
        rs.scopeSpans.forEach((ss, j) => {
          scope('ScopeSpans', j, ss.scope, ss.schemaUrl);
          ss.spans.forEach((s, k) => {
            out.push(`Span #${k}`, `    Trace ID       : ${hex(s.traceId)}`, `    Parent ID      : ${hex(s.parentSpanId)}`);
            out.push(`    ID             : ${hex(s.spanId)}`, `    Name           : ${s.name}`, `    Kind           : ${s.kind}`);
            out.push(`    Start time     : ${nanosToString(s.startTimeMs, s.startTimeNs)}`);
            out.push(`    End time       : ${nanosToString(s.endTimeMs, s.endTimeNs)}`);
            out.push(`    Status code    : ${s.status.code}`, `    Status message : ${s.status.message}`, 'Attributes:');
            for (const kv of s.attributes) out.push(`     -> ${describeLine(kv)}`);
            s.events.forEach((e, n) => {
              out.push(`SpanEvent #${n}`, `     -> Name: ${e.name}`, `     -> Timestamp: ${nanosToString(e.timeMs, e.timeNs)}`);
              for (const kv of e.attributes) out.push(`     -> ${describeLine(kv)}`);
            });
            s.links.forEach((l, n) => out.push(`SpanLink #${n}`, `     -> Trace ID: ${hex(l.traceId)}`, `     -> ID: ${hex(l.spanId)}`));
          });
        });
      });
      break;
  }
  return out;
}
