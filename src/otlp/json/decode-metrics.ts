/** OTLP/JSON ExportMetricsServiceRequest → ResourceMetrics[]. */
import type {
  Exemplar,
  ExponentialBuckets,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  Metric,
  MetricData,
  NumberDataPoint,
  NumberValueType,
  ResourceMetrics,
  SummaryDataPoint,
  ValueAtQuantile,
} from '../../model/metrics';
import { METRICS_ENVELOPE } from '../signals';
import { envelopeV, itemOk, keyValuesV, messagesV, rejectAll } from './decode-common';
import {
  boolV,
  type Ctx,
  doubleArrayV,
  doubleV,
  enumV,
  fail,
  get,
  I32_MAX,
  I32_MIN,
  i64V,
  idV,
  int32V,
  markBad,
  objV,
  optDoubleV,
  type Rec,
  strV,
  timeV,
  u32V,
  u64ArrayV,
  u64V,
  where,
} from './read';

const TEMPORALITY: Readonly<Record<string, number>> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

/** The resources of a parsed ExportMetricsServiceRequest. */
export function metricsFromRoot(ctx: Ctx, root: Rec): ResourceMetrics[] {
  return envelopeV(ctx, root, METRICS_ENVELOPE, metricV);
}

function metricV(ctx: Ctx, o: Rec): Metric | undefined {
  const name = strV(ctx, o.name, 'name');
  const description = strV(ctx, o.description, 'description');
  const unit = strV(ctx, o.unit, 'unit');
  const metadata = keyValuesV(ctx, o.metadata, 'metadata');
  let data: MetricData = { type: 'empty' };
  let seen = '';
  for (const k in o) {
    const x = o[k];
    if (x === null || x === undefined) continue;
    let d: MetricData;
    switch (k) {
      case 'gauge':
        d = { type: 'gauge', dataPoints: pointsV(ctx, x, k, numberPointV) };
        break;
      case 'sum':
        d = sumV(ctx, x);
        break;
      case 'histogram':
        d = { type: 'histogram', dataPoints: pointsV(ctx, x, k, histogramPointV), temporality: temporalityV(ctx, x, k) };
        break;
      case 'exponentialHistogram':
      case 'exponential_histogram':
        d = { type: 'exponentialHistogram', dataPoints: pointsV(ctx, x, k, expPointV), temporality: temporalityV(ctx, x, k) };
        break;
      case 'summary':
        d = { type: 'summary', dataPoints: pointsV(ctx, x, k, summaryPointV) };
        break;
      default:
        continue;
    }
    if (seen !== '') fail(ctx, `sets both ${seen} and ${k} of the data oneof`);
    seen = k;
    data = d;
  }
  if (name === '') {
    rejectAll(ctx, data.type === 'empty' ? 0 : data.dataPoints.length, 'is a metric without a name');
    return undefined;
  }
  return { name, description, unit, metadata, data };
}

/** `dataPoints` of the gauge/sum/histogram/... message `x` at field `k`. */
function pointsV<T>(ctx: Ctx, x: unknown, k: string, fn: (ctx: Ctx, o: Rec) => T | undefined): T[] {
  const o = objV(ctx, x, k) as Rec;
  ctx.path.push(k);
  const r = messagesV(ctx, get(o, 'dataPoints', 'data_points'), 'dataPoints', fn);
  ctx.path.pop();
  return r;
}

function temporalityV(ctx: Ctx, x: unknown, k: string): number {
  const o = x as Rec; // pointsV checked it is an object
  ctx.path.push(k);
  const t = enumV(ctx, get(o, 'aggregationTemporality', 'aggregation_temporality'), 'aggregationTemporality', TEMPORALITY);
  ctx.path.pop();
  return t;
}

function sumV(ctx: Ctx, x: unknown): MetricData {
  const dataPoints = pointsV(ctx, x, 'sum', numberPointV);
  const temporality = temporalityV(ctx, x, 'sum');
  ctx.path.push('sum');
  const isMonotonic = boolV(ctx, get(x as Rec, 'isMonotonic', 'is_monotonic'), 'isMonotonic');
  ctx.path.pop();
  return { type: 'sum', dataPoints, temporality, isMonotonic };
}

/** Scratch result of numberValue. */
const nv: { type: NumberValueType; value: number | bigint } = { type: 'none', value: 0 };

/** The `value` oneof of a NumberDataPoint or Exemplar, into `nv`. */
function numberValue(ctx: Ctx, o: Rec): void {
  const d = get(o, 'asDouble', 'as_double');
  const n = get(o, 'asInt', 'as_int');
  nv.type = 'none';
  nv.value = 0;
  if (d !== undefined && d !== null) {
    nv.type = 'double';
    nv.value = doubleV(ctx, d, 'asDouble');
  }
  if (n !== undefined && n !== null) {
    if (nv.type !== 'none') fail(ctx, 'sets both asDouble and asInt of the value oneof');
    nv.type = 'int';
    nv.value = i64V(ctx, n, 'asInt');
  }
}

function exemplarV(ctx: Ctx, o: Rec): Exemplar {
  const filteredAttributes = keyValuesV(ctx, get(o, 'filteredAttributes', 'filtered_attributes'), 'filteredAttributes');
  const t = timeV(ctx, get(o, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano');
  const timeMs = t.ms;
  const timeNs = t.ns;
  numberValue(ctx, o);
  return {
    filteredAttributes,
    timeMs,
    timeNs,
    valueType: nv.type,
    value: nv.value,
    spanId: idV(ctx, get(o, 'spanId', 'span_id'), 'spanId', 8),
    traceId: idV(ctx, get(o, 'traceId', 'trace_id'), 'traceId', 16),
  };
}

/**
 * Fields every point has, read once here for all kinds. Each point copies
 * them into its own literal field by field: `{ ...b, ... }` made decoding the
 * benchmark request ~5x slower and left points with shapes that slowed
 * encoding them 2x.
 */
function pointBase(ctx: Ctx, o: Rec) {
  const attributes = keyValuesV(ctx, o.attributes, 'attributes');
  let t = timeV(ctx, get(o, 'startTimeUnixNano', 'start_time_unix_nano'), 'startTimeUnixNano');
  const startTimeMs = t.ms;
  const startTimeNs = t.ns;
  t = timeV(ctx, get(o, 'timeUnixNano', 'time_unix_nano'), 'timeUnixNano');
  return { attributes, startTimeMs, startTimeNs, timeMs: t.ms, timeNs: t.ns, flags: u32V(ctx, o.flags, 'flags') };
}

function exemplarsV(ctx: Ctx, o: Rec): Exemplar[] {
  return messagesV(ctx, o.exemplars, 'exemplars', exemplarV);
}

function numberPointV(ctx: Ctx, o: Rec): NumberDataPoint | undefined {
  const b = pointBase(ctx, o);
  numberValue(ctx, o);
  const p: NumberDataPoint = {
    attributes: b.attributes, startTimeMs: b.startTimeMs, startTimeNs: b.startTimeNs, timeMs: b.timeMs, timeNs: b.timeNs,
    flags: b.flags,
    valueType: nv.type,
    value: nv.value,
    exemplars: exemplarsV(ctx, o),
  };
  return itemOk(ctx) ? p : undefined;
}

function histogramPointV(ctx: Ctx, o: Rec): HistogramDataPoint | undefined {
  const b = pointBase(ctx, o);
  const p: HistogramDataPoint = {
    attributes: b.attributes, startTimeMs: b.startTimeMs, startTimeNs: b.startTimeNs, timeMs: b.timeMs, timeNs: b.timeNs,
    flags: b.flags,
    count: u64V(ctx, o.count, 'count'),
    sum: optDoubleV(ctx, o.sum, 'sum'),
    bucketCounts: u64ArrayV(ctx, get(o, 'bucketCounts', 'bucket_counts'), 'bucketCounts'),
    explicitBounds: doubleArrayV(ctx, get(o, 'explicitBounds', 'explicit_bounds'), 'explicitBounds'),
    exemplars: exemplarsV(ctx, o),
    min: optDoubleV(ctx, o.min, 'min'),
    max: optDoubleV(ctx, o.max, 'max'),
  };
  const n = p.bucketCounts.length;
  if (n !== 0 && n !== p.explicitBounds.length + 1)
    markBad(ctx, `${where(ctx)} has ${n} bucketCounts for ${p.explicitBounds.length} explicitBounds (want 0 or bounds + 1)`);
  return itemOk(ctx) ? p : undefined;
}

function bucketsV(ctx: Ctx, v: unknown, name: string): ExponentialBuckets {
  const o = objV(ctx, v, name);
  if (o === undefined) return { offset: 0, bucketCounts: [] };
  ctx.path.push(name);
  const b: ExponentialBuckets = {
    offset: int32V(ctx, o.offset, 'offset', I32_MIN, I32_MAX),
    bucketCounts: u64ArrayV(ctx, get(o, 'bucketCounts', 'bucket_counts'), 'bucketCounts'),
  };
  ctx.path.pop();
  return b;
}

function expPointV(ctx: Ctx, o: Rec): ExponentialHistogramDataPoint | undefined {
  const b = pointBase(ctx, o);
  const p: ExponentialHistogramDataPoint = {
    attributes: b.attributes, startTimeMs: b.startTimeMs, startTimeNs: b.startTimeNs, timeMs: b.timeMs, timeNs: b.timeNs,
    flags: b.flags,
    count: u64V(ctx, o.count, 'count'),
    sum: optDoubleV(ctx, o.sum, 'sum'),
    scale: int32V(ctx, o.scale, 'scale', I32_MIN, I32_MAX),
    zeroCount: u64V(ctx, get(o, 'zeroCount', 'zero_count'), 'zeroCount'),
    positive: bucketsV(ctx, o.positive, 'positive'),
    negative: bucketsV(ctx, o.negative, 'negative'),
    exemplars: exemplarsV(ctx, o),
    min: optDoubleV(ctx, o.min, 'min'),
    max: optDoubleV(ctx, o.max, 'max'),
    zeroThreshold: doubleV(ctx, get(o, 'zeroThreshold', 'zero_threshold'), 'zeroThreshold'),
  };
  return itemOk(ctx) ? p : undefined;
}

function quantileV(ctx: Ctx, o: Rec): ValueAtQuantile {
  return { quantile: doubleV(ctx, o.quantile, 'quantile'), value: doubleV(ctx, o.value, 'value') };
}

function summaryPointV(ctx: Ctx, o: Rec): SummaryDataPoint | undefined {
  const b = pointBase(ctx, o);
  const p: SummaryDataPoint = {
    attributes: b.attributes, startTimeMs: b.startTimeMs, startTimeNs: b.startTimeNs, timeMs: b.timeMs, timeNs: b.timeNs,
    flags: b.flags,
    count: u64V(ctx, o.count, 'count'),
    sum: doubleV(ctx, o.sum, 'sum'),
    quantileValues: messagesV(ctx, get(o, 'quantileValues', 'quantile_values'), 'quantileValues', quantileV),
  };
  return itemOk(ctx) ? p : undefined;
}
