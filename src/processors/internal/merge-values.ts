/**
 * Adding metric values together for the merger: numbers, explicit-bucket
 * histograms (same bounds only) and exponential histograms (at the coarser
 * of the two scales). Each `add*` folds `from` into `into` and returns false,
 * changing nothing, when the two cannot be added.
 */
import type { ExponentialBuckets, ExponentialHistogramDataPoint, HistogramDataPoint, NumberDataPoint, NumberValueType } from '../../model/metrics';

export interface NumberValue {
  valueType: NumberValueType;
  value: number | bigint;
}

export type HistogramValue = Pick<HistogramDataPoint, 'count' | 'sum' | 'bucketCounts' | 'explicitBounds' | 'min' | 'max'>;
export type ExponentialValue = Pick<ExponentialHistogramDataPoint, 'count' | 'sum' | 'scale' | 'zeroCount' | 'zeroThreshold' | 'positive' | 'negative' | 'min' | 'max'>;

/** int + int stays int (exactly, through bigint when it must); anything with a double is a double. */
export function addNumber(into: NumberValue, from: NumberValue): void {
  if (from.valueType === 'none') return;
  if (into.valueType === 'none') {
    into.valueType = from.valueType;
    into.value = from.value;
    return;
  }
  if (into.valueType === 'int' && from.valueType === 'int') {
    const a = into.value;
    const b = from.value;
    if (typeof a === 'number' && typeof b === 'number') {
      const s = a + b;
      into.value = Number.isSafeInteger(s) ? s : BigInt(a) + BigInt(b);
    } else {
      const s = BigInt(a) + BigInt(b);
      into.value = s >= BigInt(Number.MIN_SAFE_INTEGER) && s <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(s) : s;
    }
    return;
  }
  into.valueType = 'double';
  into.value = Number(into.value) + Number(from.value);
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function minOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : Math.min(a, b);
}

function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : Math.max(a, b);
}

/** Whether two histograms can be added bucket by bucket. */
export function histogramsCompatible(a: HistogramValue, b: HistogramValue): boolean {
  return sameBounds(a.explicitBounds, b.explicitBounds) && a.bucketCounts.length === b.bucketCounts.length;
}

/**
 * Bucket-wise sum. `into.bucketCounts` is replaced, not written: it may be an
 * array that other data still refers to. A min or max unknown on either side
 * is unknown in the sum; so is the sum.
 */
export function addHistogram(into: HistogramValue, from: HistogramValue): boolean {
  if (!histogramsCompatible(into, from)) return false;
  const counts = new Array<number>(into.bucketCounts.length);
  for (let i = 0; i < counts.length; i++) counts[i] = into.bucketCounts[i] + from.bucketCounts[i];
  into.bucketCounts = counts;
  into.count += from.count;
  into.sum = into.sum === undefined || from.sum === undefined ? undefined : into.sum + from.sum;
  into.min = minOf(into.min, from.min);
  into.max = maxOf(into.max, from.max);
  return true;
}

/** Buckets re-indexed to a coarser scale: index i at scale s is index i >> (s - target). */
function downscale(b: ExponentialBuckets, by: number): Map<number, number> {
  const out = new Map<number, number>();
  b.bucketCounts.forEach((c, i) => {
    if (c === 0) return;
    const idx = (b.offset + i) >> by;
    out.set(idx, (out.get(idx) ?? 0) + c);
  });
  return out;
}

function mergeBuckets(a: ExponentialBuckets, aBy: number, b: ExponentialBuckets, bBy: number): ExponentialBuckets {
  const sum = downscale(a, aBy);
  for (const [i, c] of downscale(b, bBy)) sum.set(i, (sum.get(i) ?? 0) + c);
  if (sum.size === 0) return { offset: 0, bucketCounts: [] };
  let lo = Infinity;
  let hi = -Infinity;
  for (const i of sum.keys()) {
    if (i < lo) lo = i;
    if (i > hi) hi = i;
  }
  const counts = new Array<number>(hi - lo + 1).fill(0);
  for (const [i, c] of sum) counts[i - lo] = c;
  return { offset: lo, bucketCounts: counts };
}

/** Whether two exponential histograms can be added (their zero buckets must cover the same range). */
export function exponentialsCompatible(a: ExponentialValue, b: ExponentialValue): boolean {
  return a.zeroThreshold === b.zeroThreshold;
}

/** Sum at the coarser scale (every bucket of the finer one falls inside exactly one coarser bucket). */
export function addExponential(into: ExponentialValue, from: ExponentialValue): boolean {
  if (!exponentialsCompatible(into, from)) return false;
  const scale = Math.min(into.scale, from.scale);
  into.positive = mergeBuckets(into.positive, into.scale - scale, from.positive, from.scale - scale);
  into.negative = mergeBuckets(into.negative, into.scale - scale, from.negative, from.scale - scale);
  into.scale = scale;
  into.count += from.count;
  into.zeroCount += from.zeroCount;
  into.sum = into.sum === undefined || from.sum === undefined ? undefined : into.sum + from.sum;
  into.min = minOf(into.min, from.min);
  into.max = maxOf(into.max, from.max);
  return true;
}

/** What the merger remembers of a cumulative point: a copy, since the point itself goes downstream. */
export type Snapshot = { kind: 'number'; v: NumberValue } | { kind: 'histogram'; v: HistogramValue } | { kind: 'exponential'; v: ExponentialValue };

export function snapshotNumber(p: NumberDataPoint): Snapshot {
  return { kind: 'number', v: { valueType: p.valueType, value: p.value } };
}

export function snapshotHistogram(p: HistogramDataPoint): Snapshot {
  return { kind: 'histogram', v: { count: p.count, sum: p.sum, bucketCounts: p.bucketCounts.slice(), explicitBounds: p.explicitBounds.slice(), min: p.min, max: p.max } };
}

export function snapshotExponential(p: ExponentialHistogramDataPoint): Snapshot {
  return {
    kind: 'exponential',
    v: {
      count: p.count, sum: p.sum, scale: p.scale, zeroCount: p.zeroCount, zeroThreshold: p.zeroThreshold, min: p.min, max: p.max,
      positive: { offset: p.positive.offset, bucketCounts: p.positive.bucketCounts.slice() },
      negative: { offset: p.negative.offset, bucketCounts: p.negative.bucketCounts.slice() },
    },
  };
}

/** Whether a new source's snapshot can join an output whose first source has `a`. */
export function snapshotsCompatible(a: Snapshot, b: Snapshot): boolean {
  if (a.kind === 'histogram' && b.kind === 'histogram') return histogramsCompatible(a.v, b.v);
  if (a.kind === 'exponential' && b.kind === 'exponential') return exponentialsCompatible(a.v, b.v);
  return a.kind === b.kind;
}

/**
 * Writes the sum of `snaps` into `point` (the one point that goes downstream
 * for the output stream). The first snapshot is copied, never changed.
 */
export function writeSum(point: NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint, snaps: readonly Snapshot[]): void {
  const first = snaps[0];
  switch (first.kind) {
    case 'number': {
      const acc: NumberValue = { valueType: first.v.valueType, value: first.v.value };
      for (let i = 1; i < snaps.length; i++) addNumber(acc, (snaps[i] as typeof first).v);
      const p = point as NumberDataPoint;
      p.valueType = acc.valueType;
      p.value = acc.value;
      break;
    }
    case 'histogram': {
      const acc: HistogramValue = { ...first.v };
      for (let i = 1; i < snaps.length; i++) addHistogram(acc, (snaps[i] as typeof first).v);
      const p = point as HistogramDataPoint;
      p.count = acc.count;
      p.sum = acc.sum;
      p.bucketCounts = acc.bucketCounts === first.v.bucketCounts ? acc.bucketCounts.slice() : acc.bucketCounts;
      p.explicitBounds = first.v.explicitBounds.slice();
      p.min = acc.min;
      p.max = acc.max;
      break;
    }
    case 'exponential': {
      const acc: ExponentialValue = { ...first.v };
      for (let i = 1; i < snaps.length; i++) addExponential(acc, (snaps[i] as typeof first).v);
      const p = point as ExponentialHistogramDataPoint;
      const copy = (b: ExponentialBuckets) => ({ offset: b.offset, bucketCounts: b.bucketCounts.slice() });
      p.count = acc.count;
      p.sum = acc.sum;
      p.scale = acc.scale;
      p.zeroCount = acc.zeroCount;
      p.zeroThreshold = acc.zeroThreshold;
      p.positive = acc.positive === first.v.positive ? copy(acc.positive) : acc.positive;
      p.negative = acc.negative === first.v.negative ? copy(acc.negative) : acc.negative;
      p.min = acc.min;
      p.max = acc.max;
      break;
    }
  }
}
