/**
 * Static bearer-token check for both transports.
 *
 * Both sides are hashed before the constant-time comparison, so neither the
 * content nor the length of the configured token leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** true when the `Authorization` value (HTTP header or gRPC metadata) carries the token. */
export type BearerCheck = (authorization: string | undefined) => boolean;

export function bearerTokenCheck(token: string): BearerCheck {
  const expected = digest(token);
  return (authorization) => {
    if (typeof authorization !== 'string') return false;
    const value = authorization.trim();
    // Parsed by hand: a regex over an attacker's header is a needless risk.
    if (value.length < 8 || value.slice(0, 7).toLowerCase() !== 'bearer ') return false;
    return timingSafeEqual(digest(value.slice(7).trim()), expected);
  };
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}
