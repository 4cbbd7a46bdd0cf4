/** The CLI as a user runs it: validate, print-config, components, --help, --version, run with a bad config. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Daemon, freePort, ROOT, runCli } from './harness';
import { metricsJson, post } from './otlp-http';

function tempFiles(texts: string[]): { files: string[]; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-pipeline-cli-'));
  const files = texts.map((t, i) => {
    const f = path.join(dir, `c${i}.yaml`);
    fs.writeFileSync(f, t);
    return f;
  });
  return { files, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

test('validate accepts the annotated example config', async () => {
  const r = await runCli(['validate', '--config', path.join(ROOT, 'otel-pipeline.example.yaml')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /config is valid: 3 pipeline/);
});

test('validate reports every problem at once, with file, line, column, key path and hints', async () => {
  const broken = [
    'receivers:', //                        1
    '  otlp:', //                           2
    '    protocols:', //                    3
    '      http:', //                       4
    '        endpoint: 127.0.0.1:4318', //  5
    'processors:', //                       6
    '  bach:', //                           7  unknown type
    '  batch:', //                          8
    '    timeout: soon', //                 9  bad duration
    'exporters:', //                        10
    '  debug:', //                          11
    '    verbosty: normal', //              12 unknown key
    'service:', //                          13
    '  pipelines:', //                      14
    '    metrics:', //                      15
    '      receivers: [otlp]', //           16
    '      processors: [batch, batch]', //  17 duplicate
    '      exporters: [debug, nope]', //    18 unconfigured
    '    logs:', //                         19
    '      receivers: [otlp]', //           20 no exporters
    '',
  ].join('\n');
  const { files, cleanup } = tempFiles([broken]);
  try {
    const r = await runCli(['validate', '--config', files[0]]);
    assert.equal(r.code, 1);
    const f = files[0];
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('error: '));
    const expect: Array<[number, RegExp]> = [
      [7, /processors\.bach: unknown processor type "bach".*did you mean "batch"/],
      [9, /processors\.batch\.timeout: must be a duration like "200ms"/],
      [12, /exporters\.debug\.verbosty: .*(unknown|not allowed).*did you mean "verbosity"/],
      [17, /service\.pipelines\.metrics\.processors\[1\]: .*"batch".*(twice|duplicate|more than once)/],
      [18, /service\.pipelines\.metrics\.exporters\[1\]: references exporter "nope" which is not configured/],
      [19, /service\.pipelines\.logs.*exporters/],
    ];
    for (const [line, re] of expect) {
      const hit = lines.find((l) => l.startsWith(`error: ${f}:${line}:`) && re.test(l));
      assert.ok(hit, `expected a problem at line ${line} matching ${re}; got:\n${lines.join('\n')}`);
    }
    assert.equal(lines.length, expect.length, lines.join('\n'));
    assert.match(r.stderr, /6 problems found/);
  } finally {
    cleanup();
  }
});

test('run refuses to start with an invalid config and says why', async () => {
  const { files, cleanup } = tempFiles(['receivers: {otlp: }\nexporters: {debug: }\nservice: {pipelines: {metrics: {receivers: [otlp], exporters: [debug/x]}}}\n']);
  try {
    const r = await runCli(['run', '--config', files[0]]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /c0\.yaml:3:\d+: service\.pipelines\.metrics\.exporters\[0\]: references exporter "debug\/x" which is not configured/);
    assert.match(r.stderr, /not starting: 1 config problem/);
  } finally {
    cleanup();
  }
});

test('print-config shows defaults and expanded env, with secrets redacted', async () => {
  const { files, cleanup } = tempFiles([
    'receivers:\n  otlp:\n    protocols:\n      http:\n        endpoint: ${env:E2E_HOST:-127.0.0.1}:${env:E2E_PORT}\n    auth:\n      bearer_token: ${env:E2E_TOKEN}\nprocessors:\n  batch:\nexporters:\n  debug:\nservice:\n  pipelines:\n    logs: {receivers: [otlp], processors: [batch], exporters: [debug]}\n',
  ]);
  try {
    const r = await runCli(['print-config', '--config', files[0]], { env: { E2E_PORT: '14318', E2E_TOKEN: 's3cret-t0ken' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /endpoint: 127\.0\.0\.1:14318/);
    assert.match(r.stdout, /timeout: 200ms/, 'batch defaults are filled in');
    assert.match(r.stdout, /send_batch_size: 8192/);
    assert.ok(!r.stdout.includes('s3cret-t0ken'), 'the token is not printed');
    assert.match(r.stdout, /bearer_token: .?\[REDACTED\]/);
  } finally {
    cleanup();
  }
});

test('an unset variable without a default becomes empty, with a warning naming it', async () => {
  const { files, cleanup } = tempFiles(['receivers: {otlp: }\nexporters:\n  debug:\n    verbosity: ${env:E2E_UNSET_VERBOSITY:-normal}\nservice:\n  pipelines:\n    logs: {receivers: [otlp], exporters: [debug]}\n  telemetry:\n    resource:\n      team: "${E2E_SURELY_UNSET}"\n']);
  try {
    const r = await runCli(['validate', '--config', files[0]], { env: { E2E_SURELY_UNSET: undefined } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: .*c0\.yaml:10:\d+: .*E2E_SURELY_UNSET/);
  } finally {
    cleanup();
  }
});

test('several --config files merge: maps deep-merge, lists replace', async () => {
  const http = await freePort();
  const base = `receivers:\n  otlp:\n    protocols:\n      http: {endpoint: 127.0.0.1:1}\nprocessors:\n  batch: {timeout: 10ms}\nexporters:\n  debug: {verbosity: basic}\nservice:\n  telemetry: {metrics: {level: none}}\n  pipelines:\n    metrics: {receivers: [otlp], processors: [batch], exporters: [debug]}\n`;
  const override = `receivers:\n  otlp:\n    protocols:\n      http: {endpoint: 127.0.0.1:${http}}\nexporters:\n  debug: {verbosity: normal}\nservice:\n  pipelines:\n    metrics: {processors: []}\n`;
  // No `run`: it is the default command.
  const d = await Daemon.start([base, override], { args: [] });
  try {
    assert.equal((await post(http, '/v1/metrics', metricsJson('merged', 1, 'merged.metric'))).status, 200);
    await d.waitForStdout((s) => /^merged\.metric sum/m.test(s), 'normal verbosity from the second file');
  } finally {
    await d.stop();
  }
});

test('a Go collector config using the older names runs unchanged', async () => {
  const grpc = await freePort();
  const http = await freePort();
  const health = await freePort();
  const telemetry = await freePort();
  const d = await Daemon.start([
    `receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${grpc}
      http:
        endpoint: 127.0.0.1:${http}
processors:
  batch:
exporters:
  logging:
    loglevel: info
extensions:
  health_check:
    endpoint: 127.0.0.1:${health}
service:
  extensions: [health_check]
  telemetry:
    logs:
      level: info
    metrics:
      address: 127.0.0.1:${telemetry}
  pipelines:
    metrics:
      receivers: [otlp]
      processors: [batch]
      exporters: [logging]
`,
  ]);
  try {
    assert.equal((await post(http, '/v1/metrics', metricsJson('go', 1, 'go.style'))).status, 200);
    await d.waitForStdout((s) => /^go\.style sum/m.test(s), 'the logging exporter at loglevel info (normal verbosity)');
  } finally {
    await d.stop();
  }
});

test('components lists every type with signals and stability; --help and --version work', async () => {
  const c = await runCli(['components']);
  assert.equal(c.code, 0);
  assert.match(c.stdout, /receiver\s+otlp\s+metrics \(stable\), logs \(stable\), traces \(stable\)/);
  assert.match(c.stdout, /processor\s+batch\s+metrics \(beta\)/);
  assert.match(c.stdout, /exporter\s+debug \(alias logging\)/);
  assert.match(c.stdout, /extension\s+health_check/);
  const h = await runCli(['--help']);
  assert.equal(h.code, 0);
  for (const cmd of ['run', 'validate', 'print-config', 'components']) assert.match(h.stdout, new RegExp(`\\b${cmd}\\b`));
  const v = await runCli(['--version']);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  assert.equal(v.stdout.trim(), pkg.version);
});
