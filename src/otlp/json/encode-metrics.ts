/** Metric → OTLP/JSON, for the ExportMetricsServiceRequest envelope in encode.ts. */
import type {
  Exemplar,
  ExponentialBuckets,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  Metric,
  NumberDataPoint,
  NumberValueType,
  SummaryDataPoint,
  ValueAtQuantile,
} from '../../model/metrics';
import {
  dbl,
  flat,
  fld,
  idFld,
  int64,
  intFld,
  isZero,
  keyValue,
  listFld,
  strFld,
  timeFld,
  uint64,
} from './encode-common';

/** `"dataPoints":[...]` (or nothing) plus temporality, as the body of a data message. */
function dataBody<T>(points: readonly T[], f: (p: T) => string, temporality: number): string {
  const s = intFld('{', 'aggregationTemporality', temporality);
  return listFld(s, 'dataPoints', points, f);
}

/** One Metric message. */
export function metric(m: Metric): string {
  let s = strFld('{', 'name', m.name);
  s = strFld(s, 'description', m.description);
  s = strFld(s, 'unit', m.unit);
  const d = m.data;
  // A set oneof member is written even when empty, so the metric keeps its type.
  switch (d.type) {
    case 'gauge':
      s = fld(s, 'gauge', dataBody(d.dataPoints, numberPoint, 0) + '}');
      break;
    case 'sum': {
      let b = dataBody(d.dataPoints, numberPoint, d.temporality);
      if (d.isMonotonic) b = fld(b, 'isMonotonic', 'true');
      s = fld(s, 'sum', b + '}');
      break;
    }
    case 'histogram':
      s = fld(s, 'histogram', dataBody(d.dataPoints, histogramPoint, d.temporality) + '}');
      break;
    case 'exponentialHistogram':
      s = fld(s, 'exponentialHistogram', dataBody(d.dataPoints, expPoint, d.temporality) + '}');
      break;
    case 'summary':
      s = fld(s, 'summary', dataBody(d.dataPoints, summaryPoint, 0) + '}');
      break;
  }
  return listFld(s, 'metadata', m.metadata, keyValue) + '}';
}

function valueFld(s: string, type: NumberValueType, v: number | bigint): string {
  if (type === 'double') return fld(s, 'asDouble', dbl(Number(v)));
  if (type === 'int') return fld(s, 'asInt', int64(v));
  return s;
}

function optDblFld(s: string, key: string, v: number | undefined): string {
  return v === undefined ? s : fld(s, key, dbl(v));
}

function dblFld(s: string, key: string, v: number): string {
  return isZero(v) ? s : fld(s, key, dbl(v));
}

function countFld(s: string, key: string, n: number): string {
  return n === 0 ? s : fld(s, key, uint64(n));
}

function exemplar(e: Exemplar): string {
  let s = listFld('{', 'filteredAttributes', e.filteredAttributes, keyValue);
  s = timeFld(s, 'timeUnixNano', e.timeMs, e.timeNs);
  s = valueFld(s, e.valueType, e.value);
  s = idFld(s, 'spanId', e.spanId);
  return idFld(s, 'traceId', e.traceId) + '}';
}

/** The fields every point starts with (proto field order matters only for readability). */
function pointHead(p: NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint | SummaryDataPoint): string {
  let s = listFld('{', 'attributes', p.attributes, keyValue);
  s = timeFld(s, 'startTimeUnixNano', p.startTimeMs, p.startTimeNs);
  return timeFld(s, 'timeUnixNano', p.timeMs, p.timeNs);
}

function numberPoint(p: NumberDataPoint): string {
  let s = valueFld(pointHead(p), p.valueType, p.value);
  s = listFld(s, 'exemplars', p.exemplars, exemplar);
  return flat(intFld(s, 'flags', p.flags) + '}');
}

function u64s(a: readonly number[]): string {
  let s = '[';
  for (let i = 0; i < a.length; i++) s += i === 0 ? uint64(a[i]) : ',' + uint64(a[i]);
  return s + ']';
}

function histogramPoint(p: HistogramDataPoint): string {
  let s = countFld(pointHead(p), 'count', p.count);
  s = optDblFld(s, 'sum', p.sum);
  if (p.bucketCounts.length !== 0) s = fld(s, 'bucketCounts', u64s(p.bucketCounts));
  s = listFld(s, 'explicitBounds', p.explicitBounds, dbl);
  s = listFld(s, 'exemplars', p.exemplars, exemplar);
  s = intFld(s, 'flags', p.flags);
  s = optDblFld(s, 'min', p.min);
  return flat(optDblFld(s, 'max', p.max) + '}');
}

function bucketsFld(s: string, key: string, b: ExponentialBuckets): string {
  let o = intFld('{', 'offset', b.offset);
  if (b.bucketCounts.length !== 0) o = fld(o, 'bucketCounts', u64s(b.bucketCounts));
  return o.length === 1 ? s : fld(s, key, o + '}');
}

function expPoint(p: ExponentialHistogramDataPoint): string {
  let s = countFld(pointHead(p), 'count', p.count);
  s = optDblFld(s, 'sum', p.sum);
  s = intFld(s, 'scale', p.scale);
  s = countFld(s, 'zeroCount', p.zeroCount);
  s = bucketsFld(s, 'positive', p.positive);
  s = bucketsFld(s, 'negative', p.negative);
  s = intFld(s, 'flags', p.flags);
  s = listFld(s, 'exemplars', p.exemplars, exemplar);
  s = optDblFld(s, 'min', p.min);
  s = optDblFld(s, 'max', p.max);
  return flat(dblFld(s, 'zeroThreshold', p.zeroThreshold) + '}');
}

function quantile(v: ValueAtQuantile): string {
  return dblFld(dblFld('{', 'quantile', v.quantile), 'value', v.value) + '}';
}

function summaryPoint(p: SummaryDataPoint): string {
  let s = countFld(pointHead(p), 'count', p.count);
  s = dblFld(s, 'sum', p.sum);
  s = listFld(s, 'quantileValues', p.quantileValues, quantile);
  return flat(intFld(s, 'flags', p.flags) + '}');
}
