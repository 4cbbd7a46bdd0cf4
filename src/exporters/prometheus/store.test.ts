import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyScope, str, type KeyValue } from '../../model/common';
import type { MetricData, ResourceMetrics } from '../../model/metrics';
import { render } from './exposition';
import { SeriesStore, type Conflict } from './store';

function rm(data: MetricData, opts: { name?: string; unit?: string; attrs?: KeyValue[]; resource?: KeyValue[] } = {}): ResourceMetrics[] {
  return [
    {
      resource: { attributes: opts.resource ?? [{ key: 'service.name', value: str('claude-code') }, { key: 'host.arch', value: str('x64') }], droppedAttributesCount: 0, entityRefs: [] },
      schemaUrl: '',
      scopeMetrics: [{ scope: { ...emptyScope(), name: 'com.anthropic.claude_code', version: '2.0.0' }, schemaUrl: '', metrics: [{ name: opts.name ?? 'claude_code.token.usage', description: 'Number of tokens used', unit: opts.unit ?? 'tokens', metadata: [], data }] }],
    },
  ];
}

const attrs = (type: string): KeyValue[] => [{ key: 'type', value: str(type) }, { key: 'model', value: str('opus') }];

function sum(values: Array<[number, string]>, temporality: number, startMs = 1000, monotonic = true): MetricData {
  return {
    type: 'sum', temporality, isMonotonic: monotonic,
    dataPoints: values.map(([v, t]) => ({ attributes: attrs(t), startTimeMs: startMs, startTimeNs: 0, timeMs: startMs + 60000, timeNs: 0, flags: 0, valueType: 'double' as const, value: v, exemplars: [] })),
  };
}

function store(conflicts: Conflict[] = [], expirationMs = 300_000): SeriesStore {
  return new SeriesStore({ naming: { namespace: '', addSuffixes: true }, constLabels: [], resourceToLabels: false, expirationMs }, (c) => conflicts.push(c));
}

/** The value of the one sample line whose name and labels contain every given fragment. */
function sample(text: string, name: string, ...fragments: string[]): number {
  const lines = text.split('\n').filter((l) => l.startsWith(name + '{') && fragments.every((f) => l.includes(f)));
  assert.equal(lines.length, 1, `one ${name} line with ${fragments.join(',')} in:\n${text}`);
  return Number(lines[0].slice(lines[0].lastIndexOf(' ') + 1));
}

test('delta points add up, from any number of senders and whatever their start times', () => {
  const s = store();
  s.ingest(rm(sum([[100, 'input'], [10, 'output']], 1, 1000)));
  s.ingest(rm(sum([[50, 'input']], 1, 500))); // an older start time: still adds
  s.ingest(rm(sum([[50, 'input']], 1, 500))); // a duplicate-looking point: still adds
  s.ingest(rm(sum([[7, 'output']], 1, 9000))); // a second client, same attributes
  const text = render(s, { openMetrics: false, sendTimestamps: false });
  assert.equal(sample(text, 'claude_code_token_usage_tokens_total', 'type="input"'), 200);
  assert.equal(sample(text, 'claude_code_token_usage_tokens_total', 'type="output"'), 17);
  assert.match(text, /# TYPE claude_code_token_usage_tokens_total counter/);
  assert.match(text, /otel_scope_name="com.anthropic.claude_code",otel_scope_version="2.0.0"/);
  assert.match(text, /job="claude-code"/);
  assert.match(text, /^target_info\{job="claude-code",instance="",host_arch="x64"\} 1$/m);
});

test('non-monotonic delta sums give the net value as a gauge', () => {
  const s = store();
  s.ingest(rm(sum([[5, 'a']], 1, 1000, false), { name: 'queue.depth', unit: '{item}' }));
  s.ingest(rm(sum([[-3, 'a']], 1, 1000, false), { name: 'queue.depth', unit: '{item}' }));
  const text = render(s, { openMetrics: false, sendTimestamps: false });
  assert.match(text, /# TYPE queue_depth gauge/);
  assert.equal(sample(text, 'queue_depth', 'type="a"'), 2);
});

test('cumulative: last value wins; a start time that moves on is a reset', () => {
  const s = store();
  s.ingest(rm(sum([[10, 'input']], 2, 1000)));
  s.ingest(rm(sum([[25, 'input']], 2, 1000)));
  assert.equal(sample(render(s, { openMetrics: false, sendTimestamps: false }), 'claude_code_token_usage_tokens_total', 'type="input"'), 25);
  s.ingest(rm(sum([[3, 'input']], 2, 5000)));
  const om = render(s, { openMetrics: true, sendTimestamps: false });
  assert.equal(sample(om, 'claude_code_token_usage_tokens_total', 'type="input"'), 3);
  assert.equal(sample(om, 'claude_code_token_usage_tokens_created', 'type="input"'), 5, '_created moved to the new start');
});

test('delta histograms accumulate bucket by bucket; classic exposition is cumulative with +Inf', () => {
  const s = store();
  const h = (counts: number[], sumv: number): MetricData => ({
    type: 'histogram', temporality: 1,
    dataPoints: [{ attributes: attrs('x'), startTimeMs: 1, startTimeNs: 0, timeMs: 2, timeNs: 0, flags: 0, count: counts.reduce((a, b) => a + b, 0), sum: sumv, bucketCounts: counts, explicitBounds: [10, 100], exemplars: [], min: undefined, max: undefined }],
  });
  s.ingest(rm(h([1, 2, 3], 500), { name: 'task.duration', unit: 'ms' }));
  s.ingest(rm(h([4, 0, 1], 200), { name: 'task.duration', unit: 'ms' }));
  const text = render(s, { openMetrics: false, sendTimestamps: false });
  assert.equal(sample(text, 'task_duration_milliseconds_bucket', 'le="10"'), 5);
  assert.equal(sample(text, 'task_duration_milliseconds_bucket', 'le="100"'), 7);
  assert.equal(sample(text, 'task_duration_milliseconds_bucket', 'le="+Inf"'), 11);
  assert.equal(sample(text, 'task_duration_milliseconds_count', 'type="x"'), 11);
  assert.equal(sample(text, 'task_duration_milliseconds_sum', 'type="x"'), 700);
});

test('exponential histograms become classic buckets from their scale, merging deltas across scales', () => {
  const s = store();
  const e = (scale: number, offset: number, counts: number[], zero: number): MetricData => ({
    type: 'exponentialHistogram', temporality: 1,
    dataPoints: [{ attributes: [], startTimeMs: 1, startTimeNs: 0, timeMs: 2, timeNs: 0, flags: 0, count: counts.reduce((a, b) => a + b, zero), sum: 10, scale, zeroCount: zero, positive: { offset, bucketCounts: counts }, negative: { offset: 0, bucketCounts: [] }, exemplars: [], min: undefined, max: undefined, zeroThreshold: 0 }],
  });
  // scale 1: base √2; bucket i covers (√2^i, √2^(i+1)]. Offset 0: (1, 1.414], (1.414, 2].
  s.ingest(rm(e(1, 0, [1, 2], 1), { name: 'latency', unit: 's' }));
  // scale 0: base 2; offset 0: (1, 2], (2, 4]. Merged at scale 0: (1,2] gets 1+2+3, (2,4] gets 4.
  s.ingest(rm(e(0, 0, [3, 4], 0), { name: 'latency', unit: 's' }));
  const text = render(s, { openMetrics: false, sendTimestamps: false });
  assert.equal(sample(text, 'latency_seconds_bucket', 'le="0"'), 1);
  assert.equal(sample(text, 'latency_seconds_bucket', 'le="2"'), 7);
  assert.equal(sample(text, 'latency_seconds_bucket', 'le="4"'), 11);
  assert.equal(sample(text, 'latency_seconds_bucket', 'le="+Inf"'), 11);
  assert.equal(sample(text, 'latency_seconds_count', ''), 11);
});

test('a name registered with another type keeps the first and reports the conflict', () => {
  const conflicts: Conflict[] = [];
  const s = store(conflicts);
  s.ingest(rm(sum([[1, 'a']], 1), { name: 'jobs', unit: '' }));
  s.ingest(rm(sum([[1, 'a']], 1, 1000, false), { name: 'jobs_total', unit: '' })); // a gauge named like the counter
  s.ingest(rm({ type: 'gauge', dataPoints: [{ attributes: [], startTimeMs: 0, startTimeNs: 0, timeMs: 1, timeNs: 0, flags: 0, valueType: 'double', value: 1, exemplars: [] }] }, { name: 'jobs', unit: '' }));
  assert.deepEqual(conflicts.map((c) => c.name), ['jobs_total', 'jobs']);
  const text = render(s, { openMetrics: false, sendTimestamps: false });
  assert.match(text, /# TYPE jobs_total counter/);
  assert.equal(sample(text, 'jobs_total', 'type="a"'), 1);
});

test('expiry removes idle series, their memory and their target_info; fresh series stay', () => {
  const s = store([], 1000);
  s.ingest(rm(sum([[1, 'old']], 1)), 0);
  s.ingest(rm(sum([[1, 'new']], 1), { resource: [{ key: 'service.name', value: str('other') }, { key: 'team', value: str('x') }] }), 900);
  assert.equal(s.seriesCount, 2);
  assert.equal(s.targets.size, 2);
  assert.equal(s.expire(1500), 1);
  assert.equal(s.seriesCount, 1);
  assert.deepEqual([...s.targets.values()].map((t) => t.labels), ['{job="other",instance="",team="x"}']);
  assert.equal(s.expire(2500), 1);
  assert.equal(s.families.size, 0);
  assert.equal(s.targets.size, 0);
});

test('expiry stays exact across days of uptime, when the store moves its time base', () => {
  const day = 86_400_000;
  const t0 = 1_700_000_000_000;
  const s = store([], 2 * day);
  s.ingest(rm(sum([[1, 'a']], 1)), t0);
  s.ingest(rm(sum([[1, 'b']], 1)), t0 + 5 * day);
  // Past the ~6-day rebase point: 'a' (idle 7 days) goes, 'b' (idle 2 days less 1 ms) stays.
  assert.equal(s.expire(t0 + 7 * day - 1), 1);
  assert.equal(sample(render(s, { openMetrics: false, sendTimestamps: false }), 'claude_code_token_usage_tokens_total', 'type="b"'), 1);
  s.ingest(rm(sum([[2, 'b']], 1)), t0 + 8 * day);
  assert.equal(s.expire(t0 + 10 * day), 0, 'updated exactly one expiration ago: kept');
  assert.equal(s.expire(t0 + 10 * day + 1), 1);
  assert.equal(s.seriesCount, 0);
});

test('a store told not to keep point times and starts shows neither, and the same values', () => {
  const opts = { naming: { namespace: '', addSuffixes: true }, constLabels: [], resourceToLabels: false, expirationMs: 300_000 };
  const keeping = new SeriesStore(opts, () => undefined);
  const lean = new SeriesStore({ ...opts, timestamps: false, created: false }, () => undefined);
  for (const st of [keeping, lean]) {
    st.ingest(rm(sum([[4, 'input']], 1, 1000)));
    st.ingest(rm(sum([[9, 'input']], 2, 3000), { name: 'cumulative' }));
  }
  const full = render(keeping, { openMetrics: true, sendTimestamps: true });
  const bare = render(lean, { openMetrics: true, sendTimestamps: true });
  // sum() puts every point at start + 60 s.
  assert.match(full, /^claude_code_token_usage_tokens_total\{[^}]*\} 4 61\.000$/m);
  assert.match(full, /^claude_code_token_usage_tokens_created\{[^}]*\} 1\.000$/m);
  assert.match(full, /^cumulative_tokens_created\{[^}]*\} 3\.000$/m);
  assert.match(bare, /^claude_code_token_usage_tokens_total\{[^}]*\} 4$/m);
  assert.match(bare, /^cumulative_tokens_total\{[^}]*\} 9$/m);
  assert.doesNotMatch(bare, /_created/);
});

test('points flagged as having no recorded value are skipped', () => {
  const s = store();
  const d = sum([[5, 'a']], 1);
  if (d.type === 'sum') d.dataPoints[0].flags = 1;
  s.ingest(rm(d));
  assert.equal(s.seriesCount, 0);
});

test('OpenMetrics carries exemplars on counters and on the bucket they fall in; text format leaves them out', () => {
  const s = store();
  const ex = (value: number) => ({ filteredAttributes: [{ key: 'user.id', value: str('u1') }], timeMs: 1700000001234, timeNs: 0, valueType: 'double' as const, value, spanId: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), traceId: new Uint8Array(16).fill(0xab) });
  const counter = sum([[3, 'input']], 1);
  if (counter.type === 'sum') counter.dataPoints[0].exemplars = [ex(3)];
  s.ingest(rm(counter));
  s.ingest(
    rm(
      { type: 'histogram', temporality: 1, dataPoints: [{ attributes: [], startTimeMs: 1, startTimeNs: 0, timeMs: 2, timeNs: 0, flags: 0, count: 2, sum: 60, bucketCounts: [1, 1, 0], explicitBounds: [10, 100], exemplars: [ex(50)], min: undefined, max: undefined }] },
      { name: 'task.duration', unit: 'ms' },
    ),
  );
  const om = render(s, { openMetrics: true, sendTimestamps: false });
  const trace = 'ab'.repeat(16);
  assert.match(om, new RegExp(`^claude_code_token_usage_tokens_total\\{[^}]*\\} 3 # \\{trace_id="${trace}",span_id="0102030405060708",user_id="u1"\\} 3 1700000001\\.234$`, 'm'));
  assert.match(om, new RegExp(`^task_duration_milliseconds_bucket\\{[^}]*le="100"\\} 2 # \\{trace_id="${trace}",span_id="0102030405060708",user_id="u1"\\} 50 1700000001\\.234$`, 'm'));
  assert.match(om, /^task_duration_milliseconds_bucket\{[^}]*le="10"\} 1$/m, 'no exemplar on a bucket none fell in');
  assert.ok(!render(s, { openMetrics: false, sendTimestamps: false }).includes('trace_id'), 'the text format has no exemplars');
});

test('label values are written exactly, escaped and in UTF-8, on every sample of a series and its _created', () => {
  const s = store();
  const values: KeyValue[] = [
    { key: 'a', value: str('naïve ☃ 🦀') },
    { key: 'b', value: str('say "hi"\\ back\nline') },
    { key: 'c', value: str('') },
    { key: 'd', value: str('plain') },
  ];
  s.ingest(rm({
    type: 'histogram', temporality: 1,
    dataPoints: [{ attributes: values, startTimeMs: 1000, startTimeNs: 0, timeMs: 2000, timeNs: 0, flags: 0, count: 3, sum: 60, bucketCounts: [1, 2], explicitBounds: [10], exemplars: [], min: undefined, max: undefined }],
  }, { name: 'task.duration', unit: 'ms', resource: [{ key: 'service.name', value: str('sérvice') }] }));
  s.ingest(rm(sum([[4, 'input']], 1, 1000), { resource: [{ key: 'service.name', value: str('sérvice') }] }));
  const labels = '{a="naïve ☃ 🦀",b="say \\"hi\\"\\\\ back\\nline",c="",d="plain",instance="",job="sérvice",otel_scope_name="com.anthropic.claude_code",otel_scope_version="2.0.0"';
  const text = render(s, { openMetrics: true, sendTimestamps: false });
  const lines = text.split('\n');
  for (const line of [
    `task_duration_milliseconds_bucket${labels},le="10"} 1`,
    `task_duration_milliseconds_bucket${labels},le="+Inf"} 3`,
    `task_duration_milliseconds_sum${labels}} 60`,
    `task_duration_milliseconds_count${labels}} 3`,
    `task_duration_milliseconds_created${labels}} 1.000`,
    'claude_code_token_usage_tokens_total{instance="",job="sérvice",model="opus",otel_scope_name="com.anthropic.claude_code",otel_scope_version="2.0.0",type="input"} 4',
  ]) assert.ok(lines.includes(line), `${line}\nin:\n${text}`);
});
