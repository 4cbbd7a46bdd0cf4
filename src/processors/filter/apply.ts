/**
 * Filters a batch in place and returns how many items (data points, log
 * records, spans) it dropped. Lists are compacted in place, so a batch that
 * loses nothing allocates nothing. A metric left without data points, and
 * scopes and resources left empty, are removed.
 */
import type { LogsBatch, MetricsBatch, TracesBatch } from '../../model/batch';
import type { Metric, ResourceMetrics } from '../../model/metrics';
import { DROP, fate, holds, KEEP, type Rule } from './rules';

export interface Rules {
  include?: Rule;
  exclude?: Rule;
}

function pointsOf(m: Metric): number {
  return m.data.type === 'empty' ? 0 : m.data.dataPoints.length;
}

function pointsIn(rm: ResourceMetrics): number {
  let n = 0;
  for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += pointsOf(m);
  return n;
}

export function filterMetrics(batch: MetricsBatch, { include, exclude }: Rules): number {
  let dropped = 0;
  const rms = batch.resourceMetrics;
  let rw = 0;
  for (const rm of rms) {
    const rInc = !include || holds(include, 0, rm.resource.attributes);
    const rExc = !!exclude && holds(exclude, 0, rm.resource.attributes);
    const rf = fate(rInc, rExc, 0, include, exclude);
    if (rf === DROP) {
      dropped += pointsIn(rm);
      continue;
    }
    if (rf !== KEEP) {
      let sw = 0;
      for (const sm of rm.scopeMetrics) {
        let mw = 0;
        for (const m of sm.metrics) {
          const mInc = rInc && (!include || holds(include, 1, m));
          const mExc = rExc && holds(exclude!, 1, m);
          const mf = fate(mInc, mExc, 1, include, exclude);
          if (mf === DROP) {
            dropped += pointsOf(m);
            continue;
          }
          if (mf !== KEEP && m.data.type !== 'empty') {
            const points = m.data.dataPoints as Array<{ attributes: unknown }>;
            let pw = 0;
            for (let i = 0; i < points.length; i++) {
              const p = points[i];
              if (mInc && (!include || holds(include, 2, p)) && !(mExc && holds(exclude!, 2, p))) points[pw++] = p;
            }
            if (pw < points.length) {
              dropped += points.length - pw;
              points.length = pw;
              if (pw === 0) continue;
            }
          }
          sm.metrics[mw++] = m;
        }
        sm.metrics.length = mw;
        if (mw > 0) rm.scopeMetrics[sw++] = sm;
      }
      rm.scopeMetrics.length = sw;
      if (sw === 0) continue;
    }
    rms[rw++] = rm;
  }
  rms.length = rw;
  return dropped;
}

export function filterLogs(batch: LogsBatch, { include, exclude }: Rules): number {
  let dropped = 0;
  const rls = batch.resourceLogs;
  let rw = 0;
  for (const rl of rls) {
    const rInc = !include || holds(include, 0, rl.resource.attributes);
    const rExc = !!exclude && holds(exclude, 0, rl.resource.attributes);
    const rf = fate(rInc, rExc, 0, include, exclude);
    if (rf === DROP) {
      for (const sl of rl.scopeLogs) dropped += sl.logRecords.length;
      continue;
    }
    if (rf !== KEEP) {
      let sw = 0;
      for (const sl of rl.scopeLogs) {
        const records = sl.logRecords;
        let w = 0;
        for (let i = 0; i < records.length; i++) {
          const r = records[i];
          if ((!include || holds(include, 1, r)) && !(rExc && holds(exclude!, 1, r))) records[w++] = r;
        }
        dropped += records.length - w;
        records.length = w;
        if (w > 0) rl.scopeLogs[sw++] = sl;
      }
      rl.scopeLogs.length = sw;
      if (sw === 0) continue;
    }
    rls[rw++] = rl;
  }
  rls.length = rw;
  return dropped;
}

export function filterSpans(batch: TracesBatch, { include, exclude }: Rules): number {
  let dropped = 0;
  const rss = batch.resourceSpans;
  let rw = 0;
  for (const rs of rss) {
    const rInc = !include || holds(include, 0, rs.resource.attributes);
    const rExc = !!exclude && holds(exclude, 0, rs.resource.attributes);
    const rf = fate(rInc, rExc, 0, include, exclude);
    if (rf === DROP) {
      for (const ss of rs.scopeSpans) dropped += ss.spans.length;
      continue;
    }
    if (rf !== KEEP) {
      let sw = 0;
      for (const ss of rs.scopeSpans) {
        const sInc = rInc && (!include || holds(include, 1, ss.scope));
        const sExc = rExc && holds(exclude!, 1, ss.scope);
        const sf = fate(sInc, sExc, 1, include, exclude);
        if (sf === DROP) {
          dropped += ss.spans.length;
          continue;
        }
        if (sf !== KEEP) {
          const spans = ss.spans;
          let w = 0;
          for (let i = 0; i < spans.length; i++) {
            const s = spans[i];
            if ((!include || holds(include, 2, s)) && !(sExc && holds(exclude!, 2, s))) spans[w++] = s;
          }
          dropped += spans.length - w;
          spans.length = w;
          if (w === 0) continue;
        }
        rs.scopeSpans[sw++] = ss;
      }
      rs.scopeSpans.length = sw;
      if (sw === 0) continue;
    }
    rss[rw++] = rs;
  }
  rss.length = rw;
  return dropped;
}
