/**
 * The graph's wiring and lifecycle, with small recording components: one
 * instance per receiver and exporter id, one processor per pipeline, fan-in
 * and fan-out, start back to front, shutdown front to back, errors reaching
 * the receiver.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNoopMeter } from '@opentelemetry/api';
import { loadConfig } from '../config/load';
import type { Batch, Signal } from '../model/batch';
import { emptyResource, emptyScope, str } from '../model/common';
import { silentLogger } from '../telemetry/logger';
import type { Consumer, ExporterFactory, ExtensionFactory, ProcessorFactory, ReceiverFactory } from './component';
import { overloadedError } from './errors';
import { Graph } from './graph';
import { Registry } from './registry';

const ALL = { metrics: 'stable', logs: 'stable', traces: 'stable' } as const;
const free = { type: 'object', properties: {}, additionalProperties: false };

function setup(failStart?: string) {
  const events: string[] = [];
  const receivers = new Map<string, Partial<Record<Signal, Consumer>>>();
  const exported = new Map<string, Batch[]>();
  let failNext: string | undefined;
  let exporterCreates = 0;
  const life = (name: string) => ({
    start: async () => {
      if (name === failStart) throw new Error('address in use');
      events.push(`start ${name}`);
    },
    shutdown: async () => void events.push(`stop ${name}`),
  });
  const recv: ReceiverFactory = {
    kind: 'receiver', type: 'rec', description: '', stability: ALL, schema: free,
    create: (_c, s, next) => (receivers.set(s.id, next), life(`receiver ${s.id}`)),
  };
  const proc: ProcessorFactory = {
    kind: 'processor', type: 'tag', description: '', stability: ALL, mutatesData: true, schema: free,
    create: (_c, s, next) => ({
      ...life(`processor ${s.id}@${s.pipeline}`),
      drain: () => void events.push(`drain ${s.id}@${s.pipeline}`),
      consume: (b) => {
        if (b.signal === 'logs') for (const rl of b.resourceLogs) rl.resource.attributes.push({ key: 'via', value: str(s.pipeline) });
        return next.consume(b);
      },
    }),
  };
  const exp: ExporterFactory = {
    kind: 'exporter', type: 'sink', description: '', stability: ALL, mutatesData: false, schema: free,
    create: (_c, s) => {
      exporterCreates++;
      return {
        ...life(`exporter ${s.id}`),
        consume: async (b) => {
          if (failNext === s.id) throw overloadedError('full', s.id, 1500);
          exported.set(s.id, [...(exported.get(s.id) ?? []), b]);
        },
      };
    },
  };
  const ext: ExtensionFactory = { kind: 'extension', type: 'ext', description: '', stability: 'beta', schema: free, create: (_c, s) => life(`extension ${s.id}`) };
  const registry = new Registry([recv, proc, exp, ext]);
  const yaml = `
receivers: { rec/a: , rec/b: }
processors: { tag: , tag/2: }
exporters: { sink/x: , sink/y: }
extensions: { ext: }
service:
  extensions: [ext]
  pipelines:
    logs/one: { receivers: [rec/a, rec/b], processors: [tag, tag/2], exporters: [sink/x] }
    logs/two: { receivers: [rec/a], processors: [tag], exporters: [sink/x, sink/y] }
`;
  const loaded = loadConfig([{ name: 'graph.yaml', text: yaml }], registry, {});
  assert.deepEqual(loaded.problems, []);
  const graph = new Graph(loaded.config!, { logger: silentLogger, meter: createNoopMeter(), host: { isReady: () => true } });
  return { graph, events, receivers, exported, exporterCreates: () => exporterCreates, fail: (id: string | undefined) => (failNext = id) };
}

function logs(): Batch {
  const rec = { timeMs: 1, timeNs: 0, observedTimeMs: 0, observedTimeNs: 0, severityNumber: 9, severityText: '', body: str('x'), attributes: [], droppedAttributesCount: 0, flags: 0, traceId: new Uint8Array(), spanId: new Uint8Array(), eventName: '' };
  return { signal: 'logs', resourceLogs: [{ resource: emptyResource(), schemaUrl: '', scopeLogs: [{ scope: emptyScope(), schemaUrl: '', logRecords: [rec] }] }] };
}

test('starts extensions, exporters, processors back to front, then receivers; stops in the reverse sense', async () => {
  const g = setup();
  await g.graph.start();
  const starts = g.events.splice(0);
  const at = (e: string) => starts.indexOf(e);
  assert.equal(at('start extension ext'), 0);
  for (const x of ['sink/x', 'sink/y']) assert.ok(at(`start exporter ${x}`) < at('start processor tag/2@logs/one'));
  assert.ok(at('start processor tag/2@logs/one') < at('start processor tag@logs/one'), 'later processors start first');
  for (const r of ['rec/a', 'rec/b']) assert.ok(at(`start receiver ${r}`) > at('start processor tag@logs/two'));
  assert.equal(g.exporterCreates(), 2, 'one instance per exporter id, shared by pipelines');

  await g.graph.shutdown(Date.now() + 1000);
  const stops = g.events;
  const is = (e: string) => stops.indexOf(e);
  for (const r of ['rec/a', 'rec/b']) assert.ok(is(`stop receiver ${r}`) < is('stop processor tag@logs/one'));
  assert.ok(is('drain tag@logs/one') < is('stop processor tag@logs/one'), 'processors drain while receivers finish');
  assert.ok(is('stop processor tag@logs/one') < is('stop processor tag/2@logs/one'), 'processors stop front to back');
  assert.ok(is('stop processor tag/2@logs/one') < is('stop exporter sink/x'));
  assert.equal(stops[stops.length - 1], 'stop extension ext');
});

test('fan-in, fan-out and a processor per pipeline: each pipeline sees its own copy', async () => {
  const g = setup();
  await g.graph.start();
  try {
    await g.receivers.get('rec/a')!.logs!.consume(logs());
    // rec/a feeds both pipelines; sink/x is in both, sink/y only in logs/two.
    const x = g.exported.get('sink/x')!;
    const y = g.exported.get('sink/y')!;
    assert.equal(x.length, 2);
    assert.equal(y.length, 1);
    const via = (b: Batch) => (b.signal === 'logs' ? b.resourceLogs[0].resource.attributes.map((a) => (a.value as { value: string }).value) : []);
    assert.deepEqual(x.map(via).sort(), [['logs/one', 'logs/one'], ['logs/two']].sort(), 'each pipeline tagged only its own copy');
    await g.receivers.get('rec/b')!.logs!.consume(logs());
    assert.equal(g.exported.get('sink/x')!.length, 3, 'rec/b feeds logs/one only');
    assert.equal(g.receivers.get('rec/b')!.metrics, undefined, 'no consumer for a signal no pipeline takes');
  } finally {
    await g.graph.shutdown(Date.now() + 1000);
  }
});

test("an exporter's refusal reaches the receiver with its code and delay", async () => {
  const g = setup();
  await g.graph.start();
  try {
    g.fail('sink/y');
    await assert.rejects(g.receivers.get('rec/a')!.logs!.consume(logs()), (e: { code: string; retryAfterMs: number }) => e.code === 'OVERLOADED' && e.retryAfterMs === 1500);
  } finally {
    await g.graph.shutdown(Date.now() + 1000);
  }
});

test('a component that fails to start stops everything that started and names itself', async () => {
  const g = setup('receiver rec/b');
  await assert.rejects(g.graph.start(), /receiver "rec\/b" failed to start: address in use/);
  for (const e of g.events.filter((e) => e.startsWith('start '))) {
    assert.ok(g.events.includes(e.replace('start ', 'stop ')), `${e} was stopped again`);
  }
});

test('a receiver may keep data in wire form only when every path from it passes data through to exporters that take it', () => {
  const pass: ProcessorFactory = {
    kind: 'processor', type: 'pass', description: '', stability: ALL, mutatesData: false, passesWire: true, schema: free,
    create: (_c, s, next) => ({ start: async () => {}, shutdown: async () => {}, consume: (b) => next.consume(b) }),
  };
  const look: ProcessorFactory = { ...pass, type: 'look', passesWire: undefined };
  const sink = (type: string, takesWire?: (c: { wire?: boolean }) => boolean): ExporterFactory => ({
    kind: 'exporter', type, description: '', stability: ALL, mutatesData: false, takesWire,
    schema: { type: 'object', properties: { wire: { type: 'boolean' } }, additionalProperties: false },
    create: () => ({ start: async () => {}, shutdown: async () => {}, consume: async () => {} }),
  });
  const nexts = new Map<string, Partial<Record<Signal, Consumer>>>();
  const recv: ReceiverFactory = {
    kind: 'receiver', type: 'rec', description: '', stability: ALL, schema: free,
    create: (_c, s, next) => (nexts.set(s.id, next), { start: async () => {}, shutdown: async () => {} }),
  };
  const registry = new Registry([recv, pass, look, sink('wire', (c) => c.wire !== false), sink('plain')]);
  const yaml = `
receivers: { rec/through: , rec/looked: , rec/mixed: , rec/off: , rec/split: }
processors: { pass: , look: }
exporters: { wire: , wire/off: { wire: false }, plain: }
service:
  pipelines:
    logs/a: { receivers: [rec/through, rec/split], processors: [pass], exporters: [wire] }
    logs/b: { receivers: [rec/looked], processors: [pass, look], exporters: [wire] }
    logs/c: { receivers: [rec/mixed], exporters: [wire, plain] }
    logs/d: { receivers: [rec/off], exporters: [wire/off] }
    metrics: { receivers: [rec/through], exporters: [plain] }
    traces: { receivers: [rec/split], processors: [look], exporters: [wire] }
    traces/2: { receivers: [rec/split], exporters: [wire] }
`;
  const loaded = loadConfig([{ name: 'wire.yaml', text: yaml }], registry, {});
  assert.deepEqual(loaded.problems, []);
  new Graph(loaded.config!, { logger: silentLogger, meter: createNoopMeter(), host: { isReady: () => true } });
  const wire = (rid: string, s: Signal) => nexts.get(rid)![s]!.takesWire === true;
  assert.equal(wire('rec/through', 'logs'), true, 'pass-through processor to an exporter that takes wire data');
  assert.equal(wire('rec/through', 'metrics'), false, 'an exporter that reads the data');
  assert.equal(wire('rec/looked', 'logs'), false, 'a processor that looks inside');
  assert.equal(wire('rec/mixed', 'logs'), false, 'fan-out to an exporter that reads the data');
  assert.equal(wire('rec/off', 'logs'), false, 'the exporter says no for this config');
  assert.equal(wire('rec/split', 'logs'), true);
  assert.equal(wire('rec/split', 'traces'), false, 'fan-in from two pipelines, one of which looks inside');
});
