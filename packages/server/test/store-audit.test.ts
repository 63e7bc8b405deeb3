/**
 * The audit log on every dialect: events appended through appendAuditRecord form one chain that verifies
 * (and, on SQLite, that Python's hashlib and json recompute from the file alone); a user's events list newest
 * first; a rolled-back append leaves no gap; bad records are refused by field; and writers on two
 * instances at once (two pools on PostgreSQL, two threads on one SQLite file) keep a valid, gapless chain.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { type Kysely, sql } from 'kysely';
import { GENESIS_HASH } from '../src/crypto/audit-hash.ts';
import { appendAuditRecord, listUserAuditEvents, verifyAuditChain } from '../src/services/audit-log.ts';
import { openDatabase, sqlitePath } from '../src/store/open.ts';
import type { Database } from '../src/store/schema.ts';
import {
  appendSamples,
  documentedHash,
  openAuditDatabase,
  type RawAuditRow,
  sampleRecord,
} from './support/audit.ts';
import { DIALECTS } from './support/dialects.ts';

/** Debian's python3: hashlib, json and sqlite3 are in its standard library. */
const SYSTEM_PYTHON = '/usr/bin/python3';

function skipUnlessPython(): false | string {
  if (spawnSync(SYSTEM_PYTHON, ['-c', 'import sqlite3, hashlib, json']).status === 0) return false;
  const reason = `${SYSTEM_PYTHON} with sqlite3 not available (apt-get install python3)`;
  if (process.env.TWOFA_REQUIRE_TOOLS === '1') throw new Error(`required in CI: ${reason}`);
  return reason;
}

/** Walks the chain in a SQLite file with Python, independently of the TypeScript; prints "count head". */
const PYTHON_VERIFY = `
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
prev, expected = '0' * 64, 1
for row in db.execute('select seq, at_ms, user_id, type, ip, user_agent, request_id, details, prev_hash, hash from audit_events order by seq'):
    assert row[0] == expected, f'seq {row[0]} where {expected} was expected'
    assert row[8] == prev, f'event {row[0]} does not chain from the one before'
    content = json.dumps(list(row[:8]), separators=(',', ':'), ensure_ascii=False)
    digest = hashlib.sha256((row[8] + '\\n' + content).encode('utf-8')).hexdigest()
    assert digest == row[9], f'event {row[0]}: hash {row[9]} but content hashes to {digest}'
    prev, expected = row[9], expected + 1
head = db.execute('select seq, hash from audit_head where id = 1').fetchone()
assert head == (expected - 1, prev), f'head {head} does not match the last event'
print(expected - 1, prev)
`;

async function rawRows(db: Kysely<Database>): Promise<RawAuditRow[]> {
  const { rows } = await sql<RawAuditRow>`select * from audit_events order by seq`.execute(db);
  return rows;
}

for (const dialect of DIALECTS) {
  describe(`audit log store on ${dialect.name}`, () => {
    let db: Kysely<Database>;
    let dataDir: string;

    before(async () => {
      const opened = await openAuditDatabase(dialect);
      db = opened.db;
      dataDir = opened.config.dataDir;
    });
    after(() => db.destroy());

    test('an empty log verifies: no events, the head at the genesis hash', async () => {
      assert.deepEqual(await verifyAuditChain(db), {
        ok: true,
        count: 0,
        headSeq: 0,
        headHash: GENESIS_HASH,
      });
    });

    test('30 appended events form one chain: numbered 1..30, each hash as documented, verify ok', async () => {
      await appendSamples(db, 1, 30);
      const rows = await rawRows(db);
      assert.deepEqual(
        rows.map((row) => row.seq),
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      let prev = GENESIS_HASH;
      for (const row of rows) {
        assert.equal(row.prev_hash, prev, `event #${row.seq} chains from the one before`);
        assert.equal(row.hash, documentedHash(row), `event #${row.seq} hash`);
        prev = row.hash;
      }
      const expected = sampleRecord(7);
      const seven = rows[6]!;
      assert.deepEqual(
        [seven.at_ms, seven.user_id, seven.type, seven.ip, seven.user_agent, seven.request_id],
        [expected.atMs, expected.userId, expected.type, expected.ip, expected.userAgent, expected.requestId],
      );
      assert.equal(seven.details, '{"method":"password","n":7,"remembered":false}', 'canonical details');
      assert.deepEqual(await verifyAuditChain(db), { ok: true, count: 30, headSeq: 30, headHash: prev });
    });

    if (dialect.name === 'sqlite') {
      test('Python recomputes the same chain from the SQLite file', {
        skip: skipUnlessPython(),
      }, async () => {
        const verified = await verifyAuditChain(db);
        assert.ok(verified.ok);
        const python = spawnSync(SYSTEM_PYTHON, ['-c', PYTHON_VERIFY, sqlitePath(dataDir)], {
          encoding: 'utf8',
        });
        assert.equal(python.status, 0, python.stderr);
        assert.equal(python.stdout.trim(), `${verified.count} ${verified.headHash}`);
      });
    }

    test("a user's events: newest first, only theirs, limited (20 by default), details parsed", async () => {
      const userId = `user-${dialect.name}-list`;
      for (let n = 1; n <= 25; n++) {
        await db.transaction().execute(async (trx) => {
          await appendAuditRecord(trx, sampleRecord(100 + n, { userId, type: `test.${n}` }));
          await appendAuditRecord(trx, sampleRecord(200 + n, { userId: 'someone-else' }));
        });
      }
      const listed = await listUserAuditEvents(db, userId);
      assert.equal(listed.length, 20);
      assert.deepEqual(
        listed.map((event) => event.type),
        Array.from({ length: 20 }, (_, i) => `test.${25 - i}`),
      );
      assert.ok(listed.every((event, i) => i === 0 || event.seq < listed[i - 1]!.seq));
      const newest = sampleRecord(125);
      assert.deepEqual(listed[0], {
        seq: listed[0]!.seq,
        atMs: newest.atMs,
        type: 'test.25',
        ip: newest.ip,
        userAgent: newest.userAgent,
        details: newest.details,
      });
      assert.deepEqual(
        (await listUserAuditEvents(db, userId, 3)).map((event) => event.type),
        ['test.25', 'test.24', 'test.23'],
      );
      assert.deepEqual(await listUserAuditEvents(db, 'nobody'), []);
    });

    test('an append rolled back with its transaction gives its number back: no gap', async () => {
      const before = await verifyAuditChain(db);
      assert.ok(before.ok);
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await appendAuditRecord(trx, sampleRecord(1));
          throw new Error('the change being recorded failed');
        }),
        /the change being recorded failed/,
      );
      await db.transaction().execute((trx) => appendAuditRecord(trx, sampleRecord(2)));
      const after = await verifyAuditChain(db);
      assert.ok(after.ok);
      assert.equal(after.headSeq, before.headSeq + 1);
      assert.equal(after.count, before.count + 1);
    });

    test('bad records are refused, naming the field, and take no number', async () => {
      const before = await verifyAuditChain(db);
      assert.ok(before.ok);
      const cases: [Partial<Parameters<typeof sampleRecord>[1]>, RegExp][] = [
        [{ atMs: Number.NaN }, /atMs must be a whole number/],
        [{ atMs: 1.5 }, /atMs must be a whole number/],
        [{ type: '' }, /type must be a non-empty string/],
        [{ details: { n: Number.POSITIVE_INFINITY } }, /details: \$\.n is Infinity/],
        [{ details: { nested: { a: 1 } } as never }, /details\.nested must be a string, number or boolean/],
        [{ details: null as never }, /details must be an object/],
      ];
      for (const [fields, message] of cases) {
        await assert.rejects(
          db.transaction().execute((trx) => appendAuditRecord(trx, sampleRecord(1, fields))),
          message,
        );
      }
      assert.deepEqual(await verifyAuditChain(db), before);
    });

    test('details are stored canonically: key order does not matter', async () => {
      await db.transaction().execute(async (trx) => {
        await appendAuditRecord(trx, sampleRecord(1, { userId: 'order-a', details: { b: 2, a: 'x' } }));
        await appendAuditRecord(trx, sampleRecord(1, { userId: 'order-b', details: { a: 'x', b: 2 } }));
      });
      const { rows } = await sql<{ details: string }>`select details from audit_events
        where user_id in ('order-a', 'order-b') order by seq`.execute(db);
      assert.deepEqual(
        rows.map((row) => row.details),
        ['{"a":"x","b":2}', '{"a":"x","b":2}'],
      );
    });

    test('two instances appending at once keep one valid chain, numbered 1..200 without gaps', {
      timeout: 60_000,
    }, async () => {
      const { config, db: fresh } = await openAuditDatabase(dialect);
      await fresh.destroy();
      const writers =
        dialect.name === 'postgres'
          ? await writeWithTwoPools(config, 100)
          : await writeWithTwoThreads(config.dataDir, 100);
      const { db: check } = openDatabase(config);
      try {
        const verified = await verifyAuditChain(check);
        assert.equal(verified.ok, true, JSON.stringify(verified));
        assert.equal(verified.count, 200);
        const rows = await rawRows(check);
        assert.deepEqual(
          rows.map((row) => row.seq),
          Array.from({ length: 200 }, (_, i) => i + 1),
        );
        // The writers' events interleave: they really ran at the same time, not one after the other.
        const order = rows.map((row) => row.user_id);
        const switches = order.filter((writer, i) => i > 0 && writer !== order[i - 1]).length;
        assert.ok(switches >= 2, `the two writers' events did not interleave (${switches} switch(es))`);
        assert.deepEqual(
          writers.toSorted(),
          ['writer-a', 'writer-b'].map((writer) => `${writer}:100`),
        );
      } finally {
        await check.destroy();
      }
    });
  });
}

/** Two Kysely instances (two pg pools, as two servers would have), each appending `count` at once. */
async function writeWithTwoPools(
  config: Parameters<typeof openDatabase>[0],
  count: number,
): Promise<string[]> {
  const instances = [openDatabase(config), openDatabase(config)];
  try {
    return await Promise.all(
      instances.map(async ({ db }, index) => {
        const writer = index === 0 ? 'writer-a' : 'writer-b';
        await Promise.all(
          Array.from({ length: count }, (_, n) =>
            db
              .transaction()
              .execute((trx) => appendAuditRecord(trx, sampleRecord(n + 1, { userId: writer }))),
          ),
        );
        return `${writer}:${count}`;
      }),
    );
  } finally {
    await Promise.all(instances.map(({ db }) => db.destroy()));
  }
}

/**
 * Two worker threads, each with its own connection to one SQLite file. Threads, not two Kysely instances
 * in this thread: node:sqlite is synchronous, so a connection waiting out another's lock (busy_timeout)
 * would block the very thread that has to commit it.
 */
async function writeWithTwoThreads(dataDir: string, count: number): Promise<string[]> {
  const workers = ['writer-a', 'writer-b'].map(
    (writer) =>
      new Worker(new URL('./support/audit-writer.ts', import.meta.url), {
        workerData: { dataDir, writer, count },
      }),
  );
  try {
    const next = (worker: Worker) => once(worker, 'message').then(([message]) => String(message));
    assert.deepEqual(await Promise.all(workers.map(next)), ['ready', 'ready']);
    const done = workers.map(next);
    for (const worker of workers) worker.postMessage('go');
    return await Promise.all(done);
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
