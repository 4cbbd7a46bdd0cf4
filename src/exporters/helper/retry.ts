/**
 * Sending one batch with a per-attempt timeout and exponential backoff with
 * jitter, as the Go collector's `retry_on_failure` does. The clock is
 * injectable so tests check the timing without waiting for it.
 */
import { PipelineError } from '../../pipeline/errors';

/** `retry_on_failure`, parsed (durations in ms). */
export interface RetryConfig {
  enabled: boolean;
  initial_interval: number;
  max_interval: number;
  /** 0 = retry forever. */
  max_elapsed_time: number;
  multiplier: number;
  randomization_factor: number;
}

/** What a send reports; the exporter classifies failures with these. */
export class SendError extends Error {
  readonly retryable: boolean;
  /** Minimum wait before the next attempt, when the server said so (Retry-After, gRPC RetryInfo). */
  readonly retryAfterMs: number | undefined;
  /** Short label for counters and logs, e.g. 'http_503', 'grpc_UNAVAILABLE', 'timeout', 'connection'. */
  readonly reason: string;

  constructor(message: string, opts: { retryable: boolean; retryAfterMs?: number; reason: string; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SendError';
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs;
    this.reason = opts.reason;
  }
}

/** Time as the retry loop sees it. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or early (without rejecting) when `stop` aborts. */
  sleep(ms: number, stop: AbortSignal): Promise<void>;
  /** In [0, 1); the jitter. */
  random(): number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  random: () => Math.random(),
  sleep(ms: number, stop: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (stop.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        stop.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      stop.addEventListener('abort', done, { once: true });
    });
  },
};

export type SendOutcome =
  | { ok: true; attempts: number }
  /** `stopped`: shutdown interrupted the attempts; the batch was neither delivered nor given up. */
  | { ok: false; attempts: number; reason: string; message: string; retryable: boolean; stopped: boolean };

export interface RetryHooks {
  /** Called before each retry (not the first attempt). */
  onRetry?(reason: string, delayMs: number): void;
}

/**
 * The wait before retry number `n` (0-based): the interval grows by
 * `multiplier` up to `max_interval`, then is spread by ±randomization_factor.
 */
export function backoffDelay(cfg: RetryConfig, n: number, random: number): number {
  const interval = Math.min(cfg.initial_interval * Math.pow(cfg.multiplier, n), cfg.max_interval);
  const spread = interval * cfg.randomization_factor;
  return Math.max(0, Math.round(interval - spread + random * 2 * spread));
}

/** Turns anything a send threw into a SendError; a timeout abort is retryable. */
export function classify(err: unknown, timedOut: boolean): SendError {
  if (err instanceof SendError) return err;
  if (timedOut) return new SendError('the attempt timed out', { retryable: true, reason: 'timeout', cause: err });
  if (err instanceof PipelineError) return new SendError(err.message, { retryable: err.retryable, retryAfterMs: err.retryAfterMs, reason: err.code.toLowerCase(), cause: err });
  // Unclassified errors are bugs or surprises in the exporter: not retried, so
  // one bad batch cannot hold a queue forever (errors.ts says the same).
  const message = err instanceof Error ? err.message : String(err);
  return new SendError(message, { retryable: false, reason: 'error', cause: err });
}

/**
 * Sends until delivered, a permanent failure, `max_elapsed_time`, or `stop`.
 * Never rejects.
 */
export async function sendWithRetry(
  send: (signal: AbortSignal) => Promise<void>,
  cfg: RetryConfig,
  timeoutMs: number,
  clock: Clock,
  stop: AbortSignal,
  hooks: RetryHooks = {},
): Promise<SendOutcome> {
  const started = clock.now();
  for (let attempt = 1; ; attempt++) {
    const err = await attemptOnce(send, timeoutMs, stop);
    if (!err) return { ok: true, attempts: attempt };
    const fail = { ok: false as const, attempts: attempt, reason: err.reason, message: err.message, retryable: err.retryable };
    if (stop.aborted) return { ...fail, stopped: true };
    if (!err.retryable || !cfg.enabled) return { ...fail, stopped: false };
    const delay = Math.max(backoffDelay(cfg, attempt - 1, clock.random()), err.retryAfterMs ?? 0);
    if (cfg.max_elapsed_time > 0 && clock.now() + delay - started > cfg.max_elapsed_time) {
      return { ...fail, reason: err.reason, message: `gave up after ${attempt} attempts over max_elapsed_time: ${err.message}`, stopped: false };
    }
    hooks.onRetry?.(err.reason, delay);
    await clock.sleep(delay, stop);
    if (stop.aborted) return { ...fail, stopped: true };
  }
}

/** One attempt under its own timeout, also aborted by `stop`. Resolves to the failure, or undefined. */
async function attemptOnce(send: (signal: AbortSignal) => Promise<void>, timeoutMs: number, stop: AbortSignal): Promise<SendError | undefined> {
  const ac = new AbortController();
  let timedOut = false;
  const timer = timeoutMs > 0 ? setTimeout(() => ((timedOut = true), ac.abort(new Error('timeout'))), timeoutMs) : undefined;
  const onStop = () => ac.abort(new Error('shutdown'));
  stop.addEventListener('abort', onStop, { once: true });
  // A send that ignores its signal must not hold the loop past the timeout.
  const aborted = new Promise<never>((_, reject) => ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true }));
  aborted.catch(() => {});
  try {
    await Promise.race([send(ac.signal), aborted]);
    return undefined;
  } catch (err) {
    return classify(err, timedOut);
  } finally {
    if (timer) clearTimeout(timer);
    stop.removeEventListener('abort', onStop);
  }
}
