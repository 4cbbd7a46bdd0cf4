import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brief, loadText } from './testkit';

/** 12 lines of components; the service section starts on line 13. */
const COMPONENTS = `# the components every test uses
receivers:
  otlp:
processors:
  batch:
  cumulativetodelta:
exporters:
  debug:
  file:
    path: /tmp/x
extensions:
  health_check:
`;

const load = (service: string) => loadText(COMPONENTS + service);

test('a pipeline referencing components that are not configured', () => {
  const r = load(`service:
  pipelines:
    traces:
      receivers: [otlp/2, zipkin]
      processors: [batch/x]
      exporters: [debug]
`);
  assert.deepEqual(brief(r), [
    ['test.yaml:16:19', 'service.pipelines.traces.receivers[0]', 'references receiver "otlp/2" which is not configured', 'did you mean "otlp"?'],
    ['test.yaml:16:27', 'service.pipelines.traces.receivers[1]', 'references receiver "zipkin" which is not configured'],
    ['test.yaml:17:20', 'service.pipelines.traces.processors[0]', 'references processor "batch/x" which is not configured', 'did you mean "batch"?'],
  ]);
});

test('empty pipelines: no receivers, no exporters', () => {
  const r = load(`service:
  pipelines:
    metrics:
    logs:
      receivers: []
      processors: []
      exporters: []
`);
  assert.deepEqual(brief(r), [
    ['test.yaml:15:5', 'service.pipelines.metrics.receivers', 'a pipeline needs at least one receiver'],
    ['test.yaml:15:5', 'service.pipelines.metrics.exporters', 'a pipeline needs at least one exporter'],
    ['test.yaml:17:18', 'service.pipelines.logs.receivers', 'a pipeline needs at least one receiver'],
    ['test.yaml:19:18', 'service.pipelines.logs.exporters', 'a pipeline needs at least one exporter'],
  ]);
});

test('a component on a signal it does not support', () => {
  const r = load(`service:
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch, cumulativetodelta]
      exporters: [file]
    metrics:
      receivers: [otlp]
      exporters: [debug, file]
`);
  assert.deepEqual(brief(r), [
    ['test.yaml:17:27', 'service.pipelines.logs.processors[1]', 'processor "cumulativetodelta" does not support logs', 'it supports: metrics'],
    ['test.yaml:21:26', 'service.pipelines.metrics.exporters[1]', 'exporter "file" does not support metrics', 'it supports: logs'],
  ]);
});

test('a reference listed twice in one list', () => {
  const r = load(`service:
  extensions: [health_check, health_check]
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [batch, cumulativetodelta, batch]
      exporters: [debug]
`);
  assert.deepEqual(brief(r), [
    ['test.yaml:14:30', 'service.extensions[1]', 'extension "health_check" is listed twice'],
    ['test.yaml:18:46', 'service.pipelines.metrics.processors[2]', 'processor "batch" is listed twice'],
  ]);
});

test('bad pipeline ids', () => {
  const r = load(`service:
  pipelines:
    metric:
      receivers: [otlp]
      exporters: [debug]
    spans/x:
      receivers: [otlp]
      exporters: [debug]
    logs/:
      receivers: [otlp]
      exporters: [debug]
    traces/a/b:
      receivers: [otlp]
      exporters: [debug]
`);
  assert.deepEqual(brief(r), [
    ['test.yaml:15:5', 'service.pipelines.metric', 'unknown signal "metric" in pipeline id; must be metrics, logs or traces', 'did you mean "metrics"?'],
    ['test.yaml:18:5', 'service.pipelines.spans/x', 'unknown signal "spans" in pipeline id; must be metrics, logs or traces'],
    ['test.yaml:21:5', 'service.pipelines.logs/', 'invalid pipeline id "logs/": must be signal[/name] with a non-empty name and one "/" at most'],
    ['test.yaml:24:5', 'service.pipelines.traces/a/b', 'invalid pipeline id "traces/a/b": must be signal[/name] with a non-empty name and one "/" at most'],
  ]);
});

test('unknown keys and wrong shapes in the service section', () => {
  const r = load(`service:
  pipeline: {}
  extensions: health_check
  pipelines:
    metrics:
      receivers: otlp
      exporter: [debug]
      exporters: [debug, 7]
`);
  assert.deepEqual(brief(r), [
    ['test.yaml:14:3', 'service.pipeline', 'unknown key "pipeline"', 'did you mean "pipelines"?'],
    ['test.yaml:15:15', 'service.extensions', 'must be a list of extension ids'],
    ['test.yaml:18:18', 'service.pipelines.metrics.receivers', 'must be a list of receiver ids'],
    ['test.yaml:19:7', 'service.pipelines.metrics.exporter', 'unknown key "exporter"', 'did you mean "exporters"?'],
    ['test.yaml:20:26', 'service.pipelines.metrics.exporters[1]', 'must be a exporter id'],
  ]);
});

test('no pipelines configured', () => {
  assert.deepEqual(brief(load(`service:\n  pipelines: {}\n`)), [['test.yaml:14:3', 'service.pipelines', 'no pipelines configured']]);
  assert.deepEqual(brief(load(`service:\n  extensions: [health_check]\n`)), [['test.yaml:13:1', 'service.pipelines', 'no pipelines configured']]);
  assert.deepEqual(brief(load('')), [['test.yaml:1:1', 'service.pipelines', 'no pipelines configured']]);
});

test('service.extensions must name configured extensions', () => {
  const r = load(`service:
  extensions: [health_check, healthcheck, zpages]
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [debug]
`);
  assert.deepEqual(brief(r), [
    ['test.yaml:14:30', 'service.extensions[1]', 'references extension "healthcheck" which is not configured', 'did you mean "health_check"?'],
    ['test.yaml:14:43', 'service.extensions[2]', 'references extension "zpages" which is not configured'],
  ]);
});

const PIPELINES = `  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [debug]
`;

test('telemetry defaults', () => {
  const r = load(`service:\n${PIPELINES}`);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.config!.service.telemetry, { logs: { level: 'info' }, metrics: { level: 'normal', address: '127.0.0.1:8888' } });
  assert.deepEqual((r.config!.effective as any).service.telemetry, {
    logs: { level: 'info', encoding: 'json' },
    metrics: { level: 'normal', address: '127.0.0.1:8888' },
  });
  assert.deepEqual(r.config!.service.extensions, []);
});

test('telemetry: the newer readers form gives the address; console encoding warns; resource is kept', () => {
  const r = load(`service:
  telemetry:
    resource:
      service.name: otel-pipeline
    logs:
      level: error
      encoding: console
    metrics:
      level: basic
      readers:
        - periodic:
            exporter: {otlp: {}}
        - pull:
            exporter:
              prometheus:
                host: "::1"
                port: 9464
${PIPELINES}`);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.config!.service.telemetry, {
    logs: { level: 'error' },
    metrics: { level: 'basic', address: '[::1]:9464' },
    resource: { 'service.name': 'otel-pipeline' },
  });
  assert.deepEqual(brief(r.warnings), [
    ['test.yaml:19:17', 'service.telemetry.logs.encoding', 'only JSON log output is supported; "console" is accepted but logs stay JSON'],
    ['test.yaml:23:11', 'service.telemetry.metrics.readers[0].periodic', 'periodic (push) metric readers are not supported and are ignored'],
  ]);
});

test('telemetry problems', () => {
  const r = load(`service:
  telemetry:
    logs:
      level: verbose
      format: json
    metrics:
      address: localhost
    traces: {}
${PIPELINES}`);
  assert.deepEqual(brief(r), [
    ['test.yaml:16:14', 'service.telemetry.logs.level', 'must be one of "debug", "info", "warn", "error"'],
    ['test.yaml:17:7', 'service.telemetry.logs.format', 'unknown key "format"'],
    ['test.yaml:19:16', 'service.telemetry.metrics.address', 'must be host:port, like "127.0.0.1:8888"'],
    ['test.yaml:20:5', 'service.telemetry.traces', 'unknown key "traces"'],
  ]);
  const both = load(`service:
  telemetry:
    metrics:
      address: 127.0.0.1:9999
      readers:
        - pull: {exporter: {prometheus: {port: 1}}}
${PIPELINES}`);
  assert.deepEqual(brief(both), [['test.yaml:16:16', 'service.telemetry.metrics.address', 'set either metrics.address or metrics.readers, not both']]);
});
