/**
 * `otlp_http` (alias `otlphttp`): pushes metrics, logs and traces to an
 * OTLP/HTTP endpoint (a vendor's intake or another collector) through the
 * shared queue-and-retry helper.
 */
import type { ComponentSettings, Exporter, ExporterFactory } from '../../pipeline/component';
import { object } from '../../config/schema';
import { helperSchemaProperties, validateHelperConfig, type HelperConfig } from '../helper';
import { compressionSchema, headersSchema, tlsClientSchema, validateTls } from '../otlp_common/config';
import { createOtlpExporter } from '../otlp_common/exporter';
import { validateEndpoints } from './request';
import { HttpSender, type HttpSenderConfig } from './send';

export type OtlpHttpConfig = HttpSenderConfig & HelperConfig;

const url = (description: string) => ({ type: 'string', minLength: 1, description });

export const otlpHttpExporterFactory: ExporterFactory<OtlpHttpConfig> = {
  kind: 'exporter',
  type: 'otlp_http',
  aliases: ['otlphttp'],
  description: 'Sends metrics, logs and traces over OTLP/HTTP (protobuf or JSON), with a sending queue and retries.',
  stability: { metrics: 'alpha', logs: 'alpha', traces: 'alpha' },
  mutatesData: false,
  reportsDelivery: true,
  schema: object({
    endpoint: { ...url('Base URL; /v1/metrics, /v1/logs or /v1/traces is appended. Default: the SDKs\' local collector.'), default: 'http://localhost:4318' },
    metrics_endpoint: url('Full URL for metrics, used as given (overrides endpoint).'),
    logs_endpoint: url('Full URL for logs, used as given.'),
    traces_endpoint: url('Full URL for traces, used as given.'),
    headers: headersSchema(),
    compression: compressionSchema(),
    encoding: { enum: ['proto', 'json'], default: 'proto', description: 'Body encoding: protobuf or OTLP/JSON.' },
    tls: tlsClientSchema(),
    ...helperSchemaProperties({ timeout: '30s' }),
  }),
  validate(config: OtlpHttpConfig) {
    return [...validateEndpoints(config), ...validateTls(config.tls), ...validateHelperConfig(config)];
  },
  create(config: OtlpHttpConfig, settings: ComponentSettings): Exporter {
    return createOtlpExporter(config, settings, () => new HttpSender(config));
  },
};
