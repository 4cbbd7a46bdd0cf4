/**
 * The config `otel-pipeline` runs when given no --config: OTLP in over gRPC
 * and HTTP for every signal, batched, printed by the debug exporter, and
 * metrics served for Prometheus on :8889; health on :13133 and
 * self-telemetry on :8888. Loopback only.
 */
export const DEFAULT_CONFIG_NAME = '<embedded default>';

export const DEFAULT_CONFIG_YAML = `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:4317
      http:
        endpoint: 127.0.0.1:4318

processors:
  batch:

exporters:
  debug:
    verbosity: basic
  prometheus:
    endpoint: 127.0.0.1:8889

extensions:
  health_check:
    endpoint: 127.0.0.1:13133

service:
  extensions: [health_check]
  telemetry:
    logs:
      level: info
    metrics:
      address: 127.0.0.1:8888
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [batch]
      exporters: [prometheus, debug]
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [debug]
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [debug]
`;
