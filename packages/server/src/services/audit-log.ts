/**
 * The tamper-evident audit log: appending an event inside the caller's transaction, walking the chain to
 * find the first event that was changed, removed or inserted, and a user's recent events for the security
 * page. The hash rules are in crypto/audit-hash.ts; the statements in store/audit-repo.ts.
 */
import type { Kysely } from 'kysely';
import { auditHash, canonicalAuditContent, canonicalJson, GENESIS_HASH } from '../crypto/audit-hash.ts';
import {
  advanceAuditHead,
  insertAuditEvent,
  isAuditMigrationRecorded,
  listAuditEventsOfUser,
  listLatestAuditEvents,
  readAuditEvents,
  readAuditHead,
  setAuditHeadHash,
} from '../store/audit-repo.ts';
import { isUndefinedTable } from '../store/errors.ts';
import type { AuditEventRow, Database } from '../store/schema.ts';

/** One event as the services describe it. Never put a password, code, secret, token or session id in it. */
export interface AuditRecord {
  atMs: number;
  userId: string | null;
  type: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, string | number | boolean>;
}

/** What `verifyAuditChain` found: the whole chain intact, or the first event where it breaks. */
export type AuditVerification =
  | { ok: true; count: number; headSeq: number; headHash: string }
  | {
      ok: false;
      /** Events verified intact before the problem. */
      count: number;
      /** The event at fault (the first missing one for 'removed' and 'head'; 0 when the head row is gone). */
      seq: number;
      problem: 'changed' | 'removed' | 'inserted' | 'head';
      /** Names the event and what happened, for an operator. */
      message: string;
    };

/** An event as the security page shows it. */
export interface UserAuditEvent {
  seq: number;
  atMs: number;
  type: string;
  ip: string | null;
  userAgent: string | null;
  details: Record<string, string | number | boolean>;
}

/** Events read per query while verifying: bounded memory whatever the log's length. */
const VERIFY_BATCH_SIZE = 1000;

/**
 * Appends one event on `trx`, which the caller owns (a caller without one wraps this in
 * `db.transaction().execute`): the event commits or rolls back with the change it records. Advancing the
 * head first serialises concurrent appenders, on every instance, until this transaction ends.
 */
export async function appendAuditRecord(trx: Kysely<Database>, record: AuditRecord): Promise<void> {
  const details = checkRecord(record);
  const { seq, prevHash } = await advanceAuditHead(trx);
  const content = {
    seq,
    at_ms: record.atMs,
    user_id: record.userId,
    type: record.type,
    ip: record.ip,
    user_agent: record.userAgent,
    request_id: record.requestId,
    details,
  };
  const hash = auditHash(prevHash, canonicalAuditContent(content));
  await insertAuditEvent(trx, { ...content, prev_hash: prevHash, hash });
  await setAuditHeadHash(trx, { seq, hash });
}

/** Refuses a record that could not be stored or read back as given; returns its canonical details. */
function checkRecord(record: AuditRecord): string {
  if (!Number.isSafeInteger(record.atMs) || record.atMs < 0) {
    throw new RangeError(
      `audit record atMs must be a whole number of milliseconds since 1970, got ${record.atMs}`,
    );
  }
  if (typeof record.type !== 'string' || record.type === '') {
    throw new TypeError('audit record type must be a non-empty string');
  }
  const { details } = record;
  if (typeof details !== 'object' || details === null || Array.isArray(details)) {
    throw new TypeError('audit record details must be an object');
  }
  for (const [key, value] of Object.entries(details)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new TypeError(`audit record details.${key} must be a string, number or boolean`);
    }
  }
  try {
    return canonicalJson(details);
  } catch (error) {
    throw new TypeError(`audit record details: ${(error as Error).message}`);
  }
}

/** The last event accepted while walking (the genesis before the first). */
interface Link {
  seq: number;
  hash: string;
  /** The hash it chains from; undefined for the genesis. */
  prevHash: string | undefined;
}

type Problem = Extract<AuditVerification, { ok: false }>;
type Finding = Omit<Problem, 'ok' | 'count'>;

/**
 * Walks the whole log in order, in one read-only snapshot (REPEATABLE READ on PostgreSQL, one read
 * transaction on SQLite), so events appended meanwhile neither appear half-way nor look like tampering.
 * Returns the first problem, or the count and the head when every link holds. Audit tables dropped after
 * the migration created them are a problem found ('removed'); a database never migrated that far makes
 * this throw the driver's undefined-table error.
 */
export async function verifyAuditChain(db: Kysely<Database>): Promise<AuditVerification> {
  try {
    return await walkAuditChain(db);
  } catch (error) {
    if (isUndefinedTable(error) && (await isAuditMigrationRecorded(db))) {
      const table = /audit_head/.test((error as Error).message) ? 'audit_head' : 'audit_events';
      return fail(0, {
        seq: 1,
        problem: 'removed',
        message: `the table ${table} is missing although the migration that created it ran: the audit log was dropped`,
      });
    }
    throw error;
  }
}

async function walkAuditChain(db: Kysely<Database>): Promise<AuditVerification> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      const head = await readAuditHead(trx);
      if (head === undefined) {
        return fail(0, {
          seq: 0,
          problem: 'head',
          message: 'the head of the audit log (audit_head, id 1) is missing: it was deleted',
        });
      }
      let last: Link = { seq: 0, hash: GENESIS_HASH, prevHash: undefined };
      let count = 0;
      for (;;) {
        const rows = await readAuditEvents(trx, { afterSeq: last.seq, limit: VERIFY_BATCH_SIZE });
        for (const row of rows) {
          const finding = judgeEvent(last, row) ?? beyondHead(row, head.seq);
          if (finding !== undefined) return fail(count, finding);
          last = { seq: row.seq, hash: row.hash, prevHash: row.prev_hash };
          count++;
        }
        if (rows.length < VERIFY_BATCH_SIZE) break;
      }
      const finding = judgeEnd(last, head);
      if (finding !== undefined) return fail(count, finding);
      return { ok: true, count, headSeq: head.seq, headHash: head.hash };
    });
}

/** `accepted` events (1 to `accepted`) passed; the count reported is of those before the event at fault. */
function fail(accepted: number, finding: Finding): Problem {
  return { ok: false, count: Math.max(0, Math.min(accepted, finding.seq - 1)), ...finding };
}

/**
 * Judges one event against the last one accepted. Honest appends give each event the number after the
 * last one and chain it from the last one's hash, and its own hash covers its number and content; so:
 * - it chains from the same event the last one chains from: the last one was slipped in between them
 *   (rows renumbered to make room, or given a number out of turn) -> 'inserted', the last one;
 * - its number skips ahead and it does not chain from the last one: the events between are gone ->
 *   'removed', the first missing number (checked before its own hash: that is the first problem by number);
 * - its own hash does not match its content (or its number, or its prev_hash) -> 'changed', this one;
 * - its hash is right and it chains from the last one, but its number is not the next: a forged event
 *   numbered by someone other than the log -> 'inserted', this one;
 * - its hash is right and it has the next number, but chains from a hash the last one does not have: the
 *   last one was rewritten with a recomputed hash (or deleted and forged in place), and this one still
 *   chains from the original -> 'changed', the last one (this one, when there is no last one).
 */
function judgeEvent(last: Link, row: AuditEventRow): Finding | undefined {
  const next = last.seq + 1;
  const links = row.prev_hash === last.hash;
  const selfConsistent = auditHash(row.prev_hash, canonicalAuditContent(row)) === row.hash;
  if (links && selfConsistent && row.seq === next) return undefined;

  if (last.prevHash !== undefined && row.prev_hash === last.prevHash) {
    return {
      seq: last.seq,
      problem: 'inserted',
      message: `event #${last.seq} was inserted: the event after it chains to the event before it, skipping it`,
    };
  }
  if (row.seq > next && !links) {
    const missing = row.seq - 1 === next ? `event #${next} is` : `events #${next} to #${row.seq - 1} are`;
    return {
      seq: next,
      problem: 'removed',
      message: `${missing} missing (removed): the log goes from #${last.seq} to #${row.seq}`,
    };
  }
  if (!selfConsistent) {
    return {
      seq: row.seq,
      problem: 'changed',
      message: `event #${row.seq} was changed: its stored hash does not match its content`,
    };
  }
  if (links) {
    return {
      seq: row.seq,
      problem: 'inserted',
      message: `event #${row.seq} was inserted: it chains from event #${last.seq} but is numbered #${row.seq}, not #${next}`,
    };
  }
  if (row.seq === next) {
    if (last.seq === 0) {
      return {
        seq: row.seq,
        problem: 'changed',
        message: `event #${row.seq} was changed: the first event does not chain from the start of the log`,
      };
    }
    return {
      seq: last.seq,
      problem: 'changed',
      message: `event #${last.seq} was changed and its hash recomputed: event #${row.seq} still chains from the original`,
    };
  }
  return {
    seq: row.seq,
    problem: 'inserted',
    message: `event #${row.seq} was inserted: it is numbered out of order after event #${last.seq}`,
  };
}

/** The head counts every event appended; an event numbered past it was not appended through the log. */
function beyondHead(row: AuditEventRow, headSeq: number): Finding | undefined {
  if (row.seq <= headSeq) return undefined;
  return {
    seq: row.seq,
    problem: 'inserted',
    message: `event #${row.seq} was inserted: the head records only ${headSeq} events (or the head was changed)`,
  };
}

/** After the last event: the head must name it and hold its hash. */
function judgeEnd(last: Link, head: { seq: number; hash: string }): Finding | undefined {
  if (last.seq < head.seq) {
    const missing =
      head.seq === last.seq + 1 ? `event #${head.seq} is` : `events #${last.seq + 1} to #${head.seq} are`;
    return {
      seq: last.seq + 1,
      problem: 'head',
      message: `${missing} missing at the end (removed): the head records ${head.seq} events, the log stops at #${last.seq}`,
    };
  }
  if (last.hash !== head.hash) {
    return {
      seq: last.seq,
      problem: 'head',
      message: `event #${last.seq}, the last, does not match the hash the head recorded: it or the head was changed`,
    };
  }
  return undefined;
}

/** A user's most recent events, newest first, with their details parsed (for the security page). */
export async function listUserAuditEvents(
  db: Kysely<Database>,
  userId: string,
  limit = 20,
): Promise<UserAuditEvent[]> {
  const rows = await listAuditEventsOfUser(db, { userId, limit });
  return rows.map(viewOf);
}

/** An event as an operator reads it: whose it is, and the request it came with. */
export interface OperatorAuditEvent extends UserAuditEvent {
  userId: string | null;
  requestId: string | null;
}

/** The latest events, newest first: the user's (`userId`), or everyone's. */
export async function listAuditEvents(
  db: Kysely<Database>,
  input: { userId?: string; limit: number },
): Promise<OperatorAuditEvent[]> {
  const rows =
    input.userId === undefined
      ? await listLatestAuditEvents(db, { limit: input.limit })
      : await listAuditEventsOfUser(db, { userId: input.userId, limit: input.limit });
  return rows.map((row) => ({ ...viewOf(row), userId: row.user_id, requestId: row.request_id }));
}

function viewOf(row: AuditEventRow): UserAuditEvent {
  return {
    seq: row.seq,
    atMs: row.at_ms,
    type: row.type,
    ip: row.ip,
    userAgent: row.user_agent,
    details: parseDetails(row.details),
  };
}

/** Details as stored; a row damaged by hand shows none rather than breaking the page (verify names it). */
function parseDetails(text: string): UserAuditEvent['details'] {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as UserAuditEvent['details'];
    }
  } catch {
    // fall through
  }
  return {};
}
