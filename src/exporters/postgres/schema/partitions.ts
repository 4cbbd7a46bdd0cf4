/**
 * Daily partitions: `<table>_pYYYYMMDD` holds [day 00:00 UTC, next day).
 * Created ahead of time and on demand for the days a batch touches, and
 * dropped whole once older than the retention, which costs no vacuum.
 */
import type { ClientBase } from 'pg';
import { LOCK_CLASS, LOCK_PARTITIONS } from './migrate';
import { quoteIdent } from './migrations';

export const DAY_MS = 86_400_000;

/** Days since the epoch (UTC) of a time in ms. */
export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** `YYYYMMDD` of an epoch day. */
export function dayLabel(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '');
}

export function partitionName(table: string, day: number): string {
  return `${table}_p${dayLabel(day)}`;
}

const PARTITION_RE = /_p(\d{4})(\d{2})(\d{2})$/;

/** Epoch days of the table's existing daily partitions (ours by name). */
export async function listPartitions(client: ClientBase, schema: string, table: string): Promise<number[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name
       FROM pg_inherits i
       JOIN pg_class c ON c.oid = i.inhrelid
       JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace
      WHERE n.nspname = $1 AND p.relname = $2`,
    [schema, table],
  );
  const days: number[] = [];
  for (const { name } of rows) {
    const m = PARTITION_RE.exec(name);
    if (m && name === `${table}${m[0]}`) days.push(dayOf(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))));
  }
  return days.sort((a, b) => a - b);
}

/**
 * Creates the partitions for `days` that do not exist yet, in one short
 * transaction under an advisory lock (so daemons do not race to create the
 * same one). Returns the days it created.
 */
export async function ensurePartitions(client: ClientBase, schema: string, table: string, days: Iterable<number>): Promise<number[]> {
  const wanted = [...new Set(days)].sort((a, b) => a - b);
  if (wanted.length === 0) return [];
  const s = quoteIdent(schema);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_CLASS, LOCK_PARTITIONS]);
    const have = new Set(await listPartitions(client, schema, table));
    const created: number[] = [];
    for (const day of wanted) {
      if (have.has(day)) continue;
      const from = new Date(day * DAY_MS).toISOString();
      const to = new Date((day + 1) * DAY_MS).toISOString();
      // Bounds are ISO timestamps we format ourselves from integers, never data.
      await client.query(`CREATE TABLE ${s}.${quoteIdent(partitionName(table, day))} PARTITION OF ${s}.${quoteIdent(table)} FOR VALUES FROM ('${from}') TO ('${to}')`);
      created.push(day);
    }
    await client.query('COMMIT');
    return created;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Drops the table's partitions whose whole day is before `keepFromDay`; returns the days dropped. */
export async function dropPartitionsBefore(client: ClientBase, schema: string, table: string, keepFromDay: number): Promise<number[]> {
  const s = quoteIdent(schema);
  const dropped: number[] = [];
  for (const day of await listPartitions(client, schema, table)) {
    if (day >= keepFromDay) break;
    await client.query(`DROP TABLE IF EXISTS ${s}.${quoteIdent(partitionName(table, day))}`);
    dropped.push(day);
  }
  return dropped;
}
