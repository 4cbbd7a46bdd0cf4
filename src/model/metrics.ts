/**
 * OTLP metrics, as plain objects in the wire's shape
 * (resourceMetrics → scopeMetrics → metrics → dataPoints).
 * Field numbers in comments refer to opentelemetry/proto/metrics/v1/metrics.proto.
 */
import type { Attributes, InstrumentationScope, KeyValue, Resource } from './common';
import { wireOf } from './wire';

/** AggregationTemporality: 0 unspecified, 1 delta, 2 cumulative. */
export const Temporality = { Unspecified: 0, Delta: 1, Cumulative: 2 } as const;
export type Temporality = number;

/** Which member of a point's `value` oneof was set; `none` when neither was. */
export type NumberValueType = 'double' | 'int' | 'none';

export interface Exemplar {
  filteredAttributes: Attributes;
  timeMs: number;
  /** Nanoseconds past `timeMs` (0..999 999); see nanos.ts. */
  timeNs: number;
  valueType: NumberValueType;
  /** A double, or an int64 (a bigint only beyond ±2^53). 0 when `valueType` is none. */
  value: number | bigint;
  /** 8 bytes, or empty when absent. */
  spanId: Uint8Array;
  /** 16 bytes, or empty when absent. */
  traceId: Uint8Array;
}

interface PointTimes {
  attributes: Attributes;
  startTimeMs: number;
  startTimeNs: number;
  timeMs: number;
  timeNs: number;
  flags: number;
}

export interface NumberDataPoint extends PointTimes {
  valueType: NumberValueType;
  value: number | bigint;
  exemplars: Exemplar[];
}

export interface HistogramDataPoint extends PointTimes {
  count: number;
  /** undefined when the optional field was absent. */
  sum: number | undefined;
  bucketCounts: number[];
  explicitBounds: number[];
  exemplars: Exemplar[];
  min: number | undefined;
  max: number | undefined;
}

export interface ExponentialBuckets {
  offset: number;
  bucketCounts: number[];
}

export interface ExponentialHistogramDataPoint extends PointTimes {
  count: number;
  sum: number | undefined;
  scale: number;
  zeroCount: number;
  positive: ExponentialBuckets;
  negative: ExponentialBuckets;
  exemplars: Exemplar[];
  min: number | undefined;
  max: number | undefined;
  zeroThreshold: number;
}

export interface ValueAtQuantile {
  quantile: number;
  value: number;
}

export interface SummaryDataPoint extends PointTimes {
  count: number;
  sum: number;
  quantileValues: ValueAtQuantile[];
}

export type MetricData =
  | { type: 'gauge'; dataPoints: NumberDataPoint[] }
  | { type: 'sum'; dataPoints: NumberDataPoint[]; temporality: Temporality; isMonotonic: boolean }
  | { type: 'histogram'; dataPoints: HistogramDataPoint[]; temporality: Temporality }
  | { type: 'exponentialHistogram'; dataPoints: ExponentialHistogramDataPoint[]; temporality: Temporality }
  | { type: 'summary'; dataPoints: SummaryDataPoint[] }
  /** A metric whose data oneof was not set (valid on the wire, carries no points). */
  | { type: 'empty' };

export interface Metric {
  name: string;
  description: string;
  unit: string;
  metadata: KeyValue[];
  data: MetricData;
}

export interface ScopeMetrics {
  scope: InstrumentationScope;
  metrics: Metric[];
  schemaUrl: string;
}

export interface ResourceMetrics {
  resource: Resource;
  scopeMetrics: ScopeMetrics[];
  schemaUrl: string;
}

/** Number of data points, the unit OTLP's partial_success and our counters use. */
export function countDataPoints(rms: readonly ResourceMetrics[]): number {
  let n = 0;
  for (const rm of rms) {
    const wire = wireOf(rm);
    if (wire) n += wire.items;
    else
      for (const sm of rm.scopeMetrics)
        for (const m of sm.metrics) if (m.data.type !== 'empty') n += m.data.dataPoints.length;
  }
  return n;
}
