/**
 * A cursor over protobuf wire bytes, tuned for the OTLP receiver's hot path.
 *
 * Design notes:
 * - Bounds are checked against the whole input only; a field that runs past
 *   its enclosing message is caught when that message's loop ends (`endMessage`),
 *   which keeps the per-field cost to one comparison.
 * - fixed64 values are read as two uint32 halves into `hi`/`lo` on the reader
 *   itself, so timestamps and counts never allocate (and never need BigInt).
 * - Errors carry a path that is built only while the error unwinds: decode
 *   functions catch, prepend their field name and rethrow (`withPath`).
 */
import type { AnyValue } from '../../model/common';
import { nanosFromHiLo } from '../../model/nanos';
import { OtlpDecodeError } from '../decode-result';
import { KEYS, utf8, VALUES, type TextBuffer } from './strings';

const TWO32 = 4294967296;
/** The empty string value, shared like the cached ones. */
const EMPTY_STRING: AnyValue = { kind: 'string', value: '' };

/** AnyValue / group nesting beyond this is refused instead of risking a stack overflow. */
export const MAX_DEPTH = 64;

/**
 * The decode error with its location. Extends OtlpDecodeError so callers only
 * ever see that type; `finishError` turns it into the final message.
 */
export class ProtoDecodeError extends OtlpDecodeError {
  /** Path segments, outermost first, prepended while unwinding. */
  readonly segments: string[] = [];
  constructor(
    readonly detail: string,
    readonly offset: number,
  ) {
    super(`invalid protobuf: ${detail} at byte ${offset}`);
  }
}

/** Prepends `segment` to a decode error's path and rethrows it; other errors pass through. */
export function withPath(e: unknown, segment: string): never {
  if (e instanceof ProtoDecodeError) e.segments.unshift(segment);
  throw e;
}

/** Rewrites the message of a decode error to name the root message and the path. */
export function finishError(e: unknown, root: string): never {
  if (e instanceof ProtoDecodeError) {
    const path = e.segments.length ? `${root}.${e.segments.join('.').replace(/\.\[/g, '[')}` : root;
    e.message = `invalid protobuf: ${e.detail} at byte ${e.offset} in ${path}`;
  }
  throw e;
}

/**
 * The cursor. Decoders read a tag with `uint32()`, switch on it, and hand
 * anything unexpected to `skip()`. Every bounds or structure violation throws
 * ProtoDecodeError.
 */
export class ProtoReader {
  readonly buf: Uint8Array;
  readonly len: number;
  pos = 0;
  /** Halves of the last fixed64 / 64-bit varint read. */
  hi = 0;
  lo = 0;
  /** The last timestamp read by `time()`, split as in nanos.ts. */
  ms = 0;
  ns = 0;
  readonly view: DataView;
  private readonly text: TextBuffer;

  constructor(input: Uint8Array) {
    // A plain Uint8Array view, so that `slice` copies (Buffer#slice is a view)
    // and decoded bytes fields are plain Uint8Arrays whatever the input type.
    const buf = input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    this.buf = buf;
    this.len = buf.length;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    // A Buffer view (no copy) gives access to the native utf8Slice, which
    // replaces invalid sequences with U+FFFD instead of throwing.
    this.text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  fail(detail: string, at: number = this.pos): never {
    throw new ProtoDecodeError(detail, at);
  }

  /** A varint truncated to its low 32 bits, unsigned. Tags, lengths, uint32, enums (`| 0`). */
  uint32(): number {
    const buf = this.buf;
    let p = this.pos;
    if (p < this.len) {
      const b = buf[p];
      if (b < 0x80) {
        this.pos = p + 1;
        return b;
      }
    }
    // Five bytes carry 35 bits; the rest of a 10-byte varint (sign extension of
    // a negative int32) is validated and dropped.
    let v = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (p >= this.len) this.fail('truncated varint', this.pos);
      const b = buf[p++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) {
        this.pos = p;
        return v % TWO32;
      }
    }
    for (let i = 5; i < 10; i++) {
      if (p >= this.len) this.fail('truncated varint', this.pos);
      if (buf[p++] < 0x80) {
        this.pos = p;
        return v % TWO32;
      }
    }
    return this.fail('varint longer than 10 bytes', this.pos);
  }

  /** A full 64-bit varint into `hi`/`lo`. */
  varint64(): void {
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    let lo = 0;
    let hi = 0;
    let b = 0;
    for (let i = 0; i < 10; i++) {
      if (p >= this.len) this.fail('truncated varint', start);
      b = buf[p++];
      if (i < 4) lo |= (b & 0x7f) << (i * 7);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi = (b & 0x70) >>> 4;
      } else hi |= (b & 0x7f) << (i * 7 - 32);
      if (b < 0x80) {
        this.pos = p;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    this.fail('varint longer than 10 bytes', start);
  }

  /** A one-byte varint's value (the common case), else -1 with the whole varint read into `hi`/`lo`. */
  private smallVarint(): number {
    const p = this.pos;
    if (p < this.len && this.buf[p] < 0x80) {
      this.pos = p + 1;
      return this.buf[p];
    }
    this.varint64();
    return -1;
  }

  /** An unsigned 64-bit varint as a number (exact below 2^53). */
  uint64(): number {
    const b = this.smallVarint();
    return b >= 0 ? b : this.hi * TWO32 + this.lo;
  }

  /** A signed int64 varint: a number within ±(2^53-1), else a bigint. */
  int64(): number | bigint {
    const b = this.smallVarint();
    return b >= 0 ? b : signed64(this.hi, this.lo);
  }

  /** zigzag-encoded sint32. */
  sint32(): number {
    const n = this.uint32();
    return (n >>> 1) ^ -(n & 1);
  }

  bool(): boolean {
    this.varint64();
    return (this.hi | this.lo) !== 0;
  }

  fixed32(): number {
    const p = this.pos;
    if (p + 4 > this.len) this.fail('truncated fixed32');
    const b = this.buf;
    this.pos = p + 4;
    return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
  }

  /** A fixed64 into `hi`/`lo`. */
  fixed64(): void {
    const p = this.pos;
    if (p + 8 > this.len) this.fail('truncated fixed64');
    const b = this.buf;
    this.lo = (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
    this.hi = (b[p + 4] | (b[p + 5] << 8) | (b[p + 6] << 16) | (b[p + 7] << 24)) >>> 0;
    this.pos = p + 8;
  }

  /** An unsigned fixed64 as a number (exact below 2^53). */
  fixed64Number(): number {
    this.fixed64();
    return this.hi * TWO32 + this.lo;
  }

  /** An sfixed64: a number within ±(2^53-1), else a bigint. */
  sfixed64(): number | bigint {
    this.fixed64();
    return signed64(this.hi, this.lo);
  }

  /** A fixed64 nanosecond timestamp into `ms`/`ns`. */
  time(): void {
    this.fixed64();
    nanosFromHiLo(this.hi, this.lo, this);
  }

  double(): number {
    const p = this.pos;
    if (p + 8 > this.len) this.fail('truncated double');
    this.pos = p + 8;
    return this.view.getFloat64(p, true);
  }

  /** Reads a length prefix and returns the end offset of the payload it announces. */
  lenEnd(): number {
    const at = this.pos;
    const n = this.uint32();
    const end = this.pos + n;
    if (end > this.len) this.fail(`length ${n} runs past the end of the input (${this.len} bytes)`, at);
    return end;
  }

  string(): string {
    const end = this.lenEnd();
    const start = this.pos;
    this.pos = end;
    return start === end ? '' : utf8(this.text, start, end);
  }

  /** An attribute key, through the key cache (see strings.ts). */
  key(): string {
    const end = this.lenEnd();
    const start = this.pos;
    this.pos = end;
    return start === end ? '' : KEYS.get(this.buf, this.text, start, end);
  }

  /** A string AnyValue, its string through the value cache; equal cached values share one object. */
  stringValue(): AnyValue {
    const end = this.lenEnd();
    const start = this.pos;
    this.pos = end;
    return start === end ? EMPTY_STRING : VALUES.getValue(this.buf, this.text, start, end);
  }

  /**
   * A copy of a bytes field. Copies rather than views: the caller may reuse its
   * input buffer, and a 16-byte trace id must not keep a whole request alive
   * (nor make structuredClone copy it). Small copies cost ~30 ns more than a view.
   */
  bytes(): Uint8Array {
    const end = this.lenEnd();
    const start = this.pos;
    this.pos = end;
    return this.buf.slice(start, end);
  }

  /** Appends a packed run of fixed64 counts. */
  packedFixed64(into: number[]): void {
    const end = this.lenEnd();
    if ((end - this.pos) & 7) this.fail('packed fixed64 length is not a multiple of 8');
    while (this.pos < end) into.push(this.fixed64Number());
  }

  /** Appends a packed run of doubles. */
  packedDoubles(into: number[]): void {
    const end = this.lenEnd();
    if ((end - this.pos) & 7) this.fail('packed double length is not a multiple of 8');
    const view = this.view;
    for (let p = this.pos; p < end; p += 8) into.push(view.getFloat64(p, true));
    this.pos = end;
  }

  /** Appends a packed run of uint64 varints. */
  packedUint64(into: number[]): void {
    const end = this.lenEnd();
    while (this.pos < end) into.push(this.uint64());
    this.endMessage(end);
  }

  /** Throws unless a message's fields ended exactly at its announced end. */
  endMessage(end: number): void {
    if (this.pos !== end) this.fail(`field runs ${this.pos - end} bytes past the end of its message`, end);
  }

  /**
   * Skips one field whose tag was just read: unknown fields, and known fields
   * sent with an unexpected wire type (treated as unknown, as protobuf-go and
   * C++ do). Field number 0 and stray end-group tags are errors.
   */
  skip(tag: number, depth = 0): void {
    if (tag < 8) this.fail('field number 0', this.pos - 1);
    switch (tag & 7) {
      case 0:
        this.varint64();
        return;
      case 1:
        if (this.pos + 8 > this.len) this.fail('truncated fixed64');
        this.pos += 8;
        return;
      case 2:
        this.pos = this.lenEnd();
        return;
      case 3:
        this.skipGroup(tag >>> 3, depth + 1);
        return;
      case 4:
        return this.fail(`unexpected end group (field ${tag >>> 3})`);
      case 5:
        if (this.pos + 4 > this.len) this.fail('truncated fixed32');
        this.pos += 4;
        return;
      default:
        this.fail(`invalid wire type ${tag & 7} (field ${tag >>> 3})`);
    }
  }

  private skipGroup(field: number, depth: number): void {
    if (depth > MAX_DEPTH) this.fail(`groups nested deeper than ${MAX_DEPTH} levels`);
    const start = this.pos;
    while (this.pos < this.len) {
      const tag = this.uint32();
      if ((tag & 7) === 4) {
        if (tag >>> 3 !== field) this.fail(`end group ${tag >>> 3} does not match start group ${field}`);
        return;
      }
      this.skip(tag, depth);
    }
    this.fail(`unterminated group ${field}`, start);
  }
}

/** The int64 `hi:lo` (two's complement) as a number when safe, else a bigint. */
export function signed64(hi: number, lo: number): number | bigint {
  if (hi < 0x200000) return hi * TWO32 + lo; // < 2^53, non-negative
  if (hi >= 0xffe00000) {
    // Negative with magnitude ≤ 2^53: exact as (hi - 2^32) * 2^32 + lo.
    const v = (hi - TWO32) * TWO32 + lo;
    if (v >= -Number.MAX_SAFE_INTEGER) return v;
  }
  return BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo));
}
