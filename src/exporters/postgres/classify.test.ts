import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPgError, connectionUsable, isMissingPartition } from './classify';
import { acceptedDays, filterByDay } from './range';
import { DAY_MS, dayOf } from './schema/partitions';
import type { LogsBatch } from '../../model/batch';
import { emptyResource, emptyScope, str } from '../../model/common';

const pgError = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`server says ${code}`), { code, ...extra });

test('retryable: connection failures, server shutting down or starting, resources, serialization and deadlock, our timeout', () => {
  for (const code of ['08006', '08001', '57P01', '57P02', '57P03', '53300', '53100', '40001', '40P01', '57014', '58030']) {
    const e = classifyPgError(pgError(code));
    assert.equal(e.retryable, true, code);
    assert.equal(e.reason, `pg_${code}`);
  }
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']) {
    assert.deepEqual([classifyPgError(Object.assign(new Error('x'), { code })).retryable, classifyPgError(Object.assign(new Error('x'), { code })).reason], [true, 'connection'], code);
  }
  for (const msg of ['Connection terminated unexpectedly', 'Connection terminated', 'timeout exceeded when trying to connect', 'Client has encountered a connection error and is not queryable']) {
    assert.equal(classifyPgError(new Error(msg)).retryable, true, msg);
  }
});

test('permanent: constraints, data exceptions, undefined objects, bugs; the server message is kept', () => {
  for (const code of ['23505', '23514', '22P02', '22003', '42P01', '42703', '54001']) {
    const e = classifyPgError(pgError(code, code === '23514' ? { constraint: 'c' } : {}));
    assert.equal(e.retryable, false, code);
    assert.equal(e.reason, `pg_${code}`);
    assert.match(e.message, new RegExp(`server says ${code}`));
  }
  assert.deepEqual([classifyPgError(new TypeError('x is undefined')).retryable, classifyPgError(new TypeError('x')).reason], [false, 'error']);
});

test('a row with no partition to go to is retryable (the partition is recreated), a named CHECK is not', () => {
  const missing = pgError('23514');
  assert.equal(isMissingPartition(missing), true);
  assert.deepEqual([classifyPgError(missing).retryable, classifyPgError(missing).reason], [true, 'missing_partition']);
  assert.equal(isMissingPartition(pgError('23514', { constraint: 'no_poison' })), false);
});

test('a connection survives server-side SQL errors, not connection or shutdown errors', () => {
  assert.equal(connectionUsable(pgError('23514')), true);
  assert.equal(connectionUsable(pgError('08006')), false);
  assert.equal(connectionUsable(pgError('57P01')), false);
  assert.equal(connectionUsable(new Error('Connection terminated')), false);
});

test('accepted days: max_age and retention bound the past (the shorter wins), partitions_ahead the future', () => {
  const now = Date.UTC(2026, 10, 23, 12);
  assert.deepEqual(acceptedDays({ maxAge: 30 * DAY_MS, retention: 0, partitionsAhead: 2 }, now), { from: dayOf(now) - 30, to: dayOf(now) + 2 });
  assert.deepEqual(acceptedDays({ maxAge: 30 * DAY_MS, retention: 7 * DAY_MS, partitionsAhead: 0 }, now), { from: dayOf(now) - 7, to: dayOf(now) });
  assert.deepEqual(acceptedDays({ maxAge: 0, retention: 0, partitionsAhead: 1 }, now), { from: -Infinity, to: dayOf(now) + 1 });
});

test('filterByDay: the same batch when everything is in range, else a copy without the rest, counted by reason', () => {
  const now = Date.UTC(2026, 10, 23, 12);
  const batch = (times: number[]): LogsBatch => ({
    signal: 'logs',
    resourceLogs: [{ resource: emptyResource(), schemaUrl: '', scopeLogs: [{ scope: emptyScope(), schemaUrl: '', logRecords: times.map((t) => ({
      timeMs: t, timeNs: 0, observedTimeMs: 0, observedTimeNs: 0, severityNumber: 0, severityText: '', body: str(String(t)), attributes: [],
      droppedAttributesCount: 0, flags: 0, traceId: new Uint8Array(0), spanId: new Uint8Array(0), eventName: '',
    })) }] }],
  });
  const range = { from: dayOf(now) - 1, to: dayOf(now) + 1 };
  const ok = batch([now, now - DAY_MS, 0]);
  ok.resourceLogs[0].scopeLogs[0].logRecords[2].observedTimeMs = now; // time 0: filed under the observed time
  assert.equal(filterByDay(ok, range, now).batch, ok);
  const mixed = batch([now, now - 3 * DAY_MS, now + 2 * DAY_MS, now + DAY_MS, 0]);
  const f = filterByDay(mixed, range, now);
  assert.deepEqual([f.tooOld, f.tooNew], [1, 1]);
  assert.notEqual(f.batch, mixed);
  assert.equal(mixed.resourceLogs[0].scopeLogs[0].logRecords.length, 5, 'input untouched');
  const kept = (f.batch as LogsBatch).resourceLogs[0].scopeLogs[0].logRecords.map((r) => r.timeMs);
  assert.deepEqual(kept, [now, now + DAY_MS, 0], 'a record with no time at all is filed under now');
});
