/**
 * The benchmark driver end to end, briefly: `bench/run.js` runs the
 * metric10kdps-grpc scenario for a few seconds (the real daemon, a forked
 * load generator and a forked sink) and its JSON must account for every
 * point. Only that it worked is checked, never how fast.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './harness';

interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: string;
  ok?: boolean;
}

interface SteadyResult {
  scenario: string;
  pids: { daemon: number; sink: number; generators: number[] };
  load: { itemsPerRequest: number; requestsPerSecond: number; warmupS: number; durationS: number };
  generator: { warm: { skippedRequests: number }; steady: { skippedRequests: number } };
  resources: { cpuAvg: number; cpuMax: number; rssAvgMiB: number; rssMaxMiB: number };
  figures: Figure[];
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

test('bench driver: metric10kdps-grpc for 3 s delivers every acknowledged point to the sink and reports every figure', { timeout: 90_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-pipeline-bench-test-'));
  const json = path.join(dir, 'result.json');
  const durationS = 3;
  try {
    const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'run.js'), '--scenario', 'metric10kdps-grpc', '--duration', String(durationS), '--quick', '--json', json], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      // A profile would be written into the caller's directory: not from a test.
      env: { ...process.env, BENCH_CPU_PROF: '' },
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 80_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    clearTimeout(killer);
    assert.equal(code, 0, output);

    const r = JSON.parse(fs.readFileSync(json, 'utf8')) as SteadyResult;
    assert.equal(r.scenario, 'metric10kdps-grpc');
    const fig = (name: string): Figure => {
      const f = r.figures.find((x) => x.name === name);
      assert.ok(f, `figure "${name}" missing from ${r.figures.map((x) => x.name).join(', ')}`);
      assert.equal(typeof f.value, 'number', `${name} is not a number`);
      assert.ok(Number.isFinite(f.value), `${name} = ${f.value}`);
      return f;
    };
    for (const name of ['achieved rate', 'CPU avg (% of one core)', 'CPU max (1 s samples)', 'RSS avg', 'RSS max', 'request latency p50', 'request latency p99']) fig(name);

    // Every request the schedule called for is accounted for: acknowledged, refused, or not offered.
    const scheduledRequests = r.load.requestsPerSecond * (r.load.warmupS + r.load.durationS);
    const sent = fig('points sent and acknowledged').value;
    const refused = fig('points refused (not acknowledged)').value;
    const skipped = r.generator.warm.skippedRequests + r.generator.steady.skippedRequests;
    assert.equal(r.load.durationS, durationS);
    assert.equal(sent + refused + skipped * r.load.itemsPerRequest, scheduledRequests * r.load.itemsPerRequest);
    assert.ok(sent > 0, 'no point was acknowledged');
    assert.equal(fig('points received at the sink').value, sent, 'the sink did not receive exactly what the daemon acknowledged');
    assert.equal(fig('points lost').value, 0);
    assert.ok(r.resources.rssMaxMiB > 0 && r.resources.rssAvgMiB > 0);

    // The driver stopped everything it started.
    for (const pid of [r.pids.daemon, r.pids.sink, ...r.pids.generators]) assert.equal(alive(pid), false, `process ${pid} outlived the driver`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
