/**
 * Runs the real `bin/otel-pipeline` for end-to-end tests: a temp dir for the
 * config, free loopback ports, captured output, condition-based waits, and a
 * stop that always reaps the process and removes the temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export { freePort } from '../../src/testing/ports';

export const ROOT = path.resolve(__dirname, '../../..');
export const BIN = path.join(ROOT, 'bin', 'otel-pipeline');

/** Polls `cond` until it is truthy or the timeout passes (then throws naming `what`). */
export async function waitFor<T>(cond: () => T | Promise<T>, what: string, timeoutMs = 20000): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let delay = 10;
  for (;;) {
    const v = await cond();
    if (v) return v as NonNullable<T>;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class Daemon {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private exitInfo: Exit | undefined;

  private constructor(
    readonly child: ChildProcess,
    readonly dir: string,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve((this.exitInfo = { code, signal }))));
  }

  /** Writes each YAML text to a file and runs `otel-pipeline <args> --config f1 --config f2 ...`. */
  static spawn(configs: string[], opts: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Daemon {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-pipeline-e2e-'));
    const files = configs.map((text, i) => {
      const f = path.join(dir, `config${i}.yaml`);
      fs.writeFileSync(f, text);
      return f;
    });
    const args = [BIN, ...(opts.args ?? ['run']), ...files.flatMap((f) => ['--config', f])];
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    return new Daemon(child, dir);
  }

  /** Starts the daemon and waits until it logs that every component started. */
  static async start(configs: string[], opts: { args?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<Daemon> {
    const d = Daemon.spawn(configs, opts);
    try {
      await waitFor(() => d.stderr.includes('everything is ready') || d.exitInfo, 'the daemon to start');
      if (d.exitInfo) throw new Error(`daemon exited (${JSON.stringify(d.exitInfo)}) before it was ready:\n${d.stderr}`);
    } catch (err) {
      await d.stop();
      throw err;
    }
    return d;
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** Structured log lines parsed from stderr (non-JSON lines skipped). */
  logs(): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const line of this.stderr.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        /* a line still being written */
      }
    }
    return out;
  }

  waitForStdout(pred: (stdout: string) => boolean, what: string, timeoutMs?: number): Promise<boolean> {
    return waitFor(() => pred(this.stdout), what, timeoutMs);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.running) this.child.kill(sig);
  }

  /** SIGTERM, wait (then SIGKILL after `timeoutMs`), and remove the temp dir. */
  async stop(timeoutMs = 15000): Promise<Exit> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
    return this.exited;
  }
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in the repository to completion, capturing its output. */
export function runProcess(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the CLI to completion (validate, print-config, components...). */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Finished> {
  return runProcess(process.execPath, [BIN, ...args], { ...process.env, ...opts.env });
}
