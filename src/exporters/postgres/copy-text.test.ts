import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyEscape, floatArray, floatText, int8Array, int8Text, JsonWriter, jsonInt, jsonNumber, NULL, StringCleaner, TimeFormatter } from './copy-text';
import { str } from '../../model/common';

test('COPY text escaping: backslash, newline, carriage return and tab, nothing else', () => {
  assert.equal(copyEscape('a\\b\nc\rd\te'), 'a\\\\b\\nc\\rd\\te');
  assert.equal(copyEscape('\\N'), '\\\\N', 'a literal \\N string is not NULL');
  assert.equal(copyEscape('\\.'), '\\\\.', 'cannot end the data early');
  assert.equal(copyEscape(`'); DROP TABLE otel_logs; --"`), `'); DROP TABLE otel_logs; --"`);
  assert.equal(copyEscape('\x01\x0b\f'), '\x01\x0b\f', 'other control characters stand for themselves');
  const plain = 'claude_code.api_request';
  assert.equal(copyEscape(plain), plain);
});

test('StringCleaner: NUL and lone surrogates become U+FFFD and are counted; valid text is untouched', () => {
  const c = new StringCleaner();
  const ok = 'héllo 😀 \u2028';
  assert.equal(c.clean(ok), ok);
  assert.equal(c.replaced, 0);
  assert.equal(c.clean('a\0b\0'), 'a\uFFFDb\uFFFD');
  assert.equal(c.clean('x\ud800y'), 'x\uFFFDy');
  assert.equal(c.clean('\udc00'), '\uFFFD');
  assert.equal(c.clean('\ud83d\ude00'), '😀', 'a surrogate pair is one valid character');
  assert.equal(c.replaced, 3);
});

test('numbers: doubles incl. NaN and infinities, bigint range, array literals', () => {
  assert.deepEqual([NaN, Infinity, -Infinity, 0.1, -2, 1e300].map(floatText), ['NaN', 'Infinity', '-Infinity', '0.1', '-2', '1e+300']);
  assert.equal(floatArray([0.5, 1, Infinity, NaN]), '{0.5,1,Infinity,NaN}');
  assert.equal(floatArray([]), '{}');
  assert.equal(int8Text(42), '42');
  assert.equal(int8Text(2 ** 63), NULL, 'beyond bigint: NULL, not an error that drops the batch');
  assert.equal(int8Text(9223372036854775807n), '9223372036854775807');
  assert.equal(int8Text(9223372036854775808n), NULL);
  assert.equal(int8Text(1.5), NULL);
  assert.equal(int8Array([1, 2 ** 64, 3]), '{1,NULL,3}');
  assert.deepEqual([NaN, Infinity, -Infinity, 2.5].map(jsonNumber), ['"NaN"', '"Infinity"', '"-Infinity"', '2.5']);
  assert.equal(jsonInt(2 ** 53 - 1), String(2 ** 53 - 1));
  assert.equal(jsonInt(12345678901234567890n), '"12345678901234567890"');
});

test('JsonWriter: every AnyValue kind as JSON text that JSON.parse reads back', () => {
  const c = new StringCleaner();
  const w = new JsonWriter(c);
  const text = w.object([
    { key: 's', value: str('q"\\\n\t') },
    { key: 'i', value: { kind: 'int', value: 7 } },
    { key: 'big', value: { kind: 'int', value: -(2n ** 62n) } },
    { key: 'd', value: { kind: 'double', value: NaN } },
    { key: 'b', value: { kind: 'bool', value: false } },
    { key: 'bytes', value: { kind: 'bytes', value: new Uint8Array([0, 255, 16]) } },
    { key: 'arr', value: { kind: 'array', value: [str('x'), { kind: 'double', value: 1.5 }, { kind: 'empty' }] } },
    { key: 'kv', value: { kind: 'kvlist', value: [{ key: 'in\0ner', value: str('v\ud800') }] } },
  ]);
  assert.deepEqual(JSON.parse(text), {
    s: 'q"\\\n\t',
    i: 7,
    big: String(-(2n ** 62n)),
    d: 'NaN',
    b: false,
    bytes: Buffer.from([0, 255, 16]).toString('base64'),
    arr: ['x', 1.5, null],
    kv: { 'in\uFFFDner': 'v\uFFFD' },
  });
  assert.equal(c.replaced, 2);
});

test('TimeFormatter: ISO UTC with microseconds from ms + ns', () => {
  const f = new TimeFormatter();
  assert.equal(f.format(Date.UTC(2026, 10, 23, 1, 2, 3, 456), 789_999), '2026-11-23T01:02:03.456789Z');
  assert.equal(f.format(Date.UTC(2026, 10, 23, 1, 2, 3, 456), 5_000), '2026-11-23T01:02:03.456005Z');
  assert.equal(f.format(0, 0), '1970-01-01T00:00:00.000000Z');
});
