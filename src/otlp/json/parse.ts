/**
 * Turning an OTLP/JSON body into a JS value without losing 64-bit integers.
 *
 * JSON.parse rounds every number literal to a double, so a timestamp sent as a
 * bare number (`"timeUnixNano": 1700000000123456789`) would come back a few
 * hundred nanoseconds off. Node 20 has no `JSON.parse` source-text access, so
 * before parsing we rewrite integer literals that are not safe integers into
 * strings tagged with a marker character; the readers in read.ts treat such a
 * string as the number it was (exactly, from its digits) and report it as a
 * number in type errors. Bodies without such literals (all SDKs send int64 as
 * strings) skip the rewrite after one cheap regex test.
 */
import { OtlpDecodeError } from '../decode-result';

/**
 * Prefix of a rewritten number literal. U+FDD0 is a Unicode noncharacter,
 * meant for internal use like this; a body with a string of its own starting
 * with it is parsed without the rewrite, so the mark is never ambiguous.
 */
export const BIG_MARK = '\uFDD0';
export const BIG_MARK_CODE = 0xfdd0;

/** Roots of parsed documents whose big number literals were rewritten. */
const rewrittenRoots = new WeakSet<object>();

/** A number token outside a string: after `:`, `,` or `[`, with 16+ digits. */
const MAYBE_BIG = /[:,[]\s*-?\d{16}/;
/** Whole string tokens (skipped as-is) or whole number tokens. */
const TOKENS = /"[^"\\]*(?:\\[\s\S][^"\\]*)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;

/** Set when a string in the body itself starts with the marker; see parseJsonBody. */
let markerInText = false;

function quoteBig(tok: string): string {
  if (tok.charCodeAt(0) === 34) {
    if (tok.charCodeAt(1) === BIG_MARK_CODE || /^"\\u[fF][dD][dD]0/.test(tok)) markerInText = true;
    return tok;
  }
  if (tok.length < 16) return tok;
  for (let i = 1; i < tok.length; i++) {
    const c = tok.charCodeAt(i);
    if (c === 46 || c === 101 || c === 69) return tok; // '.', 'e', 'E': a double, JSON.parse is right
  }
  return Number.isSafeInteger(Number(tok)) ? tok : '"' + BIG_MARK + tok + '"';
}

/** The body as text: UTF-8 decoded (invalid sequences become U+FFFD), BOM removed. */
export function bodyText(body: Uint8Array | string): string {
  let text: string;
  if (typeof body === 'string') text = body;
  else if (body instanceof Uint8Array) text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  else throw new OtlpDecodeError(`invalid JSON: body must be a string or bytes, got ${typeof body}`);
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses an OTLP/JSON body. Integer literals beyond ±2^53 stay exact (see the
 * file comment), so pass the result to a `decode...RequestObject` function
 * rather than reading numbers from it directly. Throws OtlpDecodeError
 * (`invalid JSON: ...`) on a syntax error.
 */
export function parseJsonBody(body: Uint8Array | string): unknown {
  const text = bodyText(body);
  let rewritten: string | undefined;
  if (MAYBE_BIG.test(text)) {
    try {
      markerInText = false;
      rewritten = text.replace(TOKENS, quoteBig);
      // A real string that looks like a marked number would be misread: keep JSON.parse's rounding instead.
      if (rewritten === text || markerInText) rewritten = undefined;
    } catch {
      rewritten = undefined; // regex engine limits on a pathological body: parse as-is
    }
  }
  if (rewritten !== undefined) {
    try {
      const value: unknown = JSON.parse(rewritten);
      if (typeof value === 'object' && value !== null) rewrittenRoots.add(value);
      return value;
    } catch {
      // Report the syntax error against the original text below.
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new OtlpDecodeError(`invalid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Whether `root` came from parseJsonBody with big literals rewritten as marked strings. */
export function hasMarkedNumbers(root: unknown): boolean {
  return typeof root === 'object' && root !== null && rewrittenRoots.has(root);
}

/** The digits of a marked big-number string, or undefined for an ordinary string. */
export function markedDigits(s: string): string | undefined {
  return s.charCodeAt(0) === BIG_MARK_CODE ? s.slice(1) : undefined;
}
