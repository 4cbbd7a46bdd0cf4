/**
 * Decoding opentelemetry/proto/metrics/v1/metrics.proto
 * (ExportMetricsServiceRequest) into the model: the envelope down to a
 * metric's data. Points are in metrics-points.ts and metrics-histograms.ts,
 * encoding in metrics-encode.ts.
 */
import type { InstrumentationScope, KeyValue, Resource } from '../../model/common';
import type {
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  Metric,
  MetricData,
  NumberDataPoint,
  ResourceMetrics,
  ScopeMetrics,
  SummaryDataPoint,
} from '../../model/metrics';
import { Rejections, type DecodeResult } from '../decode-result';
import { readKeyValue, readResource, readScope, seg } from './common';
import { readExpHistogramPoint, readHistogramPoint } from './metrics-histograms';
import { readNumberPoint, readSummaryPoint } from './metrics-points';
import { finishError, withPath, ProtoReader } from './reader';

/**
 * Decodes an ExportMetricsServiceRequest. Throws OtlpDecodeError when the bytes
 * are not a valid message; invalid items (metrics without a name, histogram
 * points whose bucket counts do not match their bounds) are left out and
 * counted in `rejected`, in data points.
 */
export function decodeMetricsRequest(buf: Uint8Array): DecodeResult<ResourceMetrics> {
  const r = new ProtoReader(buf);
  const rej = new Rejections();
  const data: ResourceMetrics[] = [];
  try {
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag === 0x0a) data.push(readResourceMetrics(r, data.length, rej));
      else r.skip(tag);
    }
  } catch (e) {
    finishError(e, 'ExportMetricsServiceRequest');
  }
  return { data, rejected: rej.count, rejectMessage: rej.message };
}

function readResourceMetrics(r: ProtoReader, i: number, rej: Rejections): ResourceMetrics {
  const end = r.lenEnd();
  try {
    let resource: Resource | undefined;
    const scopeMetrics: ScopeMetrics[] = [];
    let schemaUrl = '';
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x0a) resource = readResource(r);
      else if (tag === 0x12) scopeMetrics.push(readScopeMetrics(r, scopeMetrics.length, rej));
      else if (tag === 0x1a) schemaUrl = r.string();
      else r.skip(tag);
    }
    r.endMessage(end);
    resource ??= { attributes: [], droppedAttributesCount: 0, entityRefs: [] };
    return { resource, scopeMetrics, schemaUrl };
  } catch (e) {
    return withPath(e, seg('resource_metrics', i));
  }
}

function readScopeMetrics(r: ProtoReader, i: number, rej: Rejections): ScopeMetrics {
  const end = r.lenEnd();
  try {
    let scope: InstrumentationScope | undefined;
    const metrics: Metric[] = [];
    let schemaUrl = '';
    let n = 0;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === 0x0a) scope = readScope(r);
      else if (tag === 0x12) {
        const m = readMetric(r, n++, rej);
        if (m.name !== '') metrics.push(m);
        else if (m.data.type !== 'empty' && m.data.dataPoints.length > 0) {
          rej.add(m.data.dataPoints.length, 'metrics must have a name');
        }
      } else if (tag === 0x1a) schemaUrl = r.string();
      else r.skip(tag);
    }
    r.endMessage(end);
    scope ??= { name: '', version: '', attributes: [], droppedAttributesCount: 0 };
    return { scope, metrics, schemaUrl };
  } catch (e) {
    return withPath(e, seg('scope_metrics', i));
  }
}

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
        else points.push(readSummaryPoint(r, n++));
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
