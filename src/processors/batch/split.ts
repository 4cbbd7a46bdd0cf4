/**
 * Merging and splitting batches by item count (data points, log records,
 * spans), keeping the OTLP nesting intact.
 */
import type { Batch, LogsBatch, MetricsBatch, TracesBatch } from '../../model/batch';
import type { Metric, MetricData, ResourceMetrics, ScopeMetrics } from '../../model/metrics';
import type { ResourceLogs, ScopeLogs } from '../../model/logs';
import type { ResourceSpans, ScopeSpans } from '../../model/traces';
import { wireOf } from '../../model/wire';

/** Concatenates batches of one signal; the request context is dropped. */
export function mergeBatches(batches: readonly Batch[]): Batch {
  const first = batches[0];
  if (batches.length === 1) return first;
  switch (first.signal) {
    case 'metrics':
      return { signal: 'metrics', resourceMetrics: batches.flatMap((b) => (b as MetricsBatch).resourceMetrics) };
    case 'logs':
      return { signal: 'logs', resourceLogs: batches.flatMap((b) => (b as LogsBatch).resourceLogs) };
    case 'traces':
      return { signal: 'traces', resourceSpans: batches.flatMap((b) => (b as TracesBatch).resourceSpans) };
  }
}

/**
 * Cuts a batch into pieces of at most `max` items. A resource or scope that
 * straddles a cut appears in both pieces; every piece after the first gets
 * its own copy of it, so a processor that rewrites resource attributes
 * downstream cannot change one piece through another.
 */
export function splitBatch(batch: Batch, max: number): Batch[] {
  switch (batch.signal) {
    case 'metrics':
      return splitMetrics(batch.resourceMetrics, max).map((resourceMetrics) => ({ signal: 'metrics', resourceMetrics }));
    case 'logs':
      return splitNested(batch.resourceLogs, max, logsShape).map((resourceLogs) => ({ signal: 'logs', resourceLogs }));
    case 'traces':
      return splitNested(batch.resourceSpans, max, spansShape).map((resourceSpans) => ({ signal: 'traces', resourceSpans }));
  }
}

/** How to take apart and rebuild one two-level signal (logs, spans). */
interface Shape<R, S, I> {
  scopes(r: R): S[];
  items(s: S): I[];
  withScopes(r: R, scopes: S[], copy: boolean): R;
  withItems(s: S, items: I[], copy: boolean): S;
}

const logsShape: Shape<ResourceLogs, ScopeLogs, ScopeLogs['logRecords'][number]> = {
  scopes: (r) => r.scopeLogs,
  items: (s) => s.logRecords,
  withScopes: (r, scopeLogs, copy) => ({ resource: copy ? structuredClone(r.resource) : r.resource, schemaUrl: r.schemaUrl, scopeLogs }),
  withItems: (s, logRecords, copy) => ({ scope: copy ? structuredClone(s.scope) : s.scope, schemaUrl: s.schemaUrl, logRecords }),
};

const spansShape: Shape<ResourceSpans, ScopeSpans, ScopeSpans['spans'][number]> = {
  scopes: (r) => r.scopeSpans,
  items: (s) => s.spans,
  withScopes: (r, scopeSpans, copy) => ({ resource: copy ? structuredClone(r.resource) : r.resource, schemaUrl: r.schemaUrl, scopeSpans }),
  withItems: (s, spans, copy) => ({ scope: copy ? structuredClone(s.scope) : s.scope, schemaUrl: s.schemaUrl, spans }),
};

function splitNested<R, S, I>(resources: R[], max: number, shape: Shape<R, S, I>): R[][] {
  const pieces: R[][] = [];
  let piece: R[] = [];
  let room = max;
  for (const r of resources) {
    const wire = wireOf(r as object);
    if (wire && wire.items <= room) {
      // Still encoded and fits whole: passed on as it is.
      piece.push(r);
      room -= wire.items;
      if (room === 0) {
        pieces.push(piece);
        piece = [];
        room = max;
      }
      continue;
    }
    let scopes: S[] = [];
    let rCopy = false;
    for (const s of shape.scopes(r)) {
      const items = shape.items(s);
      let offset = 0;
      let sCopy = false;
      do {
        const take = Math.min(room, items.length - offset);
        const part = offset === 0 && take === items.length ? items : items.slice(offset, offset + take);
        scopes.push(part === items ? s : shape.withItems(s, part, sCopy));
        offset += take;
        room -= take;
        sCopy = true;
        if (room === 0) {
          piece.push(shape.withScopes(r, scopes, rCopy));
          pieces.push(piece);
          piece = [];
          scopes = [];
          rCopy = true;
          room = max;
        }
      } while (offset < items.length);
    }
    if (scopes.length > 0) piece.push(shape.withScopes(r, scopes, rCopy));
  }
  if (piece.length > 0) pieces.push(piece);
  return pieces;
}

function splitMetrics(resources: ResourceMetrics[], max: number): ResourceMetrics[][] {
  const pieces: ResourceMetrics[][] = [];
  let piece: ResourceMetrics[] = [];
  let room = max;
  for (const rm of resources) {
    const wire = wireOf(rm);
    if (wire && wire.items <= room) {
      piece.push(rm);
      room -= wire.items;
      if (room === 0) {
        pieces.push(piece);
        piece = [];
        room = max;
      }
      continue;
    }
    let scopes: ScopeMetrics[] = [];
    let metrics: Metric[] = [];
    let rCopy = false;
    for (const sm of rm.scopeMetrics) {
      let sCopy = false;
      const closeScope = (): void => {
        if (metrics.length > 0) scopes.push({ scope: sCopy ? structuredClone(sm.scope) : sm.scope, schemaUrl: sm.schemaUrl, metrics });
        metrics = [];
        sCopy = true;
      };
      for (const m of sm.metrics) {
        const points = m.data.type === 'empty' ? [] : m.data.dataPoints;
        let offset = 0;
        do {
          const take = Math.min(room, points.length - offset);
          metrics.push(take === points.length ? m : { ...m, data: sliceData(m.data, offset, offset + take) });
          offset += take;
          room -= take;
          if (room === 0) {
            closeScope();
            piece.push({ resource: rCopy ? structuredClone(rm.resource) : rm.resource, schemaUrl: rm.schemaUrl, scopeMetrics: scopes });
            pieces.push(piece);
            piece = [];
            scopes = [];
            rCopy = true;
            room = max;
          }
        } while (offset < points.length);
      }
      closeScope();
    }
    if (scopes.length > 0) piece.push({ resource: rCopy ? structuredClone(rm.resource) : rm.resource, schemaUrl: rm.schemaUrl, scopeMetrics: scopes });
  }
  if (piece.length > 0) pieces.push(piece);
  return pieces;
}

function sliceData(data: MetricData, from: number, to: number): MetricData {
  if (data.type === 'empty') return data;
  return { ...data, dataPoints: data.dataPoints.slice(from, to) } as MetricData;
}
