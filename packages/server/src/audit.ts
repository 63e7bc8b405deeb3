/**
 * For operators: `verifyAuditLog()` checks the audit log's hash chain in the database `twofa serve` uses
 * (same TWOFA_* settings), behind `twofa audit verify`. Read-only: it runs no migrations and needs no
 * master key (the chain is plain SHA-256), and it creates nothing, not even an empty SQLite file.
 */
import { existsSync } from 'node:fs';
import { loadConfig } from './config.ts';
import { type AuditVerification, verifyAuditChain } from './services/audit-log.ts';
import { describeUnreachable, isUndefinedTable } from './store/errors.ts';
import { openDatabase, sqlitePath } from './store/open.ts';

export type { AuditVerification } from './services/audit-log.ts';

/** The log cannot be checked at all: no database there, no audit tables yet, or the database is unreachable. */
export class AuditLogUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AuditLogUnavailableError';
  }
}

/**
 * Walks the audit log's chain: `{ ok: true, count, headSeq, headHash }` when intact, else the first event
 * changed, removed or inserted. Throws ConfigError for a bad `TWOFA_*` variable and AuditLogUnavailableError
 * when there is nothing to check or the database cannot be reached.
 */
export async function verifyAuditLog(options: {
  env: Record<string, string | undefined>;
}): Promise<AuditVerification> {
  const config = loadConfig(options.env);
  if (config.databaseUrl === undefined && !existsSync(sqlitePath(config.dataDir))) {
    throw new AuditLogUnavailableError(
      `there is no database at ${sqlitePath(config.dataDir)}: set TWOFA_DATA_DIR (or --data-dir) to the ` +
        'directory twofa serve uses',
    );
  }
  const { db } = openDatabase(config);
  try {
    return await verifyAuditChain(db);
  } catch (error) {
    if (isUndefinedTable(error)) {
      throw new AuditLogUnavailableError('the database has no audit log yet; start twofa serve once', {
        cause: error,
      });
    }
    const detail = describeUnreachable(error);
    if (detail !== undefined) {
      throw new AuditLogUnavailableError(`cannot read the database: ${detail}`, { cause: error });
    }
    throw error;
  } finally {
    await db.destroy();
  }
}
