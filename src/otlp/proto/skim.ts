/**
 * Checking an Export*ServiceRequest without decoding it, for resources that
 * stay in their wire form (model/wire.ts).
 *
 * The skim walks every field the decoder would read, with the same bounds
 * and nesting rules, builds nothing, and counts the items of each resource.
 * Its contract is one-sided: when it accepts a request, decoding that request
 * would succeed, reject nothing and change nothing (no U+FFFD for bad UTF-8,
 * no dropped exemplar or link), so its bytes may be forwarded as they are.
 * Whenever that is not certain (a malformed request, an item the decoder
 * would reject, an unusual encoding) it gives up and the caller decodes the
 * request the ordinary way, which produces the error message or the
 * rejections. It may give up more often than needed, never less.
 *
 * The messages are described as tables (tag → what to check), so the walk is
 * one loop for all of them.
 */
import { isUtf8 } from 'node:buffer';
import { MAX_DEPTH, ProtoReader } from './reader';

/** What a field is, by its full tag (field number and wire type). */
const enum F {
  /** Unknown, or a scalar: `skip` validates it exactly as the decoder's reads do. */
  Skip,
  /** A string: in bounds and valid UTF-8. */
  Str,
  /** A nested message at the same AnyValue depth. */
  Msg,
  /** A nested message that is one of the counted items. */
  Item,
  /** An AnyValue: refused beyond MAX_DEPTH, like the decoder. */
  Any,
  /** A KeyValue. */
  Kv,
  /** Bytes that must be empty or 16 bytes (or 8: IdOpt8). */
  IdOpt16,
  IdOpt8,
  /** Bytes that must be exactly 16 (8) bytes; remembered as present. */
  Id16,
  Id8,
  /** Packed fixed64 / double (length a multiple of 8), elements counted into `a` (`b`). */
  PackedA,
  PackedB,
  /** One unpacked fixed64 / double, counted into `a` (`b`). */
  OneA,
  OneB,
  /** Packed varints. */
  PackedVarint,
  /** A metric's name: the last one must not be empty. */
  Name,
  /** A member of a metric's data oneof; counted (more than one: give up). */
  Data,
}

/** What must hold when a message ends. */
const enum Check {
  None,
  /** Histogram point: bucket counts empty or one more than the bounds. */
  Histogram,
  /** Span: a 16-byte trace id and an 8-byte span id were present. */
  Span,
  /** Metric: a non-empty name and at most one data member. */
  Metric,
}

interface Schema {
  readonly kinds: Uint8Array;
  readonly subs: (Schema | undefined)[];
  readonly check: Check;
}

const TAGS = 136; // the largest tag used is 0x85 (span flags, field 16 fixed32)

function schema(fields: Record<number, F | [F, Schema]>, check = Check.None): Schema {
  const kinds = new Uint8Array(TAGS);
  const subs: (Schema | undefined)[] = new Array(TAGS).fill(undefined);
  for (const [tag, f] of Object.entries(fields)) {
    const t = Number(tag);
    if (Array.isArray(f)) {
      kinds[t] = f[0];
      subs[t] = f[1];
    } else kinds[t] = f;
  }
  return { kinds, subs, check };
}

// common.proto / resource.proto. AnyValue and KeyValue are walked by
// functions of their own (below); ArrayValue and KeyValueList hold them.
const ARRAY_VALUE = schema({ 0x0a: F.Any });
const KV_LIST = schema({ 0x0a: F.Kv });
const KV = F.Kv;
const RESOURCE = schema({ 0x0a: KV, 0x1a: [F.Msg, schema({ 0x0a: F.Str, 0x12: F.Str, 0x1a: F.Str, 0x22: F.Str })] });
const SCOPE = schema({ 0x0a: F.Str, 0x12: F.Str, 0x1a: KV });

/** ResourceX / ScopeX: head in 1, children in 2, schema_url in 3. Metrics are not the counted items; their points are. */
function envelope(child: Schema, counted: boolean): Schema {
  const scopeX = schema({ 0x0a: [F.Msg, SCOPE], 0x12: [counted ? F.Item : F.Msg, child], 0x1a: F.Str });
  return schema({ 0x0a: [F.Msg, RESOURCE], 0x12: [F.Msg, scopeX], 0x1a: F.Str });
}

// logs.proto
const LOG_RECORD = schema({ 0x1a: F.Str, 0x2a: F.Any, 0x32: KV, 0x4a: F.IdOpt16, 0x52: F.IdOpt8, 0x62: F.Str });

// trace.proto
const SPAN = schema(
  {
    0x0a: F.Id16, 0x12: F.Id8, 0x1a: F.Str, 0x22: F.IdOpt8, 0x2a: F.Str, 0x4a: KV,
    0x5a: [F.Msg, schema({ 0x12: F.Str, 0x1a: KV })],
    0x6a: [F.Msg, schema({ 0x0a: F.IdOpt16, 0x12: F.IdOpt8, 0x1a: F.Str, 0x22: KV })],
    0x7a: [F.Msg, schema({ 0x12: F.Str })],
  },
  Check.Span,
);

// metrics.proto. Items are data points; a data member's points are in field 1.
const EXEMPLAR: [F, Schema] = [F.Msg, schema({ 0x22: F.IdOpt8, 0x2a: F.IdOpt16, 0x3a: KV })];
const points = (point: Schema): [F, Schema] => [F.Data, schema({ 0x0a: [F.Item, point] })];
const BUCKETS: [F, Schema] = [F.Msg, schema({ 0x12: F.PackedVarint })];
const METRIC = schema(
  {
    0x0a: F.Name, 0x12: F.Str, 0x1a: F.Str, 0x62: KV,
    0x2a: points(schema({ 0x3a: KV, 0x2a: EXEMPLAR })),
    0x3a: points(schema({ 0x3a: KV, 0x2a: EXEMPLAR })),
    0x4a: points(schema({ 0x31: F.OneA, 0x32: F.PackedA, 0x39: F.OneB, 0x3a: F.PackedB, 0x4a: KV, 0x42: EXEMPLAR }, Check.Histogram)),
    0x52: points(schema({ 0x0a: KV, 0x42: BUCKETS, 0x4a: BUCKETS, 0x5a: EXEMPLAR })),
    0x5a: points(schema({ 0x32: [F.Msg, schema({})], 0x3a: KV })),
  },
  Check.Metric,
);

export const SKIM_LOGS = envelope(LOG_RECORD, true);
export const SKIM_TRACES = envelope(SPAN, true);
export const SKIM_METRICS = envelope(METRIC, false);
export type SkimSchema = Schema;

/** Thrown (never seen outside) to give up; the reader's own errors give up too. */
const GIVE_UP = new Error('skim: decode instead');

/** Items counted so far in the resource being walked. */
let items = 0;

/** Whether bytes [start, end) of the reader's input are ASCII, four at a time. */
function ascii(r: ProtoReader, start: number, end: number): boolean {
  const view = r.view;
  let high = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) high |= view.getInt32(i);
  for (; i < end; i++) high |= r.buf[i];
  return (high & 0x80808080) === 0;
}

/** Whether bytes [start, end) of the reader's input are valid UTF-8 (ASCII checked here, the rest natively). */
function utf8Ok(r: ProtoReader, start: number, end: number): boolean {
  return ascii(r, start, end) || isUtf8(r.buf.subarray(start, end));
}

/** A string field whose length prefix the reader is on. */
function str(r: ProtoReader): void {
  const to = r.lenEnd();
  if (!utf8Ok(r, r.pos, to)) throw GIVE_UP;
  r.pos = to;
}

/**
 * A KeyValue (an attribute) at AnyValue depth `depth`: the commonest message,
 * walked without the tables. Most are `key` then a string `value`, short and
 * ASCII, with one-byte tags and lengths; those are checked in one go.
 */
function keyValue(r: ProtoReader, end: number, depth: number): void {
  const buf = r.buf;
  const p = r.pos;
  if (depth <= MAX_DEPTH && buf[p] === 0x0a && buf[p + 1] < 0x80) {
    const keyEnd = p + 2 + buf[p + 1];
    const v = keyEnd + 2; // the AnyValue's first byte
    // Lengths under 0x80 only: a larger one would be a multi-byte varint.
    if (v < end && end - v < 0x80 && buf[keyEnd] === 0x12 && buf[keyEnd + 1] === end - v && buf[v] === 0x0a && buf[v + 1] === end - v - 2) {
      if (ascii(r, p + 2, keyEnd) && ascii(r, v + 2, end)) {
        r.pos = end;
        return;
      }
    }
  }
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 0x0a) str(r);
    else if (tag === 0x12) anyValue(r, r.lenEnd(), depth);
    else r.skip(tag);
  }
  r.endMessage(end);
}

function anyValue(r: ProtoReader, end: number, depth: number): void {
  if (depth > MAX_DEPTH) throw GIVE_UP;
  while (r.pos < end) {
    const tag = r.uint32();
    if (tag === 0x0a) str(r);
    else if (tag === 0x2a) walk(r, r.lenEnd(), ARRAY_VALUE, depth + 1);
    else if (tag === 0x32) walk(r, r.lenEnd(), KV_LIST, depth + 1);
    else r.skip(tag);
  }
  r.endMessage(end);
}

function walk(r: ProtoReader, end: number, s: Schema, depth: number): void {
  const kinds = s.kinds;
  let a = 0;
  let b = 0;
  let ids = 0;
  let named = false;
  let data = 0;
  while (r.pos < end) {
    const tag = r.uint32();
    const kind = tag < TAGS ? kinds[tag] : F.Skip;
    if (kind === F.Skip) {
      r.skip(tag);
      continue;
    }
    if (kind === F.OneA || kind === F.OneB) {
      r.skip(tag);
      if (kind === F.OneA) a++;
      else b++;
      continue;
    }
    const to = r.lenEnd();
    const from = r.pos;
    const len = to - from;
    switch (kind) {
      case F.Str:
        if (!utf8Ok(r, from, to)) throw GIVE_UP;
        r.pos = to;
        break;
      case F.Kv:
        keyValue(r, to, depth);
        break;
      case F.Any:
        anyValue(r, to, depth);
        break;
      case F.Item:
        items++;
        walk(r, to, s.subs[tag]!, depth);
        break;
      case F.Msg:
        walk(r, to, s.subs[tag]!, depth);
        break;
      case F.Data:
        data++;
        walk(r, to, s.subs[tag]!, depth);
        break;
      case F.Name:
        named = len > 0;
        if (!utf8Ok(r, from, to)) throw GIVE_UP;
        r.pos = to;
        break;
      case F.IdOpt16:
      case F.IdOpt8:
        if (len !== 0 && len !== (kind === F.IdOpt16 ? 16 : 8)) throw GIVE_UP;
        r.pos = to;
        break;
      case F.Id16:
      case F.Id8:
        if (len !== (kind === F.Id16 ? 16 : 8)) throw GIVE_UP;
        ids |= kind === F.Id16 ? 1 : 2;
        r.pos = to;
        break;
      case F.PackedA:
      case F.PackedB:
        if (len & 7) throw GIVE_UP;
        if (kind === F.PackedA) a += len >>> 3;
        else b += len >>> 3;
        r.pos = to;
        break;
      case F.PackedVarint:
        while (r.pos < to) r.varint64();
        r.endMessage(to);
        break;
    }
  }
  r.endMessage(end);
  switch (s.check) {
    case Check.Histogram:
      if (a !== 0 && a !== b + 1) throw GIVE_UP;
      break;
    case Check.Span:
      if (ids !== 3) throw GIVE_UP;
      break;
    case Check.Metric:
      if (!named || data > 1) throw GIVE_UP;
      break;
  }
}

/**
 * Skims a request. Returns, for each resource in order, three numbers: the
 * offset of its length prefix, the end of its payload and its item count; or
 * undefined when the request must be decoded instead.
 */
export function skimRequest(buf: Uint8Array, resourceSchema: SkimSchema): number[] | undefined {
  const r = new ProtoReader(buf);
  const out: number[] = [];
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag !== 0x0a) {
        r.skip(tag);
        continue;
      }
      const at = r.pos;
      const end = r.lenEnd();
      items = 0;
      walk(r, end, resourceSchema, 0);
      out.push(at, end, items);
    }
  } catch {
    return undefined;
  }
  return out;
}
