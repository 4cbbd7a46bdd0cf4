/**
 * `resource`: applies the attribute actions to resource attributes (the Go
 * collector's resource processor, `attributes:` key), and re-aggregates
 * metric streams of resources its changes make identical.
 */
import type { Batch, RequestContext } from '../../model/batch';
import { object } from '../../config/schema';
import type { Consumer, Processor, ProcessorFactory, ProcessorSettings } from '../../pipeline/component';
import { actionsSchema, AttributeActions, validateActions, type ActionConfig } from '../internal/actions';
import type { Rewrite } from '../internal/merge';
import { rewritingProcessor } from '../internal/rewriting';
import { mergeSchema, newMerger, validateMerge, type MergeConfig } from '../internal/merge-config';

export interface ResourceConfig {
  attributes: ActionConfig[];
  merge: MergeConfig;
}

export const resourceProcessorFactory: ProcessorFactory<ResourceConfig> = {
  kind: 'processor',
  type: 'resource',
  description: 'Changes resource attributes (insert, update, upsert, delete, hash, extract, convert); merges metric streams of resources that become identical.',
  stability: { metrics: 'beta', logs: 'beta', traces: 'beta' },
  mutatesData: true,
  schema: object({
    attributes: actionsSchema('Actions applied in order to the attributes of every resource.'),
    merge: mergeSchema(),
  }),
  validate(config) {
    return [...validateActions(config.attributes, 'attributes'), ...validateMerge(config.merge)];
  },
  create(config: ResourceConfig, settings: ProcessorSettings, next: Consumer): Processor {
    const actions = new AttributeActions(config.attributes);
    const merger = settings.signal === 'metrics' && actions.size > 0 ? newMerger(config.merge, settings) : undefined;
    let context: RequestContext | undefined;
    const rewrite: Rewrite = (t) => {
      if (t.kind === 'resource') actions.apply(t.attributes, context);
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
          }
          return;
        case 'logs':
          for (const rl of batch.resourceLogs) actions.apply(rl.resource.attributes, batch.context);
          return;
        case 'traces':
          for (const rs of batch.resourceSpans) actions.apply(rs.resource.attributes, batch.context);
          return;
      }
    };

    return rewritingProcessor('resource', settings, next, actions.size > 0 ? transform : undefined, merger);
  },
};
