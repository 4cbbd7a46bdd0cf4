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
  [WIRE]?: { wire: WireResource; shape: WireShape };
}

/** The bytes of a resource not looked at yet; undefined once it was decoded (or for any other object). */
export function wireOf(x: object): WireResource | undefined {
  return (x as Holder)[WIRE]?.wire;
}

function materialise(o: Holder): void {
  const held = o[WIRE];
  if (!held) return;
  const fields = held.shape.decode(held.wire);
  for (const k of held.shape.keys) Object.defineProperty(o, k, { value: fields[k], writable: true, enumerable: true, configurable: true });
  o[WIRE] = undefined;
}

/**
 * One kind of resource in wire form (ResourceMetrics, ResourceLogs or
 * ResourceSpans): its fields, in the order the decoder builds them, how to
 * decode one, and the accessors every resource of the kind shares.
 */
export class WireShape {
  private readonly descriptors: PropertyDescriptorMap;

  constructor(
    readonly keys: readonly string[],
    readonly decode: WireDecoder,
  ) {
    this.descriptors = { [WIRE]: { value: undefined, writable: true, enumerable: false, configurable: true } };
    for (const k of keys) {
      this.descriptors[k] = {
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
  }

  /** A resource of type R backed by `wire`; decoded at most once, on first use. */
  resource<R>(wire: WireResource): R {
    const o = Object.defineProperties({}, this.descriptors) as Holder;
    o[WIRE] = { wire, shape: this };
    return o as R;
  }
}
