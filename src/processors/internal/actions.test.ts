import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { RequestContext } from '../../model/batch';
import { AttributeActions, validateActions, type ActionConfig } from './actions';
import { attrs, plain, type Plain } from './testkit';

function run(actions: ActionConfig[], input: Plain, ctx?: RequestContext): Record<string, unknown> {
  assert.deepEqual(validateActions(actions, 'actions'), [], 'the actions are valid');
  const a = attrs(input);
  new AttributeActions(actions).apply(a, ctx);
  return plain(a);
}

function kinds(actions: ActionConfig[], input: Plain): Record<string, string> {
  const a = attrs(input);
  new AttributeActions(actions).apply(a, undefined);
  return Object.fromEntries(a.map((kv) => [kv.key, kv.value.kind]));
}

const ctx: RequestContext = {
  clientAddress: '10.1.2.3',
  metadata: new Map([
    ['x-user-email', ['alice@example.com']],
    ['x-team', ['a', 'b']],
  ]),
};

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

test('insert only when absent, update only when present, upsert both', () => {
  const input = { present: 'old' };
  assert.deepEqual(run([{ action: 'insert', key: 'present', value: 'new' }, { action: 'insert', key: 'absent', value: 'new' }], input), { present: 'old', absent: 'new' });
  assert.deepEqual(run([{ action: 'update', key: 'present', value: 'new' }, { action: 'update', key: 'absent', value: 'new' }], input), { present: 'new' });
  assert.deepEqual(run([{ action: 'upsert', key: 'present', value: 'new' }, { action: 'upsert', key: 'absent', value: 'new' }], input), { present: 'new', absent: 'new' });
});

test('values keep their YAML type: string, int, double, bool, and lists and maps', () => {
  const a = kinds([
    { action: 'insert', key: 's', value: '42' },
    { action: 'insert', key: 'i', value: 42 },
    { action: 'insert', key: 'd', value: 4.2 },
    { action: 'insert', key: 'b', value: false },
    { action: 'insert', key: 'l', value: [1, 'x'] },
    { action: 'insert', key: 'm', value: { k: 'v' } },
  ], {});
  assert.deepEqual(a, { s: 'string', i: 'int', d: 'double', b: 'bool', l: 'array', m: 'kvlist' });
});

test('from_attribute copies another attribute of the same item; nothing happens when it is absent unless default_value', () => {
  assert.deepEqual(run([{ action: 'insert', key: 'copy', from_attribute: 'orig' }], { orig: 7 }), { orig: 7, copy: 7 });
  assert.deepEqual(run([{ action: 'insert', key: 'copy', from_attribute: 'missing' }], { orig: 7 }), { orig: 7 });
  assert.deepEqual(run([{ action: 'upsert', key: 'region', from_attribute: 'cloud.region', default_value: 'us-east-1' }], {}), { region: 'us-east-1' });
});

test('from_context: metadata keys (any case, with or without "metadata."), client address, several values joined with ";"', () => {
  assert.deepEqual(run([{ action: 'insert', key: 'user', from_context: 'x-user-email' }], {}, ctx), { user: 'alice@example.com' });
  assert.deepEqual(run([{ action: 'insert', key: 'user', from_context: 'X-User-Email' }], {}, ctx), { user: 'alice@example.com' });
  assert.deepEqual(run([{ action: 'insert', key: 'user', from_context: 'metadata.x-user-email' }], {}, ctx), { user: 'alice@example.com' });
  assert.deepEqual(run([{ action: 'insert', key: 'team', from_context: 'x-team' }], {}, ctx), { team: 'a;b' });
  assert.deepEqual(run([{ action: 'insert', key: 'ip', from_context: 'client.address' }, { action: 'insert', key: 'ip2', from_context: 'client_address' }], {}, ctx), { ip: '10.1.2.3', ip2: '10.1.2.3' });
  assert.deepEqual(run([{ action: 'insert', key: 'user', from_context: 'x-missing' }], {}, ctx), {});
  assert.deepEqual(run([{ action: 'insert', key: 'user', from_context: 'x-user-email' }], {}, undefined), {}, 'no context at all');
  assert.deepEqual(run([{ action: 'insert', key: 'tenant', from_context: 'x-tenant', default_value: 'default' }], {}, ctx), { tenant: 'default' });
});

test('delete by key or by a pattern over keys', () => {
  assert.deepEqual(run([{ action: 'delete', key: 'session.id' }], { 'session.id': 's', model: 'm' }), { model: 'm' });
  assert.deepEqual(run([{ action: 'delete', pattern: '^user\\.' }], { 'user.id': 1, 'user.email': 'e', 'app.user.x': 2, model: 'm' }), { 'app.user.x': 2, model: 'm' });
});

test('hash replaces the value with the SHA-256 hex of its string form', () => {
  assert.deepEqual(run([{ action: 'hash', key: 'user.email' }], { 'user.email': 'alice@example.com', n: 372 }), { 'user.email': sha256('alice@example.com'), n: 372 });
  assert.deepEqual(run([{ action: 'hash', pattern: '^n$' }], { n: 372, b: true }), { n: sha256('372'), b: true });
  // The cache must not mix values up.
  const actions = new AttributeActions([{ action: 'hash', key: 'e' }]);
  for (const e of ['a', 'b', 'a']) {
    const a = attrs({ e });
    actions.apply(a, undefined);
    assert.deepEqual(plain(a), { e: sha256(e) });
  }
});

test('extract: each named group becomes an attribute (upserted); Go (?P<name>) groups work', () => {
  const url = 'https://api.example.com:8443/v1/messages';
  const expected = { url, scheme: 'https', host: 'api.example.com', path: '/v1/messages' };
  assert.deepEqual(run([{ action: 'extract', key: 'url', pattern: '^(?<scheme>[a-z]+)://(?<host>[^:/]+)(?::\\d+)?(?<path>/.*)$' }], { url, host: 'old' }), expected);
  assert.deepEqual(run([{ action: 'extract', key: 'url', pattern: '^(?P<scheme>[a-z]+)://(?P<host>[^:/]+)(?::\\d+)?(?P<path>/.*)$' }], { url }), expected);
  assert.deepEqual(run([{ action: 'extract', key: 'url', pattern: '^(?<scheme>ftp)://' }], { url }), { url }, 'no match: nothing changes');
  assert.deepEqual(run([{ action: 'extract', key: 'n', pattern: '(?<digit>\\d)' }], { n: 372 }), { n: 372 }, 'only string values are matched');
});

test('convert to int, double and string; what cannot convert is left unchanged', () => {
  const before = { a: '372', b: '3.5', c: 'abc', d: 4.9, e: true, f: 7 };
  const a = attrs(before);
  new AttributeActions([
    { action: 'convert', key: 'a', converted_type: 'int' },
    { action: 'convert', key: 'b', converted_type: 'double' },
    { action: 'convert', key: 'c', converted_type: 'int' },
    { action: 'convert', key: 'd', converted_type: 'int' },
    { action: 'convert', key: 'e', converted_type: 'double' },
    { action: 'convert', key: 'f', converted_type: 'string' },
  ]).apply(a, undefined);
  assert.deepEqual(a.map((kv) => kv.value), [
    { kind: 'int', value: 372 },
    { kind: 'double', value: 3.5 },
    { kind: 'string', value: 'abc' },
    { kind: 'int', value: 4 },
    { kind: 'double', value: 1 },
    { kind: 'string', value: '7' },
  ]);
});

test('actions run in order, each seeing what the previous ones did', () => {
  assert.deepEqual(
    run([
      { action: 'insert', key: 'copy', from_attribute: 'email' },
      { action: 'hash', key: 'email' },
      { action: 'delete', key: 'copy' },
      { action: 'upsert', key: 'hashed', from_attribute: 'email' },
    ], { email: 'x@y' }),
    { email: sha256('x@y'), hashed: sha256('x@y') },
  );
});

test('validation names the action index and the key at fault', () => {
  const problems = validateActions([
    { action: 'insert', key: 'a' },
    { action: 'upsert', key: 'a', value: 1, from_attribute: 'b' },
    { action: 'delete' },
    { action: 'hash', key: 'a', pattern: 'b' },
    { action: 'extract', key: 'a', pattern: '(\\d+)' },
    { action: 'extract', key: 'a', pattern: '(?<x>\\d+)(\\w)' },
    { action: 'delete', pattern: '([a-z' },
    { action: 'convert', key: 'a' },
    { action: 'update', value: 'x' },
    { action: 'insert', key: 'a', from_context: 'auth.subject' },
    { action: 'delete', key: 'a', value: 'x' },
    { action: 'UPSERT', key: 'ok', value: 'fine' },
  ] as ActionConfig[], 'actions');
  const byPath = problems.map((p) => `${p.path}: ${p.message}`);
  const expectAt = (path: string, fragment: RegExp) =>
    assert.ok(byPath.some((l) => l.startsWith(path + ':') && fragment.test(l)), `expected a problem at ${path} matching ${fragment}; got\n${byPath.join('\n')}`);
  expectAt('actions[0]', /needs one of value, from_attribute or from_context/);
  expectAt('actions[1]', /exactly one of value, from_attribute or from_context, not value and from_attribute/);
  expectAt('actions[2]', /exactly one of key or pattern/);
  expectAt('actions[3]', /exactly one of key or pattern/);
  expectAt('actions[4].pattern', /no named groups/);
  expectAt('actions[5].pattern', /unnamed groups/);
  expectAt('actions[6].pattern', /not a valid regular expression/);
  expectAt('actions[7].converted_type', /needs converted_type/);
  expectAt('actions[8].key', /needs a key/);
  expectAt('actions[9].from_context', /auth/);
  expectAt('actions[10].value', /not used by the delete action/);
  assert.ok(!byPath.some((l) => l.startsWith('actions[11]')), 'upper-case action names are accepted');
  assert.equal(problems.length, 11);
});
