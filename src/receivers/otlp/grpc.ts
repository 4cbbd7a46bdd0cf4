/**
 * OTLP/gRPC: the three Export methods (OTLP spec, "OTLP/gRPC"). The
 * listener's gRPC server hands requests over as bytes (already decompressed),
 * so a decode failure becomes INVALID_ARGUMENT with the decoder's message.
 */
import { SIGNALS, type RequestContext, type Signal } from '../../model/batch';
import { grpcMetadata } from '../../net/grpc-server';
import { GrpcStatus } from '../../net/grpc-status';
import type { GrpcCall, GrpcCallback, GrpcError, GrpcExportHandler, GrpcHandlers } from '../../net/listeners';
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
  async function serve(signal: Signal, call: GrpcCall, callback: GrpcCallback): Promise<void> {
    const client = call.peer;
    const refuse = (code: GrpcStatus, reason: string, message: string) => {
      core.refuseRequest('grpc', client, reason, message);
      callback(grpcError(code, message));
    };
    if (auth && !auth(firstString(call.headers.authorization))) return refuse(GrpcStatus.UNAUTHENTICATED, 'unauthenticated', 'missing or invalid bearer token');
    if (!core.next[signal]) return refuse(GrpcStatus.UNIMPLEMENTED, 'no_pipeline', `receiver "${core.id}" takes no ${signal}: no ${signal} pipeline uses it`);
    let result: DecodeResult<unknown>;
    try {
      result = core.decodeProto(signal, call.request);
    } catch (err) {
      if (!(err instanceof OtlpDecodeError)) core.logger.warn('OTLP decoder failed unexpectedly', { error: err });
      return refuse(GrpcStatus.INVALID_ARGUMENT, 'decode', `cannot decode the ${signal} request: ${(err as Error).message}`);
    }
    const context: RequestContext = { clientAddress: client, metadata: config.include_metadata ? grpcMetadata(call.headers, auth === undefined ? undefined : 'authorization') : new Map() };
    const outcome = await core.deliver(signal, 'grpc', result, context);
    if (outcome.ok) return callback(null, Buffer.from(encodeExportResponse(signal, outcome.rejected, outcome.message)));
    const r = outcome.refusal;
    callback(grpcError(r.grpcCode, r.message, r.retryAfterMs));
  }

  const handlers: GrpcHandlers = {
    // Refused by the gRPC transport (headers, method, framing, size): counted as the HTTP side counts its own.
    refused: (reason, details, peer) => core.refuseRequest('grpc', peer, reason, details),
  };
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

/** A status, with a google.rpc.RetryInfo detail when a delay is known (OTLP throttling). */
function grpcError(code: GrpcStatus, details: string, retryAfterMs?: number): GrpcError {
  return retryAfterMs === undefined ? { code, details } : { code, details, statusDetails: encodeRpcStatus(code, details, retryAfterMs) };
}

function firstString(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
