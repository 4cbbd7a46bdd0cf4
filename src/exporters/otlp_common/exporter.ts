/**
 * The glue both OTLP exporters share: one sender attempt becomes the
 * helper's `send` (SendFailure → SendError, partial_success reported), and
 * the persistent queue stores batches as OTLP protobuf.
 */
import type { Batch } from '../../model/batch';
import type { ComponentSettings, Exporter } from '../../pipeline/component';
import { ExporterHelper, SendError, type BatchCodec, type HelperConfig } from '../helper';
import { SendFailure } from './classify';
import { decodeRequest, encodeRequest } from './codec';
import { PartialSuccessReporter } from './partial';

export interface OtlpSender {
  send(batch: Batch, abort?: AbortSignal): Promise<{ rejected: number; errorMessage: string }>;
  close(): void;
}

/** For the write-ahead queue: one byte naming the signal, then the OTLP protobuf request. */
export const PROTO_BATCH_CODEC: BatchCodec = {
  encode: (batch) => {
    const body = encodeRequest(batch, 'proto');
    const out = new Uint8Array(body.length + 1);
    out[0] = batch.signal === 'metrics' ? 0 : batch.signal === 'logs' ? 1 : 2;
    out.set(body, 1);
    return out;
  },
  decode: (bytes) => decodeRequest((['metrics', 'logs', 'traces'] as const)[bytes[0]] ?? 'metrics', bytes.subarray(1), 'proto'),
};

export function createOtlpExporter(config: HelperConfig, settings: ComponentSettings, makeSender: () => OtlpSender): Exporter {
  const partial = new PartialSuccessReporter(settings);
  let sender: OtlpSender | undefined;
  const send = async (batch: Batch, signal: AbortSignal): Promise<void> => {
    sender ??= makeSender();
    try {
      const { rejected, errorMessage } = await sender.send(batch, signal);
      partial.report(batch.signal, rejected, errorMessage);
    } catch (err) {
      if (err instanceof SendFailure) throw new SendError(err.message, { retryable: err.retryable, retryAfterMs: err.retryAfterMs, reason: err.reason, cause: err });
      throw err;
    }
  };
  const helper = new ExporterHelper(config, settings, send, PROTO_BATCH_CODEC);
  return {
    // The sender is made here so unreadable certificates stop the daemon at
    // start instead of dropping every batch later.
    async start() {
      sender ??= makeSender();
      await helper.start();
    },
    consume: (batch) => helper.consume(batch),
    async shutdown(deadline: number) {
      try {
        await helper.shutdown(deadline);
      } finally {
        sender?.close();
        sender = undefined;
      }
    },
  };
}
