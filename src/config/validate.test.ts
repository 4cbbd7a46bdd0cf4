import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonSchema } from '../pipeline/component';
import { redactConfig } from './redact';
import { validateNode } from './validate';
import { parseSource } from './yaml-source';
import { brief } from './testkit';

function check(schema: JsonSchema, yaml: string, key: object = schema) {
  const root = parseSource({ name: 'v.yaml', text: yaml }).root!;
  return validateNode(schema, key, root, ['x'], { file: 'v.yaml', line: 1, column: 1 }, 'x');
}

test('a type union reads as one problem', () => {
  const schema = { type: 'object', properties: { port: { anyOf: [{ type: 'integer' }, { type: 'string' }] } } };
  assert.deepEqual(brief(check(schema, 'port: [1]\n').problems), [['v.yaml:1:7', 'x.port', 'must be an integer or a string']]);
  assert.deepEqual(check(schema, 'port: 1\n').problems, []);
});

test('oneOf: the errors of the branch that got furthest', () => {
  const schema = {
    type: 'object',
    properties: {
      auth: {
        oneOf: [
          { type: 'string' },
          { type: 'object', additionalProperties: false, properties: { user: { type: 'string' }, pass: { type: 'string' } }, required: ['user'] },
        ],
      },
    },
  };
  assert.deepEqual(brief(check(schema, 'auth:\n  user: u\n  pas: p\n').problems), [['v.yaml:3:3', 'x.auth.pas', 'unknown key "pas"', 'did you mean "pass"?']]);
  assert.deepEqual(brief(check(schema, 'auth: 5\n').problems), [['v.yaml:1:7', 'x.auth', 'must be a string or a map']]);
});

test('$ref, array items and durations inside lists', () => {
  const schema = {
    type: 'object',
    $defs: { step: { type: 'object', additionalProperties: false, properties: { after: { duration: true } }, required: ['after'] } },
    properties: { steps: { type: 'array', items: { $ref: '#/$defs/step' } } },
  };
  const ok = check(schema, 'steps:\n  - after: 1s\n  - after: 0\n');
  assert.deepEqual(ok.problems, []);
  assert.deepEqual(ok.value, { steps: [{ after: 1000 }, { after: 0 }] });
  assert.deepEqual(ok.effective, { steps: [{ after: '1s' }, { after: 0 }] });
  assert.deepEqual(brief(check(schema, 'steps:\n  - after: later\n  - {}\n').problems), [
    ['v.yaml:2:12', 'x.steps[0].after', 'must be a duration like "200ms"'],
    ['v.yaml:3:5', 'x.steps[1].after', 'required key is missing'],
  ]);
});

test('an invalid factory schema is a problem, not a crash (strict mode refuses unknown keywords)', () => {
  const schema = { type: 'object', properties: { a: { type: 'string', secret: true } } };
  const r = check(schema, 'a: b\n');
  assert.equal(r.problems.length, 1);
  assert.match(r.problems[0].message, /^cannot check x: its schema is invalid: strict mode: unknown keyword: "secret"/);
});

test('the compiled schema is cached by its key', () => {
  const key = {};
  const a = { type: 'object', properties: { n: { type: 'integer' } } };
  const b = { type: 'object', properties: { n: { type: 'string' } } };
  assert.deepEqual(check(a, 'n: 1\n', key).problems, []);
  // same key, different schema: the first compile is reused
  assert.deepEqual(check(b, 'n: 1\n', key).problems, []);
});

test('sensitive through $ref and allOf is redacted', () => {
  const schema = {
    type: 'object',
    $defs: { secret: { type: 'string', sensitive: true } },
    properties: { a: { $ref: '#/$defs/secret' }, b: { allOf: [{ sensitive: true }] }, c: { type: 'string' } },
  };
  const factory = { kind: 'exporter', type: 'x', description: '', stability: { logs: 'alpha' }, mutatesData: false, schema, create() { throw new Error(); } } as const;
  const { Registry } = require('../pipeline/registry') as typeof import('../pipeline/registry');
  const reg = new Registry([factory as any]);
  const red = redactConfig({ exporters: { 'x/1': { a: '1', b: '2', c: '3' } } }, reg) as any;
  assert.deepEqual(red.exporters['x/1'], { a: '[REDACTED]', b: '[REDACTED]', c: '3' });
});
