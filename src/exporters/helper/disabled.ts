/**
 * An exporter left without a destination on purpose: a preset writes
 * `endpoint: ${env:PG_URL:-}` so one file runs with or without the service.
 * It says so once at start and accounts for every item it is given as
 * dropped (`reason="not_configured"`), so nothing vanishes silently.
 */
import type { Counter } from '@opentelemetry/api';
import { countItems, ITEM_NAME, SIGNALS, type Signal } from '../../model/batch';
import type { ComponentSettings, Exporter } from '../../pipeline/component';

/** `why` completes "exporter <id> is off: ...", e.g. "endpoint is empty (set PG_URL to enable it)". */
export function createDisabledExporter(settings: ComponentSettings, why: string): Exporter {
  const dropped = {} as Record<Signal, Counter>;
  for (const s of SIGNALS) {
    dropped[s] = settings.meter.createCounter(`otel_pipeline_exporter_send_failed_${ITEM_NAME[s]}`, { description: `Items (${ITEM_NAME[s]}) the exporter gave up on, by reason.` });
  }
  const attrs = { exporter: settings.id, reason: 'not_configured' };
  return {
    async start() {
      settings.logger.warn(`exporter ${settings.id} is off: ${why}; everything sent to it is counted as dropped (otel_pipeline_exporter_send_failed_*{reason="not_configured"})`);
    },
    async consume(batch) {
      dropped[batch.signal].add(countItems(batch), attrs);
    },
    async shutdown() {},
  };
}
