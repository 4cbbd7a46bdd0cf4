import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyResource, emptyScope, str, type Attributes, type KeyValue } from '../../model/common';
import { LimitTable, type GuardAction, type LimitOverride } from './config';
import { attributesKey, Decision, DISTINCT_CAP, SeriesGuard, streamPrefix, type LimitHit } from './guard';

const STRIP = new Set(['session.id', 'user.email']);
const PREFIX = streamPrefix({ ...emptyResource(), attributes: [{ key: 'service.name', value: str('claude-code') }] }, { ...emptyScope(), name: 'com.anthropic.claude_code' });

function attrs(o: Record<string, string>): Attributes {
  return Object.entries(o).map(([key, v]): KeyValue => ({ key, value: str(v) }));
}

function guard(opts: { limit?: number; total?: number; action?: GuardAction; overrides?: LimitOverride[]; idleMs?: number } = {}, hits: LimitHit[] = []): SeriesGuard {
  return new SeriesGuard(
    { limits: new LimitTable(opts.limit ?? 3, opts.overrides ?? []), maxTotal: opts.total ?? 1000, action: opts.action ?? 'strip', stripKeys: STRIP, idleMs: opts.idleMs ?? 1000 },
    (h) => hits.push(h),
  );
}

/** Decisions for sessions s0..s(n-1) of one metric, each with `model=m`. */
function sessions(g: SeriesGuard, n: number, metric = 'tokens', now = 0, from = 0): Decision[] {
  return Array.from({ length: n }, (_, i) => g.decide(metric, PREFIX, attrs({ model: 'm', 'session.id': `s${from + i}` }), now));
}

test('attributesKey: the same whatever the order, kinds and boundaries kept apart, skipped keys left out', () => {
  assert.equal(attributesKey(attrs({ a: '1', b: '2' }), undefined), attributesKey(attrs({ b: '2', a: '1' }), undefined));
  const asInt: Attributes = [{ key: 'a', value: { kind: 'int', value: 1 } }];
  const asDouble: Attributes = [{ key: 'a', value: { kind: 'double', value: 1 } }];
  const keys = new Set([attributesKey(attrs({ a: '1' }), undefined), attributesKey(asInt, undefined), attributesKey(asDouble, undefined)]);
  assert.equal(keys.size, 3, 'string "1", int 1 and double 1 are three series');
  // A value that looks like the encoding of a further attribute cannot forge one.
  assert.notEqual(attributesKey(attrs({ a: 'x1:b' }), undefined), attributesKey(attrs({ a: 'x', b: '' }), undefined));
  assert.equal(attributesKey(attrs({ model: 'm', 'session.id': 's1', 'user.email': 'e' }), STRIP), attributesKey(attrs({ model: 'm' }), undefined));
  // The input is never reordered.
  const unsorted = attrs({ z: '1', a: '2' });
  attributesKey(unsorted, undefined);
  assert.deepEqual(unsorted.map((kv) => kv.key), ['z', 'a']);
});

test('series up to the limit are admitted; known series keep flowing past it', () => {
  const g = guard({ limit: 3, action: 'overflow' });
  assert.deepEqual(sessions(g, 5), [Decision.Keep, Decision.Keep, Decision.Keep, Decision.Overflow, Decision.Overflow]);
  assert.equal(g.seriesOf('tokens'), 3);
  assert.equal(g.trackedSeries, 3);
  assert.deepEqual(sessions(g, 3), [Decision.Keep, Decision.Keep, Decision.Keep], 'admitted series are unaffected');
  assert.deepEqual(sessions(g, 1, 'tokens', 0, 3), [Decision.Overflow], 'a turned-away series is judged again, not remembered');
  assert.equal(g.trackedSeries, 3);
});

test('drop: new series past the limit are dropped', () => {
  const g = guard({ limit: 2, action: 'drop' });
  assert.deepEqual(sessions(g, 4), [Decision.Keep, Decision.Keep, Decision.Drop, Decision.Drop]);
  assert.equal(g.trackedSeries, 2);
});

test('strip: the stripped series is admitted once and the rest merge into it; without strip keys, overflow', () => {
  const g = guard({ limit: 2 });
  assert.deepEqual(sessions(g, 6), [Decision.Keep, Decision.Keep, Decision.Strip, Decision.Strip, Decision.Strip, Decision.Strip]);
  assert.equal(g.seriesOf('tokens'), 3, 'two sessions plus one stripped series');
  // A new series that carries no strip key cannot be reduced: overflow.
  assert.equal(g.decide('tokens', PREFIX, attrs({ model: 'other' }), 0), Decision.Overflow);
  // The stripped allowance is the metric's limit again; past it, overflow.
  assert.equal(g.decide('tokens', PREFIX, attrs({ model: 'b', 'session.id': 'x' }), 0), Decision.Strip);
  assert.equal(g.decide('tokens', PREFIX, attrs({ model: 'c', 'session.id': 'y' }), 0), Decision.Overflow);
  assert.equal(g.seriesOf('tokens'), 4);
  assert.equal(g.decide('tokens', PREFIX, attrs({ model: 'b', 'session.id': 'z' }), 0), Decision.Strip, 'merges with the admitted stripped series');
});

test('strip merges into an admitted series that never had the strip keys', () => {
  const g = guard({ limit: 2 });
  assert.equal(g.decide('tokens', PREFIX, attrs({ model: 'm' }), 0), Decision.Keep);
  assert.deepEqual(sessions(g, 3), [Decision.Keep, Decision.Strip, Decision.Strip]);
  assert.equal(g.seriesOf('tokens'), 2, 'the stripped form is the already admitted {model=m}');
});

test('identity includes the resource and the scope', () => {
  const g = guard({ limit: 10 });
  const other = streamPrefix({ ...emptyResource(), attributes: [{ key: 'service.name', value: str('other') }] }, { ...emptyScope(), name: 'com.anthropic.claude_code' });
  const otherScope = streamPrefix({ ...emptyResource(), attributes: [{ key: 'service.name', value: str('claude-code') }] }, { ...emptyScope(), name: 'x' });
  for (const p of [PREFIX, other, otherScope, PREFIX]) g.decide('tokens', p, attrs({ model: 'm' }), 0);
  assert.equal(g.seriesOf('tokens'), 3);
});

test('limits are per metric name, with overrides (first match wins) and a total across metrics', () => {
  const g = guard({ limit: 2, action: 'overflow', total: 7, overrides: [{ metric: 'big', limit: 4 }, { metric_regex: '^b', limit: 1 }, { metric_regex: 'i', limit: 3 }] });
  assert.deepEqual(sessions(g, 5, 'big').filter((d) => d === Decision.Keep).length, 4, 'exact override');
  assert.deepEqual(sessions(g, 3, 'bar').filter((d) => d === Decision.Keep).length, 1, 'first matching regex');
  assert.deepEqual(sessions(g, 3, 'plain').filter((d) => d === Decision.Keep).length, 2, 'default limit');
  assert.equal(g.trackedSeries, 7);
  // The total is full: a new metric name gets the action and keeps no state.
  assert.deepEqual(sessions(g, 2, 'fresh'), [Decision.Overflow, Decision.Overflow]);
  assert.equal(g.seriesOf('fresh'), 0);
  assert.deepEqual(g.topMetrics(2), [['big', 4], ['plain', 2]]);
});

test('strip under a full total: a tracked stripped form still merges, a new one overflows', () => {
  const g = guard({ limit: 2, total: 3 });
  assert.deepEqual(sessions(g, 4), [Decision.Keep, Decision.Keep, Decision.Strip, Decision.Strip]);
  assert.equal(g.trackedSeries, 3);
  assert.equal(g.decide('tokens', PREFIX, attrs({ model: 'n', 'session.id': 'q' }), 0), Decision.Overflow);
});

test('idle series free their slots; a metric without series keeps no state', () => {
  const g = guard({ limit: 2, action: 'overflow', idleMs: 100 });
  sessions(g, 2, 'tokens', 0);
  assert.equal(sessions(g, 1, 'tokens', 50, 5)[0], Decision.Overflow);
  sessions(g, 1, 'tokens', 80, 1); // s1 seen again at t=80
  assert.equal(g.expire(150), 1, 's0 (last seen at 0) goes, s1 (80) stays');
  assert.equal(g.trackedSeries, 1);
  assert.equal(sessions(g, 1, 'tokens', 160, 5)[0], Decision.Keep, 'a freed slot admits a new series');
  assert.equal(g.expire(1000), 2);
  assert.equal(g.trackedSeries, 0);
  assert.deepEqual(g.topMetrics(5), []);
});

test('the limit warning comes once per metric and names the keys with the most distinct values', () => {
  const hits: LimitHit[] = [];
  const g = guard({ limit: 4, action: 'overflow' }, hits);
  for (let i = 0; i < 4; i++) g.decide('tokens', PREFIX, attrs({ 'session.id': `s${i}`, model: `m${i % 2}`, type: 'input' }), 0);
  assert.equal(hits.length, 0, 'reaching the limit is fine; going past it warns');
  sessions(g, 3, 'tokens', 0, 10);
  assert.equal(hits.length, 1);
  assert.deepEqual(hits[0], {
    metric: 'tokens',
    limit: 'metric',
    value: 4,
    topKeys: [
      { key: 'session.id', distinctValues: 4 },
      { key: 'model', distinctValues: 2 },
      { key: 'type', distinctValues: 1 },
    ],
  });
});

test('distinct values per key are counted up to a cap; the total limit warns once', () => {
  const hits: LimitHit[] = [];
  const g = guard({ limit: DISTINCT_CAP * 3, total: DISTINCT_CAP * 3, action: 'drop' }, hits);
  sessions(g, DISTINCT_CAP * 3 + 2);
  assert.equal(hits.length, 1);
  assert.equal(hits[0].limit, 'metric', 'the metric and total limits are equal here: the metric one is named');
  assert.deepEqual(hits[0].topKeys[0], { key: 'session.id', distinctValues: DISTINCT_CAP });
  sessions(g, 2, 'other');
  assert.equal(hits.length, 2);
  assert.deepEqual({ ...hits[1], topKeys: [] }, { metric: 'other', limit: 'total', value: DISTINCT_CAP * 3, topKeys: [] });
  sessions(g, 2, 'third');
  assert.equal(hits.length, 2, 'the total limit warns once');
});
