/**
 * Attribute values for the actions engine: config values as `AnyValue`s,
 * type conversion, hashing, and values read from the request context.
 */
import { createHash } from 'node:crypto';
import type { RequestContext } from '../../model/batch';
import { anyValueToString, type AnyValue } from '../../model/common';

/**
 * A config value (YAML scalar, list or map) as an attribute value: string →
 * string, whole number → int, other number → double, bool → bool, list →
 * array, map → kvlist. Frozen, so one instance can sit on many items.
 * Returns undefined for what has no attribute form (null).
 */
export function configValue(v: unknown): AnyValue | undefined {
  let out: AnyValue;
  if (typeof v === 'string') out = { kind: 'string', value: v };
  else if (typeof v === 'boolean') out = { kind: 'bool', value: v };
  else if (typeof v === 'number') out = Number.isInteger(v) ? { kind: 'int', value: v } : { kind: 'double', value: v };
  else if (typeof v === 'bigint') out = { kind: 'int', value: v };
  else if (Array.isArray(v)) {
    const items: AnyValue[] = [];
    for (const x of v) {
      const c = configValue(x);
      if (!c) return undefined;
      items.push(c);
    }
    out = { kind: 'array', value: items };
  } else if (v !== null && typeof v === 'object') {
    const kvs = [];
    for (const [key, x] of Object.entries(v)) {
      const c = configValue(x);
      if (!c) return undefined;
      kvs.push({ key, value: c });
    }
    out = { kind: 'kvlist', value: kvs };
  } else return undefined;
  return Object.freeze(out);
}

export type ConvertTarget = 'int' | 'double' | 'string';

/**
 * The value converted to `to`, or the same value when it already has that
 * type or cannot be converted (a string that is not a number, a map, ...).
 * As in the Go collector: double → int truncates, bool → 1/0, strings parse
 * only when they are entirely a number.
 */
export function convertValue(v: AnyValue, to: ConvertTarget): AnyValue {
  switch (to) {
    case 'string':
      return v.kind === 'string' ? v : { kind: 'string', value: anyValueToString(v) };
    case 'int':
      switch (v.kind) {
        case 'double':
          return Number.isFinite(v.value) ? { kind: 'int', value: Math.trunc(v.value) } : v;
        case 'bool':
          return { kind: 'int', value: v.value ? 1 : 0 };
        case 'string': {
          const s = v.value.trim();
          if (!/^[+-]?\d+$/.test(s)) return v;
          const n = Number(s);
          return { kind: 'int', value: Number.isSafeInteger(n) ? n : BigInt(s) };
        }
        default:
          return v;
      }
    case 'double':
      switch (v.kind) {
        case 'int':
          return { kind: 'double', value: Number(v.value) };
        case 'bool':
          return { kind: 'double', value: v.value ? 1 : 0 };
        case 'string': {
          const s = v.value.trim();
          if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(Inf|Infinity|inf|infinity)$|^NaN$/.test(s)) return v;
          const n = /inf/i.test(s) ? (s.startsWith('-') ? -Infinity : Infinity) : Number(s);
          return { kind: 'double', value: n };
        }
        default:
          return v;
      }
  }
}

/**
 * SHA-256 hex of the value's string form, cached: the same e-mail address
 * arrives on every point of a session, and hashing is the costly part.
 */
export class Hasher {
  private cache = new Map<string, AnyValue>();
  constructor(private readonly capacity = 4096) {}

  hash(v: AnyValue): AnyValue {
    const text = anyValueToString(v);
    let out = this.cache.get(text);
    if (out === undefined) {
      out = Object.freeze({ kind: 'string', value: createHash('sha256').update(text).digest('hex') }) as AnyValue;
      // Dropping the whole cache when it fills keeps this O(1) without LRU bookkeeping.
      if (this.cache.size >= this.capacity) this.cache.clear();
      this.cache.set(text, out);
    }
    return out;
  }
}

/** Which part of the request context a `from_context` name refers to. */
export type ContextSource = { kind: 'client_address' } | { kind: 'metadata'; key: string };

/**
 * Parses a `from_context` name: `client.address` / `client_address`, or a
 * metadata key (request header / gRPC metadata), with or without the Go
 * collector's `metadata.` prefix. Header names are compared lower-case.
 * Returns an Error for what this daemon cannot provide (`auth.*`).
 */
export function parseContextSource(name: string): ContextSource | Error {
  if (name === 'client.address' || name === 'client_address') return { kind: 'client_address' };
  if (name.startsWith('auth.')) {
    return new Error('"auth.*" context values need a server authenticator, which this daemon does not have; use a metadata key (a request header) instead');
  }
  const key = (name.startsWith('metadata.') ? name.slice('metadata.'.length) : name).toLowerCase();
  if (key === '') return new Error('names no metadata key');
  return { kind: 'metadata', key };
}

/** The context value as a string attribute (several values joined with ";"), or undefined when absent. */
export function contextValue(ctx: RequestContext | undefined, src: ContextSource): AnyValue | undefined {
  if (!ctx) return undefined;
  if (src.kind === 'client_address') return ctx.clientAddress ? { kind: 'string', value: ctx.clientAddress } : undefined;
  const vals = ctx.metadata.get(src.key);
  if (!vals || vals.length === 0) return undefined;
  return { kind: 'string', value: vals.length === 1 ? vals[0] : vals.join(';') };
}
