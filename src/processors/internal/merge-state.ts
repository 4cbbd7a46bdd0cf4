/**
 * What the merger keeps between batches for cumulative streams: each source
 * stream's latest value (its identity before rewriting), grouped by the output
 * stream it now belongs to, so an output's value can be the sum of its
 * sources' latest values even when only some of them report in a batch.
 *
 * Bounded: at most `maxStreams` sources (least recently seen evicted first)
 * and none idle for `idleMs`. The Map's insertion order is the recency order:
 * a source seen again is moved to the end, so expiry and eviction both take
 * from the front.
 */
import type { Meter } from '@opentelemetry/api';
import type { ExponentialHistogramDataPoint, HistogramDataPoint, Metric, NumberDataPoint } from '../../model/metrics';
import { compareNanos } from '../../model/nanos';
import { snapshotExponential, snapshotHistogram, snapshotNumber, snapshotsCompatible, writeSum, type Snapshot } from './merge-values';

export type Point = NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint;

interface Source {
  key: string;
  out: Output;
  snap: Snapshot;
  startMs: number;
  startNs: number;
  timeMs: number;
  timeNs: number;
  seenAt: number;
}

interface Output {
  key: string;
  sources: Set<Source>;
}

function snapshot(p: Point, type: Metric['data']['type']): Snapshot {
  if (type === 'histogram') return snapshotHistogram(p as HistogramDataPoint);
  if (type === 'exponentialHistogram') return snapshotExponential(p as ExponentialHistogramDataPoint);
  return snapshotNumber(p as NumberDataPoint);
}

export class CumulativeState {
  private readonly sources = new Map<string, Source>();
  private readonly outputs = new Map<string, Output>();
  private timer: NodeJS.Timeout | undefined;
  private evicted = 0;
  private expired = 0;
  private readonly dropped: ((n: number, reason: string) => void) | undefined;
  private readonly maxStreams: number;

  constructor(
    maxStreams: number,
    private readonly idleMs: number,
    private readonly now: () => number,
    meter: Meter | undefined,
    labels: Record<string, string>,
  ) {
    this.maxStreams = Math.max(1, Math.floor(maxStreams));
    if (meter) {
      const c = meter.createCounter('otel_pipeline_processor_merge_streams_dropped', {
        description: 'Cumulative source streams forgotten, by reason (evicted: over max_streams; expired: idle). Their values leave the merged sums.',
      });
      this.dropped = (n, reason) => c.add(n, { ...labels, reason });
    }
  }

  get size(): number {
    return this.sources.size;
  }

  /**
   * Records point `p` of source stream `sourceKey`, now part of output stream
   * `outKey`. Returns false (remembering nothing) when the point cannot be
   * added to the output's other sources (different histogram bounds).
   */
  observe(sourceKey: string, outKey: string, p: Point, type: Metric['data']['type']): boolean {
    const now = this.now();
    let s = this.sources.get(sourceKey);
    if (s) {
      this.sources.delete(sourceKey);
      this.sources.set(sourceKey, s);
      s.seenAt = now;
      const byStart = compareNanos(p.startTimeMs, p.startTimeNs, s.startMs, s.startNs);
      // A later start time is a reset: the new value replaces the old even if smaller.
      // An earlier one, or an older time with the same start, is a late point: ignored.
      if (byStart > 0 || (byStart === 0 && compareNanos(p.timeMs, p.timeNs, s.timeMs, s.timeNs) >= 0)) {
        if (s.snap.kind === 'number') {
          const np = p as NumberDataPoint;
          s.snap.v.valueType = np.valueType;
          s.snap.v.value = np.value;
        } else s.snap = snapshot(p, type);
        s.startMs = p.startTimeMs;
        s.startNs = p.startTimeNs;
        s.timeMs = p.timeMs;
        s.timeNs = p.timeNs;
      }
      if (s.out.key !== outKey || (s.snap.kind !== 'number' && !this.fits(s.out, s.snap, s))) {
        this.detach(s);
        const out = this.outputs.get(outKey);
        if (out && !this.fits(out, s.snap, s)) {
          this.sources.delete(sourceKey);
          return false;
        }
        this.attach(s, outKey, out);
      }
      return true;
    }
    const snap = snapshot(p, type);
    const out = this.outputs.get(outKey);
    if (out && !this.fits(out, snap, undefined)) return false;
    s = { key: sourceKey, out: undefined as unknown as Output, snap, startMs: p.startTimeMs, startNs: p.startTimeNs, timeMs: p.timeMs, timeNs: p.timeNs, seenAt: now };
    this.attach(s, outKey, out);
    this.sources.set(sourceKey, s);
    while (this.sources.size > this.maxStreams) {
      this.remove(this.sources.values().next().value as Source);
      this.evicted++;
    }
    this.timer ??= setInterval(() => this.expire(), Math.min(Math.max(this.idleMs / 2, 1000), 60_000)).unref();
    return true;
  }

  /**
   * Writes output `outKey`'s value (the sum of its sources' latest values,
   * starting at the earliest start, at the latest time) into `point`, the one
   * point that goes downstream for it. A single source's own point is left
   * untouched unless `force` (several points of it were folded together).
   */
  write(outKey: string, point: Point, force: boolean): void {
    const out = this.outputs.get(outKey);
    if (!out || out.sources.size === 0 || (out.sources.size === 1 && !force)) return;
    const snaps: Snapshot[] = [];
    let startMs = Infinity;
    let startNs = 0;
    let timeMs = -Infinity;
    let timeNs = 0;
    for (const s of out.sources) {
      snaps.push(s.snap);
      if (compareNanos(s.startMs, s.startNs, startMs, startNs) < 0) {
        startMs = s.startMs;
        startNs = s.startNs;
      }
      if (compareNanos(s.timeMs, s.timeNs, timeMs, timeNs) > 0) {
        timeMs = s.timeMs;
        timeNs = s.timeNs;
      }
    }
    writeSum(point, snaps);
    point.startTimeMs = startMs;
    point.startTimeNs = startNs;
    point.timeMs = timeMs;
    point.timeNs = timeNs;
  }

  /** Forgets sources idle for `idleMs` or more. */
  expire(): void {
    const cutoff = this.now() - this.idleMs;
    for (const s of this.sources.values()) {
      if (s.seenAt > cutoff) break;
      this.remove(s);
      this.expired++;
    }
    this.flushCounts();
  }

  flushCounts(): void {
    if (this.dropped) {
      if (this.evicted) this.dropped(this.evicted, 'evicted');
      if (this.expired) this.dropped(this.expired, 'expired');
    }
    this.evicted = 0;
    this.expired = 0;
  }

  /** Forgets everything and stops the expiry timer. */
  clear(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sources.clear();
    this.outputs.clear();
  }

  /** Whether `snap` can be added to the other sources of `out`. */
  private fits(out: Output, snap: Snapshot, except: Source | undefined): boolean {
    for (const o of out.sources) if (o !== except) return snapshotsCompatible(o.snap, snap);
    return true;
  }

  private attach(s: Source, outKey: string, out: Output | undefined): void {
    if (!out) this.outputs.set(outKey, (out = { key: outKey, sources: new Set() }));
    out.sources.add(s);
    s.out = out;
  }

  private detach(s: Source): void {
    const out = s.out;
    out.sources.delete(s);
    if (out.sources.size === 0) this.outputs.delete(out.key);
  }

  private remove(s: Source): void {
    this.sources.delete(s.key);
    this.detach(s);
  }
}
