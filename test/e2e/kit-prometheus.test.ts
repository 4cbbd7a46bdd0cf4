/**
 * The kit's Prometheus files (deploy/prometheus): the scrape config and the
 * alert rules pass promtool's checks, the promtool unit tests pass, and
 * every alert has a unit test where it fires and one where it does not.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { ROOT } from './harness';

const DIR = path.join(ROOT, 'deploy', 'prometheus');
const RULES = fs.readdirSync(path.join(DIR, 'rules')).filter((f) => f.endsWith('.yml')).map((f) => path.join('rules', f));
const TESTS = fs.readdirSync(path.join(DIR, 'tests')).filter((f) => f.endsWith('.yml')).map((f) => path.join('tests', f));

function promtool(...args: string[]): { code: number | null; output: string } {
  const r = spawnSync('promtool', args, { cwd: DIR, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`cannot run promtool (run the tests with \`npm test\`, which installs it): ${r.error.message}`);
  return { code: r.status, output: r.stdout + r.stderr };
}

test('promtool check config: prometheus.yml and the rule files it loads', () => {
  const r = promtool('check', 'config', 'prometheus.yml');
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, new RegExp(`SUCCESS: ${RULES.length} rule files found`), r.output);
});

test('promtool check rules: every rule file', () => {
  assert.ok(RULES.length >= 3);
  const r = promtool('check', 'rules', ...RULES);
  assert.equal(r.code, 0, r.output);
});

test('promtool test rules: the unit tests pass', () => {
  const r = promtool('test', 'rules', ...TESTS);
  assert.equal(r.code, 0, r.output);
});

test('promtool test rules fails when an alert misbehaves (the unit tests can fail)', () => {
  // The same tests against a rule file whose cost alert never fires.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-pipeline-promtool-'));
  try {
    fs.mkdirSync(path.join(tmp, 'rules'));
    fs.mkdirSync(path.join(tmp, 'tests'));
    fs.copyFileSync(path.join(DIR, 'rules', 'budgets.yml'), path.join(tmp, 'rules', 'budgets.yml'));
    const broken = fs.readFileSync(path.join(DIR, 'rules', 'claude-code.yml'), 'utf8').replace('* 86400 > claude_code:budget_usd_per_day', '* 86400 > 1e12 * claude_code:budget_usd_per_day');
    fs.writeFileSync(path.join(tmp, 'rules', 'claude-code.yml'), broken);
    fs.copyFileSync(path.join(DIR, 'tests', 'claude-code.test.yml'), path.join(tmp, 'tests', 'claude-code.test.yml'));
    const r = spawnSync('promtool', ['test', 'rules', 'tests/claude-code.test.yml'], { cwd: tmp, encoding: 'utf8' });
    assert.notEqual(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /ClaudeCodeCostAboveBudget/);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

interface RuleFile {
  groups: Array<{ rules: Array<{ alert?: string; record?: string }> }>;
}
interface TestFile {
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }>;
}

test('every alert has a unit test where it fires and one where it does not', () => {
  const alerts = RULES.flatMap((f) => (parseYaml(fs.readFileSync(path.join(DIR, f), 'utf8')) as RuleFile).groups.flatMap((g) => g.rules.map((r) => r.alert).filter((a): a is string => !!a)));
  const expected = [
    'ClaudeCodeCostAboveBudget',
    'ClaudeCodeTokenBudget80PercentUsed',
    'OtelPipelineDown',
    'OtelPipelineRefusingData',
    'OtelPipelineExporterFailing',
    'OtelPipelineQueueAlmostFull',
    'OtelPipelineCardinalityOverflow',
    'OtelPipelineMemoryLimited',
  ];
  assert.deepEqual([...alerts].sort(), [...expected].sort());
  const cases = TESTS.flatMap((f) => (parseYaml(fs.readFileSync(path.join(DIR, f), 'utf8')) as TestFile).tests.flatMap((t) => t.alert_rule_test ?? []));
  for (const alert of alerts) {
    const mine = cases.filter((c) => c.alertname === alert);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${alert}: a test where it fires`);
    assert.ok(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${alert}: a test where it does not fire`);
  }
});
