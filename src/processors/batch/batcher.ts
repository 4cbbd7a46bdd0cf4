/**
 * The batch processor's engine: collects batches until `sendBatchSize` items
 * or `timeout`, then sends them on as one (or several, capped at
 * `sendBatchMaxSize`). Every caller's promise settles with the downstream
 * result of the sends that carried its items, so errors and backpressure
 * reach the receiver instead of being swallowed here.
 */
import { countItems, type Batch } from '../../model/batch';
import type { Consumer } from '../../pipeline/component';
import { asPipelineError, combineErrors, unavailableError, type PipelineError } from '../../pipeline/errors';
import { mergeBatches, splitBatch } from './split';

export interface BatcherOptions {
  timeoutMs: number;
  sendBatchSize: number;
  /** 0 = no upper bound. */
  sendBatchMaxSize: number;
}

interface Waiter {
  resolve(): void;
  reject(err: PipelineError): void;
}

export class Batcher {
  private pending: Batch[] = [];
  /** Items waiting for the next send. */
  pendingItems = 0;
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  private draining = false;

  constructor(
    private readonly opts: BatcherOptions,
    private readonly next: Consumer,
    private readonly id: string,
  ) {}

  consume(batch: Batch): Promise<void> {
    if (this.closed) return Promise.reject(unavailableError('batch processor is shutting down', this.id));
    const items = countItems(batch);
    if (items === 0) return Promise.resolve();
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.pending.push(batch);
    this.pendingItems += items;
    if (this.draining || this.pendingItems >= this.opts.sendBatchSize) this.flush();
    else if (this.timer === undefined && this.opts.timeoutMs > 0) {
      this.timer = setTimeout(() => this.flush(), this.opts.timeoutMs);
    } else if (this.opts.timeoutMs <= 0) this.flush();
    return done;
  }

  /** Sends everything pending now. */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const merged = mergeBatches(this.pending);
    const total = this.pendingItems;
    const waiters = this.waiters;
    this.pending = [];
    this.pendingItems = 0;
    this.waiters = [];

    const max = this.opts.sendBatchMaxSize;
    const pieces = max > 0 && total > max ? splitBatch(merged, max) : [merged];
    const send = Promise.allSettled(pieces.map((p) => this.next.consume(p))).then((results) => {
      const errors: PipelineError[] = [];
      for (const r of results) if (r.status === 'rejected') errors.push(asPipelineError(r.reason, this.id));
      // A caller's items may sit in any piece, so any failed piece fails every
      // caller of this flush: they retry, and the pieces that did go through
      // are delivered again (at-least-once, never lost).
      if (errors.length === 0) for (const w of waiters) w.resolve();
      else {
        const err = combineErrors(errors);
        for (const w of waiters) w.reject(err);
      }
    });
    this.inFlight.add(send);
    void send.finally(() => this.inFlight.delete(send));
  }

  /** Sends what is pending now and every later batch at once, without waiting to fill. */
  drain(): void {
    this.draining = true;
    this.flush();
  }

  /** Flushes what is pending and waits for in-flight sends, up to the deadline. */
  async shutdown(deadline: number): Promise<void> {
    this.closed = true;
    this.flush();
    if (this.inFlight.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
    });
    await Promise.race([Promise.allSettled([...this.inFlight]), late]);
    clearTimeout(timer);
  }
}
