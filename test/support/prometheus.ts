/**
 * Test support: a real Prometheus server and promtool (Debian's `prometheus`
 * package, installed by test/run.js) for checking what the daemon exposes.
 * No mocks: expositions are linted by promtool and scraped by Prometheus.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/testing/ports';

/** What `promtool check metrics` said about an exposition. */
export interface PromtoolResult {
  /** True only when promtool exited 0: no parse error and no lint problem. */
  ok: boolean;
  /** promtool's exit code (1: parse error, 3: lint problems in promtool 2.42), null if killed. */
  code: number | null;
  /** Everything promtool printed (stdout then stderr): errors and lint problems. */
  output: string;
}

/**
 * Pipes a text exposition into `promtool check metrics`.
 *
 * Failure means exit code != 0. promtool exits 1 when the text does not parse
 * and (in Debian bookworm's 2.42) 3 when it parses but has lint problems such
 * as `counter metrics should have "_total" suffix` or `no help text`, so lint
 * problems count as failures too; `output` says which.
 */
export function promtoolCheckMetrics(text: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(new Error(`cannot run promtool (run the tests with \`npm test\`, which installs it): ${err.message}`)));
    child.stdin.on('error', () => {
      /* promtool may exit before reading everything; its exit code tells */
    });
    child.on('close', (code) => resolve({ ok: code === 0, code, output: stdout + stderr }));
    child.stdin.end(text);
  });
}

/** Options of {@link PrometheusServer.start}. */
export interface PrometheusOptions {
  /** `host:port` of each target, all in one scrape job named `otel-pipeline`. */
  scrapeTargets: string[];
  /** Scrape interval (and timeout) in milliseconds; default 1000. */
  scrapeIntervalMs?: number;
  /** Path scraped on every target; default `/metrics`. */
  metricsPath?: string;
  /** Keep the targets' own `job`/`instance` labels on conflict; default false. */
  honorLabels?: boolean;
}

/** One sample of an instant query's vector (or its scalar, with no labels). */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

/** An active scrape target as `/api/v1/targets` reports it. */
export interface Target {
  scrapeUrl: string;
  labels: Record<string, string>;
  /** `up`, `down` or `unknown` (not scraped yet). */
  health: string;
  lastError: string;
  lastScrape: string;
}

const MAX_LOG = 64 * 1024;

/**
 * A real `prometheus` process with its own temp dir (config and TSDB) on a free
 * loopback port. Always {@link PrometheusServer.stop} it (in `finally`/`after`).
 */
export class PrometheusServer {
  /** What prometheus printed (stdout and stderr, last 64 KiB); shown in errors. */
  log = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;
  private readonly killOnExit = () => this.child.kill('SIGKILL');

  private constructor(
    private readonly child: ChildProcess,
    /** The temp dir holding prometheus.yml and data/; removed by stop(). */
    readonly dir: string,
    /** Port of the web/API listener on 127.0.0.1. */
    readonly port: number,
  ) {
    const append = (d: string) => (this.log = (this.log + d).slice(-MAX_LOG));
    child.stdout!.setEncoding('utf8').on('data', append);
    child.stderr!.setEncoding('utf8').on('data', append);
    this.exited = new Promise((resolve) => child.on('close', (code, signal) => ((this.exitInfo = { code, signal }), resolve())));
    // A test process that exits without stop() still takes its server with it.
    process.on('exit', this.killOnExit);
  }

  /**
   * Writes prometheus.yml, starts prometheus and waits until `/-/ready` answers
   * 200 (well under a second). Prometheus throttles target updates to every 5 s,
   * so the first scrape comes about 5 s after start: start it early, alongside
   * the process it scrapes, and wait with {@link waitForQuery}.
   */
  static async start(opts: PrometheusOptions, timeoutMs = 30_000): Promise<PrometheusServer> {
    const interval = `${opts.scrapeIntervalMs ?? 1000}ms`;
    const yaml = [
      'global:',
      `  scrape_interval: ${interval}`,
      `  scrape_timeout: ${interval}`,
      'scrape_configs:',
      '  - job_name: otel-pipeline',
      `    metrics_path: ${JSON.stringify(opts.metricsPath ?? '/metrics')}`,
      `    honor_labels: ${opts.honorLabels ?? false}`,
      '    static_configs:',
      `      - targets: ${JSON.stringify(opts.scrapeTargets)}`,
      '',
    ].join('\n');
    // The free port may be taken before prometheus binds it: try another.
    for (let attempt = 1; ; attempt++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-pipeline-prometheus-'));
      fs.writeFileSync(path.join(dir, 'prometheus.yml'), yaml);
      const port = await freePort();
      const args = [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
        '--storage.tsdb.retention.time=1h',
      ];
      const child = spawn('prometheus', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      const p = new PrometheusServer(child, dir, port);
      const spawnError = new Promise<Error>((resolve) => child.on('error', resolve));
      try {
        const until = Date.now() + timeoutMs;
        for (let delay = 20; ; delay = Math.min(delay * 2, 200)) {
          const err = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), delay))]);
          if (err) throw new Error(`cannot run prometheus (run the tests with \`npm test\`, which installs it): ${err.message}`);
          if (p.exitInfo) throw new Error(`prometheus exited (${JSON.stringify(p.exitInfo)}) before it was ready:\n${p.log}`);
          if ((await p.request('/-/ready').catch(() => undefined))?.status === 200) return p;
          if (Date.now() > until) throw new Error(`prometheus not ready after ${timeoutMs} ms:\n${p.log}`);
        }
      } catch (err) {
        await p.stop();
        if (attempt < 3 && /address already in use/.test(p.log)) continue;
        throw err;
      }
    }
  }

  /** Base URL of the web UI and API, e.g. `http://127.0.0.1:9090`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Runs an instant query at the current time; throws on a PromQL or API error. */
  async query(promql: string): Promise<Sample[]> {
    const data = await this.api(`/api/v1/query?query=${encodeURIComponent(promql)}`);
    const { resultType, result } = data as { resultType: string; result: unknown };
    if (resultType === 'vector') {
      return (result as Array<{ metric: Record<string, string>; value: [number, string] }>).map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
    }
    if (resultType === 'scalar') return [{ metric: {}, value: Number((result as [number, string])[1]) }];
    throw new Error(`query ${promql}: unsupported result type ${resultType}`);
  }

  /**
   * Polls {@link query} until `predicate` holds on its result, and returns that
   * result. On timeout the error shows the last result (or query error), the
   * targets' health and prometheus's log.
   */
  async waitForQuery(promql: string, predicate: (result: Sample[]) => boolean, timeoutMs = 20_000): Promise<Sample[]> {
    const until = Date.now() + timeoutMs;
    let last: string = 'no query answered';
    for (let delay = 50; ; delay = Math.min(delay * 2, 250)) {
      try {
        const result = await this.query(promql);
        if (predicate(result)) return result;
        last = JSON.stringify(result);
      } catch (err) {
        last = `error: ${(err as Error).message}`;
      }
      if (Date.now() > until) {
        const targets = await this.targets().then(
          (ts) => ts.map((t) => `${t.scrapeUrl} ${t.health}${t.lastError ? `: ${t.lastError}` : ''}`).join('; '),
          (err: Error) => `unknown (${err.message})`,
        );
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${promql} to satisfy the predicate\nlast result: ${last}\ntargets: ${targets}\nprometheus log:\n${this.log}`);
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  /** The active scrape targets with their health and last scrape error. */
  async targets(): Promise<Target[]> {
    const data = (await this.api('/api/v1/targets?state=active')) as { activeTargets: Target[] };
    return data.activeTargets.map(({ scrapeUrl, labels, health, lastError, lastScrape }) => ({ scrapeUrl, labels, health, lastError, lastScrape }));
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; waits for the exit and removes the temp dir. Idempotent. */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.exitInfo && this.child.pid !== undefined) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    process.off('exit', this.killOnExit);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async api(pathAndQuery: string): Promise<unknown> {
    const res = await this.request(pathAndQuery);
    let body: { status?: string; data?: unknown; error?: string; errorType?: string };
    try {
      body = JSON.parse(res.body);
    } catch {
      throw new Error(`GET ${pathAndQuery}: HTTP ${res.status}, not JSON: ${res.body.slice(0, 500)}`);
    }
    if (body.status !== 'success') throw new Error(`GET ${pathAndQuery}: HTTP ${res.status}, ${body.errorType}: ${body.error}`);
    return body.data;
  }

  private request(pathAndQuery: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: this.port, path: pathAndQuery, agent: false, timeout: timeoutMs }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`GET ${pathAndQuery}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
    });
  }
}
