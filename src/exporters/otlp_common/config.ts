/**
 * Config keys the two OTLP exporters share: headers, compression and
 * client-side TLS, in the Go collector's spelling.
 */
import fs from 'node:fs';
import type { JsonSchema } from '../../pipeline/component';

export interface TlsClientConfig {
  insecure: boolean;
  insecure_skip_verify: boolean;
  ca_file?: string;
  cert_file?: string;
  key_file?: string;
  server_name_override?: string;
}

export function headersSchema(): JsonSchema {
  return {
    type: 'object',
    additionalProperties: { type: 'string', sensitive: true },
    default: {},
    description: 'Headers (gRPC metadata) sent with every request, e.g. an API key; values may come from ${env:VAR}.',
  };
}

/**
 * Header values that expanded to nothing (`${env:VENDOR_KEY:-}` with the
 * variable unset) are left out rather than sent empty.
 */
export function withoutEmptyHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== '') out[k] = v;
  return out;
}

/** Why an exporter with `endpoint: ""` is off, for its one startup note. */
export const EMPTY_ENDPOINT_NOTE = 'its endpoint is empty (a preset writes endpoint: ${env:VAR:-}; set the variable to send)';

export function compressionSchema(): JsonSchema {
  return { enum: ['gzip', 'none', ''], default: 'gzip', description: 'Request compression: gzip or none.' };
}

export function tlsClientSchema(): JsonSchema {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      insecure: { type: 'boolean', default: false, description: 'gRPC: plaintext instead of TLS.' },
      insecure_skip_verify: { type: 'boolean', default: false, description: 'TLS without checking the server certificate.' },
      ca_file: { type: 'string', minLength: 1, description: 'CA bundle the server certificate must chain to (default: system roots).' },
      cert_file: { type: 'string', minLength: 1, description: 'Client certificate for mutual TLS.' },
      key_file: { type: 'string', minLength: 1, description: 'Client key for mutual TLS.' },
      server_name_override: { type: 'string', minLength: 1, description: 'Name to check the server certificate against.' },
    },
  };
}

/** cert_file and key_file come as a pair, and every file named is readable. */
export function validateTls(tls: TlsClientConfig | undefined): Array<{ path: string; message: string }> {
  if (!tls) return [];
  const problems: Array<{ path: string; message: string }> = [];
  if ((tls.cert_file === undefined) !== (tls.key_file === undefined)) {
    problems.push({ path: 'tls', message: 'cert_file and key_file must be set together (client certificate and its key)' });
  }
  for (const key of ['ca_file', 'cert_file', 'key_file'] as const) {
    const file = tls[key];
    if (file === undefined) continue;
    try {
      fs.accessSync(file, fs.constants.R_OK);
    } catch {
      problems.push({ path: `tls.${key}`, message: `cannot read "${file}"` });
    }
  }
  return problems;
}
