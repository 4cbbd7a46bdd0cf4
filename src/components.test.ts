/**
 * The lifecycle every component must survive, run against every factory in
 * the registry: create → start → consume → shutdown, shutdown without start,
 * and shutdown twice. A new component gets this test by being listed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNoopMeter } from '@opentelemetry/api';
import { FACTORIES, defaultRegistry } from './components';
import { loadConfig } from './config/load';
import { SIGNALS, type Batch, type Signal } from './model/batch';
import { emptyResource, emptyScope, str } from './model/common';
import type { Consumer, Factory, Lifecycle, Processor } from './pipeline/component';
import { factorySignals } from './pipeline/component';
import { setDebugOutput } from './exporters/debug';
import { silentLogger } from './telemetry/logger';

/** Settings that keep a component off well-known ports and quiet. */
const OVERRIDES: Record<string, Record<string, unknown>> = {
  'receiver:otlp': { protocols: { grpc: { endpoint: '127.0.0.1:0' }, http: { endpoint: '127.0.0.1:0' } } },
  'extension:health_check': { endpoint: '127.0.0.1:0' },
  'exporter:prometheus': { endpoint: '127.0.0.1:0' },
  // A limit is required (no sensible default for every machine).
  'processor:memory_limiter': { limit_mib: 4096 },
  // Nothing listens on port 1: start must still succeed (it connects later), and one failed attempt drops the batch.
  'exporter:postgres': { endpoint: 'postgres://otel@127.0.0.1:1/otel', retry_on_failure: { enabled: false } },
};

/** The factory's config with every default filled, as the loader gives it. */
function defaults(f: Factory): unknown {
  const section = `${f.kind}s`;
  const own = { [section]: { [f.type]: OVERRIDES[`${f.kind}:${f.type}`] ?? null } };
  const signal: Signal = f.kind === 'extension' ? 'metrics' : factorySignals(f)[0];
  const r = f.kind === 'receiver' ? f.type : 'otlp';
  const e = f.kind === 'exporter' ? f.type : 'debug';
  const doc = {
    receivers: { otlp: null },
    exporters: { debug: null },
    ...own,
    ...(f.kind === 'receiver' ? { receivers: own.receivers } : {}),
    ...(f.kind === 'exporter' ? { exporters: own.exporters } : {}),
    service: {
      extensions: f.kind === 'extension' ? [f.type] : [],
      pipelines: { [signal]: { receivers: [r], processors: f.kind === 'processor' ? [f.type] : [], exporters: [e] } },
    },
  };
  const result = loadConfig([{ name: `${f.type}.yaml`, text: JSON.stringify(doc) }], defaultRegistry(), {});
  assert.deepEqual(result.problems, [], `defaults of ${f.kind} ${f.type} load`);
  return result.config![`${f.kind}s` as 'receivers'].get(f.type)!.config;
}

function sample(signal: Signal): Batch {
  const resource = { ...emptyResource(), attributes: [{ key: 'service.name', value: str('lifecycle') }] };
  switch (signal) {
    case 'metrics':
      return { signal, resourceMetrics: [{ resource, schemaUrl: '', scopeMetrics: [{ scope: emptyScope(), schemaUrl: '', metrics: [{ name: 'm', description: '', unit: '1', metadata: [], data: { type: 'gauge', dataPoints: [{ attributes: [], startTimeMs: 0, startTimeNs: 0, timeMs: 1, timeNs: 0, flags: 0, valueType: 'double', value: 1, exemplars: [] }] } }] }] }] };
    case 'logs':
      return { signal, resourceLogs: [{ resource, schemaUrl: '', scopeLogs: [{ scope: emptyScope(), schemaUrl: '', logRecords: [{ timeMs: 1, timeNs: 0, observedTimeMs: 1, observedTimeNs: 0, severityNumber: 9, severityText: 'INFO', body: str('hello'), attributes: [], droppedAttributesCount: 0, flags: 0, traceId: new Uint8Array(), spanId: new Uint8Array(), eventName: '' }] }] }] };
    case 'traces':
      return { signal, resourceSpans: [{ resource, schemaUrl: '', scopeSpans: [{ scope: emptyScope(), schemaUrl: '', spans: [{ traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2), traceState: '', parentSpanId: new Uint8Array(), flags: 0, name: 's', kind: 1, startTimeMs: 1, startTimeNs: 0, endTimeMs: 2, endTimeNs: 0, attributes: [], droppedAttributesCount: 0, events: [], droppedEventsCount: 0, links: [], droppedLinksCount: 0, status: { code: 0, message: '' } }] }] }] };
  }
}

function create(f: Factory, config: unknown, signal: Signal, next: Consumer): Lifecycle & Partial<Consumer> {
  const settings = { id: f.type, kind: f.kind, logger: silentLogger, meter: createNoopMeter() };
  switch (f.kind) {
    case 'receiver':
      return f.create(config, settings, { [signal]: next });
    case 'processor':
      return f.create(config, { ...settings, signal, pipeline: signal }, next) as Processor;
    case 'exporter':
      return f.create(config, settings);
    case 'extension':
      return f.create(config, settings, { isReady: () => true });
  }
}

setDebugOutput({ write: () => true, once: () => undefined });

for (const f of FACTORIES) {
  const signals = f.kind === 'extension' ? (['metrics'] as Signal[]) : factorySignals(f);
  test(`${f.kind} ${f.type}: the registry lists it under every name`, () => {
    const reg = defaultRegistry();
    for (const name of [f.type, ...(f.aliases ?? [])]) assert.equal(reg.get(f.kind, name), f);
    assert.ok(signals.every((s) => SIGNALS.includes(s)));
  });

  for (const signal of signals) {
    test(`${f.kind} ${f.type} (${signal}): create → start → consume → shutdown, twice-safe`, async () => {
      const received: Batch[] = [];
      const c = create(f, defaults(f), signal, { consume: async (b) => void received.push(b) });
      await c.start();
      if (c.consume) {
        await c.consume(sample(signal));
        if (f.kind === 'processor') {
          await c.shutdown(Date.now() + 2000);
          assert.equal(received.length, 1, 'a processor passes the batch on by shutdown at the latest');
        }
      }
      await c.shutdown(Date.now() + 2000);
      await c.shutdown(Date.now() + 2000);
    });
  }

  test(`${f.kind} ${f.type}: shutdown without start`, async () => {
    const c = create(f, defaults(f), signals[0], { consume: async () => {} });
    await c.shutdown(Date.now() + 2000);
  });
}
