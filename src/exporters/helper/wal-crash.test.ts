import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WriteAheadLog } from './wal';
import { CapturedLogs } from './testkit';

// A SIGKILL keeps the page cache, so this proves ordering (nothing is reported
// written before its write returned, ACKs never cancel the wrong batch, replay
// after an abrupt stop is exact), not fsync against power loss.
test('killed mid-write (SIGKILL): every acknowledged append survives intact, every ACKed batch stays gone', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wal-crash-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const child = spawn(process.execPath, [path.join(__dirname, 'wal-crash-child.js'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the child wrote too little in 20s')), 20000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.length > 200_000) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.on('exit', () => resolve());
  });
  await new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.on('exit', () => resolve())));

  const promised = new Map<number, string>();
  const acked = new Set<number>();
  const acking = new Set<number>();
  // The last line may be cut off by the kill: only whole lines count.
  for (const line of out.slice(0, out.lastIndexOf('\n')).split('\n')) {
    const [kind, id, body] = line.split(' ');
    if (kind === 'data' && body !== undefined) promised.set(Number(id), body);
    else if (kind === 'ack' && id !== undefined) acked.add(Number(id));
    else if (kind === 'acking' && id !== undefined) acking.add(Number(id));
  }
  assert.ok(promised.size > 500, `the child acknowledged ${promised.size} appends`);

  const logs = new CapturedLogs();
  const wal = new WriteAheadLog(dir, { maxBytes: 64 << 20, logger: logs.logger });
  const pending = new Set(wal.open().map((e) => e.id));
  for (const [id, body] of promised) {
    if (acked.has(id)) {
      assert.ok(!pending.has(id), `batch ${id} was acknowledged as done but came back`);
    } else if (acking.has(id)) {
      // Killed while its ACK was being written: gone or pending are both right, intact if pending.
      if (pending.has(id)) assert.equal(Buffer.from(await wal.read(id)).toString(), body);
      assert.ok(acking.size - [...acking].filter((a) => acked.has(a)).length <= 1, 'at most one ACK was in flight');
    } else {
      assert.ok(pending.has(id), `batch ${id} was acknowledged as written but is missing`);
      assert.equal(Buffer.from(await wal.read(id)).toString(), body);
    }
  }
  assert.ok(logs.lines.filter((l) => l.level === 'warn').length <= 1, 'at most the one torn tail is reported');
  await wal.close();
});
