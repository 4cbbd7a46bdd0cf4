/** `batch`: groups data into larger sends, waiting for and returning the downstream result. */
import type { Batch } from '../../model/batch';
import type { Processor, ProcessorFactory, ProcessorSettings, Consumer } from '../../pipeline/component';
import { duration, object } from '../../config/schema';
import { Batcher } from './batcher';

export interface BatchConfig {
  timeout: number;
  send_batch_size: number;
  send_batch_max_size: number;
}

export const batchProcessorFactory: ProcessorFactory<BatchConfig> = {
  kind: 'processor',
  type: 'batch',
  description: 'Groups data points, log records and spans into larger batches; flushes on size, on timeout and at shutdown.',
  stability: { metrics: 'beta', logs: 'beta', traces: 'beta' },
  mutatesData: false,
  passesWire: true,
  schema: object({
    timeout: duration('200ms', 'Longest a batch waits before it is sent, however small.'),
    send_batch_size: { type: 'integer', minimum: 0, default: 8192, description: 'Items that trigger a send (0: only the timeout does).' },
    send_batch_max_size: { type: 'integer', minimum: 0, default: 0, description: 'Upper bound on items per send; larger batches are split (0: no bound).' },
  }),
  validate(config) {
    if (config.send_batch_max_size > 0 && config.send_batch_max_size < config.send_batch_size) {
      return [{ path: 'send_batch_max_size', message: `must be 0 or at least send_batch_size (${config.send_batch_size})` }];
    }
    return [];
  },
  create(config: BatchConfig, settings: ProcessorSettings, next: Consumer): Processor {
    const batcher = new Batcher(
      { timeoutMs: config.timeout, sendBatchSize: config.send_batch_size, sendBatchMaxSize: config.send_batch_max_size },
      next,
      settings.id,
    );
    // How much is held here waiting for a send: what a crash would lose, and what a drain must flush.
    const pending = settings.meter.createObservableGauge('otel_pipeline_processor_batch_pending_items', {
      description: 'Items held by a batch processor, waiting to be sent.',
    });
    const observe = (obs: { observe(v: number, a: Record<string, string>): void }): void =>
      obs.observe(batcher.pendingItems, { processor: settings.id, pipeline: settings.pipeline });
    return {
      start: async () => pending.addCallback(observe),
      consume: (batch: Batch) => batcher.consume(batch),
      drain: () => batcher.drain(),
      shutdown: async (deadline: number) => {
        await batcher.shutdown(deadline);
        pending.removeCallback(observe);
      },
    };
  },
};
