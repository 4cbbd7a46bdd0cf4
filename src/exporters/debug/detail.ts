/** The detailed verbosity's per-metric dump, in the Go collector's debug layout. */
import { anyValueToString, bytesToHex, type AnyValue, type KeyValue } from '../../model/common';
import type { Exemplar, Metric } from '../../model/metrics';
import { nanosToString } from '../../model/nanos';


export function temporalityName(t: number): string {
  return t === 1 ? 'Delta' : t === 2 ? 'Cumulative' : 'Unspecified';
}

const KIND_LABEL: Record<AnyValue['kind'], string> = {
  string: 'Str',
  bool: 'Bool',
  int: 'Int',
  double: 'Double',
  bytes: 'Bytes',
  array: 'Slice',
  kvlist: 'Map',
  empty: 'Empty',
};

/** `key: Str(value)`: the type is shown so that int vs double and strings-that-look-like-numbers are visible. */
export function describeLine(kv: KeyValue): string {
  return `${kv.key}: ${KIND_LABEL[kv.value.kind]}(${anyValueToString(kv.value)})`;
}

function pointHead(out: string[], i: number, p: { attributes: KeyValue[]; startTimeMs: number; startTimeNs: number; timeMs: number; timeNs: number }, kind: string): void {
  out.push(`${kind} #${i}`, 'Data point attributes:');
  for (const kv of p.attributes) out.push(`     -> ${describeLine(kv)}`);
  out.push(`StartTimestamp: ${nanosToString(p.startTimeMs, p.startTimeNs)}`, `Timestamp: ${nanosToString(p.timeMs, p.timeNs)}`);
}

function exemplars(out: string[], list: Exemplar[]): void {
  list.forEach((e, i) => {
    out.push(`Exemplar #${i}`, `     -> Trace ID: ${bytesToHex(e.traceId)}`, `     -> Span ID: ${bytesToHex(e.spanId)}`);
    out.push(`     -> Timestamp: ${nanosToString(e.timeMs, e.timeNs)}`, `     -> Value: ${String(e.value)}`);
  });
}

export function detailedMetric(out: string[], m: Metric, k: number): void {
  const d = m.data;
  out.push(`Metric #${k}`, 'Descriptor:', `     -> Name: ${m.name}`, `     -> Description: ${m.description}`, `     -> Unit: ${m.unit}`);
  out.push(`     -> DataType: ${d.type[0].toUpperCase()}${d.type.slice(1)}`);
  if (d.type === 'sum') out.push(`     -> IsMonotonic: ${d.isMonotonic}`);
  if (d.type === 'sum' || d.type === 'histogram' || d.type === 'exponentialHistogram') {
    out.push(`     -> AggregationTemporality: ${temporalityName(d.temporality)}`);
  }
  switch (d.type) {
    case 'gauge':
    case 'sum':
      d.dataPoints.forEach((p, i) => {
        pointHead(out, i, p, 'NumberDataPoints');
        out.push(`Value: ${String(p.value)}${p.valueType === 'int' ? ' (int)' : ''}`);
        exemplars(out, p.exemplars);
      });
      break;
    case 'histogram':
      d.dataPoints.forEach((p, i) => {
        pointHead(out, i, p, 'HistogramDataPoints');
        out.push(`Count: ${p.count}`, `Sum: ${p.sum ?? '(none)'}`, `Min: ${p.min ?? '(none)'}`, `Max: ${p.max ?? '(none)'}`);
        p.explicitBounds.forEach((b, n) => out.push(`ExplicitBounds #${n}: ${b}`));
        p.bucketCounts.forEach((c, n) => out.push(`Buckets #${n}, Count: ${c}`));
        exemplars(out, p.exemplars);
      });
      break;
    case 'exponentialHistogram':
      d.dataPoints.forEach((p, i) => {
        pointHead(out, i, p, 'ExponentialHistogramDataPoints');
        out.push(`Count: ${p.count}`, `Sum: ${p.sum ?? '(none)'}`, `Min: ${p.min ?? '(none)'}`, `Max: ${p.max ?? '(none)'}`);
        out.push(`Scale: ${p.scale}`, `ZeroCount: ${p.zeroCount}`, `ZeroThreshold: ${p.zeroThreshold}`);
        out.push(`Positive offset ${p.positive.offset}: [${p.positive.bucketCounts.join(', ')}]`);
        out.push(`Negative offset ${p.negative.offset}: [${p.negative.bucketCounts.join(', ')}]`);
        exemplars(out, p.exemplars);
      });
      break;
    case 'summary':
      d.dataPoints.forEach((p, i) => {
        pointHead(out, i, p, 'SummaryDataPoints');
        out.push(`Count: ${p.count}`, `Sum: ${p.sum}`);
        for (const q of p.quantileValues) out.push(`QuantileValue: ${q.quantile} = ${q.value}`);
      });
      break;
    case 'empty':
      break;
  }
}
