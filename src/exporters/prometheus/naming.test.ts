import { test } from 'node:test';
import assert from 'node:assert/strict';
import { str } from '../../model/common';
import { appendAttributeLabels, familyName, prometheusUnit, sanitizeLabelKey, sanitizeMetricName, type Label } from './naming';

const opts = { namespace: '', addSuffixes: true };

test("Claude Code's counters get the names users query", () => {
  assert.equal(familyName('claude_code.token.usage', 'tokens', 'counter', opts).sample, 'claude_code_token_usage_tokens_total');
  assert.equal(familyName('claude_code.cost.usage', 'USD', 'counter', opts).sample, 'claude_code_cost_usage_USD_total');
  assert.equal(familyName('claude_code.session.count', '', 'counter', opts).sample, 'claude_code_session_count_total');
  assert.equal(familyName('claude_code.active_time.total', 's', 'counter', opts).sample, 'claude_code_active_time_seconds_total');
  assert.equal(familyName('claude_code.lines_of_code.count', '', 'counter', opts).sample, 'claude_code_lines_of_code_count_total');
});

test('units: abbreviations spelled out, braces dropped, ratio only for gauges, per-units', () => {
  assert.equal(prometheusUnit('s', 'histogram'), 'seconds');
  assert.equal(prometheusUnit('ms', 'histogram'), 'milliseconds');
  assert.equal(prometheusUnit('By', 'gauge'), 'bytes');
  assert.equal(prometheusUnit('1', 'gauge'), 'ratio');
  assert.equal(prometheusUnit('1', 'counter'), '');
  assert.equal(prometheusUnit('{request}', 'counter'), '');
  assert.equal(prometheusUnit('By/s', 'gauge'), 'bytes_per_second');
  assert.equal(prometheusUnit('{packet}/s', 'gauge'), 'per_second');
  assert.equal(prometheusUnit('USD', 'counter'), 'USD');
  assert.equal(familyName('http.server.duration', 'ms', 'histogram', opts).family, 'http_server_duration_milliseconds');
  assert.equal(familyName('memory.utilization', '1', 'gauge', opts).family, 'memory_utilization_ratio');
  assert.equal(familyName('request_duration_seconds', 's', 'histogram', opts).family, 'request_duration_seconds', 'a unit already in the name is not repeated');
});

test('names: invalid characters become _, runs collapse; namespace and suffix switch', () => {
  assert.equal(sanitizeMetricName('a.b-c//d'), 'a_b_c_d');
  assert.equal(sanitizeMetricName('9lives'), '_9lives');
  assert.equal(familyName('x.y', 'tokens', 'counter', { namespace: 'cc', addSuffixes: true }).sample, 'cc_x_y_tokens_total');
  assert.deepEqual(familyName('x.y', 'tokens', 'counter', { namespace: '', addSuffixes: false }), { family: 'x_y', sample: 'x_y', unit: '' });
});

test('label keys are sanitised; colliding keys join their values with ; in key order', () => {
  assert.equal(sanitizeLabelKey('session.id'), 'session_id');
  assert.equal(sanitizeLabelKey('2fa'), 'key_2fa');
  const out: Label[] = [];
  appendAttributeLabels(out, [{ key: 'a_b', value: str('2') }, { key: 'a.b', value: str('1') }, { key: 'c', value: { kind: 'int', value: 3 } }], new Set());
  assert.deepEqual(out, [['a_b', '1;2'], ['c', '3']]);
  const skipped: Label[] = [];
  appendAttributeLabels(skipped, [{ key: 'job', value: str('mine') }, { key: 'x', value: str('y') }], new Set(['job']));
  assert.deepEqual(skipped, [['x', 'y']], 'attributes cannot overwrite labels the exporter sets');
});
