/**
 * A bounded FIFO shared by the helper's consumers. Its size is counted in
 * whatever unit the `sizer` chose (requests or items); each entry carries its
 * own size so the count stays exact.
 */

interface Waiter<T> {
  resolve(v: T | undefined): void;
}

export class BoundedQueue<T> {
  private readonly entries: Array<{ value: T; size: number }> = [];
  private head = 0;
  private used = 0;
  private closed = false;
  private readonly takers: Array<Waiter<T>> = [];

  constructor(readonly capacity: number) {}

  /** Current size in sizer units. */
  get size(): number {
    return this.used;
  }

  get length(): number {
    return this.entries.length - this.head;
  }

  /**
   * Adds when there is room; false when full or closed. An entry larger than
   * the whole capacity is accepted into an empty queue, so it is not refused
   * forever. `force` skips the bound (replaying what was already accepted).
   */
  offer(value: T, size: number, force = false): boolean {
    if (this.closed) return false;
    if (!force && !this.hasRoom(size)) return false;
    const taker = this.takers.shift();
    if (taker) {
      taker.resolve(value);
      return true;
    }
    this.entries.push({ value, size });
    this.used += size;
    return true;
  }

  hasRoom(size: number): boolean {
    return this.used + size <= this.capacity || this.length === 0;
  }

  /** The next entry; waits while empty; undefined once closed and empty. */
  take(): Promise<T | undefined> {
    const e = this.poll();
    if (e !== undefined || this.closed) return Promise.resolve(e);
    return new Promise((resolve) => this.takers.push({ resolve }));
  }

  /** The next entry without waiting. */
  poll(): T | undefined {
    if (this.head >= this.entries.length) return undefined;
    const e = this.entries[this.head];
    this.entries[this.head] = undefined as never;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    this.used -= e.size;
    return e.value;
  }

  /** Refuses new entries and wakes every taker; what is queued can still be taken or drained. */
  close(): void {
    this.closed = true;
    for (const t of this.takers.splice(0)) t.resolve(undefined);
  }

  /** Removes and returns everything left. */
  drain(): T[] {
    const out: T[] = [];
    for (let e = this.poll(); e !== undefined; e = this.poll()) out.push(e);
    return out;
  }
}
