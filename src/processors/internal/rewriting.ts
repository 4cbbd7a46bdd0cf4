/**
 * The processor shell shared by `attributes` and `resource`: apply a rewrite
 * to each batch, pass it on, and turn a bug in the rewrite into a refusal the
 * sender sees instead of a crash.
 */
import type { Batch } from '../../model/batch';
import type { Consumer, Processor, ProcessorSettings } from '../../pipeline/component';
import { permanentError } from '../../pipeline/errors';
import type { MetricMerger } from './merge';

export function rewritingProcessor(what: string, settings: ProcessorSettings, next: Consumer, rewrite: ((batch: Batch) => void) | undefined, merger: MetricMerger | undefined): Processor {
  return {
    start: async () => {},
    consume: async (batch: Batch) => {
      if (rewrite) {
        try {
          rewrite(batch);
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          settings.logger.error(`could not apply ${what} actions`, { pipeline: settings.pipeline, error: message });
          throw permanentError(`${what} processor failed: ${message}`, settings.id, err);
        }
      }
      return next.consume(batch);
    },
    shutdown: async () => merger?.shutdown(),
  };
}
