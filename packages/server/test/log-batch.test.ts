/**
 * Log lines batched per turn of the event loop (src/log-batch.ts): what `npm start` writes to stdout. Every
 * line comes out once, in order, unchanged, and by the end of the turn; a large backlog goes out at once;
 * flush (at close and exit) writes what is queued.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { batchLines } from '../src/log-batch.ts';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

test('the lines of one turn go out as one write, in order, by the next turn', async () => {
  const writes: string[] = [];
  const { log } = batchLines((text) => writes.push(text));
  log('{"a":1}');
  log('{"b":2}');
  assert.deepEqual(writes, [], 'nothing written synchronously');
  await nextTurn();
  assert.deepEqual(writes, ['{"a":1}\n{"b":2}']);
  log('{"c":3}');
  await nextTurn();
  assert.deepEqual(writes, ['{"a":1}\n{"b":2}', '{"c":3}']);
});

test('flush writes what is queued now; nothing is written twice', async () => {
  const writes: string[] = [];
  const batch = batchLines((text) => writes.push(text));
  batch.log('one');
  batch.flush();
  assert.deepEqual(writes, ['one']);
  batch.flush();
  await nextTurn();
  assert.deepEqual(writes, ['one']);
});

test('a backlog of 64 KiB or more is written at once', () => {
  const writes: string[] = [];
  const { log } = batchLines((text) => writes.push(text));
  const line = 'x'.repeat(1024);
  for (let i = 0; i < 64; i++) log(line);
  assert.equal(writes.length, 1);
  assert.equal(writes[0]?.split('\n').length, 64);
});
