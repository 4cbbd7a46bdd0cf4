/**
 * Exact nanosecond timestamps without BigInt.
 *
 * OTLP times are uint64 nanoseconds since the Unix epoch (about 2^61 today), too
 * large for a double. The model stores each one as two exact integers:
 * `ms`, whole milliseconds (< 2^44), and `ns`, the nanoseconds past that
 * millisecond (0..999 999). Both fit a double exactly, converting from the
 * protobuf's two 32-bit halves is a handful of float operations, and `ms` is
 * directly what Prometheus, Date and PostgreSQL want.
 */

const TWO32 = 4294967296;
const TWO21 = 2097152;
const TWO11 = 2048;

/** Scratch result for the conversions below, reused so hot paths allocate nothing. */
export interface NanosParts {
  ms: number;
  ns: number;
}

/**
 * Splits the uint64 `hi * 2^32 + lo` into ms and sub-ms ns, written into `out`.
 * Exact for every value below 2^64 whose ms part fits a double (all of them).
 */
export function nanosFromHiLo(hi: number, lo: number, out: NanosParts): NanosParts {
  // hi * 2^32 = hi * 4294 * 1e6 + hi * 967296; hi * 967296 + lo < 2^52, so exact.
  const rest = hi * 967296 + lo;
  const restMs = Math.floor(rest / 1e6);
  out.ms = hi * 4294 + restMs;
  out.ns = rest - restMs * 1e6;
  return out;
}

/** The 32-bit halves of `ms * 1e6 + ns`, written into `out` as `[hi, lo]`. */
export function nanosToHiLo(ms: number, ns: number, out: [number, number]): [number, number] {
  // ms = aHi * 2^21 + aLo; every product below stays under 2^53.
  const aHi = Math.floor(ms / TWO21);
  const aLo = ms - aHi * TWO21;
  const p = aHi * 1e6; // contributes p * 2^21
  const q = aLo * 1e6 + ns;
  const pHi = Math.floor(p / TWO11);
  const mid = (p - pHi * TWO11) * TWO21 + q; // < 2^32 + 2^41
  const carry = Math.floor(mid / TWO32);
  out[0] = pHi + carry;
  out[1] = mid - carry * TWO32;
  return out;
}

/** Decimal string of the full nanosecond value, as OTLP/JSON writes it. */
export function nanosToString(ms: number, ns: number): string {
  if (ms === 0) return String(ns);
  const frac = String(ns);
  return String(ms) + '000000'.slice(frac.length) + frac;
}

/**
 * Parses a decimal nanosecond string (OTLP/JSON). Returns false when it is not
 * a plain unsigned integer below 2^64.
 */
export function nanosFromString(s: string, out: NanosParts): boolean {
  if (s.length === 0 || s.length > 20 || !/^[0-9]+$/.test(s)) return false;
  if (s.length === 20 && s > '18446744073709551615') return false;
  if (s.length <= 6) {
    out.ms = 0;
    out.ns = Number(s);
  } else {
    out.ms = Number(s.slice(0, -6));
    out.ns = Number(s.slice(-6));
  }
  return true;
}

/** Splits a JS number of nanoseconds (exact only below 2^53) into parts. */
export function nanosFromNumber(n: number, out: NanosParts): boolean {
  if (!Number.isInteger(n) || n < 0) return false;
  const ms = Math.floor(n / 1e6);
  out.ms = ms;
  out.ns = n - ms * 1e6;
  return true;
}

/** Negative, zero or positive as a is before, equal to or after b. */
export function compareNanos(aMs: number, aNs: number, bMs: number, bNs: number): number {
  return aMs !== bMs ? aMs - bMs : aNs - bNs;
}

