// Threat: someone with write access to the database (a stolen admin login, a rogue operator, an attacker
// who got SQL injection elsewhere) covers their tracks in the audit log: edits an event (whose account,
// what, when, from where), deletes events, or slips in a forged one. Each event's hash covers the previous
// event's hash and its own content, and the head records the last number and hash, so every such change
// breaks the chain, and verifyAuditChain names the first event at fault and what happened to it.
// Tampering is done here with raw SQL, as the attacker would; forged hashes are computed with the documented
// rule (test/support/audit.ts), as an attacker who read the README would. Runs on SQLite and, when
// TWOFA_TEST_PG_URL is set, PostgreSQL.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { type Kysely, sql } from 'kysely';
import { verifyAuditChain } from '../../src/services/audit-log.ts';
import type { Database } from '../../src/store/schema.ts';
import { appendSamples, documentedHash, openAuditDatabase, type RawAuditRow } from '../support/audit.ts';
import { DIALECTS, type TestDialect } from '../support/dialects.ts';

/** Events in each log the cases tamper with. */
const EVENTS = 10;

const opened: Kysely<Database>[] = [];
after(() => Promise.all(opened.map((db) => db.destroy())));

/** A fresh database holding an intact log of EVENTS events. */
async function intactLog(dialect: TestDialect): Promise<Kysely<Database>> {
  const { db } = await openAuditDatabase(dialect);
  opened.push(db);
  await appendSamples(db, 1, EVENTS);
  const verified = await verifyAuditChain(db);
  assert.deepEqual({ ok: verified.ok, count: verified.count }, { ok: true, count: EVENTS }, 'intact before');
  return db;
}

async function row(db: Kysely<Database>, seq: number): Promise<RawAuditRow> {
  const { rows } = await sql<RawAuditRow>`select * from audit_events where seq = ${seq}`.execute(db);
  assert.ok(rows[0], `event #${seq} exists`);
  return rows[0];
}

/** Writes a row with its hash recomputed by the documented rule (the attacker fixing up what they can). */
async function insertForged(db: Kysely<Database>, forged: Omit<RawAuditRow, 'hash'>): Promise<void> {
  const hash = documentedHash(forged);
  await sql`insert into audit_events (seq, at_ms, user_id, type, ip, user_agent, request_id, details, prev_hash, hash)
    values (${forged.seq}, ${forged.at_ms}, ${forged.user_id}, ${forged.type}, ${forged.ip},
      ${forged.user_agent}, ${forged.request_id}, ${forged.details}, ${forged.prev_hash}, ${hash})`.execute(
    db,
  );
}

async function expectBroken(
  db: Kysely<Database>,
  expected: { seq: number; problem: 'changed' | 'removed' | 'inserted' | 'head' },
): Promise<string> {
  const verified = await verifyAuditChain(db);
  assert.equal(verified.ok, false, `tampering went unnoticed: ${JSON.stringify(verified)}`);
  assert.ok(!verified.ok);
  assert.deepEqual({ seq: verified.seq, problem: verified.problem }, expected, verified.message);
  assert.match(verified.message, new RegExp(`#${expected.seq}\\b`), 'the message names the event');
  // Every event before the first problem was checked and found intact.
  assert.equal(verified.count, Math.min(expected.seq - 1, EVENTS));
  return verified.message;
}

for (const dialect of DIALECTS) {
  describe(`audit log tampering on ${dialect.name}`, () => {
    const editCases: [string, number, ReturnType<typeof sql>][] = [
      ['type', 4, sql`update audit_events set type = 'account.deleted' where seq = 4`],
      ['user_id', 5, sql`update audit_events set user_id = 'user-mallory' where seq = 5`],
      ['user_id (to NULL)', 7, sql`update audit_events set user_id = null where seq = 7`],
      ['at_ms', 6, sql`update audit_events set at_ms = at_ms + 1 where seq = 6`],
      [
        'details',
        7,
        sql`update audit_events set details = '{"method":"totp","n":7,"remembered":false}' where seq = 7`,
      ],
      ['ip', 3, sql`update audit_events set ip = '198.51.100.9' where seq = 3`],
      ['user_agent', 8, sql`update audit_events set user_agent = 'curl/8.0' where seq = 8`],
      ['request_id', 9, sql`update audit_events set request_id = 'req-x' where seq = 9`],
      ['type', 1, sql`update audit_events set type = 'nothing' where seq = 1`],
      ['ip', EVENTS, sql`update audit_events set ip = '203.0.113.1' where seq = ${EVENTS}`],
      ['prev_hash', 5, sql`update audit_events set prev_hash = ${'1'.repeat(64)} where seq = 5`],
      ['hash', 5, sql`update audit_events set hash = ${'f'.repeat(64)} where seq = 5`],
    ];
    for (const [column, seq, update] of editCases) {
      test(`editing ${column} of event #${seq}: 'changed' at #${seq}`, async () => {
        const db = await intactLog(dialect);
        const before = await row(db, seq);
        await update.execute(db);
        assert.notDeepEqual(await row(db, seq), before, 'the edit changed the row');
        assert.match(await expectBroken(db, { seq, problem: 'changed' }), /changed/);
      });
    }

    test("editing event #4 and recomputing its own hash: 'changed' at #4 (#5 chains from the original)", async () => {
      const db = await intactLog(dialect);
      const original = await row(db, 4);
      const edited = { ...original, user_id: 'user-mallory' };
      await sql`update audit_events set user_id = ${edited.user_id}, hash = ${documentedHash(edited)}
        where seq = 4`.execute(db);
      assert.match(await expectBroken(db, { seq: 4, problem: 'changed' }), /recomputed/);
    });

    test("swapping the content of events #3 and #8: 'changed' at #3", async () => {
      const db = await intactLog(dialect);
      const [three, eight] = [await row(db, 3), await row(db, 8)];
      for (const [target, source] of [
        [3, eight],
        [8, three],
      ] as const) {
        await sql`update audit_events set at_ms = ${source.at_ms}, user_id = ${source.user_id},
          type = ${source.type}, ip = ${source.ip}, user_agent = ${source.user_agent},
          request_id = ${source.request_id}, details = ${source.details}, prev_hash = ${source.prev_hash},
          hash = ${source.hash} where seq = ${target}`.execute(db);
      }
      await expectBroken(db, { seq: 3, problem: 'changed' });
    });

    test("deleting event #5 from the middle: 'removed' at #5", async () => {
      const db = await intactLog(dialect);
      await sql`delete from audit_events where seq = 5`.execute(db);
      assert.match(await expectBroken(db, { seq: 5, problem: 'removed' }), /event #5 is missing/);
    });

    test("deleting events #4 to #6: 'removed' at #4, naming the range", async () => {
      const db = await intactLog(dialect);
      await sql`delete from audit_events where seq between 4 and 6`.execute(db);
      assert.match(await expectBroken(db, { seq: 4, problem: 'removed' }), /events #4 to #6 are missing/);
    });

    test("deleting the first event: 'removed' at #1", async () => {
      const db = await intactLog(dialect);
      await sql`delete from audit_events where seq = 1`.execute(db);
      await expectBroken(db, { seq: 1, problem: 'removed' });
    });

    test(`deleting the last event: 'head' at #${EVENTS}`, async () => {
      const db = await intactLog(dialect);
      await sql`delete from audit_events where seq = ${EVENTS}`.execute(db);
      assert.match(await expectBroken(db, { seq: EVENTS, problem: 'head' }), /missing at the end/);
    });

    test(`deleting the last two events: 'head' at #${EVENTS - 1}`, async () => {
      const db = await intactLog(dialect);
      await sql`delete from audit_events where seq > ${EVENTS - 2}`.execute(db);
      await expectBroken(db, { seq: EVENTS - 1, problem: 'head' });
    });

    test("inserting a forged event #6 by renumbering #6 onwards up and fixing the head: 'inserted' at #6", async () => {
      const db = await intactLog(dialect);
      const five = await row(db, 5);
      // Two steps: PostgreSQL checks the primary key row by row, so seq + 1 would collide with the next row.
      await sql`update audit_events set seq = seq + 1000 where seq >= 6`.execute(db);
      await sql`update audit_events set seq = seq - 999 where seq >= 1000`.execute(db);
      await insertForged(db, {
        ...five,
        seq: 6,
        at_ms: five.at_ms + 1,
        user_id: 'user-mallory',
        type: 'login.succeeded',
        prev_hash: five.hash,
      });
      await sql`update audit_head set seq = seq + 1`.execute(db);
      assert.match(await expectBroken(db, { seq: 6, problem: 'inserted' }), /inserted/);
    });

    test(`appending a forged event #${EVENTS + 1} without moving the head: 'inserted' at #${EVENTS + 1}`, async () => {
      const db = await intactLog(dialect);
      const last = await row(db, EVENTS);
      await insertForged(db, { ...last, seq: EVENTS + 1, at_ms: last.at_ms + 1, prev_hash: last.hash });
      assert.match(await expectBroken(db, { seq: EVENTS + 1, problem: 'inserted' }), /head records only/);
    });

    test(`a forged event numbered out of turn (#${EVENTS + 5}, chained to #${EVENTS}), head moved: 'inserted'`, async () => {
      const db = await intactLog(dialect);
      const last = await row(db, EVENTS);
      await insertForged(db, { ...last, seq: EVENTS + 5, prev_hash: last.hash });
      await sql`update audit_head set seq = ${EVENTS + 5}`.execute(db);
      await expectBroken(db, { seq: EVENTS + 5, problem: 'inserted' });
    });

    test(`changing the head's hash: 'head' at #${EVENTS}`, async () => {
      const db = await intactLog(dialect);
      await sql`update audit_head set hash = ${'a'.repeat(64)}`.execute(db);
      await expectBroken(db, { seq: EVENTS, problem: 'head' });
    });

    test('deleting the head row: a head problem', async () => {
      const db = await intactLog(dialect);
      await sql`delete from audit_head`.execute(db);
      const verified = await verifyAuditChain(db);
      assert.equal(verified.ok, false);
      assert.ok(!verified.ok);
      assert.equal(verified.problem, 'head');
      assert.match(verified.message, /head .* is missing/);
    });

    // The limit the README states: someone who rewrites an event, every event after it and the head leaves
    // a chain that verifies. Only a head hash recorded elsewhere earlier shows it.
    test('rewriting event #6, every later event and the head verifies: only an earlier head hash tells', async () => {
      const db = await intactLog(dialect);
      const recorded = await verifyAuditChain(db);
      assert.ok(recorded.ok);
      let prevHash = (await row(db, 5)).hash;
      for (let seq = 6; seq <= EVENTS; seq++) {
        const original = await row(db, seq);
        const rewritten = { ...original, user_id: 'user-mallory', prev_hash: prevHash };
        const hash = documentedHash(rewritten);
        await sql`update audit_events set user_id = ${rewritten.user_id}, prev_hash = ${prevHash},
          hash = ${hash} where seq = ${seq}`.execute(db);
        prevHash = hash;
      }
      await sql`update audit_head set hash = ${prevHash}`.execute(db);
      const now = await verifyAuditChain(db);
      assert.ok(now.ok, 'a full rewrite is not detectable from the database alone');
      assert.equal(now.headSeq, recorded.headSeq);
      assert.notEqual(now.headHash, recorded.headHash, 'the head hash recorded earlier no longer matches');
      // And the recorded hash, compared to the event with that number, names the rewrite.
      assert.notEqual((await row(db, recorded.headSeq)).hash, recorded.headHash);
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`dropping the audit log on ${dialect.name}`, () => {
    for (const table of ['audit_events', 'audit_head']) {
      test(`dropping ${table}: 'removed' at #1 (not taken for a log never created)`, async () => {
        const db = await intactLog(dialect);
        await sql`drop table ${sql.table(table)}`.execute(db);
        const verified = await verifyAuditChain(db);
        assert.equal(verified.ok, false);
        assert.ok(!verified.ok);
        assert.deepEqual({ seq: verified.seq, problem: verified.problem }, { seq: 1, problem: 'removed' });
        assert.match(verified.message, new RegExp(`the table ${table} is missing .*dropped`));
      });
    }
  });
}
