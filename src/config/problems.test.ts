import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closest, didYouMean, formatPath, formatProblem, sortProblems } from './problems';

test('formatProblem: file:line:column: path: message (hint)', () => {
  assert.equal(
    formatProblem({ file: 'a.yaml', line: 3, column: 5, path: 'processors.batch/fast.timeout', message: 'must be a duration like "200ms"' }),
    'a.yaml:3:5: processors.batch/fast.timeout: must be a duration like "200ms"',
  );
  assert.equal(
    formatProblem({ file: 'a.yaml', line: 1, column: 1, path: 'recievers', message: 'unknown key "recievers"', hint: 'did you mean "receivers"?' }),
    'a.yaml:1:1: recievers: unknown key "recievers" (did you mean "receivers"?)',
  );
});

test('formatPath keeps component ids whole and writes list indexes in brackets', () => {
  assert.equal(formatPath(['service', 'pipelines', 'metrics/x', 'receivers', 1]), 'service.pipelines.metrics/x.receivers[1]');
  assert.equal(formatPath(['processors', 'batch/fast', 'timeout']), 'processors.batch/fast.timeout');
});

test('did-you-mean: edit distance up to 2, or a prefix', () => {
  assert.equal(didYouMean('bach', ['batch', 'memory_limiter']), 'did you mean "batch"?');
  assert.equal(closest('recievers', ['receivers', 'processors']), 'receivers');
  assert.equal(closest('memory', ['batch', 'memory_limiter']), 'memory_limiter');
  assert.equal(closest('Batch', ['batch']), 'batch');
  assert.equal(closest('zzz', ['batch', 'debug']), undefined);
  assert.equal(didYouMean('x', []), undefined);
});

test('problems sort by file (in the order given), then line and column, without duplicates', () => {
  const p = (file: string, line: number, column = 1) => ({ file, line, column, path: '', message: 'm' });
  const sorted = sortProblems([p('b.yaml', 1), p('a.yaml', 9, 3), p('b.yaml', 1), p('a.yaml', 9, 1), p('a.yaml', 2)], ['a.yaml', 'b.yaml']);
  assert.deepEqual(sorted.map((x) => `${x.file}:${x.line}:${x.column}`), ['a.yaml:2:1', 'a.yaml:9:1', 'a.yaml:9:3', 'b.yaml:1:1']);
});
