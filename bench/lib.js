'use strict';
/*
 * Shared benchmark machinery: run the real daemon as its own process, read
 * its CPU and RSS from /proc, time requests, and summarise.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const CLK_TCK = 100; // Linux's USER_HZ on every platform Node supports here

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
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

/** Starts bin/otel-pipeline with a YAML config; resolves once it logs that it is ready. */
async function startDaemon(yaml) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-pipeline-bench-'));
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, yaml);
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'otel-pipeline'), 'run', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  let exited = false;
  child.on('exit', () => (exited = true));
  await waitFor(() => stderr.includes('everything is ready') || exited, 'the daemon to start', 30000);
  if (exited) throw new Error(`daemon failed to start:\n${stderr}`);
  return {
    pid: child.pid,
    stderr: () => stderr,
    async stop() {
      if (!exited) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU seconds (user + system) and RSS bytes of a process, from /proc. */
function processStats(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
  return { cpuSeconds: cpu, rssBytes: rssKb * 1024 };
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

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Prints one line per figure, with its target and whether it was met. */
function report(scenario, figures) {
  console.log(`\n== ${scenario}`);
  for (const f of figures) {
    const verdict = f.target === undefined ? '' : f.ok ? '  ok' : '  MISSED';
    console.log(`  ${f.name.padEnd(34)} ${String(f.value).padStart(12)} ${f.unit.padEnd(8)}${f.target ? ` target ${f.target}` : ''}${verdict}`);
  }
}

function saveResult(scenario, result) {
  const dir = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ scenario, at: new Date().toISOString(), node: process.version, cpus: os.cpus().length, ...result }, null, 2));
  return file;
}

module.exports = { ROOT, freePort, waitFor, startDaemon, processStats, httpRequest, percentile, report, saveResult };
