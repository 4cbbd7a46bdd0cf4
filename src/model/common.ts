/**
 * The OTLP data model shared by every signal: attribute values, resources and
 * instrumentation scopes.
 *
 * Batches keep the OTLP shape as plain objects, decoded once at the edge.
 * Timestamps are carried as two exact numbers (see nanos.ts) instead of BigInt,
 * so decoding a data point allocates nothing for its times.
 */

/**
 * An OTLP `AnyValue`. `int` holds a JS number whenever the int64 fits in
 * ±2^53 (the common case) and a bigint only beyond that, so int vs double and
 * every int64 survive a round trip.
 */
export type AnyValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'int'; readonly value: number | bigint }
  | { readonly kind: 'double'; readonly value: number }
  | { readonly kind: 'bytes'; readonly value: Uint8Array }
  | { readonly kind: 'array'; readonly value: AnyValue[] }
  | { readonly kind: 'kvlist'; readonly value: KeyValue[] }
  | { readonly kind: 'empty' };

export interface KeyValue {
  key: string;
  value: AnyValue;
}

/** Attribute list in wire order. Keys are unique in well-formed input, but that is not enforced. */
export type Attributes = KeyValue[];

/** OTLP `EntityRef` (resource entity references, newer OTLP). */
export interface EntityRef {
  schemaUrl: string;
  type: string;
  idKeys: string[];
  descriptionKeys: string[];
}

export interface Resource {
  attributes: Attributes;
  droppedAttributesCount: number;
  entityRefs: EntityRef[];
}

export interface InstrumentationScope {
  name: string;
  version: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export const EMPTY: AnyValue = Object.freeze({ kind: 'empty' }) as AnyValue;

export function str(value: string): AnyValue {
  return { kind: 'string', value };
}

export function emptyResource(): Resource {
  return { attributes: [], droppedAttributesCount: 0, entityRefs: [] };
}

export function emptyScope(): InstrumentationScope {
  return { name: '', version: '', attributes: [], droppedAttributesCount: 0 };
}

/** First attribute with this key, or undefined. Linear: attribute lists are short. */
export function getAttribute(attrs: Attributes, key: string): AnyValue | undefined {
  for (let i = 0; i < attrs.length; i++) if (attrs[i].key === key) return attrs[i].value;
  return undefined;
}

/** Lower-case hex, as trace and span ids are written everywhere outside protobuf. */
export function bytesToHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** The value as a plain string, as the Prometheus and debug outputs show it. */
export function anyValueToString(v: AnyValue): string {
  switch (v.kind) {
    case 'string':
      return v.value;
    case 'bool':
    case 'int':
    case 'double':
      return String(v.value);
    case 'bytes':
      return Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64');
    case 'array':
      return JSON.stringify(v.value.map(anyValueToJs));
    case 'kvlist':
      return JSON.stringify(anyValueToJs(v));
    case 'empty':
      return '';
  }
}

/** A plain JS rendering (for JSON output and logs); bigints become strings, bytes base64. */
export function anyValueToJs(v: AnyValue): unknown {
  switch (v.kind) {
    case 'string':
    case 'bool':
    case 'double':
      return v.value;
    case 'int':
      return typeof v.value === 'bigint' ? v.value.toString() : v.value;
    case 'bytes':
      return Buffer.from(v.value.buffer, v.value.byteOffset, v.value.byteLength).toString('base64');
    case 'array':
      return v.value.map(anyValueToJs);
    case 'kvlist': {
      const o: Record<string, unknown> = {};
      for (const kv of v.value) o[kv.key] = anyValueToJs(kv.value);
      return o;
    }
    case 'empty':
      return null;
  }
}
