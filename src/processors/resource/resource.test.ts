import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LogsBatch, MetricsBatch, TracesBatch } from '../../model/batch';
import { load, logRecord, numberPoints, pipelineYaml, plain, processorFrom, resourceLogs, resourceMetrics, resourceSpans, span, sum } from '../internal/testkit';

const SEED = 'attributes:\n  - key: service.name\n    value: ${OTEL_SERVICE_NAME}\n    action: upsert';

test('the seed action sets service.name on every resource, in every signal', async () => {
  const env = { OTEL_SERVICE_NAME: 'team-agents' };
  const cases = [
    { signal: 'metrics', batch: { signal: 'metrics', resourceMetrics: [resourceMetrics({ 'service.name': 'claude-code' }, [sum('x', 1, [{ attrs: {}, value: 1 }])])] } as MetricsBatch },
    { signal: 'logs', batch: { signal: 'logs', resourceLogs: [resourceLogs({}, [logRecord({})])] } as LogsBatch },
    { signal: 'traces', batch: { signal: 'traces', resourceSpans: [resourceSpans({ 'service.name': 'x', 'host.arch': 'arm64' }, [span('s', {})])] } as TracesBatch },
  ] as const;
  for (const { signal, batch } of cases) {
    const { processor, received } = processorFrom(pipelineYaml('resource', SEED, signal), 'resource', signal, env);
    await processor.consume(batch);
    await processor.shutdown(Date.now() + 1000);
    const b = received[0];
    const resource = b.signal === 'metrics' ? b.resourceMetrics[0].resource : b.signal === 'logs' ? b.resourceLogs[0].resource : b.resourceSpans[0].resource;
    assert.equal(plain(resource.attributes)['service.name'], env.OTEL_SERVICE_NAME, signal);
  }
});

test('resources made identical merge, and so do their metric streams (cumulative: sum of each host\'s latest)', async () => {
  const { processor, received } = processorFrom(pipelineYaml('resource', 'attributes:\n  - { key: host.name, action: delete }'), 'resource', 'metrics');
  const from = (host: string, v: number, t: number): MetricsBatch => ({
    signal: 'metrics',
    resourceMetrics: [resourceMetrics({ 'service.name': 'cc', 'host.name': host }, [sum('c', 2, [{ attrs: { k: 'v' }, value: v, time: t }])])],
  });
  await processor.consume(from('h1', 5, 1));
  await processor.consume(from('h2', 7, 1));
  await processor.consume(from('h1', 6, 2));
  const last = received[2] as MetricsBatch;
  assert.deepEqual(plain(last.resourceMetrics[0].resource.attributes), { 'service.name': 'cc' });
  assert.equal(numberPoints(last.resourceMetrics, 'c')[0].point.value, 6 + 7);

  // Two hosts in one batch: one resource, one point.
  await processor.consume({ signal: 'metrics', resourceMetrics: [...from('h1', 8, 3).resourceMetrics, ...from('h2', 9, 3).resourceMetrics] });
  const both = received[3] as MetricsBatch;
  assert.equal(both.resourceMetrics.length, 1);
  assert.deepEqual(numberPoints(both.resourceMetrics, 'c').map((p) => p.point.value), [8 + 9]);
  await processor.shutdown(Date.now() + 1000);
});

test('from_context on resources: the client address of the request', async () => {
  const { processor, received } = processorFrom(pipelineYaml('resource', 'attributes:\n  - { key: client.address, from_context: client.address, action: insert }', 'logs'), 'resource', 'logs');
  await processor.consume({ signal: 'logs', resourceLogs: [resourceLogs({}, [logRecord({})])], context: { clientAddress: '192.0.2.7', metadata: new Map() } });
  assert.deepEqual(plain((received[0] as LogsBatch).resourceLogs[0].resource.attributes), { 'client.address': '192.0.2.7' });
  await processor.shutdown(Date.now() + 1000);
});

test('a Go resource processor config loads; problems name the attributes index', () => {
  assert.deepEqual(load(pipelineYaml('resource', `attributes:
  - key: cloud.availability_zone
    value: "zone-1"
    action: upsert
  - key: k8s.cluster.name
    from_attribute: k8s-cluster
    action: insert
  - key: redundant-attribute
    action: delete`)).problems, []);
  const { problems } = load(pipelineYaml('resource', 'attributes:\n  - { key: a, action: upsert }\n  - { key: b, action: extract, pattern: "(?<x" }'));
  assert.deepEqual(problems.map((p) => p.split(': ')[0]), ['processors.resource.attributes[0]', 'processors.resource.attributes[1].pattern']);
});
