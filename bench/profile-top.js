#!/usr/bin/env node
'use strict';
/*
 * Where a daemon's CPU went, from a `.cpuprofile` (BENCH_CPU_PROF=dir npm
 * run bench ...): self time by function and by file, heaviest first.
 *
 *   node bench/profile-top.js dir/xyz.cpuprofile [top N, default 25]
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: node bench/profile-top.js <file.cpuprofile> [N]');
  process.exit(2);
}
const top = Number(topArg) || 25;
const profile = JSON.parse(fs.readFileSync(file, 'utf8'));

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i];
  selfUs.set(id, (selfUs.get(id) || 0) + (profile.timeDeltas[i] || 0));
}

function where(cf) {
  let url = cf.url || '';
  if (url.startsWith('file://')) url = url.slice(7);
  if (url.startsWith(ROOT)) url = path.relative(ROOT, url);
  return url;
}

const fns = new Map();
const files = new Map();
let total = 0;
let idle = 0;
for (const [id, us] of selfUs) {
  const cf = byId.get(id).callFrame;
  total += us;
  if (cf.functionName === '(idle)') {
    idle += us;
    continue;
  }
  const w = where(cf);
  const key = `${cf.functionName || '(anonymous)'}  ${w ? `${w}:${cf.lineNumber + 1}` : ''}`;
  fns.set(key, (fns.get(key) || 0) + us);
  const fileKey = w || cf.functionName;
  files.set(fileKey, (files.get(fileKey) || 0) + us);
}

const busy = total - idle;
const ms = (us) => (us / 1000).toFixed(0).padStart(7);
const pct = (us) => ((us / busy) * 100).toFixed(1).padStart(5);
console.log(`${path.basename(file)}: ${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy (${((busy / total) * 100).toFixed(1)}% of one core)\n`);
console.log(`self time by function (ms, % of busy):`);
for (const [k, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)} ${pct(us)}%  ${k}`);
console.log(`\nself time by file:`);
for (const [k, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${ms(us)} ${pct(us)}%  ${k}`);
