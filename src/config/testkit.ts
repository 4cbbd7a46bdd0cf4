/**
 * Test-only factories and helpers for the config tests (not used by the
 * daemon). The schemas mimic the real components' shapes closely enough to
 * accept a Go-collector-style config.
 */
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import type { ExporterFactory, ExtensionFactory, Factory, ProcessorFactory, ReceiverFactory } from '../pipeline/component';
import { Registry } from '../pipeline/registry';
import { byteSize, duration, endpoint, object } from './schema';
import { loadConfig } from './load';
import type { LoadResult } from './types';

const never = (): never => {
  throw new Error('test factory: not for running');
};

export const otlpReceiver: ReceiverFactory = {
  kind: 'receiver',
  type: 'otlp',
  description: 'test otlp receiver',
  stability: { metrics: 'stable', logs: 'beta', traces: 'stable' },
  schema: object({
    endpoint: endpoint(undefined, 'unused; here to test a flat key'),
    protocols: object({
      grpc: object({
        endpoint: endpoint('127.0.0.1:4317'),
        max_recv_msg_size: byteSize('4MiB'),
      }),
      http: object({
        endpoint: endpoint('127.0.0.1:4318'),
        max_request_body_size: byteSize('20MiB'),
      }),
    }),
    auth: {
      type: 'object',
      additionalProperties: false,
      properties: { bearer_token: { type: 'string', minLength: 1, sensitive: true } },
      required: ['bearer_token'],
    },
  }),
  create: never,
};

export const batchProcessor: ProcessorFactory = {
  kind: 'processor',
  type: 'batch',
  description: 'test batch processor',
  stability: { metrics: 'beta', logs: 'beta', traces: 'beta' },
  mutatesData: false,
  schema: object({
    timeout: duration('200ms'),
    send_batch_size: { type: 'integer', minimum: 0, default: 8192 },
    send_batch_max_size: { type: 'integer', minimum: 0, default: 0 },
  }),
  validate(c) {
    return c.send_batch_max_size > 0 && c.send_batch_max_size < c.send_batch_size
      ? [{ path: 'send_batch_max_size', message: 'must be 0 or at least send_batch_size' }]
      : [];
  },
  create: never,
};

/** A metrics-only processor. */
export const deltaProcessor: ProcessorFactory = {
  kind: 'processor',
  type: 'cumulativetodelta',
  description: 'test metrics-only processor',
  stability: { metrics: 'alpha' },
  mutatesData: true,
  schema: object({ max_staleness: duration('0') }),
  create: never,
};

export const debugExporter: ExporterFactory = {
  kind: 'exporter',
  type: 'debug',
  aliases: ['logging'],
  description: 'test debug exporter',
  stability: { metrics: 'development', logs: 'development', traces: 'development' },
  mutatesData: false,
  schema: object({
    verbosity: { enum: ['basic', 'normal', 'detailed'], default: 'basic' },
    loglevel: { enum: ['debug', 'info', 'warn', 'error'], deprecated: true, description: 'use verbosity' },
    sampling_initial: { type: 'integer', minimum: 1, default: 2 },
  }),
  create: never,
};

/** A logs-only exporter. */
export const fileExporter: ExporterFactory = {
  kind: 'exporter',
  type: 'file',
  description: 'test logs-only exporter',
  stability: { logs: 'alpha' },
  mutatesData: false,
  schema: object(
    {
      path: { type: 'string', minLength: 1 },
      flush_interval: duration('1s'),
      rotation: object({ max_size: byteSize('100MiB'), max_age: duration('24h') }),
    },
    { required: ['path'] },
  ),
  create: never,
};

/** An exporter with secrets, for redaction. */
export const otlphttpExporter: ExporterFactory = {
  kind: 'exporter',
  type: 'otlphttp',
  description: 'test exporter with secrets',
  stability: { metrics: 'stable', logs: 'stable', traces: 'stable' },
  mutatesData: false,
  schema: object({
    endpoint: { type: 'string', minLength: 1 },
    headers: { type: 'object', additionalProperties: { type: 'string' }, default: {} },
    dsn: { type: 'string' },
    signing_material: { type: 'string', sensitive: true },
    auth: object({ token: { type: 'string' }, user: { type: 'string' } }),
    insecure_password_check: { type: 'boolean', default: false },
    timeout: duration('5s'),
  }),
  create: never,
};

export const healthCheckExtension: ExtensionFactory = {
  kind: 'extension',
  type: 'health_check',
  description: 'test health check',
  stability: 'beta',
  schema: object({ endpoint: endpoint('127.0.0.1:13133'), path: { type: 'string', default: '/' } }),
  create: never,
};

export const TEST_FACTORIES: readonly Factory[] = [
  otlpReceiver,
  batchProcessor,
  deltaProcessor,
  debugExporter,
  fileExporter,
  otlphttpExporter,
  healthCheckExtension,
];

export const registry = new Registry(TEST_FACTORIES);

/** Path of a fixture in the source tree (tsc does not copy testdata to dist/). */
export function fixturePath(name: string): string {
  return path.resolve(__dirname, '..', '..', '..', 'src', 'config', 'testdata', name);
}

export function readFixture(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

/** Loads one inline text named `name` (default "test.yaml"). */
export function loadText(text: string, env: NodeJS.ProcessEnv = {}, name = 'test.yaml'): LoadResult {
  return loadConfig([{ name, text }], registry, env);
}

/** Loads fixtures by name; problems name them as `testdata/<name>`. */
export function loadFixtures(names: string[], env: NodeJS.ProcessEnv = {}): LoadResult {
  return loadConfig(names.map((n) => ({ name: `testdata/${n}`, text: readFixture(n) })), registry, env);
}

/** A minimal valid service section, to append to a test config. */
export const SERVICE = `service:
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [debug]
`;

/** The problems as [file:line:column, path, message, hint?] for compact asserts. */
export function brief(r: { problems: LoadResult['problems'] } | LoadResult['problems']): string[][] {
  const list = Array.isArray(r) ? r : r.problems;
  return list.map((p) => {
    const row = [`${p.file}:${p.line}:${p.column}`, p.path, p.message];
    if (p.hint) row.push(p.hint);
    return row;
  });
}
