/** Builders for processor unit tests: small OTLP structures from plain values, and processors made from YAML. */
import assert from 'node:assert/strict';
import { createNoopMeter } from '@opentelemetry/api';
import { defaultRegistry } from '../../components';
import { loadConfig } from '../../config/load';
import type { Batch, Signal } from '../../model/batch';
import type { Processor, ProcessorFactory } from '../../pipeline/component';
import { silentLogger } from '../../telemetry/logger';
import type { AnyValue, Attributes, KeyValue } from '../../model/common';
import type { LogRecord, ResourceLogs } from '../../model/logs';
import type { ExponentialHistogramDataPoint, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics } from '../../model/metrics';
import type { ResourceSpans, Span } from '../../model/traces';

export type Plain = Record<string, string | number | boolean>;

export function value(v: string | number | boolean): AnyValue {
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  return Number.isInteger(v) ? { kind: 'int', value: v } : { kind: 'double', value: v };
}

export function attrs(p: Plain): Attributes {
  return Object.entries(p).map(([key, v]) => ({ key, value: value(v) }));
}

/** Attributes back to plain values, for assertions. */
export function plain(a: readonly KeyValue[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const kv of a) o[kv.key] = kv.value.kind === 'empty' ? null : (kv.value as { value: unknown }).value;
  return o;
}

/** Times in the tests are whole seconds, as ms. */
export interface PointSpec {
  attrs: Plain;
  value: number;
  start?: number;
  time?: number;
  int?: boolean;
}

export function numberPoint(s: PointSpec): NumberDataPoint {
  return {
    attributes: attrs(s.attrs), startTimeMs: (s.start ?? 0) * 1000, startTimeNs: 0, timeMs: (s.time ?? 1) * 1000, timeNs: 0, flags: 0,
    valueType: s.int ? 'int' : 'double', value: s.value, exemplars: [],
  };
}

export function sum(name: string, temporality: 1 | 2, points: PointSpec[], monotonic = true): Metric {
  return { name, description: '', unit: '1', metadata: [], data: { type: 'sum', temporality, isMonotonic: monotonic, dataPoints: points.map(numberPoint) } };
}

export function gauge(name: string, points: PointSpec[]): Metric {
  return { name, description: '', unit: '1', metadata: [], data: { type: 'gauge', dataPoints: points.map(numberPoint) } };
}

export interface HistogramSpec {
  attrs: Plain;
  bounds: number[];
  counts: number[];
  sum?: number;
  min?: number;
  max?: number;
  start?: number;
  time?: number;
}

export function histogramPoint(s: HistogramSpec): HistogramDataPoint {
  return {
    attributes: attrs(s.attrs), startTimeMs: (s.start ?? 0) * 1000, startTimeNs: 0, timeMs: (s.time ?? 1) * 1000, timeNs: 0, flags: 0,
    count: s.counts.reduce((a, b) => a + b, 0), sum: s.sum, bucketCounts: s.counts.slice(), explicitBounds: s.bounds.slice(),
    exemplars: [], min: s.min, max: s.max,
  };
}

export function histogram(name: string, temporality: 1 | 2, points: HistogramSpec[]): Metric {
  return { name, description: '', unit: 's', metadata: [], data: { type: 'histogram', temporality, dataPoints: points.map(histogramPoint) } };
}

export function exponential(name: string, temporality: 1 | 2, points: Array<Omit<ExponentialHistogramDataPoint, 'attributes' | 'startTimeMs' | 'startTimeNs' | 'timeMs' | 'timeNs' | 'flags' | 'exemplars'> & { attrs: Plain }>): Metric {
  return {
    name, description: '', unit: 's', metadata: [],
    data: {
      type: 'exponentialHistogram', temporality,
      dataPoints: points.map(({ attrs: a, ...rest }) => ({ ...rest, attributes: attrs(a), startTimeMs: 0, startTimeNs: 0, timeMs: 1000, timeNs: 0, flags: 0, exemplars: [] })),
    },
  };
}

export function resourceMetrics(resource: Plain, metrics: Metric[], scope = 'test'): ResourceMetrics {
  return {
    resource: { attributes: attrs(resource), droppedAttributesCount: 0, entityRefs: [] },
    schemaUrl: '',
    scopeMetrics: [{ scope: { name: scope, version: '1', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', metrics }],
  };
}

export function logRecord(a: Plain, body = 'hello', eventName = ''): LogRecord {
  return {
    timeMs: 1, timeNs: 0, observedTimeMs: 1, observedTimeNs: 0, severityNumber: 9, severityText: 'INFO', body: value(body),
    attributes: attrs(a), droppedAttributesCount: 0, flags: 0, traceId: new Uint8Array(), spanId: new Uint8Array(), eventName,
  };
}

export function resourceLogs(resource: Plain, records: LogRecord[], scope = 'test'): ResourceLogs {
  return {
    resource: { attributes: attrs(resource), droppedAttributesCount: 0, entityRefs: [] },
    schemaUrl: '',
    scopeLogs: [{ scope: { name: scope, version: '', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', logRecords: records }],
  };
}

export function span(name: string, a: Plain): Span {
  return {
    traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2), traceState: '', parentSpanId: new Uint8Array(), flags: 0, name, kind: 1,
    startTimeMs: 1, startTimeNs: 0, endTimeMs: 2, endTimeNs: 0, attributes: attrs(a), droppedAttributesCount: 0, events: [],
    droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 0, message: '' },
  };
}

export function resourceSpans(resource: Plain, spans: Span[], scope = 'test'): ResourceSpans {
  return {
    resource: { attributes: attrs(resource), droppedAttributesCount: 0, entityRefs: [] },
    schemaUrl: '',
    scopeSpans: [{ scope: { name: scope, version: '', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', spans }],
  };
}

/** Every number point of every metric named `name`, with its attributes as plain values. */
export function numberPoints(rms: readonly ResourceMetrics[], name: string): Array<{ resource: Record<string, unknown>; attrs: Record<string, unknown>; point: NumberDataPoint }> {
  const out = [];
  for (const rm of rms)
    for (const sm of rm.scopeMetrics)
      for (const m of sm.metrics)
        if (m.name === name && (m.data.type === 'sum' || m.data.type === 'gauge'))
          for (const p of m.data.dataPoints) out.push({ resource: plain(rm.resource.attributes), attrs: plain(p.attributes), point: p });
  return out;
}

/** Loads a full config; the problems formatted as `path: message` (file and position left out). */
export function load(yaml: string, env: NodeJS.ProcessEnv = {}): { config: ReturnType<typeof loadConfig>['config']; problems: string[] } {
  const r = loadConfig([{ name: 'test.yaml', text: yaml }], defaultRegistry(), env);
  return { config: r.config, problems: r.problems.map((p) => `${p.path}: ${p.message}`) };
}

/** A pipeline config with one processor `id` configured by `body` (indented YAML under it). */
export function pipelineYaml(id: string, body: string, signal: Signal = 'metrics'): string {
  return `receivers:\n  otlp:\nprocessors:\n  ${id}:\n${body.replace(/^/gm, '    ')}\nexporters:\n  debug:\nservice:\n  pipelines:\n    ${signal}:\n      receivers: [otlp]\n      processors: [${id}]\n      exporters: [debug]\n`;
}

/** Creates processor `id` from a config that loads, feeding what it passes on into `received`. */
export function processorFrom(yaml: string, id: string, signal: Signal, env: NodeJS.ProcessEnv = {}, meter = createNoopMeter()): { processor: Processor; received: Batch[] } {
  const { config, problems } = load(yaml, env);
  assert.deepEqual(problems, [], 'the config loads');
  const c = config!.processors.get(id)!;
  const received: Batch[] = [];
  const processor = (c.factory as ProcessorFactory).create(c.config, { id, kind: 'processor', logger: silentLogger, meter, signal, pipeline: signal }, { consume: async (b) => void received.push(b) });
  return { processor, received };
}
