/** The limiter's states, logs and forced GCs, and the processor's refusals, with measurements the test controls. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNoopMeter } from '@opentelemetry/api';
import type { Batch, MetricsBatch } from '../../model/batch';
import { emptyResource, emptyScope } from '../../model/common';
import { formatProblem, loadConfig } from '../../config/load';
import { PipelineError } from '../../pipeline/errors';
import { Registry } from '../../pipeline/registry';
import { otlpReceiverFactory } from '../../receivers/otlp';
import { debugExporterFactory } from '../../exporters/debug';
import { createLogger, LogOutput } from '../../telemetry/logger';
import { waitFor } from '../../../test/e2e/harness';
import { MIB, processMemorySource } from './limits';
import { MemoryLimiter } from './limiter';
import { createMemoryLimiter, memoryLimiterProcessorFactory, type MemoryLimiterConfig } from './index';

function recorder() {
  const lines: Array<Record<string, any>> = [];
  return { lines, logger: createLogger(new LogOutput('debug', { write: (l) => void lines.push(JSON.parse(l)) })) };
}

const LIMITS = { hardBytes: 100 * MIB, softBytes: 80 * MIB, source: 'limit_mib' };

test('states follow usage: soft at the soft limit, hard at the hard limit, normal only below soft; each transition logged once', () => {
  const { lines, logger } = recorder();
  let usage = 10 * MIB;
  const l = new MemoryLimiter(LIMITS, { softMs: 0, hardMs: 0 }, { measure: () => usage, now: () => 0, logger });
  const seen: string[] = [];
  for (const mib of [10, 79, 80, 90, 100, 150, 99, 85, 80, 79.9, 50, 50]) {
    usage = mib * MIB;
    seen.push(l.check());
  }
  assert.deepEqual(seen, ['normal', 'normal', 'soft', 'soft', 'hard', 'hard', 'soft', 'soft', 'soft', 'normal', 'normal', 'normal']);
  const transitions = lines.map((x) => `${x.level}:${x.from}->${x.to}`);
  assert.deepEqual(transitions, ['warn:normal->soft', 'warn:soft->hard', 'warn:hard->soft', 'info:soft->normal']);
  assert.equal(lines[1].usage_mib, 100);
  assert.equal(lines[1].hard_limit_mib, 100);
  assert.equal(lines[0].soft_limit_mib, 80);
});

test('a forced GC happens only when the runtime has one, no more often than the interval, and can end the refusal at once', () => {
  const { logger } = recorder();
  let now = 0;
  let usage = 90 * MIB;
  let gcs = 0;
  const gc = () => {
    gcs++;
    usage -= 6 * MIB; // a collection that frees 6 MiB
  };
  const l = new MemoryLimiter(LIMITS, { softMs: 10_000, hardMs: 0 }, { measure: () => usage, gc, now: () => now, logger });
  assert.equal(l.check(), 'soft', '90 → 84 MiB after the GC: still above the soft limit (80)');
  assert.equal(gcs, 1, 'the first check above soft collects at once');
  now = 5_000;
  assert.equal(l.check(), 'soft');
  assert.equal(gcs, 1, 'not again within min_gc_interval_when_soft_limited');
  now = 10_000;
  assert.equal(l.check(), 'normal', '84 → 78 MiB after the second GC: below the soft limit');
  assert.equal(gcs, 2);
  usage = 120 * MIB;
  now = 10_001;
  l.check();
  l.check();
  assert.equal(gcs, 4, 'above hard, min_gc_interval_when_hard_limited 0 collects on every check');

  const noGc = new MemoryLimiter(LIMITS, { softMs: 0, hardMs: 0 }, { measure: () => 95 * MIB, now: () => 0, logger });
  assert.equal(noGc.check(), 'soft', 'without global.gc it just refuses');
});

function batch(points: number): MetricsBatch {
  const dataPoints = Array.from({ length: points }, (_, i) => ({ attributes: [], startTimeMs: 0, startTimeNs: 0, timeMs: 1, timeNs: 0, flags: 0, valueType: 'double' as const, value: i, exemplars: [] }));
  return { signal: 'metrics', resourceMetrics: [{ resource: emptyResource(), schemaUrl: '', scopeMetrics: [{ scope: emptyScope(), schemaUrl: '', metrics: [{ name: 'm', description: '', unit: '', metadata: [], data: { type: 'gauge', dataPoints } }] }] }] };
}

test('the processor refuses with a retryable OVERLOADED error while above the soft limit and recovers on its own', async () => {
  const { lines, logger } = recorder();
  let usage = 10 * MIB;
  const passed: Batch[] = [];
  const config = { check_interval: 20, limit_mib: 100, spike_limit_mib: 20, min_gc_interval_when_soft_limited: 10_000, min_gc_interval_when_hard_limited: 0 } as MemoryLimiterConfig;
  const p = createMemoryLimiter(config, { id: 'memory_limiter', kind: 'processor', logger, meter: createNoopMeter(), signal: 'metrics', pipeline: 'metrics' }, { consume: async (b) => void passed.push(b) }, { measure: () => usage, now: Date.now }, processMemorySource);
  await p.start();
  try {
    await p.consume(batch(3));
    assert.equal(passed.length, 1);

    usage = 85 * MIB;
    await waitFor(() => p.limiter!.refusing, 'the timer to notice usage above the soft limit', 5000);
    const err = await p.consume(batch(4)).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof PipelineError, String(err));
    assert.equal(err.code, 'OVERLOADED');
    assert.equal(err.retryable, true);
    assert.equal(err.retryAfterMs, 1000, 'at least a second (Retry-After is whole seconds)');
    assert.match(err.message, /memory usage 85 MiB is above the soft limit of 80 MiB/);
    assert.equal(passed.length, 1, 'nothing passed on while refusing');

    usage = 40 * MIB;
    await waitFor(() => !p.limiter!.refusing, 'recovery below the soft limit', 5000);
    await p.consume(batch(2));
    assert.equal(passed.length, 2);
    assert.deepEqual(lines.filter((l) => l.to).map((l) => l.to), ['soft', 'normal'], 'one log line per transition');
    assert.equal(lines.find((l) => l.msg === 'memory limiter started')?.hard_limit_mib, 100);
  } finally {
    await p.shutdown(Date.now() + 100);
  }
});

const registry = new Registry([otlpReceiverFactory, debugExporterFactory, memoryLimiterProcessorFactory]);
function load(body: string): { config?: MemoryLimiterConfig; problems: string[] } {
  const yaml = `receivers: { otlp: }\nexporters: { debug: }\nprocessors:\n  memory_limiter:${body}\nservice: { pipelines: { logs: { receivers: [otlp], processors: [memory_limiter], exporters: [debug] } } }\n`;
  const r = loadConfig([{ name: 'm.yaml', text: yaml }], registry, {});
  return { config: r.config?.processors.get('memory_limiter')?.config as MemoryLimiterConfig | undefined, problems: r.problems.map(formatProblem) };
}

test('config: the Go examples load; no limit, spike ≥ limit and a zero interval are refused at load', () => {
  const go = load('\n    check_interval: 1s\n    limit_mib: 4000\n    spike_limit_mib: 800');
  assert.deepEqual(go.problems, []);
  assert.equal(go.config!.check_interval, 1000);
  assert.equal(go.config!.min_gc_interval_when_soft_limited, 10_000);
  assert.deepEqual(load('\n    check_interval: 1s\n    limit_percentage: 80\n    spike_limit_percentage: 15').problems, []);
  assert.equal(load(' { limit_mib: 10 }').config!.check_interval, 1000, 'check_interval defaults to 1s');

  assert.match(load('').problems.join('\n'), /m\.yaml:\d+:\d+: processors\.memory_limiter: set limit_mib or limit_percentage/);
  assert.match(load(' { limit_mib: 0 }').problems.join('\n'), /set limit_mib or limit_percentage/);
  assert.match(load(' { limit_mib: 100, spike_limit_mib: 100 }').problems.join('\n'), /processors\.memory_limiter\.spike_limit_mib: must be less than limit_mib \(100\)/);
  assert.match(load(' { limit_percentage: 50, spike_limit_percentage: 60 }').problems.join('\n'), /spike_limit_percentage: must be less than limit_percentage \(50\)/);
  assert.match(load(' { limit_percentage: 150 }').problems.join('\n'), /limit_percentage: must be <= 100/);
  assert.match(load(' { limit_mib: 10, check_interval: 0s }').problems.join('\n'), /check_interval: must be more than 0/);
  assert.match(load(' { limit_mib: 10, ballast_size_mib: 100 }').problems.join('\n'), /unknown key "ballast_size_mib"/);
});
