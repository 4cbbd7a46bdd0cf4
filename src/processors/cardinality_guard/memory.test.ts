/**
 * An adversarial stream: one million distinct `session.id` values, in 1,000
 * batches of 1,000 points, through the whole processor (guard and merger).
 * The guard must remember only the admitted series, so heap growth stays
 * under the bound the README states, and the totals stay exact.
 *
 * The test runner gives no --expose-gc, so growth is heapUsed after minus
 * before; it includes garbage not yet collected, hence the generous bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { str, type Attributes } from '../../model/common';
import type { MetricsBatch } from '../../model/batch';
import type { NumberDataPoint } from '../../model/metrics';
import { silentLogger } from '../../telemetry/logger';
import { cardinalityGuardProcessorFactory, type CardinalityGuardConfig } from './index';
import { DEFAULT_STRIP_KEYS } from './config';

const BATCHES = 1000;
const PER_BATCH = 1000;
const LIMIT = 2000;
const HEAP_BOUND = 64 * 1024 * 1024;

class Reader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
  async gauge(name: string): Promise<number | undefined> {
    const { resourceMetrics } = await this.collect();
    for (const sm of resourceMetrics.scopeMetrics) for (const m of sm.metrics) if (m.descriptor.name === name) return m.dataPoints[0]?.value as number;
    return undefined;
  }
}

const RESOURCE: Attributes = [{ key: 'service.name', value: str('claude-code') }, { key: 'os.type', value: str('linux') }];

/** Batch `b`: sessions b*PER_BATCH .. +PER_BATCH-1, each a delta of 1 with Claude Code's attributes. */
function sessions(b: number): MetricsBatch {
  const points: NumberDataPoint[] = [];
  for (let i = 0; i < PER_BATCH; i++) {
    const id = b * PER_BATCH + i;
    points.push({
      attributes: [
        { key: 'model', value: str('claude-sonnet-4-5') },
        { key: 'session.id', value: str(`0f8e${id.toString(16).padStart(8, '0')}-5a3b-4c1d-9e2f-7a6b5c4d3e2f`) },
        { key: 'type', value: str('input') },
        { key: 'user.account_uuid', value: str(`acct-${id % 5000}`) },
      ],
      startTimeMs: 1_700_000_000_000, startTimeNs: 0, timeMs: 1_700_000_060_000, timeNs: 0, flags: 0, valueType: 'double', value: 1, exemplars: [],
    });
  }
  return {
    signal: 'metrics',
    resourceMetrics: [{ resource: { attributes: RESOURCE, droppedAttributesCount: 0, entityRefs: [] }, schemaUrl: '', scopeMetrics: [{ scope: { name: 'com.anthropic.claude_code', version: '2.0.0', attributes: [], droppedAttributesCount: 0 }, schemaUrl: '', metrics: [{ name: 'claude_code.token.usage', description: '', unit: 'tokens', metadata: [], data: { type: 'sum', temporality: 1, isMonotonic: true, dataPoints: points } }] }] }],
  };
}

for (const action of ['overflow', 'strip'] as const) {
  test(`${action}: a million distinct session.id values hold ${action === 'strip' ? 'limit + 1' : 'limit'} series and < 64 MiB of heap growth`, async () => {
    const reader = new Reader();
    const meter = new MeterProvider({ readers: [reader] }).getMeter('memory');
    const config: CardinalityGuardConfig = { max_series_per_metric: LIMIT, max_series_total: 100_000, overrides: [], action, strip_keys: DEFAULT_STRIP_KEYS, idle_timeout: 600_000 };
    let points = 0;
    let total = 0;
    const proc = cardinalityGuardProcessorFactory.create(config, { id: 'cardinality_guard', kind: 'processor', logger: silentLogger, meter, signal: 'metrics', pipeline: 'metrics' }, {
      consume: async (b) => {
        if (b.signal !== 'metrics') return;
        for (const p of (b.resourceMetrics[0].scopeMetrics[0].metrics[0].data as { dataPoints: NumberDataPoint[] }).dataPoints) {
          points++;
          total += p.value as number;
        }
      },
    });
    await proc.start();
    // Warm up (code, first series) before measuring.
    await proc.consume(sessions(0));
    const before = process.memoryUsage().heapUsed;
    const t0 = Date.now();
    for (let b = 1; b < BATCHES; b++) await proc.consume(sessions(b));
    const ms = Date.now() - t0;
    const growth = process.memoryUsage().heapUsed - before;
    const tracked = await reader.gauge('otel_pipeline_cardinality_guard_tracked_series');
    await proc.shutdown(Date.now() + 1000);

    assert.ok(growth < HEAP_BOUND, `heap grew by ${(growth / 1048576).toFixed(1)} MiB (bound 64 MiB) in ${ms} ms`);
    assert.equal(tracked, action === 'strip' ? LIMIT + 1 : LIMIT, 'the admitted sessions (plus the one stripped series)');
    assert.equal(total, BATCHES * PER_BATCH, 'every delta is in the totals');
    // Batches 0 and 1 fill the limit with their 2,000 sessions; every later batch leaves as one merged point.
    assert.equal(points, LIMIT + (BATCHES - LIMIT / PER_BATCH));
    // Shown with --test-reporter=spec, for the README's figures.
    console.log(`# ${action}: ${BATCHES * PER_BATCH} points in ${ms} ms, heap growth ${(growth / 1048576).toFixed(1)} MiB`);
  });
}
