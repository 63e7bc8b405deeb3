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
import { hostname, userInfo } from 'node:os';
import type { Kysely } from 'kysely';
import { type Config, loadConfig } from '../config.ts';
import { deriveEmailKey, emailKeyOf } from '../crypto/email-key.ts';
import {
  type Keyring,
  openSecret,
  SecretBoxError,
  sealSecret,
  totpSecretContext,
} from '../crypto/secret-box.ts';
import { describeUnreachable, isUndefinedTable } from '../store/errors.ts';
import {
  addResealed,
  clearPreviousKey,
  countByKeyId,
  finishRotation,
  listLiveInstances,
  listSecretsNotUnder,
  readKeyState,
  startRotation,
} from '../store/key-state-repo.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { type DatabaseKind, openDatabase, sqlitePath } from '../store/open.ts';
import { countUnusedRecoveryCodes, deleteRecoveryCodesOfUser } from '../store/recovery-codes-repo.ts';
import type { Database, UserRow } from '../store/schema.ts';
import { deleteSessionsOfUser } from '../store/sessions-repo.ts';
import {
  deleteCredentialsOfUser,
  findCredential,
  updateSealedSecret,
} from '../store/totp-credentials-repo.ts';
import { findUserByEmail, listUsersPage } from '../store/users-repo.ts';
import { normalizeEmail } from './accounts.ts';
import { listAuditEvents, type OperatorAuditEvent } from './audit-log.ts';
import { createEventSink, type DomainEvent, type EventSink } from './events.ts';
import { enrolledFactors } from './factors/index.ts';
import { addKeyToFile, masterKeyPath, readKeyring, removeKeyFromFile } from './keyring.ts';
import { INSTANCE_ALIVE_MS, KEY_STATE_POLL_MS, ROTATION_BATCH_SIZE } from './limits.ts';
import { runWithRequestMeta } from './request-meta.ts';
import { clearUserLocks, findUserLocks, type UserLocks } from './throttle.ts';
import { type FactorKind, ServiceError } from './types.ts';

export type { OperatorAuditEvent } from './audit-log.ts';
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
}

/** What `unlock` found closed, and opened. */
export interface Unlocked {
  readonly userId: string;
  /** The limits that were closed: 'codes', 'passwords', 'recovery_codes' (empty: none). */
  readonly cleared: readonly ('codes' | 'passwords' | 'recovery_codes')[];
}

/** Where the master key stands (`rotate-key --status`). */
export interface KeyStatus {
  /** The key new secrets are sealed under (the database's, else the first of the list). */
  readonly currentKeyId: string;
  /** Where that comes from: the database (after a rotation) or the order of the list. */
  readonly currentFrom: 'database' | 'list';
  readonly previousKeyId: string | null;
  readonly rotation: {
    readonly startedAtMs: number;
    readonly finishedAtMs: number | null;
    readonly resealed: number;
  } | null;
  /** Stored secrets and unused recovery codes per key id. */
  readonly keysInUse: readonly { keyId: string; totpSecrets: number; recoveryCodes: number }[];
  /** The key ids this command's keyring holds (null when it could not be read). */
  readonly keyringKeyIds: readonly string[] | null;
  /** Where the keys come from: the key file (SQLite default) or TWOFA_MASTER_KEY. */
  readonly keySource: { readonly kind: 'file'; readonly path: string } | { readonly kind: 'environment' };
  /** Running instances (heartbeat within INSTANCE_ALIVE_MS) and the key ids each holds. */
  readonly instances: readonly {
    host: string;
    pid: number;
    keyIds: readonly string[];
    currentKeyId: string;
    seenAtMs: number;
  }[];
}

export interface RotationOptions {
  /** The key to make current: an id in TWOFA_MASTER_KEY; with the key file, omit it and one is generated. */
  readonly toKeyId?: string;
  /** @default ROTATION_BATCH_SIZE */
  readonly batchSize?: number;
  /** How long to wait after making the key current, so every instance has seen it. @default 2 * KEY_STATE_POLL_MS */
  readonly propagationMs?: number;
  /** Called after each committed batch (progress; a test pauses here). */
  readonly onBatch?: (progress: { batches: number; resealed: number }) => Promise<void>;
  /** Called once the new key is current, before the wait (e.g. to say that the key file changed). */
  readonly onStarted?: (started: { keyId: string; previousKeyId: string; resumed: boolean }) => void;
}

/** What a rotation did. */
export interface RotationReport {
  readonly keyId: string;
  readonly previousKeyId: string;
  /** This run resumed a rotation an earlier run started (and did not finish). */
  readonly resumed: boolean;
  /** Secrets re-sealed by this run. */
  readonly resealed: number;
  /** Secrets that could not be opened (damaged, or under a key the keyring lacks): the rotation is unfinished. */
  readonly failed: readonly string[];
  readonly finished: boolean;
  /** Unused recovery codes still hashed under other keys (one-way: they cannot be re-hashed). */
  readonly recoveryCodesUnderOtherKeys: number;
}

export interface OperatorServices {
  readonly kind: DatabaseKind;
  /** Users in email order, at most `limit`, after `afterEmail` when given (for paging). */
  listUsers(input?: { limit?: number; afterEmail?: string }): Promise<OperatorUser[]>;
  /** One user; throws USER_NOT_FOUND. */
  showUser(email: string): Promise<OperatorUserDetail>;
  /** Removes every second factor and recovery code of the user and ends their sessions; audited. */
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
interface OperatorContext {
  readonly config: Config;
  readonly db: Kysely<Database>;
  readonly kind: DatabaseKind;
  readonly nowMs: () => number;
  readonly events: EventSink;
  /** The keyring (read, never created), on first use. */
  readonly keyring: () => Promise<Keyring>;
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
  let keyring: Promise<Keyring> | undefined;
  const ctx: OperatorContext = {
    config,
    db,
    kind,
    nowMs,
    events: createEventSink({ nowMs, log: options.log ?? (() => {}) }),
    keyring: () => {
      keyring ??= readKeyring(config, db);
      return keyring;
    },
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
    const removed = await deleteCredentialsOfUser(trx, user.id);
    await deleteRecoveryCodesOfUser(trx, user.id);
    if (factors.length === 0 && removed === 0) return { userId: user.id, factors, recoveryCodesRemoved: 0 };
    // A code lock would outlive the factor it guarded; sessions (pending ones wait for a code that is gone,
    // and whoever holds a full one may be the reason for the reset) end.
    await clearUserLocks({ db: trx }, { userId: user.id, emailKeys: [] });
    await deleteSessionsOfUser(trx, user.id);
    await record(ctx, trx, {
      type: 'second_factor.reset',
      userId: user.id,
      factors: factors.join(','),
      by: 'operator',
    });
    return { userId: user.id, factors, recoveryCodesRemoved };
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

function keySourceOf(config: Config): KeyStatus['keySource'] {
  return config.masterKey === undefined
    ? { kind: 'file', path: masterKeyPath(config.dataDir) }
    : { kind: 'environment' };
}

async function keyStatus(ctx: OperatorContext): Promise<KeyStatus> {
  const state = await readKeyState(ctx.db);
  let keyring: Keyring | undefined;
  try {
    keyring = await ctx.keyring();
  } catch {
    keyring = undefined;
  }
  const instances = await listLiveInstances(ctx.db, ctx.nowMs() - INSTANCE_ALIVE_MS);
  return {
    currentKeyId: state?.current_key_id ?? keyring?.currentKeyId ?? 'unknown',
    currentFrom: state === undefined ? 'list' : 'database',
    previousKeyId: state?.previous_key_id ?? null,
    rotation:
      state?.rotation_started_at_ms === null || state === undefined
        ? null
        : {
            startedAtMs: state.rotation_started_at_ms,
            finishedAtMs: state.rotation_finished_at_ms,
            resealed: Number(state.resealed),
          },
    keysInUse: await countByKeyId(ctx.db),
    keyringKeyIds: keyring === undefined ? null : [...keyring.keys.keys()],
    keySource: keySourceOf(ctx.config),
    instances: instances.map((row) => ({
      host: row.host,
      pid: row.pid,
      keyIds: row.key_ids.split(','),
      currentKeyId: row.current_key_id,
      seenAtMs: row.seen_at_ms,
    })),
  };
}

/** A new key id for a generated key: `k` and the date and time (UTC), e.g. `k20261130-011205`. */
function newKeyId(nowMs: number): string {
  const iso = new Date(nowMs).toISOString();
  return `k${iso.slice(0, 10).replaceAll('-', '')}-${iso.slice(11, 19).replaceAll(':', '')}`;
}

async function rotateKey(ctx: OperatorContext, options: RotationOptions): Promise<RotationReport> {
  let keyring = await ctx.keyring();
  const state = await readKeyState(ctx.db);
  const unfinished =
    state !== undefined && state.rotation_finished_at_ms === null && state.previous_key_id !== null;
  let target: string;
  let previous: string;
  if (unfinished) {
    // Resume: the key the interrupted run made current stays the target.
    target = state.current_key_id;
    previous = state.previous_key_id!;
    if (options.toKeyId !== undefined && options.toKeyId !== target) {
      throw new ServiceError('ROTATION_UNFINISHED', { field: 'to' });
    }
    if (!keyring.keys.has(target)) throw new ServiceError('UNKNOWN_KEY', { field: 'to' });
  } else {
    previous = keyring.currentKeyId;
    const source = keySourceOf(ctx.config);
    if (options.toKeyId === undefined) {
      // The key file (SQLite): make a key, add it at the end (not current until the database says so).
      if (source.kind !== 'file') throw new ServiceError('INVALID_INPUT', { field: 'to' });
      target = newKeyId(ctx.nowMs());
      if (keyring.keys.has(target)) throw new ServiceError('KEY_IS_CURRENT', { field: 'to' });
      keyring = { currentKeyId: keyring.currentKeyId, keys: (await addKeyToFile(source.path, target)).keys };
    } else {
      target = options.toKeyId;
      if (!keyring.keys.has(target)) throw new ServiceError('UNKNOWN_KEY', { field: 'to' });
      if (target === previous) throw new ServiceError('KEY_IS_CURRENT', { field: 'to' });
    }
    await refuseIfAnInstanceLacks(ctx, target);
    await ctx.db.transaction().execute(async (trx) => {
      await startRotation(trx, { keyId: target, previousKeyId: previous, nowMs: ctx.nowMs() });
      await record(ctx, trx, {
        type: 'master_key.rotation_started',
        keyId: target,
        previousKeyId: previous,
        by: 'operator',
      });
    });
  }
  options.onStarted?.({ keyId: target, previousKeyId: previous, resumed: unfinished });
  // Instances re-read the current key every KEY_STATE_POLL_MS: after this wait none seals under the old one.
  const propagationMs = options.propagationMs ?? 2 * KEY_STATE_POLL_MS;
  if (propagationMs > 0) await new Promise((resolve) => setTimeout(resolve, propagationMs));

  const sealing: Keyring = { currentKeyId: target, keys: keyring.keys };
  const batchSize = options.batchSize ?? ROTATION_BATCH_SIZE;
  const failed = new Set<string>();
  let resealed = 0;
  let batches = 0;
  // Passes over the table until one finds nothing left to do (an instance that had not yet seen the new key
  // may have inserted a secret under the old one behind the first pass).
  for (let changedInPass = true; changedInPass; ) {
    changedInPass = false;
    let afterId = '';
    for (;;) {
      const rows = await listSecretsNotUnder(ctx.db, { keyId: target, afterId, limit: batchSize });
      if (rows.length === 0) break;
      afterId = rows.at(-1)!.id;
      const done = await ctx.db.transaction().execute(async (trx) => {
        let count = 0;
        for (const row of rows) {
          if (failed.has(row.id)) continue;
          const context = totpSecretContext(row.user_id, row.id);
          let secret: Uint8Array;
          try {
            secret = openSecret(
              sealing,
              { keyId: row.secret_key_id, ciphertext: row.secret_ciphertext },
              context,
            );
          } catch (error) {
            if (!(error instanceof SecretBoxError)) throw error;
            failed.add(row.id);
            continue;
          }
          const sealed = sealSecret(sealing, secret, context);
          if (await updateSealedSecret(trx, { id: row.id, fromKeyId: row.secret_key_id, ...sealed })) count++;
        }
        await addResealed(trx, count);
        return count;
      });
      resealed += done;
      batches++;
      if (done > 0) changedInPass = true;
      await options.onBatch?.({ batches, resealed });
    }
  }
  // Finished only when nothing is left under another key (a second rotate-key run racing this one, say, may
  // have moved the target: then the guarded updates changed nothing and this run must not claim success).
  const underOtherKeys = (await countByKeyId(ctx.db)).filter((entry) => entry.keyId !== target);
  const finished = failed.size === 0 && underOtherKeys.every((entry) => entry.totpSecrets === 0);
  if (finished) {
    await ctx.db.transaction().execute(async (trx) => {
      await finishRotation(trx, ctx.nowMs());
      const total = Number((await readKeyState(trx))?.resealed ?? resealed);
      await record(ctx, trx, {
        type: 'master_key.rotation_finished',
        keyId: target,
        resealed: total,
        by: 'operator',
      });
    });
  }
  const recoveryCodesUnderOtherKeys = underOtherKeys.reduce((sum, entry) => sum + entry.recoveryCodes, 0);
  return {
    keyId: target,
    previousKeyId: previous,
    resumed: unfinished,
    resealed,
    failed: [...failed],
    finished,
    recoveryCodesUnderOtherKeys,
  };
}

/** Refuses to make `keyId` current while a running instance lacks it (it could not open what is sealed). */
async function refuseIfAnInstanceLacks(ctx: OperatorContext, keyId: string): Promise<void> {
  const instances = await listLiveInstances(ctx.db, ctx.nowMs() - INSTANCE_ALIVE_MS);
  // An instance that reads the key file this command wrote the key into (same machine, same path) re-reads it
  // as soon as the database names a key it lacks.
  const source = keySourceOf(ctx.config);
  const readsOurFile = (row: { host: string; key_file: string | null }) =>
    source.kind === 'file' && row.key_file === source.path && row.host === hostname();
  const lacking = instances.filter((row) => !row.key_ids.split(',').includes(keyId) && !readsOurFile(row));
  if (lacking.length > 0) {
    throw new ServiceError('KEY_NOT_ON_EVERY_INSTANCE', {
      field: 'to',
      instances: lacking.map((row) => `${row.host} (pid ${row.pid})`),
    });
  }
}

async function retireKey(
  ctx: OperatorContext,
  keyId: string,
): Promise<{ keyId: string; removedFrom: 'file' | 'environment' }> {
  const keyring = await ctx.keyring();
  const state = await readKeyState(ctx.db);
  const current = state?.current_key_id ?? keyring.currentKeyId;
  if (keyId === current) throw new ServiceError('KEY_IS_CURRENT', { field: 'retire' });
  if (state !== undefined && state.rotation_finished_at_ms === null && state.previous_key_id !== null) {
    throw new ServiceError('ROTATION_UNFINISHED', { field: 'retire' });
  }
  const inUse = (await countByKeyId(ctx.db)).find((entry) => entry.keyId === keyId);
  if (inUse !== undefined && inUse.totpSecrets + inUse.recoveryCodes > 0) {
    throw new ServiceError('KEY_IN_USE', {
      field: 'retire',
      inUse: { totpSecrets: inUse.totpSecrets, recoveryCodes: inUse.recoveryCodes },
    });
  }
  if (!keyring.keys.has(keyId)) throw new ServiceError('UNKNOWN_KEY', { field: 'retire' });
  const source = keySourceOf(ctx.config);
  if (source.kind === 'file') await removeKeyFromFile(source.path, keyId);
  await ctx.db.transaction().execute(async (trx) => {
    await clearPreviousKey(trx, keyId);
    await record(ctx, trx, { type: 'master_key.retired', keyId, by: 'operator' });
  });
  return { keyId, removedFrom: source.kind === 'file' ? 'file' : 'environment' };
}
