/**
 * OTLP/JSON writing shared by every signal. Output is built as strings
 * directly (no intermediate objects for JSON.stringify), omitting fields that
 * hold their proto3 default as the JSON mapping does.
 */
import { bytesToHex, type AnyValue, type EntityRef, type InstrumentationScope, type KeyValue, type Resource } from '../../model/common';
import { nanosToString } from '../../model/nanos';
import type { ResourceX, ScopeX, SignalEnvelope } from '../signals';

/** A JSON string literal. */
export const q: (s: string) => string = JSON.stringify;

/**
 * Appends `"key":val` to an object being built from '{'. Checking the length
 * of `s` is O(1) even on a concatenated (rope) string.
 */
export function fld(s: string, key: string, val: string): string {
  return (s.length > 1 ? s + ',"' : s + '"') + key + '":' + val;
}

/**
 * Flattens a string built from many small concatenations. Kept as a rope, a
 * whole request's worth of tiny string pieces survives until the final
 * write and the GC spends most of the encoding time copying them; flattening
 * each item (point, record, span) lets the pieces die young. Reading a
 * character is what makes V8 flatten a rope in place.
 */
export function flat(s: string): string {
  return s.charCodeAt(0) === 123 ? s : s;
}

/** A double; non-finite values as the proto3 JSON strings, and -0 kept. */
export function dbl(n: number): string {
  if (n === 0) return 1 / n < 0 ? '-0' : '0';
  if (n - n === 0) return String(n); // finite
  return n !== n ? '"NaN"' : n > 0 ? '"Infinity"' : '"-Infinity"';
}

/** Whether a double is the proto3 default (+0; -0 is written so it survives). */
export function isZero(n: number): boolean {
  return n === 0 && 1 / n > 0;
}

/** An int64/uint64 as the decimal string proto3 JSON uses. */
export function int64(v: number | bigint): string {
  return '"' + String(v) + '"';
}

/**
 * A uint64 count held as a number. Clamped so a value that is not a uint64
 * (negative, fractional, NaN, ≥ 2^64 or in exponent notation) cannot make the
 * output unreadable.
 */
export function uint64(n: number): string {
  if (n >= 0 && n <= 9007199254740991 && n % 1 === 0) return '"' + String(n) + '"';
  if (n >= 18446744073709549568) return '"18446744073709549568"';
  return n >= 0 ? '"' + BigInt(Math.floor(n)).toString() + '"' : '"0"';
}

/** A timestamp as its decimal nanosecond string. */
export function time(ms: number, ns: number): string {
  return '"' + nanosToString(ms, ns) + '"';
}

/** Appends a timestamp field unless it is 0. */
export function timeFld(s: string, key: string, ms: number, ns: number): string {
  return ms === 0 && ns === 0 ? s : fld(s, key, time(ms, ns));
}

/** Trace/span ids in hex, as OTLP/JSON requires (not base64). */
export function hex(b: Uint8Array): string {
  return '"' + bytesToHex(b) + '"';
}

/** Appends an id field unless it is empty. */
export function idFld(s: string, key: string, id: Uint8Array): string {
  return id.length === 0 ? s : fld(s, key, hex(id));
}

/** A JSON array of the elements written by `f`. */
export function list<T>(a: readonly T[], f: (x: T) => string): string {
  let s = '[';
  for (let i = 0; i < a.length; i++) s += i === 0 ? f(a[i]) : ',' + f(a[i]);
  return s + ']';
}

/** Appends a repeated field unless it is empty. */
export function listFld<T>(s: string, key: string, a: readonly T[], f: (x: T) => string): string {
  return a.length === 0 ? s : fld(s, key, list(a, f));
}

/** An AnyValue message; exactly one oneof member, or `{}` for the empty value. */
export function anyValue(v: AnyValue): string {
  switch (v.kind) {
    case 'string':
      return '{"stringValue":' + q(v.value) + '}';
    case 'bool':
      return v.value ? '{"boolValue":true}' : '{"boolValue":false}';
    case 'int':
      return '{"intValue":' + int64(v.value) + '}';
    case 'double':
      return '{"doubleValue":' + dbl(v.value) + '}';
    case 'bytes':
      return '{"bytesValue":"' + Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64') + '"}';
    case 'array':
      return v.value.length === 0 ? '{"arrayValue":{}}' : '{"arrayValue":{"values":' + list(v.value, anyValue) + '}}';
    case 'kvlist':
      return v.value.length === 0 ? '{"kvlistValue":{}}' : '{"kvlistValue":{"values":' + list(v.value, keyValue) + '}}';
    default:
      return '{}';
  }
}

/** A KeyValue message (the key is written even when empty). */
export function keyValue(kv: KeyValue): string {
  return '{"key":' + q(kv.key) + ',"value":' + anyValue(kv.value) + '}';
}

/** Appends a uint32/int32/enum field unless it is 0. */
export function intFld(s: string, key: string, n: number): string {
  return n === 0 ? s : fld(s, key, String(n));
}

/** Appends a string field unless it is empty. */
export function strFld(s: string, key: string, v: string): string {
  return v === '' ? s : fld(s, key, q(v));
}

function entityRef(e: EntityRef): string {
  let s = strFld('{', 'schemaUrl', e.schemaUrl);
  s = strFld(s, 'type', e.type);
  s = listFld(s, 'idKeys', e.idKeys, q);
  s = listFld(s, 'descriptionKeys', e.descriptionKeys, q);
  return s + '}';
}

/** Appends `"resource":{...}` unless the resource is empty. */
export function resourceFld(s: string, r: Resource): string {
  let o = listFld('{', 'attributes', r.attributes, keyValue);
  o = intFld(o, 'droppedAttributesCount', r.droppedAttributesCount);
  o = listFld(o, 'entityRefs', r.entityRefs, entityRef);
  return o.length === 1 ? s : fld(s, 'resource', o + '}');
}

/** Appends `"scope":{...}` unless the scope is empty. */
export function scopeFld(s: string, sc: InstrumentationScope): string {
  let o = strFld('{', 'name', sc.name);
  o = strFld(o, 'version', sc.version);
  o = listFld(o, 'attributes', sc.attributes, keyValue);
  o = intFld(o, 'droppedAttributesCount', sc.droppedAttributesCount);
  return o.length === 1 ? s : fld(s, 'scope', o + '}');
}

/**
 * An Export*ServiceRequest (`{}` when empty): the envelope (see ../signals.ts)
 * written once for all signals, with the signal's item writer.
 */
export function envelopeJson<R extends ResourceX, S extends ScopeX, T>(
  data: readonly R[],
  env: SignalEnvelope<R, S, T>,
  item: (x: T) => string,
): string {
  const scopeX = (sx: S): string => {
    const s = listFld(scopeFld('{', sx.scope), env.items[0], env.itemsOf(sx), item);
    return strFld(s, 'schemaUrl', sx.schemaUrl) + '}';
  };
  const resourceX = (rx: R): string => {
    const s = listFld(resourceFld('{', rx.resource), env.scopes[0], env.scopesOf(rx), scopeX);
    return strFld(s, 'schemaUrl', rx.schemaUrl) + '}';
  };
  return data.length === 0 ? '{}' : '{"' + env.resources[0] + '":' + list(data, resourceX) + '}';
}
