/**
 * The composition root of the services: opens the database (migrated to the latest schema) and the master
 * keyring, and builds the rules over them. All state is in the database, so any number of instances sharing
 * one PostgreSQL behave as one.
 */
import { randomBytes } from 'node:crypto';
import { type Config, ConfigError } from '../config.ts';
import { deriveEmailKey, emailKeyOf } from '../crypto/email-key.ts';
import { createPasswordHasher, type PasswordHasher } from '../crypto/passwords.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { type DatabaseKind, openDatabase } from '../store/open.ts';
import { createAccountService } from './accounts.ts';
import { createApiKeyService } from './api-keys.ts';
import { createAuditService } from './audit.ts';
import { createAuthService } from './auth.ts';
import type { ServiceContext, ServiceSettings } from './context.ts';
import { createEventSink } from './events.ts';
import { createHealthService } from './health.ts';
import { openKeyring } from './keyring.ts';
import { KEY_STATE_POLL_MS } from './limits.ts';
import { startPurgeJob } from './purge.ts';
import { createRecoveryService } from './recovery-codes.ts';
import { runWithRequestMeta } from './request-meta.ts';
import { createSubjectService } from './subjects.ts';
import { createTotpService } from './totp.ts';
import type { Services } from './types.ts';

export { masterKeyPath } from './keyring.ts';
export * from './limits.ts';
export * from './types.ts';

export interface OpenServicesOptions {
  /** The clock (tests move it to control TOTP steps and timeouts). @default Date.now */
  nowMs?: () => number;
  /** Receives one JSON line per event. @default console.log */
  log?: (line: string) => void;
  /** How passwords are hashed. @default createPasswordHasher() (argon2id with OWASP's parameters) */
  passwordHasher?: PasswordHasher;
  /** Hears the SQL text of every statement (tests and benchmarks count statements per request). */
  onQuery?: (sql: string) => void;
  /** How often the current master key is re-read from the database (0: never on a timer). @default
   *  KEY_STATE_POLL_MS */
  keyStatePollMs?: number;
}

/** The settings the services read, from the whole configuration. */
function settingsOf(config: Config): ServiceSettings {
  return {
    issuer: config.issuer,
    totpWindow: config.totpWindow,
    sessionIdleMs: config.sessionIdleMinutes * 60 * 1000,
    sessionAbsoluteMs: config.sessionAbsoluteHours * 60 * 60 * 1000,
  };
}

export async function openServices(config: Config, options: OpenServicesOptions = {}): Promise<Services> {
  const nowMs = options.nowMs ?? Date.now;
  const logLine = options.log ?? ((line: string) => console.log(line));
  const log: ServiceContext['log'] = (name, fields = {}) =>
    logLine(JSON.stringify({ time: new Date(nowMs()).toISOString(), event: name, ...fields }));
  const passwords = options.passwordHasher ?? createPasswordHasher();

  if (config.databaseUrl !== undefined && config.masterKey === undefined) {
    throw new ConfigError(
      'TWOFA_MASTER_KEY',
      'is required with PostgreSQL: every instance must share one key. Generate one with ' +
        `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))"`,
    );
  }

  const { db, kind } = openDatabase(config, {
    // A dropped idle connection is replaced at the next query; the operator still wants to know.
    onConnectionError: (error) => log('database.connection_error', { error: error.message }),
    ...(options.onQuery === undefined ? {} : { onQuery: options.onQuery }),
  });
  try {
    const applied = await migrateToLatest(db, kind);
    if (applied.length > 0) log('database.migrated', { database: kind, migrations: applied.join(',') });
    const keyring = await openKeyring(config, db, log, {
      nowMs,
      pollMs: options.keyStatePollMs ?? KEY_STATE_POLL_MS,
    });
    // Computed once, up front, so the first unknown-email login costs the same as any other.
    const dummy = await passwords.hash(randomBytes(24).toString('base64'));
    // Derived again only when the current key changes (a rotation).
    let emailKey = { keyId: keyring.currentKeyId, key: deriveEmailKey(keyring) };
    const currentEmailKey = () => {
      if (emailKey.keyId !== keyring.currentKeyId) {
        emailKey = { keyId: keyring.currentKeyId, key: deriveEmailKey(keyring) };
      }
      return emailKey.key;
    };
    const ctx: ServiceContext = {
      db,
      kind,
      keyring,
      settings: settingsOf(config),
      nowMs,
      passwords,
      log,
      events: createEventSink({ nowMs, log: logLine }),
      dummyHash: async () => dummy,
      emailKey: (normalizedEmail) => emailKeyOf(currentEmailKey(), normalizedEmail),
      refreshKeyring: (keyId) => keyring.refresh(keyId),
    };
    // Dead sessions and throttle windows go by a timer, in batches, off every request's path.
    const purge = startPurgeJob(ctx);
    return {
      accounts: createAccountService(ctx),
      apiKeys: createApiKeyService(ctx),
      subjects: createSubjectService(ctx),
      auth: createAuthService(ctx),
      totp: createTotpService(ctx),
      recovery: createRecoveryService(ctx),
      audit: createAuditService(ctx),
      health: createHealthService(ctx),
      withRequest: runWithRequestMeta,
      purgeExpired: () => purge.runOnce(),
      async close() {
        await purge.stop();
        await keyring.close();
        await db.destroy();
      },
    };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}

export type { DatabaseKind };
