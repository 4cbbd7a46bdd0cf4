/**
 * What the Prometheus exporter serves: metric families of series, kept
 * between scrapes. Monotonic delta sums and delta histograms accumulate into
 * cumulative series (every delta adds, whoever sent it and whatever its start
 * time); cumulative points replace; series not updated within the expiration
 * are removed by a timer, with their job/instance's target_info going with
 * the last of them.
 */
import { anyValueToString, getAttribute, type Attributes, type Resource } from '../../model/common';
import type { Metric, NumberDataPoint, ResourceMetrics } from '../../model/metrics';
import { Temporality } from '../../model/metrics';
import { appendAttributeLabels, familyName, renderLabels, type Label, type NamingOptions, type PromType } from './naming';
import { ScopeLabels } from './label-key';
import { SeriesIndex } from './series-index';
import { foldExponential, foldHistogram, foldSummary, newSeries, type Family, type Series, type Target } from './state';
import { flatString } from '../../util/flat-string';

export interface StoreOptions {
  naming: NamingOptions;
  constLabels: Label[];
  resourceToLabels: boolean;
  expirationMs: number;
  /**
   * Keep each point's time (for `send_timestamps`) and its series' start (for
   * OpenMetrics `_created`); both default to true. Each is a boxed double per
   * series, 16 bytes that an exporter which never shows them need not hold.
   */
  timestamps?: boolean;
  created?: boolean;
}

/** A metric refused because its name was first registered with another type or unit. */
export interface Conflict {
  name: string;
  registered: string;
  offered: string;
}

const NO_RECORDED_VALUE = 1;
/** Resource-and-scope label sets whose lookup plans are kept. */
const MAX_SCOPES = 1024;
const NO_EPOCH = -1;
/** Update times stay below 2^29 ms (~6 days), well inside V8's small-integer range. */
const REBASE_AFTER_MS = 2 ** 29;
const INT32_LIMIT = 2 ** 31;
const IDENTITY = new Set(['job', 'instance']);

export class SeriesStore {
  /** By sample name (`x_total` for a counter). */
  readonly families = new Map<string, Family>();
  /** Every sample name a family writes, so no two families write the same one. */
  private readonly claims = new Map<string, Family>();
  /** Every job/instance with series, by `job\xffinstance`. */
  readonly targets = new Map<string, Target>();
  seriesCount = 0;
  private readonly reserved: ReadonlySet<string>;
  /**
   * Series' update times are ms since this (the first ingest), moved forward
   * by `expire` every few days: a small integer is stored in the series
   * itself, where a wall-clock ms would cost a 12-byte boxed number each.
   */
  private epoch = NO_EPOCH;
  private readonly keepTimestamps: boolean;
  private readonly keepCreated: boolean;
  /** By the rendered resource and scope labels. */
  private readonly scopes = new Map<string, ScopeLabels>();

  constructor(
    private readonly opts: StoreOptions,
    private readonly onConflict: (c: Conflict) => void,
  ) {
    this.reserved = new Set(['job', 'instance', 'otel_scope_name', 'otel_scope_version', ...opts.constLabels.map((l) => l[0])]);
    this.keepTimestamps = opts.timestamps ?? true;
    this.keepCreated = opts.created ?? true;
  }

  ingest(resourceMetrics: readonly ResourceMetrics[], now = Date.now()): void {
    if (this.epoch === NO_EPOCH) this.epoch = now;
    for (const rm of resourceMetrics) {
      const { target, base } = this.resourceLabels(rm.resource);
      for (const sm of rm.scopeMetrics) {
        const labels: Label[] = base.slice();
        if (sm.scope.name) labels.push(['otel_scope_name', sm.scope.name]);
        if (sm.scope.version) labels.push(['otel_scope_version', sm.scope.version]);
        const scope = this.scopeLabels(labels);
        for (const m of sm.metrics) this.ingestMetric(m, scope, target, now);
      }
    }
  }

  /** The shared ScopeLabels for a resource and scope's labels (kept, so their plans serve later requests too). */
  private scopeLabels(labels: Label[]): ScopeLabels {
    const key = renderLabels(labels);
    let scope = this.scopes.get(key);
    if (scope === undefined) {
      // Only a cache: dropping it all costs plan rebuilds, never correctness.
      if (this.scopes.size >= MAX_SCOPES) this.scopes.clear();
      this.scopes.set(key, (scope = new ScopeLabels(labels, this.reserved)));
    }
    return scope;
  }

  /** job/instance, const labels and (when configured) every resource attribute; registers target_info. */
  private resourceLabels(resource: Resource): { target: Target; base: Label[] } {
    const attrs = resource.attributes;
    const name = getAttribute(attrs, 'service.name');
    const ns = getAttribute(attrs, 'service.namespace');
    const inst = getAttribute(attrs, 'service.instance.id');
    const svc = name ? anyValueToString(name) : '';
    const job = ns && anyValueToString(ns) ? `${anyValueToString(ns)}/${svc}` : svc;
    const instance = inst ? anyValueToString(inst) : '';
    const key = `${job}\xff${instance}`;
    const base: Label[] = [['job', job], ['instance', instance], ...this.opts.constLabels];
    if (this.opts.resourceToLabels) appendAttributeLabels(base, attrs, this.reserved);

    const others: Attributes = attrs.filter((kv) => kv.key !== 'service.name' && kv.key !== 'service.namespace' && kv.key !== 'service.instance.id');
    let labels = '';
    if (others.length > 0) {
      const list: Label[] = [['job', job], ['instance', instance]];
      appendAttributeLabels(list, others, IDENTITY);
      labels = renderLabels(list);
    }
    let target = this.targets.get(key);
    if (!target) this.targets.set(key, (target = { key, labels: flatString(labels), series: 0 }));
    else if (target.labels !== labels) target.labels = flatString(labels);
    return { target, base };
  }

  /**
   * The family for a metric, registering it on first sight. Every sample name
   * a family writes (`x_total`, `x_bucket`, `x_count`, ...) is claimed, so a
   * later metric that would write one of them again is a conflict, not a
   * broken exposition.
   */
  private family(m: Metric, type: PromType): Family | undefined {
    const names = familyName(m.name, m.unit, type, this.opts.naming);
    const f = this.families.get(names.sample);
    if (f && f.type === type && f.otlpUnit === m.unit) return f;
    const claimed = sampleNames(names.family, names.sample, type);
    const taken = f ?? claimed.map((n) => this.claims.get(n)).find((x) => x !== undefined);
    if (taken) {
      this.onConflict({ name: names.sample, registered: `${taken.type} ${taken.sample} (unit "${taken.otlpUnit}")`, offered: `${type} (unit "${m.unit}") from ${m.name}` });
      return undefined;
    }
    const created: Family = { name: names.family, sample: names.sample, unit: names.unit, type, help: m.description || m.name, otlpUnit: m.unit, series: new SeriesIndex() };
    this.families.set(names.sample, created);
    for (const n of claimed) this.claims.set(n, created);
    return created;
  }

  private ingestMetric(m: Metric, scope: ScopeLabels, target: Target, now: number): void {
    const d = m.data;
    if (d.type === 'empty' || d.dataPoints.length === 0) return;
    const type: PromType =
      d.type === 'gauge' ? 'gauge' : d.type === 'sum' ? (d.isMonotonic ? 'counter' : 'gauge') : d.type === 'summary' ? 'summary' : 'histogram';
    const f = this.family(m, type);
    if (!f) return;
    const delta = (d.type === 'sum' || d.type === 'histogram' || d.type === 'exponentialHistogram') && d.temporality === Temporality.Delta;
    switch (d.type) {
      case 'gauge':
      case 'sum':
        for (const p of d.dataPoints) {
          const s = this.touch(f, scope, p, target, now);
          if (s) foldNumber(s, p, d.type === 'sum', delta, this.keepCreated);
        }
        break;
      case 'histogram':
        for (const p of d.dataPoints) {
          const s = this.touch(f, scope, p, target, now);
          if (s) this.noteStart(s, p.startTimeMs, p.startTimeNs, p.timeMs, delta, foldHistogram(s, p, delta));
        }
        break;
      case 'exponentialHistogram':
        for (const p of d.dataPoints) {
          const s = this.touch(f, scope, p, target, now);
          if (!s) continue;
          foldExponential(s, p, delta);
          this.noteStart(s, p.startTimeMs, p.startTimeNs, p.timeMs, delta, true);
        }
        break;
      case 'summary':
        for (const p of d.dataPoints) {
          const s = this.touch(f, scope, p, target, now);
          if (!s) continue;
          foldSummary(s, p);
          this.noteStart(s, p.startTimeMs, p.startTimeNs, p.timeMs, false, true);
        }
        break;
    }
  }

  /** The point's series, stamped as updated; undefined for a point flagged as having no recorded value. */
  private touch(f: Family, scope: ScopeLabels, p: { attributes: Attributes; flags: number; timeMs: number }, target: Target, now: number): Series | undefined {
    if ((p.flags & NO_RECORDED_VALUE) !== 0) return undefined;
    const s = this.series(f, scope, p.attributes, target, now);
    s.updatedAt = this.sinceEpoch(now);
    if (this.keepTimestamps) s.timestampMs = p.timeMs;
    return s;
  }

  private noteStart(s: Series, startMs: number, startNs: number, timeMs: number, delta: boolean, continued: boolean): void {
    if (delta) {
      if (this.keepCreated && (s.createdMs === 0 || !continued)) s.createdMs = startMs || timeMs;
      return;
    }
    if (this.keepCreated) s.createdMs = startMs;
    s.startMs = startMs;
    s.startNs = startNs;
  }

  private series(f: Family, scope: ScopeLabels, attrs: Attributes, target: Target, now: number): Series {
    let s = scope.find(f.series, attrs);
    if (!s) {
      s = newSeries(flatString(scope.missingLabels()), scope.missPlan, target, this.sinceEpoch(now));
      f.series.add(scope.missSlot, s);
      this.seriesCount++;
      target.series++;
    }
    return s;
  }

  /** Whether any job/instance has attributes for a target_info series. */
  hasTargetInfo(): boolean {
    for (const t of this.targets.values()) if (t.labels) return true;
    return false;
  }

  private deleteTarget(t: Target): void {
    this.targets.delete(t.key);
  }

  /**
   * `now` as ms since the epoch, as an int32 whenever it fits (`| 0` makes
   * V8 store it unboxed; a double would box every series' field).
   */
  private sinceEpoch(now: number): number {
    const t = now - this.epoch;
    return t >= -INT32_LIMIT && t < INT32_LIMIT ? t | 0 : t;
  }

  /** Moves the epoch to `now`, so update times stay small integers. */
  private rebase(now: number): void {
    const old = this.epoch;
    this.epoch = now;
    for (const f of this.families.values()) f.series.forEach((s) => (s.updatedAt = this.sinceEpoch(s.updatedAt + old)));
  }

  /** Removes series not updated since `now - expiration`; returns how many went. */
  expire(now = Date.now()): number {
    if (this.epoch === NO_EPOCH) return 0;
    if (now - this.epoch > REBASE_AFTER_MS) this.rebase(now);
    const cutoff = now - this.opts.expirationMs - this.epoch;
    let removed = 0;
    for (const [name, f] of this.families) {
      removed += f.series.removeWhere(
        (s) => s.updatedAt < cutoff,
        (s) => {
          if (--s.target.series <= 0) this.deleteTarget(s.target);
        },
      );
      if (f.series.size === 0) {
        this.families.delete(name);
        for (const n of sampleNames(f.name, f.sample, f.type)) this.claims.delete(n);
      }
    }
    this.seriesCount -= removed;
    return removed;
  }
}

function sampleNames(family: string, sample: string, type: PromType): string[] {
  switch (type) {
    case 'counter':
      // OpenMetrics names the family without `_total`, so that name is taken too.
      return [family, sample, `${family}_created`];
    case 'gauge':
      return [sample];
    case 'histogram':
      return [family, `${family}_bucket`, `${family}_sum`, `${family}_count`, `${family}_created`];
    case 'summary':
      return [family, `${family}_sum`, `${family}_count`, `${family}_created`];
  }
}

/**
 * Sums and gauges. Deltas add (a monotonic counter's and an up-down
 * counter's net value alike); cumulative points replace, and a start time
 * that moves forward marks a reset.
 */
function foldNumber(s: Series, p: NumberDataPoint, isSum: boolean, delta: boolean, created: boolean): void {
  const v = typeof p.value === 'bigint' ? Number(p.value) : p.value;
  if (delta) {
    if (created && s.createdMs === 0) s.createdMs = p.startTimeMs || p.timeMs;
    s.value += v;
  } else {
    if (isSum && (p.startTimeMs !== s.startMs || p.startTimeNs !== s.startNs)) {
      s.startMs = p.startTimeMs;
      s.startNs = p.startTimeNs;
      if (created) s.createdMs = p.startTimeMs;
    }
    s.value = v;
  }
  if (p.exemplars.length > 0) s.exemplar = p.exemplars[p.exemplars.length - 1];
}

