import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Batch, LogsBatch } from '../model/batch';
import { emptyResource, emptyScope, str } from '../model/common';
import type { Consumer } from './component';
import { overloadedError, permanentError } from './errors';
import { fanout } from './fanout';

function batch(): LogsBatch {
  const rec = { timeMs: 1, timeNs: 0, observedTimeMs: 0, observedTimeNs: 0, severityNumber: 9, severityText: '', body: str('x'), attributes: [], droppedAttributesCount: 0, flags: 0, traceId: new Uint8Array(), spanId: new Uint8Array(), eventName: '' };
  return { signal: 'logs', resourceLogs: [{ resource: emptyResource(), schemaUrl: '', scopeLogs: [{ scope: emptyScope(), schemaUrl: '', logRecords: [rec] }] }] };
}

const seen = (list: Batch[]): Consumer => ({ consume: async (b) => void list.push(b) });

test('read-only consumers share the batch; mutating ones get their own copy', async () => {
  const readers: Batch[] = [];
  const writers: Batch[] = [];
  const b = batch();
  await fanout([
    { consumer: seen(readers), mutates: false },
    { consumer: seen(readers), mutates: false },
    { consumer: seen(writers), mutates: true },
  ]).consume(b);
  assert.equal(readers[0], b);
  assert.equal(readers[1], b);
  assert.notEqual(writers[0], b);
  assert.deepEqual(writers[0], b);
});

test('when every consumer mutates, the last one gets the original', async () => {
  const got: Batch[] = [];
  const b = batch();
  await fanout([
    { consumer: seen(got), mutates: true },
    { consumer: seen(got), mutates: true },
  ]).consume(b);
  assert.notEqual(got[0], b);
  assert.equal(got[1], b);
});

test('a failure in one consumer fails the fan-out; retryable wins over permanent', async () => {
  const ok: Batch[] = [];
  const f = fanout([
    { consumer: seen(ok), mutates: false },
    { consumer: { consume: () => Promise.reject(permanentError('bad', 'a')) }, mutates: false },
    { consumer: { consume: () => Promise.reject(overloadedError('full', 'b', 1000)) }, mutates: false },
  ]);
  await assert.rejects(f.consume(batch()), (err: { code: string; message: string }) => {
    assert.equal(err.code, 'OVERLOADED');
    assert.match(err.message, /bad; full/);
    return true;
  });
  assert.equal(ok.length, 1, 'the healthy consumer still got the data');
});

test('a consumer that throws synchronously does not stop the others', async () => {
  const ok: Batch[] = [];
  const f = fanout([
    { consumer: { consume: () => { throw new Error('boom'); } }, mutates: false },
    { consumer: seen(ok), mutates: false },
  ]);
  await assert.rejects(f.consume(batch()), { code: 'PERMANENT' });
  assert.equal(ok.length, 1);
});
