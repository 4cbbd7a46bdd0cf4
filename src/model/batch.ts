/**
 * What flows between components: one signal's resources plus the context of
 * the request that brought them in.
 */
import { countLogRecords, type ResourceLogs } from './logs';
import { countDataPoints, type ResourceMetrics } from './metrics';
import { countSpans, type ResourceSpans } from './traces';

export const SIGNALS = ['metrics', 'logs', 'traces'] as const;
export type Signal = (typeof SIGNALS)[number];

/**
 * Where a request came from. Header names are lower-case. Processors such as
 * `attributes` read values `from_context`; batching drops it (as the Go
 * collector's batch processor does without `metadata_keys`).
 */
export interface RequestContext {
  clientAddress: string;
  metadata: ReadonlyMap<string, readonly string[]>;
}

export interface MetricsBatch {
  readonly signal: 'metrics';
  resourceMetrics: ResourceMetrics[];
  context?: RequestContext;
}

export interface LogsBatch {
  readonly signal: 'logs';
  resourceLogs: ResourceLogs[];
  context?: RequestContext;
}

export interface TracesBatch {
  readonly signal: 'traces';
  resourceSpans: ResourceSpans[];
  context?: RequestContext;
}

export type Batch = MetricsBatch | LogsBatch | TracesBatch;

/** Items in the unit each signal is counted in: data points, log records, spans. */
export function countItems(batch: Batch): number {
  switch (batch.signal) {
    case 'metrics':
      return countDataPoints(batch.resourceMetrics);
    case 'logs':
      return countLogRecords(batch.resourceLogs);
    case 'traces':
      return countSpans(batch.resourceSpans);
  }
}

/** The name of a signal's item unit, for logs and counters. */
export const ITEM_NAME: Record<Signal, string> = {
  metrics: 'metric_points',
  logs: 'log_records',
  traces: 'spans',
};

/** A deep copy for a consumer that mutates what it is given (fan-out). */
export function cloneBatch<B extends Batch>(batch: B): B {
  const { context, ...data } = batch;
  const copy = structuredClone(data) as B;
  if (context) copy.context = context;
  return copy;
}
