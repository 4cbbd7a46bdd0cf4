/**
 * Typed reads from a parsed OTLP/JSON document, following the proto3 JSON
 * mapping: null means "default", 64-bit integers come as strings or numbers,
 * doubles may be "NaN"/"Infinity"/"-Infinity", enums as integers or names.
 *
 * A value of the wrong type fails the whole request with the JSON path in the
 * message. An invalid id only marks the current item (see `Ctx.bad`), so the
 * decoder can reject that item and keep the rest.
 */
import { OtlpDecodeError, Rejections } from '../decode-result';
import type { NanosParts } from '../../model/nanos';
import { nanosFromNumber, nanosFromString } from '../../model/nanos';
import { BIG_MARK_CODE, markedDigits } from './parse';

export type Rec = Record<string, unknown>;

/** Decoding state for one request. */
export class Ctx {
  /** Where we are, for error messages: field names and array indexes. */
  readonly path: (string | number)[] = [];
  readonly rej = new Rejections();
  /** Why the item being decoded is invalid; '' while it is fine. */
  bad = '';
  /** Scratch for timestamps, copied out right after each read. */
  readonly t: NanosParts = { ms: 0, ns: 0 };
  /** True when strings may be rewritten big number literals (parse.ts). */
  constructor(readonly big: boolean) {}
}

export const NO_ITEMS: readonly unknown[] = Object.freeze([]);

/** The path as `a[0].b.c`, with `name` (and an index into it) appended. */
export function where(ctx: Ctx, name?: string, index?: number): string {
  let s = '';
  const segs: (string | number)[] = [...ctx.path];
  if (name !== undefined) segs.push(name);
  if (index !== undefined) segs.push(index);
  for (const p of segs) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : '.' + p;
  return s === '' ? 'request' : s;
}

/** Fails the whole request: the body does not follow the OTLP/JSON schema. */
export function fail(ctx: Ctx, what: string, name?: string, index?: number): never {
  throw new OtlpDecodeError(`invalid OTLP/JSON: ${where(ctx, name, index)} ${what}`);
}

function isMarked(ctx: Ctx, v: string): boolean {
  return ctx.big && v.charCodeAt(0) === BIG_MARK_CODE;
}

/** The JSON type of a value, as the sender wrote it. */
export function jsonType(ctx: Ctx, v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string' && isMarked(ctx, v)) return 'number';
  return typeof v;
}

function show(ctx: Ctx, v: unknown): string {
  if (typeof v === 'string') {
    if (isMarked(ctx, v)) return v.slice(1);
    return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v);
  }
  return typeof v === 'number' ? String(v) : jsonType(ctx, v);
}

function wrong(ctx: Ctx, expected: string, v: unknown, name?: string, index?: number): never {
  return fail(ctx, `must be ${expected}, got ${jsonType(ctx, v)}`, name, index);
}

function bad(ctx: Ctx, expected: string, v: unknown, name?: string, index?: number): never {
  return fail(ctx, `must be ${expected}, got ${show(ctx, v)}`, name, index);
}

/** A field by its lowerCamelCase name, else by its original snake_case name. */
export function get(o: Rec, camel: string, snake?: string): unknown {
  const v = o[camel];
  return v === undefined && snake !== undefined ? o[snake] : v;
}

/** An object (message) or undefined when absent/null. */
export function objV(ctx: Ctx, v: unknown, name?: string, index?: number): Rec | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) wrong(ctx, 'an object', v, name, index);
  return v as Rec;
}

/** An array element that must be a message (null is not allowed in repeated fields). */
export function elemObj(ctx: Ctx, v: unknown): Rec {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) wrong(ctx, 'an object', v);
  return v as Rec;
}

/** A repeated field; absent or null is the empty list. */
export function arrV(ctx: Ctx, v: unknown, name: string): readonly unknown[] {
  if (v === undefined || v === null) return NO_ITEMS;
  if (!Array.isArray(v)) wrong(ctx, 'an array', v, name);
  return v;
}

/** A string field; a rewritten big number literal is reported as the number it was. */
export function strV(ctx: Ctx, v: unknown, name: string, index?: number): string {
  if (typeof v === 'string' && !isMarked(ctx, v)) return v;
  if (v === undefined || v === null) return '';
  return wrong(ctx, 'a string', v, name, index);
}

/** A bool field: only true/false, as in the proto3 JSON mapping. */
export function boolV(ctx: Ctx, v: unknown, name: string): boolean {
  if (typeof v === 'boolean') return v;
  if (v === undefined || v === null) return false;
  return wrong(ctx, 'a boolean', v, name);
}

/** The decimal text of an integer-ish string, or undefined for any other string. */
function intText(ctx: Ctx, s: string): string | undefined {
  const d = ctx.big ? markedDigits(s) : undefined;
  if (d !== undefined) return d;
  return /^-?\d+$/.test(s) ? s : undefined;
}

/** A 32-bit integer field (int32, sint32, uint32, fixed32, enum number). */
export function int32V(ctx: Ctx, v: unknown, name: string, min: number, max: number): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (v === undefined || v === null) return 0;
  else if (typeof v === 'string') {
    const t = intText(ctx, v);
    if (t === undefined) bad(ctx, 'an integer', v, name);
    n = Number(t);
  } else return wrong(ctx, 'an integer', v, name);
  if (!Number.isInteger(n) || n < min || n > max)
    bad(ctx, `an integer in [${min}, ${max}]`, v, name);
  return n + 0; // -0 → 0
}

export const U32_MAX = 4294967295;
export const I32_MIN = -2147483648;
export const I32_MAX = 2147483647;

/** A uint32 / fixed32 field (flags, dropped counts). */
export function u32V(ctx: Ctx, v: unknown, name: string): number {
  return int32V(ctx, v, name, 0, U32_MAX);
}

/** An enum: its integer value or its proto value name. */
export function enumV(ctx: Ctx, v: unknown, name: string, names: Readonly<Record<string, number>>): number {
  if (typeof v === 'string' && !/^-?\d/.test(v) && !isMarked(ctx, v)) {
    const n = Object.prototype.hasOwnProperty.call(names, v) ? names[v] : undefined;
    if (n === undefined) bad(ctx, 'a known enum value name or an integer', v, name);
    return n;
  }
  return int32V(ctx, v, name, I32_MIN, I32_MAX);
}

const TWO64 = 18446744073709551616;
const U64_MAX_TEXT = '18446744073709551615';

/** Decimal text of a uint64 in a string or number, else throws. */
function u64Text(ctx: Ctx, v: unknown, name: string, index?: number): string | number {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v < TWO64) return v + 0;
  } else if (typeof v === 'string') {
    const t = intText(ctx, v);
    if (t !== undefined && t.charCodeAt(0) !== 45 && (t.length < 20 || (t.length === 20 && t <= U64_MAX_TEXT))) return t;
  } else return wrong(ctx, 'an unsigned integer (string or number)', v, name, index);
  return bad(ctx, 'an unsigned 64-bit integer', v, name, index);
}

/**
 * A uint64 count as a JS number. Exact below 2^53; the model holds counts as
 * numbers, so larger ones become the nearest double.
 */
export function u64V(ctx: Ctx, v: unknown, name: string, index?: number): number {
  if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v)) return v + 0;
  if (v === undefined || v === null) return 0;
  const t = u64Text(ctx, v, name, index);
  // Near 2^64 the nearest double can round up to 2^64 itself, which is no uint64.
  return Math.min(typeof t === 'number' ? t : Number(t), MAX_U64_DOUBLE);
}

/** The largest double below 2^64. */
const MAX_U64_DOUBLE = 18446744073709549568;

/** A uint64 nanosecond timestamp into ctx.t (ms + sub-ms ns), exact for strings and safe numbers. */
export function timeV(ctx: Ctx, v: unknown, name: string): NanosParts {
  const t = ctx.t;
  if (typeof v === 'string' && nanosFromString(v, t)) return t;
  if (typeof v === 'number' && v <= Number.MAX_SAFE_INTEGER && nanosFromNumber(v, t)) {
    t.ms += 0;
    return t;
  }
  if (v === undefined || v === null) {
    t.ms = 0;
    t.ns = 0;
    return t;
  }
  const x = u64Text(ctx, v, name);
  // An integral double above 2^53 (e.g. written with an exponent): use its exact value.
  nanosFromString(typeof x === 'number' ? BigInt(x).toString() : x, t);
  return t;
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

/** An int64: a number within ±(2^53-1), else a bigint. */
export function i64V(ctx: Ctx, v: unknown, name: string): number | bigint {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return v + 0;
    if (Number.isInteger(v) && v >= -9223372036854775808 && v < 9223372036854775808) return BigInt(v);
    return bad(ctx, 'a signed 64-bit integer', v, name);
  }
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'string') return wrong(ctx, 'an integer (string or number)', v, name);
  const t = intText(ctx, v);
  if (t === undefined) return bad(ctx, 'a signed 64-bit integer', v, name);
  if (t.length < 16) return Number(t) + 0;
  const b = BigInt(t);
  if (b < I64_MIN || b > I64_MAX) return bad(ctx, 'a signed 64-bit integer', v, name);
  const n = Number(b);
  return Number.isSafeInteger(n) ? n : b;
}

const DOUBLE_TEXT = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A double: a number, "NaN", "Infinity", "-Infinity" or a numeric string. */
export function doubleV(ctx: Ctx, v: unknown, name: string, index?: number): number {
  if (typeof v === 'number') return v;
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'string') return wrong(ctx, 'a number', v, name, index);
  if (v === 'NaN') return NaN;
  if (v === 'Infinity') return Infinity;
  if (v === '-Infinity') return -Infinity;
  const d = ctx.big ? markedDigits(v) : undefined;
  if (d !== undefined) return Number(d);
  if (DOUBLE_TEXT.test(v)) return Number(v);
  return bad(ctx, 'a number', v, name, index);
}

/** An `optional double`: undefined when absent or null. */
export function optDoubleV(ctx: Ctx, v: unknown, name: string): number | undefined {
  return v === undefined || v === null ? undefined : doubleV(ctx, v, name);
}

/** A `repeated` scalar field read with `elem`; null elements are not allowed (`what` names the type they must be). */
function scalarsV<T>(ctx: Ctx, v: unknown, name: string, what: string, elem: (ctx: Ctx, x: unknown, name: string, i: number) => T): T[] {
  const a = arrV(ctx, v, name);
  const out = new Array<T>(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x === null) wrong(ctx, what, x, name, i);
    out[i] = elem(ctx, x, name, i);
  }
  return out;
}

/** A `repeated uint64` of counts. */
export function u64ArrayV(ctx: Ctx, v: unknown, name: string): number[] {
  return scalarsV(ctx, v, name, 'an unsigned integer (string or number)', u64V);
}

/** A `repeated double`. */
export function doubleArrayV(ctx: Ctx, v: unknown, name: string): number[] {
  return scalarsV(ctx, v, name, 'a number', doubleV);
}

/** A `repeated string`. */
export function stringArrayV(ctx: Ctx, v: unknown, name: string): string[] {
  return scalarsV(ctx, v, name, 'a string', strV);
}

const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[65 + i] = HEX[97 + i] = 10 + i;

/**
 * A trace or span id: hex (any case) of exactly `size` bytes, or empty. A
 * non-string fails the request; bad hex or a wrong length only marks the item
 * invalid (ctx.bad) and yields an empty id.
 */
export function idV(ctx: Ctx, v: unknown, name: string, size: number): Uint8Array {
  if (v === undefined || v === null || v === '') return new Uint8Array(0);
  const s = strV(ctx, v, name);
  if (s.length === size * 2) {
    const out = new Uint8Array(size);
    let ok = true;
    for (let i = 0; i < size; i++) {
      const hi = s.charCodeAt(2 * i);
      const lo = s.charCodeAt(2 * i + 1);
      const h = hi < 128 ? HEX[hi] : -1;
      const l = lo < 128 ? HEX[lo] : -1;
      if (h < 0 || l < 0) ok = false;
      out[i] = (h << 4) | l;
    }
    if (ok) return out;
  }
  markBad(ctx, `${where(ctx, name)} ${show(ctx, s)} is not ${size * 2} hex digits`);
  return new Uint8Array(0);
}

/** Marks the current item invalid (the first reason wins). */
export function markBad(ctx: Ctx, why: string): void {
  if (ctx.bad === '') ctx.bad = why;
}

const B64 = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/;

/** Standard or URL-safe base64, padding optional. */
export function bytesV(ctx: Ctx, v: unknown, name: string): Uint8Array {
  const s = strV(ctx, v, name);
  const body = s.length - (s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0);
  if (!B64.test(s) || body % 4 === 1 || (body !== s.length && s.length % 4 !== 0)) bad(ctx, 'base64', s, name);
  return new Uint8Array(Buffer.from(s, 'base64'));
}
