/** The `merge` config section shared by processors that rewrite metric attributes. */
import { duration, object } from '../../config/schema';
import type { JsonSchema, ProcessorSettings } from '../../pipeline/component';
import { MetricMerger } from './merge';

export interface MergeConfig {
  max_streams: number;
  /** ms */
  idle_timeout: number;
}

export const DEFAULT_MAX_STREAMS = 100_000;

export function mergeSchema(): JsonSchema {
  return object(
    {
      max_streams: {
        type: 'integer',
        minimum: 1,
        default: DEFAULT_MAX_STREAMS,
        description: 'Cumulative source streams whose latest value is held for re-aggregation; the least recently seen beyond it are forgotten.',
      },
      idle_timeout: duration('5m', 'A cumulative source stream not seen for this long is forgotten (its value leaves the merged sum).'),
    },
    { description: 'Re-aggregation of metric streams that become identical after the rewrite.' },
  );
}

export function validateMerge(m: MergeConfig): Array<{ path: string; message: string }> {
  return m.idle_timeout > 0 ? [] : [{ path: 'merge.idle_timeout', message: 'must be longer than 0 (a cumulative source must be held at least until it reports again)' }];
}

/** A merger for a processor instance in a metrics pipeline, its self-telemetry labelled with the instance. */
export function newMerger(m: MergeConfig, settings: ProcessorSettings): MetricMerger {
  return new MetricMerger({ maxStreams: m.max_streams, idleMs: m.idle_timeout }, settings.meter, { processor: settings.id, pipeline: settings.pipeline });
}
