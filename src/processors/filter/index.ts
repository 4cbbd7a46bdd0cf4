/**
 * `filter`: drops metrics, data points, log records and spans by name and by
 * attribute values, with `include` (keep only what matches) and `exclude`
 * (drop what matches) blocks per signal.
 */
import type { Attributes as MetricAttributes } from '@opentelemetry/api';
import { ITEM_NAME, type Batch } from '../../model/batch';
import type { Consumer, Processor, ProcessorFactory, ProcessorSettings } from '../../pipeline/component';
import { FILTER_SCHEMA, validateFilter, type FilterConfig } from './config';
import { filterLogs, filterMetrics, filterSpans, type Rules } from './apply';
import { logsRule, metricsRule, spansRule } from './rules';

export type { FilterConfig } from './config';

export const filterProcessorFactory: ProcessorFactory<FilterConfig> = {
  kind: 'processor',
  type: 'filter',
  description: 'Drops metrics, data points, log records and spans by name and attribute values (include/exclude, strict or regexp).',
  stability: { metrics: 'beta', logs: 'beta', traces: 'beta' },
  mutatesData: true,
  schema: FILTER_SCHEMA,
  validate: validateFilter,
  create(config, settings, next) {
    return createFilter(config, settings, next);
  },
};

/** The compiled rules for one signal; undefined blocks stay undefined. */
export function compileRules(config: FilterConfig, signal: Batch['signal']): Rules {
  switch (signal) {
    case 'metrics':
      return { include: config.metrics?.include && metricsRule(config.metrics.include), exclude: config.metrics?.exclude && metricsRule(config.metrics.exclude) };
    case 'logs':
      return { include: config.logs?.include && logsRule(config.logs.include), exclude: config.logs?.exclude && logsRule(config.logs.exclude) };
    case 'traces':
      return { include: config.spans?.include && spansRule(config.spans.include), exclude: config.spans?.exclude && spansRule(config.spans.exclude) };
  }
}

function createFilter(config: FilterConfig, settings: ProcessorSettings, next: Consumer): Processor {
  // Patterns compile here, once per pipeline; validate() already proved they compile.
  const rules = compileRules(config, settings.signal);
  const active = rules.include !== undefined || rules.exclude !== undefined;
  const item = ITEM_NAME[settings.signal];
  const dropped = settings.meter.createCounter(`otel_pipeline_processor_dropped_${item}`, {
    description: `Items (${item}) a processor dropped, by reason.`,
  });
  const labels: MetricAttributes = { processor: settings.id, pipeline: settings.pipeline, reason: 'filtered' };
  return {
    async start() {
      if (!active) settings.logger.warn('filter has no include or exclude rules for this pipeline\'s signal; everything passes', { pipeline: settings.pipeline, signal: settings.signal, key: settings.signal === 'traces' ? 'spans' : settings.signal });
    },
    consume(batch: Batch) {
      if (!active) return next.consume(batch);
      let n: number;
      let left: number;
      switch (batch.signal) {
        case 'metrics':
          n = filterMetrics(batch, rules);
          left = batch.resourceMetrics.length;
          break;
        case 'logs':
          n = filterLogs(batch, rules);
          left = batch.resourceLogs.length;
          break;
        case 'traces':
          n = filterSpans(batch, rules);
          left = batch.resourceSpans.length;
          break;
      }
      if (n > 0) dropped.add(n, labels);
      // Nothing left: the data was accepted (and dropped by design), nothing to send on.
      return left === 0 ? Promise.resolve() : next.consume(batch);
    },
    async shutdown() {},
  };
}
