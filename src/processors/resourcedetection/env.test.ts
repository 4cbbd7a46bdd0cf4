import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anyValueToString, type Attributes } from '../../model/common';
import { envDetector, parseResourceAttributes, ResourceAttributesError } from './env';
import { tempContext } from './test-context';

function plain(attrs: Attributes): Array<[string, string]> {
  return attrs.map((kv) => [kv.key, anyValueToString(kv.value)]);
}

test('parses key=value pairs, trimming around keys and values', () => {
  assert.deepEqual(plain(parseResourceAttributes('department=eng, team.id = platform ,deployment.environment=prod')), [
    ['department', 'eng'],
    ['team.id', 'platform'],
    ['deployment.environment', 'prod'],
  ]);
});

test('values are percent-decoded; a + stays a + and = inside a value is kept', () => {
  const encoded = encodeURIComponent('a,b=c ü%');
  assert.deepEqual(plain(parseResourceAttributes(`k=${encoded},plus=1+1,eq=x=y`)), [
    ['k', 'a,b=c ü%'],
    ['plus', '1+1'],
    ['eq', 'x=y'],
  ]);
});

test('blank entries are skipped, an empty value is kept, a later duplicate wins', () => {
  assert.deepEqual(plain(parseResourceAttributes('a=1,,b=,a=2,')), [
    ['b', ''],
    ['a', '2'],
  ]);
  assert.deepEqual(parseResourceAttributes(''), []);
});

test('malformed entries throw, naming the variable and the entry', () => {
  const cases: Array<[string, RegExp]> = [
    ['a=1,oops,b=2', /^OTEL_RESOURCE_ATTRIBUTES: entry "oops" has no "="/],
    ['=nokey', /^OTEL_RESOURCE_ATTRIBUTES: entry "=nokey" has an empty key/],
    ['k=100%', /^OTEL_RESOURCE_ATTRIBUTES: entry "k=100%" has a bad percent escape "%"/],
    ['k=%zz1', /^OTEL_RESOURCE_ATTRIBUTES: entry "k=%zz1" has a bad percent escape "%zz"/],
    ['k=%C3', /^OTEL_RESOURCE_ATTRIBUTES: entry "k=%C3" does not percent-decode to valid UTF-8/],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseResourceAttributes(text), (e: unknown) => e instanceof ResourceAttributesError && message.test(e.message), text);
  }
});

test('the env detector reads the variable from its context, and finds nothing when it is unset', async () => {
  const set = tempContext({ env: { OTEL_RESOURCE_ATTRIBUTES: 'service.namespace=agents,team=a%2Fb' } });
  const unset = tempContext();
  try {
    assert.deepEqual(plain(await envDetector.detect(set.ctx, undefined)), [
      ['service.namespace', 'agents'],
      ['team', 'a/b'],
    ]);
    assert.deepEqual(await envDetector.detect(unset.ctx, undefined), []);
  } finally {
    set.cleanup();
    unset.cleanup();
  }
});
