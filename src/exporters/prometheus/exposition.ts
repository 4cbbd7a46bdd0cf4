/**
 * Renders the store as Prometheus text format 0.0.4 or OpenMetrics 1.0.
 * The differences that matter: OpenMetrics names a counter family without
 * `_total`, has `# UNIT`, `_created` samples, exemplars, timestamps in
 * seconds, an `info` type for target_info, and ends with `# EOF`.
 */
import { anyValueToString } from '../../model/common';
import type { Exemplar } from '../../model/metrics';
import { sanitizeLabelKey, type Label } from './naming';
import type { SeriesStore } from './store';
import { expToClassic, type Family, type Series } from './state';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export interface RenderOptions {
  openMetrics: boolean;
  sendTimestamps: boolean;
}

function escapeLabel(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
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

function labelText(labels: Label[], extraName?: string, extraValue?: string): string {
  let s = '';
  for (let i = 0; i < labels.length; i++) s += (s ? ',' : '') + labels[i][0] + '="' + escapeLabel(labels[i][1]) + '"';
  if (extraName !== undefined) s += (s ? ',' : '') + extraName + '="' + extraValue + '"';
  return s ? '{' + s + '}' : '';
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** OpenMetrics caps an exemplar's label set at 128 UTF-8 characters. */
function exemplarText(e: Exemplar | undefined): string {
  if (!e) return '';
  const labels: Label[] = [];
  if (e.traceId.length) labels.push(['trace_id', hex(e.traceId)]);
  if (e.spanId.length) labels.push(['span_id', hex(e.spanId)]);
  let size = labels.reduce((n, l) => n + l[0].length + l[1].length, 0);
  for (const kv of e.filteredAttributes) {
    const v = anyValueToString(kv.value);
    if (size + kv.key.length + v.length > 128) break;
    size += kv.key.length + v.length;
    labels.push([sanitizeLabelKey(kv.key), v]);
  }
  const value = typeof e.value === 'bigint' ? Number(e.value) : e.value;
  const ts = e.timeMs || e.timeNs ? ` ${(e.timeMs / 1000).toFixed(3)}` : '';
  return ` # ${labelText(labels) || '{}'} ${formatValue(value)}${ts}`;
}

class Out {
  parts: string[] = [];
  constructor(private readonly opts: RenderOptions) {}

  sample(name: string, labels: string, value: number, s: Series, exemplar = ''): void {
    let line = name + labels + ' ' + formatValue(value);
    if (this.opts.sendTimestamps && s.timestampMs > 0) line += ' ' + (this.opts.openMetrics ? (s.timestampMs / 1000).toFixed(3) : String(s.timestampMs));
    this.parts.push(line + (this.opts.openMetrics ? exemplar : '') + '\n');
  }

  created(name: string, labels: string, s: Series): void {
    if (this.opts.openMetrics && s.createdMs > 0) this.parts.push(`${name}_created${labels} ${(s.createdMs / 1000).toFixed(3)}\n`);
  }
}

function writeFamily(out: Out, f: Family, om: boolean): void {
  const metaName = om ? f.name : f.sample;
  if (f.help) out.parts.push(`# HELP ${metaName} ${escapeHelp(f.help)}\n`);
  out.parts.push(`# TYPE ${metaName} ${f.type}\n`);
  if (om && f.unit && f.name.endsWith(`_${f.unit}`)) out.parts.push(`# UNIT ${f.name} ${f.unit}\n`);
  for (const s of f.series.values()) {
    const labels = labelText(s.labels);
    switch (f.type) {
      case 'gauge':
        out.sample(f.name, labels, s.value, s);
        break;
      case 'counter':
        out.sample(f.sample, labels, s.value, s, exemplarText(s.exemplar));
        out.created(f.name, labels, s);
        break;
      case 'summary':
        if (!s.summary) break;
        for (const q of s.summary.quantiles) out.sample(f.name, labelText(s.labels, 'quantile', formatValue(q.quantile)), q.value, s);
        out.sample(`${f.name}_sum`, labels, s.summary.sum, s);
        out.sample(`${f.name}_count`, labels, s.summary.count, s);
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
  if (s.exp) {
    ({ bounds, cumulative } = expToClassic(s.exp));
    sum = s.exp.sum;
    count = s.exp.count;
  } else if (s.hist) {
    const h = s.hist;
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
    out.sample(`${f.name}_bucket`, labelText(s.labels, 'le', formatValue(bounds[i])), cumulative[i], s, exemplarText(exemplars[i]));
  }
  out.sample(`${f.name}_sum`, labels, sum, s);
  out.sample(`${f.name}_count`, labels, count, s);
  out.created(f.name, labels, s);
}

export function render(store: SeriesStore, opts: RenderOptions): string {
  const out = new Out(opts);
  for (const f of store.families.values()) writeFamily(out, f, opts.openMetrics);
  if (store.targets.size > 0) {
    out.parts.push(`# HELP target_info Target metadata\n# TYPE ${opts.openMetrics ? 'target info' : 'target_info gauge'}\n`);
    for (const t of store.targets.values()) out.parts.push(`target_info${labelText(t.labels)} 1\n`);
  }
  if (opts.openMetrics) out.parts.push('# EOF\n');
  return out.parts.join('');
}
