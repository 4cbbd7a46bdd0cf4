import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BufferPool } from './buffer-pool';

test('a buffer is never lent twice at once, and comes back for the next send that fits', () => {
  const pool = new BufferPool();
  const a = pool.take(100_000);
  const b = pool.take(100_000);
  assert.ok(a.length >= 100_000 && b.length >= 100_000);
  assert.notEqual(a.buffer, b.buffer, 'two sends in flight get different memory');
  pool.give(a);
  assert.equal(pool.take(90_000), a, 'a given-back buffer is reused');
  assert.notEqual(pool.take(90_000), b, 'b was not given back');
});

test('a buffer too small for the batch is passed over, not grown', () => {
  const pool = new BufferPool();
  const small = pool.take(10);
  pool.give(small);
  const big = pool.take(small.length + 1);
  assert.ok(big.length > small.length);
  assert.equal(pool.take(10), small);
});

test('the pool keeps at most `keep` idle buffers, the larger ones, and none beyond maxBytes', () => {
  const pool = new BufferPool(2, 1 << 20);
  const [s, m, l] = [pool.take(1_000), pool.take(200_000), pool.take(500_000)];
  pool.give(s);
  pool.give(m);
  pool.give(l);
  assert.equal(pool.idle, 2);
  assert.equal(pool.take(150_000), m);
  assert.equal(pool.take(400_000), l);
  const huge = pool.take(2 << 20);
  pool.give(huge);
  assert.equal(pool.idle, 0, 'a buffer over maxBytes is not kept');
});
