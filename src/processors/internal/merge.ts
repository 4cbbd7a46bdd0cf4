/**
 * Re-aggregation after attributes change: when a rewrite (deleting
 * `session.id`, say) makes several metric streams identical, their points are
 * merged so that every exporter downstream sees one stream with the right
 * number, instead of several points fighting over one identity.
 *
 * Used by the `attributes` and `resource` processors and the cardinality
 * guard. See README.md beside this file for the rules per metric type.
 */
import type { Meter, ObservableResult } from '@opentelemetry/api';
import type { Attributes, InstrumentationScope, Resource } from '../../model/common';
import type { Metric, ResourceMetrics, ScopeMetrics } from '../../model/metrics';
import { Temporality } from '../../model/metrics';
import { attributesKey, joinKeys, metricKey, scopeKey } from './merge-keys';
import { CumulativeState, type Point } from './merge-state';
import { addExponential, addHistogram, addNumber } from './merge-values';
import { compareNanos } from '../../model/nanos';

export interface MergeOptions {
  /** Cumulative source streams remembered at most; the least recently seen beyond it are evicted. */
  maxStreams: number;
  /** A cumulative source stream not seen for this long is forgotten. */
  idleMs: number;
  /** The clock (ms), for tests; `Date.now` by default. */
  now?: () => number;
}

export type RewriteTarget =
  | { kind: 'resource'; attributes: Attributes }
  | { kind: 'point'; attributes: Attributes; metric: Metric; scope: InstrumentationScope; resource: Resource };

/** Rewrites attributes in place. The target object is reused between calls: do not keep it. */
export type Rewrite = (target: RewriteTarget) => void;

const NO_RECORDED_VALUE = 1;

type Mode = 'gauge' | 'delta' | 'cumulative' | 'keep';

interface Slot {
  point: Point;
  index: number;
  folded: number;
  outKey: string;
}

interface MetricGroup {
  points: Point[];
  slots: Map<string, Slot>;
}

interface ScopeGroup {
  sm: ScopeMetrics;
  metrics: Map<string, MetricGroup>;
}

interface ResourceGroup {
  rm: ResourceMetrics;
  key: string;
  scopes: Map<string, ScopeGroup>;
}

function modeOf(m: Metric): Mode {
  const d = m.data;
  switch (d.type) {
    case 'gauge':
      return 'gauge';
    case 'sum':
    case 'histogram':
    case 'exponentialHistogram':
      return d.temporality === Temporality.Delta ? 'delta' : d.temporality === Temporality.Cumulative ? 'cumulative' : 'keep';
    default:
      return 'keep';
  }
}

/** Folds a delta point into another of the same stream; false when they cannot be added. */
function foldDelta(into: Point, from: Point, type: Metric['data']['type']): boolean {
  let ok: boolean;
  if (type === 'sum') {
    addNumber(into as any, from as any);
    ok = true;
  } else if (type === 'histogram') ok = addHistogram(into as any, from as any);
  else ok = addExponential(into as any, from as any);
  if (!ok) return false;
  if (compareNanos(from.startTimeMs, from.startTimeNs, into.startTimeMs, into.startTimeNs) < 0) {
    into.startTimeMs = from.startTimeMs;
    into.startTimeNs = from.startTimeNs;
  }
  if (compareNanos(from.timeMs, from.timeNs, into.timeMs, into.timeNs) > 0) {
    into.timeMs = from.timeMs;
    into.timeNs = from.timeNs;
  }
  if (from.exemplars.length) into.exemplars = into.exemplars.concat(from.exemplars);
  return true;
}

export class MetricMerger {
  private readonly state: CumulativeState;
  private readonly resourceTarget = { kind: 'resource' as const, attributes: [] as Attributes };
  private readonly pointTarget = { kind: 'point' as const, attributes: [] as Attributes, metric: undefined as unknown as Metric, scope: undefined as unknown as InstrumentationScope, resource: undefined as unknown as Resource };
  private readonly counters: { merged: (n: number) => void; unmergeable: (n: number) => void } | undefined;
  private readonly unobserve: (() => void) | undefined;
  private merged = 0;
  private unmergeable = 0;

  constructor(opts: MergeOptions, meter?: Meter, labels: Record<string, string> = {}) {
    this.state = new CumulativeState(opts.maxStreams, opts.idleMs, opts.now ?? Date.now, meter, labels);
    if (meter) {
      const merged = meter.createCounter('otel_pipeline_processor_merge_points_merged', {
        description: 'Data points folded into another point of the same stream after attributes changed.',
      });
      const unmergeable = meter.createCounter('otel_pipeline_processor_merge_points_unmergeable', {
        description: 'Data points left beside another of the same stream because they cannot be added (histogram bounds or zero thresholds differ).',
      });
      this.counters = { merged: (n) => merged.add(n, labels), unmergeable: (n) => unmergeable.add(n, labels) };
      const streams = meter.createObservableGauge('otel_pipeline_processor_merge_streams', {
        description: 'Cumulative source streams whose latest value the merger holds.',
      });
      const observe = (r: ObservableResult) => r.observe(this.state.size, labels);
      streams.addCallback(observe);
      this.unobserve = () => streams.removeCallback(observe);
    }
  }

  /** Cumulative source streams held. */
  get streams(): number {
    return this.state.size;
  }

  /**
   * Calls `rewrite` once per resource and once per data point, then merges
   * the points that now share an identity (see README.md). Returns the
   * resources to pass on; `rms` itself is rearranged and must not be used.
   */
  process(rms: ResourceMetrics[], rewrite: Rewrite): ResourceMetrics[] {
    this.state.expire();
    const out: ResourceMetrics[] = [];
    const resources = new Map<string, ResourceGroup>();
    const cumulative: Slot[] = [];
    for (const rm of rms) {
      const sourceKey = attributesKey(rm.resource.attributes);
      this.resourceTarget.attributes = rm.resource.attributes;
      rewrite(this.resourceTarget);
      const key = attributesKey(rm.resource.attributes);
      const scopes = rm.scopeMetrics;
      let rg = resources.get(key);
      if (!rg) {
        rg = { rm, key, scopes: new Map() };
        resources.set(key, rg);
        rm.scopeMetrics = [];
        out.push(rm);
      }
      for (const sm of scopes) {
        const sk = scopeKey(sm.scope.name, sm.scope.version);
        const metrics = sm.metrics;
        let sg = rg.scopes.get(sk);
        if (!sg) {
          sg = { sm, metrics: new Map() };
          rg.scopes.set(sk, sg);
          sm.metrics = [];
          rg.rm.scopeMetrics.push(sm);
        }
        const sourcePrefix = joinKeys(sourceKey, sk);
        const outPrefix = joinKeys(key, sk);
        for (const m of metrics) this.metric(m, sg, rm.resource, sm.scope, sourcePrefix, outPrefix, rewrite, cumulative);
      }
    }
    for (const slot of cumulative) this.state.write(slot.outKey, slot.point, slot.folded > 1);
    this.flushCounts();
    // Let the batch go: the reused targets must not keep it alive until the next one.
    this.resourceTarget.attributes = this.pointTarget.attributes = [];
    this.pointTarget.metric = undefined as unknown as Metric;
    this.pointTarget.scope = undefined as unknown as InstrumentationScope;
    this.pointTarget.resource = undefined as unknown as Resource;
    return out;
  }

  private metric(m: Metric, sg: ScopeGroup, resource: Resource, scope: InstrumentationScope, sourcePrefix: string, outPrefix: string, rewrite: Rewrite, cumulative: Slot[]): void {
    const d = m.data;
    if (d.type === 'empty') {
      sg.sm.metrics.push(m);
      return;
    }
    const mk = metricKey(m);
    const points = d.dataPoints as Point[];
    let mg = sg.metrics.get(mk);
    if (!mg) {
      mg = { points: [], slots: new Map() };
      sg.metrics.set(mk, mg);
      (d as { dataPoints: Point[] }).dataPoints = mg.points;
      sg.sm.metrics.push(m);
    }
    const mode = modeOf(m);
    const target = this.pointTarget;
    target.metric = m;
    target.scope = scope;
    target.resource = resource;
    const sourceMetric = mode === 'cumulative' ? sourcePrefix + mk : '';
    const outMetric = mode === 'cumulative' ? outPrefix + mk : '';
    for (const p of points) {
      const recorded = (p.flags & NO_RECORDED_VALUE) === 0;
      const sourceKey = mode === 'cumulative' && recorded ? sourceMetric + attributesKey(p.attributes) : '';
      target.attributes = p.attributes;
      rewrite(target);
      if (mode === 'keep' || !recorded) {
        mg.points.push(p);
        continue;
      }
      const ak = attributesKey(p.attributes);
      const slot = mg.slots.get(ak);
      if (mode === 'cumulative') {
        const outKey = outMetric + ak;
        if (!this.state.observe(sourceKey, outKey, p, d.type)) {
          this.unmergeable++;
          mg.points.push(p);
        } else if (!slot) {
          const s = { point: p, index: mg.points.length, folded: 1, outKey };
          mg.slots.set(ak, s);
          mg.points.push(p);
          cumulative.push(s);
        } else {
          slot.folded++;
          this.merged++;
        }
      } else if (!slot) {
        mg.slots.set(ak, { point: p, index: mg.points.length, folded: 1, outKey: '' });
        mg.points.push(p);
      } else if (mode === 'gauge') {
        // The last point wins: the newest by time, the later one on a tie.
        if (compareNanos(p.timeMs, p.timeNs, slot.point.timeMs, slot.point.timeNs) >= 0) {
          mg.points[slot.index] = p;
          slot.point = p;
        }
        this.merged++;
      } else if (foldDelta(slot.point, p, d.type)) {
        this.merged++;
      } else {
        this.unmergeable++;
        mg.points.push(p);
      }
    }
  }

  private flushCounts(): void {
    this.state.flushCounts();
    if (this.counters) {
      if (this.merged) this.counters.merged(this.merged);
      if (this.unmergeable) this.counters.unmergeable(this.unmergeable);
    }
    this.merged = 0;
    this.unmergeable = 0;
  }

  /** Stops the expiry timer and forgets every stream. */
  shutdown(): void {
    this.state.clear();
    this.unobserve?.();
  }
}
