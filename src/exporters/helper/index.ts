/**
 * The queue-and-retry machinery every push exporter shares (README.md): an
 * exporter supplies `send` (one attempt, classifying failures as SendError)
 * and a codec; the helper queues in memory or in a write-ahead log on disk,
 * retries with backoff, counts what it drops, and drains on shutdown.
 */
import { countItems, SIGNALS, type Batch, type Signal } from '../../model/batch';
import type { ComponentSettings } from '../../pipeline/component';
import { overloadedError, permanentError, unavailableError } from '../../pipeline/errors';
import type { HelperConfig } from './config';
import { BoundedQueue } from './memory-queue';
import { realClock, sendWithRetry, type Clock, type SendOutcome } from './retry';
import { HelperTelemetry } from './telemetry';
import { WalFullError, WriteAheadLog } from './wal';

export { helperSchemaProperties, validateHelperConfig, type HelperConfig, type QueueConfig } from './config';
export { SendError, type RetryConfig, type Clock } from './retry';

/** Turns batches into bytes and back, for the persistent queue. */
export interface BatchCodec {
  encode(batch: Batch): Uint8Array;
  decode(bytes: Uint8Array): Batch;
}

/** A queued batch: in memory the batch itself, on disk its log id. */
interface Job {
  batch?: Batch;
  id?: number;
  signal: Signal;
  items: number;
  size: number;
}

export interface HelperOptions {
  /** Time for backoff waits and give-up decisions (tests inject one). */
  clock?: Clock;
  /** Segment size of the write-ahead log (tests use small ones). */
  walSegmentBytes?: number;
  /**
   * Warn about a batch the destination will not take only the first time
   * for each reason (later ones at debug): for destinations whose refusals
   * repeat per batch, such as a database constraint. Default: every time.
   */
  warnOncePerDropReason?: boolean;
}

export class ExporterHelper {
  private readonly queue: BoundedQueue<Job> | undefined;
  private wal: WriteAheadLog | undefined;
  private readonly telemetry: HelperTelemetry;
  private readonly clock: Clock;
  /** Aborted at the shutdown deadline: in-flight sends and backoff waits end. */
  private readonly stop = new AbortController();
  private consumers: Array<Promise<void>> = [];
  private readonly inline = new Set<Promise<unknown>>();
  private roomWaiters: Array<() => void> = [];
  private inFlight = 0;
  /** Sizer units promised to appends still being written to disk. */
  private reserved = 0;
  private lostItems = 0;
  private readonly warnedReasons = new Set<string>();
  private started = false;
  private stopping = false;
  private done: Promise<void> | undefined;

  constructor(
    private readonly config: HelperConfig,
    private readonly settings: ComponentSettings,
    private readonly send: (batch: Batch, signal: AbortSignal) => Promise<void>,
    private readonly codec: BatchCodec,
    private readonly options: HelperOptions = {},
  ) {
    this.clock = options.clock ?? realClock;
    const q = config.sending_queue;
    if (q.enabled) this.queue = new BoundedQueue<Job>(q.queue_size);
    this.telemetry = new HelperTelemetry(settings.meter, settings.id, {
      queueSize: () => (this.queue?.size ?? 0) + this.reserved,
      queueCapacity: () => (q.enabled ? q.queue_size : 0),
      inFlight: () => this.inFlight,
    });
  }

  /** Opens and replays the persistent queue, then starts the consumers. */
  async start(): Promise<void> {
    if (this.started || this.stopping) return;
    const q = this.config.sending_queue;
    if (this.queue && q.storage) {
      const wal = new WriteAheadLog(q.storage.directory, { maxBytes: q.storage.max_size, segmentBytes: this.options.walSegmentBytes, logger: this.settings.logger });
      let pending: ReturnType<WriteAheadLog['open']>;
      try {
        pending = wal.open();
      } catch (err) {
        throw new Error(`exporter ${this.settings.id}: cannot open the persistent queue in ${q.storage.directory}: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.wal = wal;
      let items = 0;
      for (const e of pending) {
        const signal = SIGNALS[e.tag] ?? 'metrics';
        this.queue.offer({ id: e.id, signal, items: e.items, size: this.sizeOf(e.items) }, this.sizeOf(e.items), true);
        items += e.items;
      }
      if (pending.length > 0) this.settings.logger.info('replaying the persistent sending queue', { batches: pending.length, items, directory: q.storage.directory });
    }
    this.started = true;
    if (this.queue) for (let i = 0; i < q.num_consumers; i++) this.consumers.push(this.runConsumer(this.queue));
  }

  /**
   * Queues the batch (on disk: written and synced) and resolves; full →
   * overloaded (retryable) unless `block_on_overflow`. Without a queue, sends
   * now and settles with the outcome.
   */
  async consume(batch: Batch): Promise<void> {
    const id = this.settings.id;
    if (this.stopping) throw unavailableError(`exporter ${id} is shutting down`, id);
    const items = countItems(batch);
    if (!this.queue) return this.sendInline(batch, items);
    if (this.config.sending_queue.storage && !this.wal) throw unavailableError(`exporter ${id} has not started`, id);
    const size = this.sizeOf(items);
    const job: Job = { signal: batch.signal, items, size };
    while (!this.hasRoom(this.queue, size)) await this.refuseOrWait(batch.signal, items, `the sending queue of exporter ${id} is full (${this.queue.size} of ${this.queue.capacity} ${this.config.sending_queue.sizer})`);
    if (this.wal) {
      this.reserved += size;
      try {
        job.id = await this.appendToWal(batch, items);
      } finally {
        this.reserved -= size;
        this.wakeRoom();
      }
    } else {
      job.batch = batch;
    }
    if (!this.queue.offer(job, size, true)) throw unavailableError(`exporter ${id} is shutting down`, id);
  }

  /** Stops taking data, drains until `deadline`, then keeps (disk) or counts as lost (memory) what is left. */
  shutdown(deadline: number): Promise<void> {
    this.done ??= this.drain(deadline);
    return this.done;
  }

  private async drain(deadline: number): Promise<void> {
    this.stopping = true;
    this.queue?.close();
    this.wakeRoom();
    const timer = setTimeout(() => this.stop.abort(), Math.max(0, deadline - Date.now()));
    try {
      await Promise.all([...this.consumers, ...this.inline]);
    } finally {
      clearTimeout(timer);
      this.stop.abort();
    }
    if (this.wal) {
      await this.wal.close();
      const left = this.queue?.length ?? 0;
      if (left > 0) this.settings.logger.info('persistent sending queue kept for the next start', { batches: left });
    } else if (this.lostItems > 0) {
      this.settings.logger.warn('sending queue not drained before the shutdown deadline; data lost', { items: this.lostItems });
    }
    this.telemetry.close();
  }

  /** Room in the queue, counting batches still being written to disk; one batch always fits an empty queue. */
  private hasRoom(queue: BoundedQueue<Job>, size: number): boolean {
    return queue.size + this.reserved + size <= queue.capacity || (queue.length === 0 && this.reserved === 0);
  }

  private sizeOf(items: number): number {
    return this.config.sending_queue.sizer === 'items' ? items : 1;
  }

  private async appendToWal(batch: Batch, items: number): Promise<number> {
    const id = this.settings.id;
    const bytes = this.codec.encode(batch);
    for (;;) {
      try {
        return await this.wal!.append(bytes, items, SIGNALS.indexOf(batch.signal));
      } catch (err) {
        if (!(err instanceof WalFullError)) throw unavailableError(`exporter ${id} could not write its persistent queue: ${String(err)}`, id);
        if (err.tooLarge) throw permanentError(`exporter ${id}: ${err.message}`, id);
        await this.refuseOrWait(batch.signal, items, `exporter ${id}: ${err.message}`);
      }
    }
  }

  /** Full: refuse with a retryable error, or (block_on_overflow) wait until something leaves. */
  private async refuseOrWait(signal: Signal, items: number, message: string): Promise<void> {
    const id = this.settings.id;
    if (this.stopping) throw unavailableError(`exporter ${id} is shutting down`, id);
    if (!this.config.sending_queue.block_on_overflow) {
      this.telemetry.enqueueFailed(signal, items);
      throw overloadedError(message, id);
    }
    await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    if (this.stopping) throw unavailableError(`exporter ${id} is shutting down`, id);
  }

  private wakeRoom(): void {
    for (const w of this.roomWaiters.splice(0)) w();
  }

  private async sendInline(batch: Batch, items: number): Promise<void> {
    const id = this.settings.id;
    this.inFlight++;
    const p = this.sendOne(batch);
    this.inline.add(p);
    let outcome: SendOutcome;
    try {
      outcome = await p;
    } finally {
      this.inline.delete(p);
      this.inFlight--;
    }
    if (outcome.ok) return this.telemetry.sent(batch.signal, items);
    if (outcome.stopped) throw unavailableError(`exporter ${id} is shutting down: ${outcome.message}`, id);
    if (outcome.retryable) throw unavailableError(`exporter ${id}: ${outcome.message}`, id);
    this.dropped(batch.signal, items, outcome);
    throw permanentError(`exporter ${id}: ${outcome.message}`, id);
  }

  private sendOne(batch: Batch): Promise<SendOutcome> {
    return sendWithRetry((signal) => this.send(batch, signal), this.config.retry_on_failure, this.config.timeout, this.clock, this.stop.signal, {
      onRetry: (reason) => this.telemetry.retry(reason),
    });
  }

  private async runConsumer(queue: BoundedQueue<Job>): Promise<void> {
    // `job` is cleared before waiting for the next one: a consumer idling in
    // take() must not keep its last batch (and every point in it) alive.
    let job: Job | undefined;
    while ((job = (job = undefined, await queue.take())) !== undefined) {
      this.wakeRoom();
      if (this.stop.signal.aborted) {
        this.lose(job);
        continue;
      }
      this.inFlight++;
      try {
        await this.process(job);
      } catch (err) {
        this.settings.logger.error('exporter queue consumer failed', { error: String(err) });
      } finally {
        this.inFlight--;
      }
    }
  }

  private async process(job: Job): Promise<void> {
    let batch = job.batch;
    if (batch === undefined) {
      try {
        batch = this.codec.decode(await this.wal!.read(job.id!));
      } catch (err) {
        this.dropped(job.signal, job.items, { reason: 'corrupt', message: `unreadable queued batch: ${String(err)}`, attempts: 0 });
        return this.finish(job);
      }
    }
    const outcome = await this.sendOne(batch);
    if (outcome.ok) {
      this.telemetry.sent(job.signal, job.items);
      return this.finish(job);
    }
    if (outcome.stopped) return this.lose(job);
    this.dropped(job.signal, job.items, outcome);
    return this.finish(job);
  }

  /** The batch is done (sent or dropped): remove it from the log. */
  private async finish(job: Job): Promise<void> {
    if (this.wal && job.id !== undefined) await this.wal.ack(job.id);
    this.wakeRoom();
  }

  /** Shutdown cut the batch off: on disk it stays for the next start; in memory it is lost. */
  private lose(job: Job): void {
    if (this.wal) return;
    this.lostItems += job.items;
    this.telemetry.dropped(job.signal, job.items, 'shutdown');
  }

  private dropped(signal: Signal, items: number, why: { reason: string; message: string; attempts: number }): void {
    this.telemetry.dropped(signal, items, why.reason);
    const fields = { items, signal, reason: why.reason, attempts: why.attempts, error: why.message };
    if (!this.options.warnOncePerDropReason) return this.settings.logger.warn('dropping data the destination will not take', fields);
    if (this.warnedReasons.has(why.reason)) return this.settings.logger.debug('dropping data the destination will not take', fields);
    if (this.warnedReasons.size < 1000) this.warnedReasons.add(why.reason);
    this.settings.logger.warn('dropping data the destination will not take (said once per reason; later ones at debug level)', fields);
  }
}
