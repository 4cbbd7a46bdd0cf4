/**
 * The resourcedetection processor through the real binary: what the daemon's
 * own environment says (OTEL_RESOURCE_ATTRIBUTES, K8S_* variables, the host)
 * lands on the resource of what passes through, so the Prometheus exporter's
 * target_info carries it; and a malformed OTEL_RESOURCE_ATTRIBUTES makes the
 * daemon refuse to start, saying which entry is wrong.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import { Daemon, freePort, waitFor } from './harness';
import { get, post } from './otlp-http';

function config(http: number, prom: number): string {
  return `receivers:
  otlp:
    protocols:
      http: { endpoint: 127.0.0.1:${http} }
processors:
  resourcedetection:
    detectors: [env, k8s, system]
    timeout: 2s
  batch: { timeout: 20ms }
exporters:
  prometheus: { endpoint: 127.0.0.1:${prom} }
service:
  telemetry: { metrics: { level: none } }
  pipelines:
    metrics: { receivers: [otlp], processors: [resourcedetection, batch], exporters: [prometheus] }
`;
}

/** A delta counter from `service.name=claude-code` whose resource already says `team.id=from-client`. */
function request(value: number): string {
  const now = BigInt(Date.now()) * 1_000_000n;
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'claude-code' } }, { key: 'team.id', value: { stringValue: 'from-client' } }] },
        scopeMetrics: [
          {
            scope: { name: 'com.anthropic.claude_code' },
            metrics: [{ name: 'claude_code.commit.count', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ startTimeUnixNano: String(now - 1_000_000_000n), timeUnixNano: String(now), asDouble: value }] } }],
          },
        ],
      },
    ],
  });
}

/** The labels of the one `target_info` series of job `claude-code`. */
function targetInfo(scrape: string): Record<string, string> | undefined {
  const line = scrape.split('\n').find((l) => l.startsWith('target_info{') && l.includes('job="claude-code"'));
  if (!line) return undefined;
  const labels: Record<string, string> = {};
  for (const m of line.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2];
  return labels;
}

test('OTEL_RESOURCE_ATTRIBUTES, K8S_* and the host end up on target_info; the counter sums are intact', async () => {
  const [http, prom] = [await freePort(), await freePort()];
  const d = await Daemon.start([config(http, prom)], {
    env: {
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod, team.id=platform%2Fobs',
      K8S_POD_NAME: 'otel-gateway-0',
      K8S_NAMESPACE_NAME: 'observability',
      K8S_NODE_NAME: 'node-3',
      KUBERNETES_SERVICE_HOST: '',
    },
  });
  try {
    const values = [2, 1, 4];
    for (const v of values) assert.equal((await post(http, '/v1/metrics', request(v))).status, 200);
    let scrape = '';
    await waitFor(async () => targetInfo((scrape = (await get(prom, '/metrics')).body)), 'target_info for claude-code');
    const labels = targetInfo(scrape)!;
    assert.equal(labels.deployment_environment, 'prod');
    assert.equal(labels.team_id, 'platform/obs', 'percent-decoded, and override (the default) replaced the client value');
    assert.equal(labels.k8s_pod_name, 'otel-gateway-0');
    assert.equal(labels.k8s_namespace_name, 'observability');
    assert.equal(labels.k8s_node_name, 'node-3');
    assert.equal(labels.host_name, os.hostname());
    assert.equal(labels.os_type, { win32: 'windows', darwin: 'darwin' }[process.platform as string] ?? process.platform);
    const sample = scrape.split('\n').find((l) => l.startsWith('claude_code_commit_count_total{'));
    assert.equal(Number(sample?.split(' ').pop()), values.reduce((a, b) => a + b), 'every delta summed');
    const detected = d.logs().find((l) => l.msg === 'resource detected');
    assert.deepEqual(detected?.detectors, ['env', 'k8s', 'system']);
  } finally {
    await d.stop();
  }
});

test('a malformed OTEL_RESOURCE_ATTRIBUTES makes the daemon refuse to start, naming the variable and the entry', async () => {
  for (const [value, message] of [
    ['team=platform,broken', 'OTEL_RESOURCE_ATTRIBUTES: entry "broken" has no "="'],
    ['cost=100%', 'OTEL_RESOURCE_ATTRIBUTES: entry "cost=100%" has a bad percent escape'],
  ]) {
    const [http, prom] = [await freePort(), await freePort()];
    const d = Daemon.spawn([config(http, prom)], { env: { OTEL_RESOURCE_ATTRIBUTES: value } });
    try {
      const exit = await d.exited;
      assert.equal(exit.code, 1, d.stderr);
      const failed = d.logs().find((l) => l.msg === 'failed to start');
      assert.ok(failed, d.stderr);
      assert.ok(String(failed.error).includes(message), String(failed.error));
      assert.match(String(failed.error), /resourcedetection/, 'the error names the processor');
      assert.ok(!d.stderr.includes('everything is ready'));
    } finally {
      await d.stop();
    }
  }
});
