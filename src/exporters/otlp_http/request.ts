/**
 * Building an OTLP/HTTP request: where it goes, its headers and its body.
 * Pure functions, so the tests can check them without a server.
 */
import zlib from 'node:zlib';
import type { Batch, Signal } from '../../model/batch';
import { encodeRequest, type Encoding } from '../otlp_common/codec';

export interface HttpTargetConfig {
  endpoint?: string;
  metrics_endpoint?: string;
  logs_endpoint?: string;
  traces_endpoint?: string;
  headers: Record<string, string>;
  compression: 'gzip' | 'none' | '';
  encoding: Encoding;
}

const SIGNAL_PATH: Record<Signal, string> = { metrics: 'v1/metrics', logs: 'v1/logs', traces: 'v1/traces' };

/** `<endpoint>/v1/<signal>`, or the per-signal endpoint as given. */
export function signalUrl(config: HttpTargetConfig, signal: Signal): URL {
  const own = signal === 'metrics' ? config.metrics_endpoint : signal === 'logs' ? config.logs_endpoint : config.traces_endpoint;
  if (own) return new URL(own);
  if (!config.endpoint) throw new Error(`no endpoint for ${signal}: set endpoint or ${signal}_endpoint`);
  const base = config.endpoint.endsWith('/') ? config.endpoint : config.endpoint + '/';
  return new URL(SIGNAL_PATH[signal], base);
}

export function contentType(encoding: Encoding): string {
  return encoding === 'json' ? 'application/json' : 'application/x-protobuf';
}

export interface BuiltRequest {
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
}

export function buildRequest(config: HttpTargetConfig, batch: Batch): BuiltRequest {
  const raw = encodeRequest(batch, config.encoding);
  const gzip = config.compression === 'gzip';
  const body = gzip ? zlib.gzipSync(raw) : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const headers: Record<string, string> = {};
  // User headers first so they cannot replace the framing ones below.
  for (const [k, v] of Object.entries(config.headers)) headers[k.toLowerCase()] = v;
  headers['content-type'] = contentType(config.encoding);
  headers['content-length'] = String(body.length);
  if (gzip) headers['content-encoding'] = 'gzip';
  else delete headers['content-encoding'];
  headers['user-agent'] ??= 'otel-pipeline';
  return { url: signalUrl(config, batch.signal), headers, body };
}

/** Endpoint checks for `validate`: a URL for each signal that will be used. */
export function validateEndpoints(config: HttpTargetConfig): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  for (const key of ['endpoint', 'metrics_endpoint', 'logs_endpoint', 'traces_endpoint'] as const) {
    const v = config[key];
    if (v === undefined) continue;
    let u: URL | undefined;
    try {
      u = new URL(v);
    } catch {
      /* reported below */
    }
    if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
      problems.push({ path: key, message: `"${v}" is not an http:// or https:// URL` });
    }
  }
  if (!config.endpoint && !(config.metrics_endpoint && config.logs_endpoint && config.traces_endpoint)) {
    const missing = (['metrics', 'logs', 'traces'] as const).filter((s) => !config[`${s}_endpoint`]);
    if (missing.length === 3) problems.push({ path: 'endpoint', message: 'set endpoint (the base URL; /v1/<signal> is appended) or a per-signal *_endpoint' });
  }
  return problems;
}
