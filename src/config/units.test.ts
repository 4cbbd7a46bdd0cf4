import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseByteSize, parseDuration } from './units';

test('durations parse to milliseconds', () => {
  const cases: [unknown, number][] = [
    ['200ms', 200], ['5s', 5000], ['1m', 60_000], ['1h30m', 5_400_000], ['1.5s', 1500],
    ['0', 0], ['0s', 0], [0, 0], ['250us', 0.25], ['250µs', 0.25], ['1500ns', 0.0015], ['2h', 7_200_000], ['.5s', 500],
    ['30d', 30 * 86_400_000], ['1d12h', 36 * 3_600_000], ['2d30m', 2 * 86_400_000 + 30 * 60_000],
  ];
  for (const [input, ms] of cases) assert.equal(parseDuration(input), ms, String(input));
});

test('non-durations are refused', () => {
  for (const input of ['', '5', '5 s', '5x', 's', '-1s', 'd', '5 d', '1 d', 'soon', 5, -0.5, null, true, '1h 30m']) {
    assert.equal(parseDuration(input), undefined, JSON.stringify(input));
  }
});

test('byte sizes parse to bytes (KB = 1000, KiB = 1024, any case)', () => {
  const cases: [unknown, number][] = [
    [512, 512], [0, 0], ['512', 512], ['16MiB', 16 * 1024 * 1024], ['16MB', 16_000_000], ['1.5GiB', 1610612736],
    ['512KiB', 524288], ['100kb', 100_000], ['100KB', 100_000], ['1kib', 1024], ['2b', 2], ['3 MiB', 3 * 1024 * 1024],
  ];
  for (const [input, bytes] of cases) assert.equal(parseByteSize(input), bytes, String(input));
});

test('non-sizes are refused', () => {
  for (const input of ['', 'MiB', '4 MiBs', '-1', -1, 1.5, '16XB', 'big', null, true]) {
    assert.equal(parseByteSize(input), undefined, JSON.stringify(input));
  }
});
