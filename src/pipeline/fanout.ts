/**
 * One consumer in front of several: every one gets the batch, each mutating
 * consumer its own copy, and the result is the combination of theirs.
 */
import { cloneBatch, type Batch } from '../model/batch';
import type { Consumer } from './component';
import { asPipelineError, combineErrors, type PipelineError } from './errors';

export interface FanoutTarget {
  consumer: Consumer;
  /** Whether this consumer (or anything after it) changes the batch. */
  mutates: boolean;
  /** Whether it and everything after it take resources in their wire form (Consumer.takesWire). */
  wire?: boolean;
}

export function fanout(targets: readonly FanoutTarget[]): Consumer {
  if (targets.length === 1) return targets[0].consumer;
  // When everyone mutates, the last one can have the original; when anyone
  // only reads, the original must stay untouched for them.
  const allMutate = targets.every((t) => t.mutates);
  return {
    async consume(batch: Batch): Promise<void> {
      const results = await Promise.allSettled(
        targets.map((t, i) => {
          const own = t.mutates && !(allMutate && i === targets.length - 1) ? cloneBatch(batch) : batch;
          // A consumer that throws synchronously must not stop the others.
          try {
            return t.consumer.consume(own);
          } catch (err) {
            return Promise.reject(err);
          }
        }),
      );
      const errors: PipelineError[] = [];
      for (const r of results) if (r.status === 'rejected') errors.push(asPipelineError(r.reason));
      if (errors.length > 0) throw combineErrors(errors);
    },
  };
}
