/**
 * A batch as COPY text rows for its table: one row per data point, log
 * record or span, columns in the order of the schema's `COLUMNS`, the
 * batch id and the row's index (`seq`) in every row. Encoded once per batch
 * and kept for its retries, so every attempt writes the same bytes.
 */
import type { Batch } from '../../model/batch';
import { bytesToHex, getAttribute, type Attributes, type InstrumentationScope, type Resource } from '../../model/common';
import type { LogRecord, ResourceLogs } from '../../model/logs';
import type { Exemplar, ResourceMetrics } from '../../model/metrics';
import type { ResourceSpans } from '../../model/traces';
import { COLUMNS, TABLES } from './schema/migrations';
import { dayOf } from './schema/partitions';
import { copyEscape, floatArray, floatText, int8Array, int8Text, JsonWriter, jsonInt, jsonNumber, NULL, StringCleaner, TimeFormatter } from './copy-text';

export type TableName = keyof typeof COLUMNS;

export interface EncodedBatch {
  table: TableName;
  /** COPY text, in chunks of a few hundred KiB. */
  chunks: Buffer[];
  rows: number;
  /** Distinct days (since the epoch, UTC) the rows fall on: their partitions must exist. */
  days: number[];
  /** Strings that held NUL or lone surrogates, stored with U+FFFD instead. */
  replaced: number;
}

const CHUNK_CHARS = 256 * 1024;

/** Accumulates rows and cuts them into Buffers. */
class CopyOut {
  readonly chunks: Buffer[] = [];
  rows = 0;
  private text = '';

  row(line: string): void {
    this.text += line;
    this.rows++;
    if (this.text.length >= CHUNK_CHARS) this.cut();
  }

  finish(): Buffer[] {
    if (this.text.length > 0) this.cut();
    return this.chunks;
  }

  private cut(): void {
    this.chunks.push(Buffer.from(this.text, 'utf8'));
    this.text = '';
  }
}

/** The time a log record is filed under: its time, else its observed time, else `nowMs`. */
/** The milliseconds of {@link logTime}, without making an object (for per-record checks). */
export function logTimeMs(lr: LogRecord, nowMs: number): number {
  if (lr.timeMs !== 0 || lr.timeNs !== 0) return lr.timeMs;
  if (lr.observedTimeMs !== 0 || lr.observedTimeNs !== 0) return lr.observedTimeMs;
  return nowMs;
}

export function logTime(lr: LogRecord, nowMs: number): { ms: number; ns: number } {
  if (lr.timeMs !== 0 || lr.timeNs !== 0) return { ms: lr.timeMs, ns: lr.timeNs };
  if (lr.observedTimeMs !== 0 || lr.observedTimeNs !== 0) return { ms: lr.observedTimeMs, ns: lr.observedTimeNs };
  return { ms: nowMs, ns: 0 };
}

const SPAN_KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
const STATUS_CODES = ['unset', 'ok', 'error'];
const TEMPORALITY = [NULL, 'delta', 'cumulative'];

/** Per-resource and per-scope columns, computed once for all their rows. */
interface Context {
  resource: string;
  service: string;
  scopeName: string;
  scopeVersion: string;
}

/** Encodes one batch. `nowMs` stands in for log records without any time. */
export class RowEncoder {
  private readonly cleaner = new StringCleaner();
  private readonly json = new JsonWriter(this.cleaner);
  private readonly times = new TimeFormatter();
  private readonly days = new Set<number>();
  private readonly out = new CopyOut();
  private readonly tail: string;

  private constructor(
    batchId: string,
    private readonly nowMs: number,
  ) {
    this.tail = '\t' + batchId + '\t';
  }

  static encode(batch: Batch, batchId: string, nowMs: number): EncodedBatch {
    const e = new RowEncoder(batchId, nowMs);
    switch (batch.signal) {
      case 'metrics':
        e.metrics(batch.resourceMetrics);
        break;
      case 'logs':
        e.logs(batch.resourceLogs);
        break;
      case 'traces':
        e.spans(batch.resourceSpans);
        break;
    }
    return { table: TABLES[batch.signal].table, chunks: e.out.finish(), rows: e.out.rows, days: [...e.days].sort((a, b) => a - b), replaced: e.cleaner.replaced };
  }

  /** A text column from user data. */
  private text(s: string): string {
    return copyEscape(this.cleaner.clean(s));
  }

  private attrs(a: Attributes): string {
    return a.length === 0 ? '{}' : copyEscape(this.json.object(a));
  }

  private time(ms: number, ns: number): string {
    return this.times.format(ms, ns);
  }

  private optionalTime(ms: number, ns: number): string {
    return ms === 0 && ns === 0 ? NULL : this.times.format(ms, ns);
  }

  private context(resource: Resource, scope: InstrumentationScope, resourceJson: string): Context {
    const svc = getAttribute(resource.attributes, 'service.name');
    return {
      resource: resourceJson,
      service: svc?.kind === 'string' ? this.text(svc.value) : '',
      scopeName: this.text(scope.name),
      scopeVersion: this.text(scope.version),
    };
  }

  private end(c: Context): string {
    return '\t' + c.resource + '\t' + c.scopeName + '\t' + c.scopeVersion + '\t' + c.service;
  }

  private seq(): string {
    return this.tail + this.out.rows + '\n';
  }

  private exemplars(ex: readonly Exemplar[]): string {
    if (ex.length === 0) return NULL;
    let s = '[';
    for (let i = 0; i < ex.length; i++) {
      const e = ex[i];
      s += (i ? ',' : '') + '{"time":"' + this.time(e.timeMs, e.timeNs) + '","value":' + (e.valueType === 'none' ? 'null' : e.valueType === 'int' ? jsonInt(e.value) : jsonNumber(Number(e.value)));
      if (e.traceId.length > 0) s += ',"trace_id":"' + bytesToHex(e.traceId) + '"';
      if (e.spanId.length > 0) s += ',"span_id":"' + bytesToHex(e.spanId) + '"';
      s += ',"attributes":' + this.json.object(e.filteredAttributes) + '}';
    }
    return copyEscape(s + ']');
  }

  private metrics(rms: readonly ResourceMetrics[]): void {
    for (const rm of rms) {
      const resourceJson = this.attrs(rm.resource.attributes);
      for (const sm of rm.scopeMetrics) {
        const c = this.context(rm.resource, sm.scope, resourceJson);
        const end = this.end(c);
        for (const m of sm.metrics) {
          const d = m.data;
          if (d.type === 'empty') continue;
          const head = '\t' + this.text(m.name) + '\t';
          const meta = '\t' + this.text(m.unit) + '\t' + this.text(m.description) + '\t';
          switch (d.type) {
            case 'gauge':
            case 'sum': {
              const kind = d.type + meta + (d.type === 'sum' ? TEMPORALITY[d.temporality] ?? NULL : NULL) + '\t' + (d.type === 'sum' ? (d.isMonotonic ? 't' : 'f') : NULL) + '\t';
              for (const p of d.dataPoints) {
                this.days.add(dayOf(p.timeMs));
                const value = p.valueType === 'none' ? NULL : floatText(Number(p.value));
                this.out.row(
                  this.time(p.timeMs, p.timeNs) + '\t' + this.optionalTime(p.startTimeMs, p.startTimeNs) + head + kind + value +
                    '\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t' + (p.flags | 0) + '\t' + this.exemplars(p.exemplars) + '\t' + this.attrs(p.attributes) + end + this.seq(),
                );
              }
              break;
            }
            case 'histogram': {
              const kind = 'histogram' + meta + (TEMPORALITY[d.temporality] ?? NULL) + '\t\\N\t\\N\t';
              for (const p of d.dataPoints) {
                this.days.add(dayOf(p.timeMs));
                this.out.row(
                  this.time(p.timeMs, p.timeNs) + '\t' + this.optionalTime(p.startTimeMs, p.startTimeNs) + head + kind +
                    int8Text(p.count) + '\t' + (p.sum === undefined ? NULL : floatText(p.sum)) + '\t' + (p.min === undefined ? NULL : floatText(p.min)) + '\t' + (p.max === undefined ? NULL : floatText(p.max)) + '\t' +
                    floatArray(p.explicitBounds) + '\t' + int8Array(p.bucketCounts) + '\t\\N\t\\N\t' + (p.flags | 0) + '\t' + this.exemplars(p.exemplars) + '\t' + this.attrs(p.attributes) + end + this.seq(),
                );
              }
              break;
            }
            case 'exponentialHistogram': {
              const kind = 'exponential_histogram' + meta + (TEMPORALITY[d.temporality] ?? NULL) + '\t\\N\t\\N\t';
              for (const p of d.dataPoints) {
                this.days.add(dayOf(p.timeMs));
                const buckets = (b: { offset: number; bucketCounts: number[] }) => '{"offset":' + b.offset + ',"bucket_counts":[' + b.bucketCounts.map(jsonInt).join(',') + ']}';
                const exp = '{"scale":' + p.scale + ',"zero_count":' + jsonInt(p.zeroCount) + ',"zero_threshold":' + jsonNumber(p.zeroThreshold) + ',"positive":' + buckets(p.positive) + ',"negative":' + buckets(p.negative) + '}';
                this.out.row(
                  this.time(p.timeMs, p.timeNs) + '\t' + this.optionalTime(p.startTimeMs, p.startTimeNs) + head + kind +
                    int8Text(p.count) + '\t' + (p.sum === undefined ? NULL : floatText(p.sum)) + '\t' + (p.min === undefined ? NULL : floatText(p.min)) + '\t' + (p.max === undefined ? NULL : floatText(p.max)) + '\t' +
                    '\\N\t\\N\t' + exp + '\t\\N\t' + (p.flags | 0) + '\t' + this.exemplars(p.exemplars) + '\t' + this.attrs(p.attributes) + end + this.seq(),
                );
              }
              break;
            }
            case 'summary': {
              const kind = 'summary' + meta + '\\N\t\\N\t\\N\t';
              for (const p of d.dataPoints) {
                this.days.add(dayOf(p.timeMs));
                let q = '[';
                for (let i = 0; i < p.quantileValues.length; i++) q += (i ? ',' : '') + '{"quantile":' + jsonNumber(p.quantileValues[i].quantile) + ',"value":' + jsonNumber(p.quantileValues[i].value) + '}';
                this.out.row(
                  this.time(p.timeMs, p.timeNs) + '\t' + this.optionalTime(p.startTimeMs, p.startTimeNs) + head + kind +
                    int8Text(p.count) + '\t' + floatText(p.sum) + '\t\\N\t\\N\t\\N\t\\N\t\\N\t' + q + ']\t' + (p.flags | 0) + '\t\\N\t' + this.attrs(p.attributes) + end + this.seq(),
                );
              }
              break;
            }
          }
        }
      }
    }
  }

  /**
   * Which event a record is: `LogRecord.event_name`, else the `event.name`
   * attribute, else a string body naming a Claude Code event.
   */
  private eventName(lr: LogRecord): string {
    if (lr.eventName !== '') return this.text(lr.eventName);
    const attr = getAttribute(lr.attributes, 'event.name');
    if (attr?.kind === 'string' && attr.value !== '') return this.text(attr.value);
    if (lr.body.kind === 'string' && lr.body.value.startsWith('claude_code.')) return this.text(lr.body.value);
    return NULL;
  }

  private logs(rls: readonly ResourceLogs[]): void {
    for (const rl of rls) {
      const resourceJson = this.attrs(rl.resource.attributes);
      for (const sl of rl.scopeLogs) {
        const c = this.context(rl.resource, sl.scope, resourceJson);
        const end = this.end(c);
        for (const lr of sl.logRecords) {
          const t = logTime(lr, this.nowMs);
          this.days.add(dayOf(t.ms));
          const sev = lr.severityNumber >= -32768 && lr.severityNumber <= 32767 ? lr.severityNumber : 0;
          this.out.row(
            this.time(t.ms, t.ns) + '\t' + this.optionalTime(lr.observedTimeMs, lr.observedTimeNs) + '\t' + sev + '\t' + this.text(lr.severityText) + '\t' +
              (lr.body.kind === 'empty' ? NULL : copyEscape(this.json.value(lr.body))) + '\t' + this.eventName(lr) + '\t' + this.attrs(lr.attributes) + end + '\t' +
              (lr.traceId.length === 0 ? NULL : bytesToHex(lr.traceId)) + '\t' + (lr.spanId.length === 0 ? NULL : bytesToHex(lr.spanId)) + '\t' + (lr.flags | 0) + this.seq(),
          );
        }
      }
    }
  }

  private spans(rss: readonly ResourceSpans[]): void {
    for (const rs of rss) {
      const resourceJson = this.attrs(rs.resource.attributes);
      for (const ss of rs.scopeSpans) {
        const c = this.context(rs.resource, ss.scope, resourceJson);
        for (const sp of ss.spans) {
          this.days.add(dayOf(sp.startTimeMs));
          const ended = sp.endTimeMs !== 0 || sp.endTimeNs !== 0;
          const duration = ended ? floatText(sp.endTimeMs - sp.startTimeMs + (sp.endTimeNs - sp.startTimeNs) / 1e6) : NULL;
          let events = '[';
          for (let i = 0; i < sp.events.length; i++) {
            const ev = sp.events[i];
            events += (i ? ',' : '') + '{"time":"' + this.time(ev.timeMs, ev.timeNs) + '","name":' + this.json.string(ev.name) + ',"attributes":' + this.json.object(ev.attributes) + '}';
          }
          let links = '[';
          for (let i = 0; i < sp.links.length; i++) {
            const l = sp.links[i];
            links += (i ? ',' : '') + '{"trace_id":"' + bytesToHex(l.traceId) + '","span_id":"' + bytesToHex(l.spanId) + '","trace_state":' + this.json.string(l.traceState) + ',"attributes":' + this.json.object(l.attributes) + '}';
          }
          this.out.row(
            this.time(sp.startTimeMs, sp.startTimeNs) + '\t' + (ended ? this.time(sp.endTimeMs, sp.endTimeNs) : NULL) + '\t' + duration + '\t' +
              bytesToHex(sp.traceId) + '\t' + bytesToHex(sp.spanId) + '\t' + (sp.parentSpanId.length === 0 ? NULL : bytesToHex(sp.parentSpanId)) + '\t' +
              this.text(sp.traceState) + '\t' + this.text(sp.name) + '\t' + (SPAN_KINDS[sp.kind] ?? 'unspecified') + '\t' + (STATUS_CODES[sp.status.code] ?? 'unset') + '\t' +
              this.text(sp.status.message) + '\t' + this.attrs(sp.attributes) + '\t' + copyEscape(events + ']') + '\t' + copyEscape(links + ']') + '\t' +
              c.resource + '\t' + c.scopeName + '\t' + c.scopeVersion + '\t' + c.service + '\t' + (sp.flags | 0) + this.seq(),
          );
        }
      }
    }
  }
}
