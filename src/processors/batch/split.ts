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

/** The pieces being cut: those done, the one being filled, and the room left in it. */
class Pieces<R> {
  readonly done: R[][] = [];
  piece: R[] = [];
  room: number;

  constructor(private readonly max: number) {
    this.room = max;
  }

  /** Adds `last` (if any) to the current piece and starts a new one when it is full. */
  closeIfFull(last?: R): void {
    if (this.room > 0) return;
    if (last !== undefined) this.piece.push(last);
    this.done.push(this.piece);
    this.piece = [];
    this.room = this.max;
  }

  /** A resource still in wire form that fits is added whole, without decoding it. */
  addWhole(r: R): boolean {
    const wire = wireOf(r as object);
    if (!wire || wire.items > this.room) return false;
    this.piece.push(r);
    this.room -= wire.items;
    this.closeIfFull();
    return true;
  }

  finish(): R[][] {
    if (this.piece.length > 0) this.done.push(this.piece);
    return this.done;
  }
}

function splitNested<R, S, I>(resources: R[], max: number, shape: Shape<R, S, I>): R[][] {
  const p = new Pieces<R>(max);
  for (const r of resources) {
    if (p.addWhole(r)) continue;
    let scopes: S[] = [];
    let rCopy = false;
    for (const s of shape.scopes(r)) {
      const items = shape.items(s);
      let offset = 0;
      let sCopy = false;
      do {
        const take = Math.min(p.room, items.length - offset);
        const part = offset === 0 && take === items.length ? items : items.slice(offset, offset + take);
        scopes.push(part === items ? s : shape.withItems(s, part, sCopy));
        offset += take;
        p.room -= take;
        sCopy = true;
        if (p.room === 0) {
          p.closeIfFull(shape.withScopes(r, scopes, rCopy));
          scopes = [];
          rCopy = true;
        }
      } while (offset < items.length);
    }
    if (scopes.length > 0) p.piece.push(shape.withScopes(r, scopes, rCopy));
  }
  return p.finish();
}

function splitMetrics(resources: ResourceMetrics[], max: number): ResourceMetrics[][] {
  const p = new Pieces<ResourceMetrics>(max);
  for (const rm of resources) {
    if (p.addWhole(rm)) continue;
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
          const take = Math.min(p.room, points.length - offset);
          metrics.push(take === points.length ? m : { ...m, data: sliceData(m.data, offset, offset + take) });
          offset += take;
          p.room -= take;
          if (p.room === 0) {
            closeScope();
            p.closeIfFull({ resource: rCopy ? structuredClone(rm.resource) : rm.resource, schemaUrl: rm.schemaUrl, scopeMetrics: scopes });
            scopes = [];
            rCopy = true;
          }
        } while (offset < points.length);
      }
      closeScope();
    }
    if (scopes.length > 0) p.piece.push({ resource: rCopy ? structuredClone(rm.resource) : rm.resource, schemaUrl: rm.schemaUrl, scopeMetrics: scopes });
  }
  return p.finish();
}

function sliceData(data: MetricData, from: number, to: number): MetricData {
  if (data.type === 'empty') return data;
  return { ...data, dataPoints: data.dataPoints.slice(from, to) } as MetricData;
}
