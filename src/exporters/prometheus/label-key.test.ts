import { test } from 'node:test';
import assert from 'node:assert/strict';
import { str, type AnyValue, type KeyValue } from '../../model/common';
import { fullLabels, generalKey, KeyPlan, ScopeLabels } from './label-key';
import { hashText, SeriesIndex, slot } from './series-index';
import { newSeries, type Series } from './state';
import type { Label } from './naming';

const RESERVED = new Set(['job', 'instance', 'otel_scope_name', 'otel_scope_version', 'env']);
const SCOPE: Label[] = [['job', 'claude-code'], ['instance', 'host-1'], ['env', 'prod'], ['otel_scope_name', 'com.anthropic.claude_code']];

test('a planned key is the sorted, escaped label set', () => {
  const scope = new ScopeLabels(SCOPE, RESERVED);
  const attrs: KeyValue[] = [
    { key: 'type', value: str('in"put') },
    { key: 'model', value: str('opus\\4\n') },
    { key: 'session.id', value: str('s-1') },
  ];
  assert.equal(
    scope.key(attrs),
    '{env="prod",instance="host-1",job="claude-code",model="opus\\\\4\\n",otel_scope_name="com.anthropic.claude_code",session_id="s-1",type="in\\"put"}',
  );
  assert.equal(new ScopeLabels([], RESERVED).key([]), '');
  assert.equal(new ScopeLabels([], RESERVED).key([{ key: 'a', value: str('1') }]), '{a="1"}');
  assert.equal(new ScopeLabels([['job', 'j']], RESERVED).key([]), '{job="j"}');
});

/** A small deterministic generator, so a failure names a reproducible case. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

test('for every attribute shape the plan gives exactly what the general way gives', () => {
  const rand = rng(42);
  // Keys that sanitise alike (a.b / a_b / a-b), that are reserved (job, env),
  // that start with a digit, and ordinary ones; values of every kind, with
  // characters that need escaping.
  const keys = ['a.b', 'a_b', 'a-b', 'job', 'env', '1st', 'model', 'type', 'session.id', 'zeta', 'Upper', ''];
  const values: AnyValue[] = [
    str('plain'), str(''), str('q"uote'), str('back\\slash'), str('new\nline'), str('ünï'),
    { kind: 'int', value: 42 }, { kind: 'int', value: 2n ** 60n }, { kind: 'double', value: 1.5 }, { kind: 'bool', value: true },
    { kind: 'bytes', value: new Uint8Array([1, 2, 255]) }, { kind: 'array', value: [str('x'), { kind: 'int', value: 1 }] },
    { kind: 'kvlist', value: [{ key: 'k', value: str('v') }] }, { kind: 'empty' },
  ];
  const scopes: Label[][] = [SCOPE, [], [['job', 'j"1'], ['instance', '']], [['job', 'j'], ['model', 'from-resource']]];
  let checked = 0;
  for (const scopeLabels of scopes) {
    const scope = new ScopeLabels(scopeLabels, RESERVED);
    // Several points per shape (the plan's fast case), then a new shape.
    for (let shape = 0; shape < 150; shape++) {
      const n = Math.floor(rand() * 5);
      const shapeKeys = Array.from({ length: n }, () => keys[Math.floor(rand() * keys.length)]);
      for (let point = 0; point < 4; point++) {
        const attrs: KeyValue[] = shapeKeys.map((key) => ({ key, value: values[Math.floor(rand() * values.length)] }));
        const expected = generalKey(scopeLabels, attrs, RESERVED);
        assert.equal(scope.key(attrs), expected, JSON.stringify({ scopeLabels, attrs }, (_, v) => (typeof v === 'bigint' ? String(v) : v)));
        // A series made through a plan must be found by the general way (and the reverse): same hash.
        const plan = new KeyPlan(scopeLabels, attrs, RESERVED);
        if (plan.pieces !== undefined) assert.equal(plan.hash(attrs), hashText(0, expected));
        checked++;
      }
    }
  }
  assert.equal(checked, 4 * 150 * 4);
});

/** The series in `index` whose whole label set is `labels`, looked up by its hash. */
function findByLabels(index: SeriesIndex, labels: string): Series | undefined {
  for (let s = index.first(slot(hashText(0, labels))); s !== undefined; s = s.next) if (fullLabels(s) === labels) return s;
  return undefined;
}

test('find gives one series per label set, whatever the attribute order, and tells apart series whose hashes collide', () => {
  const index = new SeriesIndex();
  const scope = new ScopeLabels(SCOPE, RESERVED);
  const target = { key: 'j\xffi', labels: '', series: 0 };
  const add = (attrs: KeyValue[]) => {
    assert.equal(scope.find(index, attrs), undefined);
    const s = newSeries(scope.missingLabels(), scope.missPlan, target, 0);
    index.add(scope.missSlot, s);
    return s;
  };
  const a = add([{ key: 'model', value: str('opus') }, { key: 'type', value: str('in"put') }]);
  const b = add([{ key: 'model', value: str('sonnet') }, { key: 'type', value: str('in"put') }]);
  assert.equal(a.labels, 'opus\nin\\"put\n', 'a planned series stores only its values');
  assert.equal(fullLabels(a), '{env="prod",instance="host-1",job="claude-code",model="opus",otel_scope_name="com.anthropic.claude_code",type="in\\"put"}');
  assert.notEqual(fullLabels(a), fullLabels(b));
  assert.equal(scope.find(index, [{ key: 'type', value: str('in"put') }, { key: 'model', value: str('opus') }]), a, 'same labels in another order');
  assert.equal(scope.find(index, [{ key: 'model', value: str('sonnet') }, { key: 'type', value: str('in"put') }]), b);
  assert.equal(scope.find(index, [{ key: 'model', value: str('opus') }, { key: 'type', value: str('input') }]), undefined, 'the escaped quote counts');
  // A colliding series put on a's chain by force: each is still found by its own labels only.
  const c = newSeries('{other="x"}', undefined, target, 0);
  const aSlot = slot(hashText(0, fullLabels(a)));
  index.add(aSlot, c);
  assert.equal(index.first(aSlot), c, 'c heads the chain, a behind it');
  assert.equal(scope.find(index, [{ key: 'model', value: str('opus') }, { key: 'type', value: str('in"put') }]), a);
  assert.equal(findByLabels(index, fullLabels(a)), a);
  assert.equal(index.size, 3);
  assert.equal(index.removeWhere((s) => s === a, () => undefined), 1);
  assert.equal(findByLabels(index, fullLabels(a)), undefined);
  assert.equal(index.first(aSlot), c, 'c stays when a leaves its chain');
  assert.equal(c.next, undefined);
  assert.deepEqual([...index.values()].sort((x, y) => (x.labels < y.labels ? -1 : 1)), [b, c].sort((x, y) => (x.labels < y.labels ? -1 : 1)));
});

test('a series is found through a rebuilt plan, through another scope rendering the same label set, and by the general way', () => {
  const index = new SeriesIndex();
  const target = { key: 'j\xffi', labels: '', series: 0 };
  const attrs: KeyValue[] = [{ key: 'model', value: str('opus') }, { key: 'x', value: str('1') }];
  const first = new ScopeLabels([['job', 'j']], RESERVED);
  assert.equal(first.find(index, attrs), undefined);
  const s = newSeries(first.missingLabels(), first.missPlan, target, 0);
  index.add(first.missSlot, s);
  const form = s.plan;
  // The same scope labels in a new ScopeLabels: a new plan of the same shape takes the series over.
  const again = new ScopeLabels([['job', 'j']], RESERVED);
  assert.equal(again.find(index, attrs), s);
  assert.notEqual(s.plan, form, 'the new plan took over');
  assert.equal(fullLabels(s), '{job="j",model="opus",x="1"}');
  // A scope holding x as a constant label: other pieces, the same label set.
  const withX = new ScopeLabels([['job', 'j'], ['x', '1']], RESERVED);
  assert.equal(withX.find(index, [{ key: 'model', value: str('opus') }]), s);
  assert.equal(withX.find(index, [{ key: 'model', value: str('sonnet') }]), undefined);
  // Keys colliding after sanitising take the general way, which compares whole label sets.
  const general = new ScopeLabels([['job', 'j'], ['model', 'opus'], ['x', '1']], RESERVED);
  const colliding: KeyValue[] = [{ key: 'a.b', value: str('1') }, { key: 'a_b', value: str('2') }];
  assert.equal(general.find(index, colliding), undefined);
  const g = newSeries(general.missingLabels(), general.missPlan, target, 0);
  assert.equal(g.plan, undefined, 'the general way stores the whole set');
  index.add(general.missSlot, g);
  assert.equal(fullLabels(g), '{a_b="1;2",job="j",model="opus",x="1"}');
  const planned = new ScopeLabels([['job', 'j'], ['model', 'opus'], ['x', '1']], RESERVED);
  assert.equal(planned.find(index, [{ key: 'a_b', value: str('1;2') }]), g, 'a plan finds a series the general way made');
  assert.equal(general.find(index, colliding), g);
});

test("a plan's value-only comparison tells apart label sets whose values differ only in where one ends", () => {
  // Values from a tiny alphabet with the characters escaping touches, so
  // many pairs have the same total length with different boundaries.
  const alphabet = ['', 'a', '\\', '"', 'a"', '\\\\', 'ab'];
  const plan = new KeyPlan([['job', 'j']], [{ key: 'x', value: str('') }, { key: 'y', value: str('') }, { key: 'z', value: str('') }], RESERVED);
  /** The whole label set and what a series stores of it. */
  const rendered = (x: string, y: string, z: string): { labels: string; own: string } => {
    const attrs = [{ key: 'x', value: str(x) }, { key: 'y', value: str(y) }, { key: 'z', value: str(z) }];
    plan.hash(attrs);
    return { labels: plan.render(), own: plan.own() };
  };
  const tuples: Array<[string, string, string]> = [];
  for (const x of alphabet) for (const y of alphabet) for (const z of alphabet) tuples.push([x, y, z]);
  let compared = 0;
  for (const stored of tuples) {
    const { labels, own } = rendered(...stored);
    assert.equal(plan.fill(own), labels, 'the stored values and the plan give back the label set');
    for (const probe of tuples) {
      const probeLabels = rendered(...probe).labels; // leaves the probe's values in the plan
      assert.equal(plan.sameValues(own), labels === probeLabels, `${JSON.stringify(stored)} vs ${JSON.stringify(probe)}`);
      assert.equal(plan.matches(labels), labels === probeLabels);
      compared++;
    }
  }
  assert.equal(compared, 343 * 343);
});
