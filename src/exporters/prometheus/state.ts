/**
 * The per-series values the Prometheus exporter keeps between scrapes, and
 * how points fold into them: deltas add, cumulative points replace.
 */
import type { Exemplar, ExponentialHistogramDataPoint, HistogramDataPoint, SummaryDataPoint, ValueAtQuantile } from '../../model/metrics';
import type { PromType } from './naming';
import type { SeriesIndex } from './series-index';
import type { KeyPlan } from './label-key';

export interface HistogramState {
  kind: 'hist';
  bounds: number[];
  /** Per-bucket (not cumulative) counts; one more than bounds. */
  counts: number[];
  sum: number;
  count: number;
  /** The latest exemplar that fell in each bucket. */
  exemplars: Array<Exemplar | undefined>;
}

/** An exponential histogram kept at its own scale, rendered as classic buckets at scrape time. */
export interface ExpState {
  kind: 'exp';
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  posOffset: number;
  pos: number[];
  negOffset: number;
  neg: number[];
  sum: number;
  count: number;
}

export interface SummaryState {
  kind: 'summary';
  count: number;
  sum: number;
  quantiles: ValueAtQuantile[];
}

/** The job/instance a series belongs to, shared by all its series. */
export interface Target {
  /** `job\xffinstance`, its key in the store. */
  key: string;
  /** Rendered labels of its target_info series; '' when the resource has nothing beyond job and instance. */
  labels: string;
  series: number;
}

/**
 * One series. Kept small (100,000 of them is a normal Claude Code fleet
 * before the cardinality guard): it holds its label values, its plan the
 * rest of its label set; it is found by the hash of that set
 * (series-index.ts); histogram and summary state hang off `data`.
 */
export interface Series {
  /**
   * Under a plan (`plan`), only the series' escaped label values, each
   * followed by a newline; without one, its whole rendered label set (`{a="1",...}`).
   * `fullLabels` (label-key.ts) gives the whole set either way.
   */
  labels: string;
  value: number;
  data: HistogramState | ExpState | SummaryState | undefined;
  /** Start of the cumulative series in ms (OpenMetrics `_created`); 0 when unknown. */
  createdMs: number;
  /** Start time of the last cumulative point, to see resets. */
  startMs: number;
  startNs: number;
  /** Time of the last point (ms), for `send_timestamps`. */
  timestampMs: number;
  /** When it was last updated, for expiry: ms since the store's epoch (see SeriesStore). */
  updatedAt: number;
  target: Target;
  exemplar: Exemplar | undefined;
  /** The next series in its hash chain (series-index.ts). */
  next: Series | undefined;
  /**
   * The label-key plan `labels` is stored under: it holds the text around
   * the values, shared by every series of its shape, and the next lookup
   * through it compares only values (label-key.ts).
   */
  plan: KeyPlan | undefined;
}

export interface Family {
  name: string;
  /** Sample name in the text format (`name_total` for counters). */
  sample: string;
  unit: string;
  type: PromType;
  /** The OTLP description, or its original name when it has none (promtool wants help text). */
  help: string;
  /** The OTLP unit and type it was first registered with; later conflicts are refused. */
  otlpUnit: string;
  series: SeriesIndex;
}

export function newSeries(labels: string, plan: KeyPlan | undefined, target: Target, updatedAt: number): Series {
  return { labels, value: 0, data: undefined, createdMs: 0, startMs: 0, startNs: 0, timestampMs: 0, updatedAt, target, exemplar: undefined, next: undefined, plan };
}

function sameBounds(a: number[], b: number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return false;
  return true;
}

function bucketOf(bounds: number[], v: number): number {
  let i = 0;
  while (i < bounds.length && v > bounds[i]) i++;
  return i;
}

/** Folds a histogram point in; returns false when it restarted the series (new bounds). */
export function foldHistogram(s: Series, p: HistogramDataPoint, delta: boolean): boolean {
  const counts = p.bucketCounts.length > 0 ? p.bucketCounts : new Array(p.explicitBounds.length + 1).fill(0);
  const h = s.data?.kind === 'hist' ? s.data : undefined;
  let continued = true;
  if (!delta || !h || !sameBounds(h.bounds, p.explicitBounds)) {
    continued = !!h && !delta;
    s.data = { kind: 'hist', bounds: p.explicitBounds.slice(), counts: counts.slice(), sum: p.sum ?? 0, count: p.count, exemplars: new Array(counts.length).fill(undefined) };
  } else {
    for (let i = 0; i < counts.length; i++) h.counts[i] += counts[i];
    h.sum += p.sum ?? 0;
    h.count += p.count;
  }
  const state = s.data as HistogramState;
  for (const e of p.exemplars) state.exemplars[bucketOf(state.bounds, Number(e.value))] = e;
  return continued;
}

export function foldSummary(s: Series, p: SummaryDataPoint): void {
  s.data = { kind: 'summary', count: p.count, sum: p.sum, quantiles: p.quantileValues.slice().sort((a, b) => a.quantile - b.quantile) };
}

/** Re-buckets `counts` (starting at `offset`) from one scale down by `shift` levels. */
function downscale(counts: number[], offset: number, shift: number): { offset: number; counts: number[] } {
  if (shift === 0 || counts.length === 0) return { offset, counts };
  const first = offset >> shift;
  const last = (offset + counts.length - 1) >> shift;
  const out = new Array(last - first + 1).fill(0);
  for (let i = 0; i < counts.length; i++) out[((offset + i) >> shift) - first] += counts[i];
  return { offset: first, counts: out };
}

function addBuckets(aOff: number, a: number[], bOff: number, b: number[]): { offset: number; counts: number[] } {
  if (a.length === 0) return { offset: bOff, counts: b.slice() };
  if (b.length === 0) return { offset: aOff, counts: a };
  const lo = Math.min(aOff, bOff);
  const hi = Math.max(aOff + a.length, bOff + b.length);
  const out = new Array(hi - lo).fill(0);
  for (let i = 0; i < a.length; i++) out[aOff - lo + i] += a[i];
  for (let i = 0; i < b.length; i++) out[bOff - lo + i] += b[i];
  return { offset: lo, counts: out };
}

/**
 * Folds an exponential histogram point in. Deltas at different scales merge
 * at the coarser scale (an index at scale s maps to index >> k at s - k).
 */
export function foldExponential(s: Series, p: ExponentialHistogramDataPoint, delta: boolean): void {
  const e = s.data?.kind === 'exp' ? s.data : undefined;
  if (!delta || !e) {
    s.data = {
      kind: 'exp',
      scale: p.scale, zeroCount: p.zeroCount, zeroThreshold: p.zeroThreshold,
      posOffset: p.positive.offset, pos: p.positive.bucketCounts.slice(),
      negOffset: p.negative.offset, neg: p.negative.bucketCounts.slice(),
      sum: p.sum ?? 0, count: p.count,
    };
    return;
  }
  const scale = Math.min(e.scale, p.scale);
  const ep = downscale(e.pos, e.posOffset, e.scale - scale);
  const en = downscale(e.neg, e.negOffset, e.scale - scale);
  const pp = downscale(p.positive.bucketCounts, p.positive.offset, p.scale - scale);
  const pn = downscale(p.negative.bucketCounts, p.negative.offset, p.scale - scale);
  const pos = addBuckets(ep.offset, ep.counts, pp.offset, pp.counts);
  const neg = addBuckets(en.offset, en.counts, pn.offset, pn.counts);
  e.scale = scale;
  e.posOffset = pos.offset;
  e.pos = pos.counts;
  e.negOffset = neg.offset;
  e.neg = neg.counts;
  e.zeroCount += p.zeroCount;
  e.zeroThreshold = Math.max(e.zeroThreshold, p.zeroThreshold);
  e.sum += p.sum ?? 0;
  e.count += p.count;
}

/**
 * Classic buckets for an exponential histogram: upper bounds ascending with
 * cumulative counts, ending at +Inf. Bucket i at scale s covers
 * (base^i, base^(i+1)] with base = 2^(2^-s); negative buckets mirror that.
 */
export function expToClassic(e: ExpState): { bounds: number[]; cumulative: number[] } {
  const base = Math.pow(2, Math.pow(2, -e.scale));
  const bounds: number[] = [];
  const cumulative: number[] = [];
  let acc = 0;
  // `le` must rise strictly; odd input (a zero threshold above the first
  // positive bound) folds into the bucket before instead of breaking that.
  const push = (le: number): void => {
    if (bounds.length > 0 && le <= bounds[bounds.length - 1]) cumulative[cumulative.length - 1] = acc;
    else {
      bounds.push(le);
      cumulative.push(acc);
    }
  };
  // Negative values, most negative first: bucket i's upper bound is -base^i.
  for (let i = e.neg.length - 1; i >= 0; i--) {
    acc += e.neg[i];
    push(-Math.pow(base, e.negOffset + i));
  }
  acc += e.zeroCount;
  push(e.zeroThreshold);
  for (let i = 0; i < e.pos.length; i++) {
    acc += e.pos[i];
    push(Math.pow(base, e.posOffset + i + 1));
  }
  // The total count is authoritative (points may carry counts no bucket shows).
  acc = Math.max(acc, e.count);
  push(Infinity);
  return { bounds, cumulative };
}
