import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandString, retype } from './expand';
import { brief, loadFixtures, loadText, SERVICE } from './testkit';

const ENV = { HOST: 'localhost', PORT: '4000', EMPTY: '', X: 'x-value' };

test('reference forms', () => {
  const cases: [string, string][] = [
    ['${env:HOST}', 'localhost'],
    ['${HOST}', 'localhost'],
    ['${env:HOST}:${PORT}', 'localhost:4000'],
    ['${env:MISSING:-127.0.0.1:4317}', '127.0.0.1:4317'],
    ['${MISSING:-fallback}', 'fallback'],
    ['${env:EMPTY:-fallback}', 'fallback'],
    ['${env:HOST:-fallback}', 'localhost'],
    ['${env:MISSING:-}', ''],
    ['$${env:HOST}', '${env:HOST}'],
    ['cost: 5$$', 'cost: 5$'],
    ['$$$$', '$$'],
    ['$$${X}', '$x-value'],
    ['a$b $ c', 'a$b $ c'],
    ['$HOST', '$HOST'],
    ['no references', 'no references'],
  ];
  for (const [input, out] of cases) {
    const r = expandString(input, ENV);
    assert.deepEqual(r.errors, [], input);
    assert.equal(r.text, out, input);
  }
});

test('whole-scalar detection and unset variables', () => {
  assert.equal(expandString('${env:PORT}', ENV).whole, true);
  assert.equal(expandString('${env:PORT}x', ENV).whole, false);
  assert.equal(expandString('$${env:PORT}', ENV).whole, false);
  assert.deepEqual(expandString('a${env:NOPE}b${NOPE2:-d}', ENV), { text: 'ab' + 'd', whole: false, unset: ['NOPE'], errors: [] });
});

test('malformed references', () => {
  const errs = (s: string) => expandString(s, ENV).errors;
  assert.deepEqual(errs('${env:}'), ['malformed reference "${env:}": missing variable name']);
  assert.deepEqual(errs('${}'), ['malformed reference "${}": missing variable name']);
  assert.deepEqual(errs('x ${env:HOST'), ['unterminated reference "${env:HOST": missing "}"']);
  assert.deepEqual(errs('${env:1BAD}'), ['malformed reference "${env:1BAD}": invalid variable name "1BAD"']);
  assert.deepEqual(errs('${file:/etc/x}'), ['unsupported reference "${file:/etc/x}": only "env" is supported (${env:NAME})']);
});

test('re-reading a whole-scalar expansion as YAML', () => {
  assert.equal(retype('4317'), 4317);
  assert.equal(retype('1.5'), 1.5);
  assert.equal(retype('true'), true);
  assert.equal(retype('false'), false);
  assert.equal(retype('null'), null);
  assert.equal(retype('0.0.0.0:4317'), '0.0.0.0:4317');
  assert.equal(retype('[a, b]'), '[a, b]');
  assert.equal(retype('a: b'), 'a: b');
  assert.equal(retype('#not-a-comment'), '#not-a-comment');
  assert.equal(retype('  '), '  ');
  assert.equal(retype('5s'), '5s');
});

test('env expansion in a config: all forms, typing, defaults, unset → warning', () => {
  const env = { HOST: 'localhost', PORT: '4000', BATCH_TIMEOUT: '2s', BATCH_SIZE: '4317', HTTP_ENDPOINT: '0.0.0.0:4318', EMPTY: '', FLAG: 'true' };
  const r = loadFixtures(['env.yaml'], env);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(brief(r.warnings), [
    ['testdata/env.yaml:20:16', 'exporters.otlphttp.headers.x-unset', 'environment variable "NOT_SET" is not set; using an empty string'],
  ]);
  const c = r.config!;
  const otlp = c.receivers.get('otlp')!.config;
  assert.equal(otlp.endpoint, 'localhost:4000'); // inside a longer string: text
  assert.equal(otlp.protocols.grpc.endpoint, '127.0.0.1:4317'); // default with colons
  assert.equal(otlp.protocols.http.endpoint, '0.0.0.0:4318'); // quoted: stays a string
  assert.deepEqual(c.processors.get('batch')!.config, { timeout: 2000, send_batch_size: 4317, send_batch_max_size: 0 }); // "4317" → 4317
  assert.equal(c.exporters.get('debug')!.config.verbosity, 'detailed');
  const http = c.exporters.get('otlphttp')!.config;
  assert.equal(http.endpoint, 'https://collector.example.com/${literal}/cost$');
  assert.deepEqual(http.headers, { 'x-tenant': 'fallback', 'x-unset': 'pre--post' });
  assert.equal(http.insecure_password_check, true); // "true" → boolean
  // the effective config shows expanded values
  assert.equal((c.effective as any).processors.batch.timeout, '2s');
});

test('whole-scalar typing can make a type problem; quoting keeps a string', () => {
  const r = loadText(`receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: \${env:PORT}\n      http:\n        endpoint: "\${env:PORT}"\nexporters:\n  debug:\n${SERVICE}`, { PORT: '4318' });
  assert.deepEqual(brief(r), [['test.yaml:5:19', 'receivers.otlp.protocols.grpc.endpoint', 'must be a string']]);
});

test('malformed references are problems at the value; keys are not expanded', () => {
  const r = loadText(
    `receivers:\n  otlp:\n    endpoint: \${env:}\nprocessors:\n  batch:\n    timeout: \${env:T\n  batch/\${X}:\nexporters:\n  debug:\n${SERVICE}`,
    { X: 'x' },
  );
  assert.deepEqual(brief(r), [
    ['test.yaml:3:15', 'receivers.otlp.endpoint', 'malformed reference "${env:}": missing variable name'],
    ['test.yaml:6:14', 'processors.batch.timeout', 'unterminated reference "${env:T": missing "}"'],
    ['test.yaml:7:3', 'processors.batch/${X}', 'invalid processor id "batch/${X}": the name must not hold spaces, symbols or control characters'],
  ]);
});

test('an unset variable used as a whole value is an empty string', () => {
  const r = loadText(`receivers:\n  otlp:\n    endpoint: \${env:NOPE}\nexporters:\n  debug:\n${SERVICE}`);
  assert.deepEqual(brief(r), [['test.yaml:3:15', 'receivers.otlp.endpoint', 'must NOT have fewer than 1 characters']]);
  assert.deepEqual(brief(r.warnings), [['test.yaml:3:15', 'receivers.otlp.endpoint', 'environment variable "NOPE" is not set; using an empty string']]);
});
