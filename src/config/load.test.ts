import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configToYaml, loadConfig, readConfigFiles } from './load';
import { brief, fixturePath, loadFixtures, loadText, registry, SERVICE } from './testkit';

test('a config in the Go collector style loads with no problems', () => {
  const r = loadFixtures(['go-style.yaml']);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(brief(r.warnings), [['testdata/go-style.yaml:14:5', 'exporters.logging.loglevel', 'is deprecated', 'use verbosity']]);
  const c = r.config!;
  assert.ok(c);
  assert.deepEqual(c.receivers.get('otlp')!.config, {
    protocols: {
      grpc: { endpoint: '0.0.0.0:4317', max_recv_msg_size: 4 * 1024 * 1024 },
      http: { endpoint: '127.0.0.1:4318', max_request_body_size: 20 * 1024 * 1024 },
    },
  });
  assert.deepEqual(c.processors.get('batch')!.config, { timeout: 200, send_batch_size: 8192, send_batch_max_size: 0 });
  assert.deepEqual(c.service.extensions, ['health_check']);
  assert.deepEqual([...c.service.pipelines.keys()], ['metrics', 'traces']);
  assert.deepEqual(c.service.pipelines.get('metrics'), { id: 'metrics', signal: 'metrics', receivers: ['otlp'], processors: ['batch'], exporters: ['logging'] });
  assert.deepEqual(c.service.telemetry, { logs: { level: 'debug' }, metrics: { level: 'normal', address: '0.0.0.0:8888' } });
});

test('alias resolution: `logging` is the debug exporter, id kept as written', () => {
  const c = loadFixtures(['go-style.yaml']).config!;
  const e = c.exporters.get('logging')!;
  assert.equal(e.id, 'logging');
  assert.equal(e.type, 'debug');
  assert.equal(e.name, '');
  assert.equal(e.kind, 'exporter');
  assert.equal(e.factory, registry.get('exporter', 'debug'));
  assert.deepEqual(e.config, { loglevel: 'debug', verbosity: 'basic', sampling_initial: 2 });
});

test('durations and byte sizes become numbers; defaults are filled; names are split from types', () => {
  const r = loadFixtures(['full.yaml']);
  assert.deepEqual(r.problems, []);
  const c = r.config!;
  assert.deepEqual(c.receivers.get('otlp')!.config.protocols, {
    grpc: { endpoint: '127.0.0.1:4317', max_recv_msg_size: 16 * 1024 * 1024 },
    http: { endpoint: '0.0.0.0:4318', max_request_body_size: 512 * 1024 },
  });
  const fast = c.processors.get('batch/fast')!;
  assert.deepEqual([fast.type, fast.name, fast.config], ['batch', 'fast', { timeout: 5_400_000, send_batch_size: 8192, send_batch_max_size: 0 }]);
  assert.equal(c.processors.get('batch/tiny')!.config.timeout, 1500);
  assert.equal(c.processors.get('cumulativetodelta')!.config.max_staleness, 0.25);
  assert.deepEqual(c.exporters.get('file/events')!.config, {
    path: '/var/log/events.json',
    flush_interval: 0,
    rotation: { max_size: 100_000, max_age: 86_400_000 },
  });
  assert.deepEqual(c.extensions.get('health_check')!.config, { endpoint: '0.0.0.0:13133', path: '/' });
});

test('the effective config keeps durations and sizes as written or as the default text', () => {
  const c = loadFixtures(['full.yaml']).config!;
  const eff = c.effective as any;
  assert.deepEqual(Object.keys(eff), ['receivers', 'processors', 'exporters', 'extensions', 'service']);
  assert.deepEqual(eff.processors['batch/fast'], { timeout: '1h30m', send_batch_size: 8192, send_batch_max_size: 0 });
  assert.deepEqual(eff.receivers.otlp.protocols.grpc, { max_recv_msg_size: '16MiB', endpoint: '127.0.0.1:4317' });
  assert.deepEqual(eff.exporters['file/events'].rotation, { max_size: '100kb', max_age: '24h' });
  assert.deepEqual(eff.exporters.logging, { verbosity: 'basic', sampling_initial: 2 });
  assert.deepEqual(eff.service.pipelines['metrics/fast'], { receivers: ['otlp'], processors: ['batch/fast', 'cumulativetodelta'], exporters: ['logging'] });
  assert.equal(eff.service.telemetry.logs.encoding, 'console');
  // print-config output reads back as the same data
  const yaml = configToYaml(eff);
  const again = loadConfig([{ name: 'printed.yaml', text: yaml }], registry, {});
  assert.deepEqual(again.problems, []);
  assert.deepEqual(again.config!.effective, eff);
});

test('YAML syntax error: a problem at its own line and column, nothing else', () => {
  const r = loadFixtures(['syntax-error.yaml']);
  assert.equal(r.config, undefined);
  assert.equal(r.problems.length, 1);
  const p = r.problems[0];
  assert.deepEqual([p.file, p.line, p.column, p.path], ['testdata/syntax-error.yaml', 4, 1, '']);
  assert.match(p.message, /^YAML syntax error: Flow sequence/);
});

test('YAML syntax errors in two files are both reported', () => {
  const r = loadConfig([
    { name: 'one.yaml', text: 'a: [1\nb: 2\n' },
    { name: 'two.yaml', text: 'x:\n  - 1\n y: 2\n' },
  ], registry, {});
  assert.deepEqual(r.problems.map((p) => p.file), ['one.yaml', 'two.yaml']);
});

test('duplicate key in a map', () => {
  const r = loadFixtures(['duplicate-key.yaml']);
  assert.deepEqual(brief(r), [['testdata/duplicate-key.yaml:7:5', 'processors.batch.timeout', 'duplicate key "timeout"', 'first defined on line 5']]);
});

test('unknown top-level key, with a hint', () => {
  const r = loadText(`exporter:\n  debug:\nreceivers:\n  otlp:\nexporters:\n  debug:\n${SERVICE}`);
  assert.deepEqual(brief(r), [['test.yaml:1:1', 'exporter', 'unknown key "exporter"', 'did you mean "exporters"?']]);
});

test('connectors are refused', () => {
  const r = loadText(`connectors:\n  forward:\nreceivers:\n  otlp:\nexporters:\n  debug:\n${SERVICE}`);
  assert.deepEqual(brief(r), [['test.yaml:1:1', 'connectors', 'connectors are not supported yet']]);
});

test('unknown component type, with a hint (or the list of known types)', () => {
  const r = loadText(`receivers:\n  otlp:\nprocessors:\n  bach:\n  zipkinish/x:\nexporters:\n  debug:\n${SERVICE}`);
  assert.deepEqual(brief(r), [
    ['test.yaml:4:3', 'processors.bach', 'unknown processor type "bach"; did you mean "batch"?'],
    ['test.yaml:5:3', 'processors.zipkinish/x', 'unknown processor type "zipkinish"', 'known processor types: batch, cumulativetodelta'],
  ]);
});

test('invalid component ids', () => {
  const r = loadText(`receivers:\n  otlp:\nprocessors:\n  batch/:\n  batch/a/b:\n  9batch:\nexporters:\n  debug:\n${SERVICE}`);
  assert.deepEqual(brief(r), [
    ['test.yaml:4:3', 'processors.batch/', 'invalid processor id "batch/": the name after "/" must not be empty'],
    ['test.yaml:5:3', 'processors.batch/a/b', 'invalid processor id "batch/a/b": only one "/" is allowed (type/name)'],
    ['test.yaml:6:3', 'processors.9batch', 'invalid processor id "9batch": the type must start with a letter and hold only letters, digits and "_"'],
  ]);
});

test('unknown config key: points at the key, hints among the allowed names', () => {
  const r = loadText(`receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpont: 0.0.0.0:4317\nexporters:\n  debug:\n${SERVICE}`);
  assert.deepEqual(brief(r), [
    ['test.yaml:5:9', 'receivers.otlp.protocols.grpc.endpont', 'unknown key "endpont"', 'did you mean "endpoint"?'],
  ]);
});

test('wrong types, enums and nested values point at the value', () => {
  const r = loadText(
    `receivers:\n  otlp:\n    protocols: [grpc]\nprocessors:\n  batch:\n    send_batch_size: "10"\n    send_batch_max_size: -1\nexporters:\n  debug:\n    verbosity: loud\n${SERVICE}`,
  );
  assert.deepEqual(brief(r), [
    ['test.yaml:3:16', 'receivers.otlp.protocols', 'must be a map'],
    ['test.yaml:6:22', 'processors.batch.send_batch_size', 'must be an integer'],
    ['test.yaml:7:26', 'processors.batch.send_batch_max_size', 'must be >= 0'],
    ['test.yaml:10:16', 'exporters.debug.verbosity', 'must be one of "basic", "normal", "detailed"'],
  ]);
});

test('a component config that is not a map', () => {
  const r = loadText(`receivers:\n  otlp: yes please\nexporters:\n  debug:\n${SERVICE}`);
  assert.deepEqual(brief(r), [['test.yaml:2:9', 'receivers.otlp', 'must be a map']]);
});

test('bad duration and bad byte size', () => {
  const r = loadText(
    `receivers:\n  otlp:\n    protocols:\n      http:\n        max_request_body_size: 20 megs\nprocessors:\n  batch/fast:\n    timeout: 5\nexporters:\n  debug:\n${SERVICE}`,
  );
  assert.deepEqual(brief(r), [
    ['test.yaml:5:32', 'receivers.otlp.protocols.http.max_request_body_size', 'must be a byte size like "16MiB" or a number of bytes'],
    ['test.yaml:8:14', 'processors.batch/fast.timeout', 'must be a duration like "200ms"'],
  ]);
});

test('a missing required key points at the map that lacks it', () => {
  const r = loadText(`receivers:\n  otlp:\n    auth: {}\nexporters:\n  debug:\n  file/x:\n    flush_interval: 1s\n${SERVICE}`);
  assert.deepEqual(brief(r), [
    ['test.yaml:3:11', 'receivers.otlp.auth.bearer_token', 'required key is missing'],
    ['test.yaml:6:3', 'exporters.file/x.path', 'required key is missing'],
  ]);
});

test("a factory's own validate() problems carry the key's position", () => {
  const r = loadText(`receivers:\n  otlp:\nprocessors:\n  batch:\n    send_batch_size: 100\n    send_batch_max_size: 10\nexporters:\n  debug:\n${SERVICE}`);
  assert.deepEqual(brief(r), [['test.yaml:6:26', 'processors.batch.send_batch_max_size', 'must be 0 or at least send_batch_size']]);
});

test('a component with no config (or null) gets all defaults', () => {
  const r = loadText(`receivers:\n  otlp: ~\nexporters:\n  debug: {}\n${SERVICE}`);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.config!.exporters.get('debug')!.config, { verbosity: 'basic', sampling_initial: 2 });
  assert.equal(r.config!.receivers.get('otlp')!.config.protocols.grpc.endpoint, '127.0.0.1:4317');
});

test('configured but unused components are validated and returned', () => {
  const r = loadText(`receivers:\n  otlp:\nprocessors:\n  batch/unused:\n    timeout: 2s\nexporters:\n  debug:\n${SERVICE}`);
  assert.deepEqual(r.problems, []);
  assert.equal(r.config!.processors.get('batch/unused')!.config.timeout, 2000);
});

test('all problems are reported at once, sorted by line', () => {
  const r = loadFixtures(['many-errors.yaml']);
  assert.equal(r.config, undefined);
  const f = 'testdata/many-errors.yaml';
  assert.deepEqual(brief(r), [
    [`${f}:6:28`, 'receivers.otlp.protocols.grpc.max_recv_msg_size', 'must be a byte size like "16MiB" or a number of bytes'],
    [`${f}:8:3`, 'processors.bach', 'unknown processor type "bach"; did you mean "batch"?'],
    [`${f}:9:3`, 'processors.batch/', 'invalid processor id "batch/": the name after "/" must not be empty'],
    [`${f}:11:14`, 'processors.batch.timeout', 'must be a duration like "200ms"'],
    [`${f}:12:22`, 'processors.batch.send_batch_size', 'must be an integer'],
    [`${f}:15:16`, 'exporters.debug.verbosity', 'must be one of "basic", "normal", "detailed"'],
    [`${f}:16:5`, 'exporters.debug.sampling_intial', 'unknown key "sampling_intial"', 'did you mean "sampling_initial"?'],
    [`${f}:19:1`, 'recievers', 'unknown key "recievers"', 'did you mean "receivers"?'],
    [`${f}:22:30`, 'service.extensions[1]', 'references extension "pprof" which is not configured'],
    [`${f}:25:25`, 'service.pipelines.metrics.receivers[1]', 'receiver "otlp" is listed twice'],
    [`${f}:26:27`, 'service.pipelines.metrics.processors[1]', 'references processor "batch/x" which is not configured', 'did you mean "batch"?'],
    [`${f}:28:5`, 'service.pipelines.logs.exporters', 'a pipeline needs at least one exporter'],
    [`${f}:30:5`, 'service.pipelines.metric/extra', 'unknown signal "metric" in pipeline id; must be metrics, logs or traces', 'did you mean "metrics"?'],
  ]);
});

test('an empty config: no pipelines configured', () => {
  const r = loadText('');
  assert.deepEqual(brief(r), [['test.yaml:1:1', 'service.pipelines', 'no pipelines configured']]);
  assert.deepEqual(brief(loadConfig([], registry, {})), [['<none>:1:1', '', 'no configuration given']]);
});

test('the top level must be a map; one document per file', () => {
  assert.deepEqual(brief(loadText('- a\n- b\n')), [
    ['test.yaml:1:1', '', 'the top level of a config file must be a map'],
    ['test.yaml:1:1', 'service.pipelines', 'no pipelines configured'],
  ]);
  assert.deepEqual(brief(loadText(`receivers:\n  otlp:\n---\nexporters:\n  debug:\n`)), [['test.yaml:3:1', '', 'a config file must hold a single YAML document']]);
});

test('YAML anchors, aliases and merge keys work', () => {
  const r = loadText(
    `x-common: &common\n  timeout: 2s\nreceivers:\n  otlp:\nprocessors:\n  batch/a: *common\n  batch/b:\n    <<: *common\n    send_batch_size: 5\nexporters:\n  debug:\n${SERVICE}`,
  );
  // x-common is still an unknown top-level key
  assert.deepEqual(brief(r), [['test.yaml:1:1', 'x-common', 'unknown key "x-common"']]);
  const ok = loadText(
    `receivers:\n  otlp:\nprocessors:\n  batch/a: &common\n    timeout: 2s\n  batch/b:\n    <<: *common\n    send_batch_size: 5\nexporters:\n  debug:\n${SERVICE}`,
  );
  assert.deepEqual(ok.problems, []);
  assert.deepEqual(ok.config!.processors.get('batch/b')!.config, { timeout: 2000, send_batch_size: 5, send_batch_max_size: 0 });
});

test('readConfigFiles reads files and names an unreadable one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'otel-config-'));
  try {
    const p = join(dir, 'a.yaml');
    writeFileSync(p, 'receivers: {}\n');
    assert.deepEqual(readConfigFiles([p]), [{ name: p, text: 'receivers: {}\n' }]);
    assert.deepEqual(readConfigFiles([`file:${p}`]), [{ name: `file:${p}`, text: 'receivers: {}\n' }]);
    const missing = join(dir, 'missing.yaml');
    assert.throws(() => readConfigFiles([p, missing]), { message: `cannot read config file "${missing}": no such file` });
    assert.throws(() => readConfigFiles([dir]), { message: `cannot read config file "${dir}": it is a directory` });
    assert.ok(readConfigFiles([fixturePath('go-style.yaml')])[0].text.includes('loglevel'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
