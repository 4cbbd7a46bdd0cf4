/** The `postgres` exporter's config through the real loader: defaults, the dsn alias, load-time errors, the password kept out of printed configs, and the switched-off form. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createNoopMeter } from '@opentelemetry/api';
import { defaultRegistry } from '../../components';
import { formatProblem, loadConfig } from '../../config/load';
import { redactConfig } from '../../config/redact';
import { silentLogger } from '../../telemetry/logger';
import type { PostgresConfig } from './config';
import { postgresExporterFactory, PostgresExporter } from './index';

function load(exporter: string, env: NodeJS.ProcessEnv = {}) {
  const text = `receivers:\n  otlp:\nexporters:\n  postgres:\n${exporter}service:\n  pipelines:\n    logs: { receivers: [otlp], exporters: [postgres] }\n`;
  return loadConfig([{ name: 'test.yaml', text }], defaultRegistry(), env);
}

test('endpoint from the environment, every default filled, the password redacted when printed', () => {
  const r = load(`    endpoint: \${env:PG_URL}\n`, { PG_URL: 'postgres://otel:s3cr3t-pw@db.example.com:5432/telemetry' });
  assert.deepEqual(r.problems.map(formatProblem), []);
  const cfg = r.config!.exporters.get('postgres')!.config as PostgresConfig;
  assert.equal(cfg.endpoint, 'postgres://otel:s3cr3t-pw@db.example.com:5432/telemetry');
  assert.equal(cfg.schema, 'public');
  assert.equal(cfg.create_schema, true);
  assert.equal(cfg.pool_size, 4);
  assert.equal(cfg.partitions_ahead, 2);
  assert.equal(cfg.retention, 0);
  assert.equal(cfg.max_age, 30 * 86_400_000);
  assert.equal(cfg.timeout, 10_000);
  assert.equal(cfg.sending_queue.queue_size, 1000);
  const printed = JSON.stringify(redactConfig(r.config!.effective as Record<string, unknown>, defaultRegistry()));
  assert.ok(!printed.includes('s3cr3t-pw'), printed);
  assert.ok(printed.includes('postgres://otel:[REDACTED]@db.example.com:5432/telemetry'), printed);
});

test('dsn is another name for endpoint', () => {
  const r = load(`    dsn: postgresql://u@h/db\n    retention: 1d12h\n    schema: telemetry_2\n`);
  assert.deepEqual(r.problems.map(formatProblem), []);
  const cfg = r.config!.exporters.get('postgres')!.config as PostgresConfig;
  assert.equal(cfg.dsn, 'postgresql://u@h/db');
  assert.equal(cfg.retention, 36 * 3_600_000);
  assert.equal(cfg.schema, 'telemetry_2');
});

test('bad configs are refused at load with the key named', () => {
  const cases: Array<[string, RegExp]> = [
    ['    pool_size: 4\n', /postgres\.endpoint: is required/],
    ['    endpoint: mysql://u@h/db\n', /postgres\.endpoint: must start with postgres:\/\/ or postgresql:\/\/ \(got mysql:\/\/\)/],
    ['    endpoint: "db.example.com:5432"\n', /postgres\.endpoint: must/],
    ['    endpoint: "postgres:///db"\n', /postgres\.endpoint: names no host/],
    ['    endpoint: postgres://a/b\n    dsn: postgres://c/d\n', /postgres\.dsn: is another name for endpoint/],
    ['    endpoint: postgres://a/b\n    schema: "x; DROP TABLE y"\n', /postgres\.schema/],
    ['    endpoint: postgres://a/b\n    retention: 30 days\n', /postgres\.retention: must be a duration like "200ms"/],
    ['    endpoint: postgres://a/b\n    max_age: -1d\n', /postgres\.max_age/],
    ['    endpoint: postgres://a/b\n    pool_size: 0\n', /postgres\.pool_size/],
    ['    endpoint: postgres://a/b\n    partitions_ahead: 400\n', /postgres\.partitions_ahead/],
    ['    endpoint: postgres://a/b\n    bogus: 1\n', /bogus/],
  ];
  for (const [yaml, re] of cases) {
    const problems = load(yaml).problems.map(formatProblem);
    assert.ok(problems.some((p) => re.test(p)), `${JSON.stringify(yaml)} → ${JSON.stringify(problems)}`);
  }
  const secret = load('    endpoint: "mysql://u:hunter2@h/db"\n').problems.map(formatProblem).join('\n');
  assert.ok(!secret.includes('hunter2'), 'a refused URL is not echoed: it may hold a password');
});

test('an empty endpoint switches the exporter off: it loads, and counts what it is given as dropped', async () => {
  const r = load(`    endpoint: \${env:PG_URL:-}\n`);
  assert.deepEqual(r.problems.map(formatProblem), []);
  const cfg = r.config!.exporters.get('postgres')!.config as PostgresConfig;
  const warnings: string[] = [];
  const logger = { ...silentLogger, warn: (m: string) => void warnings.push(m), child: () => logger };
  const exp = postgresExporterFactory.create(cfg, { id: 'postgres', kind: 'exporter', logger, meter: createNoopMeter() });
  assert.ok(!(exp instanceof PostgresExporter));
  await exp.start();
  assert.match(warnings.join('\n'), /exporter postgres is off: endpoint is empty/);
  await exp.consume({ signal: 'logs', resourceLogs: [] });
  await exp.shutdown(Date.now() + 1000);
});
