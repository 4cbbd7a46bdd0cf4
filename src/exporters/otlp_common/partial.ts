/**
 * `partial_success` in a 200 response: the server kept the rest and will
 * never take these items, so they are counted as dropped (never retried) and
 * each distinct message is logged once.
 */
import type { Counter } from '@opentelemetry/api';
import { ITEM_NAME, type Signal } from '../../model/batch';
import type { ComponentSettings } from '../../pipeline/component';

export class PartialSuccessReporter {
  private readonly seen = new Set<string>();
  private readonly rejected: Counter;
  constructor(private readonly settings: ComponentSettings) {
    this.rejected = settings.meter.createCounter('otel_pipeline_exporter_partial_success_rejected_items', {
      description: 'Items the server refused in a partial_success response (dropped, not retried).',
    });
  }

  report(signal: Signal, rejected: number, message: string): void {
    if (rejected <= 0 && message === '') return;
    if (rejected > 0) this.rejected.add(rejected, { exporter: this.settings.id, signal, item: ITEM_NAME[signal] });
    const key = `${signal}\0${message}`;
    if (this.seen.has(key)) return;
    if (this.seen.size < 1000) this.seen.add(key);
    this.settings.logger.warn('the server refused part of a request; those items are dropped', {
      signal,
      rejected,
      message,
    });
  }
}
