/**
 * What the daemon loads at startup: a module only the components of some
 * other config need (an exporter's client library, the OpenTelemetry SDK)
 * costs every daemon its memory, so it must load when a config uses it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DEFAULT_CONFIG_YAML } from '../../src/config/default-config';
import { Daemon, freePort } from './harness';

const PROBE = path.join(__dirname, 'module-probe.js');

/** The daemon's module graph (module → modules it required), read through the probe. */
async function loadedModules(config: string): Promise<Map<string, string[]>> {
  const d = await Daemon.start([config], { env: { NODE_OPTIONS: `--require=${PROBE}` } });
  try {
    d.signal('SIGUSR2');
    await d.waitForStdout((out) => /^loaded-modules .*\n/m.test(out), 'the module list');
    const line = /^loaded-modules (.*)$/m.exec(d.stdout)![1];
    return new Map(Object.entries(JSON.parse(line) as Record<string, string[]>));
  } finally {
    await d.stop();
  }
}

/** The embedded default config on free ports. */
async function defaultConfig(): Promise<string> {
  let text = DEFAULT_CONFIG_YAML;
  for (const port of new Set(DEFAULT_CONFIG_YAML.match(/127\.0\.0\.1:\d+/g))) text = text.split(port).join(`127.0.0.1:${await freePort()}`);
  return text;
}

const isPackage = (file: string, pkg: string): boolean => file.includes(`node_modules/${pkg}/`);

test('the default config loads no exporter client, no OpenTelemetry SDK and no gRPC library', async () => {
  const graph = await loadedModules(await defaultConfig());
  const files = [...graph.keys()];
  assert.ok(files.includes('dist/src/exporters/prometheus/index.js') && files.includes('dist/src/exporters/debug/index.js'), 'the probe sees the daemon\'s modules');
  for (const pkg of ['pg', 'pg-copy-streams', '@opentelemetry/sdk-metrics', '@opentelemetry/exporter-prometheus', '@opentelemetry/resources', '@opentelemetry/core']) {
    assert.deepEqual(files.filter((f) => isPackage(f, pkg)), [], `${pkg} is not loaded`);
  }
  for (const impl of ['otlp_grpc/send.js', 'otlp_http/send.js']) {
    assert.ok(!files.includes(`dist/src/exporters/${impl}`), `${impl} is not loaded`);
  }
  // The OTLP receiver serves gRPC on its own HTTP/2: no gRPC library at all.
  assert.deepEqual(files.filter((f) => isPackage(f, '@grpc/grpc-js')), [], '@grpc/grpc-js is not loaded');
  assert.ok(files.includes('dist/src/net/grpc-server.js'), 'the receiver\'s gRPC server is');
});

test('an otlp (gRPC) exporter in the config loads its sender and our gRPC client, and no gRPC library', async () => {
  const graph = await loadedModules(`
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${await freePort()}
exporters:
  otlp:
    endpoint: 127.0.0.1:${await freePort()}
    tls:
      insecure: true
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [otlp]
`);
  const send = graph.get('dist/src/exporters/otlp_grpc/send.js');
  assert.ok(send, 'the gRPC sender is loaded');
  assert.ok(send.includes('dist/src/net/grpc-client.js'), 'the sender loads the gRPC client');
  assert.deepEqual([...graph.keys()].filter((f) => isPackage(f, '@grpc/grpc-js')), [], '@grpc/grpc-js is not loaded');
});
