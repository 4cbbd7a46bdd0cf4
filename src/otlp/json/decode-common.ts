/**
 * OTLP/JSON decoding of the messages every signal shares: AnyValue, KeyValue
 * lists, Resource, InstrumentationScope, the request envelope, plus the loop
 * over repeated messages.
 */
import { EMPTY, emptyResource, emptyScope, type AnyValue, type EntityRef, type InstrumentationScope, type KeyValue, type Resource } from '../../model/common';
import type { FieldNames, ResourceX, ScopeX, SignalEnvelope } from '../signals';
import {
  arrV,
  boolV,
  bytesV,
  type Ctx,
  doubleV,
  elemObj,
  fail,
  get,
  i64V,
  objV,
  type Rec,
  stringArrayV,
  strV,
  u32V,
  where,
} from './read';

/**
 * How deep arrayValue/kvlistValue may nest. The decoder recurses per level, so
 * an unbounded depth would let a small body overflow the stack.
 */
export const MAX_ANY_VALUE_DEPTH = 64;

/**
 * Decodes each element of a repeated message field with `fn`, keeping the JSON
 * path current for error messages. `fn` returns undefined for an item it
 * rejected.
 */
export function messagesV<T>(ctx: Ctx, v: unknown, name: string, fn: (ctx: Ctx, o: Rec) => T | undefined): T[] {
  const a = arrV(ctx, v, name);
  const out: T[] = [];
  if (a.length === 0) return out;
  const p = ctx.path;
  p.push(name);
  for (let i = 0; i < a.length; i++) {
    p.push(i);
    const r = fn(ctx, elemObj(ctx, a[i]));
    if (r !== undefined) out.push(r);
    p.pop();
  }
  p.pop();
  return out;
}

/**
 * Ends an item (data point, log record, span): when something inside marked it
 * invalid, counts it as rejected and returns false.
 */
export function itemOk(ctx: Ctx): boolean {
  if (ctx.bad === '') return true;
  ctx.rej.add(1, ctx.bad);
  ctx.bad = '';
  return false;
}

/** An AnyValue field; absent or null is the empty value. `depth` counts enclosing arrays/kvlists. */
export function anyValueV(ctx: Ctx, v: unknown, name: string, depth: number): AnyValue {
  const o = objV(ctx, v, name);
  if (o === undefined) return EMPTY;
  ctx.path.push(name);
  const r = anyValueFields(ctx, o, depth);
  ctx.path.pop();
  return r;
}

/** The AnyValue message at the current path. */
function anyValueFields(ctx: Ctx, o: Rec, depth: number): AnyValue {
  let out: AnyValue = EMPTY;
  let seen = '';
  for (const k in o) {
    const x = o[k];
    if (x === null || x === undefined) continue; // proto3 JSON: null is "not set"
    let r: AnyValue;
    switch (k) {
      case 'stringValue':
      case 'string_value':
        r = { kind: 'string', value: strV(ctx, x, k) };
        break;
      case 'boolValue':
      case 'bool_value':
        r = { kind: 'bool', value: boolV(ctx, x, k) };
        break;
      case 'intValue':
      case 'int_value':
        r = { kind: 'int', value: i64V(ctx, x, k) };
        break;
      case 'doubleValue':
      case 'double_value':
        r = { kind: 'double', value: doubleV(ctx, x, k) };
        break;
      case 'bytesValue':
      case 'bytes_value':
        r = { kind: 'bytes', value: bytesV(ctx, x, k) };
        break;
      case 'arrayValue':
      case 'array_value':
        r = { kind: 'array', value: nested(ctx, x, k, depth, anyValuesV) };
        break;
      case 'kvlistValue':
      case 'kvlist_value':
        r = { kind: 'kvlist', value: nested(ctx, x, k, depth, keyValuesV) };
        break;
      default:
        continue; // unknown field
    }
    if (seen !== '') fail(ctx, `sets both ${seen} and ${k} of the value oneof`);
    seen = k;
    out = r;
  }
  return out;
}

/** The `values` list of an ArrayValue / KeyValueList, one level deeper. */
function nested<T>(ctx: Ctx, x: unknown, k: string, depth: number, list: (ctx: Ctx, v: unknown, name: string, depth: number) => T[]): T[] {
  if (depth >= MAX_ANY_VALUE_DEPTH) fail(ctx, `nests arrays/kvlists deeper than ${MAX_ANY_VALUE_DEPTH} levels`, k);
  const o = objV(ctx, x, k);
  if (o === undefined) return [];
  ctx.path.push(k);
  const r = list(ctx, o.values, 'values', depth + 1);
  ctx.path.pop();
  return r;
}

function anyValuesV(ctx: Ctx, v: unknown, name: string, depth: number): AnyValue[] {
  const a = arrV(ctx, v, name);
  const out = new Array<AnyValue>(a.length);
  if (a.length === 0) return out;
  ctx.path.push(name);
  for (let i = 0; i < a.length; i++) {
    ctx.path.push(i);
    // A null element is an empty AnyValue message; reject other non-objects.
    out[i] = a[i] === null ? EMPTY : anyValueFields(ctx, elemObj(ctx, a[i]), depth);
    ctx.path.pop();
  }
  ctx.path.pop();
  return out;
}

/** A `repeated KeyValue` (attributes, kvlist values). */
export function keyValuesV(ctx: Ctx, v: unknown, name: string, depth = 0): KeyValue[] {
  const a = arrV(ctx, v, name);
  const out = new Array<KeyValue>(a.length);
  if (a.length === 0) return out;
  const p = ctx.path;
  p.push(name);
  for (let i = 0; i < a.length; i++) {
    p.push(i);
    const o = elemObj(ctx, a[i]);
    out[i] = { key: strV(ctx, o.key, 'key'), value: anyValueV(ctx, o.value, 'value', depth) };
    p.pop();
  }
  p.pop();
  return out;
}

function entityRefV(ctx: Ctx, o: Rec): EntityRef {
  return {
    schemaUrl: strV(ctx, get(o, 'schemaUrl', 'schema_url'), 'schemaUrl'),
    type: strV(ctx, o.type, 'type'),
    idKeys: stringArrayV(ctx, get(o, 'idKeys', 'id_keys'), 'idKeys'),
    descriptionKeys: stringArrayV(ctx, get(o, 'descriptionKeys', 'description_keys'), 'descriptionKeys'),
  };
}

/** The `resource` field; absent means an empty resource. */
export function resourceV(ctx: Ctx, v: unknown): Resource {
  const o = objV(ctx, v, 'resource');
  if (o === undefined) return emptyResource();
  ctx.path.push('resource');
  const r: Resource = {
    attributes: keyValuesV(ctx, o.attributes, 'attributes'),
    droppedAttributesCount: u32V(ctx, get(o, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount'),
    entityRefs: messagesV(ctx, get(o, 'entityRefs', 'entity_refs'), 'entityRefs', entityRefV),
  };
  ctx.path.pop();
  return r;
}

/** The `scope` field; absent means an empty scope. */
export function scopeV(ctx: Ctx, v: unknown): InstrumentationScope {
  const o = objV(ctx, v, 'scope');
  if (o === undefined) return emptyScope();
  ctx.path.push('scope');
  const s: InstrumentationScope = {
    name: strV(ctx, o.name, 'name'),
    version: strV(ctx, o.version, 'version'),
    attributes: keyValuesV(ctx, o.attributes, 'attributes'),
    droppedAttributesCount: u32V(ctx, get(o, 'droppedAttributesCount', 'dropped_attributes_count'), 'droppedAttributesCount'),
  };
  ctx.path.pop();
  return s;
}

/** Rejects every item of a container (e.g. the points of a nameless metric). */
export function rejectAll(ctx: Ctx, count: number, why: string): void {
  if (count > 0) ctx.rej.add(count, `${where(ctx)} ${why}`);
}

/**
 * The resources of a parsed Export*ServiceRequest: the envelope (see
 * ../signals.ts) walked once for all signals, with the signal's item decoder.
 * Each level reads its head (resource / scope), then its list, then
 * schemaUrl: that order decides which error a bad request reports first.
 */
export function envelopeV<R extends ResourceX, S extends ScopeX, T>(
  ctx: Ctx,
  root: Rec,
  env: SignalEnvelope<R, S, T>,
  item: (ctx: Ctx, o: Rec) => T | undefined,
): R[] {
  const scopeX = (ctx: Ctx, o: Rec): S => env.scope(scopeV(ctx, o.scope), listV(ctx, o, env.items, item), schemaUrlV(ctx, o));
  const resourceX = (ctx: Ctx, o: Rec): R =>
    env.resource(resourceV(ctx, o.resource), listV(ctx, o, env.scopes, scopeX), schemaUrlV(ctx, o));
  return listV(ctx, root, env.resources, resourceX);
}

function listV<T>(ctx: Ctx, o: Rec, [camel, snake]: FieldNames, fn: (ctx: Ctx, o: Rec) => T | undefined): T[] {
  return messagesV(ctx, get(o, camel, snake), camel, fn);
}

function schemaUrlV(ctx: Ctx, o: Rec): string {
  return strV(ctx, get(o, 'schemaUrl', 'schema_url'), 'schemaUrl');
}
