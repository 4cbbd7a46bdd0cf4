/**
 * The schema against a real PostgreSQL: migrations (concurrent, idempotent,
 * refused when behind), daily partitions and retention, and the Claude Code
 * views reading string- and number-typed event attributes.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { PostgresServer } from '../../../../test/support/postgres';
import { checkSchema, migrate } from './migrate';
import { MIGRATIONS, quoteIdent } from './migrations';
import { dayOf, DAY_MS, dropPartitionsBefore, ensurePartitions, listPartitions, partitionName } from './partitions';

let pg: PostgresServer;
const clients: Client[] = [];

async function connect(): Promise<Client> {
  const c = new Client({ connectionString: pg.url() });
  await c.connect();
  clients.push(c);
  return c;
}

before(async () => {
  pg = await PostgresServer.start();
});
after(async () => {
  await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  await pg?.stop();
});

test('six daemons migrating one empty database at once apply each migration exactly once', async () => {
  const cs = await Promise.all(Array.from({ length: 6 }, connect));
  const results = await Promise.all(cs.map((c) => migrate(c, 'race')));
  const latest = Math.max(...MIGRATIONS.map((m) => m.version));
  assert.deepEqual(results.map((r) => r.version), Array(6).fill(latest));
  assert.equal(results.filter((r) => r.applied.length > 0).length, 1, 'exactly one of them applied the migrations');
  assert.deepEqual(results.flatMap((r) => r.applied), MIGRATIONS.map((m) => m.version));
  const rows = await pg.query('SELECT version FROM race.otel_schema_migrations ORDER BY version');
  assert.deepEqual(rows.map((r) => r.version), MIGRATIONS.map((m) => m.version));
  assert.equal(await checkSchema(cs[0], 'race'), latest);
  // And again later: nothing to do.
  assert.deepEqual((await migrate(cs[0], 'race')).applied, []);
});

test('a schema name that needs quoting works, and create_schema: false refuses a schema that is behind', async () => {
  const c = await connect();
  const odd = 'Team "A"; drop';
  await assert.rejects(checkSchema(c, odd), /has no otel_schema_migrations table: create it by running once with create_schema: true/);
  await migrate(c, odd);
  const [{ n }] = await pg.query(`SELECT count(*)::int AS n FROM ${quoteIdent(odd)}.otel_logs`);
  assert.equal(n, 0);
  const next = { version: 99, name: 'a later release', sql: 'CREATE TABLE $S.later (x int)' };
  await assert.rejects(checkSchema(c, odd, [...MIGRATIONS, next]), /is at version 1, this build writes version 99: run once with create_schema: true/);
  assert.deepEqual((await migrate(c, odd, [...MIGRATIONS, next])).applied, [99]);
  assert.equal(await checkSchema(c, odd, [...MIGRATIONS, next]), 99);
});

test('a failing migration leaves nothing behind and names itself', async () => {
  const c = await connect();
  const bad = { version: 2, name: 'broken on purpose', sql: 'CREATE TABLE $S.half (x int); SELECT no_such_function()' };
  await assert.rejects(migrate(c, 'broken', [...MIGRATIONS, bad]), /migration 2 \(broken on purpose\) failed: function no_such_function\(\) does not exist/);
  const rows = await pg.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'broken'`);
  assert.equal(rows[0].n, 0, 'the whole migration transaction rolled back, schema included');
});

test('daily partitions: created on demand and concurrently without error, rows routed by day, old days dropped', async () => {
  const c = await connect();
  await migrate(c, 'parts');
  const today = dayOf(Date.now());
  const days = [today - 40, today - 3, today, today + 1, today + 2];
  const others = await Promise.all([1, 2, 3].map(connect));
  const created = await Promise.all([c, ...others].map((x) => ensurePartitions(x, 'parts', 'otel_logs', days)));
  assert.deepEqual(created.flat().sort((a, b) => a - b), days, 'each partition created once among four racing clients');
  assert.deepEqual(await listPartitions(c, 'parts', 'otel_logs'), days);
  assert.deepEqual(await ensurePartitions(c, 'parts', 'otel_logs', days), []);

  // A row lands in its day's partition; a day without one is refused.
  const insert = (ms: number) =>
    c.query(`INSERT INTO parts.otel_logs (time, batch_id, seq) VALUES ($1, $2, 0)`, [new Date(ms).toISOString(), randomUUID()]);
  await insert(today * DAY_MS + 5);
  await insert((today - 3) * DAY_MS + DAY_MS - 1);
  await insert((today - 40) * DAY_MS);
  await assert.rejects(insert((today + 5) * DAY_MS), /no partition of relation "otel_logs" found for row/);
  const [{ n }] = await pg.query(`SELECT count(*)::int AS n FROM parts.${quoteIdent(partitionName('otel_logs', today - 3))}`);
  assert.equal(n, 1);

  // Retention of 30 days drops only the 40-day-old partition and its row.
  assert.deepEqual(await dropPartitionsBefore(c, 'parts', 'otel_logs', today - 30), [today - 40]);
  assert.deepEqual(await listPartitions(c, 'parts', 'otel_logs'), days.slice(1));
  const [{ total }] = await pg.query('SELECT count(*)::int AS total FROM parts.otel_logs');
  assert.equal(total, 2);
});

test('the Claude Code views read numbers from strings or numbers, find events by any of their three names, and total per day, user and model', async () => {
  const c = await connect();
  await migrate(c, 'cc');
  const now = Date.now();
  const day = dayOf(now);
  await ensurePartitions(c, 'cc', 'otel_logs', [day]);
  const batch = randomUUID();
  let seq = 0;
  const event = async (how: 'field' | 'attribute' | 'body', name: string, attrs: Record<string, unknown>, scope = 'com.anthropic.claude_code.events') => {
    const a = { ...attrs, ...(how === 'attribute' ? { 'event.name': name } : {}) };
    await c.query(
      `INSERT INTO cc.otel_logs (time, body, event_name, attributes, scope_name, service_name, batch_id, seq) VALUES ($1, $2, $3, $4, $5, 'claude-code', $6, $7)`,
      [new Date(now).toISOString(), JSON.stringify(`claude_code.${name}`), how === 'field' ? `claude_code.${name}` : how === 'attribute' ? name : null, JSON.stringify(a), scope, batch, seq++],
    );
  };
  const alice = { 'user.id': 'u-alice', 'user.email': 'alice@example.com', 'session.id': 's1' };
  const bob = { 'user.id': 'u-bob', 'session.id': 's2' };
  // Older Claude Code: every attribute a string; newer: numbers (a zero cost as an int).
  await event('attribute', 'api_request', { ...alice, model: 'opus', cost_usd: '0.25', input_tokens: '372', output_tokens: '20', cache_read_tokens: '5', cache_creation_tokens: '0', duration_ms: '1200' });
  await event('field', 'api_request', { ...alice, model: 'opus', cost_usd: 0.5, input_tokens: 100, output_tokens: 10, cache_read_tokens: 0, cache_creation_tokens: 7, duration_ms: 800.5 });
  await event('body', 'api_request', { ...bob, model: 'sonnet', cost_usd: 0, input_tokens: 'n/a', output_tokens: ' 3 ', duration_ms: '1e3' });
  await event('attribute', 'api_request', { ...bob, model: 'sonnet', cost_usd_micros: '125000', input_tokens: 1 });
  await event('attribute', 'api_error', { ...bob, model: 'sonnet', error: 'overloaded', status_code: '529', duration_ms: '50', attempt: '2' });
  await event('field', 'tool_result', { ...alice, tool_name: 'Edit', success: 'true', duration_ms: '12' });
  await event('attribute', 'tool_result', { ...alice, tool_name: 'Bash', success: false, error: 'exit 1' });
  // Not Claude Code: another app's api_request from another scope, and a plain log.
  await c.query(`INSERT INTO cc.otel_logs (time, body, event_name, attributes, scope_name, batch_id, seq) VALUES ($1, '"hello"', 'api_request', '{"cost_usd": "9"}', 'other.app', $2, $3)`, [new Date(now).toISOString(), batch, seq++]);

  const requests = await pg.query('SELECT user_id, model, cost_usd, input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens, duration_ms FROM cc.claude_code_api_requests ORDER BY user_id, cost_usd');
  assert.deepEqual(requests, [
    { user_id: 'u-alice', model: 'opus', cost_usd: 0.25, input_tokens: '372', output_tokens: '20', cache_read_tokens: '5', cache_creation_tokens: '0', duration_ms: 1200 },
    { user_id: 'u-alice', model: 'opus', cost_usd: 0.5, input_tokens: '100', output_tokens: '10', cache_read_tokens: '0', cache_creation_tokens: '7', duration_ms: 800.5 },
    { user_id: 'u-bob', model: 'sonnet', cost_usd: 0, input_tokens: null, output_tokens: '3', cache_read_tokens: null, cache_creation_tokens: null, duration_ms: 1000 },
    { user_id: 'u-bob', model: 'sonnet', cost_usd: 0.125, input_tokens: '1', output_tokens: null, cache_read_tokens: null, cache_creation_tokens: null, duration_ms: null },
  ]);
  const daily = await pg.query('SELECT day::text, user_id, user_email, model, requests::int, cost_usd, input_tokens::int, output_tokens::int FROM cc.claude_code_daily_usage ORDER BY user_id');
  const isoDay = new Date(day * DAY_MS).toISOString().slice(0, 10);
  assert.deepEqual(daily, [
    { day: isoDay, user_id: 'u-alice', user_email: 'alice@example.com', model: 'opus', requests: 2, cost_usd: 0.75, input_tokens: 472, output_tokens: 30 },
    { day: isoDay, user_id: 'u-bob', user_email: null, model: 'sonnet', requests: 2, cost_usd: 0.125, input_tokens: 1, output_tokens: 3 },
  ]);
  assert.deepEqual(await pg.query('SELECT model, error, status_code, duration_ms, attempt FROM cc.claude_code_api_errors'), [{ model: 'sonnet', error: 'overloaded', status_code: '529', duration_ms: 50, attempt: 2 }]);
  assert.deepEqual(await pg.query('SELECT tool_name, success, duration_ms, error FROM cc.claude_code_tool_results ORDER BY tool_name'), [
    { tool_name: 'Bash', success: false, duration_ms: null, error: 'exit 1' },
    { tool_name: 'Edit', success: true, duration_ms: 12, error: null },
  ]);
});
