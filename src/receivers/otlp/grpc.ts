/**
 * OTLP/gRPC: the three Export methods (OTLP spec, "OTLP/gRPC"). The listener
 * registry registers them with an identity deserializer, so requests arrive
 * here as bytes (already un-gzipped by grpc-js) and a decode failure becomes
 * INVALID_ARGUMENT with the decoder's message.
 */
import { Metadata, status as GrpcStatus, type ServerErrorResponse, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { SIGNALS, type RequestContext, type Signal } from '../../model/batch';
import type { GrpcExportHandler, GrpcHandlers } from '../../net/listeners';
import { OtlpDecodeError, type DecodeResult } from '../../otlp/decode-result';
import { encodeExportResponse } from '../../otlp/proto';
import type { BearerCheck } from './auth';
import type { GrpcConfig } from './config';
import { encodeRpcStatus, type ExportCore } from './core';

export interface GrpcHandlerOptions {
  core: ExportCore;
  config: GrpcConfig;
  auth?: BearerCheck;
}

export function createGrpcHandlers({ core, config, auth }: GrpcHandlerOptions): GrpcHandlers {
  async function serve(signal: Signal, call: ServerUnaryCall<Buffer, Buffer>, callback: sendUnaryData<Buffer>): Promise<void> {
    const client = peerAddress(call.getPeer());
    const refuse = (code: GrpcStatus, reason: string, message: string) => {
      core.refuseRequest('grpc', client, reason, message);
      callback(grpcError(code, message));
    };
    if (auth && !auth(firstString(call.metadata.get('authorization')))) return refuse(GrpcStatus.UNAUTHENTICATED, 'unauthenticated', 'missing or invalid bearer token');
    if (!core.next[signal]) return refuse(GrpcStatus.UNIMPLEMENTED, 'no_pipeline', `receiver "${core.id}" takes no ${signal}: no ${signal} pipeline uses it`);
    let result: DecodeResult<unknown>;
    try {
      result = core.decodeProto(signal, call.request);
    } catch (err) {
      if (!(err instanceof OtlpDecodeError)) core.logger.warn('OTLP decoder failed unexpectedly', { error: err });
      return refuse(GrpcStatus.INVALID_ARGUMENT, 'decode', `cannot decode the ${signal} request: ${(err as Error).message}`);
    }
    const context: RequestContext = { clientAddress: client, metadata: config.include_metadata ? metadataMap(call.metadata, auth !== undefined) : new Map() };
    const outcome = await core.deliver(signal, 'grpc', result, context);
    if (outcome.ok) return callback(null, Buffer.from(encodeExportResponse(signal, outcome.rejected, outcome.message)));
    const r = outcome.refusal;
    callback(grpcError(r.grpcCode, r.message, r.retryAfterMs));
  }

  const handlers: GrpcHandlers = {};
  for (const signal of SIGNALS) {
    const handler: GrpcExportHandler = (call, callback) => {
      const done = core.begin();
      serve(signal, call, callback)
        .catch((err) => {
          core.logger.error('OTLP/gRPC handler failed', { error: err });
          callback(grpcError(GrpcStatus.INTERNAL, 'internal error'));
        })
        .finally(done);
    };
    handlers[signal] = handler;
  }
  return handlers;
}

/** A status for grpc-js, with a google.rpc.RetryInfo detail when a delay is known (OTLP throttling). */
function grpcError(code: GrpcStatus, details: string, retryAfterMs?: number): Partial<ServerErrorResponse> {
  const err: Partial<ServerErrorResponse> = { code, details };
  if (retryAfterMs !== undefined) {
    const md = new Metadata();
    md.set('grpc-status-details-bin', encodeRpcStatus(code, details, retryAfterMs));
    err.metadata = md;
  }
  return err;
}

/** `1.2.3.4:5678` / `[::1]:5678` → the address alone, as the HTTP side reports it. */
function peerAddress(peer: string): string {
  if (peer.startsWith('[')) return peer.slice(1, peer.indexOf(']'));
  const colon = peer.lastIndexOf(':');
  return colon > 0 && peer.indexOf(':') === colon ? peer.slice(0, colon) : peer;
}

function firstString(values: (string | Buffer)[]): string | undefined {
  const v = values[0];
  return typeof v === 'string' ? v : undefined;
}

function metadataMap(md: Metadata, dropAuthorization: boolean): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, values] of Object.entries(md.toJSON())) {
    if (dropAuthorization && k === 'authorization') continue;
    out.set(k, values.map((v) => (typeof v === 'string' ? v : Buffer.from(v).toString('base64'))));
  }
  return out;
}
