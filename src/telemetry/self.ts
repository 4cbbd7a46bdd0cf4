/**
 * The daemon's own metrics, kept by a `MetricRegistry` and served in
 * Prometheus format at `service.telemetry.metrics.address`.
 */
import type { Meter } from '@opentelemetry/api';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { acquireHttp, type Lease } from '../net/listeners';
import type { TelemetryConfig } from '../config/load';
import type { Logger } from './logger';
import { MetricRegistry } from './metrics';

const VERSION: string = require('../../../package.json').version;
const LOOP_DELAY_RESOLUTION_MS = 50;

export class SelfTelemetry {
  readonly meter: Meter;
  /** Undefined when disabled: components then record into a registry nobody reads. */
  private readonly registry: MetricRegistry | undefined;
  private lease: Lease | undefined;
  private address = '';
  /**
   * Sampled every 50 ms: a block of 50 ms or more always spans a sample. At
   * 20 ms the sampling timer alone was ~0.3% of a core on an idle daemon.
   * Node records each sample as the whole interval between two ticks, so
   * the gauge reports what exceeds the resolution: 0 when nothing blocks.
   */
  private readonly loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });

  /** `enabled: false` serves nothing and measures no process metrics (`metrics.level: none`). */
  constructor(
    enabled: boolean,
    private readonly logger: Logger,
  ) {
    const registry = new MetricRegistry({ 'service.name': 'otel-pipeline', 'service.version': VERSION }, (name, err) =>
      logger.warn('a self-telemetry callback failed; its series keep their last values', { metric: name, error: err instanceof Error ? err.message : String(err) }),
    );
    this.meter = registry;
    if (!enabled) return;
    this.registry = registry;
    this.processMetrics();
  }

  /** Serves at the configured address, moving the listener when the address changed on reload. */
  async apply(config: TelemetryConfig): Promise<void> {
    if (!this.registry || config.metrics.level === 'none') {
      await this.unserve();
      return;
    }
    if (this.lease && this.address === config.metrics.address) return;
    const registry = this.registry;
    const lease = await acquireHttp(config.metrics.address, {}, (req, res) => {
      if (req.url?.split('?')[0] === '/metrics') {
        res.statusCode = 200;
        res.setHeader('content-type', 'text/plain');
        registry.collect().then(
          (text) => res.end(text),
          (err) => res.end(`# failed to export metrics: ${err instanceof Error ? err.message : String(err)}`),
        );
      } else {
        res.statusCode = 404;
        res.end('self-telemetry is served at /metrics\n');
      }
    });
    await this.unserve();
    this.lease = lease;
    this.address = config.metrics.address;
    this.logger.info('serving self-telemetry', { address: `http://${lease.address}/metrics` });
  }

  async shutdown(): Promise<void> {
    await this.unserve();
    this.loopDelay.disable();
  }

  private async unserve(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    await lease?.release(Date.now() + 1000);
  }

  private processMetrics(): void {
    this.loopDelay.enable();
    const rss = this.meter.createObservableGauge('otel_pipeline_process_memory_rss', { unit: 'By', description: 'Resident set size of the daemon.' });
    const heap = this.meter.createObservableGauge('otel_pipeline_process_heap_used', { unit: 'By', description: 'V8 heap in use.' });
    const lag = this.meter.createObservableGauge('otel_pipeline_process_event_loop_delay_p99', { unit: 's', description: 'p99 event-loop delay since the last scrape (beyond the 50 ms sampling interval).' });
    const uptime = this.meter.createObservableGauge('otel_pipeline_process_uptime', { unit: 's', description: 'Seconds since the daemon started.' });
    this.meter.addBatchObservableCallback(
      (obs) => {
        const mem = process.memoryUsage();
        obs.observe(rss, mem.rss);
        obs.observe(heap, mem.heapUsed);
        obs.observe(lag, Math.max(0, this.loopDelay.percentile(99) / 1e6 - LOOP_DELAY_RESOLUTION_MS) / 1000);
        obs.observe(uptime, process.uptime());
        this.loopDelay.reset();
      },
      [rss, heap, lag, uptime],
    );
  }
}
