/**
 * The helper's self-telemetry, every series labelled with `exporter`.
 */
import type { Attributes, Counter, Meter, ObservableCallback, ObservableGauge } from '@opentelemetry/api';
import { ITEM_NAME, SIGNALS, type Signal } from '../../model/batch';

export interface QueueGauges {
  queueSize(): number;
  queueCapacity(): number;
  inFlight(): number;
}

export class HelperTelemetry {
  private readonly enqueueFailedBy = {} as Record<Signal, Counter>;
  private readonly droppedBy = {} as Record<Signal, Counter>;
  private readonly sentBy = {} as Record<Signal, Counter>;
  private readonly retries: Counter;
  private readonly gauges: Array<[ObservableGauge, ObservableCallback]> = [];
  private readonly attrs: Attributes;

  constructor(meter: Meter, id: string, sources: QueueGauges) {
    this.attrs = { exporter: id };
    for (const s of SIGNALS) {
      const unit = ITEM_NAME[s];
      this.enqueueFailedBy[s] = meter.createCounter(`otel_pipeline_exporter_enqueue_failed_${unit}`, { description: `Items (${unit}) refused because the sending queue was full.` });
      this.sentBy[s] = meter.createCounter(`otel_pipeline_exporter_sent_${unit}`, { description: `Items (${unit}) the destination accepted.` });
      this.droppedBy[s] = meter.createCounter(`otel_pipeline_exporter_send_failed_${unit}`, { description: `Items (${unit}) the exporter gave up on, by reason.` });
    }
    this.retries = meter.createCounter('otel_pipeline_exporter_retries', { description: 'Send attempts repeated after a retryable failure, by reason.' });
    const gauge = (name: string, description: string, read: () => number) => {
      const g = meter.createObservableGauge(name, { description });
      const cb: ObservableCallback = (r) => r.observe(read(), this.attrs);
      g.addCallback(cb);
      this.gauges.push([g, cb]);
    };
    gauge('otel_pipeline_exporter_queue_size', 'Batches or items (per the sizer) waiting in the sending queue.', sources.queueSize);
    gauge('otel_pipeline_exporter_queue_capacity', 'Capacity of the sending queue, in the sizer unit.', sources.queueCapacity);
    gauge('otel_pipeline_exporter_in_flight_requests', 'Sends under way, retries included.', sources.inFlight);
  }

  enqueueFailed(signal: Signal, items: number): void {
    this.enqueueFailedBy[signal].add(items, this.attrs);
  }

  sent(signal: Signal, items: number): void {
    this.sentBy[signal].add(items, this.attrs);
  }

  dropped(signal: Signal, items: number, reason: string): void {
    this.droppedBy[signal].add(items, { ...this.attrs, reason });
  }

  retry(reason: string): void {
    this.retries.add(1, { ...this.attrs, reason });
  }

  close(): void {
    for (const [g, cb] of this.gauges.splice(0)) g.removeCallback(cb);
  }
}
