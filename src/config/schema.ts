/**
 * Small builders for component schemas, so that every component spells the
 * shared shapes (durations, byte sizes, endpoints, TLS) the same way.
 *
 * `duration: true` and `byteSize: true` are our own ajv keywords (see
 * validate.ts): they check the text and replace it, during validation, with a
 * number (milliseconds, bytes), so components get parsed values and never
 * parse a "5s" themselves.
 */
import type { JsonSchema } from '../pipeline/component';

/** A duration such as "200ms", "5s", "1m30s" (or 0); parsed to milliseconds. */
export function duration(defaultValue?: string, description?: string): JsonSchema {
  return withDefault({ duration: true, description }, defaultValue);
}

/** A size such as "16MiB", "512KiB", "1GB" or a plain number of bytes; parsed to bytes. */
export function byteSize(defaultValue?: string | number, description?: string): JsonSchema {
  return withDefault({ byteSize: true, description }, defaultValue);
}

/** `host:port` to listen on or dial. */
export function endpoint(defaultValue?: string, description?: string): JsonSchema {
  return withDefault({ type: 'string', minLength: 1, description }, defaultValue);
}

/** An object schema that refuses unknown keys and fills defaults. */
export function object(properties: Record<string, JsonSchema>, extra: JsonSchema = {}): JsonSchema {
  return { type: 'object', additionalProperties: false, properties, default: {}, ...extra };
}

/** Server-side TLS: certificate and key files (both or neither). */
export function tlsServer(): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      cert_file: { type: 'string', minLength: 1 },
      key_file: { type: 'string', minLength: 1 },
      ca_file: { type: 'string', minLength: 1 },
      client_ca_file: { type: 'string', minLength: 1 },
      min_version: { type: 'string', enum: ['1.2', '1.3'] },
    },
    required: ['cert_file', 'key_file'],
  };
}

function withDefault(schema: JsonSchema, defaultValue: unknown): JsonSchema {
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema)) if (v !== undefined) out[k] = v;
  if (defaultValue !== undefined) out.default = defaultValue;
  return out;
}
