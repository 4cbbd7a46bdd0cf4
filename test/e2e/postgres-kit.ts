/**
 * Shared pieces of the `postgres` exporter's end-to-end tests: the daemon's
 * config, the Claude Code-style SDK client, OTLP/JSON requests with known
 * content, and reading the daemon's own metrics.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PostgresServer } from '../support/postgres';
import { parseLabels, selfMetric as sumSamples } from './exposition';
import { get } from './otlp-http';
import { runProcess } from './harness';

export const CLIENT = path.join(__dirname, '..', 'clients', 'claude-code-client.js');

export interface Ports {
  grpc: number;
  http: number;
  telemetry: number;
}

/** A daemon config: OTLP in, optionally batched, into `postgres` for every signal. */
export function postgresConfig(ports: Ports, exporter: string, opts: { batch?: boolean } = {}): string {
  const processors = opts.batch === false ? '[]' : '[batch]';
  return `receivers:
  otlp:
    protocols:
      grpc: { endpoint: 127.0.0.1:${ports.grpc} }
      http: { endpoint: 127.0.0.1:${ports.http} }
processors:
  batch: { timeout: 50ms }
exporters:
  postgres:
${exporter.replace(/^/gm, '    ')}
service:
  telemetry: { metrics: { address: 127.0.0.1:${ports.telemetry} } }
  pipelines:
    metrics: { receivers: [otlp], processors: ${processors}, exporters: [postgres] }
    logs: { receivers: [otlp], processors: ${processors}, exporters: [postgres] }
    traces: { receivers: [otlp], processors: ${processors}, exporters: [postgres] }
`;
}

/** Runs the Claude Code-style client to completion; rejects if it reports a failed export. */
export async function runClient(env: NodeJS.ProcessEnv, repeat: number): Promise<void> {
  const r = await runProcess(process.execPath, [CLIENT, String(repeat)], { ...process.env, ...env });
  if (r.code !== 0) throw new Error(`client exited ${r.code}: ${r.stderr}`);
}

/** Sum of a self-telemetry counter's samples (with or without _total) whose labels include every `key="value"` fragment. */
export async function selfMetric(port: number, name: string, ...fragments: string[]): Promise<number> {
  return sumSamples((await get(port, '/metrics')).body, name, parseLabels(fragments.join(',')));
}

export type JsonValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };

export function attr(key: string, value: string | number | JsonValue): { key: string; value: JsonValue } {
  return { key, value: typeof value === 'string' ? { stringValue: value } : typeof value === 'number' ? { doubleValue: value } : value };
}

/** An OTLP/JSON logs request: one resource, one scope, records with the given bodies and attributes. */
export function logsRequest(records: Array<{ body: string; attributes?: Array<ReturnType<typeof attr>>; timeMs?: number }>, resource: Array<ReturnType<typeof attr>> = [attr('service.name', 'e2e')], scope = 'e2e'): string {
  const now = Date.now();
  return JSON.stringify({
    resourceLogs: [{
      resource: { attributes: resource },
      scopeLogs: [{
        scope: { name: scope },
        logRecords: records.map((r) => ({ timeUnixNano: String(BigInt(r.timeMs ?? now) * 1_000_000n), body: { stringValue: r.body }, attributes: r.attributes ?? [] })),
      }],
    }],
  });
}

/** An OTLP/JSON metrics request: one gauge point per tag, attribute `tag`. */
export function gaugeRequest(name: string, tags: string[]): string {
  const now = String(BigInt(Date.now()) * 1_000_000n);
  return JSON.stringify({
    resourceMetrics: [{
      resource: { attributes: [attr('service.name', 'e2e')] },
      scopeMetrics: [{ scope: { name: 'e2e' }, metrics: [{ name, gauge: { dataPoints: tags.map((t) => ({ timeUnixNano: now, asDouble: 1, attributes: [attr('tag', t)] })) } }] }],
    }],
  });
}

/**
 * A client that keeps sending from its own thread (so it goes on while the
 * test's thread waits on `pg_ctl`): OTLP/JSON requests of `perRequest`
 * records or points, alternating logs and metrics, each item tagged
 * uniquely, and it remembers which tags were acknowledged (HTTP 200). A
 * refused request (503, an error) is not acknowledged, and its items are
 * not expected anywhere.
 */
export class StreamSender {
  private readonly acked = new Int32Array(new SharedArrayBuffer(8));
  private readonly worker: Worker;
  private readonly done: Promise<{ logs: string[]; metrics: string[]; refused: number }>;

  constructor(httpPort: number, prefix: string, perRequest = 5) {
    this.worker = new Worker(SENDER_SOURCE, { eval: true, workerData: { httpPort, prefix, perRequest, acked: this.acked } });
    this.done = new Promise((resolve, reject) => {
      this.worker.once('message', resolve);
      this.worker.once('error', reject);
    });
  }

  /** Items acknowledged so far. */
  get ackedItems(): number {
    return Atomics.load(this.acked, 0);
  }

  /** Stops after the request in flight; the tags acknowledged, by signal. */
  async stop(): Promise<{ logs: string[]; metrics: string[]; refused: number }> {
    this.worker.postMessage('stop');
    const result = await this.done;
    await this.worker.terminate();
    return result;
  }
}

const SENDER_SOURCE = `
const http = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const { httpPort, prefix, perRequest, acked } = workerData;
let stop = false;
parentPort.on('message', () => (stop = true));
const attr = (k, v) => ({ key: k, value: { stringValue: v } });
function post(path, body) {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: httpPort, path, method: 'POST', headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}
(async () => {
  const out = { logs: [], metrics: [], refused: 0 };
  for (let i = 0; !stop; i++) {
    const tags = Array.from({ length: perRequest }, (_, k) => prefix + '-' + i + '-' + k);
    const now = String(BigInt(Date.now()) * 1000000n);
    const logs = i % 2 === 0;
    const body = logs
      ? { resourceLogs: [{ resource: { attributes: [attr('service.name', 'stream')] }, scopeLogs: [{ scope: { name: 'stream' }, logRecords: tags.map((t) => ({ timeUnixNano: now, body: { stringValue: t } })) }] }] }
      : { resourceMetrics: [{ resource: { attributes: [attr('service.name', 'stream')] }, scopeMetrics: [{ scope: { name: 'stream' }, metrics: [{ name: 'stream.points', gauge: { dataPoints: tags.map((t) => ({ timeUnixNano: now, asDouble: 1, attributes: [attr('tag', t)] })) } }] }] }] };
    const status = await post(logs ? '/v1/logs' : '/v1/metrics', JSON.stringify(body));
    if (status === 200) {
      (logs ? out.logs : out.metrics).push(...tags);
      Atomics.add(acked, 0, tags.length);
    } else {
      out.refused++;
    }
  }
  parentPort.postMessage(out);
})();
`;

/**
 * The `n` of a count query, or -1 while there is nothing to count yet: the
 * daemon creates the tables on its first connection, which on a busy
 * machine may come after the test's first look.
 */
export async function countRows(pg: PostgresServer, sql: string, params: unknown[] = []): Promise<number> {
  try {
    return Number((await pg.query(sql, params))[0].n);
  } catch (err) {
    if (['42P01', '57P03', 'ECONNREFUSED'].includes((err as { code?: string }).code ?? '')) return -1;
    throw err;
  }
}
