/**
 * The running daemon: one component graph at a time, swapped on reload.
 *
 * Reload builds and starts the new graph before the old one stops, so ports
 * that stay configured keep serving (receivers lease their listeners from a
 * shared registry, and the newest lease takes the traffic); a config that
 * fails to build or start leaves the old graph running.
 */
import type { ResolvedConfig } from '../config/load';
import { Graph } from '../pipeline/graph';
import type { Host } from '../pipeline/component';
import type { Logger } from '../telemetry/logger';
import type { SelfTelemetry } from '../telemetry/self';

type Phase = 'idle' | 'starting' | 'running' | 'draining' | 'stopped';

export class Service implements Host {
  private graph: Graph | undefined;
  private phase: Phase = 'idle';
  /** Serialises start, reload and shutdown. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly logger: Logger,
    private readonly telemetry: SelfTelemetry,
  ) {}

  isReady(): boolean {
    return this.phase === 'running';
  }

  start(config: ResolvedConfig): Promise<void> {
    return this.serialise(async () => {
      this.phase = 'starting';
      await this.telemetry.apply(config.service.telemetry);
      const graph = new Graph(config, { logger: this.logger, meter: this.telemetry.meter, host: this });
      await graph.start();
      this.graph = graph;
      this.phase = 'running';
      this.logger.info('everything is ready; begin running and processing data', { pipelines: [...config.service.pipelines.keys()] });
    });
  }

  /** Swaps in a new graph; on any failure the old one keeps running and the error is thrown. */
  reload(config: ResolvedConfig, shutdownDeadlineMs: number): Promise<void> {
    return this.serialise(async () => {
      if (this.phase !== 'running') throw new Error(`cannot reload while ${this.phase}`);
      let next: Graph;
      try {
        next = new Graph(config, { logger: this.logger, meter: this.telemetry.meter, host: this });
        await next.start();
      } catch (err) {
        throw new Error(`new config not applied, the previous one keeps running: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
      const old = this.graph;
      this.graph = next;
      await this.telemetry.apply(config.service.telemetry);
      if (old) await old.shutdown(Date.now() + shutdownDeadlineMs, this.logger);
      this.logger.info('config reloaded', { pipelines: [...config.service.pipelines.keys()] });
    });
  }

  /** Stops receivers, drains processors and exporters, all within the deadline. */
  shutdown(deadline: number): Promise<void> {
    return this.serialise(async () => {
      if (this.phase === 'stopped') return;
      this.phase = 'draining';
      this.logger.info('shutting down', { deadline_ms: Math.max(0, deadline - Date.now()) });
      await this.graph?.shutdown(deadline, this.logger);
      this.graph = undefined;
      await this.telemetry.shutdown();
      this.phase = 'stopped';
    });
  }

  private serialise<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
