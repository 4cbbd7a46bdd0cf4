/**
 * Decoding HistogramDataPoint and ExponentialHistogramDataPoint
 * (opentelemetry/proto/metrics/v1/metrics.proto). Repeated counts and bounds
 * are accepted packed (what proto3 writers send) and unpacked.
 */
import type { ExponentialBuckets, ExponentialHistogramDataPoint, HistogramDataPoint } from '../../model/metrics';
import type { Rejections } from '../decode-result';
import { seg } from './common';
import { PointHead } from './metrics-points';
import { withPath, type ProtoReader } from './reader';

const HISTOGRAM_HEAD = new PointHead(0x50, 0x42);
const EXP_HISTOGRAM_HEAD = new PointHead(0x50, 0x5a);

/** Reads a length-delimited HistogramDataPoint; the bucket/bounds check is the caller's. */
export function readHistogramPoint(r: ProtoReader, i: number, rej: Rejections): HistogramDataPoint {
  const end = r.lenEnd();
  try {
    const h = HISTOGRAM_HEAD.start();
    let count = 0;
    let sum: number | undefined;
    const bucketCounts: number[] = [];
    const explicitBounds: number[] = [];
    let min: number | undefined;
    let max: number | undefined;
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag) {
        case 0x21:
          count = r.fixed64Number();
          break;
        case 0x29:
          sum = r.double();
          break;
        case 0x31:
          bucketCounts.push(r.fixed64Number());
          break;
        case 0x32:
          r.packedFixed64(bucketCounts);
          break;
        case 0x39:
          explicitBounds.push(r.double());
          break;
        case 0x3a:
          r.packedDoubles(explicitBounds);
          break;
        case 0x4a:
          h.attribute(r);
          break;
        case 0x59:
          min = r.double();
          break;
        case 0x61:
          max = r.double();
          break;
        default:
          h.field(r, tag, rej);
      }
    }
    r.endMessage(end);
    return {
      attributes: h.attributes(), startTimeMs: h.startTimeMs, startTimeNs: h.startTimeNs, timeMs: h.timeMs, timeNs: h.timeNs,
      flags: h.flags, count, sum, bucketCounts, explicitBounds, exemplars: h.exemplars(), min, max,
    };
  } catch (e) {
    return withPath(e, seg('data_points', i));
  }
}

/** Reads a length-delimited ExponentialHistogramDataPoint; absent buckets become empty ones. */
export function readExpHistogramPoint(r: ProtoReader, i: number, rej: Rejections): ExponentialHistogramDataPoint {
  const end = r.lenEnd();
  try {
    const h = EXP_HISTOGRAM_HEAD.start();
    let count = 0;
    let sum: number | undefined;
    let scale = 0;
    let zeroCount = 0;
    let positive: ExponentialBuckets | undefined;
    let negative: ExponentialBuckets | undefined;
    let min: number | undefined;
    let max: number | undefined;
    let zeroThreshold = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag) {
        case 0x0a:
          h.attribute(r);
          break;
        case 0x21:
          count = r.fixed64Number();
          break;
        case 0x29:
          sum = r.double();
          break;
        case 0x30:
          scale = r.sint32();
          break;
        case 0x39:
          zeroCount = r.fixed64Number();
          break;
        case 0x42:
          positive = readBuckets(r, 'positive');
          break;
        case 0x4a:
          negative = readBuckets(r, 'negative');
          break;
        case 0x61:
          min = r.double();
          break;
        case 0x69:
          max = r.double();
          break;
        case 0x71:
          zeroThreshold = r.double();
          break;
        default:
          h.field(r, tag, rej);
      }
    }
    r.endMessage(end);
    positive ??= { offset: 0, bucketCounts: [] };
    negative ??= { offset: 0, bucketCounts: [] };
    return {
      attributes: h.attributes(), startTimeMs: h.startTimeMs, startTimeNs: h.startTimeNs, timeMs: h.timeMs, timeNs: h.timeNs,
      flags: h.flags, count, sum, scale, zeroCount, positive, negative, exemplars: h.exemplars(), min, max, zeroThreshold,
    };
  } catch (e) {
    return withPath(e, seg('data_points', i));
  }
}

function readBuckets(r: ProtoReader, name: string): ExponentialBuckets {
  const end = r.lenEnd();
  try {
    let offset = 0;
    const bucketCounts: number[] = [];
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x08) offset = r.sint32();
      else if (tag === 0x12) r.packedUint64(bucketCounts);
      else if (tag === 0x10) bucketCounts.push(r.uint64());
      else r.skip(tag);
    }
    r.endMessage(end);
    return { offset, bucketCounts };
  } catch (e) {
    return withPath(e, name);
  }
}
