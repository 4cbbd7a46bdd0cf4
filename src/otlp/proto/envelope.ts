/**
 * Decoding and encoding the request envelope (see ../signals.ts) once for all
 * signals. The envelope is cold (a request holds a handful of resources and
 * scopes); the signal's item reader or writer is called once per item and
 * stays specialised.
 */
import { emptyResource, emptyScope, type InstrumentationScope, type Resource } from '../../model/common';
import { wireOf, WireShape, type WireResource } from '../../model/wire';
import { Rejections, type DecodeResult } from '../decode-result';
import type { ResourceX, ScopeX, SignalEnvelope } from '../signals';
import { readResource, readScope, seg, writeResource, writeScope, writeStringField } from './common';
import { finishError, withPath, ProtoReader } from './reader';
import { skimRequest, type SkimSchema } from './skim';
import { SHARED_WRITER as w } from './writer';

/**
 * Reads one length-delimited item; `i` counts the items on the wire (rejected
 * ones too) for its error path. Returns undefined for an item it left out,
 * after recording why in `rej`.
 */
export type ItemReader<T> = (r: ProtoReader, i: number, rej: Rejections) => T | undefined;

/**
 * ResourceX and ScopeX have the same shape: a head (Resource or
 * InstrumentationScope) in field 1, repeated children (ScopeX or items) in
 * field 2 and schema_url in field 3. One reader serves both levels.
 */
interface Level<H, C, X> {
  /** The repeated field holding this level, for error paths. */
  readonly field: string;
  readonly readHead: (r: ProtoReader) => H;
  /** The head when field 1 is absent. */
  readonly emptyHead: () => H;
  readonly readChild: ItemReader<C>;
  readonly make: (head: H, children: C[], schemaUrl: string) => X;
}

function readLevel<H, C, X>(r: ProtoReader, i: number, rej: Rejections, level: Level<H, C, X>): X {
  const end = r.lenEnd();
  try {
    let head: H | undefined;
    const children: C[] = [];
    let schemaUrl = '';
    let n = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x0a) head = level.readHead(r);
      else if (tag === 0x12) {
        const child = level.readChild(r, n++, rej);
        if (child !== undefined) children.push(child);
      } else if (tag === 0x1a) schemaUrl = r.string();
      else r.skip(tag);
    }
    r.endMessage(end);
    return level.make(head ?? level.emptyHead(), children, schemaUrl);
  } catch (e) {
    return withPath(e, seg(level.field, i));
  }
}

/** Decodes an Export*ServiceRequest. Throws OtlpDecodeError naming the path of the first malformed field. */
export function decodeEnvelope<R extends ResourceX, S extends ScopeX, T>(
  buf: Uint8Array,
  env: SignalEnvelope<R, S, T>,
  readItem: ItemReader<T>,
): DecodeResult<R> {
  return decodeResources(buf, resourceLevel(env, readItem), env.request);
}

function resourceLevel<R extends ResourceX, S extends ScopeX, T>(env: SignalEnvelope<R, S, T>, readItem: ItemReader<T>): Level<Resource, S, R> {
  const scopes: Level<InstrumentationScope, T, S> = {
    field: env.scopes[1], readHead: readScope, emptyHead: emptyScope, readChild: readItem, make: env.scope,
  };
  return {
    field: env.resources[1], readHead: readResource, emptyHead: emptyResource,
    readChild: (r, i, rej) => readLevel(r, i, rej, scopes), make: env.resource,
  };
}

function decodeResources<S, R>(buf: Uint8Array, resources: Level<Resource, S, R>, request: string): DecodeResult<R> {
  const r = new ProtoReader(buf);
  const rej = new Rejections();
  const data: R[] = [];
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag === 0x0a) data.push(readLevel(r, data.length, rej, resources));
      else r.skip(tag);
    }
  } catch (e) {
    finishError(e, request);
  }
  return { data, rejected: rej.count, rejectMessage: rej.message };
}

/**
 * A decoder whose resources stay in their wire form (model/wire.ts) when the
 * skim accepts the request, and decode the ordinary way otherwise. The
 * resources keep `buf` (no copy): the caller must not reuse it.
 */
export function wireDecoder<R extends ResourceX, S extends ScopeX, T>(
  env: SignalEnvelope<R, S, T>,
  readItem: ItemReader<T>,
  skim: SkimSchema,
): (buf: Uint8Array) => DecodeResult<R> {
  const level = resourceLevel(env, readItem);
  const shape = new WireShape(['resource', env.scopes[0], 'schemaUrl'], (w: WireResource) => {
    const r = new ProtoReader(w.buf);
    r.pos = w.at;
    return readLevel(r, 0, new Rejections(), level) as unknown as Record<string, unknown>;
  });
  return (buf) => {
    const spans = skimRequest(buf, skim);
    if (spans === undefined) return decodeResources(buf, level, env.request);
    const data: R[] = [];
    for (let i = 0; i < spans.length; i += 3) data.push(shape.resource<R>({ buf, at: spans[i], end: spans[i + 1], items: spans[i + 2] }));
    return { data, rejected: 0, rejectMessage: '' };
  };
}

/** Gives the encoder `size` bytes to write a request into (see encodeEnvelope). */
export type Alloc = (size: number) => Uint8Array;

/**
 * A request made only of untouched wire resources, copied once into a buffer
 * of its exact size (no growing, no final copy); undefined if any was decoded.
 */
function copyWire(data: readonly object[], alloc: Alloc | undefined): Uint8Array | undefined {
  let size = 0;
  for (const rx of data) {
    const wire = wireOf(rx);
    if (!wire) return undefined;
    size += 1 + wire.end - wire.at;
  }
  const out = alloc ? alloc(size) : new Uint8Array(size);
  let p = 0;
  for (const rx of data) {
    const wire = wireOf(rx)!;
    out[p++] = 0x0a;
    out.set(wire.buf.subarray(wire.at, wire.end), p);
    p += wire.end - wire.at;
  }
  return out;
}

/**
 * Encodes an Export*ServiceRequest (canonical proto3); `writeItem` writes an
 * item's fields, the envelope its tag and length. Returns a fresh copy the
 * caller owns, or, when every resource is untouched wire data and `alloc` is
 * given, the bytes `alloc` lent.
 */
export function encodeEnvelope<R extends ResourceX, S extends ScopeX, T>(
  data: readonly R[],
  env: SignalEnvelope<R, S, T>,
  writeItem: (item: T) => void,
  alloc?: Alloc,
): Uint8Array {
  const copied = copyWire(data, alloc);
  if (copied) return copied;
  w.reset();
  for (const rx of data) {
    w.uint32(0x0a);
    const wire = wireOf(rx);
    if (wire) {
      // Untouched since it came in: its length prefix and payload as they were.
      w.raw(wire.buf, wire.at, wire.end);
      continue;
    }
    const r = w.begin();
    writeResource(w, rx.resource);
    for (const sx of env.scopesOf(rx)) {
      w.uint32(0x12);
      const s = w.begin();
      writeScope(w, sx.scope);
      for (const item of env.itemsOf(sx)) {
        w.uint32(0x12);
        const it = w.begin();
        writeItem(item);
        w.end(it);
      }
      writeStringField(w, 0x1a, sx.schemaUrl);
      w.end(s);
    }
    writeStringField(w, 0x1a, rx.schemaUrl);
    w.end(r);
  }
  return w.finish();
}
