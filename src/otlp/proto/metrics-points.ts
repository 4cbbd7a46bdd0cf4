/**
 * Decoding NumberDataPoint, SummaryDataPoint and Exemplar
 * (opentelemetry/proto/metrics/v1/metrics.proto).
 *
 * Each point is built as one object literal after its fields are read, so all
 * points of a kind share a hidden class and nothing else is allocated for them:
 * timestamps land in the reader's `ms`/`ns` (see nanos.ts).
 */
import type { KeyValue } from '../../model/common';
import type { Exemplar, NumberDataPoint, NumberValueType, SummaryDataPoint, ValueAtQuantile } from '../../model/metrics';
import type { Rejections } from '../decode-result';
import { readKeyValue, seg } from './common';
import { withPath, type ProtoReader } from './reader';

/** Shared "none yet" marker, so a point without exemplars allocates its empty array only once. */
const NONE: Exemplar[] = [];
const NO_BYTES: Uint8Array = new Uint8Array(0);

/** Reads a length-delimited NumberDataPoint (gauge and sum points); bad exemplars are dropped into `rej`. */
export function readNumberPoint(r: ProtoReader, i: number, rej: Rejections): NumberDataPoint {
  const end = r.lenEnd();
  try {
    const attributes: KeyValue[] = [];
    let startTimeMs = 0;
    let startTimeNs = 0;
    let timeMs = 0;
    let timeNs = 0;
    let valueType: NumberValueType = 'none';
    let value: number | bigint = 0;
    let exemplars = NONE;
    let flags = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag) {
        case 0x11:
          r.time();
          startTimeMs = r.ms;
          startTimeNs = r.ns;
          break;
        case 0x19:
          r.time();
          timeMs = r.ms;
          timeNs = r.ns;
          break;
        case 0x21:
          valueType = 'double';
          value = r.double();
          break;
        case 0x2a:
          if (exemplars === NONE) exemplars = [];
          addExemplar(exemplars, readExemplar(r, exemplars.length), rej);
          break;
        case 0x31:
          valueType = 'int';
          value = r.sfixed64();
          break;
        case 0x3a:
          attributes.push(readKeyValue(r, 'attributes', attributes.length));
          break;
        case 0x40:
          flags = r.uint32();
          break;
        default:
          r.skip(tag);
      }
    }
    r.endMessage(end);
    if (exemplars === NONE) exemplars = [];
    return { attributes, startTimeMs, startTimeNs, timeMs, timeNs, flags, valueType, value, exemplars };
  } catch (e) {
    return withPath(e, seg('data_points', i));
  }
}

/** Reads a length-delimited SummaryDataPoint. */
export function readSummaryPoint(r: ProtoReader, i: number): SummaryDataPoint {
  const end = r.lenEnd();
  try {
    const attributes: KeyValue[] = [];
    let startTimeMs = 0;
    let startTimeNs = 0;
    let timeMs = 0;
    let timeNs = 0;
    let count = 0;
    let sum = 0;
    const quantileValues: ValueAtQuantile[] = [];
    let flags = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag) {
        case 0x11:
          r.time();
          startTimeMs = r.ms;
          startTimeNs = r.ns;
          break;
        case 0x19:
          r.time();
          timeMs = r.ms;
          timeNs = r.ns;
          break;
        case 0x21:
          count = r.fixed64Number();
          break;
        case 0x29:
          sum = r.double();
          break;
        case 0x32:
          quantileValues.push(readQuantile(r, quantileValues.length));
          break;
        case 0x3a:
          attributes.push(readKeyValue(r, 'attributes', attributes.length));
          break;
        case 0x40:
          flags = r.uint32();
          break;
        default:
          r.skip(tag);
      }
    }
    r.endMessage(end);
    return { attributes, startTimeMs, startTimeNs, timeMs, timeNs, flags, count, sum, quantileValues };
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
