/**
 * Renders the store as Prometheus text format 0.0.4 or OpenMetrics 1.0.
 * The differences that matter: OpenMetrics names a counter family without
 * `_total`, has `# UNIT`, `_created` samples, exemplars, timestamps in
 * seconds, an `info` type for target_info, and ends with `# EOF`.
 */
import { anyValueToString, bytesToHex } from '../../model/common';
import type { Exemplar } from '../../model/metrics';
import { renderLabels, sanitizeLabelKey, type Label } from './naming';
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
function exemplarText(e: Exemplar): string {
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

const CHUNK = 65536;

/**
 * Writes the exposition straight into 64 KiB buffers, as the bytes that go
 * on the wire. A scrape of 100,000 series is ~20 MiB of text: built as
 * strings, it was ~20 MiB of short-lived heap for the garbage collector (half
 * of a scrape's time) and then encoded to UTF-8 once more on the way out.
 * Label sets are stored rendered, so a series costs a few copies.
 */
class Out {
  readonly chunks: Buffer[] = [];
  private buf = Buffer.allocUnsafe(CHUNK);
  private pos = 0;
  constructor(private readonly opts: RenderOptions) {}

  /** Makes room for `n` more bytes. */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > 0) this.chunks.push(this.buf.subarray(0, this.pos));
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, n));
    this.pos = 0;
  }

  push(text: string): void {
    this.room(text.length * 3); // UTF-8 takes at most 3 bytes per UTF-16 unit
    this.pos += this.buf.write(text, this.pos);
  }

  private byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  /** A sample value: integers (the usual counter) digit by digit, anything else as formatValue gives it. */
  private number(v: number): void {
    if (!Number.isInteger(v) || v >= 1e15 || v <= -1e15) return this.push(formatValue(v));
    this.room(17);
    const buf = this.buf;
    if (v < 0) {
      buf[this.pos++] = 0x2d;
      v = -v;
    }
    let len = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) len++;
    let p = (this.pos += len);
    do {
      buf[--p] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
  }

  /** `name{labels} value[ timestamp][ exemplar]` and a newline. */
  sample(name: string, labels: string, value: number, s: Series, exemplar?: Exemplar): void {
    this.push(name);
    this.push(labels);
    this.rest(value, s, exemplar);
  }

  /** A sample with one more label (`le`, `quantile`) after the series' own; `extraValue` needs no escaping. */
  sampleWith(name: string, labels: string, extraName: string, extraValue: string, value: number, s: Series, exemplar?: Exemplar): void {
    this.push(name);
    if (labels === '') this.byte(0x7b);
    else {
      this.push(labels);
      this.buf[this.pos - 1] = 0x2c; // the closing brace becomes a comma
    }
    this.push(extraName);
    this.push('="');
    this.push(extraValue);
    this.push('"}');
    this.rest(value, s, exemplar);
  }

  private rest(value: number, s: Series, exemplar: Exemplar | undefined): void {
    this.byte(0x20);
    this.number(value);
    if (this.opts.sendTimestamps && s.timestampMs > 0) {
      this.byte(0x20);
      if (this.opts.openMetrics) this.push((s.timestampMs / 1000).toFixed(3));
      else this.number(s.timestampMs);
    }
    if (this.opts.openMetrics && exemplar !== undefined) this.push(exemplarText(exemplar));
    this.byte(0x0a);
  }

  created(name: string, labels: string, s: Series): void {
    if (this.opts.openMetrics && s.createdMs > 0) this.push(`${name}_created${labels} ${(s.createdMs / 1000).toFixed(3)}\n`);
  }

  finish(): Buffer[] {
    if (this.pos > 0) this.chunks.push(this.buf.subarray(0, this.pos));
    this.pos = 0;
    return this.chunks;
  }
}

function writeFamily(out: Out, f: Family, om: boolean): void {
  const metaName = om ? f.name : f.sample;
  out.push(`# HELP ${metaName} ${escapeHelp(f.help)}\n`);
  out.push(`# TYPE ${metaName} ${f.type}\n`);
  if (om && f.unit && f.name.endsWith(`_${f.unit}`)) out.push(`# UNIT ${f.name} ${f.unit}\n`);
  const sumName = `${f.name}_sum`;
  const countName = `${f.name}_count`;
  const bucketName = `${f.name}_bucket`;
  f.series.forEach((s) => {
    const labels = s.labels;
    switch (f.type) {
      case 'gauge':
        out.sample(f.name, labels, s.value, s);
        break;
      case 'counter':
        out.sample(f.sample, labels, s.value, s, s.exemplar);
        out.created(f.name, labels, s);
        break;
      case 'summary':
        if (s.data?.kind !== 'summary') break;
        for (const q of s.data.quantiles) out.sampleWith(f.name, labels, 'quantile', formatValue(q.quantile), q.value, s);
        out.sample(sumName, labels, s.data.sum, s);
        out.sample(countName, labels, s.data.count, s);
        out.created(f.name, labels, s);
        break;
      case 'histogram':
        writeHistogram(out, f, s, labels, bucketName, sumName, countName);
        break;
    }
  });
}

function writeHistogram(out: Out, f: Family, s: Series, labels: string, bucketName: string, sumName: string, countName: string): void {
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
  for (let i = 0; i < bounds.length; i++) out.sampleWith(bucketName, labels, 'le', formatValue(bounds[i]), cumulative[i], s, exemplars[i]);
  out.sample(sumName, labels, sum, s);
  out.sample(countName, labels, count, s);
  out.created(f.name, labels, s);
}

/** The exposition as chunks of UTF-8, for writing to a response one after another. */
export function renderChunks(store: SeriesStore, opts: RenderOptions): Buffer[] {
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
  return Buffer.concat(renderChunks(store, opts)).toString('utf8');
}
