/**
 * Audit log fixtures: a fresh migrated database per dialect, sample records, and the chain's hash rule
 * written out again from the README (not imported from src), so a forged row is made as an attacker who
 * read the documentation would make it, and a drift between the code and the documented format shows.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { type AuditRecord, appendAuditRecord } from '../../src/services/audit-log.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { openDatabase } from '../../src/store/open.ts';
import type { Database } from '../../src/store/schema.ts';
import type { TestDialect } from './dialects.ts';

export const AUDIT_T0 = 1_700_000_000_000;

/** A fresh database on `dialect`, migrated; the caller destroys `db`. */
export async function openAuditDatabase(dialect: TestDialect) {
  const config = await dialect.makeConfig();
  const opened = openDatabase(config);
  await migrateToLatest(opened.db, opened.kind);
  return { ...opened, config };
}

/** The n-th sample event (n from 1): users, types and details vary so every column takes part. */
export function sampleRecord(n: number, fields: Partial<AuditRecord> = {}): AuditRecord {
  const users = ['user-alice', 'user-bob', null] as const;
  const types = ['login.succeeded', 'login.failed', 'totp.enabled', 'password.changed'] as const;
  return {
    atMs: AUDIT_T0 + n * 1000,
    userId: users[n % users.length] ?? null,
    type: types[n % types.length]!,
    ip: n % 5 === 0 ? null : `192.0.2.${n % 250}`,
    userAgent: n % 4 === 0 ? null : `Mozilla/5.0 (test ${n}) "quoted" é`,
    requestId: `req-${n}`,
    details: { n, method: n % 2 === 0 ? 'totp' : 'password', remembered: n % 3 === 0 },
    ...fields,
  };
}

/** Appends sample events `from`..`to`, each in its own transaction. */
export async function appendSamples(db: Kysely<Database>, from: number, to: number): Promise<void> {
  for (let n = from; n <= to; n++) {
    await db.transaction().execute((trx) => appendAuditRecord(trx, sampleRecord(n)));
  }
}

/** A stored row's columns, as raw SQL reads them. */
export interface RawAuditRow {
  seq: number;
  at_ms: number;
  user_id: string | null;
  type: string;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

/**
 * The README's rule: hex SHA-256 of `prev_hash + "\n" + JSON.stringify([seq, at_ms, user_id, type, ip,
 * user_agent, request_id, details])`.
 */
export function documentedHash(row: Omit<RawAuditRow, 'hash'>): string {
  const content = JSON.stringify([
    row.seq,
    row.at_ms,
    row.user_id,
    row.type,
    row.ip,
    row.user_agent,
    row.request_id,
    row.details,
  ]);
  return createHash('sha256').update(`${row.prev_hash}\n${content}`).digest('hex');
}
