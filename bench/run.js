#!/usr/bin/env node
'use strict';
/*
 * `npm run bench [-- options]`: runs the benchmark scenarios against the real
 * daemon (its own process; load from separate generator processes over
 * loopback; exported data counted by a separate sink process), prints each
 * figure beside its target, and writes the results as JSON to bench/results/.
 *
 *   --scenario NAME   run one scenario (repeatable; default: all)
 *   --duration S      steady-state seconds per measurement
 *   --quick           short runs (a smoke test of the scenarios, not figures to quote)
 *   --json FILE       write the result JSON here instead of bench/results/ (one scenario)
 *   --list            list the scenarios
 *
 * BENCH_CPU_PROF=dir runs the daemon under `node --cpu-prof` and leaves one
 * .cpuprofile per daemon started in dir (open it in Chrome DevTools).
 */
const os = require('node:os');
const { report, saveResult } = require('./lib');

const SCENARIOS = [
  ...require('./scenarios/steady').scenarios,
  ...require('./scenarios/max').scenarios,
  require('./scenarios/scrape'),
  require('./scenarios/postgres'),
  require('./scenarios/idle'),
];

function parseArgs(argv) {
  const out = { scenarios: [], quick: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--scenario') out.scenarios.push(value());
    else if (a === '--duration') {
      out.durationS = Number(value());
      if (!(out.durationS > 0)) throw new Error('--duration must be a positive number of seconds');
    } else if (a === '--quick') out.quick = true;
    else if (a === '--json') out.json = value();
    else if (a === '--list') out.list = true;
    else throw new Error(`unknown option "${a}" (options: --scenario NAME, --duration S, --quick, --json FILE, --list)`);
  }
  return out;
}

async function main() {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`bench: ${err.message}`);
    return 2;
  }
  if (args.list) {
    for (const s of SCENARIOS) console.log(`${s.name.padEnd(20)} ${s.description}`);
    return 0;
  }
  const unknown = args.scenarios.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) {
    console.error(`bench: unknown scenario "${unknown.join('", "')}"; choose from: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    return 2;
  }
  const chosen = args.scenarios.length > 0 ? SCENARIOS.filter((s) => args.scenarios.includes(s.name)) : SCENARIOS;
  if (args.json && chosen.length !== 1) {
    console.error('bench: --json takes one scenario (give --scenario NAME)');
    return 2;
  }
  console.log(`bench: ${chosen.map((s) => s.name).join(', ')}${args.quick ? ' (quick)' : ''}; the load generators and the sink share this machine's CPUs with the daemon`);
  let missed = 0;
  let failed = 0;
  for (const s of chosen) {
    let result;
    // Other work on the machine competes with the daemon for the cores: say how much there was.
    const loadBefore = os.loadavg()[0];
    try {
      result = await s.run({ durationS: args.durationS, quick: args.quick });
      result.machine = { cpus: os.cpus().length, loadavg1mBefore: loadBefore, loadavg1mAfter: os.loadavg()[0] };
      (result.notes ??= []).push(`1-minute load average ${loadBefore.toFixed(1)} before, ${os.loadavg()[0].toFixed(1)} after, on ${os.cpus().length} CPUs (includes this benchmark's own processes)`);
    } catch (err) {
      failed++;
      console.error(`\n== ${s.name}: FAILED: ${err.stack || err}`);
      continue;
    }
    report(`${s.name}: ${s.description}`, result.figures, result.notes);
    console.log(`  results: ${saveResult(s.name, result, args.json)}`);
    missed += result.figures.filter((f) => f.target !== undefined && !f.ok).length;
  }
  console.log(`\n${missed} target(s) missed${failed ? `, ${failed} scenario(s) failed to run` : ''}`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
