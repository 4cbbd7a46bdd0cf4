/**
 * opentelemetry/proto/common/v1/common.proto and resource/v1/resource.proto:
 * AnyValue, KeyValue, InstrumentationScope, EntityRef and Resource.
 *
 * Decoders take the reader positioned on a length prefix (`read*`), so each one
 * owns its bounds check and its segment of an error path. Tag constants are
 * `(field << 3) | wireType`.
 */
import { EMPTY, type AnyValue, type EntityRef, type InstrumentationScope, type KeyValue, type Resource } from '../../model/common';
import { MAX_DEPTH, withPath, type ProtoReader } from './reader';
import type { ProtoWriter } from './writer';

/** `name[i]` for repeated fields, `name` for singular ones (i < 0); built only on error. */
export function seg(name: string, i: number): string {
  return i < 0 ? name : `${name}[${i}]`;
}

/** Reads a length-delimited AnyValue. `depth` counts array/kvlist nesting. */
export function readAnyValue(r: ProtoReader, name: string, i: number, depth: number): AnyValue {
  const end = r.lenEnd();
  try {
    if (depth > MAX_DEPTH) r.fail(`AnyValue nested deeper than ${MAX_DEPTH} levels`);
    let v: AnyValue = EMPTY;
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag) {
        case 0x0a:
          v = r.stringValue();
          break;
        case 0x10:
          v = { kind: 'bool', value: r.bool() };
          break;
        case 0x18:
          v = { kind: 'int', value: r.int64() };
          break;
        case 0x21:
          v = { kind: 'double', value: r.double() };
          break;
        case 0x2a:
          v = { kind: 'array', value: readValues(r, depth, 'array_value', readAnyValue) };
          break;
        case 0x32:
          v = { kind: 'kvlist', value: readValues(r, depth, 'kvlist_value', readKeyValue) };
          break;
        case 0x3a:
          v = { kind: 'bytes', value: r.bytes() };
          break;
        default:
          r.skip(tag);
      }
    }
    r.endMessage(end);
    return v;
  } catch (e) {
    return withPath(e, seg(name, i));
  }
}

/** The `values` (field 1) of an ArrayValue or KeyValueList, one nesting level deeper. */
function readValues<T>(
  r: ProtoReader,
  depth: number,
  name: string,
  readItem: (r: ProtoReader, name: string, i: number, depth: number) => T,
): T[] {
  const end = r.lenEnd();
  const values: T[] = [];
  try {
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x0a) values.push(readItem(r, 'values', values.length, depth + 1));
      else r.skip(tag);
    }
    r.endMessage(end);
    return values;
  } catch (e) {
    return withPath(e, name);
  }
}

/** Reads a length-delimited KeyValue (an attribute). */
export function readKeyValue(r: ProtoReader, name: string, i: number, depth = 0): KeyValue {
  const end = r.lenEnd();
  try {
    let key = '';
    let value: AnyValue = EMPTY;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x0a) key = r.key();
      else if (tag === 0x12) value = readAnyValue(r, 'value', -1, depth);
      else r.skip(tag);
    }
    r.endMessage(end);
    return { key, value };
  } catch (e) {
    return withPath(e, seg(name, i));
  }
}

function readEntityRef(r: ProtoReader, i: number): EntityRef {
  const end = r.lenEnd();
  try {
    let schemaUrl = '';
    let type = '';
    const idKeys: string[] = [];
    const descriptionKeys: string[] = [];
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x0a) schemaUrl = r.string();
      else if (tag === 0x12) type = r.string();
      else if (tag === 0x1a) idKeys.push(r.string());
      else if (tag === 0x22) descriptionKeys.push(r.string());
      else r.skip(tag);
    }
    r.endMessage(end);
    return { schemaUrl, type, idKeys, descriptionKeys };
  } catch (e) {
    return withPath(e, seg('entity_refs', i));
  }
}

/** Reads a length-delimited Resource. */
export function readResource(r: ProtoReader): Resource {
  const end = r.lenEnd();
  try {
    const attributes: KeyValue[] = [];
    let droppedAttributesCount = 0;
    const entityRefs: EntityRef[] = [];
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x0a) attributes.push(readKeyValue(r, 'attributes', attributes.length));
      else if (tag === 0x10) droppedAttributesCount = r.uint32();
      else if (tag === 0x1a) entityRefs.push(readEntityRef(r, entityRefs.length));
      else r.skip(tag);
    }
    r.endMessage(end);
    return { attributes, droppedAttributesCount, entityRefs };
  } catch (e) {
    return withPath(e, 'resource');
  }
}

/** Reads a length-delimited InstrumentationScope. */
export function readScope(r: ProtoReader): InstrumentationScope {
  const end = r.lenEnd();
  try {
    let name = '';
    let version = '';
    const attributes: KeyValue[] = [];
    let droppedAttributesCount = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x0a) name = r.string();
      else if (tag === 0x12) version = r.string();
      else if (tag === 0x1a) attributes.push(readKeyValue(r, 'attributes', attributes.length));
      else if (tag === 0x20) droppedAttributesCount = r.uint32();
      else r.skip(tag);
    }
    r.endMessage(end);
    return { name, version, attributes, droppedAttributesCount };
  } catch (e) {
    return withPath(e, 'scope');
  }
}

// ---- encoding ----

/** Writes an AnyValue's fields (the message body, without tag or length). */
export function writeAnyValue(w: ProtoWriter, v: AnyValue): void {
  switch (v.kind) {
    case 'string':
      w.uint32(0x0a);
      w.string(v.value);
      return;
    case 'bool':
      w.uint32(0x10);
      w.bool(v.value);
      return;
    case 'int':
      w.uint32(0x18);
      w.int64(v.value);
      return;
    case 'double':
      w.uint32(0x21);
      w.double(v.value);
      return;
    case 'array': {
      w.uint32(0x2a);
      const arr = w.begin();
      for (const item of v.value) {
        w.uint32(0x0a);
        const s = w.begin();
        writeAnyValue(w, item);
        w.end(s);
      }
      w.end(arr);
      return;
    }
    case 'kvlist': {
      w.uint32(0x32);
      const list = w.begin();
      writeKeyValues(w, 0x0a, v.value);
      w.end(list);
      return;
    }
    case 'bytes':
      w.uint32(0x3a);
      w.bytes(v.value);
      return;
    case 'empty':
      return;
  }
}

/** Writes each KeyValue as a length-delimited field with tag `tag`. */
export function writeKeyValues(w: ProtoWriter, tag: number, kvs: readonly KeyValue[]): void {
  for (let i = 0; i < kvs.length; i++) {
    const kv = kvs[i];
    w.uint32(tag);
    const s = w.begin();
    if (kv.key !== '') {
      w.uint32(0x0a);
      w.string(kv.key);
    }
    // An empty AnyValue is still written: `value` is a message field, and
    // presence is how receivers tell "empty value" from "no value".
    w.uint32(0x12);
    const v = w.begin();
    writeAnyValue(w, kv.value);
    w.end(v);
    w.end(s);
  }
}

function writeStrings(w: ProtoWriter, tag: number, values: readonly string[]): void {
  for (let i = 0; i < values.length; i++) {
    w.uint32(tag);
    w.string(values[i]);
  }
}

/** Writes `resource` as field 1, omitted when it is empty (the model cannot tell empty from absent). */
export function writeResource(w: ProtoWriter, res: Resource): void {
  if (res.attributes.length === 0 && res.droppedAttributesCount === 0 && res.entityRefs.length === 0) return;
  w.uint32(0x0a);
  const s = w.begin();
  writeKeyValues(w, 0x0a, res.attributes);
  if (res.droppedAttributesCount) {
    w.uint32(0x10);
    w.uint32(res.droppedAttributesCount >>> 0);
  }
  for (const ref of res.entityRefs) {
    w.uint32(0x1a);
    const e = w.begin();
    writeStringField(w, 0x0a, ref.schemaUrl);
    writeStringField(w, 0x12, ref.type);
    writeStrings(w, 0x1a, ref.idKeys);
    writeStrings(w, 0x22, ref.descriptionKeys);
    w.end(e);
  }
  w.end(s);
}

/** Writes `scope` as field 1, omitted when it is empty. */
export function writeScope(w: ProtoWriter, scope: InstrumentationScope): void {
  const { name, version, attributes, droppedAttributesCount } = scope;
  if (name === '' && version === '' && attributes.length === 0 && droppedAttributesCount === 0) return;
  w.uint32(0x0a);
  const s = w.begin();
  writeStringField(w, 0x0a, name);
  writeStringField(w, 0x12, version);
  writeKeyValues(w, 0x1a, attributes);
  if (droppedAttributesCount) {
    w.uint32(0x20);
    w.uint32(droppedAttributesCount >>> 0);
  }
  w.end(s);
}

/** Writes a non-empty string field. */
export function writeStringField(w: ProtoWriter, tag: number, s: string): void {
  if (s !== '') {
    w.uint32(tag);
    w.string(s);
  }
}

/** Writes a non-empty bytes field (ids). */
export function writeBytesField(w: ProtoWriter, tag: number, b: Uint8Array): void {
  if (b.length !== 0) {
    w.uint32(tag);
    w.bytes(b);
  }
}

/** Writes a non-zero uint32 field (dropped counts, point flags). */
export function writeUint32Field(w: ProtoWriter, tag: number, v: number): void {
  if (v !== 0) {
    w.uint32(tag);
    w.uint32(v >>> 0);
  }
}

/** Writes a non-zero int32 or enum field. */
export function writeInt32Field(w: ProtoWriter, tag: number, v: number): void {
  if (v !== 0) {
    w.uint32(tag);
    w.int32(v);
  }
}

/** Writes a non-zero fixed32 field (span, link and log record flags). */
export function writeFixed32Field(w: ProtoWriter, tag: number, v: number): void {
  if (v !== 0) {
    w.uint32(tag);
    w.fixed32(v);
  }
}
