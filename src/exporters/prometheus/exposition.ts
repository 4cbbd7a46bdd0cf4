/**
 * Renders the store as Prometheus text format 0.0.4 or OpenMetrics 1.0.
 * The differences that matter: OpenMetrics names a counter family without
 * `_total`, has `# UNIT`, `_created` samples, exemplars, timestamps in
 * seconds, an `info` type for target_info, and ends with `# EOF`.
 */
import { anyValueToString, bytesToHex } from '../../model/common';
import type { Exemplar } from '../../model/metrics';
import { renderLabels, sanitizeLabelKey, withLabel, type Label } from './naming';
import type { SeriesStore } from './store';
import { expToClassic, type Family, type Series } from './state';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export interface RenderOptions {
  openMetrics: boolean;
  sendTimestamps: boolean;
}

function escapeHelp(v: string): string {
  return /[\\\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : v;
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** OpenMetrics caps an exemplar's label set at 128 UTF-8 characters. */
function exemplarText(e: Exemplar | undefined): string {
  if (!e) return '';
  const labels: Label[] = [];
  if (e.traceId.length) labels.push(['trace_id', bytesToHex(e.traceId)]);
  if (e.spanId.length) labels.push(['span_id', bytesToHex(e.spanId)]);
  let size = labels.reduce((n, l) => n + l[0].length + l[1].length, 0);
  for (const kv of e.filteredAttributes) {
    const v = anyValueToString(kv.value);
    if (size + kv.key.length + v.length > 128) break;
    size += kv.key.length + v.length;
    labels.push([sanitizeLabelKey(kv.key), v]);
  }
  const value = typeof e.value === 'bigint' ? Number(e.value) : e.value;
  const ts = e.timeMs || e.timeNs ? ` ${(e.timeMs / 1000).toFixed(3)}` : '';
  return ` # ${renderLabels(labels) || '{}'} ${formatValue(value)}${ts}`;
}

/**
 * Collects the exposition in chunks of ~64 KiB: one string per line would be
 * 100,000 pieces to join for a large scrape, one string for everything would
 * be a 20 MiB tree of pieces; chunks are cheap to build and to write out.
 */
class Out {
  readonly chunks: string[] = [];
  private buf = '';
  constructor(private readonly opts: RenderOptions) {}

  push(text: string): void {
    this.buf += text;
    if (this.buf.length >= 65536) {
      this.chunks.push(this.buf);
      this.buf = '';
    }
  }

  sample(name: string, labels: string, value: number, s: Series, exemplar = ''): void {
    let line = name + labels + ' ' + formatValue(value);
    if (this.opts.sendTimestamps && s.timestampMs > 0) line += ' ' + (this.opts.openMetrics ? (s.timestampMs / 1000).toFixed(3) : String(s.timestampMs));
    this.push(line + (this.opts.openMetrics ? exemplar : '') + '\n');
  }

  created(name: string, labels: string, s: Series): void {
    if (this.opts.openMetrics && s.createdMs > 0) this.push(`${name}_created${labels} ${(s.createdMs / 1000).toFixed(3)}\n`);
  }

  finish(): string[] {
    if (this.buf) this.chunks.push(this.buf);
    this.buf = '';
    return this.chunks;
  }
}

function writeFamily(out: Out, f: Family, om: boolean): void {
  const metaName = om ? f.name : f.sample;
  out.push(`# HELP ${metaName} ${escapeHelp(f.help)}\n`);
  out.push(`# TYPE ${metaName} ${f.type}\n`);
  if (om && f.unit && f.name.endsWith(`_${f.unit}`)) out.push(`# UNIT ${f.name} ${f.unit}\n`);
  for (const s of f.series.values()) {
    const labels = s.labels;
    switch (f.type) {
      case 'gauge':
        out.sample(f.name, labels, s.value, s);
        break;
      case 'counter':
        out.sample(f.sample, labels, s.value, s, exemplarText(s.exemplar));
        out.created(f.name, labels, s);
        break;
      case 'summary':
        if (s.data?.kind !== 'summary') break;
        for (const q of s.data.quantiles) out.sample(f.name, withLabel(labels, 'quantile', formatValue(q.quantile)), q.value, s);
        out.sample(`${f.name}_sum`, labels, s.data.sum, s);
        out.sample(`${f.name}_count`, labels, s.data.count, s);
        out.created(f.name, labels, s);
        break;
      case 'histogram':
        writeHistogram(out, f, s, labels);
        break;
    }
  }
}

function writeHistogram(out: Out, f: Family, s: Series, labels: string): void {
  let bounds: number[];
  let cumulative: number[];
  let sum: number;
  let count: number;
  let exemplars: Array<Exemplar | undefined> = [];
  if (s.data?.kind === 'exp') {
    ({ bounds, cumulative } = expToClassic(s.data));
    sum = s.data.sum;
    count = s.data.count;
  } else if (s.data?.kind === 'hist') {
    const h = s.data;
    bounds = [...h.bounds, Infinity];
    cumulative = [];
    let acc = 0;
    for (let i = 0; i < bounds.length; i++) cumulative.push((acc += h.counts[i] ?? 0));
    cumulative[cumulative.length - 1] = Math.max(acc, h.count);
    sum = h.sum;
    count = h.count;
    exemplars = h.exemplars;
  } else return;
  for (let i = 0; i < bounds.length; i++) {
    out.sample(`${f.name}_bucket`, withLabel(labels, 'le', formatValue(bounds[i])), cumulative[i], s, exemplarText(exemplars[i]));
  }
  out.sample(`${f.name}_sum`, labels, sum, s);
  out.sample(`${f.name}_count`, labels, count, s);
  out.created(f.name, labels, s);
}

/** The exposition as chunks, for writing to a response one after another. */
export function renderChunks(store: SeriesStore, opts: RenderOptions): string[] {
  const out = new Out(opts);
  for (const f of store.families.values()) writeFamily(out, f, opts.openMetrics);
  if (store.hasTargetInfo()) {
    out.push(`# HELP target_info Target metadata\n# TYPE ${opts.openMetrics ? 'target info' : 'target_info gauge'}\n`);
    for (const t of store.targets.values()) if (t.labels) out.push(`target_info${t.labels} 1\n`);
  }
  if (opts.openMetrics) out.push('# EOF\n');
  return out.finish();
}

export function render(store: SeriesStore, opts: RenderOptions): string {
  return renderChunks(store, opts).join('');
}
