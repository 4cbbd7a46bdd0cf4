/**
 * `otlp_http` (alias `otlphttp`): pushes metrics, logs and traces to an
 * OTLP/HTTP endpoint (a vendor's intake or another collector) through the
 * shared queue-and-retry helper.
 */
import type { ComponentSettings, Exporter, ExporterFactory } from '../../pipeline/component';
import { object } from '../../config/schema';
import { helperSchemaProperties, validateHelperConfig, type HelperConfig } from '../helper/config';
import { createDisabledExporter } from '../helper/disabled';
import { compressionSchema, EMPTY_ENDPOINT_NOTE, headersSchema, tlsClientSchema, validateTls, withoutEmptyHeaders } from '../otlp_common/config';
import type { HttpSenderConfig } from './send';

// The sender and the exporter machinery load when a config has an
// otlp_http exporter, not with the daemon.
const request = (): typeof import('./request') => require('./request');
const send = (): typeof import('./send') => require('./send');
const otlpExporter = (): typeof import('../otlp_common/exporter') => require('../otlp_common/exporter');

export type OtlpHttpConfig = HttpSenderConfig & HelperConfig;

const url = (description: string) => ({ type: 'string', minLength: 1, description });

/** An empty endpoint is no endpoint: per-signal ones may still be set. */
function withEndpoint(config: OtlpHttpConfig): OtlpHttpConfig {
  return config.endpoint === '' ? { ...config, endpoint: undefined } : config;
}

/** Off: endpoint is empty and no per-signal endpoint is set. */
function isOff(config: OtlpHttpConfig): boolean {
  return config.endpoint === '' && !config.metrics_endpoint && !config.logs_endpoint && !config.traces_endpoint;
}

export const otlpHttpExporterFactory: ExporterFactory<OtlpHttpConfig> = {
  kind: 'exporter',
  type: 'otlp_http',
  aliases: ['otlphttp'],
  description: 'Sends metrics, logs and traces over OTLP/HTTP (protobuf or JSON), with a sending queue and retries.',
  stability: { metrics: 'alpha', logs: 'alpha', traces: 'alpha' },
  mutatesData: false,
  takesWire: (config) => config.encoding !== 'json',
  reportsDelivery: true,
  schema: object({
    endpoint: {
      type: 'string',
      default: 'http://localhost:4318',
      description: 'Base URL; /v1/metrics, /v1/logs or /v1/traces is appended. Default: the SDKs\' local collector. Empty, with no per-signal endpoint: the exporter is off (counts what it is given as dropped).',
    },
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
    const endpoints = isOff(config) ? [] : request().validateEndpoints(withEndpoint(config));
    return [...endpoints, ...validateTls(config.tls), ...validateHelperConfig(config)];
  },
  create(config: OtlpHttpConfig, settings: ComponentSettings): Exporter {
    if (isOff(config)) return createDisabledExporter(settings, EMPTY_ENDPOINT_NOTE);
    const sending = { ...withEndpoint(config), headers: withoutEmptyHeaders(config.headers) };
    const { HttpSender } = send();
    return otlpExporter().createOtlpExporter(sending, settings, () => new HttpSender(sending));
  },
};
