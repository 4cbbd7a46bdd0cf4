/**
 * OTLP names → Prometheus names, per the OpenTelemetry "Prometheus and
 * OpenMetrics compatibility" specification: invalid characters become `_`
 * (runs collapsed), units become full-word suffixes, `_total` ends counters,
 * and attribute keys that collide after sanitising are joined with `;`.
 */
import { anyValueToString, type Attributes } from '../../model/common';

export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary';

/** UCUM-style abbreviations the spec expects spelled out. */
const UNIT_WORDS: Record<string, string> = {
  d: 'days', h: 'hours', min: 'minutes', s: 'seconds', ms: 'milliseconds', us: 'microseconds', ns: 'nanoseconds',
  By: 'bytes', KiBy: 'kibibytes', MiBy: 'mebibytes', GiBy: 'gibibytes', TiBy: 'tebibytes',
  KBy: 'kilobytes', MBy: 'megabytes', GBy: 'gigabytes', TBy: 'terabytes',
  m: 'meters', V: 'volts', A: 'amperes', J: 'joules', W: 'watts', g: 'grams', Cel: 'celsius', Hz: 'hertz', '%': 'percent',
};

/** The denominator of "x/y" units, singular. */
const PER_WORDS: Record<string, string> = { s: 'second', m: 'minute', h: 'hour', d: 'day', w: 'week', mo: 'month', y: 'year' };

/** Replaces characters outside [a-zA-Z0-9_:] with `_` and collapses runs of `_`. */
export function sanitizeMetricName(name: string): string {
  let out = name.replace(/[^a-zA-Z0-9_:]+/g, '_').replace(/__+/g, '_');
  if (out === '' || /^[0-9]/.test(out)) out = '_' + out;
  return out;
}

function unitWord(u: string): string {
  return (UNIT_WORDS[u] ?? u).replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}

/**
 * The Prometheus unit for an OTLP unit: `ms` → `milliseconds`, `By/s` →
 * `bytes_per_second`, `{request}` → '' (a count), `1` → `ratio` (gauges
 * only; a unitless count elsewhere); anything else is kept, sanitised
 * (`USD`, `tokens`).
 */
export function prometheusUnit(unit: string, type: PromType): string {
  const u = unit.replace(/\{[^}]*\}/g, '').trim();
  if (u === '') return '';
  if (u === '1') return type === 'gauge' ? 'ratio' : '';
  const slash = u.indexOf('/');
  if (slash >= 0) {
    const num = u.slice(0, slash).trim();
    const den = u.slice(slash + 1).trim();
    const a = num === '' || num === '1' ? '' : unitWord(num);
    const b = den === '' ? '' : (PER_WORDS[den] ?? unitWord(den));
    if (a === '' && b === '') return '';
    return b === '' ? a : `${a}${a ? '_' : ''}per_${b}`;
  }
  return unitWord(u);
}

export interface NamingOptions {
  namespace: string;
  addSuffixes: boolean;
}

export interface FamilyName {
  /** The family (metadata) name: unit suffix included, no `_total`. */
  family: string;
  /** The sample name for counters in the text format (`family_total`), else `family`. */
  sample: string;
  /** Prometheus unit ('' when none), for OpenMetrics `# UNIT`. */
  unit: string;
}

/**
 * Names one metric. A counter's existing `_total` is moved after the unit
 * (`x.total` + `s` → `x_seconds_total`), and a unit already in the name is
 * not repeated.
 */
export function familyName(name: string, otlpUnit: string, type: PromType, opts: NamingOptions): FamilyName {
  let base = sanitizeMetricName(opts.namespace ? `${opts.namespace}_${name}` : name);
  if (!opts.addSuffixes) return { family: base, sample: base, unit: '' };
  const unit = prometheusUnit(otlpUnit, type);
  if (type === 'counter' && base.endsWith('_total')) base = base.slice(0, -6);
  if (unit && !`_${base}_`.includes(`_${unit}_`)) base = `${base}_${unit}`;
  return { family: base, sample: type === 'counter' ? `${base}_total` : base, unit };
}

const keyCache = new Map<string, string>();

/** `[a-zA-Z_][a-zA-Z0-9_]*` with runs of `_` collapsed; a leading digit gets `key_`. */
export function sanitizeLabelKey(key: string): string {
  let out = keyCache.get(key);
  if (out !== undefined) return out;
  out = key.replace(/[^a-zA-Z0-9_]+/g, '_').replace(/__+/g, '_');
  if (out === '' || /^[0-9]/.test(out)) out = 'key_' + out;
  if (keyCache.size > 10000) keyCache.clear();
  keyCache.set(key, out);
  return out;
}

/** A label as [name, value]. */
export type Label = [string, string];

/**
 * Appends attributes as labels. Keys that sanitise to the same name are
 * joined with `;` in the lexicographic order of their original keys; keys
 * that would shadow a label already present (`job`, `otel_scope_name`, ...)
 * are skipped, since those are set by the exporter.
 */
export function appendAttributeLabels(out: Label[], attrs: Attributes, reserved: ReadonlySet<string>): void {
  const start = out.length;
  let collided = false;
  for (let i = 0; i < attrs.length; i++) {
    const name = sanitizeLabelKey(attrs[i].key);
    if (reserved.has(name)) continue;
    let j = start;
    for (; j < out.length; j++) if (out[j][0] === name) break;
    if (j < out.length) collided = true;
    out.push([name, anyValueToString(attrs[i].value)]);
  }
  if (collided) joinCollisions(out, start, attrs, reserved);
}

function joinCollisions(out: Label[], start: number, attrs: Attributes, reserved: ReadonlySet<string>): void {
  const byName = new Map<string, Array<[string, string]>>();
  for (const kv of attrs) {
    const name = sanitizeLabelKey(kv.key);
    if (reserved.has(name)) continue;
    const list = byName.get(name) ?? [];
    list.push([kv.key, anyValueToString(kv.value)]);
    byName.set(name, list);
  }
  out.length = start;
  for (const [name, list] of byName) {
    list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    out.push([name, list.map((e) => e[1]).join(';')]);
  }
}

/** A label value as the text formats write it between quotes. */
export function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

/** `{a="1",b="2"}` (values escaped), or '' for no labels. Rendered once per series, reused by every scrape. */
export function renderLabels(labels: readonly Label[]): string {
  if (labels.length === 0) return '';
  let s = '{';
  for (let i = 0; i < labels.length; i++) s += (i ? ',' : '') + labels[i][0] + '="' + escapeLabelValue(labels[i][1]) + '"';
  return s + '}';
}
