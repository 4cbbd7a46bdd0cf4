/**
 * Resources that stay in their wire form until someone looks inside.
 *
 * When every component after a receiver only passes data through (batch,
 * memory_limiter, an OTLP exporter writing protobuf), decoding each log
 * record's attributes into objects only to encode them again is most of the
 * daemon's work. The receiver then checks the request without building
 * anything (otlp/proto/skim.ts) and hands on resources that keep the bytes
 * they came in; the OTLP encoder copies those bytes out unchanged.
 *
 * Such a resource is a plain object whose `resource`, `scope*` and
 * `schemaUrl` properties are own accessors: the first read or write of any of
 * them decodes the bytes, replaces the accessors with ordinary data
 * properties and forgets the bytes. From then on it is an ordinary model
 * object, and whatever anyone does to it is what gets encoded. Spreading,
 * `structuredClone` and `JSON.stringify` read through the accessors, so they
 * see the decoded data, never a half-built object. Only `wireOf` and the
 * item counts (model/*.ts) look at the bytes without decoding them.
 */

const WIRE = Symbol('otlp.wire');

export interface WireResource {
  /** The request the resource came in; kept alive while the resource is. */
  readonly buf: Uint8Array;
  /** Where its ResourceX message's length prefix starts, and where its payload ends. */
  readonly at: number;
  readonly end: number;
  /** Items in it (data points, log records or spans), counted by the check. */
  readonly items: number;
}

/** Decodes a wire resource into the model object's fields. */
export type WireDecoder = (w: WireResource) => Record<string, unknown>;

interface Holder {
  [WIRE]?: { wire: WireResource; decode: WireDecoder; keys: readonly string[] };
}

/** The bytes of a resource not looked at yet; undefined once it was decoded (or for any other object). */
export function wireOf(x: object): WireResource | undefined {
  return (x as Holder)[WIRE]?.wire;
}

function materialise(o: Holder): void {
  const held = o[WIRE];
  if (!held) return;
  const fields = held.decode(held.wire);
  for (const k of held.keys) Object.defineProperty(o, k, { value: fields[k], writable: true, enumerable: true, configurable: true });
  o[WIRE] = undefined;
}

const descriptorCache = new Map<string, PropertyDescriptorMap>();

/** One accessor pair per key, shared by every resource of that shape. */
function descriptors(keys: readonly string[]): PropertyDescriptorMap {
  const id = keys.join(',');
  let d = descriptorCache.get(id);
  if (!d) {
    d = { [WIRE]: { value: undefined, writable: true, enumerable: false, configurable: true } };
    for (const k of keys) {
      d[k] = {
        enumerable: true,
        configurable: true,
        get(this: Holder) {
          materialise(this);
          return (this as Record<string, unknown>)[k];
        },
        set(this: Holder, v: unknown) {
          materialise(this);
          (this as Record<string, unknown>)[k] = v;
        },
      };
    }
    descriptorCache.set(id, d);
  }
  return d;
}

/**
 * A resource of type R (whose fields are `keys`, in the order the decoder
 * builds them) backed by `wire`; `decode` runs at most once, on first use.
 */
export function wireResource<R>(keys: readonly string[], wire: WireResource, decode: WireDecoder): R {
  const o = Object.defineProperties({}, descriptors(keys)) as Holder;
  o[WIRE] = { wire, decode, keys };
  return o as R;
}
