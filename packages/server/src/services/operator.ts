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
import { userInfo } from 'node:os';
import type { Kysely } from 'kysely';
import { loadConfig } from '../config.ts';
import { deriveEmailKey, emailKeyOf } from '../crypto/email-key.ts';
import type { Keyring } from '../crypto/secret-box.ts';
import { deleteAccountRecovery } from '../store/account-recoveries-repo.ts';
import { describeUnreachable, isUndefinedTable } from '../store/errors.ts';
import { deleteHotpCredentialsOfUser } from '../store/hotp-credentials-repo.ts';
import { deleteMessageCode } from '../store/message-codes-repo.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { type DatabaseKind, openDatabase, sqlitePath } from '../store/open.ts';
import { countUnusedRecoveryCodes, deleteRecoveryCodesOfUser } from '../store/recovery-codes-repo.ts';
import type { Database, UserRow } from '../store/schema.ts';
import { deleteCredentialsOfUser, findCredential } from '../store/totp-credentials-repo.ts';
import { findUserByEmail, listUsersPage, setMessageFactor } from '../store/users-repo.ts';
import { normalizeEmail } from './accounts.ts';
import { createApiKey, listAllApiKeys, type NewApiKeyInput, revokeApiKeyByIdOrPrefix } from './api-keys.ts';
import { listAuditEvents, type OperatorAuditEvent } from './audit-log.ts';
import { endSessionsAndDevices } from './devices.ts';
import { createEventSink, type DomainEvent } from './events.ts';
import { enrolledFactors } from './factors/index.ts';
import {
  type KeyStatus,
  keyStatus,
  type RotationContext,
  type RotationOptions,
  type RotationReport,
  retireKey,
  rotateKey,
} from './key-rotation.ts';
import { readKeyring } from './keyring.ts';
import { runWithRequestMeta } from './request-meta.ts';
import { clearUserLocks, findUserLocks, type UserLocks } from './throttle.ts';
import { type ApiKeyView, type FactorKind, ServiceError } from './types.ts';

export type { OperatorAuditEvent } from './audit-log.ts';
export type { KeyStatus, RotationOptions, RotationReport } from './key-rotation.ts';
export type { UserLocks } from './throttle.ts';

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

/** One user in detail (`users show`). */
export interface OperatorUserDetail extends OperatorUser {
  /** The authenticator app: active since, and whether a set-up (or replacement) is pending. */
  readonly totp: { readonly activeSinceMs: number | null; readonly pendingSinceMs: number | null };
  readonly recoveryCodesLeft: number;
  /** Null when the master key could not be read (the password window is keyed by it). */
  readonly locks: UserLocks | null;
  /** The user's latest events, newest first. */
  readonly recentEvents: readonly OperatorAuditEvent[];
}

/** What `reset-2fa` removed. */
export interface SecondFactorReset {
  readonly userId: string;
  /** The factors the user had (empty: nothing to remove, and nothing was recorded). */
  readonly factors: readonly FactorKind[];
  readonly recoveryCodesRemoved: number;
  /** A pending account recovery was cancelled with the factors. */
  readonly accountRecoveryCancelled: boolean;
}

/** Codes sent for a second factor: void once the factor is gone. */
const FACTOR_CODE_PURPOSES = ['sign_in_email', 'sign_in_sms'] as const;
/** The links of an account recovery: void once it is cancelled. */
const RECOVERY_LINK_PURPOSES = ['recovery_confirm', 'recovery_cancel'] as const;

/** What `unlock` found closed, and opened. */
export interface Unlocked {
  readonly userId: string;
  /** The limits that were closed: 'codes', 'passwords', 'recovery_codes' (empty: none). */
  readonly cleared: readonly ('codes' | 'passwords' | 'recovery_codes')[];
}

export interface OperatorServices {
  readonly kind: DatabaseKind;
  /** Users in email order, at most `limit`, after `afterEmail` when given (for paging). */
  listUsers(input?: { limit?: number; afterEmail?: string }): Promise<OperatorUser[]>;
  /** One user; throws USER_NOT_FOUND. */
  showUser(email: string): Promise<OperatorUserDetail>;
  /** Removes every second factor (the app, codes by email and text message) and recovery code of the user,
   *  voids codes in flight, cancels a pending account recovery and ends their sessions; audited, and the
   *  owner is told (a notice, sent by the running service). */
  resetSecondFactor(email: string): Promise<SecondFactorReset>;
  /** Lifts the user's code lock, password window and recovery-code window; audited. */
  unlock(email: string): Promise<Unlocked>;
  /** The latest events, newest first: the user's (by email), or everyone's. */
  auditEvents(input: { email?: string; limit: number }): Promise<OperatorAuditEvent[]>;
  keyStatus(): Promise<KeyStatus>;
  /** Makes a new key current and re-seals every secret under it, in batches; resumes an unfinished rotation. */
  rotateKey(options?: RotationOptions): Promise<RotationReport>;
  /**
   * Retires a key no secret needs any more: removed from the key file (or the caller says to remove it from
   * TWOFA_MASTER_KEY). Throws KEY_IN_USE, KEY_IS_CURRENT, ROTATION_UNFINISHED, UNKNOWN_KEY.
   */
  retireKey(keyId: string): Promise<{ keyId: string; removedFrom: 'file' | 'environment' }>;
  /** Makes an API key (the token is returned here only); audited. Throws INVALID_INPUT naming the field. */
  createApiKey(input: NewApiKeyInput): Promise<{ readonly key: ApiKeyView; readonly token: string }>;
  /** Every API key, newest first (revoked ones too), never a secret. */
  listApiKeys(): Promise<ApiKeyView[]>;
  /** Revokes an API key by id or prefix; null when no unrevoked key has it. Audited. */
  revokeApiKey(idOrPrefix: string): Promise<ApiKeyView | null>;
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

/** What the operator's services share (a rotation needs a part of it). */
interface OperatorContext extends RotationContext {
  readonly kind: DatabaseKind;
}

/** Users listed per page when no limit is given. */
export const DEFAULT_USERS_PAGE = 100;
/** The most users (or events) one call lists. */
export const MAX_USERS_PAGE = 10_000;
/** Events `users show` lists. */
const USER_EVENTS_SHOWN = 10;

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
    events: createEventSink({ nowMs, log: options.log ?? (() => {}) }),
    // Read on each need, not once: a rotation in this session changes the current key (and the key file).
    keyring: () => readKeyring(config, db),
  };
  return {
    kind,
    listUsers: (input = {}) => listUsers(ctx, input),
    showUser: (email) => showUser(ctx, email),
    resetSecondFactor: (email) => asOperator(() => resetSecondFactor(ctx, email)),
    unlock: (email) => asOperator(() => unlock(ctx, email)),
    auditEvents: (input) => auditEvents(ctx, input),
    keyStatus: () => keyStatus(ctx),
    rotateKey: (rotation = {}) => asOperator(() => rotateKey(ctx, rotation)),
    retireKey: (keyId) => asOperator(() => retireKey(ctx, keyId)),
    createApiKey: (input) => asOperator(() => createApiKey(ctx, input)),
    listApiKeys: () => listAllApiKeys(ctx),
    revokeApiKey: (idOrPrefix) => asOperator(() => revokeApiKeyByIdOrPrefix(ctx, idOrPrefix)),
    close: () => db.destroy(),
  };
}

/** Runs a change as the operator: its audit rows say `twofa admin` and the account that ran it. */
function asOperator<T>(fn: () => Promise<T>): Promise<T> {
  let account = 'unknown';
  try {
    account = userInfo().username;
  } catch {
    // no passwd entry (a container): the audit row still says it was twofa admin
  }
  return runWithRequestMeta({ ip: null, userAgent: `twofa admin (${account})`, requestId: null }, fn);
}

/** An error opening the database, as the operator should read it; anything unexpected is returned as is. */
function unavailable(error: unknown): unknown {
  const detail = describeUnreachable(error);
  if (detail !== undefined)
    return new OperatorUnavailableError(`cannot read the database: ${detail}`, { cause: error });
  if (isUndefinedTable(error)) {
    return new OperatorUnavailableError('the database has no twofa tables yet; start twofa serve once', {
      cause: error,
    });
  }
  return error;
}

function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_USERS_PAGE) {
    throw new ServiceError('INVALID_INPUT', { field: 'limit' });
  }
}

async function requireUserByEmail(ctx: OperatorContext, email: string): Promise<UserRow> {
  const normalized = normalizeEmail(email);
  if (normalized === undefined) throw new ServiceError('INVALID_EMAIL', { field: 'email' });
  const user = await findUserByEmail(ctx.db, normalized);
  if (user === undefined) throw new ServiceError('USER_NOT_FOUND', { field: 'email' });
  return user;
}

async function listUsers(
  ctx: OperatorContext,
  input: { limit?: number; afterEmail?: string },
): Promise<OperatorUser[]> {
  const limit = input.limit ?? DEFAULT_USERS_PAGE;
  checkLimit(limit);
  const rows = await listUsersPage(ctx.db, {
    limit,
    ...(input.afterEmail === undefined ? {} : { afterEmail: input.afterEmail.trim().toLowerCase() }),
  });
  return Promise.all(rows.map((row) => summaryOf(ctx, row)));
}

async function summaryOf(ctx: OperatorContext, row: UserRow): Promise<OperatorUser> {
  return {
    id: row.id,
    email: row.email,
    createdAtMs: row.created_at_ms,
    factors: await enrolledFactors(ctx.db, row.id),
  };
}

/** The email's throttle keys under every key of the keyring; undefined when the keyring cannot be read. */
async function emailKeysOf(ctx: OperatorContext, email: string): Promise<string[] | undefined> {
  let keyring: Keyring;
  try {
    keyring = await ctx.keyring();
  } catch {
    return undefined;
  }
  return [...keyring.keys.keys()].map((keyId) => emailKeyOf(deriveEmailKey(keyring, keyId), email));
}

async function showUser(ctx: OperatorContext, email: string): Promise<OperatorUserDetail> {
  const user = await requireUserByEmail(ctx, email);
  const active = await findCredential(ctx.db, user.id, 'active');
  const pending = await findCredential(ctx.db, user.id, 'pending');
  const emailKeys = await emailKeysOf(ctx, user.email);
  return {
    ...(await summaryOf(ctx, user)),
    totp: {
      activeSinceMs: active === undefined ? null : (active.confirmed_at_ms ?? active.created_at_ms),
      pendingSinceMs: pending?.created_at_ms ?? null,
    },
    recoveryCodesLeft: await countUnusedRecoveryCodes(ctx.db, user.id),
    locks: emailKeys === undefined ? null : await findUserLocks(ctx, { userId: user.id, emailKeys }),
    recentEvents: await listAuditEvents(ctx.db, { userId: user.id, limit: USER_EVENTS_SHOWN }),
  };
}

async function resetSecondFactor(ctx: OperatorContext, email: string): Promise<SecondFactorReset> {
  const user = await requireUserByEmail(ctx, email);
  return ctx.db.transaction().execute(async (trx) => {
    const factors = await enrolledFactors(trx, user.id);
    const recoveryCodesRemoved = await countUnusedRecoveryCodes(trx, user.id);
    const removed =
      (await deleteCredentialsOfUser(trx, user.id)) + (await deleteHotpCredentialsOfUser(trx, user.id));
    await deleteRecoveryCodesOfUser(trx, user.id);
    // Codes by email and text message off, and their codes in flight void. The phone number stays (a
    // contact for notices, not a factor by itself); the owner can replace it from the security page.
    await setMessageFactor(trx, { id: user.id, channel: 'email', atMs: null });
    await setMessageFactor(trx, { id: user.id, channel: 'sms', atMs: null });
    await deleteMessageCode(trx, { userId: user.id, purposes: FACTOR_CODE_PURPOSES });
    // A pending account recovery ends too: left alone, its wait would end after the owner set up new factors
    // and the password alone would then remove them.
    const recoveryCancelled = await deleteAccountRecovery(trx, user.id);
    if (recoveryCancelled)
      await deleteMessageCode(trx, { userId: user.id, purposes: RECOVERY_LINK_PURPOSES });
    if (factors.length === 0 && removed === 0 && !recoveryCancelled) {
      return { userId: user.id, factors, recoveryCodesRemoved: 0, accountRecoveryCancelled: false };
    }
    // A code lock would outlive the factor it guarded; sessions (pending ones wait for a code that is gone,
    // and whoever holds a full one may be the reason for the reset) end.
    await clearUserLocks({ db: trx }, { userId: user.id, emailKeys: [] });
    await endSessionsAndDevices(ctx, trx, user.id, 'second_factor_reset');
    await record(ctx, trx, {
      type: 'second_factor.reset',
      userId: user.id,
      factors: factors.join(','),
      ...(recoveryCancelled ? { accountRecovery: 'cancelled' as const } : {}),
      by: 'operator',
    });
    return { userId: user.id, factors, recoveryCodesRemoved, accountRecoveryCancelled: recoveryCancelled };
  });
}

async function unlock(ctx: OperatorContext, email: string): Promise<Unlocked> {
  const user = await requireUserByEmail(ctx, email);
  // The password window is keyed by the master key: without it, it cannot be found.
  await ctx.keyring();
  const emailKeys = (await emailKeysOf(ctx, user.email)) ?? [];
  return ctx.db.transaction().execute(async (trx) => {
    const locks = await findUserLocks({ db: trx, nowMs: ctx.nowMs }, { userId: user.id, emailKeys });
    const cleared: Unlocked['cleared'][number][] = [];
    if (locks.codesLockedUntilMs > 0) cleared.push('codes');
    if (locks.passwordsLockedUntilMs > 0) cleared.push('passwords');
    if (locks.recoveryCodesSlowedUntilMs > 0) cleared.push('recovery_codes');
    await clearUserLocks({ db: trx }, { userId: user.id, emailKeys });
    await record(ctx, trx, {
      type: 'account.unlocked',
      userId: user.id,
      cleared: cleared.join(','),
      by: 'operator',
    });
    return { userId: user.id, cleared };
  });
}

function record(ctx: OperatorContext, trx: Kysely<Database>, event: DomainEvent): Promise<void> {
  return ctx.events.record(trx, event);
}

async function auditEvents(
  ctx: OperatorContext,
  input: { email?: string; limit: number },
): Promise<OperatorAuditEvent[]> {
  checkLimit(input.limit);
  if (input.email === undefined) return listAuditEvents(ctx.db, { limit: input.limit });
  const user = await requireUserByEmail(ctx, input.email);
  return listAuditEvents(ctx.db, { userId: user.id, limit: input.limit });
}
