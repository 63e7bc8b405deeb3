/**
 * Runs the migrations at start. On PostgreSQL the whole run (including creating Kysely's bookkeeping
 * tables) happens under a session-level advisory lock held on one pooled connection, so several instances
 * starting at once take turns instead of racing on CREATE TABLE.
 */
import { type Kysely, sql } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import * as initial from './migrations/0001-initial.ts';
import * as throttle from './migrations/0002-throttle.ts';
import * as audit from './migrations/0003-audit.ts';
import * as recoveryCodes from './migrations/0004-recovery-codes.ts';
import * as api from './migrations/0006-api.ts';
import * as keyRotation from './migrations/0007-key-rotation.ts';
import * as messages from './migrations/0008-messages.ts';
import * as emailFactor from './migrations/0009-email-factor.ts';
import * as phone from './migrations/0010-phone.ts';
import * as accountRecovery from './migrations/0011-account-recovery.ts';
import * as codeBudget from './migrations/0012-code-budget.ts';
import * as trustedDevices from './migrations/0013-trusted-devices.ts';
import * as passwordChecksInFlight from './migrations/0014-password-checks-in-flight.ts';
import * as hotp from './migrations/0015-hotp.ts';
import * as totpSkew from './migrations/0016-totp-skew.ts';
import type { DatabaseKind } from './open.ts';
import type { Database } from './schema.ts';

/** Every migration, in order. Static so that no file-system scan is needed (and bundling stays possible). */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-throttle': throttle,
  '0003-audit': audit,
  '0004-recovery-codes': recoveryCodes,
  '0006-api': api,
  '0007-key-rotation': keyRotation,
  '0008-messages': messages,
  '0009-email-factor': emailFactor,
  '0010-phone': phone,
  '0011-account-recovery': accountRecovery,
  '0012-code-budget': codeBudget,
  '0013-trusted-devices': trustedDevices,
  '0014-password-checks-in-flight': passwordChecksInFlight,
  '0015-hotp': hotp,
  '0016-totp-skew': totpSkew,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

/** An arbitrary 64-bit key that names "twofa migrations" among advisory locks in the database. */
export const ADVISORY_LOCK_KEY = 7_430_102_886_114_301n;

/** Brings the schema up to date; returns the names of the migrations applied now. */
export async function migrateToLatest(db: Kysely<Database>, kind: DatabaseKind): Promise<string[]> {
  if (kind === 'sqlite') return run(db, undefined);
  return db.connection().execute(async (lockConnection) => {
    await sql`select pg_advisory_lock(${sql.lit(ADVISORY_LOCK_KEY)})`.execute(lockConnection);
    try {
      // Kysely's introspection sees every schema; naming ours keeps another schema's (or another app's)
      // migration table from being mistaken for this one.
      const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(
        lockConnection,
      );
      return await run(db, rows[0]?.schema);
    } finally {
      await sql`select pg_advisory_unlock(${sql.lit(ADVISORY_LOCK_KEY)})`.execute(lockConnection);
    }
  });
}

async function run(db: Kysely<Database>, schema: string | undefined): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${(error as Error).message ?? error}`);
  }
  return (results ?? [])
    .filter((result) => result.status === 'Success')
    .map((result) => result.migrationName);
}
