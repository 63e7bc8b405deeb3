/**
 * The operator's services, behind `twofa admin`: find users, reset a lost second factor, lift locks, read and
 * verify the audit log, rotate the master key. They open the database `twofa serve` uses (the same TWOFA_*
 * settings) and reach it only through the store, as every other service does: the CLI imports this module
 * (through the package's index), never store/ or crypto/.
 *
 * Opening creates nothing: with SQLite the database file must already be there (a typo in TWOFA_DATA_DIR
 * must not leave an empty database behind), and the master key is read only by the commands that need it
 * (listing users needs none, so it works without TWOFA_MASTER_KEY).
 */
import { existsSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { type Config, loadConfig } from '../config.ts';
import { describeUnreachable, isUndefinedTable } from '../store/errors.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { type DatabaseKind, openDatabase, sqlitePath } from '../store/open.ts';
import type { Database } from '../store/schema.ts';
import { listUsersPage } from '../store/users-repo.ts';
import { createEventSink, type EventSink } from './events.ts';
import { enrolledFactors } from './factors/index.ts';
import { type FactorKind, ServiceError } from './types.ts';

/** The database cannot be used at all: no database there, or it cannot be reached. */
export class OperatorUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OperatorUnavailableError';
  }
}

/** A user as `twofa admin users list` shows one. Never a secret, hash or code. */
export interface OperatorUser {
  readonly id: string;
  readonly email: string;
  readonly createdAtMs: number;
  /** The second factors the user has (empty: 2FA is off). */
  readonly factors: readonly FactorKind[];
}

export interface OperatorServices {
  readonly kind: DatabaseKind;
  /** Users in email order, at most `limit`, after `afterEmail` when given (for paging). */
  listUsers(input?: { limit?: number; afterEmail?: string }): Promise<OperatorUser[]>;
  /** Closes the database. */
  close(): Promise<void>;
}

export interface OpenOperatorOptions {
  /** The environment to read TWOFA_* from (usually process.env). */
  readonly env: Record<string, string | undefined>;
  /** Receives one JSON line per event (the audit events the operator's changes record). @default no log */
  readonly log?: (line: string) => void;
  /** @default Date.now */
  readonly nowMs?: () => number;
}

/** What the operator's services share. */
export interface OperatorContext {
  readonly config: Config;
  readonly db: Kysely<Database>;
  readonly kind: DatabaseKind;
  readonly nowMs: () => number;
  readonly events: EventSink;
  readonly logLine: (line: string) => void;
}

/** Users listed per page when no limit is given. */
export const DEFAULT_USERS_PAGE = 100;
/** The most users one call lists. */
export const MAX_USERS_PAGE = 10_000;

/**
 * Opens the operator's services on the database the `TWOFA_*` settings name, brought to the latest schema
 * (as `twofa serve` would at start). Throws ConfigError for a bad variable and OperatorUnavailableError when
 * there is no database there or it cannot be reached.
 */
export async function openOperator(options: OpenOperatorOptions): Promise<OperatorServices> {
  const config = loadConfig(options.env);
  if (config.databaseUrl === undefined && !existsSync(sqlitePath(config.dataDir))) {
    throw new OperatorUnavailableError(
      `there is no database at ${sqlitePath(config.dataDir)}: set TWOFA_DATA_DIR (or --data-dir) to the ` +
        'directory twofa serve uses',
    );
  }
  const nowMs = options.nowMs ?? Date.now;
  const logLine = options.log ?? (() => {});
  const { db, kind } = openDatabase(config);
  try {
    await migrateToLatest(db, kind);
  } catch (error) {
    await db.destroy();
    throw unavailable(error);
  }
  const ctx: OperatorContext = {
    config,
    db,
    kind,
    nowMs,
    logLine,
    events: createEventSink({ nowMs, log: logLine }),
  };
  return {
    kind,
    listUsers: (input = {}) => listUsers(ctx, input),
    close: () => db.destroy(),
  };
}

/** An error opening the database, as the operator should read it; anything unexpected is returned as is. */
function unavailable(error: unknown): unknown {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const detail = describeUnreachable(cause) ?? describeUnreachable(error);
  if (detail !== undefined)
    return new OperatorUnavailableError(`cannot read the database: ${detail}`, { cause });
  if (isUndefinedTable(cause)) {
    return new OperatorUnavailableError('the database has no twofa tables yet; start twofa serve once', {
      cause,
    });
  }
  return error;
}

async function listUsers(
  ctx: OperatorContext,
  input: { limit?: number; afterEmail?: string },
): Promise<OperatorUser[]> {
  const limit = input.limit ?? DEFAULT_USERS_PAGE;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_USERS_PAGE) {
    throw new ServiceError('INVALID_INPUT', { field: 'limit' });
  }
  const rows = await listUsersPage(ctx.db, {
    limit,
    ...(input.afterEmail === undefined ? {} : { afterEmail: input.afterEmail.trim().toLowerCase() }),
  });
  return Promise.all(
    rows.map(async (row) => ({
      id: row.id,
      email: row.email,
      createdAtMs: row.created_at_ms,
      factors: await enrolledFactors(ctx.db, row.id),
    })),
  );
}
