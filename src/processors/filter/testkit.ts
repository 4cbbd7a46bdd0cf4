/** Test support (not used by the daemon): compact builders for batches and a real SDK meter to read counters from. */
import { MeterProvider, MetricReader, type ResourceMetrics as SdkResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { LogsBatch, MetricsBatch, TracesBatch } from '../../model/batch';
import { emptyResource, emptyScope, type AnyValue, type Attributes } from '../../model/common';
import type { LogRecord } from '../../model/logs';
import type { Metric, NumberDataPoint } from '../../model/metrics';
import type { Span } from '../../model/traces';

export type Plain = Record<string, string | number | boolean>;

export function anyValue(v: string | number | boolean): AnyValue {
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  return Number.isInteger(v) ? { kind: 'int', value: v } : { kind: 'double', value: v };
}

export function attrs(p: Plain = {}): Attributes {
  return Object.entries(p).map(([key, v]) => ({ key, value: anyValue(v) }));
}

export function point(a: Plain, value: number): NumberDataPoint {
  return { attributes: attrs(a), startTimeMs: 0, startTimeNs: 0, timeMs: 1, timeNs: 0, flags: 0, valueType: 'double', value, exemplars: [] };
}

/** A delta sum whose points carry the given attributes and values. */
export function sum(name: string, points: Array<[Plain, number]>): Metric {
  return { name, description: '', unit: '', metadata: [], data: { type: 'sum', temporality: 1, isMonotonic: true, dataPoints: points.map(([a, v]) => point(a, v)) } };
}

export function metrics(...resources: Array<[Plain, Metric[]]>): MetricsBatch {
  return {
    signal: 'metrics',
    resourceMetrics: resources.map(([r, ms]) => ({ resource: { ...emptyResource(), attributes: attrs(r) }, schemaUrl: '', scopeMetrics: [{ scope: emptyScope(), schemaUrl: '', metrics: ms }] })),
  };
}

export function record(fields: Partial<LogRecord> & { attrs?: Plain; text?: string }): LogRecord {
  const { attrs: a, text, ...rest } = fields;
  return {
    timeMs: 1, timeNs: 0, observedTimeMs: 1, observedTimeNs: 0, severityNumber: 9, severityText: 'INFO',
    body: text === undefined ? { kind: 'empty' } : { kind: 'string', value: text },
    attributes: attrs(a), droppedAttributesCount: 0, flags: 0, traceId: new Uint8Array(), spanId: new Uint8Array(), eventName: '',
    ...rest,
  };
}

export function logs(...resources: Array<[Plain, LogRecord[]]>): LogsBatch {
  return {
    signal: 'logs',
    resourceLogs: resources.map(([r, recs]) => ({ resource: { ...emptyResource(), attributes: attrs(r) }, schemaUrl: '', scopeLogs: [{ scope: emptyScope(), schemaUrl: '', logRecords: recs }] })),
  };
}

export function span(name: string, a: Plain = {}): Span {
  return {
    traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2), traceState: '', parentSpanId: new Uint8Array(), flags: 0, name, kind: 2,
    startTimeMs: 1, startTimeNs: 0, endTimeMs: 2, endTimeNs: 0, attributes: attrs(a), droppedAttributesCount: 0,
    events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 0, message: '' },
  };
}

/** Spans per scope: `[resource attributes, [[scope name, scope version, spans]]]`. */
export function traces(...resources: Array<[Plain, Array<[string, string, Span[]]>]>): TracesBatch {
  return {
    signal: 'traces',
    resourceSpans: resources.map(([r, scopes]) => ({
      resource: { ...emptyResource(), attributes: attrs(r) },
      schemaUrl: '',
      scopeSpans: scopes.map(([name, version, spans]) => ({ scope: { ...emptyScope(), name, version }, schemaUrl: '', spans })),
    })),
  };
}

class TestReader extends MetricReader {
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

/** A real SDK meter, and a way to read a counter's value for a set of labels. */
export function testMeter() {
  const reader = new TestReader();
  const provider = new MeterProvider({ readers: [reader] });
  return {
    meter: provider.getMeter('test'),
    /** Sum of the named counter's points whose attributes include `labels`; 0 when none. */
    async value(name: string, labels: Record<string, string> = {}): Promise<number> {
      const { resourceMetrics } = (await reader.collect()) as { resourceMetrics: SdkResourceMetrics };
      let total = 0;
      for (const sm of resourceMetrics.scopeMetrics)
        for (const m of sm.metrics)
          if (m.descriptor.name === name)
            for (const dp of m.dataPoints) if (Object.entries(labels).every(([k, v]) => dp.attributes[k] === v)) total += dp.value as number;
      return total;
    },
    shutdown: () => provider.shutdown(),
  };
}
