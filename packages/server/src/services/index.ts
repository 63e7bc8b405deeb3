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
import { readConnectionLimits } from '../store/connection-limits.ts';
import { migrateToLatest } from '../store/migrate.ts';
import { type DatabaseKind, openDatabase } from '../store/open.ts';
import { createAccountRecoveryService } from './account-recovery.ts';
import { createAccountService } from './accounts.ts';
import { createApiKeyService } from './api-keys.ts';
import { createAuditService } from './audit.ts';
import { createAuthService } from './auth.ts';
import { createClientLimitService } from './client-limits.ts';
import type { ServiceContext, ServiceSettings } from './context.ts';
import { createDeviceService } from './devices.ts';
import { createEmailVerificationService } from './email-verification.ts';
import { createEventSink } from './events.ts';
import { createHardwareTokenService } from './hardware-token.ts';
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
import { boundedPasswordHasher, type PasswordPoolOptions } from './password-pool.ts';
import { createPasswordResetService } from './password-reset.ts';
import { createPhoneService, phoneOf } from './phone.ts';
import { startPurgeJob } from './purge.ts';
import { createRecoveryService } from './recovery-codes.ts';
import { runWithRequestMeta } from './request-meta.ts';
import { createSubjectService } from './subjects.ts';
import { createTotpService } from './totp.ts';
import type { Services } from './types.ts';
import { withUnavailableOutcome } from './unavailable.ts';

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
  /** The password pool's bounds. @default defaultConcurrency(), a queue of 32 per running hash, 2 s */
  passwordPool?: PasswordPoolOptions;
  /** Hears the SQL text of every statement (tests and benchmarks count statements per request). */
  onQuery?: (sql: string) => void;
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
    clientRequestsPerMinute: config.clientRequestsPerMinute,
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

function serviceLog(options: { nowMs?: () => number; log?: (line: string) => void }): ServiceContext['log'] {
  const nowMs = options.nowMs ?? Date.now;
  const logLine = options.log ?? ((line: string) => console.log(line));
  return (name, fields = {}) =>
    logLine(JSON.stringify({ time: new Date(nowMs()).toISOString(), event: name, ...fields }));
}

function requireSharedKey(config: Config): void {
  if (config.databaseUrl !== undefined && config.masterKey === undefined) {
    throw new ConfigError(
      'TWOFA_MASTER_KEY',
      'is required with PostgreSQL: every instance must share one key. Generate one with ' +
        `node -e "console.log(require('node:crypto').randomBytes(32).toString('base64'))"`,
    );
  }
}

/**
 * What runs once per start, before any process serves (the cluster's primary does it before forking, so
 * workers never race each other): migrations to the latest schema, the master key file (SQLite, first start),
 * the check that the keyring opens what is stored, and on PostgreSQL that `config.workers` pools of
 * `config.databasePoolSize` fit the server's max_connections (a ConfigError when they never can, a warning
 * when they do not fit beside the connections open now). Closes the database when done.
 */
export async function prepareStorage(
  config: Config,
  options: Pick<OpenServicesOptions, 'log' | 'nowMs'> = {},
): Promise<void> {
  const log = serviceLog(options);
  requireSharedKey(config);
  // No statement bound here: a migration may take longer than a request's statement (an index on a large
  // table), and waiting for another starting instance's migrations (the advisory lock) is the design.
  const { db, kind } = openDatabase({ ...config, databaseQueryTimeoutMs: 0 });
  try {
    if (kind === 'postgres') await checkConnectionBudget(config, db, log);
    const applied = await migrateToLatest(db, kind);
    if (applied.length > 0) log('database.migrated', { database: kind, migrations: applied.join(',') });
    // Made (and checked) once here; pollMs 0: this one never polls nor registers as a serving instance.
    const keyring = await openKeyring(config, db, log, { nowMs: options.nowMs ?? Date.now, pollMs: 0 });
    await keyring.close();
  } finally {
    await db.destroy();
  }
}

async function checkConnectionBudget(
  config: Config,
  db: Parameters<typeof readConnectionLimits>[0],
  log: ServiceContext['log'],
): Promise<void> {
  const limits = await readConnectionLimits(db);
  const needed = config.workers * config.databasePoolSize;
  const usable = limits.maxConnections - limits.reserved;
  const sizing = `${config.workers} worker(s) x TWOFA_DATABASE_POOL_SIZE ${config.databasePoolSize} = ${needed} connections`;
  if (needed > usable) {
    throw new ConfigError(
      'TWOFA_DATABASE_POOL_SIZE',
      `is too large for the PostgreSQL server: ${sizing}, but max_connections ${limits.maxConnections} ` +
        `less ${limits.reserved} reserved leaves ${usable}. Lower TWOFA_DATABASE_POOL_SIZE or TWOFA_WORKERS, ` +
        'or raise max_connections',
    );
  }
  // This check's own connection is counted in inUse but is closed before anyone serves.
  const free = usable - (limits.inUse - 1);
  if (needed > free) {
    log('database.pool_warning', {
      message:
        `${sizing} may not all open: ${free} of max_connections are free now (other instances or clients ` +
        'hold the rest). Requests that find no connection in time get 503.',
      needed,
      free,
    });
  }
}

export async function openServices(config: Config, options: OpenServicesOptions = {}): Promise<Services> {
  const nowMs = options.nowMs ?? Date.now;
  const logLine = options.log ?? ((line: string) => console.log(line));
  const log = serviceLog(options);
  // Bounded whatever the hasher (tests pass a cheap one): a login storm cannot starve everything else.
  const passwords = boundedPasswordHasher(
    options.passwordHasher ?? createPasswordHasher(),
    options.passwordPool ?? {},
  );
  requireSharedKey(config);

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
      events: createEventSink({ nowMs, log: logLine, afterRecord: (event) => notices.kick(event) }),
      dummyHash: async () => dummy,
      emailKey: (normalizedEmail) => emailKeyOf(currentEmailKey(), normalizedEmail),
      messages,
      refreshKeyring: (keyId) => keyring.refresh(keyId),
    };
    // Dead sessions and throttle windows go by a timer, in batches, off every request's path.
    const purge = startPurgeJob(ctx);
    const guard = <T extends object>(service: T) => withUnavailableOutcome(service, log);
    notices.start();
    return {
      accounts: guard(createAccountService(ctx)),
      clientLimits: guard(createClientLimitService(ctx, settings.clientRequestsPerMinute)),
      apiKeys: guard(createApiKeyService(ctx)),
      subjects: guard(createSubjectService(ctx)),
      auth: guard(createAuthService(ctx)),
      devices: guard(createDeviceService(ctx)),
      totp: guard(createTotpService(ctx)),
      recovery: guard(createRecoveryService(ctx)),
      emailVerification: guard(createEmailVerificationService(ctx)),
      emailFactor: guard(createMessageFactorService(ctx, 'email')),
      smsFactor: guard(createMessageFactorService(ctx, 'sms')),
      phone: guard(createPhoneService(ctx)),
      accountRecovery: guard(createAccountRecoveryService(ctx)),
      hardwareToken: guard(createHardwareTokenService(ctx)),
      passwordReset: guard(createPasswordResetService(ctx)),
      messages: { flush: () => notices.flush() },
      audit: guard(createAuditService(ctx)),
      health: createHealthService(ctx),
      withRequest: runWithRequestMeta,
      purgeExpired: () => purge.runOnce(),
      async close() {
        await purge.stop();
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
