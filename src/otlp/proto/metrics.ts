/**
 * Decoding opentelemetry/proto/metrics/v1/metrics.proto
 * (ExportMetricsServiceRequest) into the model: a metric down to its data
 * (the envelope is envelope.ts). Points are in metrics-points.ts and
 * metrics-histograms.ts, encoding in metrics-encode.ts.
 */
import type { KeyValue } from '../../model/common';
import type {
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  Metric,
  MetricData,
  NumberDataPoint,
  ResourceMetrics,
  SummaryDataPoint,
} from '../../model/metrics';
import type { DecodeResult, Rejections } from '../decode-result';
import { METRICS_ENVELOPE } from '../signals';
import { readKeyValue, seg } from './common';
import { decodeEnvelope, wireDecoder } from './envelope';
import { readExpHistogramPoint, readHistogramPoint } from './metrics-histograms';
import { readNumberPoint, readSummaryPoint } from './metrics-points';
import { SKIM_METRICS } from './skim';
import { withPath, type ProtoReader } from './reader';

/** A metric, left out when it has no name: its points count as rejected, since points are what OTLP counts. */
function readNamedMetric(r: ProtoReader, i: number, rej: Rejections): Metric | undefined {
  const m = readMetric(r, i, rej);
  if (m.name !== '') return m;
  if (m.data.type !== 'empty' && m.data.dataPoints.length > 0) rej.add(m.data.dataPoints.length, 'metrics must have a name');
  return undefined;
}

/**
 * Decodes an ExportMetricsServiceRequest. Throws OtlpDecodeError when the bytes
 * are not a valid message; invalid items (metrics without a name, histogram
 * points whose bucket counts do not match their bounds) are left out and
 * counted in `rejected`, in data points.
 */
export function decodeMetricsRequest(buf: Uint8Array): DecodeResult<ResourceMetrics> {
  return decodeEnvelope(buf, METRICS_ENVELOPE, readNamedMetric);
}

/**
 * The same, except that resources stay in their wire form (model/wire.ts)
 * when the request can be forwarded as it is; they keep `buf`.
 */
export const decodeMetricsRequestWire = wireDecoder(METRICS_ENVELOPE, readNamedMetric, SKIM_METRICS);

function readMetric(r: ProtoReader, i: number, rej: Rejections): Metric {
  const end = r.lenEnd();
  try {
    let name = '';
    let description = '';
    let unit = '';
    const metadata: KeyValue[] = [];
    let data: MetricData | undefined;
    while (r.pos < end) {
      const tag = r.uint32();
      switch (tag) {
        case 0x0a:
          name = r.string();
          break;
        case 0x12:
          description = r.string();
          break;
        case 0x1a:
          unit = r.string();
          break;
        case 0x2a:
        case 0x3a:
        case 0x4a:
        case 0x52:
        case 0x5a:
          // A oneof: the last member on the wire wins. (A member repeated on
          // the wire should merge; no OTLP writer does that, so it replaces.)
          data = readData(r, tag, rej);
          break;
        case 0x62:
          metadata.push(readKeyValue(r, 'metadata', metadata.length));
          break;
        default:
          r.skip(tag);
      }
    }
    r.endMessage(end);
    return { name, description, unit, metadata, data: data ?? { type: 'empty' } };
  } catch (e) {
    return withPath(e, seg('metrics', i));
  }
}

const DATA_NAMES: Record<number, string> = {
  0x2a: 'gauge',
  0x3a: 'sum',
  0x4a: 'histogram',
  0x52: 'exponential_histogram',
  0x5a: 'summary',
};

/** Gauge, Sum, Histogram, ExponentialHistogram or Summary: points in field 1, temporality in 2. */
function readData(r: ProtoReader, which: number, rej: Rejections): MetricData {
  const end = r.lenEnd();
  try {
    const points: unknown[] = [];
    let n = 0;
    let temporality = 0;
    let isMonotonic = false;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x0a) {
        if (which === 0x2a || which === 0x3a) points.push(readNumberPoint(r, n++, rej));
        else if (which === 0x4a) {
          const p = readHistogramPoint(r, n++, rej);
          const buckets = p.bucketCounts.length;
          if (buckets === 0 || buckets === p.explicitBounds.length + 1) points.push(p);
          else rej.add(1, 'histogram bucket_counts must be empty or one longer than explicit_bounds');
        } else if (which === 0x52) points.push(readExpHistogramPoint(r, n++, rej));
        else points.push(readSummaryPoint(r, n++, rej));
      } else if (tag === 0x10 && which !== 0x2a && which !== 0x5a) temporality = r.uint32() | 0;
      else if (tag === 0x18 && which === 0x3a) isMonotonic = r.bool();
      else r.skip(tag);
    }
    r.endMessage(end);
    switch (which) {
      case 0x2a:
        return { type: 'gauge', dataPoints: points as NumberDataPoint[] };
      case 0x3a:
        return { type: 'sum', dataPoints: points as NumberDataPoint[], temporality, isMonotonic };
      case 0x4a:
        return { type: 'histogram', dataPoints: points as HistogramDataPoint[], temporality };
      case 0x52:
        return { type: 'exponentialHistogram', dataPoints: points as ExponentialHistogramDataPoint[], temporality };
      default:
        return { type: 'summary', dataPoints: points as SummaryDataPoint[] };
    }
  } catch (e) {
    return withPath(e, DATA_NAMES[which]);
  }
}
