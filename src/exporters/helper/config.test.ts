import { test } from 'node:test';
import assert from 'node:assert/strict';
import { object } from '../../config/schema';
import { formatProblem, loadConfig } from '../../config/load';
import { otlpReceiver } from '../../config/testkit';
import type { ExporterFactory } from '../../pipeline/component';
import { Registry } from '../../pipeline/registry';
import { helperSchemaProperties, validateHelperConfig, type HelperConfig } from './index';

/** A stand-in push exporter whose schema is only the shared keys. */
const pushExporter: ExporterFactory<HelperConfig> = {
  kind: 'exporter',
  type: 'push',
  description: 'test exporter built on the helper schema',
  stability: { logs: 'alpha' },
  mutatesData: false,
  schema: object(helperSchemaProperties({ timeout: '10s' })),
  validate: validateHelperConfig,
  create: () => {
    throw new Error('not for running');
  },
};

function load(exporterYaml: string) {
  const text = `receivers:\n  otlp:\nexporters:\n  push:\n${exporterYaml}\nservice:\n  pipelines:\n    logs:\n      receivers: [otlp]\n      exporters: [push]\n`;
  return loadConfig([{ name: 'test.yaml', text }], new Registry([otlpReceiver, pushExporter]), {});
}

test('defaults match the Go exporterhelper, parsed to ms and bytes; the exporter picks its timeout default', () => {
  const r = load('    sending_queue:\n      storage:\n        directory: /tmp/q');
  assert.deepEqual(r.problems.map(formatProblem), []);
  const c = r.config!.exporters.get('push')!.config as HelperConfig;
  assert.deepEqual(c, {
    timeout: 10000,
    retry_on_failure: { enabled: true, initial_interval: 5000, max_interval: 30000, max_elapsed_time: 300000, multiplier: 1.5, randomization_factor: 0.5 },
    sending_queue: { enabled: true, num_consumers: 10, queue_size: 1000, sizer: 'requests', block_on_overflow: false, storage: { directory: '/tmp/q', max_size: 256 * 1024 * 1024 } },
  });
});

test('written values are parsed: durations, sizes, max_elapsed_time 0', () => {
  const r = load('    timeout: 2s\n    retry_on_failure:\n      initial_interval: 100ms\n      max_interval: 1m\n      max_elapsed_time: 0\n    sending_queue:\n      sizer: items\n      queue_size: 50000\n      storage: { directory: q, max_size: 1GiB }');
  assert.deepEqual(r.problems.map(formatProblem), []);
  const c = r.config!.exporters.get('push')!.config as HelperConfig;
  assert.equal(c.timeout, 2000);
  assert.equal(c.retry_on_failure.initial_interval, 100);
  assert.equal(c.retry_on_failure.max_interval, 60000);
  assert.equal(c.retry_on_failure.max_elapsed_time, 0);
  assert.equal(c.sending_queue.sizer, 'items');
  assert.equal(c.sending_queue.storage?.max_size, 1024 ** 3);
});

test('bad values are refused at load, each with its path', () => {
  const cases: Array<[string, RegExp]> = [
    ['    retry_on_failure:\n      initial_interval: 1m\n      max_interval: 10s', /retry_on_failure.*initial_interval.*must not exceed max_interval/],
    ['    sending_queue:\n      enabled: false\n      storage: { directory: q }', /sending_queue.*storage.*enabled/],
    ['    sending_queue:\n      sizer: bytes', /sizer/],
    ['    sending_queue:\n      num_consumers: 0', /num_consumers/],
    ['    sending_queue:\n      storage: { max_size: 1MiB }', /directory/],
    ['    retry_on_failure:\n      multiplier: 0.5', /multiplier/],
    ['    timeout: soon', /timeout/],
  ];
  for (const [yaml, expected] of cases) {
    const problems = load(yaml).problems.map(formatProblem);
    assert.ok(problems.some((p) => expected.test(p)), `${yaml}\n→ ${problems.join('\n')}`);
  }
});
