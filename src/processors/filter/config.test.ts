/** The filter's config: Go collector configs load; what cannot work is refused at load, with the key path. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProblem, loadConfig } from '../../config/load';
import { Registry } from '../../pipeline/registry';
import { otlpReceiverFactory } from '../../receivers/otlp';
import { debugExporterFactory } from '../../exporters/debug';
import { filterProcessorFactory } from './index';
import { parseSeverity } from './config';
import { compileRegex } from '../internal/regex';

const compilePattern = (p: string): RegExp => {
  const re = compileRegex(p);
  if (re instanceof Error) throw re;
  return re;
};

const registry = new Registry([otlpReceiverFactory, debugExporterFactory, filterProcessorFactory]);

function problems(processors: string): string[] {
  const ids = [...processors.matchAll(/^  (filter[^:]*):/gm)].map((m) => m[1]);
  const yaml = `receivers: { otlp: }\nexporters: { debug: }\nprocessors:\n${processors}\nservice: { pipelines: { metrics: { receivers: [otlp], processors: [${ids.join(', ')}], exporters: [debug] } } }\n`;
  return loadConfig([{ name: 'f.yaml', text: yaml }], registry, {}).problems.map(formatProblem);
}

test("the Go collector's include/exclude examples load unchanged", () => {
  const go = `  filter/1:
    metrics:
      include:
        match_type: regexp
        metric_names:
          - prefix/.*
          - prefix_.*
        resource_attributes:
          - key: container.name
            value: app_container_1
      exclude:
        match_type: strict
        metric_names:
          - hello_world
          - hello/world
  filter/2:
    logs:
      include:
        match_type: strict
        resource_attributes:
          - Key: host.name
            Value: just_this_one_hostname
  filter/severity:
    logs:
      include:
        severity_number:
          min: "INFO"
          match_undefined: true
  filter/texts:
    logs:
      include:
        match_type: regexp
        severity_texts: ["INFO[2-4]?", "WARN[2-4]?"]
  filter/spans:
    spans:
      include:
        match_type: strict
        services:
          - app_3
      exclude:
        match_type: regexp
        services: [app_1, app_2]
        span_names: [hello_world, hello/world]
        attributes:
          - key: container.name
            value: (app_container_1|app_container_2)
        libraries:
          - name: opentelemetry
            version: 0.0-beta
        resources:
          - key: container.host
            value: (localhost|127.0.0.1)`;
  assert.deepEqual(problems(go), []);
});

test('what cannot work is refused at load with the key path', () => {
  const cases: Array<[string, RegExp]> = [
    ['  filter:\n    metrics: { include: { match_type: regexp } }', /processors\.filter\.metrics\.include: give at least one of metric_names, attributes, resource_attributes/],
    ['  filter:\n    metrics: { exclude: }', /processors\.filter\.metrics\.exclude: give at least one of/],
    ['  filter:\n    metrics: { exclude: { match_type: regexp, metric_names: [ok, "(unclosed"] } }', /processors\.filter\.metrics\.exclude\.metric_names\[1\]: is not a valid regular expression: /],
    ['  filter:\n    logs: { exclude: { match_type: regexp, attributes: [{ key: a, value: "[z-a]" }] } }', /processors\.filter\.logs\.exclude\.attributes\[0\]\.value: is not a valid regular expression: /],
    ['  filter:\n    metrics: { exclude: { match_type: expr, expressions: [\'MetricName == "x"\'] } }', /processors\.filter\.metrics\.exclude\.expressions: the "expr" expression language is not supported/],
    ['  filter:\n    error_mode: ignore\n    metrics: { metric: [\'name == "x"\'] }', /processors\.filter\.metrics\.metric: OTTL conditions are not supported/],
    ['  filter:\n    traces: { span: [\'name == "x"\'] }', /processors\.filter\.traces: OTTL conditions are not supported.*; spans go under "spans"/],
    ['  filter:\n    logs: { include: { severity_number: { min: LOUD } } }', /processors\.filter\.logs\.include\.severity_number\.min: must be a severity/],
    ['  filter:\n    logs: { include: { attributes: [{ value: x }] } }', /processors\.filter\.logs\.include\.attributes\[0\]: give the attribute name as `key`/],
    ['  filter:\n    metrics: { include: { metric_names: [a], span_names: [b] } }', /processors\.filter\.metrics\.include\.span_names: unknown key "span_names"/],
    ['  filter:\n    metrics: { exclude: { match_type: regexp, metric_names: ["(?U)x"] } }', /inline flag "U"/],
  ];
  for (const [yaml, expected] of cases) assert.match(problems(yaml).join('\n'), expected, yaml);
});

test('severities: short names with levels 2-4, and numbers 1..24', () => {
  assert.deepEqual(['TRACE', 'debug', 'INFO', 'INFO2', 'warn4', 'ERROR', 'FATAL3', 9, '13', 24].map(parseSeverity), [1, 5, 9, 10, 16, 17, 23, 9, 13, 24]);
  assert.deepEqual(['INFO5', 'LOUD', 0, 25, 1.5, ''].map(parseSeverity), [undefined, undefined, undefined, undefined, undefined, undefined]);
});

test('patterns: a leading RE2 flag group becomes JS flags; unanchored like Go', () => {
  assert.ok(compilePattern('(?i)^claude_code\\.').test('CLAUDE_CODE.token'));
  assert.ok(compilePattern('(?s)a.b').test('a\nb'));
  assert.ok(!compilePattern('a.b').test('a\nb'));
  assert.ok(compilePattern('token').test('claude_code.token.usage'));
  assert.ok(compilePattern('(?P<kind>input|output)').exec('output')?.groups?.kind === 'output');
  assert.throws(() => compilePattern('(?x)a'), /inline flag "x" in "\(\?x\)" is not supported/);
});
