/**
 * Batch ids for exactly-once writes. Each batch the exporter accepts gets a
 * random UUID, kept for as long as the batch object lives, so every retry
 * of it carries the same id. For the persistent queue the id is written to
 * disk with the batch (16 bytes before the OTLP protobuf), so a batch read
 * back after a restart keeps the id it was first given: if an earlier
 * attempt committed and only the acknowledgement was lost, the retry finds
 * the id in `otel_batches` and writes nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Batch } from '../../model/batch';
import type { BatchCodec } from '../helper';
import { PROTO_BATCH_CODEC } from '../otlp_common/exporter';

export class BatchIds {
  private readonly ids = new WeakMap<Batch, string>();

  /** A new id for a batch this exporter now owns. */
  assign(batch: Batch): string {
    const id = randomUUID();
    this.ids.set(batch, id);
    return id;
  }

  /** The batch's id (assigned now if it somehow has none). */
  of(batch: Batch): string {
    return this.ids.get(batch) ?? this.assign(batch);
  }

  /** The persistent queue's codec: the id's 16 bytes, then the batch as {@link PROTO_BATCH_CODEC} stores it. */
  codec(): BatchCodec {
    return {
      encode: (batch) => {
        const body = PROTO_BATCH_CODEC.encode(batch);
        const out = new Uint8Array(16 + body.length);
        out.set(Buffer.from(this.of(batch).replace(/-/g, ''), 'hex'), 0);
        out.set(body, 16);
        return out;
      },
      decode: (bytes) => {
        if (bytes.length < 17) throw new Error(`queued batch of ${bytes.length} bytes is too short to hold an id`);
        const batch = PROTO_BATCH_CODEC.decode(bytes.subarray(16));
        const hex = Buffer.from(bytes.buffer, bytes.byteOffset, 16).toString('hex');
        this.ids.set(batch, `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`);
        return batch;
      },
    };
  }
}
