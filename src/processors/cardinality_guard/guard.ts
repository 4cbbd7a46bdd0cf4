/**
 * The limit tracking of `cardinality_guard`: which series are admitted, per
 * metric name and in total, and what happens to a new series past a limit.
 *
 * Memory is bounded by the limits: only admitted series are remembered (a
 * series turned away is forgotten at once and judged again on its next
 * point), metric names without admitted series keep no state, and the
 * per-key statistics behind the limit warning are capped and freed once the
 * warning is out.
 */
import { anyValueToString, type AnyValue, type Attributes, type InstrumentationScope, type Resource } from '../../model/common';
import type { GuardAction, LimitTable } from './config';
import { flatString } from '../../util/flat-string';

/** What to do with one point. */
export const enum Decision {
  Keep = 0,
  Strip = 1,
  Overflow = 2,
  Drop = 3,
}

export interface GuardOptions {
  limits: LimitTable;
  maxTotal: number;
  action: GuardAction;
  stripKeys: ReadonlySet<string>;
  idleMs: number;
}

/** Attribute keys with the most distinct values, for the limit warning. */
export interface KeySpread {
  key: string;
  /** Distinct values seen among admitted series, counted up to `DISTINCT_CAP`. */
  distinctValues: number;
}

export interface LimitHit {
  metric: string;
  /** Which limit: the metric's own or `max_series_total`. */
  limit: 'metric' | 'total';
  value: number;
  topKeys: KeySpread[];
}

/** Distinct values counted per key, and keys counted per metric, for the warning. */
export const DISTINCT_CAP = 100;
const KEYS_CAP = 32;
const TOP_KEYS = 3;

class SeriesEntry {
  constructor(
    public seen: number,
    /** Admitted as the stripped form of a series that arrived past the limit. */
    readonly stripped: boolean,
  ) {}
}

class MetricState {
  /** Series by resource+scope key, then by point attribute key. */
  readonly groups = new Map<string, Map<string, SeriesEntry>>();
  originals = 0;
  stripped = 0;
  warned = false;
  /** Distinct values per attribute key among admitted series, until the warning. */
  spread: Map<string, Set<string>> | undefined = new Map();

  constructor(
    readonly name: string,
    readonly limit: number,
  ) {}

  get series(): number {
    return this.originals + this.stripped;
  }
}

export class SeriesGuard {
  private readonly metrics = new Map<string, MetricState>();
  private totalSeries = 0;
  private totalWarned = false;
  // The last lookup, reused while points of one metric under one resource and scope follow each other.
  private lastMetric: MetricState | undefined;
  private lastPrefix = '';
  private lastGroup: Map<string, SeriesEntry> | undefined;

  constructor(
    private readonly opts: GuardOptions,
    private readonly onLimit: (hit: LimitHit) => void = () => undefined,
  ) {}

  /** Series currently admitted (both original and stripped), across every metric. */
  get trackedSeries(): number {
    return this.totalSeries;
  }

  /** Admitted series of one metric name. */
  seriesOf(metric: string): number {
    return this.metrics.get(metric)?.series ?? 0;
  }

  /** The `n` metric names with the most admitted series, most first. */
  topMetrics(n: number): Array<[string, number]> {
    const all: Array<[string, number]> = [];
    for (const m of this.metrics.values()) all.push([m.name, m.series]);
    all.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    return all.slice(0, n);
  }

  /**
   * Judges one point of `metric` whose resource and scope give `prefix`
   * (see `streamPrefix`). Admits it when it is new and under the limits,
   * refreshes it when known; never changes `attrs`. `action` overrides the
   * configured one (for points that cannot be merged).
   */
  decide(metric: string, prefix: string, attrs: Attributes, now: number, action: GuardAction = this.opts.action): Decision {
    let ms = this.lastMetric;
    let group = this.lastGroup;
    if (ms === undefined || ms.name !== metric || this.lastPrefix !== prefix) {
      ms = this.metrics.get(metric);
      group = ms?.groups.get(prefix);
      this.lastMetric = ms;
      this.lastPrefix = prefix;
      this.lastGroup = group;
    }
    const key = attributesKey(attrs, undefined);
    const known = group?.get(key);
    if (known) {
      known.seen = now;
      return Decision.Keep;
    }
    if (this.totalSeries < this.opts.maxTotal) {
      if (!ms) {
        ms = new MetricState(metric, this.opts.limits.limitFor(metric));
        this.metrics.set(metric, ms);
        this.lastMetric = ms;
      }
      if (ms.originals < ms.limit) {
        this.admit(ms, prefix, key, now, false);
        noteSpread(ms, attrs);
        return Decision.Keep;
      }
    }
    this.noteLimit(ms, metric);
    if (action === 'drop') return Decision.Drop;
    if (action === 'overflow' || !ms || !hasAny(attrs, this.opts.stripKeys)) return Decision.Overflow;
    // Strip: the series without its high-cardinality keys merges with a peer,
    // or is admitted in the metric's allowance of stripped series.
    const strippedKey = attributesKey(attrs, this.opts.stripKeys);
    const peer = this.lastGroup?.get(strippedKey);
    if (peer) {
      peer.seen = now;
      return Decision.Strip;
    }
    if (ms.stripped < ms.limit && this.totalSeries < this.opts.maxTotal) {
      this.admit(ms, prefix, strippedKey, now, true);
      return Decision.Strip;
    }
    return Decision.Overflow;
  }

  private admit(ms: MetricState, prefix: string, key: string, now: number, stripped: boolean): void {
    let group = ms.groups.get(prefix);
    if (!group) ms.groups.set(prefix, (group = new Map()));
    if (ms === this.lastMetric && prefix === this.lastPrefix) this.lastGroup = group;
    group.set(flatString(key), new SeriesEntry(now, stripped));
    if (stripped) ms.stripped++;
    else ms.originals++;
    this.totalSeries++;
  }

  /** Warns once about the limit that turned a new series away: the metric's own when it is full, else the total. */
  private noteLimit(ms: MetricState | undefined, metric: string): void {
    if (ms && ms.originals >= ms.limit) {
      if (ms.warned) return;
      ms.warned = true;
      this.onLimit({ metric, limit: 'metric', value: ms.limit, topKeys: topKeys(ms.spread) });
      ms.spread = undefined;
    } else if (!this.totalWarned) {
      this.totalWarned = true;
      this.onLimit({ metric, limit: 'total', value: this.opts.maxTotal, topKeys: topKeys(ms?.spread) });
    }
  }

  /** Frees the slots of series not seen since `now - idleMs`; returns how many went. */
  expire(now: number): number {
    const cutoff = now - this.opts.idleMs;
    let removed = 0;
    for (const [name, ms] of this.metrics) {
      for (const [prefix, group] of ms.groups) {
        for (const [key, e] of group) {
          if (e.seen >= cutoff) continue;
          group.delete(key);
          removed++;
          if (e.stripped) ms.stripped--;
          else ms.originals--;
        }
        if (group.size === 0) ms.groups.delete(prefix);
      }
      if (ms.series === 0) this.metrics.delete(name);
    }
    this.totalSeries -= removed;
    if (this.totalSeries < this.opts.maxTotal) this.totalWarned = false;
    // Cached lookups may point at removed maps.
    this.lastMetric = undefined;
    this.lastGroup = undefined;
    this.lastPrefix = '';
    return removed;
  }

  clear(): void {
    this.metrics.clear();
    this.totalSeries = 0;
    this.lastMetric = undefined;
    this.lastGroup = undefined;
  }
}

/** Counts distinct values per key among a metric's admitted series, capped, until its warning. */
function noteSpread(ms: MetricState, attrs: Attributes): void {
  const spread = ms.spread;
  if (!spread) return;
  for (const kv of attrs) {
    let values = spread.get(kv.key);
    if (!values) {
      if (spread.size >= KEYS_CAP) continue;
      spread.set(kv.key, (values = new Set()));
    }
    if (values.size < DISTINCT_CAP) values.add(anyValueToString(kv.value));
  }
}

function topKeys(spread: Map<string, Set<string>> | undefined): KeySpread[] {
  if (!spread) return [];
  return [...spread]
    .map(([key, values]) => ({ key, distinctValues: values.size }))
    .sort((a, b) => b.distinctValues - a.distinctValues || (a.key < b.key ? -1 : 1))
    .slice(0, TOP_KEYS);
}

function hasAny(attrs: Attributes, keys: ReadonlySet<string>): boolean {
  for (let i = 0; i < attrs.length; i++) if (keys.has(attrs[i].key)) return true;
  return false;
}

/**
 * A series' point attributes as a string that is the same whatever their
 * order (skipping `skip`'s keys). Every piece is length-prefixed, so no key
 * or value can forge another's boundaries, and the value's kind is part of it
 * (int 1, double 1 and "1" are different series in OTLP).
 */
export function attributesKey(attrs: Attributes, skip: ReadonlySet<string> | undefined): string {
  let sorted = true;
  for (let i = 1; i < attrs.length; i++) {
    if (attrs[i - 1].key > attrs[i].key) {
      sorted = false;
      break;
    }
  }
  const list = sorted ? attrs : attrs.slice().sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  let key = '';
  for (let i = 0; i < list.length; i++) {
    const kv = list[i];
    if (skip !== undefined && skip.has(kv.key)) continue;
    const v = valueText(kv.value);
    key += kv.key.length + ':' + kv.key + v;
  }
  return key;
}

function valueText(v: AnyValue): string {
  const text = v.kind === 'string' ? v.value : anyValueToString(v);
  return v.kind.charAt(0) + v.kind.charAt(1) + text.length + ':' + text;
}

/** The resource and scope part of a series' identity, computed once per resource and scope, not per point. */
export function streamPrefix(resource: Resource, scope: InstrumentationScope): string {
  return attributesKey(resource.attributes, undefined) + '|' + scope.name.length + ':' + scope.name + scope.version.length + ':' + scope.version + attributesKey(scope.attributes, undefined);
}
