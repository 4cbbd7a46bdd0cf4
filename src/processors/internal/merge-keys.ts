/**
 * Identity keys for the metric merger: one string per attribute list, per
 * scope and per metric, unambiguous (every variable part is length-prefixed)
 * and independent of attribute order.
 */
import { anyValueToString, type AnyValue, type Attributes, type KeyValue } from '../../model/common';
import type { Metric } from '../../model/metrics';

const TAG: Record<AnyValue['kind'], string> = {
  string: 's',
  bool: 'b',
  int: 'i',
  double: 'd',
  bytes: 'y',
  array: 'a',
  kvlist: 'm',
  empty: 'e',
};

/** Reused for sorting so a key costs no array allocation (stale entries past the current length are harmless). */
const scratch: KeyValue[] = [];

function part(kv: KeyValue): string {
  const v = kv.value;
  const text = v.kind === 'string' ? v.value : anyValueToString(v);
  return kv.key.length + ':' + kv.key + TAG[v.kind] + text.length + ':' + text;
}

/**
 * The attribute list as a key: the same for the same set of key/value pairs
 * in any order; int 1, double 1 and string "1" differ (they are different
 * OTLP identities).
 */
export function attributesKey(attrs: Attributes): string {
  const n = attrs.length;
  if (n === 0) return '';
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if (attrs[i - 1].key > attrs[i].key) {
      sorted = false;
      break;
    }
  }
  let s = '';
  if (sorted) {
    for (let i = 0; i < n; i++) s += part(attrs[i]);
    return s;
  }
  // Insertion sort by key: attribute lists are short.
  for (let i = 0; i < n; i++) {
    const kv = attrs[i];
    let j = i - 1;
    while (j >= 0 && scratch[j].key > kv.key) {
      scratch[j + 1] = scratch[j];
      j--;
    }
    scratch[j + 1] = kv;
  }
  for (let i = 0; i < n; i++) s += part(scratch[i]);
  return s;
}

/** Scope identity: name and version. */
export function scopeKey(name: string, version: string): string {
  return `${name.length}:${name}${version.length}:${version}`;
}

/**
 * Metric identity: name, type, unit, temporality and monotonicity (two
 * metrics that differ in any of them are different streams even with the same
 * name, and must not be merged).
 */
export function metricKey(m: Metric): string {
  const d = m.data;
  const temporality = d.type === 'sum' || d.type === 'histogram' || d.type === 'exponentialHistogram' ? d.temporality : 0;
  const mono = d.type === 'sum' && d.isMonotonic ? 1 : 0;
  return `${m.name.length}:${m.name}${m.unit.length}:${m.unit}${d.type}/${temporality}/${mono}|`;
}

/** Joins keys of a hierarchy into one unambiguous key. */
export function joinKeys(a: string, b: string): string {
  return `${a.length}:${a}${b}`;
}
