/**
 * Writes encoded batches to PostgreSQL: one transaction per batch that first
 * records the batch id in `otel_batches` and then COPYs the rows, so a batch
 * is in the database entirely or not at all, and a retry of a batch that did
 * commit (its COMMIT reply lost with the connection) finds its id and writes
 * nothing. Also brings the schema up to date on the first connection that
 * works, and keeps partitions ahead and the retention.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import type { Signal } from '../../model/batch';
import type { Logger } from '../../telemetry/logger';
import { SendError } from '../helper';
import { checkSchema, migrate } from './schema/migrate';
import { COLUMNS, quoteIdent, TABLES } from './schema/migrations';
import { DAY_MS, dayOf, dropPartitionsBefore, ensurePartitions } from './schema/partitions';
import { classifyPgError, connectionUsable, isMissingPartition } from './classify';
import type { EncodedBatch, TableName } from './rows';

export interface WriterConfig {
  /** postgres:// URL. */
  url: string;
  schema: string;
  createSchema: boolean;
  poolSize: number;
  partitionsAhead: number;
  /** ms; 0 = forever. */
  retention: number;
  /** Per statement, ms; 0 = none. */
  timeout: number;
  /** The exporter id, recorded with each batch. */
  exporter: string;
}

/** How long batch ids are kept at least: longer than any batch is retried. */
export const BATCH_ID_KEEP_MS = 7 * DAY_MS;
const MAINTENANCE_EVERY_MS = 3_600_000;
const ALL_TABLES = Object.values(TABLES).map((t) => t.table);

export class PostgresWriter {
  private readonly pool: pg.Pool;
  private readonly s: string;
  private schemaReady = false;
  private preparing: Promise<void> | undefined;
  /** Days whose partition we know exists, per table. */
  private readonly known = new Map<string, Set<number>>();
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private maintaining: Promise<void> | undefined;
  private readonly warned = new Set<string>();
  private closed = false;
  /** Batches found already committed by an earlier attempt. */
  duplicates = 0;

  constructor(
    private readonly config: WriterConfig,
    private readonly logger: Logger,
  ) {
    this.s = quoteIdent(config.schema);
    // Loaded here, not at import: a daemon without a postgres exporter does
    // not pay the client's memory (about 15 MiB of RSS).
    const { Pool } = require('pg') as typeof import('pg');
    this.pool = new Pool({
      connectionString: config.url,
      max: config.poolSize,
      application_name: 'otel-pipeline',
      connectionTimeoutMillis: config.timeout > 0 ? config.timeout : 10_000,
      statement_timeout: config.timeout > 0 ? config.timeout : undefined,
      // A client that vanished mid-transaction must not hold locks for long.
      idle_in_transaction_session_timeout: 60_000,
      idleTimeoutMillis: 30_000,
    } as pg.PoolConfig);
    // Idle connections die when the server restarts: the pool drops them; nothing else to do.
    this.pool.on('error', (err) => this.logger.debug('idle PostgreSQL connection closed', { error: err.message }));
    for (const t of ALL_TABLES) this.known.set(t, new Set());
  }

  /** Tries to migrate and prepare partitions now, without waiting; retried by the first batch and hourly. */
  start(): void {
    void this.ready().catch(() => undefined);
    this.maintenanceTimer = setInterval(() => void this.maintain().catch(() => undefined), MAINTENANCE_EVERY_MS);
    this.maintenanceTimer.unref();
  }

  /** Closes the pool, waiting for connections in use until `deadline` at most. */
  async close(deadline = Date.now()): Promise<void> {
    this.closed = true;
    if (this.maintenanceTimer) clearInterval(this.maintenanceTimer);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, deadline - Date.now()))));
    try {
      await Promise.race([this.pool.end().catch(() => undefined), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The schema is migrated (or checked); runs once per process, on the first connection that works. */
  ready(): Promise<void> {
    if (this.schemaReady) return Promise.resolve();
    this.preparing ??= this.prepareSchema().finally(() => (this.preparing = undefined));
    return this.preparing;
  }

  private async prepareSchema(): Promise<void> {
    const client = await this.connect().catch((err) => {
      throw classifyPgError(err);
    });
    let failure: unknown;
    try {
      if (this.config.createSchema) {
        const { applied, version } = await migrate(client, this.config.schema);
        if (applied.length > 0) this.logger.info('PostgreSQL schema migrated', { schema: this.config.schema, applied, version });
      } else {
        await checkSchema(client, this.config.schema);
      }
      this.schemaReady = true;
    } catch (err) {
      failure = err;
      const e = classifyPgError(err);
      if (e.retryable) throw e; // the server is away or busy: not the schema's fault
      // A schema we cannot create or that is behind: the operator can fix it
      // while batches wait, so it is retried, and said once.
      this.warnOnce(`schema:${e.message}`, 'the PostgreSQL schema is not ready; batches wait in the queue', { schema: this.config.schema, error: e.message });
      throw new SendError(`schema ${this.s} not ready: ${e.message}`, { retryable: true, reason: 'schema', cause: err });
    } finally {
      this.release(client, failure);
    }
    void this.maintain().catch(() => undefined);
  }

  /**
   * Partitions from today to `partitions_ahead` days ahead, the retention's
   * old partitions dropped, and batch ids past their use deleted.
   */
  maintain(): Promise<void> {
    if (this.closed || !this.schemaReady) return Promise.resolve();
    this.maintaining ??= this.runMaintenance().finally(() => (this.maintaining = undefined));
    return this.maintaining;
  }

  private async runMaintenance(): Promise<void> {
    const now = Date.now();
    const today = dayOf(now);
    const ahead = Array.from({ length: this.config.partitionsAhead + 1 }, (_, i) => today + i);
    let client: pg.PoolClient | undefined;
    let failure: unknown;
    try {
      client = await this.connect();
      for (const table of ALL_TABLES) await this.ensureDays(client, table, ahead);
      if (this.config.retention > 0) {
        const keepFrom = dayOf(now - this.config.retention);
        for (const table of ALL_TABLES) {
          const dropped = await dropPartitionsBefore(client, this.config.schema, table, keepFrom);
          const known = this.known.get(table)!;
          for (const d of dropped) known.delete(d);
          for (const d of [...known]) if (d < keepFrom) known.delete(d);
          if (dropped.length > 0) this.logger.info('dropped partitions past the retention', { table, partitions: dropped.length });
        }
      }
      const keepIds = Math.max(this.config.retention, BATCH_ID_KEEP_MS);
      await client.query(`DELETE FROM ${this.s}.otel_batches WHERE written_at < now() - make_interval(secs => $1)`, [keepIds / 1000]);
    } catch (err) {
      failure = err;
      this.warnOnce(`maintenance:${(err as Error).message}`, 'PostgreSQL partition maintenance failed; retried within the hour', { error: (err as Error).message });
    } finally {
      if (client) this.release(client, failure);
    }
  }

  /** Creates the partitions of `days` this process has not seen yet. */
  private async ensureDays(client: pg.PoolClient, table: string, days: readonly number[]): Promise<void> {
    const known = this.known.get(table)!;
    const missing = days.filter((d) => !known.has(d));
    if (missing.length === 0) return;
    await ensurePartitions(client, this.config.schema, table, missing);
    for (const d of missing) known.add(d);
  }

  /** One attempt to write one batch. Throws a classified SendError. */
  async write(signal: Signal, batchId: string, enc: EncodedBatch, abort: AbortSignal): Promise<void> {
    if (enc.rows === 0) return;
    await this.ready();
    let client: pg.PoolClient;
    try {
      client = await this.connect();
    } catch (err) {
      throw classifyPgError(err);
    }
    let failure: unknown;
    const onAbort = () => {
      failure ??= new Error('attempt aborted');
      // Closing the socket ends whatever statement is running; the server rolls back.
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    };
    if (abort.aborted) onAbort();
    abort.addEventListener('abort', onAbort, { once: true });
    try {
      await this.ensureDays(client, enc.table, enc.days);
      await client.query('BEGIN');
      const mark = await client.query(`INSERT INTO ${this.s}.otel_batches (batch_id, signal, items, exporter) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`, [batchId, signal, enc.rows, this.config.exporter]);
      if (mark.rowCount === 0) {
        // An earlier attempt committed this batch; its reply was lost.
        await client.query('ROLLBACK');
        this.duplicates++;
        this.logger.debug('batch already written by an earlier attempt', { batch_id: batchId, rows: enc.rows });
        return;
      }
      await this.copy(client, enc.table, enc.chunks);
      await client.query('COMMIT');
    } catch (err) {
      failure ??= err;
      if (isMissingPartition(err)) this.known.get(enc.table)!.clear();
      throw classifyPgError(err);
    } finally {
      abort.removeEventListener('abort', onAbort);
      await this.finish(client, failure);
    }
  }

  private async copy(client: pg.PoolClient, table: TableName, chunks: readonly Buffer[]): Promise<void> {
    const columns = COLUMNS[table].map(quoteIdent).join(', ');
    const { from: copyFrom } = require('pg-copy-streams') as typeof import('pg-copy-streams');
    const stream = client.query(copyFrom(`COPY ${this.s}.${quoteIdent(table)} (${columns}) FROM STDIN`));
    await pipeline(Readable.from(chunks), stream);
  }

  /** A pool client with an error listener for as long as we hold it (an unheard 'error' would crash the process). */
  private async connect(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    client.on('error', noop);
    return client;
  }

  /** After a failed transaction: roll back and keep a healthy connection, discard a broken one. */
  private async finish(client: pg.PoolClient, failure: unknown): Promise<void> {
    if (failure !== undefined && connectionUsable(failure)) {
      try {
        await client.query('ROLLBACK');
        failure = undefined;
      } catch {
        /* broken after all: discard below */
      }
    }
    this.release(client, failure);
  }

  private release(client: pg.PoolClient, failure: unknown): void {
    client.removeListener('error', noop);
    client.release(failure === undefined ? undefined : failure instanceof Error ? failure : new Error(String(failure)));
  }

  private warnOnce(key: string, msg: string, fields: Record<string, unknown>): void {
    if (this.warned.has(key)) return;
    if (this.warned.size < 100) this.warned.add(key);
    this.logger.warn(msg, fields);
  }
}

function noop(): void {}
