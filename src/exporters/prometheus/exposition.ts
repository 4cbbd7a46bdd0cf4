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

/** Whether a series' label set is empty (no braces at all). */
function noLabels(s: Series): boolean {
  const form = s.plan;
  return form === undefined ? s.labels === '' : form.jointsBytes === 0;
}

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
 * A series' label set is written from its values and its plan's joints,
 * byte by byte, without building its text.
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

  /**
   * A sample's name and its series' label set. A series made through a plan
   * holds only its values, each followed by a newline (label-key.ts); the
   * plan holds the text around them as UTF-8 (`joints`, the first already
   * joined to the name), which takes the newlines' places. Writing it
   * costs as many native calls as writing the whole text did: joints below
   * 16 bytes, and the values, are copied byte by byte, which is cheaper for
   * so few bytes.
   */
  private named(name: string, s: Series): void {
    const form = s.plan;
    if (form === undefined) {
      this.push(name);
      this.push(s.labels);
      return;
    }
    const own = s.labels;
    const head = form.headed(name);
    const joints = form.joints;
    this.room(head.length + form.jointsBytes + own.length * 3);
    const buf = this.buf;
    buf.set(head, this.pos);
    let pos = this.pos + head.length;
    let next = 1;
    for (let i = 0; i < own.length; i++) {
      const c = own.charCodeAt(i);
      if (c >= 0x80) {
        // Not ASCII: the rest of this value as UTF-8, in one go.
        const end = own.indexOf('\n', i);
        pos += buf.write(own.slice(i, end), pos);
        i = end - 1;
      } else if (c !== 0x0a) buf[pos++] = c;
      else {
        const j = joints[next++];
        if (j.length >= 16) {
          buf.set(j, pos);
          pos += j.length;
        } else for (let k = 0; k < j.length; k++) buf[pos++] = j[k];
      }
    }
    this.pos = pos;
  }

  /** `name{labels} value[ timestamp][ exemplar]` and a newline. */
  sample(name: string, s: Series, value: number, exemplar?: Exemplar): void {
    this.named(name, s);
    this.rest(value, s, exemplar);
  }

  /** A sample with one more label (`le`, `quantile`) after the series' own; `extraValue` needs no escaping. */
  sampleWith(name: string, s: Series, extraName: string, extraValue: string, value: number, exemplar?: Exemplar): void {
    if (noLabels(s)) {
      this.push(name);
      this.byte(0x7b);
    } else {
      this.named(name, s);
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

  /** OpenMetrics' `name_created{labels} seconds`; `createdName` is the `_created` sample's name. */
  created(createdName: string, s: Series): void {
    if (!this.opts.openMetrics || s.createdMs <= 0) return;
    this.named(createdName, s);
    this.push(` ${(s.createdMs / 1000).toFixed(3)}\n`);
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
  const createdName = `${f.name}_created`;
  f.series.forEach((s) => {
    switch (f.type) {
      case 'gauge':
        out.sample(f.name, s, s.value);
        break;
      case 'counter':
        out.sample(f.sample, s, s.value, s.exemplar);
        out.created(createdName, s);
        break;
      case 'summary':
        if (s.data?.kind !== 'summary') break;
        for (const q of s.data.quantiles) out.sampleWith(f.name, s, 'quantile', formatValue(q.quantile), q.value);
        out.sample(sumName, s, s.data.sum);
        out.sample(countName, s, s.data.count);
        out.created(createdName, s);
        break;
      case 'histogram':
        writeHistogram(out, s, bucketName, sumName, countName, createdName);
        break;
    }
  });
}

function writeHistogram(out: Out, s: Series, bucketName: string, sumName: string, countName: string, createdName: string): void {
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
  for (let i = 0; i < bounds.length; i++) out.sampleWith(bucketName, s, 'le', formatValue(bounds[i]), cumulative[i], exemplars[i]);
  out.sample(sumName, s, sum);
  out.sample(countName, s, count);
  out.created(createdName, s);
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
