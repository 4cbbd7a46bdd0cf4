/** Reading a Prometheus text exposition in end-to-end tests: samples, labels, sums. */

/** `{a="b",c="d"}` → `{ a: 'b', c: 'd' }` (values unescaped). */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) out[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return out;
}

/** Samples of a text exposition: name, labels, value. */
export function samples(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line);
    if (m) out.push({ name: m[1], labels: parseLabels(m[2] ?? ''), value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples named `name` (or `name_total`) whose labels include every pair of `labels`. */
export function selfMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples(text)) {
    if (s.name !== name && s.name !== `${name}_total`) continue;
    if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

/** Every metric family name in an exposition (sample names, with _bucket/_sum/_count/_created kept as they appear). */
export function sampleNames(text: string): Set<string> {
  return new Set(samples(text).map((s) => s.name));
}
