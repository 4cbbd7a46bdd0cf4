import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from './load';
import { brief, loadFixtures, registry, SERVICE } from './testkit';

test('two files: maps deep-merge, lists and scalars are replaced', () => {
  const r = loadFixtures(['base.yaml', 'override.yaml']);
  assert.deepEqual(r.problems, []);
  const c = r.config!;
  assert.deepEqual(c.receivers.get('otlp')!.config.protocols, {
    grpc: { endpoint: '0.0.0.0:4317', max_recv_msg_size: 4194304 }, // from override.yaml
    http: { endpoint: '127.0.0.1:4318', max_request_body_size: 20971520 }, // kept from base.yaml
  });
  assert.deepEqual(c.processors.get('batch')!.config, { timeout: 1000, send_batch_size: 500, send_batch_max_size: 0 });
  assert.ok(c.processors.has('cumulativetodelta'));
  assert.equal(c.exporters.get('debug')!.config.verbosity, 'normal');
  // the processors list is replaced, receivers and exporters kept
  assert.deepEqual(c.service.pipelines.get('metrics'), {
    id: 'metrics', signal: 'metrics', receivers: ['otlp'], processors: ['cumulativetodelta'], exporters: ['debug'],
  });
});

test('a problem in the second file points at the second file', () => {
  const r = loadFixtures(['base.yaml', 'override-bad.yaml']);
  assert.deepEqual(brief(r), [
    ['testdata/override-bad.yaml:3:14', 'processors.batch.timeout', 'must be a duration like "200ms"'],
    ['testdata/override-bad.yaml:5:3', 'exporters.file.path', 'required key is missing'],
  ]);
});

test('values keep their own file after merging; problems sort by file order', () => {
  const a = { name: 'a.yaml', text: `receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: ""\nexporters:\n  debug:\n    verbosity: loud\n` };
  const b = { name: 'b.yaml', text: `exporters:\n  debug:\n    sampling_initial: 0\n${SERVICE}` };
  const r = loadConfig([b, a], registry, {});
  assert.deepEqual(brief(r), [
    ['b.yaml:3:23', 'exporters.debug.sampling_initial', 'must be >= 1'],
    ['a.yaml:5:19', 'receivers.otlp.protocols.grpc.endpoint', 'must NOT have fewer than 1 characters'],
    ['a.yaml:8:16', 'exporters.debug.verbosity', 'must be one of "basic", "normal", "detailed"'],
  ]);
});

test('a later scalar replaces a map; a later empty value keeps the earlier map', () => {
  const a = { name: 'a.yaml', text: `receivers:\n  otlp:\nprocessors:\n  batch:\n    timeout: 3s\nexporters:\n  debug:\n    verbosity: detailed\n${SERVICE}` };
  const b = { name: 'b.yaml', text: `processors:\n  batch:\nexporters:\n  debug: 5\n` };
  const r = loadConfig([a, b], registry, {});
  assert.deepEqual(brief(r), [['b.yaml:4:10', 'exporters.debug', 'must be a map']]);
  const ok = loadConfig([a, { name: 'c.yaml', text: 'processors:\n  batch:\n' }], registry, {});
  assert.equal(ok.config!.processors.get('batch')!.config.timeout, 3000);
});

test('each file is expanded with the same environment before merging', () => {
  const a = { name: 'a.yaml', text: `receivers:\n  otlp:\nexporters:\n  debug:\n    verbosity: \${env:V}\n${SERVICE}` };
  const b = { name: 'b.yaml', text: 'processors:\n  batch:\n    timeout: ${env:T:-7s}\n' };
  const r = loadConfig([a, b], registry, { V: 'normal' });
  assert.deepEqual(r.problems, []);
  assert.equal(r.config!.exporters.get('debug')!.config.verbosity, 'normal');
  assert.equal(r.config!.processors.get('batch')!.config.timeout, 7000);
});
