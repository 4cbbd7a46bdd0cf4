/**
 * The shared exporter keys (`timeout`, `retry_on_failure`, `sending_queue`),
 * spelled as the Go collector's exporterhelper spells them.
 */
import type { JsonSchema } from '../../pipeline/component';
import { byteSize, duration, object } from '../../config/schema';
import type { RetryConfig } from './retry';

export interface QueueConfig {
  enabled: boolean;
  num_consumers: number;
  queue_size: number;
  /** What `queue_size` counts: batches (`requests`) or data points / log records / spans (`items`). */
  sizer: 'requests' | 'items';
  block_on_overflow: boolean;
  /** Present: the write-ahead queue in this directory, bounded by max_size bytes. */
  storage?: { directory: string; max_size: number };
}

/** Parsed config (durations in ms, sizes in bytes). */
export interface HelperConfig {
  timeout: number;
  retry_on_failure: RetryConfig;
  sending_queue: QueueConfig;
}

/** Schema properties to merge into an exporter's own `object()` schema. */
export function helperSchemaProperties(defaults: { timeout?: string } = {}): Record<string, JsonSchema> {
  return {
    timeout: duration(defaults.timeout ?? '5s', 'Time limit of one send attempt; 0 = none.'),
    retry_on_failure: object({
      enabled: { type: 'boolean', default: true },
      initial_interval: duration('5s', 'Wait before the first retry.'),
      max_interval: duration('30s', 'Upper bound of the wait between retries.'),
      max_elapsed_time: duration('300s', 'Give up on a batch after this long; 0 = retry forever.'),
      multiplier: { type: 'number', minimum: 1, default: 1.5 },
      randomization_factor: { type: 'number', minimum: 0, maximum: 1, default: 0.5 },
    }),
    sending_queue: object({
      enabled: { type: 'boolean', default: true },
      num_consumers: { type: 'integer', minimum: 1, default: 10 },
      queue_size: { type: 'integer', minimum: 1, default: 1000 },
      sizer: { type: 'string', enum: ['requests', 'items'], default: 'requests' },
      block_on_overflow: { type: 'boolean', default: false },
      storage: {
        type: 'object',
        additionalProperties: false,
        properties: {
          directory: { type: 'string', minLength: 1, description: 'Directory of the write-ahead queue; created if missing.' },
          max_size: byteSize('256MiB', 'Bound on the queue files; beyond it new data is refused (retryable).'),
        },
        required: ['directory'],
      },
    }),
  };
}

/** Checks across keys, for an exporter's `validate` (paths relative to its config). */
export function validateHelperConfig(config: HelperConfig): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  const r = config.retry_on_failure;
  if (r.enabled && r.initial_interval > r.max_interval) {
    out.push({ path: 'retry_on_failure.initial_interval', message: `must not exceed max_interval (${r.max_interval}ms)` });
  }
  const q = config.sending_queue;
  if (q.storage && !q.enabled) out.push({ path: 'sending_queue.storage', message: 'needs sending_queue::enabled: true' });
  return out;
}
