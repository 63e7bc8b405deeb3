/**
 * The composition root of the services: opens the database (migrated to the latest schema) and the master
 * keyring, and builds the rules over them. All state is in the database, so any number of instances sharing
 * one PostgreSQL behave as one.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type Config, ConfigError } from '../config.ts';
import { deriveEmailKey, emailKeyOf } from '../crypto/email-key.ts';
import { createPasswordHasher, type PasswordHasher } from '../crypto/passwords.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { type DatabaseKind, openDatabase } from '../store/open.ts';
import { createAccountRecoveryService } from './account-recovery.ts';
import { createAccountService } from './accounts.ts';
import { createApiKeyService } from './api-keys.ts';
import { createAuditService } from './audit.ts';
import { createAuthService } from './auth.ts';
import type { ServiceContext, ServiceSettings } from './context.ts';
import { createEmailVerificationService } from './email-verification.ts';
import { createEventSink } from './events.ts';
import { createHealthService } from './health.ts';
import { openKeyring } from './keyring.ts';
import { KEY_STATE_POLL_MS } from './limits.ts';
import { createMessageFactorService } from './message-factor.ts';
import { createMessenger } from './messages/messenger.ts';
import { createNoticeDispatcher } from './messages/notices.ts';
import {
  outboxTransport,
  smsWebhookTransport,
  smtpTransport,
  type Transport,
} from './messages/transports.ts';
import { createPasswordResetService } from './password-reset.ts';
import { createPhoneService, phoneOf } from './phone.ts';
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
  /** The public URL for links in messages, when it is known only later (port 0). @default config.publicUrl */
  publicUrl?: () => string;
  /** How often the current master key is re-read from the database (0: never on a timer). @default
   *  KEY_STATE_POLL_MS */
  keyStatePollMs?: number;
}

/** The settings the services read, from the whole configuration. */
function settingsOf(config: Config, publicUrl: () => string = () => config.publicUrl): ServiceSettings {
  return {
    issuer: config.issuer,
    totpWindow: config.totpWindow,
    sessionIdleMs: config.sessionIdleMinutes * 60 * 1000,
    sessionAbsoluteMs: config.sessionAbsoluteHours * 60 * 60 * 1000,
    serviceName: config.issuer,
    get publicUrl() {
      return publicUrl();
    },
    recoveryDelayMs: config.recoveryDelayHours * 60 * 60 * 1000,
  };
}

/** SMTP when configured, else the outbox; the SMS webhook when configured, else the outbox. */
function transportsOf(config: Config, log: ServiceContext['log']): { email: Transport; sms: Transport } {
  const outbox = outboxTransport({ dir: join(config.dataDir, 'outbox'), from: config.mailFrom, log });
  return {
    email:
      config.smtpUrl === undefined ? outbox : smtpTransport({ url: config.smtpUrl, from: config.mailFrom }),
    sms:
      config.smsWebhookUrl === undefined || config.smsWebhookSecret === undefined
        ? outbox
        : smsWebhookTransport({ url: config.smsWebhookUrl, secret: config.smsWebhookSecret }),
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
    const messages = createMessenger({ transports: transportsOf(config, log), log });
    const settings = settingsOf(config, options.publicUrl);
    const notices = createNoticeDispatcher({
      db,
      nowMs,
      messenger: messages,
      service: {
        name: settings.serviceName,
        get url() {
          return settings.publicUrl;
        },
      },
      phoneOf: (user) => phoneOf(ctx, user),
    });
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
      settings,
      nowMs,
      passwords,
      log,
      events: createEventSink({ nowMs, log: logLine, afterRecord: () => notices.kick() }),
      dummyHash: async () => dummy,
      emailKey: (normalizedEmail) => emailKeyOf(currentEmailKey(), normalizedEmail),
      messages,
      refreshKeyring: (keyId) => keyring.refresh(keyId),
    };
    notices.start();
    return {
      accounts: createAccountService(ctx),
      apiKeys: createApiKeyService(ctx),
      subjects: createSubjectService(ctx),
      auth: createAuthService(ctx),
      totp: createTotpService(ctx),
      recovery: createRecoveryService(ctx),
      emailVerification: createEmailVerificationService(ctx),
      emailFactor: createMessageFactorService(ctx, 'email'),
      smsFactor: createMessageFactorService(ctx, 'sms'),
      phone: createPhoneService(ctx),
      accountRecovery: createAccountRecoveryService(ctx),
      passwordReset: createPasswordResetService(ctx),
      messages: { flush: () => notices.flush() },
      audit: createAuditService(ctx),
      health: createHealthService(ctx),
      withRequest: runWithRequestMeta,
      async close() {
        // Notices already due go out first; then the database closes.
        await notices.stop();
        await messages.close();
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
