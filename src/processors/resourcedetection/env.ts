/**
 * `env`: the resource attributes in the daemon's own OTEL_RESOURCE_ATTRIBUTES
 * (`key1=value1,key2=value2`, values percent-encoded), as the OpenTelemetry
 * SDKs read it. A malformed value is a startup error: silently dropping part
 * of what an operator wrote would label data wrongly for as long as the
 * daemon runs.
 */
import { str, type Attributes } from '../../model/common';
import type { Detector } from './context';

export const RESOURCE_ATTRIBUTES_VAR = 'OTEL_RESOURCE_ATTRIBUTES';

/** Thrown for a malformed OTEL_RESOURCE_ATTRIBUTES; the message names the variable and the entry. */
export class ResourceAttributesError extends Error {
  override readonly name = 'ResourceAttributesError';
}

/**
 * Parses `k1=v1,k2=v2`. Keys and values are trimmed, values percent-decoded
 * (`%2C` is a comma; a `+` stays a `+`). Blank entries (`a=1,,b=2`, a
 * trailing comma) are skipped; an entry without `=`, with an empty key, or
 * with a bad percent escape throws. A later duplicate key wins, as in the SDKs.
 */
export function parseResourceAttributes(text: string, variable = RESOURCE_ATTRIBUTES_VAR): Attributes {
  const out: Attributes = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq < 0) throw new ResourceAttributesError(`${variable}: entry "${entry}" has no "=": expected key=value pairs separated by commas`);
    const key = entry.slice(0, eq).trim();
    if (key === '') throw new ResourceAttributesError(`${variable}: entry "${entry}" has an empty key: expected key=value pairs separated by commas`);
    const value = percentDecode(entry.slice(eq + 1).trim(), variable, entry);
    const existing = out.findIndex((kv) => kv.key === key);
    if (existing >= 0) out.splice(existing, 1);
    out.push({ key, value: str(value) });
  }
  return out;
}

function percentDecode(s: string, variable: string, entry: string): string {
  if (!s.includes('%')) return s;
  const bad = /%(?![0-9A-Fa-f]{2})(.{0,2})/.exec(s);
  if (bad) throw new ResourceAttributesError(`${variable}: entry "${entry}" has a bad percent escape "%${bad[1]}": write a literal % as %25`);
  try {
    return decodeURIComponent(s);
  } catch {
    throw new ResourceAttributesError(`${variable}: entry "${entry}" does not percent-decode to valid UTF-8`);
  }
}

export const envDetector: Detector = {
  name: 'env',
  async detect(ctx) {
    const text = ctx.env[RESOURCE_ATTRIBUTES_VAR];
    return text ? parseResourceAttributes(text) : [];
  },
};
