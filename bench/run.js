#!/usr/bin/env node
'use strict';
/*
 * `npm run bench [-- --scenario NAME]`: runs the benchmark scenarios against
 * the real daemon (its own process; load from separate processes over
 * loopback), prints each figure beside its target, and writes the results as
 * JSON to bench/results/.
 */
const { report, saveResult } = require('./lib');

const SCENARIOS = [require('./scenarios/scrape')];

async function main() {
  const i = process.argv.indexOf('--scenario');
  const only = i >= 0 ? process.argv[i + 1] : undefined;
  const chosen = only ? SCENARIOS.filter((s) => s.name === only) : SCENARIOS;
  if (chosen.length === 0) {
    console.error(`unknown scenario "${only}"; choose from: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
  let missed = 0;
  for (const s of chosen) {
    const result = await s.run();
    report(`${s.name}: ${s.description}`, result.figures);
    console.log(`  results: ${saveResult(s.name, result)}`);
    missed += result.figures.filter((f) => f.target !== undefined && !f.ok).length;
  }
  if (missed > 0) console.log(`\n${missed} target(s) missed`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
