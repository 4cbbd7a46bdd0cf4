/**
 * `cardinality_guard`: keeps a metrics pipeline's series count bounded. New
 * series past a per-metric or total limit are stripped of their
 * high-cardinality keys, folded into an `otel.metric.overflow=true` series,
 * or dropped; the points that now share an identity are re-aggregated by the
 * shared MetricMerger, so totals stay exact.
 */
import type { Batch, MetricsBatch } from '../../model/batch';
import type { AnyValue, Attributes } from '../../model/common';
import { Temporality, type Metric } from '../../model/metrics';
import type { Consumer, Processor, ProcessorFactory, ProcessorSettings } from '../../pipeline/component';
import { asPipelineError } from '../../pipeline/errors';
import { MetricMerger } from '../internal/merge';
import { configSchema, LimitTable, validateConfig, type CardinalityGuardConfig } from './config';
import { Decision, SeriesGuard, streamPrefix, type LimitHit } from './guard';

export type { CardinalityGuardConfig } from './config';

/** How many metrics the per-metric series gauge reports: the guard's own cardinality stays bounded too. */
export const TOP_METRICS = 20;
export const OVERFLOW_KEY = 'otel.metric.overflow';
const TRUE: AnyValue = Object.freeze({ kind: 'bool', value: true }) as AnyValue;
const ACTION_LABEL = ['keep', 'strip', 'overflow', 'drop'] as const;

export const cardinalityGuardProcessorFactory: ProcessorFactory<CardinalityGuardConfig> = {
  kind: 'processor',
  type: 'cardinality_guard',
  description: 'Bounds the number of series per metric and in total; new series past a limit are stripped of high-cardinality keys, folded into an overflow series, or dropped.',
  stability: { metrics: 'alpha' },
  mutatesData: true,
  schema: configSchema,
  validate: validateConfig,
  create: (config, settings, next) => new CardinalityGuardProcessor(config, settings, next),
};

type Observer = { observe(v: number, a: Record<string, string>): void };

class CardinalityGuardProcessor implements Processor {
  private readonly guard: SeriesGuard;
  private readonly merger: MetricMerger | undefined;
  private readonly stripKeys: ReadonlySet<string>;
  private readonly labels: Record<string, string>;
  private readonly overflowPoints;
  private readonly seriesGauge;
  private readonly trackedGauge;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: CardinalityGuardConfig,
    private readonly settings: ProcessorSettings,
    private readonly next: Consumer,
  ) {
    this.stripKeys = new Set(config.strip_keys);
    this.labels = { processor: settings.id, pipeline: settings.pipeline };
    this.guard = new SeriesGuard(
      { limits: new LimitTable(config.max_series_per_metric, config.overrides), maxTotal: config.max_series_total, action: config.action, stripKeys: this.stripKeys, idleMs: config.idle_timeout },
      (hit) => this.warn(hit),
    );
    // Dropping changes no identity, so nothing needs re-aggregating.
    if (config.action !== 'drop') {
      this.merger = new MetricMerger({ maxStreams: config.max_series_total, idleMs: config.idle_timeout }, settings.meter, this.labels);
    }
    const meter = settings.meter;
    this.overflowPoints = meter.createCounter('otel_pipeline_cardinality_guard_overflow_points', {
      description: 'Points of new series past a limit, by metric and by what was done with them (strip, overflow, drop).',
    });
    this.seriesGauge = meter.createObservableGauge('otel_pipeline_cardinality_guard_series', {
      description: `Series admitted by a cardinality guard, for the ${TOP_METRICS} metrics with the most.`,
    });
    this.trackedGauge = meter.createObservableGauge('otel_pipeline_cardinality_guard_tracked_series', {
      description: 'Series admitted by a cardinality guard across all metrics (bounded by max_series_total).',
    });
  }

  private readonly observeSeries = (obs: Observer): void => {
    for (const [metric, n] of this.guard.topMetrics(TOP_METRICS)) obs.observe(n, { ...this.labels, metric });
  };
  private readonly observeTracked = (obs: Observer): void => obs.observe(this.guard.trackedSeries, this.labels);

  async start(): Promise<void> {
    this.seriesGauge.addCallback(this.observeSeries);
    this.trackedGauge.addCallback(this.observeTracked);
    // Slots are freed on a timer, not only when traffic comes.
    const every = Math.min(30_000, Math.max(10, Math.floor(this.config.idle_timeout / 4)));
    this.timer = setInterval(() => this.guard.expire(Date.now()), every);
    this.timer.unref();
  }

  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.seriesGauge.removeCallback(this.observeSeries);
    this.trackedGauge.removeCallback(this.observeTracked);
    this.merger?.shutdown();
    this.guard.clear();
  }

  async consume(batch: Batch): Promise<void> {
    if (batch.signal === 'metrics') {
      try {
        if (this.merger) {
          this.limitAndDrop(batch, unmergeable);
          this.limitAndMerge(batch, this.merger);
        } else this.limitAndDrop(batch, undefined);
      } catch (err) {
        throw asPipelineError(err, `processor ${this.settings.id}`);
      }
    }
    return this.next.consume(batch);
  }

  /**
   * `strip` / `overflow`: judged inside the merger's rewrite, so the merger
   * knows each point's source identity before it changes.
   */
  private limitAndMerge(batch: MetricsBatch, merger: MetricMerger): void {
    const now = Date.now();
    const counts = new ActionCounts();
    let resource: unknown;
    let scope: unknown;
    let prefix = '';
    let metric: Metric | undefined;
    let judge = false;
    batch.resourceMetrics = merger.process(batch.resourceMetrics, (t) => {
      if (t.kind !== 'point') return;
      if (t.metric !== metric) {
        metric = t.metric;
        judge = !unmergeable(metric);
      }
      if (!judge) return; // judged (and dropped) before merging
      if (t.resource !== resource || t.scope !== scope) {
        resource = t.resource;
        scope = t.scope;
        prefix = streamPrefix(t.resource, t.scope);
      }
      const d = this.guard.decide(t.metric.name, prefix, t.attributes, now);
      if (d === Decision.Keep) return;
      if (d === Decision.Strip) removeKeys(t.attributes, this.stripKeys);
      else {
        t.attributes.length = 0;
        t.attributes.push({ key: OVERFLOW_KEY, value: TRUE });
      }
      counts.add(t.metric.name, d);
    });
    counts.flush(this.overflowPoints, this.labels);
  }

  /**
   * Points of new series past a limit leave the batch, and metrics left
   * without points go too: every metric with `action: drop`, otherwise only
   * those `only` selects.
   */
  private limitAndDrop(batch: MetricsBatch, only: ((m: Metric) => boolean) | undefined): void {
    const now = Date.now();
    const counts = new ActionCounts();
    for (const rm of batch.resourceMetrics) {
      for (const sm of rm.scopeMetrics) {
        let prefix: string | undefined;
        let emptied = false;
        for (const m of sm.metrics) {
          if (m.data.type === 'empty' || (only && !only(m))) continue;
          prefix ??= streamPrefix(rm.resource, sm.scope);
          const points: Array<{ attributes: Attributes }> = m.data.dataPoints;
          let kept = 0;
          for (let i = 0; i < points.length; i++) {
            const p = points[i];
            if (this.guard.decide(m.name, prefix, p.attributes, now, 'drop') === Decision.Drop) counts.add(m.name, Decision.Drop);
            else points[kept++] = p;
          }
          if (kept === points.length) continue;
          points.length = kept;
          if (kept === 0) emptied = true;
        }
        if (emptied) sm.metrics = sm.metrics.filter((m) => m.data.type === 'empty' || m.data.dataPoints.length > 0);
      }
    }
    counts.flush(this.overflowPoints, this.labels);
  }

  private warn(hit: LimitHit): void {
    const what = { strip: `stripped of ${this.config.strip_keys.join(', ')} (or folded into ${OVERFLOW_KEY}=true)`, overflow: `folded into ${OVERFLOW_KEY}=true`, drop: 'dropped' }[this.config.action];
    const msg =
      hit.limit === 'metric'
        ? `metric reached its series limit; points of new series are ${what}`
        : `pipeline reached max_series_total; points of new series are ${what}`;
    this.settings.logger.warn(msg, {
      metric: hit.metric,
      limit: hit.value,
      action: this.config.action,
      top_keys: hit.topKeys.map((k) => ({ key: k.key, distinct_values: k.distinctValues })),
    });
  }
}

/**
 * Points the merger cannot add together: summaries (quantiles do not add) and
 * sums or histograms without a temporality. Stripping or overflowing them
 * would leave several points fighting over one identity, so new series of
 * these past a limit are dropped whatever the action.
 */
function unmergeable(m: Metric): boolean {
  const d = m.data;
  if (d.type === 'summary') return true;
  return (d.type === 'sum' || d.type === 'histogram' || d.type === 'exponentialHistogram') && d.temporality !== Temporality.Delta && d.temporality !== Temporality.Cumulative;
}

/** Removes `keys` from `attrs` in place. */
function removeKeys(attrs: Attributes, keys: ReadonlySet<string>): void {
  let w = 0;
  for (let i = 0; i < attrs.length; i++) if (!keys.has(attrs[i].key)) attrs[w++] = attrs[i];
  attrs.length = w;
}

/** Points per metric and action within one batch, added to the counter once per batch. */
class ActionCounts {
  private counts: Map<string, number[]> | undefined;

  add(metric: string, d: Decision): void {
    const counts = (this.counts ??= new Map());
    let c = counts.get(metric);
    if (!c) counts.set(metric, (c = [0, 0, 0, 0]));
    c[d]++;
  }

  flush(counter: { add(v: number, a: Record<string, string>): void }, labels: Record<string, string>): void {
    if (!this.counts) return;
    for (const [metric, c] of this.counts) {
      for (let d = Decision.Strip; d <= Decision.Drop; d++) if (c[d] > 0) counter.add(c[d], { ...labels, metric, action: ACTION_LABEL[d] });
    }
  }
}
