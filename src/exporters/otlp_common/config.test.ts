/** The two exporters' configs through the real loader: defaults, aliases, load-time errors, and secrets kept out of printed configs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultRegistry } from '../../components';
import { formatProblem, loadConfig } from '../../config/load';
import { redactConfig } from '../../config/redact';

function load(exporters: string, env: NodeJS.ProcessEnv = {}) {
  const names = [...exporters.matchAll(/^ {2}([\w/]+):/gm)].map((m) => m[1]);
  const text = `receivers:\n  otlp:\nexporters:\n${exporters}service:\n  pipelines:\n    logs: { receivers: [otlp], exporters: [${names.join(', ')}] }\n`;
  return loadConfig([{ name: 'test.yaml', text }], defaultRegistry(), env);
}

test('the seed config loads as written: otlp alias, header from the environment, Go-collector defaults', () => {
  const r = load(`  otlp:\n    endpoint: otlp.vendor.example.com:4317\n    headers: {api-key: "\${VENDOR_API_KEY}"}\n`, { VENDOR_API_KEY: 'k-42' });
  assert.deepEqual(r.problems.map(formatProblem), []);
  const c = r.config!.exporters.get('otlp')!;
  assert.equal(c.factory.type, 'otlp_grpc');
  const cfg = c.config as Record<string, any>;
  assert.deepEqual(cfg.headers, { 'api-key': 'k-42' });
  assert.equal(cfg.compression, 'gzip');
  assert.equal(cfg.timeout, 5000);
  assert.equal(cfg.retry_on_failure.initial_interval, 5000);
  assert.equal(cfg.retry_on_failure.max_elapsed_time, 300_000);
  assert.equal(cfg.tls.insecure, false);
  const printed = JSON.stringify(redactConfig(r.config!.effective as Record<string, unknown>, defaultRegistry()));
  assert.ok(!printed.includes('k-42'), printed);
  assert.ok(printed.includes('[REDACTED]'), printed);
});

test('otlphttp alias: endpoint, encoding and timeout defaults', () => {
  const r = load(`  otlphttp:\n    endpoint: https://otlp.example.com\n`);
  assert.deepEqual(r.problems.map(formatProblem), []);
  const c = r.config!.exporters.get('otlphttp')!;
  assert.equal(c.factory.type, 'otlp_http');
  const cfg = c.config as Record<string, any>;
  assert.equal(cfg.encoding, 'proto');
  assert.equal(cfg.timeout, 30_000);
});

test('bad configs are refused at load with the key named', () => {
  const cases: Array<[string, RegExp]> = [
    [`  otlp:\n    endpoint: "not an endpoint"\n`, /endpoint.*host:port/],
    [`  otlp:\n    endpoint: a:1\n    tls: { cert_file: /c.pem }\n`, /tls.*cert_file and key_file/],
    [`  otlphttp:\n    endpoint: https://a\n    tls: { ca_file: /nonexistent/ca.pem }\n`, /tls.ca_file.*cannot read/],
    [`  otlp:\n    endpoint: a:1\n    compression: zstd\n`, /compression/],
    [`  otlphttp:\n    endpoint: collector:4318\n`, /endpoint.*not an http/],
    [`  otlphttp:\n    endpoint: http://a\n    encoding: xml\n`, /encoding/],
    [`  otlphttp:\n    endpoint: http://a\n    tls: { bogus: true }\n`, /bogus/],
    [`  otlphttp:\n    endpoint: http://a\n    headers: { x: 1 }\n`, /headers/],
  ];
  for (const [yaml, expected] of cases) {
    const r = load(yaml);
    assert.equal(r.config, undefined, yaml);
    assert.match(r.problems.map(formatProblem).join('\n'), expected, yaml);
  }
});
