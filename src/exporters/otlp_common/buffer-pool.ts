/**
 * Request buffers a sender reuses. A batch of resources still in wire form
 * (model/wire.ts) is copied into one buffer per export; a fresh buffer each
 * time is megabytes a second of new memory outside V8's heap, which V8
 * weighs against its old generation until a full collection frees it: at
 * 10,000 Claude Code events a second that alone set off about one full
 * collection in four. A buffer is lent to one send and comes back when that
 * send has settled, so no two requests ever share one.
 */

const MIN_CAPACITY = 64 * 1024;

export class BufferPool {
  private readonly free: Uint8Array[] = [];

  /**
   * @param keep how many idle buffers to keep
   * @param maxBytes buffers larger than this are not kept (a rare huge batch does not stay resident)
   */
  constructor(
    private readonly keep = 2,
    private readonly maxBytes = 16 * 1024 * 1024,
  ) {}

  /** A buffer of at least `size` bytes, not lent to anyone else until it is given back. */
  take(size: number): Uint8Array {
    for (let i = 0; i < this.free.length; i++) {
      if (this.free[i].length >= size) return this.free.splice(i, 1)[0];
    }
    let capacity = MIN_CAPACITY;
    while (capacity < size) capacity *= 2;
    return new Uint8Array(capacity);
  }

  /** Gives back a buffer `take` returned, once nothing reads it any more. */
  give(buf: Uint8Array): void {
    if (buf.length > this.maxBytes) return;
    if (this.free.length >= this.keep) {
      // Keep the larger ones: they fit more batches.
      const smallest = this.free.reduce((at, b, i) => (b.length < this.free[at].length ? i : at), 0);
      if (this.free[smallest].length >= buf.length) return;
      this.free.splice(smallest, 1);
    }
    this.free.push(buf);
  }

  /** Idle buffers kept (for tests). */
  get idle(): number {
    return this.free.length;
  }
}
