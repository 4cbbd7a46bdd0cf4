/** The PostgreSQL harness itself: a real cluster that starts, survives a restart with its data, and leaves nothing behind. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { PostgresServer } from './postgres';

test('a throwaway cluster: query, restart keeps data, stop removes everything', async () => {
  const pg = await PostgresServer.start();
  try {
    const [{ v }] = await pg.query<{ v: string }>('SELECT current_setting($$server_version$$) AS v');
    assert.match(v, /^\d+/);
    await pg.query('CREATE TABLE t (x int)');
    await pg.query('INSERT INTO t SELECT generate_series(1, 5)');
    pg.restart('immediate');
    const [{ n }] = await pg.query<{ n: number }>('SELECT sum(x)::int AS n FROM t');
    assert.equal(n, 15);
    pg.stopServer();
    await assert.rejects(pg.query('SELECT 1'), /ECONNREFUSED/);
    pg.startServer();
    assert.equal((await pg.query('SELECT 1 AS one'))[0].one, 1);
  } finally {
    await pg.stop();
  }
  assert.equal(fs.existsSync(pg.dir), false);
  await assert.rejects(pg.query('SELECT 1'), /ECONNREFUSED/);
});
