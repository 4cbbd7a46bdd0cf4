/**
 * String decoding for the reader: Node's native UTF-8 slice, fronted by small
 * byte-keyed caches for the strings that repeat on nearly every item
 * (attribute keys, and short values such as methods, routes, model names).
 *
 * A cache hit costs a hash and a byte compare instead of a native call and a
 * new string, and equal strings become the same string (cheaper to hold and
 * to compare later). A value cache that keeps missing (high-cardinality
 * values) switches itself off for a while, bounding what misses can cost.
 */

import type { AnyValue } from '../../model/common';

/** Node's native UTF-8 slice (undocumented but long-standing); toString is the fallback. */
export type TextBuffer = Buffer & { utf8Slice?(start: number, end: number): string };
const HAS_UTF8_SLICE = typeof (Buffer.prototype as TextBuffer).utf8Slice === 'function';

/** Decodes UTF-8, replacing invalid sequences with U+FFFD (never throws). */
export function utf8(text: TextBuffer, start: number, end: number): string {
  return HAS_UTF8_SLICE ? text.utf8Slice!(start, end) : text.toString('utf8', start, end);
}

const SLOTS = 4096;
/** Longer strings bypass the cache: they are rarely repeated and costlier to compare. */
const WIDTH = 32;
/** Lookups per adaptivity window, and how many lookups to bypass after a bad window. */
const WINDOW = 256;
const BACKOFF = 8192;

/** A fixed-size, byte-keyed, direct-mapped cache of decoded strings (a collision just replaces the slot). */
export class StringCache {
  private readonly lens = new Int32Array(SLOTS).fill(-1);
  private readonly bytes = new Uint8Array(SLOTS * WIDTH);
  private readonly strings: string[] = new Array<string>(SLOTS).fill('');
  /** The slot's string as an AnyValue, made on first request. */
  private readonly values: Array<AnyValue | undefined> = new Array<AnyValue | undefined>(SLOTS).fill(undefined);
  private lookups = 0;
  private misses = 0;
  private bypass = 0;

  constructor(private readonly adaptive: boolean) {}

  /** The string for `buf[start, end)`, `text` being a Buffer view of the same bytes. */
  get(buf: Uint8Array, text: TextBuffer, start: number, end: number): string {
    const slot = this.lookup(buf, text, start, end);
    return slot < 0 ? utf8(text, start, end) : this.strings[slot];
  }

  /**
   * The same as a string AnyValue. A hit returns the object the slot holds:
   * AnyValues are immutable, so points with equal attribute values can share
   * one, and a decoded attribute costs one allocation fewer.
   */
  getValue(buf: Uint8Array, text: TextBuffer, start: number, end: number): AnyValue {
    const slot = this.lookup(buf, text, start, end);
    if (slot < 0) return { kind: 'string', value: utf8(text, start, end) };
    let v = this.values[slot];
    if (v === undefined) v = this.values[slot] = { kind: 'string', value: this.strings[slot] };
    return v;
  }

  /** The slot holding `buf[start, end)` (filled on a miss), or -1 when the cache is bypassed. */
  private lookup(buf: Uint8Array, text: TextBuffer, start: number, end: number): number {
    const n = end - start;
    if (n > WIDTH) return -1;
    if (this.bypass > 0) {
      this.bypass--;
      return -1;
    }
    let h = n;
    for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    const slot = (h ^ (h >>> 15)) & (SLOTS - 1);
    const base = slot * WIDTH;
    const bytes = this.bytes;
    if (this.adaptive && ++this.lookups === WINDOW) this.endWindow();
    if (this.lens[slot] === n) {
      let i = 0;
      while (i < n && bytes[base + i] === buf[start + i]) i++;
      if (i === n) return slot;
    }
    this.misses++;
    this.lens[slot] = n;
    for (let i = 0; i < n; i++) bytes[base + i] = buf[start + i];
    this.strings[slot] = utf8(text, start, end);
    this.values[slot] = undefined;
    return slot;
  }

  private endWindow(): void {
    if (this.misses * 2 > WINDOW) this.bypass = BACKOFF;
    this.lookups = 0;
    this.misses = 0;
  }
}

/** Attribute keys: low cardinality almost by definition, so always cached. */
export const KEYS = new StringCache(false);
/** Short string values: cached while it pays. */
export const VALUES = new StringCache(true);
