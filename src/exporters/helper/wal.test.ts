import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WalFullError, WriteAheadLog } from './wal';
import { CapturedLogs } from './testkit';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wal-test-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const bytes = (s: string) => Buffer.from(s, 'utf8');
function segments(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.wal')).sort();
}

/** Opens a log on `dir`, returning it, what it replayed, and its log lines. */
function open(dir: string, maxBytes = 1 << 20, segmentBytes?: number) {
  const logs = new CapturedLogs();
  const wal = new WriteAheadLog(dir, { maxBytes, segmentBytes, logger: logs.logger });
  const pending = wal.open();
  return { wal, pending, logs };
}

test('appended batches survive a restart until acknowledged, in order, with item counts and tags', async (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  assert.deepEqual(a.pending, []);
  const ids: number[] = [];
  for (let i = 0; i < 5; i++) ids.push(await a.wal.append(bytes(`batch-${i}`), i + 1, i % 3));
  assert.deepEqual(await Promise.all(ids.map(async (id) => text(await a.wal.read(id)))), ['batch-0', 'batch-1', 'batch-2', 'batch-3', 'batch-4']);
  await a.wal.ack(ids[1]);
  await a.wal.ack(ids[3]);
  await a.wal.close();

  const b = open(dir);
  assert.deepEqual(b.pending, [0, 2, 4].map((i) => ({ id: ids[i], items: i + 1, tag: i % 3 })));
  assert.deepEqual(await Promise.all(b.pending.map(async (e) => text(await b.wal.read(e.id)))), ['batch-0', 'batch-2', 'batch-4']);
  // New ids continue after the replayed ones, so an old ACK can never cancel new data.
  const next = await b.wal.append(bytes('batch-5'), 6);
  assert.ok(next > ids[4]);
  await b.wal.ack(ids[0]);
  await b.wal.close();

  const c = open(dir);
  assert.deepEqual(c.pending.map((e) => e.id), [ids[2], ids[4], next]);
  assert.equal(c.logs.lines.filter((l) => l.level === 'warn').length, 0);
  await c.wal.close();
});

test('concurrent appends share syncs and each lands intact', async (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => a.wal.append(bytes(`c-${i}`), 1)));
  await a.wal.close();
  const b = open(dir);
  assert.deepEqual(b.pending.map((e) => e.id), ids);
  assert.deepEqual(await Promise.all(ids.map(async (id) => text(await b.wal.read(id)))), ids.map((_, i) => `c-${i}`));
  await b.wal.close();
});

test('a torn tail (file cut mid-record) is skipped with one log line; records before it are kept', async (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  await a.wal.append(bytes('first'), 1);
  await a.wal.append(bytes('second'), 2);
  await a.wal.append(bytes('third-is-torn'), 3);
  await a.wal.close();
  const [file] = segments(dir);
  const full = fs.statSync(path.join(dir, file)).size;
  fs.truncateSync(path.join(dir, file), full - 5);

  const b = open(dir);
  assert.deepEqual(b.pending.map((e) => e.items), [1, 2]);
  assert.deepEqual(await Promise.all(b.pending.map(async (e) => text(await b.wal.read(e.id)))), ['first', 'second']);
  const warns = b.logs.lines.filter((l) => l.level === 'warn');
  assert.equal(warns.length, 1);
  assert.equal(warns[0].problem, 'torn record');
  // The log still takes data, and the next start finds nothing to complain about.
  await b.wal.append(bytes('after'), 4);
  await b.wal.close();
  const c = open(dir);
  assert.deepEqual(c.pending.map((e) => e.items), [1, 2, 4]);
  assert.equal(c.logs.lines.filter((l) => l.level === 'warn').length, 0);
  await c.wal.close();
});

test('a corrupt checksum ends the segment there: data before it kept, the bad record never delivered', async (t) => {
  const dir = tempDir(t);
  const a = open(dir);
  await a.wal.append(bytes('good'), 1);
  await a.wal.append(bytes('flipped'), 2);
  await a.wal.close();
  const file = path.join(dir, segments(dir)[0]);
  const buf = fs.readFileSync(file);
  buf[buf.length - 2] ^= 0xff; // inside the last record's data
  fs.writeFileSync(file, buf);

  const b = open(dir);
  assert.deepEqual(b.pending.map((e) => e.items), [1]);
  assert.equal(text(await b.wal.read(b.pending[0].id)), 'good');
  assert.deepEqual(b.logs.lines.filter((l) => l.level === 'warn').map((l) => l.problem), ['checksum mismatch']);
  await b.wal.close();
});

test('garbage in place of a whole file does not stop the start', async (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'segment-000000000007.wal'), Buffer.alloc(100, 0xab));
  const a = open(dir);
  assert.deepEqual(a.pending, []);
  assert.equal(a.logs.lines.filter((l) => l.level === 'warn').length, 1);
  await a.wal.append(bytes('x'), 1);
  await a.wal.close();
  // The emptied file is deleted; new data goes to a fresh segment after it.
  assert.deepEqual(segments(dir), ['segment-000000000008.wal']);
});

test('max_size bounds the files: a full log refuses, and acknowledging makes room again', async (t) => {
  const dir = tempDir(t);
  const record = 8 + 12 + 100; // header + data prefix + payload
  const a = open(dir, record * 3, record);
  const ids = [await a.wal.append(Buffer.alloc(100, 1), 1), await a.wal.append(Buffer.alloc(100, 2), 1), await a.wal.append(Buffer.alloc(100, 3), 1)];
  assert.equal(a.wal.sizeBytes, record * 3);
  await assert.rejects(a.wal.append(Buffer.alloc(100, 4), 1), (e: unknown) => e instanceof WalFullError && !e.tooLarge);
  await assert.rejects(a.wal.append(Buffer.alloc(record * 3, 5), 1), (e: unknown) => e instanceof WalFullError && e.tooLarge);
  // Acknowledgements take a few bytes too (15 each), so freeing one record's
  // segment is not quite room for another; freeing two is.
  await a.wal.ack(ids[0]);
  await assert.rejects(a.wal.append(Buffer.alloc(100, 4), 1), WalFullError);
  await a.wal.ack(ids[1]);
  const id4 = await a.wal.append(Buffer.alloc(100, 4), 1);
  assert.ok(a.wal.sizeBytes <= record * 3, `size ${a.wal.sizeBytes} within the bound`);
  await a.wal.close();
  const b = open(dir, record * 3, record);
  assert.deepEqual(b.pending.map((e) => e.id), [ids[2], id4]);
  await b.wal.close();
});

test('compaction: finished segments are deleted oldest first, so the files do not grow forever', async (t) => {
  const dir = tempDir(t);
  const a = open(dir, 1 << 20, 256);
  const ids: number[] = [];
  for (let i = 0; i < 40; i++) ids.push(await a.wal.append(Buffer.alloc(50, i), 1));
  const written = segments(dir).length;
  assert.ok(written >= 8, `rotated into ${written} segments`);
  // Keep the first batch: nothing may be deleted while the oldest segment holds it.
  for (const id of ids.slice(1)) await a.wal.ack(id);
  assert.ok(segments(dir).length >= written, 'an unfinished oldest segment holds the ones after it');
  await a.wal.ack(ids[0]);
  assert.ok(segments(dir).length <= 1, `left ${segments(dir).length} segment(s)`);
  assert.ok(a.wal.sizeBytes <= 256 + 15, `size ${a.wal.sizeBytes}`);
  // Churn: size stays bounded by about one segment while everything is acknowledged.
  for (let i = 0; i < 200; i++) await a.wal.ack(await a.wal.append(Buffer.alloc(50, i), 1));
  assert.ok(a.wal.sizeBytes <= 2 * 256, `size ${a.wal.sizeBytes} after churn`);
  assert.ok(segments(dir).length <= 2);
  await a.wal.close();
  const b = open(dir);
  assert.deepEqual(b.pending, []);
  await b.wal.close();
});
