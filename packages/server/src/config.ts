/**
 * The service's configuration, read once from environment variables (`TWOFA_*`). Every variable is listed,
 * with its default, in the README's Configuration table. A bad value stops the start with a ConfigError
 * that names the variable and what is wrong with it (never the value itself, which may be a key).
 */
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseTrustedProxies } from './client-address.ts';
import { parseKeyring } from './crypto/secret-box.ts';
import { DEFAULT_CLIENT_REQUESTS_PER_MINUTE } from './services/limits.ts';
import { QUERY_TIMEOUT_MS } from './store/postgres-dialect.ts';

export interface Config {
  /** TWOFA_HOST: the address to listen on. @default '127.0.0.1' */
  host: string;
  /** TWOFA_PORT: the TCP port; 0 = any free port. @default 3000 */
  port: number;
  /** TWOFA_DATA_DIR: where the SQLite file and the generated master key live, resolved against cwd.
   *  @default './data' */
  dataDir: string;
  /** TWOFA_DATABASE_URL: a postgres:// or postgresql:// URL selects PostgreSQL; unset selects SQLite in
   *  `<dataDir>/twofa.sqlite`. */
  databaseUrl: string | undefined;
  /** TWOFA_SQLITE_SYNCHRONOUS: `normal` (WAL commits survive a crash of the process, not always a power cut)
   *  or `full` (every commit synced to disk first). @default 'normal' */
  sqliteSynchronous: SqliteSynchronous;
  /** TWOFA_PUBLIC_URL: the origin people reach the service at (no path), without a trailing slash.
   *  @default 'http://<host>:<port>' */
  publicUrl: string;
  /** TWOFA_BEHIND_TLS_PROXY=1: a TLS-terminating proxy sits in front; trust `X-Forwarded-Proto: https`. */
  behindTlsProxy: boolean;
  /** TWOFA_TRUSTED_PROXIES: comma-separated CIDRs (IPv4 and IPv6) of the proxies whose `X-Forwarded-For` is
   *  believed (walked from the right past them); none: the socket's address is the client's. @default [] */
  trustedProxies: readonly string[];
  /** TWOFA_CLIENT_REQUESTS_PER_MINUTE: sign-in, sign-up and recovery form posts one client address (an IPv6
   *  /64) may make a minute, counted in the database for every instance; 0 = no per-client budget.
   *  @default DEFAULT_CLIENT_REQUESTS_PER_MINUTE (30) */
  clientRequestsPerMinute: number;
  /** Cookies get `Secure` (and the `__Host-` prefix): publicUrl is https: or behindTlsProxy. */
  secureCookies: boolean;
  /** TWOFA_ISSUER: the name authenticator apps show beside the account. @default 'twofa' */
  issuer: string;
  /** TWOFA_TOTP_WINDOW: time steps accepted either side of now (RFC 6238 s5.2). @default 1 */
  totpWindow: number;
  /** TWOFA_MASTER_KEY: base64 of 32 bytes, or a `kid:base64[,kid:base64...]` list whose first entry is the
   *  current key. Required with PostgreSQL; SQLite generates `<dataDir>/master.key` when unset. */
  masterKey: string | undefined;
  /** TWOFA_SESSION_IDLE_MINUTES: a signed-in session ends after this long without a request. @default 30 */
  sessionIdleMinutes: number;
  /** TWOFA_SESSION_ABSOLUTE_HOURS: a signed-in session ends this long after sign-in, active or not.
   *  @default 12 */
  sessionAbsoluteHours: number;
  /** TWOFA_LOG=0 turns the JSON request log off. @default true */
  logRequests: boolean;
  /** TWOFA_WORKERS: processes serving requests (node:cluster); 1 serves in this process, without a primary.
   *  @default the number of cores (os.availableParallelism()) */
  workers: number;
  /** TWOFA_DATABASE_POOL_SIZE: PostgreSQL connections each process may open. `workers` x this must fit the
   *  server's max_connections (checked at start). @default defaultPoolSize(workers): 10 in all, at least 2 each */
  databasePoolSize: number;
  /** TWOFA_DATABASE_QUERY_TIMEOUT_MS: how long one PostgreSQL statement may run (statement_timeout) before the
   *  request answers 503; pg stops waiting for a silent host 1 s later (query_timeout). 0 = no bound.
   *  @default 5000 */
  databaseQueryTimeoutMs: number;
  /** TWOFA_SMTP_URL: an smtp:// (STARTTLS when offered) or smtps:// (TLS from the start) URL; unset writes
   *  each email as an `.eml` file to `<dataDir>/outbox`. */
  smtpUrl: string | undefined;
  /** TWOFA_MAIL_FROM: the sender of every email. @default 'twofa <no-reply@<public host>>' */
  mailFrom: string;
  /** TWOFA_SMS_WEBHOOK_URL: an http(s):// URL that receives each text message as a signed JSON POST; unset
   *  writes each one as a `.txt` file to the outbox. */
  smsWebhookUrl: string | undefined;
  /** TWOFA_SMS_WEBHOOK_SECRET: the HMAC-SHA-256 key of the webhook's signature (at least 32 characters);
   *  required with TWOFA_SMS_WEBHOOK_URL. */
  smsWebhookSecret: string | undefined;
  /** TWOFA_RECOVERY_DELAY_HOURS: how long a confirmed account recovery waits before it can complete, the
   *  owner told by every channel and able to cancel. @default 72 */
  recoveryDelayHours: number;
}

/** SQLite's `PRAGMA synchronous` levels this service offers (both in WAL mode). */
export type SqliteSynchronous = 'normal' | 'full';

export class ConfigError extends Error {
  /** The environment variable at fault. */
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`${variable} ${problem}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** The most steps either side of now a server should accept; RFC 6238 s5.2 recommends at most one. */
const MAX_TOTP_WINDOW = 10;

/** More processes than this is a typo, not a machine. */
const MAX_WORKERS = 256;
/** PostgreSQL's own ceiling on max_connections (262143) is far above any sane pool. */
const MAX_POOL_SIZE = 1000;
/** A statement bound beyond 10 minutes is no bound for a web request. */
const MAX_QUERY_TIMEOUT_MS = 600_000;
/** The connections all processes of one instance share by default, so that adding cores does not multiply them. */
const DEFAULT_POOL_TOTAL = 10;
/** A process needs a second connection while one is held by a transaction (e.g. waiting on a row lock). */
const MIN_DEFAULT_POOL_SIZE = 2;

/**
 * The default PostgreSQL pool of each process: DEFAULT_POOL_TOTAL shared among the workers, at least
 * MIN_DEFAULT_POOL_SIZE each (a Node process runs one request's JavaScript at a time; a connection is held only
 * for the few milliseconds of its transaction).
 */
export function defaultPoolSize(workers: number): number {
  return Math.max(MIN_DEFAULT_POOL_SIZE, Math.ceil(DEFAULT_POOL_TOTAL / workers));
}

/** Reads the configuration from `env` (normally `process.env`). An empty variable counts as unset. */
export function loadConfig(env: Record<string, string | undefined>, cwd: string = process.cwd()): Config {
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };

  const host = read('TWOFA_HOST') ?? '127.0.0.1';
  const port = readInteger('TWOFA_PORT', read('TWOFA_PORT'), 3000, 0, 65535);
  const dataDir = resolve(cwd, read('TWOFA_DATA_DIR') ?? './data');

  const databaseUrl = read('TWOFA_DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    throw new ConfigError(
      'TWOFA_DATABASE_URL',
      'must be a postgres:// or postgresql:// URL (leave it unset to use the embedded SQLite database)',
    );
  }

  const synchronous = (read('TWOFA_SQLITE_SYNCHRONOUS') ?? 'normal').toLowerCase();
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new ConfigError('TWOFA_SQLITE_SYNCHRONOUS', 'must be normal or full');
  }
  const sqliteSynchronous: SqliteSynchronous = synchronous;

  const behindTlsProxy = readBoolean('TWOFA_BEHIND_TLS_PROXY', read('TWOFA_BEHIND_TLS_PROXY'), false);
  let trustedProxies: readonly string[];
  try {
    trustedProxies = parseTrustedProxies(read('TWOFA_TRUSTED_PROXIES') ?? '').cidrs;
  } catch (error) {
    throw new ConfigError(
      'TWOFA_TRUSTED_PROXIES',
      `${(error as Error).message} (write CIDRs like 10.0.0.0/8,::1/128, comma-separated)`,
    );
  }
  const clientRequestsPerMinute = readInteger(
    'TWOFA_CLIENT_REQUESTS_PER_MINUTE',
    read('TWOFA_CLIENT_REQUESTS_PER_MINUTE'),
    DEFAULT_CLIENT_REQUESTS_PER_MINUTE,
    0,
    1_000_000,
  );
  const publicUrl = readPublicUrl(read('TWOFA_PUBLIC_URL'), host, port);

  const issuer = read('TWOFA_ISSUER') ?? 'twofa';
  // Key URI Format: the label is "issuer:account", so a colon in the issuer would split it wrongly.
  if (issuer.includes(':')) throw new ConfigError('TWOFA_ISSUER', 'must not contain a colon');
  if ([...issuer].length > 64) throw new ConfigError('TWOFA_ISSUER', 'must be at most 64 characters');

  const totpWindow = readInteger('TWOFA_TOTP_WINDOW', read('TWOFA_TOTP_WINDOW'), 1, 0, MAX_TOTP_WINDOW);

  const masterKey = read('TWOFA_MASTER_KEY');
  if (masterKey !== undefined) {
    try {
      parseKeyring(masterKey);
    } catch (error) {
      throw new ConfigError('TWOFA_MASTER_KEY', (error as Error).message);
    }
  }

  const sessionIdleMinutes = readInteger(
    'TWOFA_SESSION_IDLE_MINUTES',
    read('TWOFA_SESSION_IDLE_MINUTES'),
    30,
    1,
    7 * 24 * 60,
  );
  const sessionAbsoluteHours = readInteger(
    'TWOFA_SESSION_ABSOLUTE_HOURS',
    read('TWOFA_SESSION_ABSOLUTE_HOURS'),
    12,
    1,
    24 * 365,
  );
  const logRequests = readBoolean('TWOFA_LOG', read('TWOFA_LOG'), true);
  const workers = readInteger('TWOFA_WORKERS', read('TWOFA_WORKERS'), availableParallelism(), 1, MAX_WORKERS);
  const databasePoolSize = readInteger(
    'TWOFA_DATABASE_POOL_SIZE',
    read('TWOFA_DATABASE_POOL_SIZE'),
    defaultPoolSize(workers),
    1,
    MAX_POOL_SIZE,
  );
  const databaseQueryTimeoutMs = readInteger(
    'TWOFA_DATABASE_QUERY_TIMEOUT_MS',
    read('TWOFA_DATABASE_QUERY_TIMEOUT_MS'),
    QUERY_TIMEOUT_MS,
    0,
    MAX_QUERY_TIMEOUT_MS,
  );

  const smtpUrl = read('TWOFA_SMTP_URL');
  if (smtpUrl !== undefined && !/^smtps?:\/\/[^/?#]+/i.test(smtpUrl)) {
    throw new ConfigError('TWOFA_SMTP_URL', 'must be an smtp:// or smtps:// URL with a host');
  }
  const mailFrom = read('TWOFA_MAIL_FROM') ?? `${issuer} <no-reply@${new URL(publicUrl).hostname}>`;
  if (/[\r\n]/.test(mailFrom) || !mailFrom.includes('@')) {
    throw new ConfigError('TWOFA_MAIL_FROM', 'must be one address, like "twofa <no-reply@example.com>"');
  }
  const smsWebhookUrl = read('TWOFA_SMS_WEBHOOK_URL');
  if (smsWebhookUrl !== undefined && !URL.canParse(smsWebhookUrl)) {
    throw new ConfigError('TWOFA_SMS_WEBHOOK_URL', 'must be an absolute http:// or https:// URL');
  }
  if (smsWebhookUrl !== undefined && !/^https?:$/.test(new URL(smsWebhookUrl).protocol)) {
    throw new ConfigError('TWOFA_SMS_WEBHOOK_URL', 'must be an absolute http:// or https:// URL');
  }
  const smsWebhookSecret = read('TWOFA_SMS_WEBHOOK_SECRET');
  if (smsWebhookUrl !== undefined && (smsWebhookSecret === undefined || smsWebhookSecret.length < 32)) {
    throw new ConfigError(
      'TWOFA_SMS_WEBHOOK_SECRET',
      'must be set, at least 32 characters, with TWOFA_SMS_WEBHOOK_URL (the receiver checks the signature)',
    );
  }

  const recoveryDelayHours = readInteger(
    'TWOFA_RECOVERY_DELAY_HOURS',
    read('TWOFA_RECOVERY_DELAY_HOURS'),
    72,
    1,
    30 * 24,
  );

  return {
    host,
    port,
    dataDir,
    databaseUrl,
    sqliteSynchronous,
    publicUrl,
    behindTlsProxy,
    trustedProxies,
    clientRequestsPerMinute,
    secureCookies: publicUrl.startsWith('https:') || behindTlsProxy,
    issuer,
    totpWindow,
    masterKey,
    sessionIdleMinutes,
    sessionAbsoluteHours,
    logRequests,
    workers,
    databasePoolSize,
    databaseQueryTimeoutMs,
    smtpUrl,
    mailFrom,
    smsWebhookUrl,
    smsWebhookSecret,
    recoveryDelayHours,
  };
}

function readInteger(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  const parsed = Number(value);
  if (parsed < min || parsed > max) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}`);
  }
  return parsed;
}

function readBoolean(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const lower = value.toLowerCase();
  if (lower === '1' || lower === 'true' || lower === 'yes') return true;
  if (lower === '0' || lower === 'false' || lower === 'no') return false;
  throw new ConfigError(name, 'must be 1 or 0 (true or false)');
}

function readPublicUrl(value: string | undefined, host: string, port: number): string {
  if (value === undefined) {
    const hostPart = isIP(host) === 6 ? `[${host}]` : host;
    return `http://${hostPart}:${port}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('TWOFA_PUBLIC_URL', 'must be an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('TWOFA_PUBLIC_URL', 'must start with http:// or https://');
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigError('TWOFA_PUBLIC_URL', 'must not carry credentials, a query or a fragment');
  }
  // Every route, cookie (Path=/, __Host-) and redirect assumes the root: a path would be accepted and then
  // served wrongly, so refuse it at start.
  if (url.pathname !== '/') {
    throw new ConfigError(
      'TWOFA_PUBLIC_URL',
      'must be an origin only (scheme, host and port, optionally a trailing /), without a path: ' +
        'the service cannot be served under a path',
    );
  }
  return url.origin;
}
