/**
 * Config of the `otlp` receiver, key for key the Go collector's (minus the
 * keys we do not implement), with safer defaults: loopback endpoints and a
 * 16 MiB gRPC message limit.
 */
import { byteSize, endpoint, object, tlsServer } from '../../config/schema';
import type { JsonSchema } from '../../pipeline/component';

export const DEFAULTS = {
  grpcEndpoint: '127.0.0.1:4317',
  httpEndpoint: '127.0.0.1:4318',
  maxRecvMsgSizeMib: 16,
  maxRequestBodySize: 20 * 1024 * 1024,
  tracesUrlPath: '/v1/traces',
  metricsUrlPath: '/v1/metrics',
  logsUrlPath: '/v1/logs',
} as const;

export interface TlsConfig {
  cert_file: string;
  key_file: string;
  /** Accepted for compatibility; a server does not use it (as in the Go collector). */
  ca_file?: string;
  client_ca_file?: string;
  min_version?: '1.2' | '1.3';
}

export interface CorsConfig {
  allowed_origins: string[];
  allowed_headers: string[];
  max_age: number;
}

export interface GrpcConfig {
  endpoint: string;
  max_recv_msg_size_mib: number;
  tls?: TlsConfig;
  include_metadata: boolean;
}

export interface HttpConfig {
  endpoint: string;
  /** Bytes (the schema parses "20MiB"). */
  max_request_body_size: number;
  traces_url_path: string;
  metrics_url_path: string;
  logs_url_path: string;
  tls?: TlsConfig;
  include_metadata: boolean;
  cors: CorsConfig;
}

/** The config as written (after schema defaults); `null` means "this protocol with defaults". */
export interface OtlpReceiverConfig {
  protocols?: { grpc?: Partial<GrpcConfig> | null; http?: Partial<HttpConfig> | null } | null;
  auth?: { bearer_token?: string } | null;
}

/** What the receiver runs with: a protocol is present when enabled. */
export interface ResolvedOtlpConfig {
  grpc?: GrpcConfig;
  http?: HttpConfig;
  bearerToken?: string;
}

const includeMetadata: JsonSchema = {
  type: 'boolean',
  default: false,
  description: 'Pass request headers (gRPC metadata) on with each batch, for processors that read from_context.',
};

const urlPath = (d: string): JsonSchema => ({ type: 'string', pattern: '^/', default: d });

/** A protocol block: present (even empty or null) enables the protocol, so it has no default of its own. */
function protocol(properties: Record<string, JsonSchema>): JsonSchema {
  const schema: JsonSchema = { ...object(properties), type: ['object', 'null'] };
  delete schema.default;
  return schema;
}

export const otlpReceiverSchema: JsonSchema = object({
  protocols: {
    ...object({
      grpc: protocol({
        endpoint: endpoint(DEFAULTS.grpcEndpoint, 'host:port to listen on; ":4317" means every interface.'),
        max_recv_msg_size_mib: { type: 'number', exclusiveMinimum: 0, default: DEFAULTS.maxRecvMsgSizeMib },
        tls: tlsServer(),
        include_metadata: includeMetadata,
      }),
      http: protocol({
        endpoint: endpoint(DEFAULTS.httpEndpoint, 'host:port to listen on; ":4318" means every interface.'),
        max_request_body_size: byteSize('20MiB', 'Largest request body, checked again after decompression.'),
        traces_url_path: urlPath(DEFAULTS.tracesUrlPath),
        metrics_url_path: urlPath(DEFAULTS.metricsUrlPath),
        logs_url_path: urlPath(DEFAULTS.logsUrlPath),
        tls: tlsServer(),
        include_metadata: includeMetadata,
        cors: object({
          allowed_origins: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
          allowed_headers: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
          max_age: { type: 'integer', minimum: 0, default: 0 },
        }),
      }),
    }),
    type: ['object', 'null'],
  },
  auth: {
    ...object({
      bearer_token: { type: 'string', minLength: 1, sensitive: true, description: 'Every request must carry "Authorization: Bearer <token>".' },
    }),
    type: ['object', 'null'],
  },
});

/**
 * Fills what the schema cannot (a protocol given as null, or no protocol at
 * all, which enables both) and checks what it does not (distinct URL paths).
 */
export function resolveOtlpConfig(raw: OtlpReceiverConfig | null | undefined): ResolvedOtlpConfig {
  const protocols = raw?.protocols ?? {};
  const hasGrpc = 'grpc' in protocols;
  const hasHttp = 'http' in protocols;
  const out: ResolvedOtlpConfig = {};
  if (hasGrpc || !hasHttp) {
    const g = protocols.grpc ?? {};
    out.grpc = {
      endpoint: g.endpoint ?? DEFAULTS.grpcEndpoint,
      max_recv_msg_size_mib: g.max_recv_msg_size_mib ?? DEFAULTS.maxRecvMsgSizeMib,
      tls: g.tls,
      include_metadata: g.include_metadata ?? false,
    };
  }
  if (hasHttp || !hasGrpc) {
    const h = protocols.http ?? {};
    const size = h.max_request_body_size ?? DEFAULTS.maxRequestBodySize;
    if (typeof size !== 'number') throw new Error(`protocols.http.max_request_body_size: expected a byte count, got ${JSON.stringify(size)}`);
    out.http = {
      endpoint: h.endpoint ?? DEFAULTS.httpEndpoint,
      max_request_body_size: size,
      traces_url_path: h.traces_url_path ?? DEFAULTS.tracesUrlPath,
      metrics_url_path: h.metrics_url_path ?? DEFAULTS.metricsUrlPath,
      logs_url_path: h.logs_url_path ?? DEFAULTS.logsUrlPath,
      tls: h.tls,
      include_metadata: h.include_metadata ?? false,
      cors: {
        allowed_origins: h.cors?.allowed_origins ?? [],
        allowed_headers: h.cors?.allowed_headers ?? [],
        max_age: h.cors?.max_age ?? 0,
      },
    };
    const paths = [out.http.traces_url_path, out.http.metrics_url_path, out.http.logs_url_path];
    if (new Set(paths).size !== 3) throw new Error(`protocols.http: traces_url_path, metrics_url_path and logs_url_path must differ (got ${paths.join(', ')})`);
  }
  const token = raw?.auth?.bearer_token;
  if (token !== undefined) out.bearerToken = token;
  return out;
}
