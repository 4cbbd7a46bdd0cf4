/** The processor: config loading, detection at start, and what it does to resources of every signal. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNoopMeter } from '@opentelemetry/api';
import type { Batch, LogsBatch, MetricsBatch, TracesBatch } from '../../model/batch';
import { anyValueToString, emptyResource, emptyScope, str, type Resource } from '../../model/common';
import { formatProblem, loadConfig } from '../../config/load';
import { Registry } from '../../pipeline/registry';
import { otlpReceiverFactory } from '../../receivers/otlp';
import { debugExporterFactory } from '../../exporters/debug';
import { silentLogger } from '../../telemetry/logger';
import { createResourceDetection, resourceDetectionProcessorFactory, type ResourceDetectionConfig } from './index';
import { tempContext, type FakeMachine } from './test-context';

const registry = new Registry([otlpReceiverFactory, debugExporterFactory, resourceDetectionProcessorFactory]);

function load(processors: string, type = 'resourcedetection'): { config?: ResourceDetectionConfig; problems: string[] } {
  const yaml = `receivers: { otlp: }\nexporters: { debug: }\nprocessors:\n${processors}\nservice: { pipelines: { metrics: { receivers: [otlp], processors: [${type}], exporters: [debug] } } }\n`;
  const r = loadConfig([{ name: 'test.yaml', text: yaml }], registry, {});
  return { config: r.config?.processors.get(type)?.config as ResourceDetectionConfig | undefined, problems: r.problems.map(formatProblem) };
}

function resource(attrs: Record<string, string>): Resource {
  return { ...emptyResource(), attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: str(v) })) };
}

function plain(r: Resource): Record<string, string> {
  return Object.fromEntries(r.attributes.map((kv) => [kv.key, anyValueToString(kv.value)]));
}

function batches(attrs: Record<string, string>): [MetricsBatch, LogsBatch, TracesBatch] {
  return [
    { signal: 'metrics', resourceMetrics: [{ resource: resource(attrs), schemaUrl: '', scopeMetrics: [] }, { resource: resource({}), schemaUrl: '', scopeMetrics: [] }] },
    { signal: 'logs', resourceLogs: [{ resource: resource(attrs), schemaUrl: '', scopeLogs: [{ scope: emptyScope(), schemaUrl: '', logRecords: [] }] }] },
    { signal: 'traces', resourceSpans: [{ resource: resource(attrs), schemaUrl: '', scopeSpans: [] }] },
  ];
}

function resources(b: Batch): Resource[] {
  return b.signal === 'metrics' ? b.resourceMetrics.map((r) => r.resource) : b.signal === 'logs' ? b.resourceLogs.map((r) => r.resource) : b.resourceSpans.map((r) => r.resource);
}

async function run(config: ResourceDetectionConfig, machine: FakeMachine, input: Batch[]): Promise<Batch[]> {
  const t = tempContext(machine);
  const out: Batch[] = [];
  const p = createResourceDetection(config, { id: 'resourcedetection', kind: 'processor', logger: silentLogger, meter: createNoopMeter(), signal: 'metrics', pipeline: 'metrics' }, { consume: async (b) => void out.push(b) }, t.ctx);
  try {
    await p.start();
    for (const b of input) await p.consume(b);
    await p.shutdown(Date.now() + 1000);
  } finally {
    t.cleanup();
  }
  return out;
}

test('defaults: the env detector, override on, 5 s timeout, host.name and os.type enabled', () => {
  const { config, problems } = load('  resourcedetection:');
  assert.deepEqual(problems, []);
  assert.deepEqual(config!.detectors, ['env']);
  assert.equal(config!.override, true);
  assert.equal(config!.timeout, 5000);
  assert.deepEqual(config!.system.hostname_sources, ['os']);
  assert.equal(config!.system.resource_attributes['host.name'].enabled, true);
  assert.equal(config!.system.resource_attributes['host.id'].enabled, false);
});

test('a Go collector config loads, under the newer resource_detection name too', () => {
  const go = `    detectors: [env, system]\n    timeout: 2s\n    override: false\n    system:\n      hostname_sources: ["os"]\n      resource_attributes:\n        host.id:\n          enabled: true\n        os.type:\n          enabled: false`;
  for (const type of ['resourcedetection', 'resource_detection']) {
    const { config, problems } = load(`  ${type}:\n${go}`, type);
    assert.deepEqual(problems, []);
    assert.deepEqual(config!.detectors, ['env', 'system']);
    assert.equal(config!.override, false);
    assert.equal(config!.timeout, 2000);
    assert.equal(config!.system.resource_attributes['host.id'].enabled, true);
    assert.equal(config!.system.resource_attributes['os.type'].enabled, false);
    assert.equal(config!.system.resource_attributes['host.name'].enabled, true);
  }
});

test('bad config is refused at load with the key path', () => {
  assert.match(load('  resourcedetection: { detectors: [env, gcp] }').problems.join('\n'), /processors\.resourcedetection\.detectors\[1\]: must be one of "env", "system", "container", "k8s"/);
  assert.match(load('  resourcedetection: { timeout: 0s }').problems.join('\n'), /processors\.resourcedetection\.timeout: must be more than 0/);
  assert.match(load('  resourcedetection: { system: { resource_attributes: { host.ip: { enabled: true } } } }').problems.join('\n'), /unknown key "host\.ip"/);
});

test('override (default): detected values replace existing ones and are added to every resource of every signal', async () => {
  const { config } = load('  resourcedetection: { detectors: [env, k8s] }');
  const machine = { env: { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=platform', K8S_POD_NAME: 'agent-0' } };
  const out = await run(config!, machine, batches({ 'service.name': 'claude-code', team: 'from-client' }));
  assert.equal(out.length, 3);
  for (const b of out) {
    const [first, ...rest] = resources(b);
    assert.deepEqual(plain(first), { 'service.name': 'claude-code', team: 'platform', 'deployment.environment': 'prod', 'k8s.pod.name': 'agent-0' }, b.signal);
    for (const r of rest) assert.deepEqual(plain(r), { 'deployment.environment': 'prod', team: 'platform', 'k8s.pod.name': 'agent-0' });
  }
});

test('override: false keeps what the data already had and adds only missing keys', async () => {
  const { config } = load('  resourcedetection: { detectors: [env], override: false }');
  const out = await run(config!, { env: { OTEL_RESOURCE_ATTRIBUTES: 'team=platform,region=eu' } }, batches({ team: 'from-client' }));
  for (const b of out) assert.deepEqual(plain(resources(b)[0]), { team: 'from-client', region: 'eu' }, b.signal);
});

test('each resource gets its own attribute entries (later processors may change one without touching the others)', async () => {
  const { config } = load('  resourcedetection: { detectors: [env] }');
  const [m] = await run(config!, { env: { OTEL_RESOURCE_ATTRIBUTES: 'a=1' } }, [batches({})[0]]);
  const [r1, r2] = resources(m);
  assert.notEqual(r1.attributes[0], r2.attributes[0]);
});

test('a malformed OTEL_RESOURCE_ATTRIBUTES makes start() reject with a message naming the variable and the entry', async () => {
  const { config } = load('  resourcedetection: { detectors: [system, env] }');
  await assert.rejects(run(config!, { env: { OTEL_RESOURCE_ATTRIBUTES: 'team=platform,broken' } }, []), /OTEL_RESOURCE_ATTRIBUTES: entry "broken" has no "="/);
});

test('nothing detected: batches pass through unchanged; shutdown works without start', async () => {
  const { config } = load('  resourcedetection: { detectors: [env, k8s] }');
  const out = await run(config!, {}, batches({ x: 'y' }));
  for (const b of out) assert.deepEqual(plain(resources(b)[0]), { x: 'y' });
  const t = tempContext();
  try {
    const p = createResourceDetection(config!, { id: 'r', kind: 'processor', logger: silentLogger, meter: createNoopMeter(), signal: 'logs', pipeline: 'logs' }, { consume: async () => {} }, t.ctx);
    await p.shutdown(Date.now() + 100);
  } finally {
    t.cleanup();
  }
});
