/**
 * The two kinds of failure a consumer can report, classified once where they
 * happen and respected by every layer above (DESIGN.md, consumer contract).
 */

export type ErrorCode =
  /** The data itself is bad; sending it again cannot help. */
  | 'PERMANENT'
  /** The next hop is busy or full; the sender should retry after a while. */
  | 'OVERLOADED'
  /** The next hop is down or shutting down; the sender should retry. */
  | 'UNAVAILABLE';

export class PipelineError extends Error {
  readonly code: ErrorCode;
  /** The component that raised it, e.g. `exporter otlp/vendor`. */
  readonly componentId: string | undefined;
  /** Suggested wait before a retry, when the next hop said so. */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, opts: { componentId?: string; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PipelineError';
    this.code = code;
    this.componentId = opts.componentId;
    this.retryAfterMs = opts.retryAfterMs;
  }

  get retryable(): boolean {
    return this.code !== 'PERMANENT';
  }
}

export function permanentError(message: string, componentId?: string, cause?: unknown): PipelineError {
  return new PipelineError('PERMANENT', message, { componentId, cause });
}

export function overloadedError(message: string, componentId?: string, retryAfterMs?: number): PipelineError {
  return new PipelineError('OVERLOADED', message, { componentId, retryAfterMs });
}

export function unavailableError(message: string, componentId?: string, retryAfterMs?: number): PipelineError {
  return new PipelineError('UNAVAILABLE', message, { componentId, retryAfterMs });
}

/**
 * Classifies anything thrown by a consumer. Unknown errors are permanent: a
 * bug in a component must not make clients retry the same data forever.
 */
export function asPipelineError(err: unknown, componentId?: string): PipelineError {
  if (err instanceof PipelineError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new PipelineError('PERMANENT', message, { componentId, cause: err });
}

/**
 * Combines the failures of a fan-out: retryable wins over permanent, because a
 * retry can still deliver to the consumers that failed for load (the ones that
 * accepted will see the data again; at-least-once).
 */
export function combineErrors(errors: PipelineError[]): PipelineError {
  if (errors.length === 1) return errors[0];
  const retryable = errors.find((e) => e.retryable);
  const first = retryable ?? errors[0];
  const message = errors.map((e) => e.message).join('; ');
  return new PipelineError(first.code, message, { componentId: first.componentId, retryAfterMs: first.retryAfterMs });
}
