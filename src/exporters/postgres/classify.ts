/**
 * What a failed write means: retry (the server is down, restarting, out of
 * connections, or asked us to retry) or give the batch up (the server
 * refused this data and will refuse it again).
 */
import { SendError } from '../helper';

/** SQLSTATEs (and classes, two characters) after which the same batch can succeed. */
const RETRYABLE_STATES = new Set([
  '08', // connection exception
  '53', // insufficient resources (too many connections, disk full, out of memory)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, in recovery)
  '57P05', // idle session timeout
  '57014', // query_canceled: our statement_timeout
  '58', // system error (I/O)
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '55006', // object_in_use
  '25P03', // idle_in_transaction_session_timeout
]);

const NODE_CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

/** Messages node-postgres gives for a connection that is gone or never came. */
const CONNECTION_MESSAGE = /connection terminated|not queryable|timeout exceeded when trying to connect|connection timeout|server closed the connection|socket|ended by the server/i;

interface PgLikeError {
  code?: unknown;
  constraint?: unknown;
  message?: unknown;
}

/**
 * A five-character SQLSTATE, if the error came from the server. Every
 * SQLSTATE has a digit; Node's error codes (`EPIPE`) have none.
 */
export function sqlState(err: unknown): string | undefined {
  const code = (err as PgLikeError | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && /[0-9]/.test(code) ? code : undefined;
}

/**
 * Inserting into a day whose partition is gone (another daemon's retention
 * dropped it after we cached that it exists) reads as check_violation
 * without a constraint name; a CHECK constraint names itself.
 */
export function isMissingPartition(err: unknown): boolean {
  const e = err as PgLikeError | null;
  return sqlState(err) === '23514' && !e?.constraint;
}

/** Whether the connection that raised `err` can still be used (a server-side SQL error) or must be discarded. */
export function connectionUsable(err: unknown): boolean {
  const state = sqlState(err);
  return state !== undefined && !state.startsWith('08') && !state.startsWith('57P');
}

export function classifyPgError(err: unknown): SendError {
  if (err instanceof SendError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const state = sqlState(err);
  if (state !== undefined) {
    if (isMissingPartition(err)) return new SendError(`partition missing: ${message}`, { retryable: true, reason: 'missing_partition', cause: err });
    const retryable = RETRYABLE_STATES.has(state) || RETRYABLE_STATES.has(state.slice(0, 2));
    return new SendError(`PostgreSQL error ${state}: ${message}`, { retryable, reason: `pg_${state}`, cause: err });
  }
  const code = (err as PgLikeError | null)?.code;
  if ((typeof code === 'string' && NODE_CONNECTION_CODES.has(code)) || CONNECTION_MESSAGE.test(message)) {
    return new SendError(`cannot reach PostgreSQL: ${message}`, { retryable: true, reason: 'connection', cause: err });
  }
  return new SendError(message, { retryable: false, reason: 'error', cause: err });
}
