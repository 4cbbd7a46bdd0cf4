/**
 * Counts what each exporter sent and failed to send, per signal and (for
 * failures) reason, around the exporter's own consume.
 */
import type { Meter } from '@opentelemetry/api';
import { countItems, ITEM_NAME, SIGNALS, type Batch, type Signal } from '../model/batch';
import type { Exporter } from './component';
import { asPipelineError } from './errors';

export function instrumentExporter(exporter: Exporter, id: string, meter: Meter): Exporter {
  const sent = {} as Record<Signal, ReturnType<Meter['createCounter']>>;
  const failed = {} as Record<Signal, ReturnType<Meter['createCounter']>>;
  for (const s of SIGNALS) {
    sent[s] = meter.createCounter(`otel_pipeline_exporter_sent_${ITEM_NAME[s]}`, { description: `Items (${ITEM_NAME[s]}) the exporter delivered.` });
    failed[s] = meter.createCounter(`otel_pipeline_exporter_send_failed_${ITEM_NAME[s]}`, { description: `Items (${ITEM_NAME[s]}) the exporter failed to deliver, by reason.` });
  }
  const attrs = { exporter: id };
  return {
    start: () => exporter.start(),
    shutdown: (deadline: number) => exporter.shutdown(deadline),
    async consume(batch: Batch): Promise<void> {
      const items = countItems(batch);
      try {
        await exporter.consume(batch);
      } catch (err) {
        const e = asPipelineError(err, id);
        failed[batch.signal].add(items, { ...attrs, reason: e.code.toLowerCase() });
        throw e;
      }
      sent[batch.signal].add(items, attrs);
    },
  };
}
