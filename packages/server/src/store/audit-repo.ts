/**
 * The audit log's tables. Appending is three statements on the caller's transaction: advance the head
 * (which serialises appenders), insert the row, record its hash in the head. Rows are never updated or
 * deleted here.
 */
import { type Kysely, sql } from 'kysely';
import { compiledOnce, valuesOf } from './compiled-query.ts';
import { isUndefinedTable } from './errors.ts';
import type { AuditEventRow, AuditHeadRow, Database, NewAuditEvent } from './schema.ts';

/** The head is one row with this id. */
const HEAD_ID = 1;

// Appending is on the path of every sign-in event: its three statements are compiled once
// (store/compiled-query.ts).
const advanceHeadQuery = compiledOnce((db, input: { headId: number }) =>
  db
    .updateTable('audit_head')
    .set((eb) => ({ seq: eb('seq', '+', 1) }))
    .where('id', '=', input.headId)
    .returning(['seq', 'hash']),
);
const EVENT_COLUMNS = [
  'seq',
  'at_ms',
  'user_id',
  'type',
  'ip',
  'user_agent',
  'request_id',
  'details',
  'prev_hash',
  'hash',
] as const;
const insertEventQuery = compiledOnce((db, row: Required<NewAuditEvent>) =>
  db.insertInto('audit_events').values(valuesOf(row, EVENT_COLUMNS)),
);
const setHeadHashQuery = compiledOnce((db, input: { headId: number; seq: number; hash: string }) =>
  db
    .updateTable('audit_head')
    .set({ hash: input.hash })
    .where('id', '=', input.headId)
    .where('seq', '=', input.seq),
);

/**
 * Takes the next event number and returns it with the hash the new event must chain from. One
 * `UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash`: PostgreSQL holds the row lock
 * until the transaction ends, so a concurrent appender (on any instance) waits, then re-reads the row
 * and sees this transaction's number and hash; SQLite runs one write transaction at a time. A transaction
 * that rolls back gives its number back with it, so the numbers have no gaps.
 */
export async function advanceAuditHead(trx: Kysely<Database>): Promise<{ seq: number; prevHash: string }> {
  const row = (await advanceHeadQuery.execute(trx, { headId: HEAD_ID })).rows[0];
  if (row === undefined) throw new Error('the audit log head (audit_head, id 1) is missing');
  return { seq: row.seq, prevHash: row.hash };
}

export async function insertAuditEvent(trx: Kysely<Database>, row: NewAuditEvent): Promise<void> {
  await insertEventQuery.execute(trx, {
    ...row,
    user_id: row.user_id ?? null,
    ip: row.ip ?? null,
    user_agent: row.user_agent ?? null,
    request_id: row.request_id ?? null,
  });
}

/** Records the hash of the event just inserted as the one the next event chains from. */
export async function setAuditHeadHash(
  trx: Kysely<Database>,
  head: { seq: number; hash: string },
): Promise<void> {
  const result = await setHeadHashQuery.execute(trx, { headId: HEAD_ID, seq: head.seq, hash: head.hash });
  // The head row is locked by this transaction since advanceAuditHead, so it still holds our number.
  if (result.numAffectedRows !== 1n) {
    throw new Error(`the audit log head moved past event #${head.seq} inside its own transaction`);
  }
}

/** A user's events, newest first. */
export async function listAuditEventsOfUser(
  db: Kysely<Database>,
  input: { userId: string; limit: number },
): Promise<AuditEventRow[]> {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('user_id', '=', input.userId)
    .orderBy('seq', 'desc')
    .limit(input.limit)
    .execute();
}

/** The latest events of everyone, newest first. */
export async function listLatestAuditEvents(
  db: Kysely<Database>,
  input: { limit: number },
): Promise<AuditEventRow[]> {
  return db.selectFrom('audit_events').selectAll().orderBy('seq', 'desc').limit(input.limit).execute();
}

/** Up to `limit` events numbered after `afterSeq`, in order (for walking the log in batches). */
export async function readAuditEvents(
  db: Kysely<Database>,
  input: { afterSeq: number; limit: number },
): Promise<AuditEventRow[]> {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where('seq', '>', input.afterSeq)
    .orderBy('seq', 'asc')
    .limit(input.limit)
    .execute();
}

/** The head: the last number given out and the hash of that event (undefined if its row is missing). */
export async function readAuditHead(db: Kysely<Database>): Promise<AuditHeadRow | undefined> {
  return db.selectFrom('audit_head').selectAll().where('id', '=', HEAD_ID).executeTakeFirst();
}

/** The migration that creates the audit tables, as migrate.ts names it. */
const AUDIT_MIGRATION = '0003-audit';

/**
 * Whether Kysely's bookkeeping records the audit tables as created: tells a database never migrated this
 * far from one whose audit tables were dropped afterwards.
 */
export async function isAuditMigrationRecorded(db: Kysely<Database>): Promise<boolean> {
  try {
    const { rows } = await sql<{
      name: string;
    }>`select name from kysely_migration where name = ${AUDIT_MIGRATION}`.execute(db);
    return rows.length > 0;
  } catch (error) {
    if (isUndefinedTable(error)) return false;
    throw error;
  }
}

/** The `seq` of the user's latest `limit` events of one type, newest first (through the (user, seq) index). */
export async function listEventSeqsOfUser(
  db: Kysely<Database>,
  input: { userId: string; type: string; limit: number },
): Promise<number[]> {
  const rows = await db
    .selectFrom('audit_events')
    .select('seq')
    .where('user_id', '=', input.userId)
    .where('type', '=', input.type)
    .orderBy('seq', 'desc')
    .limit(input.limit)
    .execute();
  return rows.map((row) => row.seq);
}

/**
 * The user's events of one type numbered strictly between two events whose canonical details contain
 * `detailsContain` (details are canonical JSON, sorted keys without spaces, so a fragment such as
 * `"step":"second_factor"` matches alike on every dialect): how many, and the latest of them.
 */
export async function summarizeEventsBetween(
  db: Kysely<Database>,
  input: { userId: string; type: string; detailsContain: string; afterSeq: number; beforeSeq: number },
): Promise<{ count: number; latest: AuditEventRow | undefined }> {
  const between = db
    .selectFrom('audit_events')
    .where('user_id', '=', input.userId)
    .where('seq', '>', input.afterSeq)
    .where('seq', '<', input.beforeSeq)
    .where('type', '=', input.type)
    .where('details', 'like', `%${input.detailsContain}%`);
  const counted = await between.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirst();
  const latest = await between.selectAll().orderBy('seq', 'desc').limit(1).executeTakeFirst();
  return { count: Number(counted?.count ?? 0), latest };
}
