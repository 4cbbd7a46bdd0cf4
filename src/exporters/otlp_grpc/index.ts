/**
 * `otlp_grpc` (alias `otlp`, as the Go collector names it): pushes metrics,
 * logs and traces to an OTLP/gRPC endpoint through the shared
 * queue-and-retry helper.
 */
import type { ComponentSettings, Exporter, ExporterFactory } from '../../pipeline/component';
import { object } from '../../config/schema';
import { helperSchemaProperties, validateHelperConfig, type HelperConfig } from '../helper/config';
import { createDisabledExporter } from '../helper/disabled';
import { compressionSchema, EMPTY_ENDPOINT_NOTE, headersSchema, tlsClientSchema, validateTls, withoutEmptyHeaders } from '../otlp_common/config';
import type { GrpcSenderConfig } from './send';

// The sender (and @grpc/grpc-js with it) and the exporter machinery load
// when a config has an otlp_grpc exporter, not with the daemon.
const send = (): typeof import('./send') => require('./send');
const otlpExporter = (): typeof import('../otlp_common/exporter') => require('../otlp_common/exporter');

export type OtlpGrpcConfig = GrpcSenderConfig & HelperConfig;

export const otlpGrpcExporterFactory: ExporterFactory<OtlpGrpcConfig> = {
  kind: 'exporter',
  type: 'otlp_grpc',
  aliases: ['otlp'],
  description: 'Sends metrics, logs and traces over OTLP/gRPC, with a sending queue and retries.',
  stability: { metrics: 'alpha', logs: 'alpha', traces: 'alpha' },
  mutatesData: false,
  takesWire: () => true,
  reportsDelivery: true,
  schema: object({
    endpoint: {
      type: 'string',
      default: 'http://localhost:4317',
      description: 'host:port (TLS unless tls.insecure), or http://host:port (plaintext) / https://host[:port] (TLS). Default: the SDKs\' local collector. Empty: the exporter is off (counts what it is given as dropped).',
    },
    headers: headersSchema(),
    compression: compressionSchema(),
    tls: tlsClientSchema(),
    ...helperSchemaProperties({ timeout: '5s' }),
  }),
  validate(config: OtlpGrpcConfig) {
    const problems = [...validateTls(config.tls), ...validateHelperConfig(config)];
    if (config.endpoint === '') return problems;
    try {
      send().parseGrpcEndpoint(config.endpoint, config.tls);
    } catch (err) {
      problems.push({ path: 'endpoint', message: (err as Error).message });
    }
    return problems;
  },
  create(config: OtlpGrpcConfig, settings: ComponentSettings): Exporter {
    if (config.endpoint === '') return createDisabledExporter(settings, EMPTY_ENDPOINT_NOTE);
    const sending = { ...config, headers: withoutEmptyHeaders(config.headers) };
    const { GrpcSender } = send();
    return otlpExporter().createOtlpExporter(sending, settings, () => new GrpcSender(sending));
  },
};
