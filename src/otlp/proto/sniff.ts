/**
 * Guessing which OTLP request an unlabelled protobuf body is. The three
 * requests share their outer shape (field 1: Resource*, whose field 2 is
 * Scope*, whose field 2 is the items), so the guess comes from the items'
 * wire shapes: a Metric has only length-delimited fields and one of the data
 * fields 5/7/9/10/11; a Span has a 16-byte trace_id in 1 and an 8-byte
 * span_id in 2 next to varint and fixed64 fields; a LogRecord has fixed64
 * times in 1/11 and a varint severity in 2.
 */
import type { Signal } from '../../model/batch';

const LEN = 2;

/** Expected wire type per field number of Metric, LogRecord and Span; -1 for unused numbers. */
const METRIC = [-1, 2, 2, 2, -1, 2, -1, 2, -1, 2, 2, 2, 2];
const LOG = [-1, 1, 0, 2, -1, 2, 2, 0, 5, 2, 2, 1, 2];
const SPAN = [-1, 2, 2, 2, 2, 2, 0, 1, 1, 2, 0, 2, 0, 2, 0, 2, 5];

const M = 1;
const L = 2;
const T = 4;
/** Items looked at before giving up on finding evidence. */
const MAX_ITEMS = 32;

/** One field as scanned: its number, wire type and, for LEN fields, its payload bounds. */
interface Field {
  no: number;
  wt: number;
  start: number;
  end: number;
}

function readVarint(buf: Uint8Array, pos: number, end: number, f: Field): number {
  let v = 0;
  for (let shift = 0; shift < 70; shift += 7) {
    if (pos >= end) return -1;
    const b = buf[pos++];
    if (shift < 35) v += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) {
      f.start = v;
      return pos;
    }
  }
  return -1;
}

/** Scans the field at `pos`; returns the position after it, or -1 if malformed. */
function scan(buf: Uint8Array, pos: number, end: number, f: Field): number {
  pos = readVarint(buf, pos, end, f);
  if (pos < 0) return -1;
  const tag = f.start;
  f.no = Math.floor(tag / 8);
  f.wt = tag & 7;
  if (f.no === 0) return -1;
  switch (f.wt) {
    case 0:
      return readVarint(buf, pos, end, f);
    case 1:
      return pos + 8 <= end ? pos + 8 : -1;
    case 2: {
      pos = readVarint(buf, pos, end, f);
      if (pos < 0 || pos + f.start > end) return -1;
      f.end = pos + f.start;
      f.start = pos;
      return f.end;
    }
    case 5:
      return pos + 4 <= end ? pos + 4 : -1;
    default:
      return -1; // groups are not used by OTLP; anything else is malformed
  }
}

/** True when [pos, end) is a well-formed sequence of fields. */
function wellFormed(buf: Uint8Array, pos: number, end: number): boolean {
  const f: Field = { no: 0, wt: 0, start: 0, end: 0 };
  while (pos < end) {
    pos = scan(buf, pos, end, f);
    if (pos < 0) return false;
  }
  return true;
}

/** Signals whose schema accepts every field of the item, and those the item gives evidence for. */
function classify(buf: Uint8Array, pos: number, end: number): { compat: number; evidence: number } {
  const f: Field = { no: 0, wt: 0, start: 0, end: 0 };
  let compat = M | L | T;
  let name = false;
  let data = false;
  let traceId = false;
  let spanId = false;
  let logShape = false;
  while (pos < end) {
    pos = scan(buf, pos, end, f);
    if (pos < 0) return { compat: 0, evidence: 0 };
    const { no, wt } = f;
    if (no < METRIC.length ? METRIC[no] !== wt : false) compat &= ~M;
    if (no < LOG.length ? LOG[no] !== wt : false) compat &= ~L;
    if (no < SPAN.length ? SPAN[no] !== wt : false) compat &= ~T;
    if (wt !== LEN) {
      if ((no === 1 || no === 11) && wt === 1) logShape = true;
      if (no === 2 && wt === 0) logShape = true;
      continue;
    }
    const len = f.end - f.start;
    if (no === 1) {
      name = true;
      if (len === 16) traceId = true;
    } else if (no === 2 && len === 8) spanId = true;
    else if (no === 5 || no === 7 || no === 9 || no === 10 || no === 11) {
      if (wellFormed(buf, f.start, f.end)) data = true;
    }
  }
  let evidence = 0;
  if (name && data) evidence |= M;
  if (logShape) evidence |= L;
  if (traceId && spanId) evidence |= T;
  return { compat, evidence: evidence & compat };
}

/**
 * Guesses whether an unlabelled protobuf body is an ExportMetricsServiceRequest,
 * ExportLogsServiceRequest or ExportTraceServiceRequest from its wire shape.
 * Returns undefined when the bytes are malformed, hold no items, or the items
 * fit more than one signal. Looks at up to 32 items, so it is cheap on any size.
 */
export function sniffProtoSignal(buf: Uint8Array): Signal | undefined {
  const f: Field = { no: 0, wt: 0, start: 0, end: 0 };
  const g: Field = { no: 0, wt: 0, start: 0, end: 0 };
  const h: Field = { no: 0, wt: 0, start: 0, end: 0 };
  let compat = M | L | T;
  let evidence = 0;
  let items = 0;
  let pos = 0;
  while (pos < buf.length) {
    pos = scan(buf, pos, buf.length, f);
    if (pos < 0) return undefined;
    if (f.no !== 1 || f.wt !== LEN || items >= MAX_ITEMS) continue;
    // Resource{Metrics,Logs,Spans}: field 2 holds the Scope* messages.
    for (let p = f.start; p < f.end; ) {
      p = scan(buf, p, f.end, g);
      if (p < 0) return undefined;
      if (g.no !== 2 || g.wt !== LEN) continue;
      // Scope{Metrics,Logs,Spans}: field 2 holds the items.
      for (let q = g.start; q < g.end; ) {
        q = scan(buf, q, g.end, h);
        if (q < 0) return undefined;
        if (h.no !== 2 || h.wt !== LEN || items >= MAX_ITEMS) continue;
        items++;
        const c = classify(buf, h.start, h.end);
        compat &= c.compat;
        evidence |= c.evidence;
      }
    }
  }
  const found = compat & evidence;
  if (found === M) return 'metrics';
  if (found === L) return 'logs';
  if (found === T) return 'traces';
  return undefined;
}
