/**
 * Turns a resolved config into running components: one instance per
 * receiver and exporter id (shared by the pipelines that use it), one
 * processor instance per pipeline, wired back to front.
 */
import type { Meter } from '@opentelemetry/api';
import { SIGNALS, type Signal } from '../model/batch';
import type { ComponentConfig, ResolvedConfig } from '../config/load';
import type { Logger } from '../telemetry/logger';
import type { Consumer, Exporter, ExporterFactory, Extension, ExtensionFactory, Host, Lifecycle, Processor, ProcessorFactory, Receiver, ReceiverFactory } from './component';
import { fanout, type FanoutTarget } from './fanout';
import { instrumentExporter } from './exporter-telemetry';

export interface GraphDeps {
  logger: Logger;
  meter: Meter;
  host: Host;
}

interface Built<T> {
  id: string;
  kind: string;
  instance: T;
}

export class Graph {
  readonly receivers = new Map<string, Receiver>();
  private readonly exporters = new Map<string, Exporter>();
  private readonly extensions: Built<Extension>[] = [];
  /** Per pipeline, processors in order. */
  private readonly processors: Built<Processor>[][] = [];

  constructor(config: ResolvedConfig, deps: GraphDeps) {
    const settings = (c: ComponentConfig) => ({ id: c.id, kind: c.kind, logger: deps.logger.child({ component: `${c.kind}/${c.id}` }), meter: deps.meter });

    for (const id of config.service.extensions) {
      const c = config.extensions.get(id)!;
      this.extensions.push({ id, kind: 'extension', instance: (c.factory as ExtensionFactory).create(c.config, settings(c), deps.host) });
    }

    const exporterMutates = new Map<string, boolean>();
    const exporterWire = new Map<string, boolean>();
    const receiverTargets = new Map<string, Map<Signal, FanoutTarget[]>>();
    for (const p of config.service.pipelines.values()) {
      const targets: FanoutTarget[] = p.exporters.map((id) => {
        const c = config.exporters.get(id)!;
        let exp = this.exporters.get(id);
        if (!exp) {
          const factory = c.factory as ExporterFactory;
          const created = factory.create(c.config, settings(c));
          exp = factory.reportsDelivery ? created : instrumentExporter(created, c.id, deps.meter);
          this.exporters.set(id, exp);
          exporterMutates.set(id, factory.mutatesData);
          exporterWire.set(id, factory.takesWire?.(c.config) ?? false);
        }
        return { consumer: exp, mutates: exporterMutates.get(id)!, wire: exporterWire.get(id)! };
      });
      let next: Consumer = fanout(targets);
      let mutates = targets.some((t) => t.mutates);
      let wire = targets.every((t) => t.wire);
      const chain: Built<Processor>[] = [];
      for (let i = p.processors.length - 1; i >= 0; i--) {
        const c = config.processors.get(p.processors[i])!;
        const factory = c.factory as ProcessorFactory;
        const proc = factory.create(c.config, { ...settings(c), signal: p.signal, pipeline: p.id }, next);
        chain.unshift({ id: `${c.id} in pipeline ${p.id}`, kind: 'processor', instance: proc });
        next = proc;
        mutates ||= factory.mutatesData;
        wire &&= factory.passesWire === true;
      }
      this.processors.push(chain);
      for (const rid of p.receivers) {
        let bySignal = receiverTargets.get(rid);
        if (!bySignal) receiverTargets.set(rid, (bySignal = new Map()));
        const list = bySignal.get(p.signal) ?? [];
        list.push({ consumer: next, mutates, wire });
        bySignal.set(p.signal, list);
      }
    }

    for (const [rid, bySignal] of receiverTargets) {
      const c = config.receivers.get(rid)!;
      const next: Partial<Record<Signal, Consumer>> = {};
      for (const s of SIGNALS) {
        const targets = bySignal.get(s);
        if (!targets) continue;
        const consumer = fanout(targets);
        next[s] = targets.every((t) => t.wire) ? { consume: (batch) => consumer.consume(batch), takesWire: true } : consumer;
      }
      this.receivers.set(rid, (c.factory as ReceiverFactory).create(c.config, settings(c), next));
    }
  }

  /** Extensions, then exporters, processors and receivers; on failure stops what started and rethrows. */
  async start(): Promise<void> {
    const order: Built<Lifecycle>[] = [
      ...this.extensions,
      ...[...this.exporters].map(([id, instance]) => ({ id, kind: 'exporter', instance })),
      ...this.processors.flatMap((chain) => [...chain].reverse()),
      ...[...this.receivers].map(([id, instance]) => ({ id, kind: 'receiver', instance })),
    ];
    for (const b of order) {
      try {
        await b.instance.start();
      } catch (err) {
        await this.shutdown(Date.now() + 5000);
        const msg = err instanceof Error ? err.message : String(err);
        throw new Error(`${b.kind} "${b.id}" failed to start: ${msg}`, { cause: err });
      }
    }
  }

  /**
   * Receivers first (no new data; in-flight requests finish), then each
   * pipeline's processors front to back (flushing into what follows), then
   * exporters, then extensions. In-flight requests may be waiting on data a
   * processor holds (a batch not yet full), so processors are told to drain
   * while the receivers finish. Components that never started are still
   * shut down: the contract says that must work.
   */
  async shutdown(deadline: number, log?: Logger): Promise<void> {
    const stop = async (kind: string, items: Array<[string, Lifecycle]>): Promise<void> => {
      await Promise.all(
        items.map(async ([id, c]) => {
          try {
            await c.shutdown(deadline);
          } catch (err) {
            log?.error(`${kind} shutdown failed`, { component: `${kind}/${id}`, error: err instanceof Error ? err.message : String(err) });
          }
        }),
      );
    };
    const receivers = stop('receiver', [...this.receivers]);
    for (const chain of this.processors) for (const p of chain) p.instance.drain?.();
    await receivers;
    for (let depth = 0; ; depth++) {
      const layer = this.processors.filter((chain) => chain.length > depth).map((chain): [string, Lifecycle] => [chain[depth].id, chain[depth].instance]);
      if (layer.length === 0) break;
      await stop('processor', layer);
    }
    await stop('exporter', [...this.exporters]);
    await stop('extension', this.extensions.map((e): [string, Lifecycle] => [e.id, e.instance]));
  }
}
