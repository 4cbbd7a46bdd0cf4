import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const MODULE = path.join(__dirname, 'startup-heap.js');

/**
 * In a fresh node: hold, keep allocating objects that survive, report the
 * young generation's size; then `startupDone` and the same again.
 */
function youngGenerationSizes(nodeArgs: string[] = []): { held: number; released: number } {
  const script = `
    const v8 = require('node:v8');
    const { holdYoungGeneration, startupDone } = require(${JSON.stringify(MODULE)});
    const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const keep = [];
    const survive = (mib) => { for (let i = 0; i < mib * 1024; i++) keep.push({ i, s: 'x'.repeat(1000) + i }); };
    holdYoungGeneration();
    const before = young();
    survive(40);
    const held = young();
    startupDone();
    survive(40);
    process.stdout.write(JSON.stringify({ before, held, released: young() }));
  `;
  const r = spawnSync(process.execPath, [...nodeArgs, '--expose-gc', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const sizes = JSON.parse(r.stdout) as { before: number; held: number; released: number };
  assert.ok(sizes.before > 0);
  // The first scavenge commits the second semi-space (2 × the first): that is all.
  assert.ok(sizes.held <= 2 * sizes.before, `held: ${sizes.held} bytes, from ${sizes.before}`);
  return sizes;
}

test('the young generation keeps its initial size until startup is done, then grows under load again', () => {
  const { held, released } = youngGenerationSizes();
  assert.ok(released >= 4 * held, `after startupDone it grows again (held ${held}, then ${released})`);
});

test('a young generation the user sized is left alone', () => {
  const r = spawnSync(
    process.execPath,
    ['--max-semi-space-size=8', '-e', `
      const v8 = require('node:v8');
      require(${JSON.stringify(MODULE)}).holdYoungGeneration();
      const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
      const before = young();
      const keep = [];
      for (let i = 0; i < 40 * 1024; i++) keep.push({ i, s: 'x'.repeat(1000) + i });
      process.stdout.write(JSON.stringify({ before, after: young() }));
    `],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const { before, after } = JSON.parse(r.stdout) as { before: number; after: number };
  assert.ok(after > before, `not held: grew from ${before} to ${after}`);
});
