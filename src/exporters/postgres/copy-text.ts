/**
 * Values in PostgreSQL's COPY text format, and the JSON text of jsonb
 * columns. Everything user-supplied passes `clean` first: PostgreSQL's text
 * and jsonb cannot hold NUL, and a lone UTF-16 surrogate (possible in a JS
 * string decoded from OTLP/JSON `"\ud800"`) has no UTF-8 form; both become
 * U+FFFD and are counted, so one bad string never fails a batch.
 */
import type { AnyValue, Attributes } from '../../model/common';

/** The COPY text format's NULL. */
export const NULL = '\\N';

interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

const NUL_RE = /\0/g;
/** Strings JSON.stringify would only wrap in quotes: no quote, backslash, control character or surrogate. */
const JSON_PLAIN = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;
const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_SPECIAL_G = /[\\\n\r\t]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Makes strings storable and counts the ones it had to change. */
export class StringCleaner {
  /** Strings changed since the counter was last read. */
  replaced = 0;

  /** `s` with NUL and lone surrogates replaced by U+FFFD (the same string when there are none). */
  clean(s: string): string {
    if (s.indexOf('\0') === -1 && (s as unknown as WellFormed).isWellFormed()) return s;
    this.replaced++;
    return (s.replace(NUL_RE, '\uFFFD') as unknown as WellFormed).toWellFormed();
  }
}

/**
 * A field for COPY text format: backslash, newline, carriage return and tab
 * (our delimiter) escaped; every other character stands for itself.
 */
export function copyEscape(s: string): string {
  return COPY_SPECIAL.test(s) ? s.replace(COPY_SPECIAL_G, (c) => COPY_ESCAPES[c]) : s;
}

/** A double as text PostgreSQL reads back exactly (NaN and ±Infinity included). */
export function floatText(n: number): string {
  return n === Infinity ? 'Infinity' : n === -Infinity ? '-Infinity' : String(n);
}

const INT8_MAX = 9223372036854775807;

/** A bigint column's text, or NULL for what bigint cannot hold (never an error). */
export function int8Text(n: number | bigint): string {
  if (typeof n === 'bigint') return n <= 9223372036854775807n && n >= -9223372036854775808n ? n.toString() : NULL;
  return Number.isInteger(n) && n < INT8_MAX && n >= -INT8_MAX ? String(n) : NULL;
}

/** `{a,b,c}`: an array literal of doubles (NaN and Infinity are valid elements). */
export function floatArray(values: readonly number[]): string {
  let s = '{';
  for (let i = 0; i < values.length; i++) s += (i ? ',' : '') + floatText(values[i]);
  return s + '}';
}

/** `{a,b,c}` of bigint elements (NULL for out-of-range ones). */
export function int8Array(values: readonly number[]): string {
  let s = '{';
  for (let i = 0; i < values.length; i++) {
    const t = int8Text(values[i]);
    s += (i ? ',' : '') + (t === NULL ? 'NULL' : t);
  }
  return s + '}';
}

/** A JSON number, or the strings "NaN", "Infinity", "-Infinity" that JSON has no number for. */
export function jsonNumber(n: number): string {
  if (Number.isFinite(n)) return String(n);
  return n !== n ? '"NaN"' : n > 0 ? '"Infinity"' : '"-Infinity"';
}

/** An int64: a number within ±2^53, a string beyond (JSON readers lose precision there). */
export function jsonInt(n: number | bigint): string {
  return typeof n === 'bigint' ? `"${n}"` : Number.isSafeInteger(n) ? String(n) : jsonNumber(n);
}

/**
 * JSON text of AnyValue and attribute lists, built as text (no intermediate
 * objects): string, int, double, bool, bytes as base64, array, kvlist as an
 * object, empty as null.
 */
export class JsonWriter {
  constructor(private readonly cleaner: StringCleaner) {}

  string(s: string): string {
    // Most attribute keys and values need no escaping and no cleaning.
    return JSON_PLAIN.test(s) ? '"' + s + '"' : JSON.stringify(this.cleaner.clean(s));
  }

  value(v: AnyValue): string {
    switch (v.kind) {
      case 'string':
        return this.string(v.value);
      case 'int':
        return jsonInt(v.value);
      case 'double':
        return jsonNumber(v.value);
      case 'bool':
        return v.value ? 'true' : 'false';
      case 'bytes':
        return `"${Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64')}"`;
      case 'array': {
        let s = '[';
        for (let i = 0; i < v.value.length; i++) s += (i ? ',' : '') + this.value(v.value[i]);
        return s + ']';
      }
      case 'kvlist':
        return this.object(v.value);
      case 'empty':
        return 'null';
    }
  }

  /** An attribute list as a JSON object (a repeated key: the last one wins, as in jsonb). */
  object(attrs: Attributes): string {
    let s = '{';
    for (let i = 0; i < attrs.length; i++) s += (i ? ',' : '') + this.string(attrs[i].key) + ':' + this.value(attrs[i].value);
    return s + '}';
  }
}

/**
 * timestamptz text of an epoch time in ms plus ns past it, at the
 * microsecond precision timestamptz holds. Remembers the last one: points
 * of a batch often share a time.
 */
export class TimeFormatter {
  private lastMs = NaN;
  private lastIso = '';

  format(ms: number, ns: number): string {
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastIso = new Date(ms).toISOString().slice(0, -1);
    }
    const us = Math.floor(ns / 1000);
    return this.lastIso + (us < 10 ? '00' : us < 100 ? '0' : '') + us + 'Z';
  }
}
