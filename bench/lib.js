'use strict';
/*
 * Shared benchmark machinery: run the real daemon as its own process, fork
 * the load generators and the sink, read the daemon's CPU and RSS from
 * /proc, and summarise and print the figures.
 */
const { spawn, fork } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'otel-pipeline');
const CLK_TCK = 100; // Linux's USER_HZ on every platform Node supports here
const MiB = 1048576;

// Every process the driver starts, so that none outlives it, whatever happens.
const children = new Set();
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
function track(child) {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/** A free loopback port, chosen as the tests choose theirs (below the kernel's ephemeral range). */
function freePort() {
  return require(path.join(ROOT, 'dist', 'src', 'testing', 'ports')).freePort();
}

/** Whether something accepts TCP connections on 127.0.0.1:port now. */
function portInUse(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function waitFor(cond, what, timeoutMs = 60000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for a child's exit, sending SIGKILL after `timeoutMs`. */
function reap(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Starts bin/otel-pipeline, with `yaml` written to a temp dir as its config
 * (or with no --config, so the embedded default runs, when `yaml` is
 * undefined); resolves once it logs that it is ready. With BENCH_CPU_PROF=dir
 * in the environment the daemon runs under `node --cpu-prof` and writes its
 * profile to that dir when it stops (named after `name`).
 */
async function startDaemon(yaml, { name = 'daemon' } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-pipeline-bench-'));
  const args = [BIN, 'run'];
  if (yaml !== undefined) {
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, yaml);
    args.push('--config', file);
  }
  // BENCH_NODE_FLAGS: extra node/V8 flags for the daemon (e.g. "--trace-gc"), to try settings without
  // editing bin/; BENCH_DAEMON_STDOUT: a file for the daemon's stdout, where V8's traces go.
  const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const profDir = process.env.BENCH_CPU_PROF;
  if (profDir) {
    fs.mkdirSync(profDir, { recursive: true });
    nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${path.resolve(profDir)}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`);
  }
  const startedAt = Date.now();
  const child = track(spawn(process.execPath, [...nodeFlags, ...args], { cwd: ROOT, stdio: ['ignore', process.env.BENCH_DAEMON_STDOUT ? fs.openSync(process.env.BENCH_DAEMON_STDOUT, 'w') : 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    stderr += d;
    if (stderr.length > 1_000_000) stderr = stderr.slice(-500_000);
  });
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      await reap(child, 20000);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => stderr.includes('everything is ready') || exited, 'the daemon to start', 30000);
  } catch (err) {
    await stop();
    throw err;
  }
  if (exited) {
    await stop();
    throw new Error(`daemon failed to start:\n${stderr}`);
  }
  return { pid: child.pid, startedAt, stderr: () => stderr, running: () => !exited, stop };
}

/**
 * A helper process (load generator or sink) forked from `script`, spoken to
 * over IPC: it announces itself with a `{ready: true, ...}` message (kept
 * in `info`), and answers each `{id, ...}` request with a message carrying
 * the same id.
 */
class Helper {
  static async fork(script, args = [], what = path.basename(script)) {
    const child = track(fork(script, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const h = new Helper(child, what);
    h.info = await new Promise((resolve, reject) => {
      const onExit = (code) => reject(new Error(`${what} exited (${code}) before it was ready`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        if (m && m.ready) resolve(m);
        else reject(new Error(`${what}: unexpected first message ${JSON.stringify(m)}`));
      });
    });
    return h;
  }

  constructor(child, what) {
    this.child = child;
    this.what = what;
    this.nextId = 1;
    this.pending = new Map();
    child.on('message', (m) => {
      const p = m && this.pending.get(m.id);
      if (p) {
        this.pending.delete(m.id);
        p.resolve(m);
      }
    });
    child.on('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`${what} exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  get pid() {
    return this.child.pid;
  }

  /** Sends `msg` with a fresh id; resolves with the reply (a 'run' may take its durationMs and two minutes more). */
  call(msg, timeoutMs = (msg.durationMs ?? 0) + 120000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.what}: no answer to ${msg.cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      this.child.send({ ...msg, id });
    });
  }

  send(msg) {
    if (this.child.connected) this.child.send(msg);
  }

  async stop() {
    if (this.child.connected) this.child.disconnect();
    await reap(this.child, 5000);
  }
}

/**
 * CPU seconds (user + system) and RSS bytes of a process, from /proc; also
 * the anonymous part of the RSS (heap, stacks, buffers: the process's own
 * memory) apart from the file-backed part (mostly the node binary's pages,
 * which any Node process has).
 */
function processStats(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN) * 1024;
  return { cpuSeconds: cpu, rssBytes: kb('VmRSS'), rssAnonBytes: kb('RssAnon') };
}

/**
 * Samples a process's CPU time and RSS once a second between begin() and
 * end(), as the Go collector's testbed does (it samples every few seconds):
 * CPU as % of one core over each second, RSS from VmRSS.
 */
class ResourceMonitor {
  constructor(pid, startedAt) {
    this.pid = pid;
    this.startedAt = startedAt;
  }

  begin() {
    const s = processStats(this.pid);
    this.first = { t: performance.now(), cpu: s.cpuSeconds };
    this.last = this.first;
    this.cpuSamples = [];
    this.rssSamples = [s.rssBytes];
    this.anonSamples = [s.rssAnonBytes];
    this.timer = setInterval(() => this.sample(), 1000);
  }

  sample() {
    let s;
    try {
      s = processStats(this.pid);
    } catch {
      return; // the process has gone; end() reports what was seen
    }
    const t = performance.now();
    this.cpuSamples.push(((s.cpuSeconds - this.last.cpu) / ((t - this.last.t) / 1000)) * 100);
    this.rssSamples.push(s.rssBytes);
    this.anonSamples.push(s.rssAnonBytes);
    this.last = { t, cpu: s.cpuSeconds };
  }

  /**
   * Stops sampling. cpuAvg is the CPU time used over the whole window divided
   * by its length; cpuSinceStart is the testbed's own average (CPU time since
   * the process started over the time since it started, startup included).
   */
  end() {
    clearInterval(this.timer);
    this.sample();
    const wall = (this.last.t - this.first.t) / 1000;
    const cpuTotal = this.last.cpu;
    return {
      seconds: +wall.toFixed(1),
      cpuAvg: wall > 0 ? ((this.last.cpu - this.first.cpu) / wall) * 100 : NaN,
      cpuMax: Math.max(...this.cpuSamples),
      cpuSinceStart: (cpuTotal / ((Date.now() - this.startedAt) / 1000)) * 100,
      rssAvgMiB: this.rssSamples.reduce((a, b) => a + b, 0) / this.rssSamples.length / MiB,
      rssMaxMiB: Math.max(...this.rssSamples) / MiB,
      rssAnonAvgMiB: this.anonSamples.reduce((a, b) => a + b, 0) / this.anonSamples.length / MiB,
      samples: this.cpuSamples.length,
    };
  }
}

function httpRequest({ port, method = 'GET', path: p = '/', headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Sum of every sample in a Prometheus exposition whose metric name starts with `prefix` (labels ignored). */
function sumFamily(text, prefix) {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** sumFamily over what 127.0.0.1:port/metrics serves now. */
async function scrapeSum(port, prefix) {
  return sumFamily((await httpRequest({ port, path: '/metrics' })).body.toString(), prefix);
}

/** The first sample of `name` in the Prometheus exposition at 127.0.0.1:port/metrics, or NaN. */
async function scrapeValue(port, name) {
  const text = (await httpRequest({ port, path: '/metrics' })).body.toString();
  for (const line of text.split('\n')) {
    if (line.startsWith(name) && (line[name.length] === '{' || line[name.length] === ' ')) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return NaN;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const round = (v, digits = 1) => (Number.isFinite(v) ? +v.toFixed(digits) : v);

/**
 * One figure: `target` is the text printed beside it and `ok` whether it was
 * met (undefined when there is no target); `go` is the Go collector's
 * published figure for the same measurement, when there is one.
 */
function figure(name, value, unit, extra = {}) {
  return { name, value, unit, ...extra };
}

/** Prints one line per figure, with its target, whether it was met, and the Go collector's figure. */
function report(scenario, figures, notes = []) {
  console.log(`\n== ${scenario}`);
  for (const f of figures) {
    const verdict = f.target === undefined ? '' : f.ok ? '  ok' : '  MISSED';
    const value = typeof f.value === 'number' ? f.value.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(f.value);
    const target = f.target ? `target ${f.target}` : '';
    const go = f.go ? `  (Go collector: ${f.go})` : '';
    console.log(`  ${f.name.padEnd(42)} ${value.padStart(12)} ${f.unit.padEnd(11)}${target}${verdict}${go}`);
  }
  for (const n of notes) console.log(`  note: ${n}`);
}

/** Writes the result as JSON, to `file` or to bench/results/<scenario>-<time>.json. */
function saveResult(scenario, result, file) {
  if (!file) {
    const dir = path.join(ROOT, 'bench', 'results');
    fs.mkdirSync(dir, { recursive: true });
    file = path.join(dir, `${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  }
  fs.writeFileSync(file, JSON.stringify({ scenario, at: new Date().toISOString(), node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, ...result }, null, 2));
  return file;
}

module.exports = {
  ROOT, MiB, freePort, portInUse, waitFor, startDaemon, Helper, processStats, ResourceMonitor,
  httpRequest, sumFamily, scrapeSum, scrapeValue, percentile, round, figure, report, saveResult,
};
