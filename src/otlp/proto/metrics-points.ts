/**
 * Decoding NumberDataPoint, SummaryDataPoint and Exemplar
 * (opentelemetry/proto/metrics/v1/metrics.proto), and PointHead, the fields
 * every point kind shares (histograms use it too).
 *
 * Each point is built as one object literal after its fields are read, so all
 * points of a kind share a hidden class and nothing else is allocated for them:
 * timestamps land in the reader's `ms`/`ns` (see nanos.ts) and from there in
 * the kind's PointHead.
 */
import type { KeyValue } from '../../model/common';
import type { Exemplar, NumberDataPoint, NumberValueType, SummaryDataPoint, ValueAtQuantile } from '../../model/metrics';
import type { Rejections } from '../decode-result';
import { readKeyValue, seg } from './common';
import { withPath, type ProtoReader } from './reader';

/** Shared "none yet" marker, so a point without exemplars allocates its empty array only once. */
const NONE: Exemplar[] = [];
const NO_BYTES: Uint8Array = new Uint8Array(0);

/**
 * The fields all point kinds share besides attributes: start_time_unix_nano
 * (field 2), time_unix_nano (3), flags and exemplars. Flags and exemplars
 * have different field numbers per kind, hence one instance per kind. A point
 * reader handles its own fields in its switch, passes the rest to `field`,
 * then copies the head into its object literal. Each instance is scratch
 * reused by every point of its kind (points do not nest), so the head
 * allocates nothing per point.
 *
 * Attributes stay in each reader's own switch: they are the most frequent
 * field (several per point), and routing them through `field` made decoding
 * the benchmark request ~7% slower.
 */
export class PointHead {
  startTimeMs = 0;
  startTimeNs = 0;
  timeMs = 0;
  timeNs = 0;
  flags = 0;
  private ex = NONE;
  /**
   * The point's attributes while it is read, copied out at their exact size:
   * an array grown by push from `[]` reserves room for 17, ~50 bytes more
   * per point than three attributes need, all of it for the GC.
   */
  private readonly attrs: KeyValue[] = [];
  private nAttrs = 0;

  /** `exemplarsTag` is -1 for summaries, which have none. */
  constructor(
    private readonly flagsTag: number,
    private readonly exemplarsTag: number,
  ) {}

  /** Clears the fields for the next point; returns `this`. */
  start(): this {
    this.startTimeMs = 0;
    this.startTimeNs = 0;
    this.timeMs = 0;
    this.timeNs = 0;
    this.flags = 0;
    this.ex = NONE;
    this.nAttrs = 0;
    return this;
  }

  /** Reads one attribute (a length-delimited KeyValue). */
  attribute(r: ProtoReader): void {
    this.attrs[this.nAttrs] = readKeyValue(r, 'attributes', this.nAttrs);
    this.nAttrs++;
  }

  /** The point's attributes, in an array of their exact size. */
  attributes(): KeyValue[] {
    return this.nAttrs === 0 ? [] : this.attrs.slice(0, this.nAttrs);
  }

  /** Reads the field whose tag was just read if it is a shared one, else skips it. Bad exemplars are dropped into `rej`. */
  field(r: ProtoReader, tag: number, rej: Rejections): void {
    if (tag === 0x11) {
      r.time();
      this.startTimeMs = r.ms;
      this.startTimeNs = r.ns;
    } else if (tag === 0x19) {
      r.time();
      this.timeMs = r.ms;
      this.timeNs = r.ns;
    } else if (tag === this.flagsTag) this.flags = r.uint32();
    else if (tag === this.exemplarsTag) {
      if (this.ex === NONE) this.ex = [];
      addExemplar(this.ex, readExemplar(r, this.ex.length), rej);
    } else r.skip(tag);
  }

  /** The point's exemplars (a fresh empty array when it had none). */
  exemplars(): Exemplar[] {
    return this.ex === NONE ? [] : this.ex;
  }
}

const NUMBER_HEAD = new PointHead(0x40, 0x2a);
const SUMMARY_HEAD = new PointHead(0x40, -1);

/** Reads a length-delimited NumberDataPoint (gauge and sum points); bad exemplars are dropped into `rej`. */
export function readNumberPoint(r: ProtoReader, i: number, rej: Rejections): NumberDataPoint {
  const end = r.lenEnd();
  try {
    const h = NUMBER_HEAD.start();
    let valueType: NumberValueType = 'none';
    let value: number | bigint = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag) {
        case 0x21:
          valueType = 'double';
          value = r.double();
          break;
        case 0x31:
          valueType = 'int';
          value = r.sfixed64();
          break;
        case 0x3a:
          h.attribute(r);
          break;
        default:
          h.field(r, tag, rej);
      }
    }
    r.endMessage(end);
    return {
      attributes: h.attributes(), startTimeMs: h.startTimeMs, startTimeNs: h.startTimeNs, timeMs: h.timeMs, timeNs: h.timeNs,
      flags: h.flags, valueType, value, exemplars: h.exemplars(),
    };
  } catch (e) {
    return withPath(e, seg('data_points', i));
  }
}

/** Reads a length-delimited SummaryDataPoint. */
export function readSummaryPoint(r: ProtoReader, i: number, rej: Rejections): SummaryDataPoint {
  const end = r.lenEnd();
  try {
    const h = SUMMARY_HEAD.start();
    let count = 0;
    let sum = 0;
    const quantileValues: ValueAtQuantile[] = [];
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x21) count = r.fixed64Number();
      else if (tag === 0x29) sum = r.double();
      else if (tag === 0x32) quantileValues.push(readQuantile(r, quantileValues.length));
      else if (tag === 0x3a) h.attribute(r);
      else h.field(r, tag, rej);
    }
    r.endMessage(end);
    return {
      attributes: h.attributes(), startTimeMs: h.startTimeMs, startTimeNs: h.startTimeNs, timeMs: h.timeMs, timeNs: h.timeNs,
      flags: h.flags, count, sum, quantileValues,
    };
  } catch (e) {
    return withPath(e, seg('data_points', i));
  }
}

function readQuantile(r: ProtoReader, i: number): ValueAtQuantile {
  const end = r.lenEnd();
  try {
    let quantile = 0;
    let value = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x09) quantile = r.double();
      else if (tag === 0x11) value = r.double();
      else r.skip(tag);
    }
    r.endMessage(end);
    return { quantile, value };
  } catch (e) {
    return withPath(e, seg('quantile_values', i));
  }
}

/** Reads a length-delimited Exemplar (ids unchecked; see addExemplar). */
export function readExemplar(r: ProtoReader, i: number): Exemplar {
  const end = r.lenEnd();
  try {
    const filteredAttributes: KeyValue[] = [];
    let timeMs = 0;
    let timeNs = 0;
    let valueType: NumberValueType = 'none';
    let value: number | bigint = 0;
    let spanId = NO_BYTES;
    let traceId = NO_BYTES;
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag) {
        case 0x11:
          r.time();
          timeMs = r.ms;
          timeNs = r.ns;
          break;
        case 0x19:
          valueType = 'double';
          value = r.double();
          break;
        case 0x22:
          spanId = r.bytes();
          break;
        case 0x2a:
          traceId = r.bytes();
          break;
        case 0x31:
          valueType = 'int';
          value = r.sfixed64();
          break;
        case 0x3a:
          filteredAttributes.push(readKeyValue(r, 'filtered_attributes', filteredAttributes.length));
          break;
        default:
          r.skip(tag);
      }
    }
    r.endMessage(end);
    if (spanId === NO_BYTES) spanId = new Uint8Array(0);
    if (traceId === NO_BYTES) traceId = new Uint8Array(0);
    return { filteredAttributes, timeMs, timeNs, valueType, value, spanId, traceId };
  } catch (e) {
    return withPath(e, seg('exemplars', i));
  }
}

/**
 * Keeps an exemplar unless its ids have an impossible length. Exemplars are
 * not counted items, so a bad one is dropped with a warning, not a rejection.
 */
export function addExemplar(list: Exemplar[], ex: Exemplar, rej: Rejections): void {
  const t = ex.traceId.length;
  const s = ex.spanId.length;
  if ((t === 0 || t === 16) && (s === 0 || s === 8)) list.push(ex);
  else rej.add(0, 'exemplar trace_id must be empty or 16 bytes and span_id empty or 8 bytes');
}
