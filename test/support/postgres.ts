/**
 * Test support: a real, throwaway PostgreSQL cluster. `initdb` into a temp
 * dir, `pg_ctl start` on a free loopback port (trust auth, socket in the temp
 * dir), and `stop()` removes it all. The binaries come from PATH or Debian's
 * /usr/lib/postgresql/<version>/bin (test/run.js installs the `postgresql`
 * package where they are missing). As root, the server runs as the
 * `postgres` user, because PostgreSQL refuses to run as root.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from '../../src/testing/ports';

/** Directory holding initdb, pg_ctl and postgres, or undefined. */
export function postgresBinDir(): string | undefined {
  const has = (dir: string) => ['initdb', 'pg_ctl', 'postgres'].every((b) => fs.existsSync(path.join(dir, b)));
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && has(dir)) return fs.realpathSync(path.join(dir, 'initdb')).replace(/\/initdb$/, '');
  }
  const debian = '/usr/lib/postgresql';
  const versions = fs.existsSync(debian) ? fs.readdirSync(debian).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (has(path.join(debian, v, 'bin'))) return path.join(debian, v, 'bin');
  return undefined;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL binary (as `postgres` when we are root); throws with its output on failure. */
function pg(bin: string, args: string[], timeoutMs = 60_000): string {
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: timeoutMs, cwd: os.tmpdir() });
  if (r.error || r.status !== 0) {
    throw new Error(`\`${path.basename(bin)} ${args.join(' ')}\` failed: ${r.error?.message ?? `exit ${r.status}`}\n${r.stdout}${r.stderr}`);
  }
  return r.stdout + r.stderr;
}

export interface PostgresOptions {
  /** Extra `postgresql.conf` settings, e.g. `{ max_connections: '50' }`. */
  settings?: Record<string, string>;
}

/**
 * One cluster with a database named `otel`. Always {@link stop} it (in
 * `finally`/`after`); a test process that exits without doing so still stops
 * the server (`pg_ctl stop -m immediate` on exit).
 */
export class PostgresServer {
  private readonly killOnExit = () => {
    try {
      pg(this.ctl, ['stop', '-D', this.dataDir, '-m', 'immediate', '-w'], 10_000);
    } catch {
      /* not running */
    }
  };

  private constructor(
    private readonly bin: string,
    /** Temp dir holding data/, the socket and the server log; removed by stop(). */
    readonly dir: string,
    readonly port: number,
  ) {
    process.on('exit', this.killOnExit);
  }

  static async start(opts: PostgresOptions = {}): Promise<PostgresServer> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('PostgreSQL binaries (initdb, pg_ctl, postgres) not found: run the tests with `npm test`, which installs Debian\'s postgresql package');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-pipeline-postgres-'));
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, 'data'), { mode: 0o700 });
    if (isRoot) spawnSync('chown', ['-R', 'postgres:postgres', dir]);
    let server: PostgresServer | undefined;
    try {
      pg(path.join(bin, 'initdb'), ['-D', path.join(dir, 'data'), '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
      const conf = {
        listen_addresses: "'127.0.0.1'",
        unix_socket_directories: `'${dir}'`,
        fsync: 'off', // a test cluster: an OS crash is not a case; a server crash still is
        full_page_writes: 'off',
        max_connections: '40',
        shared_buffers: '32MB',
        log_min_messages: 'warning',
        ...opts.settings,
      };
      fs.appendFileSync(path.join(dir, 'data', 'postgresql.conf'), Object.entries(conf).map(([k, v]) => `${k} = ${v}\n`).join(''));
      // The free port may be taken before postgres binds it: try another.
      for (let attempt = 1; ; attempt++) {
        server = new PostgresServer(bin, dir, await freePort());
        try {
          server.startServer();
          break;
        } catch (err) {
          process.off('exit', server.killOnExit);
          if (attempt >= 3 || !/already in use|could not bind|could not create listen socket/i.test(server.log() + String(err))) throw err;
        }
      }
      await server.query('CREATE DATABASE otel');
      return server;
    } catch (err) {
      if (server) await server.stop();
      else fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  private get ctl(): string {
    return path.join(this.bin, 'pg_ctl');
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust auth, no password). */
  url(database = 'otel'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /** The server's log so far (shown in errors). */
  log(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'server.log'), 'utf8').slice(-64 * 1024);
    } catch {
      return '';
    }
  }

  /** Starts the (stopped) server and waits until it accepts connections. */
  startServer(): void {
    pg(this.ctl, ['start', '-D', this.dataDir, '-l', path.join(this.dir, 'server.log'), '-w', '-t', '60', '-o', `-p ${this.port}`]);
  }

  /**
   * Stops the server. `fast` disconnects clients and shuts down cleanly;
   * `immediate` is a crash (recovery on the next start).
   */
  stopServer(mode: 'fast' | 'immediate' = 'fast'): void {
    pg(this.ctl, ['stop', '-D', this.dataDir, '-m', mode, '-w', '-t', '60']);
  }

  /** Stops and starts again on the same port, keeping the data. */
  restart(mode: 'fast' | 'immediate' = 'fast'): void {
    this.stopServer(mode);
    this.startServer();
  }

  /** Runs one statement on a fresh connection and returns its rows. */
  async query<R extends Record<string, unknown> = Record<string, any>>(sql: string, params: unknown[] = [], database = sql.startsWith('CREATE DATABASE') ? 'postgres' : 'otel'): Promise<R[]> {
    const client = new Client({ connectionString: this.url(database) });
    await client.connect();
    try {
      return (await client.query<R>(sql, params)).rows;
    } finally {
      await client.end();
    }
  }

  /** Stops the server (immediately: tests keep nothing) and removes the temp dir. */
  async stop(): Promise<void> {
    process.off('exit', this.killOnExit);
    this.killOnExit();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
