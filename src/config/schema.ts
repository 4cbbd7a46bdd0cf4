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
import type { TlsServerFiles } from '../net/listeners';

/** A duration such as "200ms", "5s", "1m30s", "30d" (or 0); parsed to milliseconds. */
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

/** The config shape `tlsServer()` validates. */
export interface TlsServerConfig {
  cert_file: string;
  key_file: string;
  ca_file?: string;
  client_ca_file?: string;
  min_version?: '1.2' | '1.3';
}

/** Maps the config's snake_case TLS keys to what the listener registry takes. */
export function tlsServerFiles(tls: TlsServerConfig | undefined): TlsServerFiles | undefined {
  if (!tls) return undefined;
  return { certFile: tls.cert_file, keyFile: tls.key_file, clientCaFile: tls.client_ca_file ?? tls.ca_file, minVersion: tls.min_version };
}
