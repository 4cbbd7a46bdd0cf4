/**
 * Encoding the metrics model as a canonical ExportMetricsServiceRequest:
 * fields in field-number order, packed repeated scalars, proto3 defaults
 * omitted, oneof members and `optional` fields written whenever set.
 */
import type {
  Exemplar,
  ExponentialBuckets,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  Metric,
  NumberDataPoint,
  ResourceMetrics,
  SummaryDataPoint,
} from '../../model/metrics';
import { METRICS_ENVELOPE } from '../signals';
import { writeBytesField, writeInt32Field, writeKeyValues, writeStringField, writeUint32Field } from './common';
import { encodeEnvelope, type Alloc } from './envelope';
import { isNonZeroDouble, SHARED_WRITER as w } from './writer';

/** Encodes an ExportMetricsServiceRequest. Returns a fresh copy the caller owns. */
export function encodeMetricsRequest(data: readonly ResourceMetrics[], alloc?: Alloc): Uint8Array {
  return encodeEnvelope(data, METRICS_ENVELOPE, writeMetric, alloc);
}

/** A Metric's fields (the envelope writes its tag and length). */
function writeMetric(m: Metric): void {
  writeStringField(w, 0x0a, m.name);
  writeStringField(w, 0x12, m.description);
  writeStringField(w, 0x1a, m.unit);
  const d = m.data;
  if (d.type !== 'empty') {
    // The oneof member is written even when it holds nothing: it says which type the metric is.
    const tag = d.type === 'gauge' ? 0x2a : d.type === 'sum' ? 0x3a : d.type === 'histogram' ? 0x4a
      : d.type === 'exponentialHistogram' ? 0x52 : 0x5a;
    w.uint32(tag);
    const s = w.begin();
    switch (d.type) {
      case 'gauge':
        for (const p of d.dataPoints) writeNumberPoint(p);
        break;
      case 'sum':
        for (const p of d.dataPoints) writeNumberPoint(p);
        writeInt32Field(w, 0x10, d.temporality);
        if (d.isMonotonic) {
          w.uint32(0x18);
          w.bool(true);
        }
        break;
      case 'histogram':
        for (const p of d.dataPoints) writeHistogramPoint(p);
        writeInt32Field(w, 0x10, d.temporality);
        break;
      case 'exponentialHistogram':
        for (const p of d.dataPoints) writeExpHistogramPoint(p);
        writeInt32Field(w, 0x10, d.temporality);
        break;
      case 'summary':
        for (const p of d.dataPoints) writeSummaryPoint(p);
        break;
    }
    w.end(s);
  }
  writeKeyValues(w, 0x62, m.metadata);
}

function writeCountField(tag: number, v: number): void {
  if (v !== 0) {
    w.uint32(tag);
    w.fixed64Number(v);
  }
}

function writeDoubleField(tag: number, v: number | undefined, always: boolean): void {
  if (v !== undefined && (always || isNonZeroDouble(v))) {
    w.uint32(tag);
    w.double(v);
  }
}

/** The fields every point kind has. */
type PointHead = Pick<NumberDataPoint, 'attributes' | 'startTimeMs' | 'startTimeNs' | 'timeMs' | 'timeNs' | 'flags'>;

/**
 * Opens a point (field 1 of its data message) and writes its timestamps,
 * fields 2 and 3 in every kind. Only the exponential histogram numbers its
 * attributes 1, so they go first there; the caller writes the rest and ends
 * the point with `w.end` on the returned mark.
 */
function beginPoint(p: PointHead, attributesFirst: boolean): number {
  w.uint32(0x0a);
  const s = w.begin();
  if (attributesFirst) writeKeyValues(w, 0x0a, p.attributes);
  w.time(0x11, p.startTimeMs, p.startTimeNs);
  w.time(0x19, p.timeMs, p.timeNs);
  return s;
}

/** Attributes and flags, adjacent fields in the kinds that number attributes after their data. */
function writeAttributesAndFlags(p: PointHead, attributesTag: number, flagsTag: number): void {
  writeKeyValues(w, attributesTag, p.attributes);
  writeUint32Field(w, flagsTag, p.flags);
}

/**
 * count (field 4) and sum (5) of histogram and summary points. A histogram's
 * sum is `optional`, written whenever set; a summary's is a plain double,
 * omitted when 0.
 */
function writeCountAndSum(count: number, sum: number | undefined, sumIsOptional: boolean): void {
  writeCountField(0x21, count);
  writeDoubleField(0x29, sum, sumIsOptional);
}

function writeNumberPoint(p: NumberDataPoint): void {
  const s = beginPoint(p, false);
  if (p.valueType === 'double') writeDoubleField(0x21, Number(p.value), true);
  for (const e of p.exemplars) writeExemplar(0x2a, e);
  if (p.valueType === 'int') {
    w.uint32(0x31);
    w.sfixed64(p.value);
  }
  writeAttributesAndFlags(p, 0x3a, 0x40);
  w.end(s);
}

function writeHistogramPoint(p: HistogramDataPoint): void {
  const s = beginPoint(p, false);
  writeCountAndSum(p.count, p.sum, true);
  if (p.bucketCounts.length) {
    w.uint32(0x32);
    w.packedFixed64(p.bucketCounts);
  }
  if (p.explicitBounds.length) {
    w.uint32(0x3a);
    w.packedDoubles(p.explicitBounds);
  }
  for (const e of p.exemplars) writeExemplar(0x42, e);
  writeAttributesAndFlags(p, 0x4a, 0x50);
  writeDoubleField(0x59, p.min, true);
  writeDoubleField(0x61, p.max, true);
  w.end(s);
}

function writeExpHistogramPoint(p: ExponentialHistogramDataPoint): void {
  const s = beginPoint(p, true);
  writeCountAndSum(p.count, p.sum, true);
  if (p.scale !== 0) {
    w.uint32(0x30);
    w.sint32(p.scale);
  }
  writeCountField(0x39, p.zeroCount);
  writeBuckets(0x42, p.positive);
  writeBuckets(0x4a, p.negative);
  writeUint32Field(w, 0x50, p.flags);
  for (const e of p.exemplars) writeExemplar(0x5a, e);
  writeDoubleField(0x61, p.min, true);
  writeDoubleField(0x69, p.max, true);
  writeDoubleField(0x71, p.zeroThreshold, false);
  w.end(s);
}

/** Buckets are a message field: omitted when empty (the model cannot tell empty from absent). */
function writeBuckets(tag: number, b: ExponentialBuckets): void {
  if (b.offset === 0 && b.bucketCounts.length === 0) return;
  w.uint32(tag);
  const s = w.begin();
  if (b.offset !== 0) {
    w.uint32(0x08);
    w.sint32(b.offset);
  }
  if (b.bucketCounts.length) {
    w.uint32(0x12);
    w.packedUint64(b.bucketCounts);
  }
  w.end(s);
}

function writeSummaryPoint(p: SummaryDataPoint): void {
  const s = beginPoint(p, false);
  writeCountAndSum(p.count, p.sum, false);
  for (const q of p.quantileValues) {
    w.uint32(0x32);
    const qs = w.begin();
    writeDoubleField(0x09, q.quantile, false);
    writeDoubleField(0x11, q.value, false);
    w.end(qs);
  }
  writeAttributesAndFlags(p, 0x3a, 0x40);
  w.end(s);
}

function writeExemplar(tag: number, e: Exemplar): void {
  w.uint32(tag);
  const s = w.begin();
  w.time(0x11, e.timeMs, e.timeNs);
  if (e.valueType === 'double') writeDoubleField(0x19, Number(e.value), true);
  writeBytesField(w, 0x22, e.spanId);
  writeBytesField(w, 0x2a, e.traceId);
  if (e.valueType === 'int') {
    w.uint32(0x31);
    w.sfixed64(e.value);
  }
  writeKeyValues(w, 0x3a, e.filteredAttributes);
  w.end(s);
}
