/**
 * OTLP/HTTP: POST protobuf or JSON to /v1/{metrics,logs,traces}, plain, gzip
 * or deflate, answered in the request's encoding (OTLP spec, "OTLP/HTTP").
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as zlib from 'node:zlib';
import type { RequestContext, Signal } from '../../model/batch';
import type { HttpHandler } from '../../net/listeners';
import { OtlpDecodeError, type DecodeResult } from '../../otlp/decode-result';
import { encodeExportResponse, sniffProtoSignal } from '../../otlp/proto';
import { encodeExportResponseJson, parseJsonBody, sniffJsonSignal } from '../../otlp/json';
import type { BearerCheck } from './auth';
import type { HttpConfig } from './config';
import { decodeJson, decodeJsonObject, encodeRpcStatus, encodeRpcStatusJson, type ExportCore } from './core';

type Encoding = 'proto' | 'json';
type Coding = 'identity' | 'gzip' | 'deflate';

/** google.rpc.Code values used in Status bodies (the spec says clients may ignore them). */
const Code = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, UNIMPLEMENTED: 12, UNAUTHENTICATED: 16, PERMISSION_DENIED: 7 } as const;

/** A refusal decided before the body was decoded. */
class Refused extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface HttpHandlerOptions {
  core: ExportCore;
  config: HttpConfig;
  auth?: BearerCheck;
}

export function createHttpHandler({ core, config, auth }: HttpHandlerOptions): HttpHandler {
  const routes = new Map<string, Signal>([
    [config.metrics_url_path, 'metrics'],
    [config.logs_url_path, 'logs'],
    [config.traces_url_path, 'traces'],
  ]);
  const pathOf: Record<Signal, string> = { metrics: config.metrics_url_path, logs: config.logs_url_path, traces: config.traces_url_path };
  const allPaths = `${pathOf.metrics}, ${pathOf.logs} or ${pathOf.traces}`;
  const limit = config.max_request_body_size;
  const origins = config.cors.allowed_origins.map(originPattern);
  const hinted = new Set<Signal>();

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const client = req.socket.remoteAddress ?? '';
    const media = mediaType(req.headers['content-type']);
    const enc: Encoding = media?.enc ?? 'json';
    const path = (req.url ?? '/').split('?', 1)[0];
    const refuse = (r: Refused) => {
      core.refuseRequest('http', client, r.reason, r.message);
      sendStatus(res, r.status, enc, media?.type, r.code, r.message, undefined, r.headers);
    };
    /** Answers without reading the body, then drops what the client still sends (up to the limit). */
    const refuseUnread = (r: Refused) => {
      refuse(r);
      discard(req, limit);
    };
    const origin = req.headers.origin;
    const corsAllowed = origin !== undefined && origins.some((re) => re.test(origin));
    if (corsAllowed) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
    }

    const target = routes.get(path) ?? (path === '/' ? 'auto' : undefined);
    if (!target) return refuseUnread(new Refused(404, Code.NOT_FOUND, 'not_found', `no OTLP endpoint at ${path}: POST to ${allPaths}`));
    if (req.method === 'OPTIONS' && origins.length > 0 && req.headers['access-control-request-method']) {
      preflight(res, corsAllowed, config, req.headers['access-control-request-headers']);
      return discard(req, limit);
    }
    if (req.method !== 'POST') return refuseUnread(new Refused(405, Code.UNIMPLEMENTED, 'method_not_allowed', `${req.method} is not allowed: OTLP/HTTP takes POST`, { allow: 'POST' }));
    if (auth && !auth(req.headers.authorization)) return refuseUnread(new Refused(401, Code.UNAUTHENTICATED, 'unauthenticated', 'missing or invalid bearer token', { 'www-authenticate': 'Bearer' }));
    if (!media) return refuseUnread(new Refused(415, Code.INVALID_ARGUMENT, 'unsupported_media_type', `unsupported Content-Type "${req.headers['content-type'] ?? ''}": use application/x-protobuf or application/json`));
    const coding = contentCoding(req.headers['content-encoding']);
    if (!coding) return refuseUnread(new Refused(415, Code.INVALID_ARGUMENT, 'unsupported_encoding', `unsupported Content-Encoding "${req.headers['content-encoding']}": use gzip, deflate or none`));
    if (target !== 'auto' && !core.next[target]) return refuseUnread(noPipeline(core.id, target));
    if (Number(req.headers['content-length']) > limit) {
      // Do not read a body we already know we refuse; close instead of draining it.
      return refuse(new Refused(413, Code.INVALID_ARGUMENT, 'too_large', `the body (${req.headers['content-length']} bytes) exceeds the limit of ${limit} bytes`, { connection: 'close' }));
    }

    let body: Buffer;
    try {
      body = await readBody(req, coding, limit);
    } catch (err) {
      if (err instanceof Refused) refuse(err);
      else res.destroy(); // the client went away; nobody to answer
      return;
    }

    let signal: Signal;
    let result: DecodeResult<unknown>;
    try {
      if (target === 'auto') {
        // Parsed once, by the codec's parser (it keeps 64-bit integers exact).
        const parsed = enc === 'json' ? parseJsonBody(body) : undefined;
        const sniffed = enc === 'json' ? sniffJsonSignal(parsed) : sniffProtoSignal(body);
        if (!sniffed) return refuse(new Refused(400, Code.INVALID_ARGUMENT, 'decode', `cannot tell which signal a request to "/" carries: POST to ${allPaths}`));
        signal = sniffed;
        if (!core.next[signal]) return refuse(noPipeline(core.id, signal));
        if (!hinted.has(signal)) {
          hinted.add(signal);
          core.logger.warn(`an OTLP client POSTs ${signal} to "/"; accepted, but configure it to use ${pathOf[signal]} (a per-signal SDK endpoint is used as given)`, { client, signal });
        }
        result = enc === 'json' ? decodeJsonObject[signal](parsed) : core.decodeProto(signal, body);
      } else {
        signal = target;
        result = enc === 'json' ? decodeJson[signal](body) : core.decodeProto(signal, body);
      }
    } catch (err) {
      if (!(err instanceof OtlpDecodeError)) core.logger.warn('OTLP decoder failed unexpectedly', { error: err });
      const what = enc === 'json' ? 'JSON' : 'protobuf';
      return refuse(new Refused(400, Code.INVALID_ARGUMENT, 'decode', `cannot decode the ${what} request: ${(err as Error).message}`));
    }

    const context: RequestContext = { clientAddress: client, metadata: config.include_metadata ? headerMap(req, auth !== undefined) : new Map() };
    const outcome = await core.deliver(signal, 'http', result, context);
    if (!outcome.ok) {
      const r = outcome.refusal;
      return sendStatus(res, r.httpStatus, enc, media.type, r.grpcCode, r.message, r.retryAfterMs);
    }
    const payload = enc === 'json' ? Buffer.from(encodeExportResponseJson(signal, outcome.rejected, outcome.message)) : Buffer.from(encodeExportResponse(signal, outcome.rejected, outcome.message));
    send(res, 200, media.type, payload);
  }

  return (req, res) => {
    const done = core.begin();
    serve(req, res)
      .catch((err) => {
        core.logger.error('OTLP/HTTP handler failed', { error: err });
        if (!res.headersSent) sendStatus(res, 500, 'json', undefined, 13, 'internal error');
        else res.destroy();
      })
      .finally(done);
  };
}

function noPipeline(id: string, signal: Signal): Refused {
  return new Refused(404, Code.NOT_FOUND, 'no_pipeline', `receiver "${id}" takes no ${signal}: no ${signal} pipeline uses it`);
}

/** Reads and drops a body nobody wants, hanging up past `cap` bytes. */
function discard(req: IncomingMessage, cap: number): void {
  let n = 0;
  req.on('data', (c: Buffer) => {
    n += c.length;
    if (n > cap) req.destroy();
  });
  req.resume();
}

function preflight(res: ServerResponse, allowed: boolean, config: HttpConfig, requested: string | undefined): void {
  if (!allowed) return sendStatus(res, 403, 'json', undefined, Code.PERMISSION_DENIED, 'origin not allowed (protocols.http.cors.allowed_origins)');
  const base = ['accept', 'content-type', 'content-encoding', 'x-requested-with'];
  const configured = config.cors.allowed_headers.map((h) => h.toLowerCase());
  const headers = configured.includes('*') ? (requested ?? '') : [...base, ...configured].join(', ');
  res.setHeader('access-control-allow-methods', 'POST');
  if (headers) res.setHeader('access-control-allow-headers', headers);
  if (config.cors.max_age > 0) res.setHeader('access-control-max-age', String(config.cors.max_age));
  res.writeHead(204).end();
}

function originPattern(pattern: string): RegExp {
  const escaped = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 'i');
}

function mediaType(header: string | undefined): { enc: Encoding; type: string } | undefined {
  const type = (header ?? '').split(';', 1)[0].trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return { enc: 'proto', type };
  if (type === 'application/json') return { enc: 'json', type };
  return undefined;
}

function contentCoding(header: string | undefined): Coding | undefined {
  const v = (header ?? '').trim().toLowerCase();
  if (v === '' || v === 'identity') return 'identity';
  if (v === 'gzip' || v === 'x-gzip') return 'gzip';
  if (v === 'deflate') return 'deflate';
  return undefined;
}

function headerMap(req: IncomingMessage, dropAuthorization: boolean): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of Object.entries(req.headersDistinct)) {
    if (v && !(dropAuthorization && k === 'authorization')) out.set(k, v);
  }
  return out;
}

/**
 * Reads the body, inflating as it goes, and refuses with 413 as soon as either
 * the bytes received or the bytes inflated pass `limit`: a gzip bomb costs us
 * at most `limit` bytes of memory. What the client still sends after a
 * refusal is read and dropped (up to `limit` more) so it can see the answer.
 */
function readBody(req: IncomingMessage, coding: Coding, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let received = 0;
    let settled = false;
    let inflater: zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | undefined;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      inflater?.destroy();
      req.resume();
      reject(err);
    };
    const tooLarge = (what: string) => fail(new Refused(413, Code.INVALID_ARGUMENT, 'too_large', `the ${what} exceeds the limit of ${limit} bytes`));
    const finish = () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, size));
    };
    const collect = (c: Buffer) => {
      if (settled) return;
      size += c.length;
      if (size > limit) return tooLarge(coding === 'identity' ? 'body' : 'decompressed body');
      chunks.push(c);
    };
    req.on('data', (c: Buffer) => {
      received += c.length;
      if (settled) {
        if (received > 2 * limit) req.destroy();
        return;
      }
      if (received > limit) return tooLarge('body');
      if (coding === 'identity') return collect(c);
      if (!inflater) {
        // "deflate" means zlib-wrapped (RFC 9110), but some clients send it raw.
        const zlibHeader = c.length < 2 || (c[0] & 0x0f) === 8 && ((c[0] << 8) | c[1]) % 31 === 0;
        inflater = coding === 'gzip' ? zlib.createGunzip() : zlibHeader ? zlib.createInflate() : zlib.createInflateRaw();
        inflater.on('data', collect);
        inflater.on('end', finish);
        inflater.on('error', (e) => fail(new Refused(400, Code.INVALID_ARGUMENT, 'decode', `the ${coding} body cannot be decompressed: ${e.message}`)));
      }
      if (!inflater.write(c)) {
        req.pause();
        inflater.once('drain', () => settled || req.resume());
      }
    });
    req.on('end', () => (inflater ? inflater.end() : finish()));
    req.on('error', () => fail(new Error('client aborted')));
    req.on('close', () => req.complete || fail(new Error('client aborted')));
  });
}

function send(res: ServerResponse, status: number, contentType: string, body: Buffer, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': String(body.length) });
  res.end(body);
}

function sendStatus(res: ServerResponse, status: number, enc: Encoding, mediaType: string | undefined, code: number, message: string, retryAfterMs?: number, headers: Record<string, string> = {}): void {
  const h = { ...headers };
  if (retryAfterMs !== undefined) h['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  if (enc === 'proto') send(res, status, mediaType ?? 'application/x-protobuf', encodeRpcStatus(code, message, retryAfterMs), h);
  else send(res, status, 'application/json', Buffer.from(encodeRpcStatusJson(code, message, retryAfterMs)), h);
}
