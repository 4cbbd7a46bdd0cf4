#!/usr/bin/env node
'use strict';
// `npm test`: runs every compiled test file (unit tests beside the code in
// src/, end-to-end runs of the real binary in test/) with Node's test runner.
// `npm test -- <filter>` runs only files whose path contains a filter.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const dist = path.join(root, 'dist');

// --- Real servers the tests talk to -----------------------------------------
// Tests run against a real Prometheus and promtool and real PostgreSQL
// clusters (no mocks). On a fresh machine they are installed from Debian's
// `prometheus` and `postgresql` packages; when present this costs a few
// lookups.

/** Full path of `cmd` on PATH, or undefined. */
function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

function die(msg) {
  console.error(`test/run.js: ${msg}`);
  process.exit(1);
}

/** Runs a command quietly; on failure throws showing its output. */
function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
    throw new Error(`\`${cmd} ${args.join(' ')}\` failed: ${why}\n${r.stdout || ''}${r.stderr || ''}`);
  }
}

/**
 * Ids of running prometheus servers other than the tests' own (those keep
 * their data under an `otel-pipeline-prometheus-` temp dir).
 */
function servicePrometheusPids() {
  const out = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/exe`) !== '/usr/bin/prometheus') continue;
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('otel-pipeline-prometheus-')) out.push(Number(pid));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return out;
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Runs `fn` holding a machine-wide lock (a directory holding the owner's pid),
 * so that test runs started at once do not juggle policy-rc.d together. A lock
 * whose owner died is taken over.
 */
function withInstallLock(fn) {
  const lock = path.join(os.tmpdir(), 'otel-pipeline-test-install.lock');
  const until = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    let owner = 0;
    let age = 0;
    try {
      age = Date.now() - fs.statSync(lock).mtimeMs;
      owner = Number(fs.readFileSync(path.join(lock, 'pid'), 'utf8'));
    } catch {
      /* just made (no pid yet), or just released */
    }
    if ((owner > 0 && !alive(owner)) || (!owner && age > 30_000)) {
      fs.rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > until) throw new Error(`another test run (pid ${owner}) has been installing packages for 15 minutes; lock ${lock}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 250); // poll the lock
  }
  try {
    fs.writeFileSync(path.join(lock, 'pid'), String(process.pid));
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Directory of the PostgreSQL server binaries (PATH or Debian's layout), as test/support/postgres.ts looks for them. */
function postgresBinDir() {
  const has = (dir) => ['initdb', 'pg_ctl', 'postgres'].every((b) => fs.existsSync(path.join(dir, b)));
  const onPath = which('initdb');
  if (onPath && has(path.dirname(onPath))) return path.dirname(onPath);
  const debian = '/usr/lib/postgresql';
  const versions = fs.existsSync(debian) ? fs.readdirSync(debian) : [];
  return versions.map((v) => path.join(debian, v, 'bin')).find(has);
}

/**
 * Installs Debian's `pkg` when `present()` says what it provides is missing.
 * Only as root on Linux with apt-get; otherwise says what to install.
 */
function ensureDebianPackage(pkg, what, present) {
  if (present()) return;
  const how = `install Debian's \`${pkg}\` package (apt-get install ${pkg}) or put ${what} on PATH`;
  if (process.platform !== 'linux') die(`${what} not found, and this is not Linux: ${how}`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) die(`${what} not found, and not root so cannot apt-get install: ${how}`);
  if (!which('apt-get')) die(`${what} not found, and there is no apt-get: ${how}`);
  try {
    withInstallLock(() => {
      // Another run may have installed it while this one waited for the lock.
      if (!present()) installPackage(pkg, what, present);
    });
  } catch (err) {
    die(`cannot install ${what}: ${err.message}`);
  }
}

function installPackage(pkg, what, present) {
  // Keep the package's postinst from starting a service (a prometheus, or a
  // PostgreSQL cluster): invoke-rc.d asks policy-rc.d, and 101 means "action
  // forbidden". An existing policy is moved aside and put back afterwards.
  const policy = '/usr/sbin/policy-rc.d';
  const saved = `${policy}.otel-pipeline-saved`;
  // A run killed mid-install (the lock makes it the only one) left its policy
  // in place and the original aside.
  if (fs.existsSync(saved)) fs.renameSync(saved, policy);
  const hadPolicy = fs.existsSync(policy);
  const t0 = Date.now();
  const before = new Set(servicePrometheusPids());
  try {
    if (hadPolicy) fs.renameSync(policy, saved);
    fs.writeFileSync(policy, `#!/bin/sh\n# written by otel-pipeline test/run.js while installing ${pkg}\nexit 101\n`, { mode: 0o755 });
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    const lock = ['-o', 'DPkg::Lock::Timeout=300'];
    run('apt-get', ['-qq', ...lock, 'update'], env);
    run('apt-get', ['-qq', ...lock, 'install', '-y', '--no-install-recommends', pkg], env);
  } finally {
    fs.rmSync(policy, { force: true });
    if (hadPolicy) fs.renameSync(saved, policy);
  }
  const started = servicePrometheusPids().filter((p) => !before.has(p));
  if (started.length > 0) throw new Error(`installing ${pkg} started a prometheus server (pid ${started.join(', ')}); stop it and rerun`);
  if (!present()) throw new Error(`installed Debian's ${pkg} package but ${what} still not found`);
  const version = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).stdout;
  console.log(`test/run.js: installed Debian's ${pkg} ${version} (${what}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

function find(dir, out) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) find(p, out);
    else if (entry.name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = [...find(path.join(dist, 'src'), []), ...find(path.join(dist, 'test'), [])]
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under dist/: run `npm run build` first');
  process.exit(1);
}
ensureDebianPackage('prometheus', 'prometheus and promtool', () => ['prometheus', 'promtool'].every((c) => which(c)));
// Tests run their own throwaway PostgreSQL clusters (test/support/postgres.ts).
ensureDebianPackage('postgresql', 'the PostgreSQL server binaries (initdb, pg_ctl, postgres)', () => postgresBinDir() !== undefined);
// A test that hangs fails after two minutes, naming itself, instead of
// holding the run until CI's limit (the slowest test takes about 12 s).
const args = ['--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=120000', ...files];
const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
