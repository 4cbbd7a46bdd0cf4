import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultRegistry } from '../../components';
import { formatProblem, loadConfig } from '../../config/load';
import { DEFAULT_STRIP_KEYS, LimitTable } from './config';

/** Problems of a config with this processor section, as the user sees them. */
function problems(section: string): string[] {
  const yaml = `receivers:
  otlp:
processors:
  cardinality_guard:
${section}
exporters:
  debug:
service:
  pipelines:
    metrics: { receivers: [otlp], processors: [cardinality_guard], exporters: [debug] }
`;
  const r = loadConfig([{ name: 'guard.yaml', text: yaml }], defaultRegistry(), {});
  return r.problems.map(formatProblem);
}

test('defaults: 2000 per metric, 100000 in total, strip Claude Code’s per-session keys, 10m idle', () => {
  const r = loadConfig([{ name: 'g.yaml', text: 'receivers: {otlp: }\nprocessors: {cardinality_guard: }\nexporters: {debug: }\nservice: {pipelines: {metrics: {receivers: [otlp], processors: [cardinality_guard], exporters: [debug]}}}\n' }], defaultRegistry(), {});
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.config!.processors.get('cardinality_guard')!.config, {
    max_series_per_metric: 2000,
    max_series_total: 100000,
    overrides: [],
    action: 'strip',
    strip_keys: DEFAULT_STRIP_KEYS,
    idle_timeout: 600_000,
  });
});

test('bad values are reported at load, each at its key', () => {
  const cases: Array<[string, RegExp]> = [
    ['    action: truncate', /processors\.cardinality_guard\.action: must be one of "strip", "overflow", "drop"/],
    ['    max_series_per_metric: 0', /processors\.cardinality_guard\.max_series_per_metric: must be >= 1/],
    ['    max_series_total: lots', /processors\.cardinality_guard\.max_series_total: must be an integer/],
    ['    idle_timeout: soon', /processors\.cardinality_guard\.idle_timeout: must be a duration/],
    ['    idle_timeout: 0s', /processors\.cardinality_guard\.idle_timeout: must be longer than 0/],
    ['    strip_keys: []', /processors\.cardinality_guard\.strip_keys: must name at least one key/],
    ['    overrides: [{ metric: a, metric_regex: b, limit: 3 }]', /processors\.cardinality_guard\.overrides\[0\]: needs exactly one of "metric"/],
    ['    overrides: [{ limit: 3 }]', /processors\.cardinality_guard\.overrides\[0\]: needs exactly one of "metric"/],
    ['    overrides: [{ metric: a }]', /processors\.cardinality_guard\.overrides\[0\]\.limit: required key is missing/],
    ['    overrides: [{ metric_regex: "claude_code\\\\.(", limit: 3 }]', /processors\.cardinality_guard\.overrides\[0\]\.metric_regex: must match format "regex"/],
    ['    max_series: 10', /unknown key "max_series"/],
  ];
  for (const [section, expected] of cases) {
    const p = problems(section);
    assert.equal(p.length, 1, `${section}: ${p.join('\n')}`);
    assert.match(p[0], expected, section);
  }
});

test('strip_keys may be empty when the action does not strip', () => {
  assert.deepEqual(problems('    action: overflow\n    strip_keys: []'), []);
});

test('LimitTable: exact names and searched regexes, first match wins', () => {
  const t = new LimitTable(7, [{ metric: 'claude_code.cost.usage', limit: 1 }, { metric_regex: '^claude_code\\.', limit: 2 }, { metric_regex: 'usage', limit: 3 }]);
  assert.equal(t.limitFor('claude_code.cost.usage'), 1);
  assert.equal(t.limitFor('claude_code.token.usage'), 2);
  assert.equal(t.limitFor('agent.usage.total'), 3, 'unanchored: searched anywhere in the name');
  assert.equal(t.limitFor('agent.tasks'), 7);
});
