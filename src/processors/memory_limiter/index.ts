/**
 * `memory_limiter`: refuses data (retryably, so clients back off and retry)
 * while the daemon's memory is above a soft limit, instead of letting it
 * grow until the kernel kills it and everything in memory is lost.
 */
import type { Attributes as MetricAttributes, ObservableResult } from '@opentelemetry/api';
import { countItems, ITEM_NAME, type Batch } from '../../model/batch';
import type { Consumer, Processor, ProcessorFactory, ProcessorSettings } from '../../pipeline/component';
import { overloadedError } from '../../pipeline/errors';
import { duration, object } from '../../config/schema';
import { processMemorySource, resolveLimits, MIB, type LimitConfig, type MemorySource } from './limits';
import { MemoryLimiter, STATE_VALUE, type LimiterDeps } from './limiter';

export interface MemoryLimiterConfig extends LimitConfig {
  check_interval: number;
  min_gc_interval_when_soft_limited: number;
  min_gc_interval_when_hard_limited: number;
}

const percentage = (description: string) => ({ type: 'integer', minimum: 0, maximum: 100, description });

export const memoryLimiterProcessorFactory: ProcessorFactory<MemoryLimiterConfig> = {
  kind: 'processor',
  type: 'memory_limiter',
  description: "Refuses data with a retryable error while the daemon's memory is above a soft limit; put it first in a pipeline.",
  stability: { metrics: 'beta', logs: 'beta', traces: 'beta' },
  mutatesData: false,
  passesWire: true,
  schema: object({
    check_interval: duration('1s', 'Time between measurements of memory usage.'),
    limit_mib: { type: 'integer', minimum: 0, description: 'Hard limit in MiB of memory in use (V8 heap plus Buffers; RSS runs about 60 MiB higher). 0 or absent: use limit_percentage.' },
    spike_limit_mib: { type: 'integer', minimum: 0, description: 'Headroom below the hard limit; the soft limit is limit_mib - spike_limit_mib. Default: 20% of limit_mib.' },
    limit_percentage: percentage('Hard limit as a percentage of the memory the container may use (cgroup limit, else total memory).'),
    spike_limit_percentage: percentage('Headroom as a percentage of that memory. Default: 20% of the hard limit.'),
    min_gc_interval_when_soft_limited: duration('10s', 'Least time between forced GCs above the soft limit (only with node --expose-gc).'),
    min_gc_interval_when_hard_limited: duration('0s', 'Least time between forced GCs above the hard limit (only with node --expose-gc).'),
  }),
  validate(c: MemoryLimiterConfig) {
    const issues: Array<{ path: string; message: string }> = [];
    if (c.check_interval <= 0) issues.push({ path: 'check_interval', message: 'must be more than 0 (1s is a good start)' });
    if (!c.limit_mib && !c.limit_percentage) issues.push({ path: '', message: 'set limit_mib or limit_percentage: the memory limiter needs a limit' });
    if (c.limit_mib && c.spike_limit_mib && c.spike_limit_mib >= c.limit_mib) {
      issues.push({ path: 'spike_limit_mib', message: `must be less than limit_mib (${c.limit_mib})` });
    }
    if (!c.limit_mib && c.limit_percentage && c.spike_limit_percentage && c.spike_limit_percentage >= c.limit_percentage) {
      issues.push({ path: 'spike_limit_percentage', message: `must be less than limit_percentage (${c.limit_percentage})` });
    }
    return issues;
  },
  create(config, settings, next) {
    const gc = (globalThis as { gc?: () => void }).gc;
    return createMemoryLimiter(config, settings, next, { measure: jsMemoryInUse, gc: typeof gc === 'function' ? () => gc() : undefined, now: Date.now }, processMemorySource);
  },
};

/**
 * What the limiter measures: the V8 heap in use plus memory held outside it
 * by JS objects (Buffers, ArrayBuffers). Not RSS: freed memory often stays
 * in the process (allocator arenas, V8 page pools), so RSS can sit above the
 * soft limit long after the data is gone and the limiter would never
 * recover; this figure drops as soon as a GC frees the data. The README
 * explains how it relates to RSS.
 */
export function jsMemoryInUse(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** The processor with its measurements and memory source injected (tests drive them). */
export function createMemoryLimiter(
  config: MemoryLimiterConfig,
  settings: ProcessorSettings,
  next: Consumer,
  deps: Omit<LimiterDeps, 'logger'>,
  memory: MemorySource,
): Processor & { readonly limiter: MemoryLimiter | undefined } {
  const labels: MetricAttributes = { processor: settings.id, pipeline: settings.pipeline };
  const item = ITEM_NAME[settings.signal];
  const refused = settings.meter.createCounter(`otel_pipeline_processor_memory_limiter_refused_${item}`, {
    description: `Items (${item}) the memory limiter refused because memory was above the soft limit.`,
  });
  const stateGauge = settings.meter.createObservableGauge('otel_pipeline_processor_memory_limiter_state', {
    description: 'Memory limiter state: 0 accepting, 1 refusing above the soft limit, 2 refusing above the hard limit.',
  });
  const usageGauge = settings.meter.createObservableGauge('otel_pipeline_processor_memory_limiter_usage', {
    unit: 'By',
    description: 'Memory in use (V8 heap plus Buffers) at the last check of a memory limiter.',
  });
  // Retry no sooner than the next measurement could have changed the answer.
  const retryAfterMs = Math.max(1000, config.check_interval);
  let limiter: MemoryLimiter | undefined;
  let timer: NodeJS.Timeout | undefined;
  const observeState = (obs: ObservableResult): void => {
    if (limiter) obs.observe(STATE_VALUE[limiter.state], labels);
  };
  const observeUsage = (obs: ObservableResult): void => {
    if (limiter) obs.observe(limiter.lastUsage, labels);
  };

  return {
    get limiter() {
      return limiter;
    },
    async start() {
      const limits = await resolveLimits(config, memory);
      limiter = new MemoryLimiter(limits, { softMs: config.min_gc_interval_when_soft_limited, hardMs: config.min_gc_interval_when_hard_limited }, { ...deps, logger: settings.logger });
      limiter.check();
      settings.logger.info('memory limiter started', {
        hard_limit_mib: Math.round(limits.hardBytes / MIB),
        soft_limit_mib: Math.round(limits.softBytes / MIB),
        from: limits.source,
        usage_mib: Math.round(limiter.lastUsage / MIB),
        check_interval_ms: config.check_interval,
        forced_gc: deps.gc !== undefined,
      });
      if (!deps.gc) {
        settings.logger.warn('the memory limiter cannot force a garbage collection; run with NODE_OPTIONS=--expose-gc so it recovers as soon as memory is freed', {});
      }
      const l = limiter;
      timer = setInterval(() => {
        try {
          l.check();
        } catch (err) {
          // Never crash after startup; a failed measurement keeps the last state.
          settings.logger.error('memory check failed', { error: err instanceof Error ? err.message : String(err) });
        }
      }, config.check_interval);
      timer.unref();
      stateGauge.addCallback(observeState);
      usageGauge.addCallback(observeUsage);
    },
    consume(batch: Batch) {
      if (limiter?.refusing) {
        refused.add(countItems(batch), labels);
        return Promise.reject(overloadedError(limiter.refusalMessage(), settings.id, retryAfterMs));
      }
      return next.consume(batch);
    },
    async shutdown() {
      if (timer) clearInterval(timer);
      timer = undefined;
      stateGauge.removeCallback(observeState);
      usageGauge.removeCallback(observeUsage);
    },
  };
}
