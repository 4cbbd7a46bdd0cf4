/**
 * Brings a schema up to date: pending migrations applied in order, each
 * recorded in `otel_schema_migrations`, all under a transaction-scoped
 * advisory lock so daemons starting together migrate once, one after the
 * other, and the rest find the work done.
 */
import type { ClientBase } from 'pg';
import { MIGRATIONS, migrationSql, quoteIdent, type Migration } from './migrations';

/** First key of every advisory lock this exporter takes ('otel' in ASCII). */
export const LOCK_CLASS = 0x6f74656c;
/** Second keys: what the lock guards. */
export const LOCK_MIGRATE = 1;
export const LOCK_PARTITIONS = 2;

export interface MigrateResult {
  /** Versions applied by this call (empty when the schema was current). */
  applied: number[];
  /** Highest version recorded in the database afterwards. */
  version: number;
}

/** Applies the pending migrations; throws (nothing half-applied) when one fails. */
export async function migrate(client: ClientBase, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrateResult> {
  const s = quoteIdent(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, LOCK_MIGRATE]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.otel_schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ version: number }>(`SELECT version FROM ${s}.otel_schema_migrations`)).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      try {
        await client.query(migrationSql(m, schema));
      } catch (err) {
        throw new Error(`migration ${m.version} (${m.name}) failed: ${(err as Error).message}`);
      }
      await client.query(`INSERT INTO ${s}.otel_schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
    return { applied, version: Math.max(0, ...done, ...applied) };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/**
 * For `create_schema: false`: the version the database is at, or an error
 * that says what to do when it is behind this build's schema.
 */
export async function checkSchema(client: ClientBase, schema: string, migrations: readonly Migration[] = MIGRATIONS): Promise<number> {
  const want = Math.max(...migrations.map((m) => m.version));
  const exists = await client.query(`SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'otel_schema_migrations'`, [schema]);
  if (exists.rowCount === 0) throw new Error(`schema ${quoteIdent(schema)} has no otel_schema_migrations table: create it by running once with create_schema: true`);
  const { rows } = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${quoteIdent(schema)}.otel_schema_migrations`);
  const have = rows[0]?.v ?? 0;
  if (have < want) throw new Error(`schema ${quoteIdent(schema)} is at version ${have}, this build writes version ${want}: run once with create_schema: true to migrate`);
  return have;
}
