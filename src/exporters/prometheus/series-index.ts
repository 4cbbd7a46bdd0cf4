/**
 * A family's series, found by a hash of their rendered label set.
 *
 * Keying a Map by the label string means building that string (and hashing
 * it) for every point, ~150 bytes of garbage per point that the exporter
 * then has to collect. Keyed by a 30-bit hash of the same text instead, a
 * point's series is found from its attribute values alone (label-key.ts
 * hashes them piece by piece) and confirmed by comparing the stored values
 * in place; only a new series' values are stored. Series whose hashes
 * collide are chained through `next`.
 */
import type { Series } from './state';

/** Multiplier of the polynomial string hash (FNV's prime; any odd constant with mixed bits would do). */
export const HASH_BASE = 0x01000193;

/** The hash of a whole string: `h = h * HASH_BASE + charCode`, mod 2^32, over UTF-16 code units. */
export function hashText(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, HASH_BASE) + s.charCodeAt(i)) | 0;
  return h;
}

/** HASH_BASE ** n, mod 2^32: what the running hash is multiplied by to append n characters. */
export function hashPower(n: number): number {
  let p = 1;
  for (let i = 0; i < n; i++) p = Math.imul(p, HASH_BASE);
  return p;
}

/** The Map key for a hash: 30 bits, so it is a small integer and costs the map no boxed number. */
export function slot(h: number): number {
  return h & 0x3fffffff;
}

export class SeriesIndex {
  private readonly heads = new Map<number, Series>();
  size = 0;

  /** The first series in a hash's chain (follow `next` for the rest). */
  first(key: number): Series | undefined {
    return this.heads.get(key);
  }

  add(key: number, s: Series): void {
    s.next = this.heads.get(key);
    this.heads.set(key, s);
    this.size++;
  }

  /** Removes every series `drop` says to, calling `removed` for each; returns how many went. */
  removeWhere(drop: (s: Series) => boolean, removed: (s: Series) => void): number {
    let n = 0;
    for (const [key, head] of this.heads) {
      let first = head;
      let prev: Series | undefined;
      for (let s: Series | undefined = head; s !== undefined; s = s.next) {
        if (!drop(s)) {
          prev = s;
          continue;
        }
        if (prev === undefined) first = s.next as Series;
        else prev.next = s.next;
        n++;
        removed(s);
      }
      if (first === undefined) this.heads.delete(key);
      else if (first !== head) this.heads.set(key, first);
    }
    this.size -= n;
    return n;
  }

  /** Calls `fn` for every series, in no particular order (cheaper than iterating `values()`). */
  forEach(fn: (s: Series) => void): void {
    for (const head of this.heads.values()) for (let s: Series | undefined = head; s !== undefined; s = s.next) fn(s);
  }

  /** Every series, in no particular order. */
  *values(): IterableIterator<Series> {
    for (const head of this.heads.values()) for (let s: Series | undefined = head; s !== undefined; s = s.next) yield s;
  }
}
