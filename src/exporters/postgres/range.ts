/**
 * Which rows the exporter accepts, by the day they would be filed under.
 * Every distinct day costs a partition per table, so a client sending
 * timestamps scattered over the years must not be able to create thousands
 * of them: rows before `max_age` (or before the retention, whose partitions
 * are dropped anyway) are refused as `too_old`, rows more than
 * `partitions_ahead` days in the future as `too_new`. Both are counted as
 * dropped; the rest of the batch goes on.
 */
import type { Batch } from '../../model/batch';
import type { Metric } from '../../model/metrics';
import { dayOf } from './schema/partitions';
import { logTimeMs } from './rows';

export interface DayRange {
  /** First day accepted (epoch days, UTC). */
  from: number;
  /** Last day accepted. */
  to: number;
}

export interface RangeLimits {
  /** ms; 0 = no bound from age. */
  maxAge: number;
  /** ms; 0 = keep forever. */
  retention: number;
  partitionsAhead: number;
}

/** The days accepted at `nowMs`. */
export function acceptedDays(limits: RangeLimits, nowMs: number): DayRange {
  const ages = [limits.maxAge, limits.retention].filter((ms) => ms > 0);
  const from = ages.length > 0 ? dayOf(nowMs - Math.min(...ages)) : -Infinity;
  return { from, to: dayOf(nowMs) + limits.partitionsAhead };
}

export interface Filtered {
  /** The batch itself when every row is in range, else a copy without the others (the input is never changed). */
  batch: Batch;
  tooOld: number;
  tooNew: number;
}

/** Keeps the rows whose day is in `range`. */
export function filterByDay(batch: Batch, range: DayRange, nowMs: number): Filtered {
  const counts = { tooOld: 0, tooNew: 0 };
  const count = (ms: number): void => {
    const day = dayOf(ms);
    if (day < range.from) counts.tooOld++;
    else if (day > range.to) counts.tooNew++;
  };
  // First pass: count only; most batches are entirely in range and stay as they are.
  switch (batch.signal) {
    case 'metrics':
      for (const rm of batch.resourceMetrics) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) if (m.data.type !== 'empty') for (const p of m.data.dataPoints) count(p.timeMs);
      break;
    case 'logs':
      for (const rl of batch.resourceLogs) for (const sl of rl.scopeLogs) for (const lr of sl.logRecords) count(logTimeMs(lr, nowMs));
      break;
    case 'traces':
      for (const rs of batch.resourceSpans) for (const ss of rs.scopeSpans) for (const sp of ss.spans) count(sp.startTimeMs);
      break;
  }
  const { tooOld, tooNew } = counts;
  if (tooOld === 0 && tooNew === 0) return { batch, tooOld, tooNew };
  const keep = (ms: number) => {
    const day = dayOf(ms);
    return day >= range.from && day <= range.to;
  };
  let copy: Batch;
  switch (batch.signal) {
    case 'metrics':
      copy = {
        signal: 'metrics',
        resourceMetrics: batch.resourceMetrics.map((rm) => ({
          ...rm,
          scopeMetrics: rm.scopeMetrics.map((sm) => ({ ...sm, metrics: sm.metrics.map((m) => keepPoints(m, keep)) })),
        })),
      };
      break;
    case 'logs':
      copy = {
        signal: 'logs',
        resourceLogs: batch.resourceLogs.map((rl) => ({ ...rl, scopeLogs: rl.scopeLogs.map((sl) => ({ ...sl, logRecords: sl.logRecords.filter((lr) => keep(logTimeMs(lr, nowMs))) })) })),
      };
      break;
    case 'traces':
      copy = {
        signal: 'traces',
        resourceSpans: batch.resourceSpans.map((rs) => ({ ...rs, scopeSpans: rs.scopeSpans.map((ss) => ({ ...ss, spans: ss.spans.filter((sp) => keep(sp.startTimeMs)) })) })),
      };
      break;
  }
  if (batch.context) copy.context = batch.context;
  return { batch: copy, tooOld, tooNew };
}

/** The metric with only the points `keep` accepts (every point type has `timeMs`). */
function keepPoints(m: Metric, keep: (ms: number) => boolean): Metric {
  const d = m.data;
  if (d.type === 'empty') return m;
  const points = (d.dataPoints as ReadonlyArray<{ timeMs: number }>).filter((p) => keep(p.timeMs));
  return { ...m, data: { ...d, dataPoints: points } } as Metric;
}
