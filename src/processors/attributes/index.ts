/**
 * `attributes`: inserts, updates, deletes, hashes, extracts and converts the
 * attributes of data points, log records and spans, as the Go collector's
 * attributes processor does, and re-aggregates metric streams its changes
 * make identical, so the numbers downstream stay right.
 */
import type { Batch, RequestContext } from '../../model/batch';
import type { Metric } from '../../model/metrics';
import { object } from '../../config/schema';
import type { Consumer, Processor, ProcessorFactory, ProcessorSettings } from '../../pipeline/component';
import { actionsSchema, AttributeActions, validateActions, type ActionConfig } from '../internal/actions';
import { ItemFilter, matchSchema, validateMatch, type MatchConfig } from '../internal/match';
import type { Rewrite } from '../internal/merge';
import { rewritingProcessor } from '../internal/rewriting';
import { mergeSchema, newMerger, validateMerge, type MergeConfig } from '../internal/merge-config';

export interface AttributesConfig {
  actions: ActionConfig[];
  include?: MatchConfig;
  exclude?: MatchConfig;
  merge: MergeConfig;
}

export const attributesProcessorFactory: ProcessorFactory<AttributesConfig> = {
  kind: 'processor',
  type: 'attributes',
  description: 'Changes data point, log record and span attributes (insert, update, upsert, delete, hash, extract, convert); merges metric streams that become identical.',
  stability: { metrics: 'beta', logs: 'beta', traces: 'beta' },
  mutatesData: true,
  schema: object({
    actions: actionsSchema('Actions applied in order to the attributes of every data point, log record or span acted on.'),
    include: matchSchema('Act only on items that match.'),
    exclude: matchSchema('Do not act on items that match.'),
    merge: mergeSchema(),
  }),
  validate(config) {
    return [
      ...validateActions(config.actions, 'actions'),
      ...validateMatch(config.include, 'include'),
      ...validateMatch(config.exclude, 'exclude'),
      ...validateMerge(config.merge),
    ];
  },
  create(config: AttributesConfig, settings: ProcessorSettings, next: Consumer): Processor {
    const actions = new AttributeActions(config.actions);
    const filter = config.include || config.exclude ? new ItemFilter(config.include, config.exclude) : undefined;
    for (const [section, m] of [['include', filter?.include], ['exclude', filter?.exclude]] as const) {
      const foreign = m?.foreignCriteria(settings.signal) ?? [];
      if (foreign.length) {
        settings.logger.warn(`${section}: ${foreign.join(', ')} never match ${settings.signal}`, { pipeline: settings.pipeline, section, criteria: foreign });
      }
    }
    const merger = settings.signal === 'metrics' && actions.size > 0 ? newMerger(config.merge, settings) : undefined;

    // Per-batch state for the rewrite, so it is one function made once, not a closure per batch.
    let context: RequestContext | undefined;
    let lastMetric: Metric | undefined;
    let lastMatch = false;
    const rewrite: Rewrite = (t) => {
      if (t.kind === 'resource') return;
      if (filter) {
        let ok: boolean;
        if (filter.perPoint) ok = filter.metric(t.resource, t.scope, t.metric, t.attributes);
        else {
          // Without per-point criteria the answer is the same for every point of a metric.
          if (t.metric !== lastMetric) {
            lastMetric = t.metric;
            lastMatch = filter.metric(t.resource, t.scope, t.metric, undefined);
          }
          ok = lastMatch;
        }
        if (!ok) return;
      }
      actions.apply(t.attributes, context);
    };

    const transform = (batch: Batch): void => {
      switch (batch.signal) {
        case 'metrics':
          if (!merger) return;
          context = batch.context;
          try {
            batch.resourceMetrics = merger.process(batch.resourceMetrics, rewrite);
          } finally {
            context = undefined;
            lastMetric = undefined;
          }
          return;
        case 'logs':
          for (const rl of batch.resourceLogs)
            for (const sl of rl.scopeLogs)
              for (const r of sl.logRecords) if (!filter || filter.log(rl.resource, sl.scope, r)) actions.apply(r.attributes, batch.context);
          return;
        case 'traces':
          for (const rs of batch.resourceSpans)
            for (const ss of rs.scopeSpans)
              for (const s of ss.spans) if (!filter || filter.span(rs.resource, ss.scope, s)) actions.apply(s.attributes, batch.context);
          return;
      }
    };

    return rewritingProcessor('attributes', settings, next, actions.size > 0 ? transform : undefined, merger);
  },
};
