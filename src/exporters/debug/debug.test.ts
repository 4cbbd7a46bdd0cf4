import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricsBatch, TracesBatch } from '../../model/batch';
import { emptyResource, emptyScope, str } from '../../model/common';
import { silentLogger } from '../../telemetry/logger';
import { createNoopMeter } from '@opentelemetry/api';
import { debugExporterFactory, effectiveVerbosity, setDebugOutput } from './index';

const metrics: MetricsBatch = {
  signal: 'metrics',
  resourceMetrics: [
    {
      resource: { ...emptyResource(), attributes: [{ key: 'service.name', value: str('claude-code') }] },
      schemaUrl: '',
      scopeMetrics: [
        {
          scope: { ...emptyScope(), name: 'com.anthropic.claude_code', version: '2.0.0' },
          schemaUrl: '',
          metrics: [
            {
              name: 'claude_code.cost.usage', description: '', unit: 'USD', metadata: [],
              data: {
                type: 'sum', temporality: 1, isMonotonic: true,
                dataPoints: [
                  { attributes: [{ key: 'model', value: str('opus') }], startTimeMs: 1700000000000, startTimeNs: 1, timeMs: 1700000060000, timeNs: 999999, flags: 0, valueType: 'double', value: 0.5, exemplars: [] },
                  { attributes: [{ key: 'n', value: { kind: 'int', value: 3 } }], startTimeMs: 0, startTimeNs: 0, timeMs: 0, timeNs: 0, flags: 0, valueType: 'int', value: 7, exemplars: [] },
                ],
              },
            },
          ],
        },
      ],
    },
  ],
};

function capture(): { text: () => string; restore: () => void } {
  let buf = '';
  setDebugOutput({ write: (t: string) => ((buf += t), true), once: () => undefined });
  return { text: () => buf, restore: () => setDebugOutput(process.stdout) };
}

async function print(config: Record<string, unknown>, batch: MetricsBatch | TracesBatch): Promise<string> {
  const out = capture();
  try {
    const full = { sampling_initial: 2, sampling_thereafter: 1, use_internal_logger: false, ...config };
    const exp = debugExporterFactory.create(full as never, { id: 'debug', kind: 'exporter', logger: silentLogger, meter: createNoopMeter() });
    await exp.consume(batch);
    return out.text();
  } finally {
    out.restore();
  }
}

test('basic prints one summary line per batch', async () => {
  const text = await print({ verbosity: 'basic' }, metrics);
  assert.equal(text, 'Metrics: resource metrics: 1, metrics: 1, data points: 2\n');
});

test('normal prints a line per metric with its type, temporality and values', async () => {
  const text = await print({ verbosity: 'normal' }, metrics);
  const lines = text.trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[1], /^claude_code\.cost\.usage sum\(delta, monotonic\) unit=USD points=2 service\.name=claude-code \{model=opus\} 0\.5 \{n=3\} 7$/);
});

test('detailed shows every attribute with its type, exact nanosecond times, and int vs double', async () => {
  const text = await print({ verbosity: 'detailed' }, metrics);
  assert.match(text, /service\.name: Str\(claude-code\)/);
  assert.match(text, /InstrumentationScope com\.anthropic\.claude_code 2\.0\.0/);
  assert.match(text, /StartTimestamp: 1700000000000000001\n/);
  assert.match(text, /Timestamp: 1700000060000999999\n/);
  assert.match(text, /model: Str\(opus\)\n[\s\S]*Value: 0\.5\n/);
  assert.match(text, /n: Int\(3\)\n[\s\S]*Value: 7 \(int\)\n/);
});

test('the logging alias maps loglevel to a verbosity; verbosity wins', () => {
  assert.equal(effectiveVerbosity({ loglevel: 'debug' } as never), 'detailed');
  assert.equal(effectiveVerbosity({ loglevel: 'info' } as never), 'normal');
  assert.equal(effectiveVerbosity({ loglevel: 'debug', verbosity: 'basic' } as never), 'basic');
  assert.equal(effectiveVerbosity({} as never), 'basic');
});

test('sampling prints the first batches of each second, then one in N', async () => {
  const out = capture();
  try {
    const exp = debugExporterFactory.create({ verbosity: 'basic', sampling_initial: 2, sampling_thereafter: 3, use_internal_logger: false }, { id: 'debug', kind: 'exporter', logger: silentLogger, meter: createNoopMeter() });
    // All in one second unless the clock ticks over; retry once if it did.
    for (let attempt = 0; attempt < 2; attempt++) {
      const start = Math.floor(Date.now() / 1000);
      const before = out.text().split('\n').length;
      for (let i = 0; i < 8; i++) await exp.consume(metrics);
      if (Math.floor(Date.now() / 1000) !== start) continue;
      // 2 initial, then batches 5 and 8 (every 3rd after the initial two).
      assert.equal(out.text().split('\n').length - before, 4);
      return;
    }
    assert.fail('the clock crossed a second boundary in both attempts');
  } finally {
    out.restore();
  }
});
